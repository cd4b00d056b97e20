"""The stand-in refuses what Telegram refuses, with Telegram's status and wording."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from tests.fakes.server import FakeBotApiServer

TOKEN = "7012345678:AAF3kq9Zx_d8vYbT2mN4pLr6sW1cH0eJuQo"


@pytest.fixture
def server() -> Iterator[FakeBotApiServer]:
    with FakeBotApiServer(TOKEN) as running:
        yield running


def call(server: FakeBotApiServer, method: str, **params: object) -> httpx.Response:
    return httpx.post(f"{server.base_url}{TOKEN}/{method}", json=params)


@pytest.mark.parametrize(
    ("method", "params", "description"),
    [
        ("sendMessage", {"text": "x" * 4097}, "Bad Request: message is too long"),
        ("sendMessage", {"text": "😀" * 2049}, "Bad Request: message is too long"),  # UTF-16 units
        ("editMessageText", {"message_id": 1, "text": "x" * 4097}, "Bad Request: message is too long"),
        ("sendMessage", {"text": "  "}, "Bad Request: message text is empty"),
        ("sendPhoto", {"photo": "p", "caption": "x" * 1025}, "Bad Request: message caption is too long"),
        (
            "sendMediaGroup",
            {"media": [{"type": "photo", "media": "p", "caption": "x" * 1025}]},
            "Bad Request: message caption is too long",
        ),
        (
            "sendMessage",
            {"text": "a", "reply_markup": {"inline_keyboard": [[{"text": "b", "callback_data": "é" * 33}]]}},
            "Bad Request: BUTTON_DATA_INVALID",
        ),
        (
            "sendMessage",
            {"text": "<b>bold", "parse_mode": "HTML"},
            "Bad Request: can't parse entities: Can't find end tag corresponding to start tag \"b\"",
        ),
        (
            "sendMessage",
            {"text": "a <x>b</x>", "parse_mode": "HTML"},
            'Bad Request: can\'t parse entities: Unsupported start tag "x" at byte offset 2',
        ),
        (
            "sendMessage",
            {"text": "1.5", "parse_mode": "MarkdownV2"},
            "Bad Request: can't parse entities: Character '.' is reserved and must be escaped with the "
            "preceding '\\'",
        ),
    ],
)
def test_refused_as_telegram_refuses(
    server: FakeBotApiServer, method: str, params: dict[str, object], description: str
) -> None:
    answer = call(server, method, chat_id=5, **params)
    assert answer.status_code == 400
    assert answer.json() == {"ok": False, "error_code": 400, "description": description}
    assert server.calls[-1].result is None  # nothing was delivered


def test_limits_themselves_pass(server: FakeBotApiServer) -> None:
    keyboard = {"inline_keyboard": [[{"text": "b", "callback_data": "d" * 64}]]}
    assert call(server, "sendMessage", chat_id=5, text="x" * 4096, reply_markup=keyboard).status_code == 200
    html = "<b>粗</b> &lt;tag&gt; " + "x" * 4080
    assert call(server, "sendMessage", chat_id=5, text=html, parse_mode="HTML").status_code == 200
    assert call(server, "sendPhoto", chat_id=5, photo="p", caption="x" * 1024).status_code == 200


def test_an_uploaded_file_is_kept_and_served(server: FakeBotApiServer) -> None:
    sent = httpx.post(
        f"{server.base_url}{TOKEN}/sendDocument",
        data={"chat_id": "5"},
        files={"document": ("report.xlsx", b"PK-bytes", "application/vnd.ms-excel")},
    ).json()["result"]
    document = sent["document"]
    assert document["file_name"] == "report.xlsx"
    path = call(server, "getFile", file_id=document["file_id"]).json()["result"]["file_path"]
    assert httpx.get(f"{server.base_file_url}{TOKEN}/{path}").content == b"PK-bytes"
