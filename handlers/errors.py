"""The global error handler: log the traceback, apologise to the user if nothing was done, keep serving.

An update that committed its write transaction before failing (the case was accepted, only the
card's edit was refused) did what the user asked: an apology would make them try again, so the
error is logged and the user told nothing; the next message they get shows the new state.
"""

from __future__ import annotations

import logging

from telegram import Update
from telegram.constants import ChatType
from telegram.error import Forbidden, TelegramError
from telegram.ext import CallbackQueryHandler, TypeHandler

from handlers.context import Context, RedPropApplication
from handlers.replies import refuse_button
from locales.i18n import gettext as _
from models.directory.people import mark_unreachable
from storage.commits import committed_since_start, start_counting

logger = logging.getLogger(__name__)

# Before every other handler: each update starts counting its own commits.
FIRST_GROUP = -(10**6)


async def begin_update(update: Update, context: Context) -> None:
    """Count this update's committed writes, for :func:`on_error`."""
    start_counting()


async def on_error(update: object, context: Context) -> None:
    """Log what failed and tell the user, briefly and in their language."""
    chat = update.effective_chat if isinstance(update, Update) else None
    if isinstance(context.error, Forbidden) and chat is not None and chat.type == ChatType.PRIVATE:
        # The user blocked the bot: nothing to say to them, only to remember it.
        logger.info("user %s blocked the bot", chat.id)
        async with context.db.write() as session:
            await mark_unreachable(session=session, telegram_id=chat.id)
        return
    update_id = update.update_id if isinstance(update, Update) else None
    if committed_since_start():
        logger.error(
            "error while handling update %s, after its change was saved: the user is not told",
            update_id,
            exc_info=context.error,
        )
        return
    logger.error("error while handling update %s", update_id, exc_info=context.error)
    if chat is None or chat.type != ChatType.PRIVATE:
        return
    try:
        await context.bot.send_message(
            chat.id, _("Sorry, something went wrong on our side. Please try again in a moment.")
        )
    except TelegramError as error:
        logger.warning("could not send the apology to %s: %s", chat.id, error)


def register(application: RedPropApplication) -> None:
    application.add_error_handler(on_error)
    application.add_handler(TypeHandler(Update, begin_update), group=FIRST_GROUP)
    # Registered last in the default group: a button no feature claimed is stale or forged.
    application.add_handler(CallbackQueryHandler(refuse_button))
