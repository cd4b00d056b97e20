"""Delivering the outbox inside handler tests, where the background sender is turned off."""

from __future__ import annotations

from datetime import timedelta

from bot.outbox.sender import OutboxSender
from bot.outbox.transport import sender_bot
from config.settings import Settings
from handlers.context import DB_KEY, SETTINGS_KEY, RedPropApplication


async def deliver_outbox(app: RedPropApplication) -> None:
    """Send every due outbox row now, through the app's fake Bot API, without per-chat waits."""
    settings: Settings = app.bot_data[SETTINGS_KEY]
    outbox = settings.outbox.model_copy(update={"per_chat_interval": timedelta(0), "rate": 30.0})
    fast = settings.model_copy(update={"outbox": outbox})
    # The app's request is the in-process fake: sharing it (and shutting it down) is harmless.
    bot = sender_bot(fast, app.bot.request)
    sender = OutboxSender(database=app.bot_data[DB_KEY], bot=bot, settings=fast, poll_interval=0.01)
    await sender.run_until_idle()
