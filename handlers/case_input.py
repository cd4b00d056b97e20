"""The card buttons that need words: not our responsibility, duplicate of…, progress note, resolve.

A tap on ``c:reject|duplicate|note|resolve:<id>`` asks for the text (or a photo with a caption),
remembering the pending action in ``user_data["case_input"]``; the answer runs the domain
operation in one transaction. /cancel leaves the case as it was.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from telegram import Update
from telegram.error import BadRequest
from telegram.ext import CallbackQueryHandler, ConversationHandler

from handlers.context import Context, RedPropApplication, wake_outbox
from handlers.outgoing.cards import CASE_PREFIX, case_card, parse_action_data
from handlers.pending_input import WRITING, PendingInput
from handlers.replies import refuse_button
from locales.i18n import N_, refusal_text
from locales.i18n import gettext as _
from models.base import utcnow
from models.cases.access import Action, case_for_action
from models.cases.actions import NOT_A_DUPLICATE, add_note, mark_duplicate, reject_case
from models.cases.tables import Case
from models.cases.timeline import NOT_ALLOWED
from models.directory.people import find_person_by_telegram_id
from models.refusal import Refused
from models.surveys.scheduling import resolve_and_schedule_survey

logger = logging.getLogger(__name__)

PENDING_KEY = "case_input"
QUESTION = PendingInput(
    PENDING_KEY,
    cancelled=N_("Cancelled. The case is unchanged."),
    expired=N_("This step has expired. Use /cases to open the case again."),
)

PROMPTS: dict[Action, str] = {
    Action.REJECT: N_(
        "Case {number}: why is it not our responsibility? Send the reason as text; "
        "the case goes back to the street property office. /cancel keeps the case as it is."
    ),
    Action.DUPLICATE: N_(
        "Case {number}: send the number of the open case it duplicates (like {example}). "
        "/cancel keeps the case as it is."
    ),
    Action.NOTE: N_(
        "Case {number}: send the progress note as text, or a photo with a caption. "
        "The resident will see it. /cancel keeps the case as it is."
    ),
    Action.RESOLVE: N_(
        "Case {number}: send the resolution note as text, or a photo with the note as its caption. "
        "/cancel keeps the case as it is."
    ),
}
DONE: dict[Action, str] = {
    Action.REJECT: N_("Case {number} went back to the street property office."),
    Action.DUPLICATE: N_("Case {number} is marked as a duplicate of {original}; the resident is told."),
    Action.NOTE: N_("Your note is added to case {number}; the resident is told."),
    Action.RESOLVE: N_("Case {number} is resolved; the resident is told."),
}
PHOTO_ACTIONS = frozenset({Action.NOTE, Action.RESOLVE})


def _pending(context: Context) -> tuple[Action, int, dict[str, Any]] | None:
    """The pending action, its case id and the stored dict; None if nothing (valid) is pending."""
    pending = QUESTION.question(context)
    if pending is None:
        return None
    try:
        return Action(pending["action"]), int(pending["case_id"]), pending
    except (KeyError, TypeError, ValueError):
        return None


async def ask_for_input(update: Update, context: Context) -> int | None:
    """Ask for the reason, number, note or resolution the tapped button needs."""
    query = update.callback_query
    user = update.effective_user
    parsed = parse_action_data(query.data or "") if query is not None else None
    if query is None or user is None or parsed is None or parsed[0] not in PROMPTS:
        await refuse_button(update, context)
        return None
    action, case_id = parsed
    try:
        async with context.db.read() as session:
            person = await find_person_by_telegram_id(session=session, telegram_id=user.id)
            if person is None:
                raise Refused(NOT_ALLOWED)
            case = await case_for_action(session=session, case_id=case_id, person=person, action=action)
            number = case.number
    except Refused as refused:
        # An input already pending stays pending.
        if refused.message == NOT_ALLOWED:
            await refuse_button(update, context)  # not theirs: the same answer as a forged button
        else:
            await query.answer(refusal_text(refused), show_alert=True)
        return None
    message_id = query.message.message_id if query.message is not None else None
    QUESTION.remember(context, action=action.value, case_id=case_id, message_id=message_id)
    await query.answer()
    example = number.rsplit("-", 1)[0] + "-000001"
    await context.bot.send_message(user.id, _(PROMPTS[action]).format(number=number, example=example))
    return WRITING


async def receive_text(update: Update, context: Context) -> int:
    """Take the typed reason, number, note or resolution."""
    message = update.effective_message
    if message is None or message.text is None:
        return WRITING
    return await _submit(update, context, message.text, [])


async def receive_photo(update: Update, context: Context) -> int:
    """Take a photo with its caption as a note or a resolution."""
    message = update.effective_message
    pending = _pending(context)
    if message is None or not message.photo or pending is None:
        return await QUESTION.lost(update, context)
    action = pending[0]
    if action not in PHOTO_ACTIONS:
        await message.reply_text(_("Please send this as text, or /cancel."))
        return WRITING
    caption = message.caption or ""
    if action == Action.RESOLVE and not caption.strip():
        await message.reply_text(_("Please add the resolution note as the photo's caption, or /cancel."))
        return WRITING
    return await _submit(update, context, caption, [message.photo[-1].file_id])


async def _submit(update: Update, context: Context, text: str, photos: list[str]) -> int:
    """Run the pending action with this text in one transaction; report what happened."""
    message = update.effective_message
    user = update.effective_user
    pending = _pending(context)
    if message is None or user is None or pending is None:
        return await QUESTION.lost(update, context)
    action, case_id, stored = pending
    taken = await QUESTION.taken(update, context, text, photos=bool(photos))
    if taken is None:
        return WRITING
    text = taken
    calls: dict[Action, tuple[Callable[..., Awaitable[Case]], dict[str, Any]]] = {
        Action.REJECT: (reject_case, {"reason": text}),
        Action.DUPLICATE: (mark_duplicate, {"original_number": text}),
        Action.NOTE: (add_note, {"text": text, "photo_file_ids": photos}),
        Action.RESOLVE: (
            resolve_and_schedule_survey,
            {"note": text, "photo_file_ids": photos, "delays": context.settings.surveys.delay},
        ),
    }
    operation, arguments = calls[action]
    try:
        async with context.db.write() as session:
            actor = await find_person_by_telegram_id(session=session, telegram_id=user.id)
            if actor is None:
                raise Refused(NOT_ALLOWED)
            case = await operation(session=session, case_id=case_id, actor=actor, now=utcnow(), **arguments)
            number = case.number
            original = None
            if case.duplicate_of_id is not None:
                original_case = await session.get(Case, case.duplicate_of_id)
                original = original_case.number if original_case is not None else None
    except Refused as refused:
        if action == Action.DUPLICATE and refused.message == NOT_A_DUPLICATE:
            await message.reply_text(
                refusal_text(refused) + "\n" + _("Send another case number, or /cancel.")
            )
            return WRITING
        QUESTION.forget(context)
        await message.reply_text(refusal_text(refused))
        return ConversationHandler.END
    logger.info("case %s: %s by user %s", case_id, action.value, user.id)
    QUESTION.forget(context)
    wake_outbox(context.application)
    await message.reply_text(_(DONE[action]).format(number=number, original=original or text))
    await _redraw_card(context, user.id, case_id, stored.get("message_id"))
    return ConversationHandler.END


async def _redraw_card(context: Context, telegram_id: int, case_id: int, message_id: object) -> None:
    """Update the card the button was on, so it shows the case as it is now."""
    if not isinstance(message_id, int):
        return
    async with context.db.read() as session:
        person = await find_person_by_telegram_id(session=session, telegram_id=telegram_id)
        case = await session.get(Case, case_id)
        if person is None or case is None:
            return
        text, keyboard = await case_card(session=session, case=case, viewer=person, now=utcnow())
    try:
        await context.bot.edit_message_text(
            text, chat_id=telegram_id, message_id=message_id, reply_markup=keyboard
        )
    except BadRequest as error:
        # An old or photo message: the reply above already says what happened.
        logger.info("could not redraw the card of case %s: %s", case_id, error)


async def wrong_input(update: Update, context: Context) -> int:
    """Hint at what is expected when something else arrives."""
    pending = _pending(context)
    takes_photos = pending is not None and pending[0] in PHOTO_ACTIONS
    hint = _("Please send text, or a photo with a caption, or /cancel.") if takes_photos else None
    return await QUESTION.hint(update, context, photo_hint=hint)


def conversation() -> ConversationHandler[Context]:
    actions = "|".join(action.value for action in PROMPTS)
    entry = CallbackQueryHandler(ask_for_input, pattern=rf"^{CASE_PREFIX}:({actions}):\d+$")
    handler: ConversationHandler[Context] = QUESTION.conversation(
        entry=entry, text=receive_text, photo=receive_photo, other=wrong_input
    )
    return handler


def register(application: RedPropApplication) -> None:
    application.add_handler(conversation())
