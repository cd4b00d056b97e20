"""The outbox's word to a resident whose unfinished /report or /suggest was dropped."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlmodel.ext.asyncio.session import AsyncSession
from telegram import ReplyKeyboardRemove

from handlers.outgoing.parts import Outgoing
from locales.i18n import duration_in_words
from locales.i18n import gettext as _
from models.directory.tables import Person
from models.outbox.queue import OutboxMessage


async def render_draft_expired(
    session: AsyncSession, message: OutboxMessage, recipient: Person, now: datetime
) -> list[Outgoing]:
    """The draft was discarded after so long; the keyboard of its last step goes too."""
    params = message.parameters()
    duration = duration_in_words(timedelta(seconds=int(params.get("seconds", 0))))
    text = _(str(params.get("message", ""))).format(duration=duration)
    return [Outgoing(text=text, reply_markup=ReplyKeyboardRemove())]
