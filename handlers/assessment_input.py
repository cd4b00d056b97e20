"""The assessment's buttons that need words: every decision comes with a note, an undo with its
reason, an appeal with its text, and running a final quarter again with the reason.

A tap on ``g:ok|no:<record id>`` (approve or reject a waiting record), ``g:un:<record id>``
(undo a record), ``a:ap:<assessment id>:<enterprise id>`` (appeal), ``a:up|rj:<appeal id>``
(uphold or reject an appeal), ``d:ok|no:<proposal id>`` (confirm or reject a dismissal) or
``rk:re:<quarter>`` (run a final quarter again) is authorized in the domain at once and asks for
the text, remembering what it asked in ``user_data["assessment_input"]``; the answer runs the
domain operation in one transaction. An appeal may come as a photo with the text as its
caption. /cancel changes nothing.
"""

from __future__ import annotations

import logging
from typing import Any

from telegram import Update
from telegram.ext import CallbackQueryHandler, ConversationHandler

from handlers.assessment_steps import Ask, ask_text, submit_text
from handlers.callback_data import an_id
from handlers.context import Context, RedPropApplication, wake_outbox
from handlers.pending_input import WRITING, PendingInput
from handlers.quarters import QUARTER_PATTERN
from handlers.replies import refuse_button
from locales.i18n import gettext as _
from locales.i18n import refusal_text
from models.directory.people import find_person_by_telegram_id
from models.refusal import Refused

logger = logging.getLogger(__name__)

PENDING_KEY = "assessment_input"
QUESTION = PendingInput(PENDING_KEY)


ID = r"\d{1,12}"
PATTERN = rf"^(g:(ok|no|un):{ID}|a:ap:{ID}:{ID}|a:(up|rj):{ID}|d:(ok|no):{ID}|rk:re:{QUARTER_PATTERN})$"


def parse(data: str) -> tuple[Ask, list[str]] | None:
    """``a:ap:3:7`` → (Ask.APPEAL, ["3", "7"]): ids as the bot writes them; anything else → None."""
    parts = data.split(":")
    try:
        ask = Ask(":".join(parts[:2]))
    except ValueError:
        return None
    args = parts[2:]
    if ask != Ask.RERUN and not (args and all(an_id(arg) is not None for arg in args)):
        return None
    return ask, args


def _pending(context: Context) -> tuple[Ask, list[str]] | None:
    pending = QUESTION.question(context)
    if pending is None:
        return None
    try:
        return Ask(pending["ask"]), [str(arg) for arg in pending["args"]]
    except (KeyError, TypeError, ValueError):
        return None


async def ask_for_text(update: Update, context: Context) -> int | None:
    """Check the press in the domain, then ask for the note, reason or appeal it needs."""
    query = update.callback_query
    user = update.effective_user
    parsed = parse(query.data or "") if query is not None else None
    if query is None or user is None or parsed is None:
        await refuse_button(update, context)
        return None
    ask, args = parsed
    try:
        async with context.db.read() as session:
            person = await find_person_by_telegram_id(session=session, telegram_id=user.id)
            if person is None:  # someone the bot has never met pressed a forwarded or forged button
                await refuse_button(update, context)
                return None
            prompt = await ask_text(
                session=session, person=person, ask=ask, args=args, settings=context.settings
            )
    except Refused as refused:
        # An input already pending stays pending.
        await query.answer(refusal_text(refused), show_alert=True)
        return None
    QUESTION.remember(context, ask=ask.value, args=args)
    await query.answer()
    await context.bot.send_message(user.id, prompt)
    return WRITING


async def receive_text(update: Update, context: Context) -> int:
    """Take the typed note, reason or appeal."""
    message = update.effective_message
    if message is None or message.text is None:
        return WRITING
    return await _submit(update, context, message.text, None)


async def receive_photo(update: Update, context: Context) -> int:
    """Take an appeal sent as a photo with its text as the caption."""
    message = update.effective_message
    pending = _pending(context)
    if message is None or not message.photo or pending is None:
        return await QUESTION.lost(update, context)
    if pending[0] != Ask.APPEAL:
        await message.reply_text(_("Please send this as text, or /cancel."))
        return WRITING
    if not (message.caption or "").strip():
        await message.reply_text(_("Please write the appeal as the photo's caption, or /cancel."))
        return WRITING
    return await _submit(update, context, message.caption or "", message.photo[-1].file_id)


async def _submit(update: Update, context: Context, text: str, photo: str | None) -> int:
    """Run the pending operation with this text in one transaction; say what happened."""
    message = update.effective_message
    user = update.effective_user
    pending = _pending(context)
    if message is None or user is None or pending is None:
        return await QUESTION.lost(update, context)
    ask, args = pending
    taken = await QUESTION.taken(update, context, text)
    if taken is None:
        return WRITING
    text = taken
    try:
        async with context.db.write() as session:
            person = await find_person_by_telegram_id(session=session, telegram_id=user.id)
            if person is None:
                return await QUESTION.lost(update, context)
            done = await submit_text(
                session=session,
                person=person,
                ask=ask,
                args=args,
                text=text,
                photo=photo,
                settings=context.settings,
            )
    except Refused as refused:
        QUESTION.forget(context)
        await message.reply_text(refusal_text(refused))
        return ConversationHandler.END
    logger.info("assessment: %s %s by user %s", ask.value, ":".join(args), user.id)
    QUESTION.forget(context)
    wake_outbox(context.application)
    await message.reply_text(done)
    return ConversationHandler.END


async def wrong_input(update: Update, context: Context) -> int:
    """Hint at what is expected when something else arrives."""
    pending = _pending(context)
    appeal = pending is not None and pending[0] == Ask.APPEAL
    hint = _("Please send text, or a photo with the text as its caption, or /cancel.") if appeal else None
    return await QUESTION.hint(update, context, photo_hint=hint)


def conversation() -> ConversationHandler[Any]:
    entry = CallbackQueryHandler(ask_for_text, pattern=PATTERN)
    handler: ConversationHandler[Any] = QUESTION.conversation(
        entry=entry, text=receive_text, photo=receive_photo, other=wrong_input
    )
    return handler


def register(application: RedPropApplication) -> None:
    application.add_handler(conversation())
