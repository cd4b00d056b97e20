"""The outbox sender's side of the Bot API: its own bot, and one call per rendered part."""

from __future__ import annotations

import os
import secrets
import socket

from telegram import Bot, InputMediaPhoto
from telegram.request import BaseRequest

from bot.outbox.pacing import TELEGRAM_PER_SECOND
from bot.ptb_compat import use_timedelta_periods
from bot.telegram_http import bot_api_request
from config.settings import Settings
from handlers.outgoing import Outgoing


def worker_id() -> str:
    """A name for this process's claims, unique even for two processes on one host."""
    return f"{socket.gethostname()[:32]}:{os.getpid()}:{secrets.token_hex(4)}"


def sender_bot(settings: Settings, request: BaseRequest | None = None) -> Bot:
    """A bot for the sender alone: same token, API and HTTP client, no rate limiter of its own."""
    use_timedelta_periods()  # before any RetryAfter is made (bot/ptb_compat.py)
    # A connection for each send of a second's budget, and two to spare. The client never
    # resends a send on its own (bot/telegram_http.py): the sender decides, and counts it.
    pool = TELEGRAM_PER_SECOND + 2
    return Bot(
        settings.telegram.token.get_secret_value(),
        base_url=settings.telegram.base_url,
        base_file_url=settings.telegram.base_file_url,
        request=request or bot_api_request(settings.telegram.http_client, connection_pool_size=pool),
    )


def method_of(part: Outgoing) -> str:
    """The Bot API method :func:`send_part` calls for the part (for the log)."""
    if part.document is not None:
        return "sendDocument"
    if part.photo_file_ids:
        return "sendPhoto" if len(part.photo_file_ids) == 1 else "sendMediaGroup"
    return "sendMessage"


def without_photos(part: Outgoing, note: str) -> Outgoing | None:
    """The part as text, its photos left out (None: it had nothing else), the note added."""
    if not part.text:
        return None
    return Outgoing(text=f"{part.text}\n{note}" if note else part.text, reply_markup=part.reply_markup)


async def send_part(bot: Bot, chat: int, part: Outgoing) -> int:
    """One API call; returns the id of the (first) message it created."""
    if part.document is not None:
        sent = await bot.send_document(
            chat,
            part.document.content,
            filename=part.document.filename,
            caption=part.text or None,
            reply_markup=part.reply_markup,
        )
        return sent.message_id
    photos = part.photo_file_ids
    if len(photos) == 1:
        sent = await bot.send_photo(
            chat, photos[0], caption=part.text or None, reply_markup=part.reply_markup
        )
        return sent.message_id
    if photos:
        media = [InputMediaPhoto(file_id) for file_id in photos]
        group = await bot.send_media_group(chat, media, caption=part.text or None)
        return group[0].message_id
    sent = await bot.send_message(chat, part.text, reply_markup=part.reply_markup)
    return sent.message_id
