"""Answering a suggestion: ``sg:ad|no|ag:<suggestion id>`` (adopt, note, pass to the Affairs Hall
agenda) is checked in the domain, then the answer is asked for; sent, it is stored with the
outcome and the author is told. A second answer, or someone else's, is refused."""

from __future__ import annotations

import logging
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession
from telegram import Update
from telegram.ext import CallbackQueryHandler

from handlers.callback_data import an_id, fields, one_of
from handlers.context import Context, RedPropApplication, wake_outbox
from handlers.outgoing.suggestions import OUTCOME_DATA, PREFIX
from handlers.pending_input import END, WRITING, PendingInput
from locales.i18n import gettext as _
from locales.i18n import refusal_text
from models.base import utcnow
from models.cases.suggestion_answers import NOT_YOURS, answer_suggestion, suggestion_to_answer
from models.cases.tables import SUGGESTION_OUTCOME_NAMES, SuggestionOutcome
from models.directory.people import find_person_by_telegram_id
from models.directory.tables import Person
from models.refusal import Refused

logger = logging.getLogger(__name__)

QUESTION = PendingInput("suggestion_answer")
OUTCOMES = {data: outcome for outcome, data in OUTCOME_DATA.items()}


def _parse(data: str | None) -> tuple[SuggestionOutcome, int] | None:
    parts = fields(data, PREFIX, 2)
    word = one_of(parts[0], OUTCOMES) if parts else None
    suggestion_id = an_id(parts[1]) if parts else None
    return (OUTCOMES[word], suggestion_id) if word is not None and suggestion_id is not None else None


async def ask(update: Update, context: Context) -> int | None:
    """Check the press, then ask for the answer the resident will read."""
    parsed = await QUESTION.pressed(update, context, _parse)
    if parsed is None:
        return None
    outcome, number = parsed
    prompt = _(
        "Suggestion #{number}: {outcome}. Send the answer the resident will read. /cancel changes nothing."
    ).format(number=number, outcome=_(SUGGESTION_OUTCOME_NAMES[outcome]))

    async def check(session: AsyncSession, person: Person | None) -> object:
        return await suggestion_to_answer(session=session, suggestion_id=number, person=person)

    return await QUESTION.ask(update, context, check, prompt, outcome=outcome.value, id=number)


async def receive_text(update: Update, context: Context) -> int:
    """Store the answer with its outcome; the author is told."""
    message, user, question = update.effective_message, update.effective_user, QUESTION.question(context)
    if message is None or user is None or question is None or message.text is None:
        return await QUESTION.lost(update, context)
    text = await QUESTION.typed(update, context)
    if text is None:
        return WRITING
    try:
        async with context.db.write() as session:
            person = await find_person_by_telegram_id(session=session, telegram_id=user.id)
            if person is None:
                raise Refused(NOT_YOURS)
            await answer_suggestion(
                session=session,
                suggestion_id=int(question["id"]),
                person=person,
                outcome=SuggestionOutcome(question["outcome"]),
                answer=text,
                now=utcnow(),
            )
    except (Refused, KeyError, ValueError) as error:
        QUESTION.forget(context)
        if isinstance(error, Refused):
            await message.reply_text(refusal_text(error))
            return END
        return await QUESTION.lost(update, context)
    logger.info("suggestion %s answered by user %s", question["id"], user.id)
    QUESTION.forget(context)
    wake_outbox(context.application)
    await message.reply_text(_("Answered. The resident is told."))
    return END


async def receive_photo(update: Update, context: Context) -> int:
    """An answer is words."""
    message = update.effective_message
    if message is not None:
        await message.reply_text(_("Please send this as text, or /cancel."))
    return WRITING


def conversation() -> Any:
    entry = CallbackQueryHandler(ask, pattern=rf"^{PREFIX}:(ad|no|ag):\d{{1,12}}$")
    return QUESTION.conversation(entry=entry, text=receive_text, photo=receive_photo)


def register(application: RedPropApplication) -> None:
    application.add_handler(conversation())
