"""The fake Bot API on loopback HTTP, for end-to-end tests of the real ``redprop run`` process.

A :class:`FakeBotApiServer` serves ``/bot<token>/<method>`` on 127.0.0.1 from a background
thread of the test process and hands every call to the same :class:`FakeTelegram` core the
in-process handler tests use, so it records calls, injects failures and queues updates the
same way. ``getUpdates`` long-polls like Telegram: it waits up to ``timeout`` seconds for an
update to be pushed.

    server = FakeBotApiServer(TOKEN).start()
    # run the bot with REDPROP_TELEGRAM__BASE_URL=server.base_url
    server.wait_until_polling()
    server.push(message_update(user, "/start"))
    text = server.wait_for_text(user.id, "欢迎")
    server.stop()

With ``limits=RateLimits()`` it answers 429 (with ``retry_after``) to sends beyond Telegram's
broadcast limits; throttled calls are kept in :attr:`FakeBotApiServer.throttled`, not in
``telegram.calls``, which stays the list of what was delivered.

Once the bot calls ``setWebhook``, updates are posted to its webhook (tests/fakes/webhook.py)
and getUpdates is refused with 409, as Telegram does, until ``deleteWebhook``.
"""

from __future__ import annotations

import json
import math
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, TypeVar
from urllib.parse import parse_qsl, urlsplit

from tests.fakes.forms import decode_form, parse_multipart
from tests.fakes.telegram import Call, FakeTelegram
from tests.fakes.webhook import WebhookDelivery

T = TypeVar("T")

# Methods that deliver a message into a chat, which Telegram's flood limits count.
SENDING_METHODS = frozenset(
    {
        "sendMessage",
        "sendPhoto",
        "sendDocument",
        "sendLocation",
        "sendMediaGroup",
        "sendVideo",
        "sendAudio",
        "sendVoice",
        "sendSticker",
        "sendContact",
        "sendPoll",
        "copyMessage",
        "forwardMessage",
    }
)

UNAUTHORIZED: dict[str, Any] = {"ok": False, "error_code": 401, "description": "Unauthorized"}
NOT_FOUND: dict[str, Any] = {"ok": False, "error_code": 404, "description": "Not Found"}


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
        self._lock = threading.Lock()

    def admit(self, chat_id: object, now: float) -> int | None:
        """None if the send may go now, else the whole seconds to wait (at least 1)."""
        with self._lock:
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


class FakeBotApiServer:
    """A :class:`FakeTelegram` served over HTTP on 127.0.0.1, on a free port."""

    def __init__(
        self,
        token: str,
        telegram: FakeTelegram | None = None,
        *,
        limits: RateLimits | None = None,
    ) -> None:
        self.token = token
        self.telegram = telegram if telegram is not None else FakeTelegram()
        self.limiter = _Limiter(limits) if limits is not None else None
        self.throttled: list[Call] = []  # sends refused with 429 by the limiter
        # Notified whenever an update is queued (and on stop), so long polls answer at once.
        self.updates_changed = threading.Condition(self.telegram.lock)
        self.polls = 0  # getUpdates requests received, counted on arrival
        self.webhook: WebhookDelivery | None = None  # set by the bot's setWebhook
        self._stopping = False
        core_push = self.telegram.push_update

        def push_update(update: dict[str, Any]) -> dict[str, Any]:
            with self.updates_changed:
                queued = core_push(update)
                self.updates_changed.notify_all()
            return queued

        self.telegram.push_update = push_update  # type: ignore[method-assign]
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(self))
        self._httpd.daemon_threads = True
        self._httpd.block_on_close = False
        self._thread: threading.Thread | None = None

    # --- life cycle ------------------------------------------------------------------------

    @property
    def port(self) -> int:
        return int(self._httpd.server_address[1])

    @property
    def base_url(self) -> str:
        """What the bot's ``telegram.base_url`` should be; the token is appended to it."""
        return f"http://127.0.0.1:{self.port}/bot"

    @property
    def base_file_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/file/bot"

    def start(self) -> FakeBotApiServer:
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.name = f"fake-bot-api:{self.port}"
        self._thread.start()
        return self

    def stop(self) -> None:
        """Answer any waiting long poll, stop serving and free the port."""
        with self.updates_changed:
            self._stopping = True
            self.updates_changed.notify_all()
        if self.webhook is not None:
            self.webhook.close()
        self._httpd.shutdown()
        self._httpd.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self) -> FakeBotApiServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # --- what tests arrange ----------------------------------------------------------------

    def push(self, update: dict[str, Any]) -> dict[str, Any]:
        """Queue an update for the bot's next getUpdates, waking a waiting long poll; or post it
        to the bot's webhook, if it set one."""
        webhook = self.webhook
        if webhook is None:
            return self.telegram.push_update(update)
        numbered = {"update_id": self.telegram.next_update_id(), **update}
        webhook.deliver(numbered)
        return numbered

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

    # --- serving ---------------------------------------------------------------------------

    def handle(self, method: str, params: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        """Answer one authorised call: long-poll getUpdates, apply the limiter, then the core."""
        if method in ("setWebhook", "deleteWebhook"):
            self._switch_webhook(params if method == "setWebhook" else None)
        elif method == "getUpdates" and self.webhook is not None:
            conflict = "Conflict: can't use getUpdates method while webhook is active; use deleteWebhook"
            return 409, {"ok": False, "error_code": 409, "description": conflict}
        elif method == "getUpdates":
            self._long_poll(params)
        elif self.limiter is not None and method in SENDING_METHODS:
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

    def _long_poll(self, params: dict[str, Any]) -> None:
        offset = int(params.get("offset") or 0)
        try:
            timeout = max(0.0, float(params.get("timeout") or 0))
        except (TypeError, ValueError):
            timeout = 0.0
        deadline = time.monotonic() + timeout
        with self.updates_changed:
            self.polls += 1
            while not self._stopping:
                if any(update["update_id"] >= offset for update in self.telegram.updates):
                    return
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return
                self.updates_changed.wait(remaining)


def _handler_for(server: FakeBotApiServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # keep-alive, as httpx would have with Telegram
        # One write per response and no Nagle delay: otherwise each keep-alive reply waits ~40 ms.
        wbufsize = 64 * 1024
        disable_nagle_algorithm = True

        def do_GET(self) -> None:
            self._serve()

        def do_POST(self) -> None:
            self._serve()

        def log_message(self, format: str, *args: Any) -> None:
            pass  # request lines carry the token; the test output need not

        def _serve(self) -> None:
            url = urlsplit(self.path)
            body = self._read_body()
            parts = url.path.strip("/").split("/")
            if len(parts) != 2 or not parts[0].startswith("bot"):
                self._reply(404, NOT_FOUND)
                return
            if parts[0].removeprefix("bot") != server.token:
                self._reply(401, UNAUTHORIZED)
                return
            try:
                params = decode_form(parse_qsl(url.query, keep_blank_values=True))
                params.update(self._body_params(body))
            except ValueError as error:
                self._reply(400, {"ok": False, "error_code": 400, "description": f"Bad Request: {error}"})
                return
            status, answer = server.handle(parts[1], params)
            self._reply(status, answer)

        def _read_body(self) -> bytes:
            length = int(self.headers.get("Content-Length") or 0)
            return self.rfile.read(length) if length else b""

        def _body_params(self, body: bytes) -> dict[str, Any]:
            if not body:
                return {}
            content_type = self.headers.get("Content-Type", "")
            kind = content_type.split(";")[0].strip().lower()
            if kind == "application/json":
                decoded = json.loads(body)
                if not isinstance(decoded, dict):
                    raise ValueError("the JSON body must be an object")
                return decoded
            if kind == "multipart/form-data":
                return parse_multipart(content_type, body)
            return decode_form(parse_qsl(body.decode(), keep_blank_values=True))

        def _reply(self, status: int, answer: dict[str, Any]) -> None:
            payload = json.dumps(answer, ensure_ascii=False).encode()
            try:
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)
                self.wfile.flush()
            except (BrokenPipeError, ConnectionResetError):
                pass  # the bot gave up waiting, e.g. it was stopped during a long poll

    return Handler
