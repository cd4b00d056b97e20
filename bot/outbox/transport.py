"""The outbox sender's side of the Bot API: its own bot, one call per rendered part, 429 wait times."""

from __future__ import annotations

import os
import secrets
import socket
from datetime import timedelta

from telegram import Bot, InputMediaPhoto
from telegram.error import RetryAfter
from telegram.request import BaseRequest, HTTPXRequest

from bot.outbox.pacing import TELEGRAM_PER_SECOND
from config.settings import Settings
from handlers.outgoing import Outgoing


def worker_id() -> str:
    """A name for this process's claims, unique even for two processes on one host."""
    return f"{socket.gethostname()[:32]}:{os.getpid()}:{secrets.token_hex(4)}"


def sender_bot(settings: Settings, request: BaseRequest | None = None) -> Bot:
    """A bot for the sender alone: same token and API, no rate limiter of its own."""
    return Bot(
        settings.telegram.token.get_secret_value(),
        base_url=settings.telegram.base_url,
        base_file_url=settings.telegram.base_file_url,
        request=request or HTTPXRequest(connection_pool_size=TELEGRAM_PER_SECOND + 2),
    )


def retry_seconds(error: RetryAfter) -> float:
    # The timedelta PTB keeps inside; the public int attribute warns of its coming change.
    value = getattr(error, "_retry_after", None)
    if isinstance(value, timedelta):
        return value.total_seconds()
    return float(error.retry_after)  # type: ignore[arg-type]


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
