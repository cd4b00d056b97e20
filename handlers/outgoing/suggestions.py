"""The suggestion messages: a new one to the community party committee and the instructor, with
the three outcomes to answer it with, and the answer told to its author."""

from __future__ import annotations

from datetime import datetime

from sqlmodel.ext.asyncio.session import AsyncSession
from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from handlers.outgoing.fitting import block, one_line
from handlers.outgoing.parts import Outgoing, UnknownNotification
from locales.i18n import gettext as _
from models.cases.tables import SUGGESTION_OUTCOME_NAMES, Suggestion, SuggestionOutcome
from models.directory.tables import Community, Person
from models.outbox.queue import OutboxMessage

PREFIX = "sg"
OUTCOME_DATA: dict[SuggestionOutcome, str] = {
    SuggestionOutcome.ADOPTED: "ad",
    SuggestionOutcome.NOTED: "no",
    SuggestionOutcome.AGENDA: "ag",
}
ROOM = 1500


def answer_keyboard(suggestion_id: int) -> InlineKeyboardMarkup:
    buttons = {
        SuggestionOutcome.ADOPTED: _("Adopt"),
        SuggestionOutcome.NOTED: _("Note"),
        SuggestionOutcome.AGENDA: _("To the Affairs Hall agenda"),
    }
    return InlineKeyboardMarkup(
        [
            [InlineKeyboardButton(label, callback_data=f"{PREFIX}:{OUTCOME_DATA[outcome]}:{suggestion_id}")]
            for outcome, label in buttons.items()
        ]
    )


async def _suggestion(session: AsyncSession, message: OutboxMessage) -> Suggestion:
    suggestion_id = message.parameters().get("suggestion_id")
    suggestion = await session.get(Suggestion, suggestion_id) if isinstance(suggestion_id, int) else None
    if suggestion is None:
        raise UnknownNotification(f"outbox row {message.id}: suggestion {suggestion_id} not found")
    return suggestion


async def render_suggestion_new(
    session: AsyncSession, message: OutboxMessage, recipient: Person, now: datetime
) -> list[Outgoing]:
    """A suggestion to answer, with its outcomes; nothing once it is answered."""
    suggestion = await _suggestion(session, message)
    if suggestion.outcome is not None:
        return []
    community = await session.get(Community, suggestion.community_id)
    author = await session.get(Person, suggestion.author_id)
    text = (
        _("A suggestion #{number} for {community} from {name}:").format(
            number=suggestion.id,
            community=community.name if community else "?",
            name=one_line(author.name) if author else "?",
        )
        + "\n"
        + block(suggestion.text, ROOM)
        + "\n\n"
        + _("Answer it: tap what becomes of it, then write the answer the resident will read.")
    )
    return [Outgoing(text=text, reply_markup=answer_keyboard(suggestion.id or 0))]


async def render_suggestion_answered(
    session: AsyncSession, message: OutboxMessage, recipient: Person, now: datetime
) -> list[Outgoing]:
    """The author: the answer to their suggestion and what became of it."""
    suggestion = await _suggestion(session, message)
    if suggestion.outcome is None:
        raise UnknownNotification(f"outbox row {message.id}: suggestion {suggestion.id} has no answer")
    answerer = await session.get(Person, suggestion.answered_by) if suggestion.answered_by else None
    text = (
        _("Your suggestion has an answer ({outcome}) from {name}:").format(
            outcome=_(SUGGESTION_OUTCOME_NAMES[suggestion.outcome]),
            name=one_line(answerer.name) if answerer else "?",
        )
        + "\n"
        + block(suggestion.answer or "", ROOM)
        + "\n\n"
        + _("Your suggestion:")
        + "\n"
        + block(suggestion.text, ROOM)
    )
    return [Outgoing(text=text)]
