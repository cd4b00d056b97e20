"""The bot's HTTP client for the Bot API: a python-telegram-bot ``BaseRequest`` on aiohttp.

aiohttp parses answers in C and keeps connections open between calls (``TCPConnector``).
A call without files sends its parameters as one JSON body, as the Bot API takes them, which is
cheaper than PTB's form encoding (each value JSON-encoded, then every byte percent-encoded); a
call with files (the /stats chart) goes as multipart form data.

Nothing is sent twice unless repeating it is harmless. aiohttp itself resends a request on a
reused connection the server closed only for idempotent HTTP methods, and every Bot API call is
a POST. :class:`AiohttpRequest` tries once more only for the methods in :func:`safe_to_repeat`.
aiohttp does not reuse a connection it has seen closed, and closes idle ones itself after 15
seconds, before a server usually does, so a send rarely meets a closed connection at all.

Proxies come from the environment (``HTTPS_PROXY``, ``ALL_PROXY``, ``NO_PROXY``), read once per
host: aiohttp's own ``trust_env`` reads them, and the ``.netrc`` file, in a thread on every call.

Inside :func:`handlers.replies.answer_unused`, a successful call answers plain ``true`` instead
of what Telegram sent back, so PTB does not build a :class:`~telegram.Message` nobody reads.
"""

from __future__ import annotations

import asyncio
import json
import re
import ssl
from typing import Any
from urllib.parse import urlsplit
from urllib.request import getproxies, proxy_bypass

import aiohttp
from telegram.error import NetworkError, TimedOut
from telegram.request import BaseRequest, HTTPXRequest, RequestData

from config.settings import HttpClient
from handlers.replies import answer_is_unused

# The token is in every Bot API URL, and some of aiohttp's messages quote the URL.
_TOKEN_IN_URL = re.compile(r"/bot[^/\s]+")
PLAIN_TRUE = b'{"ok":true,"result":true}'
# Bot API methods whose second run changes nothing the first did not: reads, and calls that set
# a state (an edit, a deletion, a menu). A second answer to a button press or a second edit may
# be refused as stale or unchanged: an error either way, never a duplicate message.
_SAFE_METHODS = frozenset(
    {
        "answerCallbackQuery",
        "deleteMessage",
        "deleteMessages",
        "deleteMyCommands",
        "deleteWebhook",
        "logOut",
        "sendChatAction",
        "setChatMenuButton",
        "setMyCommands",
        "setMyDescription",
        "setMyName",
        "setMyShortDescription",
        "setWebhook",
    }
)
_SAFE_PREFIXES = ("get", "edit")


def safe_to_repeat(api_method: str) -> bool:
    """Whether a Bot API method may run twice without a second effect (no duplicate message)."""
    return api_method in _SAFE_METHODS or api_method.startswith(_SAFE_PREFIXES)


def environment_proxy(url: str) -> str | None:
    """The proxy the environment names for ``url`` (``NO_PROXY`` respected), or None."""
    parts = urlsplit(url)
    proxies = getproxies()
    proxy = proxies.get(parts.scheme) or proxies.get("all")
    if not proxy or proxy_bypass(parts.hostname or ""):
        return None
    scheme = urlsplit(proxy).scheme
    if scheme not in ("http", "https"):
        # aiohttp would speak HTTP to it and fail in a way that names nothing.
        raise NetworkError(
            f"A {scheme} proxy is named in the environment; aiohttp talks to http:// proxies only. "
            'Set telegram.http_client = "httpx" and install python-telegram-bot[socks].'
        )
    return proxy


class AiohttpRequest(BaseRequest):
    """Bot API calls over an aiohttp session with pooled keep-alive connections."""

    def __init__(
        self,
        *,
        connection_pool_size: int = 32,
        read_timeout: float | None = 5.0,
        write_timeout: float | None = 5.0,
        connect_timeout: float | None = 5.0,
        pool_timeout: float | None = 1.0,
        media_write_timeout: float | None = 20.0,
        ssl_context: ssl.SSLContext | None = None,
    ) -> None:
        self._pool_size = connection_pool_size
        self._defaults = (read_timeout, write_timeout, connect_timeout, pool_timeout)
        self._media_write_timeout = media_write_timeout
        self._ssl: ssl.SSLContext | bool = ssl_context if ssl_context is not None else True
        self._session: aiohttp.ClientSession | None = None
        # PTB's pool timeout bounds the wait for a free connection alone; aiohttp's connect
        # timeout would cover that wait and the connecting together.
        self._slots = asyncio.Semaphore(connection_pool_size)
        self._timeouts: dict[tuple[Any, ...], aiohttp.ClientTimeout] = {}
        self._proxies: dict[str, str | None] = {}

    @property
    def read_timeout(self) -> float | None:
        """The default read timeout, which PTB adds to a long poll's own."""
        return self._defaults[0]

    async def initialize(self) -> None:
        """Open the session (once, however often PTB asks)."""
        if self._session is not None and not self._session.closed:
            return  # a request shared by the bot and its updates is initialized twice
        self._slots = asyncio.Semaphore(self._pool_size)
        connector = aiohttp.TCPConnector(limit=self._pool_size, ssl=self._ssl)
        self._session = aiohttp.ClientSession(
            connector=connector,
            # Telegram's answers are small: inflating each one would cost more than its bytes.
            headers={"User-Agent": self.USER_AGENT, "Accept-Encoding": "identity"},
            cookie_jar=aiohttp.DummyCookieJar(),  # the Bot API sets none; this skips a lookup per call
        )

    async def shutdown(self) -> None:
        """Close the session and its connections."""
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: Any = BaseRequest.DEFAULT_NONE,
        write_timeout: Any = BaseRequest.DEFAULT_NONE,
        connect_timeout: Any = BaseRequest.DEFAULT_NONE,
        pool_timeout: Any = BaseRequest.DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        """Make one Bot API call; PTB turns the status and body into a result or an error."""
        session = self._session
        if session is None:
            raise RuntimeError("This AiohttpRequest is not initialized!")
        upload = request_data is not None and request_data.contains_files
        timeout = self._timeout(read_timeout, write_timeout, connect_timeout, upload)
        if self._slots.locked():
            pool = self._defaults[3] if pool_timeout is BaseRequest.DEFAULT_NONE else pool_timeout
            try:
                async with asyncio.timeout(pool):
                    await self._slots.acquire()
            except TimeoutError as error:
                raise TimedOut(POOL_TIMEOUT) from error
        else:
            await self._slots.acquire()  # free: no wait, so no timer
        try:
            status, payload = await self._exchange(session, url, method, request_data, timeout, upload)
        finally:
            self._slots.release()
        if status == 200 and answer_is_unused():
            return status, PLAIN_TRUE
        return status, payload

    async def _exchange(
        self,
        session: aiohttp.ClientSession,
        url: str,
        method: str,
        request_data: RequestData | None,
        timeouts: aiohttp.ClientTimeout,
        upload: bool,
    ) -> tuple[int, bytes]:
        """One call, and for a harmless one a second try if the server closed without answering."""
        proxy = self._proxy(url)
        retry = not upload and safe_to_repeat(url.rpartition("/")[2])
        while True:
            if upload:
                assert request_data is not None
                data: Any = multipart(request_data)
                headers = None
            else:
                data = request_body(request_data)
                headers = JSON_HEADERS
            try:
                async with session.request(
                    method, url, data=data, headers=headers, timeout=timeouts, proxy=proxy
                ) as response:
                    return response.status, await response.read()
            except TimeoutError as error:  # aiohttp's own timeouts are TimeoutErrors too
                raise TimedOut(_timeout_message(error)) from error
            except (aiohttp.ServerDisconnectedError, aiohttp.ClientOSError) as error:
                # Closed without an answer, as a server closing an idle connection just as the
                # request came. It may still have arrived: only a harmless call is tried again.
                if retry and not isinstance(error, aiohttp.ClientConnectorError):
                    retry = False
                    continue
                raise NetworkError(_error_message(error)) from error
            except aiohttp.ClientError as error:
                raise NetworkError(_error_message(error)) from error

    def _timeout(self, read: Any, write: Any, connect: Any, upload: bool) -> aiohttp.ClientTimeout:
        """aiohttp's timeouts for PTB's, made once for each combination."""
        key = (read, write, connect, upload)
        timeout = self._timeouts.get(key)
        if timeout is None:
            default_read, default_write, default_connect, _pool = self._defaults
            if upload:
                default_write = self._media_write_timeout
            read = default_read if read is BaseRequest.DEFAULT_NONE else read
            write = default_write if write is BaseRequest.DEFAULT_NONE else write
            connect = default_connect if connect is BaseRequest.DEFAULT_NONE else connect
            # aiohttp has no write timeout. A JSON body fits the socket's buffer, so its write
            # never waits; an upload's whole call is bounded by the sum of the three instead.
            whole = None
            if upload and read is not None and write is not None and connect is not None:
                whole = connect + write + read
            timeout = aiohttp.ClientTimeout(total=whole, connect=connect, sock_read=read)
            self._timeouts[key] = timeout
        return timeout

    def _proxy(self, url: str) -> str | None:
        """The environment's proxy for the URL's scheme and host, looked up once for each."""
        end = url.find("/", url.find("//") + 2)
        origin = url if end < 0 else url[:end]
        if origin not in self._proxies:
            self._proxies[origin] = environment_proxy(origin)
        return self._proxies[origin]


JSON_HEADERS = {"Content-Type": "application/json"}
POOL_TIMEOUT = (
    "Pool timeout: All connections in the connection pool are occupied. Request was *not* sent to Telegram."
)


def request_body(request_data: RequestData | None) -> bytes:
    """The call's parameters as one UTF-8 JSON object, as the Bot API takes them."""
    if request_data is None:
        return b"{}"
    # PTB has already turned keyboards, dates and enums into plain JSON values here.
    return json.dumps(request_data.parameters, ensure_ascii=False, separators=(",", ":")).encode()


def multipart(request_data: RequestData) -> aiohttp.FormData:
    """The parameters and files of an upload as multipart form data, as PTB's httpx sends them."""
    form = aiohttp.FormData()
    for name, value in request_data.json_parameters.items():
        form.add_field(name, value)
    for name, (filename, content, mimetype) in request_data.multipart_data.items():
        form.add_field(name, content, filename=filename, content_type=mimetype)
    return form


def _error_message(error: BaseException) -> str:
    """Like PTB's httpx messages (the exception's class, then its text), the token taken out."""
    return _TOKEN_IN_URL.sub("/bot<token>", f"aiohttp.{type(error).__name__}: {error}")


def _timeout_message(error: BaseException) -> str:
    """What timed out, and whether the request left."""
    if isinstance(error, aiohttp.ConnectionTimeoutError):
        return "Timed out connecting to the Bot API; the request was not sent"
    return f"Timed out. {_error_message(error)}"


def bot_api_request(client: HttpClient, *, connection_pool_size: int) -> BaseRequest:
    """The networking the settings name: aiohttp (the default) or PTB's own httpx."""
    if client == "httpx":
        return HTTPXRequest(connection_pool_size=connection_pool_size)
    return AiohttpRequest(connection_pool_size=connection_pool_size)
