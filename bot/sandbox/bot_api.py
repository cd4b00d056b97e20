"""The Bot API stand-in over HTTP, on aiohttp: ``/bot<token>/<method>`` and ``/file/bot<token>/<id>``.

:class:`BotApi` hands every call to a :class:`~bot.sandbox.telegram.FakeTelegram` core, so it
records calls, injects failures, refuses what Telegram refuses and queues updates the same way
for the end-to-end tests (tests/fakes/server.py runs it on a thread of the test process) and
for ``redprop sandbox`` (which runs it beside its page). ``getUpdates`` long-polls like
Telegram: it waits up to ``timeout`` seconds for an update to be pushed, from any thread.

With ``limits=RateLimits()`` it answers 429 (with ``retry_after``) to sends beyond Telegram's
broadcast limits; throttled calls are kept in :attr:`BotApi.throttled`, not in
``telegram.calls``, which stays the list of what was delivered.
"""

from __future__ import annotations

import asyncio
import json
import math
import time
from collections import deque
from dataclasses import dataclass
from typing import Any, Protocol

from aiohttp import web

from bot.sandbox.telegram import Call, FakeTelegram
from bot.sandbox.webhook import WebhookDelivery

MAX_UPLOAD = 64 * 1024 * 1024

# Form fields that are text even when they look like JSON ("123", "[urgent] ...", "true").
# python-telegram-bot sends str values as they are and everything else JSON-encoded, so the
# other fields are decoded when they hold JSON.
TEXT_FIELDS = frozenset(
    {"text", "caption", "title", "description", "short_description", "name", "first_name", "last_name"}
    | {"address", "question", "explanation", "query", "custom_title", "phone_number", "vcard", "url"}
    | {"emoji", "data", "payload", "parse_mode", "action", "sticker", "callback_query_id"}
    | {"inline_query_id", "shipping_query_id", "pre_checkout_query_id", "inline_message_id"}
    | {"business_connection_id", "message_effect_id", "file_id"}
)

# Methods that deliver a message into a chat, which Telegram's flood limits count.
SENDING_METHODS = frozenset(
    {"sendMessage", "sendPhoto", "sendDocument", "sendLocation", "sendMediaGroup", "sendVideo"}
    | {"sendAudio", "sendVoice", "sendSticker", "sendContact", "sendPoll", "copyMessage", "forwardMessage"}
)

UNAUTHORIZED: dict[str, Any] = {"ok": False, "error_code": 401, "description": "Unauthorized"}
NOT_FOUND: dict[str, Any] = {"ok": False, "error_code": 404, "description": "Not Found"}


def decode_field(name: str, value: str) -> Any:
    """A form field as the bot meant it: JSON for structured values, text for text."""
    if name in TEXT_FIELDS:
        return value
    try:
        decoded = json.loads(value)
    except ValueError:
        return value
    # A bare JSON string would mean the bot double-encoded it; keep the raw text then.
    return value if isinstance(decoded, str) or decoded is None else decoded


@dataclass
class RateLimits:
    """Telegram's broadcast limits: so many messages a second overall, and per chat."""

    overall_per_second: int = 30
    per_chat_per_second: int = 1


class _Limiter:
    """Sliding one-second windows; a send that would exceed one is refused with retry_after."""

    def __init__(self, limits: RateLimits) -> None:
        self.limits = limits
        self._overall: deque[float] = deque()
        self._per_chat: dict[str, deque[float]] = {}

    def admit(self, chat_id: object, now: float) -> int | None:
        """None if the send may go now, else the whole seconds to wait (at least 1)."""
        overall = self._window(self._overall, now)
        chat = self._window(self._per_chat.setdefault(str(chat_id), deque()), now)
        waits = []
        if len(overall) >= self.limits.overall_per_second:
            waits.append(overall[0] + 1.0 - now)
        if len(chat) >= self.limits.per_chat_per_second:
            waits.append(chat[0] + 1.0 - now)
        if waits:
            return max(1, math.ceil(max(waits)))
        overall.append(now)
        chat.append(now)
        return None

    @staticmethod
    def _window(times: deque[float], now: float) -> deque[float]:
        while times and times[0] <= now - 1.0:
            times.popleft()
        return times


class Outage(Protocol):
    """A stretch of trouble: the answer to a send while it lasts (after a hang, maybe), else None."""

    async def strike(self) -> tuple[int, dict[str, Any]] | None: ...


class BotApi:
    """A :class:`FakeTelegram` answering over HTTP; :meth:`application` is the aiohttp app to serve."""

    def __init__(
        self, token: str, telegram: FakeTelegram | None = None, *, limits: RateLimits | None = None
    ) -> None:
        self.token = token
        self.telegram = telegram if telegram is not None else FakeTelegram()
        self.limiter = _Limiter(limits) if limits is not None else None
        self.throttled: list[Call] = []  # sends refused with 429 by the limiter
        self.webhook: WebhookDelivery | None = None  # set by the bot's setWebhook
        self.outage: Outage | None = None  # set to make sends fail for a while (tests' fault injection)
        self.polls = 0  # getUpdates requests received, counted on arrival
        self._loop: asyncio.AbstractEventLoop | None = None
        self._changed: asyncio.Event | None = None
        self._stopping = False
        self.telegram.update_listeners.append(lambda update: self.wake())

    def application(self) -> web.Application:
        app = web.Application(client_max_size=MAX_UPLOAD)
        app.router.add_route("*", "/bot{token}/{method}", self._serve)
        app.router.add_get("/file/bot{token}/{file_id}", self._serve_file)
        app.on_startup.append(self._started)
        return app

    async def _started(self, app: web.Application) -> None:
        self._loop = asyncio.get_running_loop()
        self._changed = asyncio.Event()

    def wake(self) -> None:
        """Answer waiting long polls (an update was queued, or the stand-in stops); any thread."""
        loop = self._loop
        if loop is not None and not loop.is_closed():
            loop.call_soon_threadsafe(self._notify)

    def _notify(self) -> None:
        if self._changed is not None:
            self._changed.set()
            self._changed = asyncio.Event()

    def stop_polls(self) -> None:
        self._stopping = True
        self.wake()
        if self.webhook is not None:
            self.webhook.close()

    def push(self, update: dict[str, Any]) -> dict[str, Any]:
        """Queue an update for the bot's next getUpdates; or post it to the bot's webhook, if it set one."""
        webhook = self.webhook
        if webhook is None:
            return self.telegram.push_update(update)
        numbered = {"update_id": self.telegram.next_update_id(), **update}
        webhook.deliver(numbered)
        return numbered

    def _switch_webhook(self, params: dict[str, Any] | None) -> None:
        """Start posting updates to the URL set, the ones still queued first; or stop."""
        with self.telegram.lock:
            old, self.webhook = self.webhook, None
            if params is not None and params.get("url"):
                self.webhook = WebhookDelivery(str(params["url"]), str(params.get("secret_token", "")))
                while self.telegram.updates:
                    self.webhook.deliver(self.telegram.updates.popleft())
        if old is not None:
            old.close()

    # --- serving ---------------------------------------------------------------------------

    async def _serve(self, request: web.Request) -> web.Response:
        if request.match_info["token"] != self.token:
            return web.json_response(UNAUTHORIZED, status=401)
        try:
            params = {name: decode_field(name, value) for name, value in request.query.items()}
            params.update(await self._body_params(request))
        except ValueError as error:
            body = {"ok": False, "error_code": 400, "description": f"Bad Request: {error}"}
            return web.json_response(body, status=400)
        status, answer = await self.handle(request.match_info["method"], params)
        return web.json_response(
            answer, status=status, dumps=lambda value: json.dumps(value, ensure_ascii=False)
        )

    async def _serve_file(self, request: web.Request) -> web.StreamResponse:
        if request.match_info["token"] != self.token:
            return web.json_response(UNAUTHORIZED, status=401)
        stored = self.telegram.files.get(request.match_info["file_id"])
        if stored is None:
            return web.json_response(NOT_FOUND, status=404)
        return web.Response(body=stored.data, content_type=stored.content_type or "application/octet-stream")

    @staticmethod
    async def _body_params(request: web.Request) -> dict[str, Any]:
        if not request.body_exists:
            return {}
        if request.content_type == "application/json":
            decoded = json.loads(await request.read())
            if not isinstance(decoded, dict):
                raise ValueError("the JSON body must be an object")
            return decoded
        params: dict[str, Any] = {}
        for name, value in (await request.post()).items():
            if isinstance(value, web.FileField):
                params[name] = {
                    "filename": value.filename,
                    "content_type": value.content_type,
                    "data": value.file.read(),
                }
            else:
                params[name] = decode_field(name, str(value))
        return params

    async def handle(self, method: str, params: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        """Answer one authorised call: long-poll getUpdates, an outage or the limiter, then the core."""
        if method in ("setWebhook", "deleteWebhook"):
            self._switch_webhook(params if method == "setWebhook" else None)
        elif method == "getUpdates" and self.webhook is not None:
            conflict = "Conflict: can't use getUpdates method while webhook is active; use deleteWebhook"
            return 409, {"ok": False, "error_code": 409, "description": conflict}
        elif method == "getUpdates":
            await self._long_poll(params)
        elif self.outage is not None and method in SENDING_METHODS:
            struck = await self.outage.strike()
            if struck is not None:
                return struck  # not recorded as a call: nothing was delivered
        if self.limiter is not None and method in SENDING_METHODS:
            retry_after = self.limiter.admit(params.get("chat_id"), time.monotonic())
            if retry_after is not None:
                with self.telegram.lock:
                    self.throttled.append(Call(method, params))
                return 429, {
                    "ok": False,
                    "error_code": 429,
                    "description": f"Too Many Requests: retry after {retry_after}",
                    "parameters": {"retry_after": retry_after},
                }
        return self.telegram.answer(method, params)

    def _has_update(self, offset: int) -> bool:
        with self.telegram.lock:
            return any(update["update_id"] >= offset for update in self.telegram.updates)

    async def _long_poll(self, params: dict[str, Any]) -> None:
        offset = int(params.get("offset") or 0)
        try:
            timeout = max(0.0, float(params.get("timeout") or 0))
        except (TypeError, ValueError):
            timeout = 0.0
        deadline = time.monotonic() + timeout
        self.polls += 1
        while not self._stopping and not self._has_update(offset):
            remaining = deadline - time.monotonic()
            if remaining <= 0 or self._changed is None:
                return
            try:
                await asyncio.wait_for(self._changed.wait(), remaining)
            except TimeoutError:
                return
