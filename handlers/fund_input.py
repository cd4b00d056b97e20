"""The fund's buttons that need words or a photo: the office's decisions (each with a note; a
partial approval with its amount first) and the applicant's answer or quote.

A tap on ``fa:ok|pt|no|mi:<id>`` (approve, approve a part, reject, ask for more: the office) or
``fa:re|ph:<id>`` (answer the office, add a quote or photo: the applicant) is checked in the
domain at once and asks for the input, remembered in ``user_data["fund_input"]``; the input runs
the domain operation in one transaction. A stale or doubled button is refused there and changes
nothing. /cancel drops the question.
"""

from __future__ import annotations

import logging
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession
from telegram import Update
from telegram.ext import CallbackQueryHandler, ConversationHandler

from handlers.callback_data import an_id, fields, one_of
from handlers.context import Context, RedPropApplication, wake_outbox
from handlers.outgoing.fund import PREFIX, applicant_keyboard, application_text
from handlers.pending_input import WRITING, PendingInput
from locales.i18n import N_, refusal_text
from locales.i18n import gettext as _
from models.base import utcnow
from models.directory.people import find_person_by_telegram_id
from models.directory.tables import Person
from models.fund.applications import NO_SUCH_APPLICATION, add_photo, give_information, own_application
from models.fund.decisions import Decision, application_to_decide, decide_application
from models.fund.money import parse_yuan
from models.fund.tables import FundStatus
from models.refusal import Refused

logger = logging.getLogger(__name__)

QUESTION = PendingInput("fund_input")
OFFICE_ACTIONS: dict[str, Decision] = {
    "ok": Decision.APPROVE,
    "pt": Decision.PARTLY,
    "no": Decision.REJECT,
    "mi": Decision.ASK_MORE,
}
APPLICANT_ACTIONS = ("re", "ph")
PROMPTS = {
    "ok": N_(
        "Approve application #{number} in full? Send a note for the applicant (required). "
        "/cancel changes nothing."
    ),
    "pt": N_(
        "How much of application #{number} do you approve? Send the amount in yuan, then the note, "
        "like: 8000 Two roofs this year, the third next year. /cancel changes nothing."
    ),
    "no": N_(
        "Reject application #{number}? Send the reason for the applicant (required). /cancel changes nothing."
    ),
    "mi": N_("What more do you need for application #{number}? Send your question. /cancel changes nothing."),
    "re": N_("Send your answer to the office's question on application #{number}. /cancel changes nothing."),
    "ph": N_("Send the quote or photo for application #{number}. /cancel changes nothing."),
}
DONE = {
    "ok": N_("Approved. The applicant is told."),
    "pt": N_("Partly approved. The applicant is told."),
    "no": N_("Rejected. The applicant is told."),
    "mi": N_("Asked. The application waits for the applicant's answer."),
    "re": N_("Sent. The application is with the office again."),
}
PART_FORMAT = N_("Send the amount in yuan first, then the note, like: 8000 Two roofs this year.")
PROMPT_TEXT = N_("Please send this as text, or /cancel.")


def _parse(data: str | None) -> tuple[str, int] | None:
    parts = fields(data, PREFIX, 2)
    action = one_of(parts[0], (*OFFICE_ACTIONS, *APPLICANT_ACTIONS)) if parts else None
    application_id = an_id(parts[1]) if parts else None
    return (action, application_id) if action is not None and application_id is not None else None


async def _check(session: AsyncSession, person: Person | None, action: str, application_id: int) -> None:
    """Refuse the press now if the input could not be taken later."""
    if person is None:
        raise Refused(NO_SUCH_APPLICATION)
    if action in OFFICE_ACTIONS:
        await application_to_decide(session=session, application_id=application_id, admin=person)
    else:
        allowed = {"re": {FundStatus.NEEDS_INFO}, "ph": {FundStatus.DRAFT, FundStatus.NEEDS_INFO}}[action]
        await own_application(
            session=session, application_id=application_id, applicant=person, allowed=frozenset(allowed)
        )


async def ask(update: Update, context: Context) -> int | None:
    """Check the press in the domain, then ask for what it needs."""
    parsed = await QUESTION.pressed(update, context, _parse)
    if parsed is None:
        return None
    action, number = parsed
    return await QUESTION.ask(
        update,
        context,
        lambda session, person: _check(session, person, action, number),
        _(PROMPTS[action]).format(number=number),
        action=action,
        id=number,
    )


def _pending(context: Context) -> tuple[str, int] | None:
    pending = QUESTION.question(context)
    if pending is None:
        return None
    return _parse(f"{PREFIX}:{pending.get('action')}:{pending.get('id')}")


async def _run(
    session: AsyncSession,
    person: Person,
    pending: tuple[str, int],
    text: str,
    part_fen: int | None,
    context: Context,
) -> str:
    """The operation the pending input was for; what to say when it is done."""
    action, application_id = pending
    now = utcnow()
    if action == "re":
        await give_information(
            session=session, application_id=application_id, applicant=person, text=text, now=now
        )
    else:
        await decide_application(
            session=session,
            application_id=application_id,
            admin=person,
            decision=OFFICE_ACTIONS[action],
            note=text,
            now=now,
            tz=context.settings.bot.tzinfo,
            budgets=context.settings.fund.budget_fen,
            part_fen=part_fen,
        )
    return _(DONE[action])


def _amount_and_note(text: str) -> tuple[int, str]:
    """``8000 the note`` → (800000 fen, "the note"); refused with the format otherwise."""
    amount, note = [*text.split(maxsplit=1), "", ""][:2]  # any space, the full-width one too
    part_fen = parse_yuan(amount)
    if not note.strip():
        raise Refused(PART_FORMAT)
    return part_fen, note.strip()


async def receive_text(update: Update, context: Context) -> int:
    """Take the note, amount and note, or answer."""
    message, user, pending = update.effective_message, update.effective_user, _pending(context)
    if message is None or user is None or pending is None or message.text is None:
        return await QUESTION.lost(update, context)
    action, application_id = pending
    typed = await QUESTION.typed_as(
        update,
        context,
        lambda text: _amount_and_note(text) if action == "pt" else (None, text),
        photo_wanted=action == "ph",
    )
    if typed is None:
        return WRITING
    part_fen, text = typed
    try:
        async with context.db.write() as session:
            person = await find_person_by_telegram_id(session=session, telegram_id=user.id)
            if person is None:
                raise Refused(NO_SUCH_APPLICATION)
            done = await _run(session, person, pending, text, part_fen, context)
    except Refused as refused:  # the application moved on, or the budget is short: asked again only by a tap
        QUESTION.forget(context)
        await message.reply_text(refusal_text(refused))
        return ConversationHandler.END
    logger.info("fund: %s application %s by user %s", action, application_id, user.id)
    QUESTION.forget(context)
    wake_outbox(context.application)
    await message.reply_text(done)
    return ConversationHandler.END


async def receive_photo(update: Update, context: Context) -> int:
    """Attach the quote or photo to the application."""
    message, user, pending = update.effective_message, update.effective_user, _pending(context)
    if message is None or user is None or pending is None or not message.photo:
        return await QUESTION.lost(update, context)
    action, application_id = pending
    if action != "ph":
        await message.reply_text(_(PROMPT_TEXT))
        return WRITING
    try:
        async with context.db.write() as session:
            person = await find_person_by_telegram_id(session=session, telegram_id=user.id)
            if person is None:
                raise Refused(NO_SUCH_APPLICATION)
            application = await add_photo(
                session=session,
                application_id=application_id,
                applicant=person,
                file_id=message.photo[-1].file_id,
                now=utcnow(),
            )
            text = await application_text(session, application)
    except Refused as refused:
        await message.reply_text(refusal_text(refused))
    else:
        await message.reply_text(_("Added.") + "\n\n" + text, reply_markup=applicant_keyboard(application))
    QUESTION.forget(context)
    return ConversationHandler.END


def conversation() -> Any:
    entry = CallbackQueryHandler(ask, pattern=rf"^{PREFIX}:(ok|pt|no|mi|re|ph):\d{{1,12}}$")
    return QUESTION.conversation(entry=entry, text=receive_text, photo=receive_photo)


def register(application: RedPropApplication) -> None:
    application.add_handler(conversation())
