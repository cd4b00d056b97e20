"""KeepAliveRequest against a small HTTP server whose behaviour each test sets."""

from __future__ import annotations

import asyncio
import json
import shutil
import ssl
import subprocess
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup
from telegram.error import BadRequest, NetworkError, TimedOut
from telegram.request import HTTPXRequest

from bot.keepalive_request import KeepAliveRequest, bot_api_request, uses_proxy
from handlers.replies import answer_unused

TOKEN = "123456789:AAHkeepAliveTestToken_abcdefghijklmnop"
USER = {"id": 123456789, "is_bot": True, "first_name": "Test", "username": "test_bot"}


def message(text: str) -> dict[str, Any]:
    chat = {"id": 42, "type": "private", "first_name": "Li"}
    return {"message_id": 7, "date": 1_700_000_000, "chat": chat, "text": text}


@dataclass
class Request:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes


Respond = Callable[[Request, asyncio.StreamWriter, int], Awaitable[bool]]  # False closes the connection


def answer(result: Any, *, extra: str = "") -> bytes:
    payload = json.dumps({"ok": True, "result": result}).encode()
    head = f"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {len(payload)}\r\n"
    return (head + extra + "\r\n").encode() + payload


def result_for(request: Request) -> Any:
    if request.path.endswith("/getMe"):
        return USER
    if request.headers.get("content-type", "").startswith("multipart/"):
        return message("")
    return message(sent_text(request))


def sent_text(request: Request) -> str:
    text: str = json.loads(request.body).get("text", "")
    return text


async def keep_alive(request: Request, writer: asyncio.StreamWriter, number: int) -> bool:
    writer.write(answer(result_for(request)))
    return True


@dataclass
class Server:
    respond: Respond = keep_alive
    requests: list[Request] = field(default_factory=list)
    connections: int = 0
    port: int = 0

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/bot"

    async def serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        try:
            while True:
                try:
                    head = await reader.readuntil(b"\r\n\r\n")
                except asyncio.IncompleteReadError:
                    return
                lines = head.decode().split("\r\n")
                method, path, _version = lines[0].split(" ")
                headers = {
                    name.strip().lower(): value.strip()
                    for name, _, value in (line.partition(":") for line in lines[1:] if line)
                }
                body = await reader.readexactly(int(headers.get("content-length", "0")))
                request = Request(method, path, headers, body)
                self.requests.append(request)
                keep = await self.respond(request, writer, len(self.requests))
                await writer.drain()
                if not keep:
                    return
        finally:
            writer.close()


@pytest.fixture
async def server() -> AsyncIterator[Server]:
    state = Server()
    listener = await asyncio.start_server(state.serve, "127.0.0.1", 0)
    state.port = listener.sockets[0].getsockname()[1]
    yield state
    listener.close()


async def bot_for(server: Server, **options: Any) -> Bot:
    bot = Bot(TOKEN, base_url=server.base_url, request=KeepAliveRequest(**options))
    await bot.initialize()
    return bot


async def test_calls_share_one_connection_and_send_json(server: Server) -> None:
    bot = await bot_for(server)
    first = await bot.send_message(42, "漏水 & more")
    keyboard = InlineKeyboardMarkup([[InlineKeyboardButton("确认", callback_data="r:ok:1")]])
    second = await bot.send_message(42, "second", reply_markup=keyboard)
    await bot.shutdown()
    assert (first.text, second.text) == ("漏水 & more", "second")
    assert server.connections == 1
    sent = server.requests[-1]
    assert sent.method == "POST" and sent.path == f"/bot{TOKEN}/sendMessage"
    assert sent.headers["content-type"] == "application/json"
    assert int(sent.headers["content-length"]) == len(sent.body)
    # Structured values are JSON objects in the body, not JSON strings inside it.
    assert json.loads(sent.body) == {
        "chat_id": 42,
        "text": "second",
        "reply_markup": {"inline_keyboard": [[{"text": "确认", "callback_data": "r:ok:1"}]]},
    }


async def test_an_answer_marked_unused_is_true_and_an_error_still_raises(server: Server) -> None:
    async def refuse_the_second(request: Request, writer: asyncio.StreamWriter, number: int) -> bool:
        if number != 3:  # getMe, then the first message
            return await keep_alive(request, writer, number)
        payload = b'{"ok":false,"error_code":400,"description":"Bad Request: chat not found"}'
        writer.write(f"HTTP/1.1 400 Bad Request\r\nContent-Length: {len(payload)}\r\n\r\n".encode() + payload)
        return True

    server.respond = refuse_the_second
    bot = await bot_for(server)
    with answer_unused():
        assert await bot.send_message(42, "sent, answer not needed") is True
        with pytest.raises(BadRequest, match="Chat not found"):
            await bot.send_message(43, "refused")
    sent = await bot.send_message(42, "answer needed")
    await bot.shutdown()
    assert sent.text == "answer needed"
    assert [sent_text(request) for request in server.requests[1:]] == [
        "sent, answer not needed",
        "refused",
        "answer needed",
    ]


async def test_a_chunked_answer_is_read_whole(server: Server) -> None:
    async def chunked(request: Request, writer: asyncio.StreamWriter, number: int) -> bool:
        payload = json.dumps({"ok": True, "result": result_for(request)}).encode()
        writer.write(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n")
        for start in range(0, len(payload), 10):
            piece = payload[start : start + 10]
            writer.write(f"{len(piece):x}\r\n".encode() + piece + b"\r\n")
        writer.write(b"0\r\n\r\n")
        return True

    server.respond = chunked
    bot = await bot_for(server)
    text = "a longer text, cut into pieces"
    assert (await bot.send_message(42, text)).text == text
    assert (await bot.send_message(42, "again")).text == "again"
    await bot.shutdown()
    assert server.connections == 1


async def test_an_idle_connection_the_server_closed_is_replaced_and_nothing_is_sent_twice(
    server: Server,
) -> None:
    async def close_after_each(request: Request, writer: asyncio.StreamWriter, number: int) -> bool:
        writer.write(answer(result_for(request)))  # no "Connection: close": the client cannot know
        return False

    server.respond = close_after_each
    bot = await bot_for(server)
    await asyncio.sleep(0.05)  # the close reaches the client while the connection is idle
    for text in ("one", "two", "three"):
        assert (await bot.send_message(42, text)).text == text
        await asyncio.sleep(0.05)
    # Back to back, a call may find the connection closed only when it writes or reads.
    for number in range(20):
        assert (await bot.send_message(42, f"quick {number}")).text == f"quick {number}"
    await bot.shutdown()
    sends = [request for request in server.requests if request.path.endswith("/sendMessage")]
    assert len(sends) == 23


async def test_a_reused_connection_closed_without_an_answer_is_tried_again_on_a_new_one(
    server: Server,
) -> None:
    async def close_on_second(request: Request, writer: asyncio.StreamWriter, number: int) -> bool:
        if request.path.endswith("/sendMessage") and len(server.requests) == 3:
            return False  # as a server closing an idle connection just as the request came
        writer.write(answer(result_for(request)))
        return True

    server.respond = close_on_second
    bot = await bot_for(server)
    assert (await bot.send_message(42, "one")).text == "one"
    assert (await bot.send_message(42, "two")).text == "two"
    await bot.shutdown()
    assert server.connections == 2
    assert [sent_text(r) for r in server.requests[1:]] == ["one", "two", "two"]


async def test_an_answer_without_a_length_is_read_to_the_end(server: Server) -> None:
    async def unsized(request: Request, writer: asyncio.StreamWriter, number: int) -> bool:
        payload = json.dumps({"ok": True, "result": result_for(request)}).encode()
        writer.write(b"HTTP/1.0 200 OK\r\nContent-Type: application/json\r\n\r\n" + payload)
        return False

    server.respond = unsized
    bot = await bot_for(server)
    assert (await bot.send_message(42, "one")).text == "one"
    assert (await bot.send_message(42, "two")).text == "two"
    await bot.shutdown()
    assert server.connections == 3


async def test_connection_close_is_honoured(server: Server) -> None:
    async def closing(request: Request, writer: asyncio.StreamWriter, number: int) -> bool:
        writer.write(answer(result_for(request), extra="Connection: close\r\n"))
        return False

    server.respond = closing
    bot = await bot_for(server)
    await bot.send_message(42, "one")
    await bot.send_message(42, "two")
    await bot.shutdown()
    assert server.connections == 3  # getMe and two sends


async def test_a_slow_answer_times_out(server: Server) -> None:
    async def slow(request: Request, writer: asyncio.StreamWriter, number: int) -> bool:
        if request.path.endswith("/sendMessage"):
            await asyncio.sleep(2)
        writer.write(answer(result_for(request)))
        return True

    server.respond = slow
    bot = await bot_for(server, read_timeout=0.2)
    with pytest.raises(TimedOut):
        await bot.send_message(42, "hello")
    await bot.shutdown()


async def test_a_connection_cut_mid_answer_is_a_network_error_not_a_retry(server: Server) -> None:
    async def cut(request: Request, writer: asyncio.StreamWriter, number: int) -> bool:
        if request.path.endswith("/sendMessage"):
            writer.write(b'HTTP/1.1 200 OK\r\nContent-Length: 500\r\n\r\n{"ok":')
            return False
        writer.write(answer(result_for(request)))
        return True

    server.respond = cut
    bot = await bot_for(server)
    with pytest.raises(NetworkError):
        await bot.send_message(42, "hello")
    await bot.shutdown()
    assert len([request for request in server.requests if request.path.endswith("/sendMessage")]) == 1


async def test_nobody_listening_is_a_network_error() -> None:
    listener = await asyncio.start_server(lambda r, w: None, "127.0.0.1", 0)
    port = listener.sockets[0].getsockname()[1]
    listener.close()
    await listener.wait_closed()
    request = KeepAliveRequest()
    await request.initialize()
    with pytest.raises(NetworkError):
        await request.post(f"http://127.0.0.1:{port}/bot{TOKEN}/getMe")
    await request.shutdown()


async def test_uploads_go_through_httpx_as_multipart(server: Server) -> None:
    bot = await bot_for(server)
    await bot.send_photo(42, b"\x89PNG\r\n\x1a\n" + b"\x00" * 64, caption="chart")
    await bot.shutdown()
    upload = server.requests[-1]
    assert upload.path.endswith("/sendPhoto")
    assert upload.headers["content-type"].startswith("multipart/form-data")


@pytest.fixture
def certificate(tmp_path: Path) -> tuple[Path, Path]:
    """A self-signed certificate for localhost and its key."""
    if shutil.which("openssl") is None:
        pytest.skip("needs the openssl command")
    key, cert = tmp_path / "key.pem", tmp_path / "cert.pem"
    subject = ["-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost"]
    command = ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", *subject]
    subprocess.run([*command, "-keyout", str(key), "-out", str(cert)], check=True, capture_output=True)
    return cert, key


async def test_https_keeps_its_connection_and_checks_the_certificate(certificate: tuple[Path, Path]) -> None:
    cert, key = certificate
    server_side = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server_side.load_cert_chain(cert, key)
    state = Server()
    listener = await asyncio.start_server(state.serve, "127.0.0.1", 0, ssl=server_side)
    port = listener.sockets[0].getsockname()[1]
    base_url = f"https://localhost:{port}/bot"
    trusting = ssl.create_default_context(cafile=str(cert))
    bot = Bot(TOKEN, base_url=base_url, request=KeepAliveRequest(ssl_context=trusting))
    await bot.initialize()
    assert (await bot.send_message(42, "over TLS")).text == "over TLS"
    assert (await bot.send_message(42, "again")).text == "again"
    await bot.shutdown()
    assert state.connections == 1
    # The system's trust store does not know this certificate: refused, not sent.
    untrusting = Bot(TOKEN, base_url=base_url, request=KeepAliveRequest())
    with pytest.raises(NetworkError):
        await untrusting.get_me()
    assert len(state.requests) == 3
    listener.close()


def test_a_proxy_in_the_environment_means_httpx(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("HTTPS_PROXY", "https_proxy", "ALL_PROXY", "all_proxy", "NO_PROXY", "no_proxy"):
        monkeypatch.delenv(name, raising=False)
    url = "https://api.telegram.org/bot"
    assert not uses_proxy(url)
    assert isinstance(bot_api_request(url, connection_pool_size=4), KeepAliveRequest)
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.example:3128")
    assert uses_proxy(url)
    assert isinstance(bot_api_request(url, connection_pool_size=4), HTTPXRequest)
    monkeypatch.setenv("NO_PROXY", "api.telegram.org")
    assert not uses_proxy(url)
