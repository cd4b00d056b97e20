"""Extending an escalated case's deadline: ``e:ext:<case id>`` asks for the days and the reason.

The answer ("3 waiting for parts") runs the domain operation in one transaction; a missing
reason is refused and asked again; /cancel leaves the case as it was.
"""

from __future__ import annotations

import logging
import warnings

from telegram import Update
from telegram.ext import CallbackQueryHandler, CommandHandler, ConversationHandler, MessageHandler, filters
from telegram.warnings import PTBUserWarning

from handlers.context import Context, RedPropApplication, wake_outbox
from handlers.outgoing.escalation import OVERSIGHT_PREFIX
from handlers.oversight import parse
from handlers.replies import refuse_button
from locales.i18n import gettext as _
from locales.i18n import refusal_text
from models.base import utcnow
from models.cases.timeline import NOT_ALLOWED
from models.directory.people import find_person_by_telegram_id
from models.escalation.oversight import (
    BAD_EXTENSION,
    Oversight,
    extend_deadline,
    overseen_case,
    parse_extension,
)
from models.refusal import Refused

logger = logging.getLogger(__name__)

PENDING_KEY = "extension"
WRITING_EXTENSION = 1  # waiting for "<days> <reason>"


async def ask(update: Update, context: Context) -> int | None:
    """Ask for the days and the reason, once the presser may extend the case."""
    query = update.callback_query
    user = update.effective_user
    parsed = parse(query.data if query is not None else None)
    if query is None or user is None or parsed is None or parsed[0] != Oversight.EXTEND:
        await refuse_button(update, context)
        return None
    try:
        async with context.db.read() as session:
            actor = await find_person_by_telegram_id(session=session, telegram_id=user.id)
            if actor is None:
                raise Refused(NOT_ALLOWED)
            case, _level = await overseen_case(session=session, case_id=parsed[1], person=actor, lock=False)
            number = case.number
    except Refused as refused:
        await query.answer(refusal_text(refused), show_alert=True)
        return None
    if context.user_data is not None:
        context.user_data[PENDING_KEY] = parsed[1]
    await query.answer()
    await context.bot.send_message(
        user.id,
        _(
            "Case {number}: by how many days, and why? Like: 3 waiting for parts. /cancel keeps it as it is."
        ).format(number=number),
    )
    return WRITING_EXTENSION


async def receive(update: Update, context: Context) -> int:
    """Extend by the days written, with the reason."""
    message = update.effective_message
    user = update.effective_user
    case_id = context.user_data.get(PENDING_KEY) if context.user_data is not None else None
    if message is None or user is None or message.text is None or not isinstance(case_id, int):
        return ConversationHandler.END
    try:
        days, reason = parse_extension(message.text)
        async with context.db.write() as session:
            actor = await find_person_by_telegram_id(session=session, telegram_id=user.id)
            if actor is None:
                raise Refused(NOT_ALLOWED)
            case = await extend_deadline(
                session=session, case_id=case_id, actor=actor, days=days, reason=reason, now=utcnow()
            )
            number = case.number
    except Refused as refused:
        await message.reply_text(refusal_text(refused))
        return WRITING_EXTENSION if refused.message == BAD_EXTENSION else ConversationHandler.END
    if context.user_data is not None:
        context.user_data.pop(PENDING_KEY, None)
    logger.info("case %s: deadline extended by user %s", case_id, user.id)
    wake_outbox(context.application)
    await message.reply_text(
        _("The deadline of case {number} is extended by {days} days.").format(number=number, days=days)
    )
    return ConversationHandler.END


async def cancel(update: Update, context: Context) -> int:
    """Leave the case as it was."""
    if context.user_data is not None:
        context.user_data.pop(PENDING_KEY, None)
    if update.effective_message is not None:
        await update.effective_message.reply_text(_("Cancelled. The case is unchanged."))
    return ConversationHandler.END


def register(application: RedPropApplication) -> None:
    private = filters.ChatType.PRIVATE
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", category=PTBUserWarning, message=".*per_message.*")
        application.add_handler(
            ConversationHandler(
                entry_points=[
                    CallbackQueryHandler(ask, pattern=rf"^{OVERSIGHT_PREFIX}:{Oversight.EXTEND.value}:\d+$")
                ],
                states={
                    WRITING_EXTENSION: [MessageHandler(private & filters.TEXT & ~filters.COMMAND, receive)]
                },
                fallbacks=[CommandHandler("cancel", cancel, filters=private)],
                name="oversight_input",
                persistent=True,
                allow_reentry=True,
            )
        )
