"""``redprop run --webhook``: Telegram posts updates to the bot instead of the bot polling for them.

python-telegram-bot's own webhook server (``Application.run_webhook``) serves nothing but the
updates, so the bot follows PTB's "custom webhook" pattern instead: its own aiohttp server
(bot/web.py) takes the updates, checks the secret token and feeds them to
``application.update_queue``, next to /healthz and /metrics on the same port. The life cycle
is ``run_polling``'s, with the webhook in place of getUpdates:

1. initialize (getMe), the start-up hook (command menus, outbox worker, jobs), start handling;
2. listen, then ``setWebhook`` with the secret token (Telegram sends what waited meanwhile);
3. on SIGINT or SIGTERM stop listening, so no update is taken that would not be handled, then
   finish the updates already taken and shut down as polling does.

The webhook stays set when the bot stops, so Telegram keeps the updates of a restart and
delivers them to the next start; ``--delete-webhook-on-stop`` removes it (before switching to
polling, say; ``redprop run`` in polling mode removes it itself).
"""

from __future__ import annotations

import asyncio
import logging
import signal
from collections.abc import Callable
from urllib.parse import urlsplit

from telegram import Update

from bot.web import WEB_KEY, WebhookRoute, WebServer
from config.settings import Settings
from handlers.context import RedPropApplication

logger = logging.getLogger(__name__)


def webhook_route(settings: Settings) -> WebhookRoute:
    """Where the bot listens for updates: the path of the public URL (a proxy passes it on)."""
    path = urlsplit(settings.telegram.webhook_url).path or "/"
    return WebhookRoute(path=path, secret_token=settings.telegram.webhook_secret_token.get_secret_value())


async def serve_webhook(
    application: RedPropApplication,
    settings: Settings,
    *,
    delete_on_stop: Callable[[], bool],
    stopping: asyncio.Event | None = None,
) -> None:
    """Run the bot on the webhook until SIGINT or SIGTERM (or until ``stopping`` is set); at the
    stop, delete the webhook if ``delete_on_stop()`` says so then (not when another instance has
    taken over: the webhook is now its)."""
    stopping = stopping if stopping is not None else asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stopping.set)
    server: WebServer = application.bot_data[WEB_KEY]
    try:
        await application.initialize()
        if application.post_init is not None:
            await application.post_init(application)  # starts the server too (bot/app.py)
        await application.start()
        telegram = settings.telegram
        await application.bot.set_webhook(
            telegram.webhook_url,
            secret_token=telegram.webhook_secret_token.get_secret_value(),
            allowed_updates=Update.ALL_TYPES,
        )
        logger.info("webhook set; receiving updates on port %d", telegram.webhook_port)
        await stopping.wait()
        logger.debug("stop signal received; shutting down")
    finally:
        await server.stop()
        if delete_on_stop():
            await _delete_webhook(application)
        if application.running:
            await application.stop()
            if application.post_stop is not None:
                await application.post_stop(application)
        await application.shutdown()
        if application.post_shutdown is not None:
            await application.post_shutdown(application)


async def _delete_webhook(application: RedPropApplication) -> None:
    try:
        await application.bot.delete_webhook()
        logger.info("webhook deleted")
    except Exception as error:  # stopping goes on: the next start sets or deletes it anyway
        logger.warning("could not delete the webhook: %s", error)
