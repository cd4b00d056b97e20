"""What the bot answers at all: buttons and commands in private chats, and commands addressed to it.

Residents' details never belong in a group, so a button pressed on a message outside a private
chat (which needs a crafted client: the bot puts no buttons in groups) is refused like a stale
one, and in a group or channel a command addressed to this bot gets only the pointer to the
private chat. A command addressed to another bot (``/start@otherbot``) is left to that bot,
in any chat. Registered right after the locale, so nothing further runs for what it stops.
"""

from __future__ import annotations

import logging

from telegram import Message, Update
from telegram.constants import ChatType
from telegram.ext import ApplicationHandlerStop, TypeHandler

from handlers.context import Context, RedPropApplication
from handlers.replies import refuse_button
from locales.i18n import gettext as _

logger = logging.getLogger(__name__)

GUARD_GROUP = -90  # after the locale (-100), before everything else


def addressed_elsewhere(message: Message, username: str) -> bool:
    """Whether the message is a command written ``/command@somebot`` for a bot other than this one."""
    text = message.text or message.caption or ""
    if not text.startswith("/"):
        return False
    command = text.split(maxsplit=1)[0]
    _command, at, bot = command.partition("@")
    return bool(at) and bot.lower() != username.lower()


async def guard(update: Update, context: Context) -> None:
    """Stop what is not for this bot here, before any feature sees it."""
    query = update.callback_query
    if query is not None:
        message = query.message
        if message is None or message.chat.type != ChatType.PRIVATE:
            logger.info("a button pressed outside a private chat was refused (user %s)", query.from_user.id)
            await refuse_button(update, context)
            raise ApplicationHandlerStop
        return
    message = update.effective_message
    chat = update.effective_chat
    if message is None or chat is None:
        return
    if addressed_elsewhere(message, context.bot.username or ""):
        raise ApplicationHandlerStop
    if chat.type == ChatType.PRIVATE:
        return
    if (message.text or "").startswith("/"):
        link = f"https://t.me/{context.bot.username}" if context.bot.username else ""
        await message.reply_text(_("Please write to me in a private chat: {link}").format(link=link).strip())
    raise ApplicationHandlerStop


def register(application: RedPropApplication) -> None:
    application.add_handler(TypeHandler(Update, guard), group=GUARD_GROUP)
