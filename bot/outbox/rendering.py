"""One outbox row turned into the parts to send, in its recipient's language.

A row whose recipient is gone or unreachable, or that has nothing left to say (its case moved
on), is settled here without a request.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.outbox.failures import delivery_label
from config.settings import Settings
from handlers.outgoing import Outgoing, UnknownNotification, render_outbox
from locales.i18n import gettext as _
from locales.i18n import locale_for, use_locale
from models.base import id_of, utcnow
from models.cases.tables import Case
from models.directory.tables import Person
from models.outbox.delivery import mark_failed
from models.outbox.queue import OutboxMessage, OutboxStatus
from storage.database import Database

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Rendered:
    """A row's parts, the number of its case (for the log), and the line that says its photos
    were left out, in the recipient's language (added if Telegram refuses them)."""

    parts: list[Outgoing]
    case_number: str | None
    photos_left_out: str


async def case_number(session: AsyncSession, message: OutboxMessage) -> str | None:
    case = await session.get(Case, message.case_id) if message.case_id is not None else None
    return case.number if case is not None else None


async def render_row(*, database: Database, settings: Settings, message: OutboxMessage) -> Rendered | None:
    """The parts to send, or None when the row was settled without sending."""
    async with database.read() as session:
        number = await case_number(session, message)
        recipient = await session.get(Person, message.recipient_id) if message.recipient_id else None
        if recipient is None or not recipient.reachable:
            status = OutboxStatus.BLOCKED if recipient is not None else OutboxStatus.FAILED
            error = "recipient unreachable" if recipient is not None else "recipient not found"
        else:
            locale = locale_for(
                stored=recipient.locale,
                language_code=recipient.language_code,
                default=settings.bot.default_locale,
            )
            try:
                with use_locale(locale):
                    parts = await render_outbox(
                        session=session, message=message, recipient=recipient, now=utcnow()
                    )
                    note = _("(The photos could not be delivered and were left out.)")
            except UnknownNotification as problem:
                status, error = OutboxStatus.FAILED, str(problem)
            else:
                if parts:
                    return Rendered(parts, number, note)
                status, error = OutboxStatus.SUPERSEDED, "nothing to say any more"
    logger.warning("outbox: %s not sent: %s", delivery_label(message, "no call", number), error)
    async with database.write() as session:
        await mark_failed(
            session=session, message_id=id_of(message), error=error, now=utcnow(), status=status
        )
    return None
