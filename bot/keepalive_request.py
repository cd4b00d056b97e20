"""A lean HTTP/1.1 keep-alive client for the Bot API calls the bot makes while handling updates.

python-telegram-bot's default networking (httpx) spends more CPU on each call than the bot
spends handling most updates, and a /report step makes two or three calls. This
:class:`~telegram.request.BaseRequest` sends the Bot API's JSON POSTs over plain asyncio
streams (TLS for https), keeping connections open between calls. The body is one
``json.dumps`` of the parameters: PTB's form encoding JSON-encodes each value and then
percent-encodes every byte, which cost a tenth of the bot's CPU. Calls that upload files
(multipart) go to PTB's own :class:`~telegram.request.HTTPXRequest`.

A connection that was idle may have been closed by the server. A call that finds a reused
connection closed when it writes, or closed before any byte of an answer, is tried once more on
a new connection: that is how a server's idle close shows itself, and browsers and urllib3 do
the same. A server that took the request and then closed without a word would get it twice;
the outbox, which must never send twice, uses httpx (bot/outbox/transport.py).

Proxies: when the environment names a proxy for the Bot API's host (``HTTPS_PROXY`` and the
like), :func:`bot_api_request` returns httpx, which honours it.

Inside :func:`answer_unused`, a successful call answers plain ``true`` instead of what Telegram
sent back: python-telegram-bot would otherwise build a :class:`~telegram.Message` (with its
keyboard) from every message the bot sends or edits, about a tenth of the bot's CPU, and the
replies of a chat step never look at it.
"""

from __future__ import annotations

import asyncio
import json
import ssl
from typing import Any
from urllib.parse import urlsplit
from urllib.request import getproxies, proxy_bypass

from telegram._utils.defaultvalue import DefaultValue
from telegram.error import NetworkError, TimedOut
from telegram.request import BaseRequest, HTTPXRequest, RequestData

from handlers.replies import answer_is_unused

Connection = tuple[asyncio.StreamReader, asyncio.StreamWriter]
Origin = tuple[str, str, int]  # scheme, host, port

MAX_HEADER_BYTES = 64 * 1024
PLAIN_TRUE = b'{"ok":true,"result":true}'


class _StaleConnection(Exception):
    """The server closed a reused connection before answering: the request may be sent again."""


class KeepAliveRequest(BaseRequest):
    """JSON Bot API calls over pooled HTTP/1.1 connections; uploads go to httpx."""

    def __init__(
        self,
        *,
        connection_pool_size: int = 32,
        read_timeout: float | None = 5.0,
        write_timeout: float | None = 5.0,
        connect_timeout: float | None = 5.0,
        pool_timeout: float | None = 1.0,
        ssl_context: ssl.SSLContext | None = None,
    ) -> None:
        self._timeouts = {
            "read": read_timeout,
            "write": write_timeout,
            "connect": connect_timeout,
            "pool": pool_timeout,
        }
        self._slots = asyncio.Semaphore(connection_pool_size)
        self._idle: dict[Origin, list[Connection]] = {}
        self._ssl = ssl_context  # the system's trusted certificates unless given
        self._uploads = HTTPXRequest(
            connection_pool_size=4,
            read_timeout=read_timeout,
            write_timeout=write_timeout,
            connect_timeout=connect_timeout,
            pool_timeout=pool_timeout,
        )

    @property
    def read_timeout(self) -> float | None:
        return self._timeouts["read"]

    async def initialize(self) -> None:
        await self._uploads.initialize()

    async def shutdown(self) -> None:
        for connections in self._idle.values():
            for _reader, writer in connections:
                writer.close()
        self._idle.clear()
        await self._uploads.shutdown()

    def _timeout(self, name: str, given: Any) -> float | None:
        if isinstance(given, DefaultValue):
            return self._timeouts[name]
        return given

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
        if request_data is not None and request_data.contains_files:
            return await self._uploads.do_request(
                url, method, request_data, read_timeout, write_timeout, connect_timeout, pool_timeout
            )
        parts = urlsplit(url)
        scheme = parts.scheme or "https"
        host = parts.hostname or ""
        port = parts.port or (443 if scheme == "https" else 80)
        path = parts.path + (f"?{parts.query}" if parts.query else "")
        body = request_body(request_data)
        head = (
            f"{method} {path} HTTP/1.1\r\nHost: {parts.netloc}\r\nUser-Agent: {self.USER_AGENT}\r\n"
            "Content-Type: application/json\r\n"
            f"Content-Length: {len(body)}\r\nConnection: keep-alive\r\n\r\n"
        ).encode("latin-1")
        timeouts = (
            self._timeout("connect", connect_timeout),
            self._timeout("write", write_timeout),
            self._timeout("read", read_timeout),
        )
        if self._slots.locked():
            try:
                async with asyncio.timeout(self._timeout("pool", pool_timeout)):
                    await self._slots.acquire()
            except TimeoutError as error:
                raise TimedOut("Pool timeout: all connections are busy; the request was not sent") from error
        else:
            await self._slots.acquire()  # free: no wait, so no timer
        try:
            origin = (scheme, host, port)
            try:
                status, payload = await self._exchange(origin, head + body, timeouts, reuse=True)
            except _StaleConnection:
                status, payload = await self._exchange(origin, head + body, timeouts, reuse=False)
        finally:
            self._slots.release()
        if status == 200 and answer_is_unused():
            return status, PLAIN_TRUE
        return status, payload

    async def _exchange(
        self, origin: Origin, request: bytes, timeouts: tuple[float | None, ...], *, reuse: bool
    ) -> tuple[int, bytes]:
        connect_timeout, write_timeout, read_timeout = timeouts
        connection = self._take_idle(origin) if reuse else None
        reused = connection is not None
        if connection is None:
            connection = await self._connect(origin, connect_timeout)
        reader, writer = connection
        keep = False
        try:
            try:
                writer.write(request)
                if writer.transport.get_write_buffer_size():
                    async with asyncio.timeout(write_timeout):
                        await writer.drain()
                else:
                    await writer.drain()  # the kernel took it all: no wait, only a lost connection to report
            except TimeoutError as error:
                raise TimedOut("Timed out sending the request") from error
            except OSError as error:
                if reused:
                    raise _StaleConnection from error
                raise NetworkError(f"Could not send the request: {error}") from error
            try:
                async with asyncio.timeout(read_timeout):
                    status, payload, keep = await _read_response(reader, reused=reused)
            except TimeoutError as error:
                raise TimedOut("Timed out waiting for the answer") from error
            return status, payload
        finally:
            if keep:
                self._idle.setdefault(origin, []).append(connection)
            else:
                writer.close()

    def _take_idle(self, origin: Origin) -> Connection | None:
        connections = self._idle.get(origin)
        while connections:
            reader, writer = connections.pop()
            if not reader.at_eof() and not writer.is_closing():
                return reader, writer
            writer.close()
        return None

    async def _connect(self, origin: Origin, seconds: float | None) -> Connection:
        scheme, host, port = origin
        context = None
        if scheme == "https":
            if self._ssl is None:
                self._ssl = ssl.create_default_context()
            context = self._ssl
        try:
            async with asyncio.timeout(seconds):
                return await asyncio.open_connection(
                    host, port, ssl=context, limit=MAX_HEADER_BYTES, server_hostname=host if context else None
                )
        except TimeoutError as error:
            raise TimedOut("Timed out connecting to the Bot API") from error
        except OSError as error:
            raise NetworkError(f"Could not connect to the Bot API: {error}") from error


def request_body(request_data: RequestData | None) -> bytes:
    """The call's parameters as one UTF-8 JSON object, as the Bot API takes them."""
    if request_data is None:
        return b"{}"
    # PTB has already turned keyboards, dates and enums into plain JSON values here.
    return json.dumps(request_data.parameters, ensure_ascii=False, separators=(",", ":")).encode()


async def _read_response(reader: asyncio.StreamReader, *, reused: bool) -> tuple[int, bytes, bool]:
    """Status, body and whether the connection may be used again."""
    try:
        head = await reader.readuntil(b"\r\n\r\n")
    except asyncio.IncompleteReadError as error:
        if reused and not error.partial:
            raise _StaleConnection from error
        raise NetworkError("The connection closed before an answer came") from error
    except asyncio.LimitOverrunError as error:
        raise NetworkError("The answer's headers are too long") from error
    except OSError as error:
        if reused:
            raise _StaleConnection from error
        raise NetworkError(f"Could not read the answer: {error}") from error
    lines = head.decode("latin-1").split("\r\n")
    try:
        version, code, *_reason = lines[0].split(" ", 2)
        status = int(code)
    except ValueError as error:
        raise NetworkError(f"Not an HTTP answer: {lines[0][:80]!r}") from error
    headers: dict[str, str] = {}
    for line in lines[1:]:
        name, sep, value = line.partition(":")
        if sep:
            headers[name.strip().lower()] = value.strip()
    try:
        if headers.get("transfer-encoding", "").lower() == "chunked":
            body = await _read_chunked(reader)
        elif "content-length" in headers:
            body = await reader.readexactly(int(headers["content-length"]))
        else:
            body = await reader.read()
            return status, body, False
    except (asyncio.IncompleteReadError, ValueError, OSError) as error:
        raise NetworkError("The answer was cut short") from error
    connection = headers.get("connection", "").lower()
    keep = connection != "close" and (version != "HTTP/1.0" or connection == "keep-alive")
    return status, body, keep


async def _read_chunked(reader: asyncio.StreamReader) -> bytes:
    chunks: list[bytes] = []
    while True:
        size_line = await reader.readuntil(b"\r\n")
        size = int(size_line.split(b";", 1)[0].strip(), 16)
        if size == 0:
            # Trailers, if any, end with an empty line.
            while (await reader.readuntil(b"\r\n")) != b"\r\n":
                pass
            return b"".join(chunks)
        chunks.append(await reader.readexactly(size))
        await reader.readexactly(2)


def uses_proxy(url: str) -> bool:
    """Whether the environment routes requests to ``url`` through a proxy."""
    parts = urlsplit(url)
    proxies = getproxies()
    if not (proxies.get(parts.scheme) or proxies.get("all")):
        return False
    return not proxy_bypass(parts.hostname or "")


def bot_api_request(base_url: str, *, connection_pool_size: int) -> BaseRequest:
    """The networking for the bot's own calls: keep-alive streams, or httpx behind a proxy."""
    if uses_proxy(base_url):
        return HTTPXRequest(connection_pool_size=connection_pool_size)
    return KeepAliveRequest(connection_pool_size=connection_pool_size)
