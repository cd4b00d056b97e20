"""The resident answers a satisfaction survey: taps on ``v:<survey>:<step>:<value>`` buttons, and
an optional typed comment.

Every answer goes through :func:`models.surveys.answers.answer_survey`, which refuses anything
but the reporter's first answer to the current step of an open survey; a refusal is shown as the
button's alert and changes nothing. The pressed message is edited to the next question, so
either the survey or its reminder can be used. While the comment is asked,
``user_data["survey_comment"]`` names the survey; a text message then is the comment. Any
command or other feature's button drops that marker, so it never takes over another
conversation's input. Both handlers come before the conversations in group 0, so a tap or a
comment in the middle of /report answers the survey and leaves the report where it was.
"""

from __future__ import annotations

import logging
from typing import Any

from telegram import Update
from telegram.error import BadRequest
from telegram.ext import CallbackQueryHandler, MessageHandler, filters

from handlers.context import Context, RedPropApplication, wake_outbox
from handlers.outgoing.surveys import PREFIX, SKIP, parse_answer_data, survey_message
from handlers.replies import refuse_button
from locales.i18n import gettext as _
from locales.i18n import refusal_text
from models.base import utcnow
from models.directory.people import find_person_by_telegram_id
from models.refusal import Refused
from models.surveys.answers import NOT_YOURS, Answer, Step, answer_survey, next_step
from models.text import typed_text

logger = logging.getLogger(__name__)

COMMENT_KEY = "survey_comment"
# Before group 0: drops the comment marker when the user turns to something else.
MARKER_GROUP = -10


def _marker(context: Context) -> dict[str, Any] | None:
    user_data = context.user_data if context.user_data is not None else {}
    marker = user_data.get(COMMENT_KEY)
    return marker if isinstance(marker, dict) and isinstance(marker.get("survey_id"), int) else None


def _forget(context: Context) -> None:
    if context.user_data is not None:
        context.user_data.pop(COMMENT_KEY, None)


async def _answer(
    context: Context, telegram_id: int, survey_id: int, step: Step, value: Answer
) -> tuple[str, Any, Step | None]:
    """Record one answer in one transaction; the survey message as it now reads, and the next step."""
    async with context.db.write() as session:
        person = await find_person_by_telegram_id(session=session, telegram_id=telegram_id)
        if person is None:
            raise Refused(NOT_YOURS)
        survey = await answer_survey(
            session=session, survey_id=survey_id, person=person, step=step, value=value, now=utcnow()
        )
        text, markup = await survey_message(session, survey)
        return text, markup, next_step(survey)


async def answer_pressed(update: Update, context: Context) -> None:
    """Take the tapped answer and show the next question in the same message."""
    query = update.callback_query
    user = update.effective_user
    parsed = parse_answer_data(query.data or "") if query is not None else None
    if query is None or user is None or parsed is None:
        await refuse_button(update, context)
        return
    survey_id, step, raw = parsed
    value: Answer = None if step == Step.COMMENT and raw == SKIP else raw
    if step == Step.COMMENT and raw != SKIP:
        await refuse_button(update, context)
        return
    try:
        text, markup, next_ = await _answer(context, user.id, survey_id, step, value)
    except Refused as refused:  # Refused, or the case can no longer reopen
        await query.answer(refusal_text(refused), show_alert=True)
        return
    logger.info("survey %s: %s answered by user %s", survey_id, step.value, user.id)
    wake_outbox(context.application)  # a reopened case's card, or the owner's note
    await query.answer()
    message_id = query.message.message_id if query.message is not None else None
    marker = _marker(context)
    if next_ == Step.COMMENT and context.user_data is not None:
        context.user_data[COMMENT_KEY] = {"survey_id": survey_id, "message_id": message_id}
    elif marker is not None and marker["survey_id"] == survey_id:
        _forget(context)  # skipped: no comment is expected any more
    try:
        await query.edit_message_text(text, reply_markup=markup)
    except BadRequest as error:  # e.g. "message is not modified" after a double tap
        logger.info("survey %s: could not edit the message: %s", survey_id, error)


async def comment_received(update: Update, context: Context) -> None:
    """Take the typed comment, finish the survey and say what happens next."""
    message = update.effective_message
    user = update.effective_user
    marker = _marker(context)
    if message is None or user is None or marker is None:
        return
    if message.text is None:
        await message.reply_text(_("Please type your comment as text, or tap Skip."))
        return
    try:
        comment = typed_text(message.text, limit=context.settings.cases.max_text_length)
    except Refused as refused:
        await message.reply_text(refusal_text(refused))
        return
    survey_id = int(marker["survey_id"])
    try:
        text, _markup, _next = await _answer(context, user.id, survey_id, Step.COMMENT, comment)
    except Refused as refused:
        _forget(context)
        await message.reply_text(refusal_text(refused))
        return
    logger.info("survey %s: comment given by user %s", survey_id, user.id)
    _forget(context)
    wake_outbox(context.application)
    await _close_survey_message(context, user.id, marker.get("message_id"), text)
    await message.reply_text(text.rsplit("\n", 1)[-1])  # the thank-you line


async def _close_survey_message(context: Context, chat_id: int, message_id: object, text: str) -> None:
    """Show the finished survey, without buttons, where it was asked."""
    if not isinstance(message_id, int):
        return
    try:
        await context.bot.edit_message_text(text, chat_id=chat_id, message_id=message_id)
    except BadRequest as error:
        logger.info("could not update the survey message: %s", error)


async def drop_comment_marker(update: Update, context: Context) -> None:
    """Stop waiting for a survey comment: the user turned to something else."""
    _forget(context)


class WhileCommenting(MessageHandler[Context, None]):
    """A message handler that applies only while the user is asked for a survey comment."""

    def __init__(self, application: RedPropApplication) -> None:
        super().__init__(
            filters.ChatType.PRIVATE & ~filters.COMMAND & ~filters.StatusUpdate.ALL, comment_received
        )
        self.user_data = application.user_data

    def check_update(self, update: object) -> Any:
        user = update.effective_user if isinstance(update, Update) else None
        stored = self.user_data.get(user.id) if user is not None else None
        if not isinstance(stored, dict) or not isinstance(stored.get(COMMENT_KEY), dict):
            return None
        return super().check_update(update)


def register(application: RedPropApplication) -> None:
    application.add_handler(
        MessageHandler(filters.COMMAND & filters.ChatType.PRIVATE, drop_comment_marker), group=MARKER_GROUP
    )
    application.add_handler(
        CallbackQueryHandler(drop_comment_marker, pattern=rf"^(?!{PREFIX}:)"), group=MARKER_GROUP
    )
    application.add_handler(CallbackQueryHandler(answer_pressed, pattern=rf"^{PREFIX}:"))
    application.add_handler(WhileCommenting(application))
