"""The bot's aiohttp client against local servers: what they received, and what the caller got."""

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
from urllib.parse import parse_qs

import pytest
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup
from telegram.error import BadRequest, NetworkError, TimedOut
from telegram.request import HTTPXRequest

from bot.app import build_application
from bot.outbox.transport import sender_bot
from bot.telegram_http import AiohttpRequest
from config.settings import ConfigError, load_settings
from handlers.replies import answer_unused
from tests.fakes.server import FakeBotApiServer

TOKEN = "123456789:AAHaiohttpTestToken_abcdefghijklmnopq"
USER = {"id": 123456789, "is_bot": True, "first_name": "Test", "username": "test_bot"}
PROXY_VARIABLES = ("HTTP_PROXY", "http_proxy", "HTTPS_PROXY", "https_proxy", "ALL_PROXY", "all_proxy")


def message(text: str) -> dict[str, Any]:
    chat = {"id": 42, "type": "private", "first_name": "Li"}
    return {"message_id": 7, "date": 1_700_000_000, "chat": chat, "text": text}


@dataclass
class Request:
    method: str
    target: str
    headers: dict[str, str]
    body: bytes

    @property
    def api_method(self) -> str:
        return self.target.rsplit("/", 1)[-1]

    @property
    def text(self) -> str:
        """The sent text, from a JSON body or (as PTB's httpx sends it) a form."""
        if self.headers.get("content-type") == "application/x-www-form-urlencoded":
            return parse_qs(self.body.decode()).get("text", [""])[0]
        text: str = json.loads(self.body).get("text", "")
        return text


# Answers a request on the writer; False closes the connection afterwards.
Respond = Callable[[Request, asyncio.StreamWriter], Awaitable[bool]]


def answer(result: Any) -> bytes:
    payload = json.dumps({"ok": True, "result": result}).encode()
    head = f"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {len(payload)}\r\n\r\n"
    return head.encode() + payload


def result_for(request: Request) -> Any:
    if request.api_method == "getMe":
        return USER
    if request.api_method == "setMyCommands":
        return True
    if request.api_method == "getUpdates":
        return []
    if request.headers.get("content-type", "").startswith("multipart/"):
        return message("")
    return message(request.text)


async def keep_alive(request: Request, writer: asyncio.StreamWriter) -> bool:
    writer.write(answer(result_for(request)))
    return True


@dataclass
class Server:
    """A small HTTP/1.1 server whose answers each test sets; it records every request."""

    respond: Respond = keep_alive
    requests: list[Request] = field(default_factory=list)
    connections: int = 0
    port: int = 0

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/bot"

    def calls(self, api_method: str) -> list[Request]:
        return [request for request in self.requests if request.api_method == api_method]

    async def serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        try:
            while True:
                try:
                    head = await reader.readuntil(b"\r\n\r\n")
                except (asyncio.IncompleteReadError, ConnectionError):
                    return
                lines = head.decode().split("\r\n")
                method, target, _version = lines[0].split(" ")
                headers = {
                    name.strip().lower(): value.strip()
                    for name, _, value in (line.partition(":") for line in lines[1:] if line)
                }
                body = await reader.readexactly(int(headers.get("content-length", "0")))
                request = Request(method, target, headers, body)
                self.requests.append(request)
                keep = await self.respond(request, writer)
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


@pytest.fixture(autouse=True)
def _no_proxy(monkeypatch: pytest.MonkeyPatch) -> None:
    """The developer's proxy settings stay out of these tests."""
    for name in (*PROXY_VARIABLES, "NO_PROXY", "no_proxy"):
        monkeypatch.delenv(name, raising=False)


async def bot_for(server: Server, **options: Any) -> Bot:
    bot = Bot(TOKEN, base_url=server.base_url, request=AiohttpRequest(**options))
    await bot.initialize()  # getMe
    return bot


async def test_calls_share_one_connection_and_send_one_json_body(server: Server) -> None:
    bot = await bot_for(server)
    first = await bot.send_message(42, "漏水 & more")
    keyboard = InlineKeyboardMarkup([[InlineKeyboardButton("确认", callback_data="r:ok:1")]])
    second = await bot.send_message(42, "second", reply_markup=keyboard)
    await bot.shutdown()
    assert (first.text, second.text) == ("漏水 & more", "second")
    assert server.connections == 1
    sent = server.requests[-1]
    assert sent.method == "POST" and sent.target == f"/bot{TOKEN}/sendMessage"
    assert sent.headers["content-type"] == "application/json"
    assert sent.headers["user-agent"] == HTTPXRequest.USER_AGENT
    assert sent.headers["accept-encoding"] == "identity"  # no answer to inflate
    assert int(sent.headers["content-length"]) == len(sent.body)
    # Structured values are JSON objects in the body, not JSON strings inside it.
    assert json.loads(sent.body) == {
        "chat_id": 42,
        "text": "second",
        "reply_markup": {"inline_keyboard": [[{"text": "确认", "callback_data": "r:ok:1"}]]},
    }


async def test_an_upload_goes_as_multipart_form_data() -> None:
    photo = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4
    keyboard = InlineKeyboardMarkup([[InlineKeyboardButton("下一页", callback_data="s:2")]])
    with FakeBotApiServer(TOKEN) as api:
        bot = Bot(TOKEN, base_url=api.base_url, request=AiohttpRequest())
        await bot.initialize()
        sent = await bot.send_photo(42, photo, caption="图表 chart", reply_markup=keyboard)
        await bot.shutdown()
        (call,) = [call for call in api.calls if call.method == "sendPhoto"]
    assert sent.message_id == call.result["message_id"]
    assert call.params["photo"]["data"] == photo
    assert call.params["caption"] == "图表 chart"
    assert call.params["chat_id"] == 42
    assert call.params["reply_markup"] == {"inline_keyboard": [[{"text": "下一页", "callback_data": "s:2"}]]}


async def test_an_answer_marked_unused_is_true_and_an_error_still_raises(server: Server) -> None:
    async def refuse_chat_43(request: Request, writer: asyncio.StreamWriter) -> bool:
        if request.api_method != "sendMessage" or json.loads(request.body)["chat_id"] != 43:
            return await keep_alive(request, writer)
        payload = b'{"ok":false,"error_code":400,"description":"Bad Request: chat not found"}'
        writer.write(f"HTTP/1.1 400 Bad Request\r\nContent-Length: {len(payload)}\r\n\r\n".encode() + payload)
        return True

    server.respond = refuse_chat_43
    bot = await bot_for(server)
    with answer_unused():
        assert await bot.send_message(42, "sent, answer not needed") is True
        with pytest.raises(BadRequest, match="Chat not found"):
            await bot.send_message(43, "refused")
    sent = await bot.send_message(42, "answer needed")
    await bot.shutdown()
    assert sent.text == "answer needed"
    assert [request.text for request in server.calls("sendMessage")] == [
        "sent, answer not needed",
        "refused",
        "answer needed",
    ]


async def test_a_slow_answer_times_out_by_default_and_by_the_calls_own_timeout(server: Server) -> None:
    async def slow_sends(request: Request, writer: asyncio.StreamWriter) -> bool:
        if request.api_method == "sendMessage":
            await asyncio.sleep(1)
        writer.write(answer(result_for(request)))
        return True

    server.respond = slow_sends
    bot = await bot_for(server, read_timeout=0.2)
    with pytest.raises(TimedOut):
        await bot.send_message(42, "default read timeout")
    # A longer timeout given to the call wins over the default.
    assert (await bot.send_message(42, "patient", read_timeout=3)).text == "patient"
    await bot.shutdown()
    patient = await bot_for(server, read_timeout=5)
    with pytest.raises(TimedOut):
        await patient.send_message(42, "impatient call", read_timeout=0.2)
    await patient.shutdown()


async def test_a_full_pool_times_out_without_sending(server: Server) -> None:
    arrived, release = asyncio.Event(), asyncio.Event()

    async def hold_the_first(request: Request, writer: asyncio.StreamWriter) -> bool:
        if request.api_method == "sendMessage" and request.text == "first":
            arrived.set()
            await release.wait()
        writer.write(answer(result_for(request)))
        return True

    server.respond = hold_the_first
    bot = await bot_for(server, connection_pool_size=1)
    first = asyncio.create_task(bot.send_message(42, "first"))
    await arrived.wait()
    with pytest.raises(TimedOut):
        await bot.send_message(42, "second", pool_timeout=0.2)
    release.set()
    assert (await first).text == "first"
    await bot.shutdown()
    assert [request.text for request in server.calls("sendMessage")] == ["first"]


async def test_nobody_listening_is_a_network_error_without_the_token() -> None:
    listener = await asyncio.start_server(lambda r, w: None, "127.0.0.1", 0)
    port = listener.sockets[0].getsockname()[1]
    listener.close()
    await listener.wait_closed()
    request = AiohttpRequest()
    await request.initialize()
    with pytest.raises(NetworkError) as caught:
        await request.post(f"http://127.0.0.1:{port}/bot{TOKEN}/getMe")
    await request.shutdown()
    assert not isinstance(caught.value, TimedOut)
    assert TOKEN not in str(caught.value)


async def test_a_send_the_server_dropped_unanswered_is_not_sent_again(server: Server) -> None:
    async def drop_sends(request: Request, writer: asyncio.StreamWriter) -> bool:
        if request.api_method == "sendMessage":
            return False  # took it, then closed without a word
        return await keep_alive(request, writer)

    server.respond = drop_sends
    bot = await bot_for(server)
    with pytest.raises(NetworkError):
        await bot.send_message(42, "once only")
    await bot.shutdown()
    assert [request.text for request in server.calls("sendMessage")] == ["once only"]


async def test_a_harmless_call_the_server_dropped_is_tried_once_more(server: Server) -> None:
    dropped: list[str] = []

    async def drop_the_first_of_each(request: Request, writer: asyncio.StreamWriter) -> bool:
        if request.api_method not in dropped:
            dropped.append(request.api_method)
            return False
        return await keep_alive(request, writer)

    server.respond = drop_the_first_of_each
    bot = Bot(TOKEN, base_url=server.base_url, request=AiohttpRequest())
    await bot.initialize()  # getMe: dropped, then answered
    assert await bot.set_my_commands([("start", "Start")]) is True
    with pytest.raises(NetworkError):
        await bot.send_message(42, "not repeated")
    await bot.shutdown()
    assert [request.api_method for request in server.requests] == [
        "getMe",
        "getMe",
        "setMyCommands",
        "setMyCommands",
        "sendMessage",
    ]


async def test_an_idle_connection_the_server_closed_is_replaced(server: Server) -> None:
    async def close_after_each(request: Request, writer: asyncio.StreamWriter) -> bool:
        writer.write(answer(result_for(request)))  # no "Connection: close": the client cannot know
        return False

    server.respond = close_after_each
    bot = await bot_for(server)
    for text in ("one", "two", "three"):
        await asyncio.sleep(0.05)  # the close reaches the client while the connection is idle
        assert (await bot.send_message(42, text)).text == text
    await bot.shutdown()
    assert [request.text for request in server.calls("sendMessage")] == ["one", "two", "three"]
    assert server.connections == 4  # getMe and three sends


async def test_the_environments_proxy_is_used_unless_no_proxy_names_the_host(
    server: Server, monkeypatch: pytest.MonkeyPatch
) -> None:
    proxy = Server()
    listener = await asyncio.start_server(proxy.serve, "127.0.0.1", 0)
    proxy.port = listener.sockets[0].getsockname()[1]
    monkeypatch.setenv("ALL_PROXY", f"http://127.0.0.1:{proxy.port}")
    far_away = "http://api.telegram.invalid/bot"  # only the proxy can reach it
    bot = Bot(TOKEN, base_url=far_away, request=AiohttpRequest())
    await bot.initialize()
    assert (await bot.send_message(42, "via the proxy")).text == "via the proxy"
    await bot.shutdown()
    assert [request.target for request in proxy.requests] == [
        f"{far_away}{TOKEN}/getMe",
        f"{far_away}{TOKEN}/sendMessage",
    ]
    monkeypatch.setenv("NO_PROXY", "127.0.0.1")
    direct = await bot_for(server)
    await direct.send_message(42, "direct")
    await direct.shutdown()
    listener.close()
    assert len(proxy.requests) == 2
    assert [request.text for request in server.calls("sendMessage")] == ["direct"]


@pytest.mark.parametrize(
    ("client", "content_type"),
    [("aiohttp", "application/json"), ("httpx", "application/x-www-form-urlencoded")],
)
async def test_the_http_client_setting_picks_the_networking_of_the_bot_and_the_outbox(
    server: Server, database_url: str, client: str, content_type: str
) -> None:
    overrides = {
        "telegram.token": TOKEN,
        "telegram.base_url": server.base_url,
        "telegram.http_client": client,
        "database.url": database_url,
    }
    settings = load_settings(overrides=overrides)
    application = build_application(settings)
    await application.bot.initialize()
    await application.bot.send_message(42, "from the bot")
    await application.bot.get_updates(timeout=0)
    await application.bot.shutdown()
    outbox = sender_bot(settings)
    await outbox.initialize()
    await outbox.send_message(42, "from the outbox")
    await outbox.shutdown()
    sends = server.calls("sendMessage")
    assert [request.headers["content-type"] for request in [*sends, *server.calls("getUpdates")]] == [
        content_type
    ] * 3
    assert [request.text for request in sends] == ["from the bot", "from the outbox"]


def test_an_unknown_http_client_is_refused_with_the_key() -> None:
    with pytest.raises(ConfigError, match=r"telegram\.http_client: .*'aiohttp' or 'httpx'"):
        load_settings(overrides={"telegram.http_client": "requests"})


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
    bot = Bot(TOKEN, base_url=base_url, request=AiohttpRequest(ssl_context=trusting))
    await bot.initialize()
    assert (await bot.send_message(42, "over TLS")).text == "over TLS"
    assert (await bot.send_message(42, "again")).text == "again"
    await bot.shutdown()
    assert state.connections == 1
    # The system's trust store does not know this certificate: refused, not sent.
    untrusting = Bot(TOKEN, base_url=base_url, request=AiohttpRequest())
    with pytest.raises(NetworkError):
        await untrusting.initialize()
    await untrusting.shutdown()
    assert len(state.requests) == 3
    listener.close()
