"""The Bot API stand-in (bot/sandbox/bot_api.py) on loopback, for end-to-end tests of the real bot.

A :class:`FakeBotApiServer` serves the package's one stand-in on 127.0.0.1 from an event loop
on a background thread of the test process, and adds what blocking tests need: pushing updates
and waiting for what the bot sent. It records calls, injects failures and queues updates in
the same :class:`FakeTelegram` core the in-process handler tests use.

    server = FakeBotApiServer(TOKEN).start()
    # run the bot with REDPROP_TELEGRAM__BASE_URL=server.base_url
    server.wait_until_polling()
    server.push(message_update(user, "/start"))
    text = server.wait_for_text(user.id, "欢迎")
    server.stop()
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable
from typing import Any, TypeVar

from aiohttp import web

from bot.sandbox.bot_api import BotApi, Outage, RateLimits
from bot.sandbox.telegram import Call, FakeTelegram
from bot.sandbox.webhook import WebhookDelivery

__all__ = ["FakeBotApiServer", "RateLimits"]

T = TypeVar("T")


class FakeBotApiServer:
    """The stand-in served over HTTP on 127.0.0.1, on a free port, from a thread of its own."""

    def __init__(
        self,
        token: str,
        telegram: FakeTelegram | None = None,
        *,
        limits: RateLimits | None = None,
    ) -> None:
        self.api = BotApi(token, telegram, limits=limits)
        self.token = token
        self.telegram = self.api.telegram
        self._loop = asyncio.new_event_loop()
        self._runner = web.AppRunner(self.api.application(), handle_signals=False, access_log=None)
        self._port = 0
        self._thread: threading.Thread | None = None

    # --- life cycle ------------------------------------------------------------------------

    @property
    def port(self) -> int:
        return self._port

    @property
    def polls(self) -> int:
        """getUpdates requests received, counted on arrival."""
        return self.api.polls

    @property
    def throttled(self) -> list[Call]:
        """Sends refused with 429 by the limiter."""
        return self.api.throttled

    @property
    def outage(self) -> Outage | None:
        """Set to make sends fail for a while (tests/fakes/outage.py)."""
        return self.api.outage

    @outage.setter
    def outage(self, outage: Outage | None) -> None:
        self.api.outage = outage

    @property
    def base_url(self) -> str:
        """What the bot's ``telegram.base_url`` should be; the token is appended to it."""
        return f"http://127.0.0.1:{self.port}/bot"

    @property
    def base_file_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/file/bot"

    def start(self) -> FakeBotApiServer:
        started = threading.Event()

        async def serve() -> None:
            await self._runner.setup()
            site = web.TCPSite(self._runner, "127.0.0.1", 0)
            await site.start()
            self._port = int(self._runner.addresses[0][1])

        def run() -> None:
            asyncio.set_event_loop(self._loop)
            self._loop.run_until_complete(serve())
            started.set()
            self._loop.run_forever()

        self._thread = threading.Thread(target=run, daemon=True, name="fake-bot-api")
        self._thread.start()
        started.wait(10)
        return self

    def stop(self) -> None:
        """Answer any waiting long poll, stop serving and free the port."""
        self.api.stop_polls()
        future = asyncio.run_coroutine_threadsafe(self._runner.cleanup(), self._loop)
        future.result(10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._loop.close()

    def __enter__(self) -> FakeBotApiServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # --- what tests arrange ----------------------------------------------------------------

    def push(self, update: dict[str, Any]) -> dict[str, Any]:
        """Queue an update for the bot's next getUpdates, waking a waiting long poll; or post it
        to the bot's webhook, if it set one (bot/sandbox/webhook.py)."""
        return self.api.push(update)

    @property
    def webhook(self) -> WebhookDelivery | None:
        return self.api.webhook

    # --- what tests read -------------------------------------------------------------------

    @property
    def calls(self) -> list[Call]:
        with self.telegram.lock:
            return list(self.telegram.calls)

    def mark(self) -> int:
        """The number of calls so far: pass it as ``since`` to look only at what follows."""
        with self.telegram.lock:
            return len(self.telegram.calls)

    def wait_for(self, predicate: Callable[[], T | None], timeout: float = 10.0, what: str = "") -> T:
        """Poll ``predicate`` until it returns something truthy, and return that; fail after ``timeout``."""
        deadline = time.monotonic() + timeout
        while True:
            result = predicate()
            if result:
                return result
            if time.monotonic() >= deadline:
                waited_for = what or repr(predicate)
                raise AssertionError(
                    f"timed out after {timeout}s waiting for {waited_for}; calls:\n{self.describe_calls()}"
                )
            time.sleep(0.02)

    def wait_until_polling(self, timeout: float = 15.0, *, polls_before: int = 0) -> None:
        """Wait until getUpdates has been called more than ``polls_before`` times (the bot is polling)."""
        self.wait_for(lambda: self.polls > polls_before, timeout, "the bot to call getUpdates")

    def wait_for_call(
        self,
        method: str,
        predicate: Callable[[Call], bool] = lambda call: True,
        *,
        timeout: float = 10.0,
        since: int = 0,
        include_failed: bool = False,
    ) -> Call:
        """The first successful call of ``method`` (after the first ``since`` calls) that matches.

        ``include_failed`` also matches calls answered with an injected failure (``result`` None).
        """

        def find() -> Call | None:
            with self.telegram.lock:
                for call in self.telegram.calls[since:]:
                    succeeded = call.result is not None
                    if call.method == method and (succeeded or include_failed) and predicate(call):
                        return call
            return None

        return self.wait_for(find, timeout, f"a {method} call")

    def texts_to(self, chat_id: int, *, since: int = 0) -> list[str]:
        """Every text delivered or edited into the chat (after the first ``since`` calls), in order.

        Unlike ``FakeTelegram.texts_to`` it leaves out calls answered with an injected failure.
        """
        with self.telegram.lock:
            return [
                str(call.params["text"])
                for call in self.telegram.calls[since:]
                if call.method in ("sendMessage", "editMessageText")
                and call.chat_id == chat_id
                and "text" in call.params
                and call.result is not None
            ]

    def wait_for_text(self, chat_id: int, substring: str, timeout: float = 10.0, *, since: int = 0) -> str:
        """The first text sent or edited into the chat that contains ``substring``."""

        def find() -> str | None:
            return next((text for text in self.texts_to(chat_id, since=since) if substring in text), None)

        return self.wait_for(find, timeout, f"{substring!r} in chat {chat_id}")

    def describe_calls(self, last: int = 15) -> str:
        """The last calls other than getUpdates, one short line each, for assertion messages."""
        with self.telegram.lock:
            shown = [
                f"{call.method}({call.params.get('chat_id', '')}: "
                f"{str(call.params.get('text', ''))[:40]!r}){'' if call.result is not None else ' FAILED'}"
                for call in self.telegram.calls
                if call.method != "getUpdates"
            ]
        return "\n".join(shown[-last:]) or "none"
