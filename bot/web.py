"""The bot's HTTP server (aiohttp): the webhook in webhook mode, /healthz and /metrics.

In webhook mode (``redprop run --webhook``, bot/webhook.py) Telegram posts each update to the
path of ``telegram.webhook_url``; a request without the secret token set with the webhook is
refused with 403 and its body is not read. An update is put on the application's update queue,
in the order the requests arrive, and only then answered with 200, so Telegram resends what the
bot never took; one posted again after its answer was lost is taken once. Telegram sends one
chat's updates one at a time (the next after the answer to the one before), so the queue holds
them in the chat's order, and the update processor (bot/updates.py) handles each user's
updates in queue order, as it does those of getUpdates.

In polling mode the server runs only when ``health.port`` is set, for /healthz and /metrics.
"""

from __future__ import annotations

import hmac
import json
import logging
from collections import deque
from dataclasses import dataclass

from aiohttp import web
from telegram import Update

from bot.health import ApiWatch, health
from bot.metrics import CONTENT_TYPE, Metrics
from handlers.context import RedPropApplication
from storage.database import Database

logger = logging.getLogger(__name__)

WEB_KEY = "redprop.web"  # the application's WebServer, in bot_data
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
MAX_UPDATE_BYTES = 1024 * 1024  # an update is a few kilobytes; Telegram sends nothing near this
# Update ids remembered, to take an update Telegram posts again (its answer lost) only once.
REMEMBERED_UPDATES = 10_000


class ListenError(Exception):
    """The server could not listen (a port in use, or an address not this machine's)."""


@dataclass(frozen=True)
class WebhookRoute:
    path: str
    secret_token: str


class WebServer:
    """Serves /healthz, /metrics and, given a :class:`WebhookRoute`, Telegram's updates."""

    def __init__(
        self,
        application: RedPropApplication,
        *,
        database: Database,
        watch: ApiWatch,
        metrics: Metrics,
        listen: str,
        port: int,
        webhook: WebhookRoute | None = None,
    ) -> None:
        self.application = application
        self.database = database
        self.watch = watch
        self.metrics = metrics
        self.listen = listen
        self.port = port
        self.webhook = webhook
        self._runner: web.AppRunner | None = None
        self._seen: set[int] = set()
        self._seen_order: deque[int] = deque()

    def _routes(self) -> web.Application:
        app = web.Application(client_max_size=MAX_UPDATE_BYTES)
        app.router.add_get("/healthz", self.healthz)
        app.router.add_get("/metrics", self.scrape)
        if self.webhook is not None:
            app.router.add_post(self.webhook.path, self.receive)
        return app

    async def start(self) -> None:
        """Listen, or raise :class:`ListenError`: the bot does not start without its server."""
        if self._runner is not None:
            return
        runner = web.AppRunner(self._routes(), access_log=None, handle_signals=False)
        await runner.setup()
        try:
            await web.TCPSite(runner, self.listen, self.port, reuse_address=True).start()
        except OSError as error:
            await runner.cleanup()
            raise ListenError(f"{self.listen}:{self.port}: {error.strerror or error}") from error
        self._runner = runner
        logger.info("listening on %s:%d", self.listen, self.port)

    async def stop(self) -> None:
        """Stop listening; requests under way are answered first. Safe to call twice."""
        runner, self._runner = self._runner, None
        if runner is not None:
            await runner.cleanup()

    async def receive(self, request: web.Request) -> web.Response:
        """One update from Telegram: onto the update queue, then 200."""
        assert self.webhook is not None
        given = request.headers.get(SECRET_HEADER, "")
        if not hmac.compare_digest(given.encode(), self.webhook.secret_token.encode()):
            logger.warning("webhook request without the right secret token from %s", request.remote)
            return web.Response(status=403)
        try:
            data = await request.json()
            if not isinstance(data, dict) or "update_id" not in data:
                raise ValueError("not a JSON object with an update_id")
            update = Update.de_json(data, self.application.bot)
        except (ValueError, TypeError, KeyError, AttributeError) as error:
            logger.warning("webhook request with a body that is not an update: %s", error)
            return web.Response(status=400)
        if self._first_time(update.update_id):
            await self.application.update_queue.put(update)
        return web.Response(status=200)

    def _first_time(self, update_id: int) -> bool:
        """Whether this update is new (not one of the last :data:`REMEMBERED_UPDATES` taken)."""
        if update_id in self._seen:
            logger.info("update %d was posted again; it was taken already", update_id)
            return False
        self._seen.add(update_id)
        self._seen_order.append(update_id)
        if len(self._seen_order) > REMEMBERED_UPDATES:
            self._seen.discard(self._seen_order.popleft())
        return True

    async def healthz(self, request: web.Request) -> web.Response:
        status, body = await health(self.database, self.watch)
        return web.Response(
            status=status, text=json.dumps(body, ensure_ascii=False), content_type="application/json"
        )

    async def scrape(self, request: web.Request) -> web.Response:
        body = await self.metrics.render(self.database)
        return web.Response(body=body, headers={"Content-Type": CONTENT_TYPE})
