"""One outbox row turned into the parts to send, in its recipient's language.

A row whose recipient is gone or unreachable, or that has nothing left to say (its case moved
on), is settled here without a request.
"""

from __future__ import annotations

import logging

from config.settings import Settings
from handlers.outgoing import Outgoing, UnknownNotification, render_outbox
from locales.i18n import locale_for, use_locale
from models.base import id_of, utcnow
from models.directory.tables import Person
from models.outbox.delivery import mark_failed
from models.outbox.queue import OutboxMessage, OutboxStatus
from storage.database import Database

logger = logging.getLogger(__name__)


async def render_row(
    *, database: Database, settings: Settings, message: OutboxMessage
) -> list[Outgoing] | None:
    """The parts to send, or None when the row was settled without sending."""
    async with database.read() as session:
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
            except UnknownNotification as problem:
                status, error = OutboxStatus.FAILED, str(problem)
            else:
                if parts:
                    return parts
                status, error = OutboxStatus.SUPERSEDED, "nothing to say any more"
    logger.warning("outbox: message %s (%s) not sent: %s", message.id, message.kind, error)
    async with database.write() as session:
        await mark_failed(session=session, message_id=id_of(message), error=error, status=status)
    return None
