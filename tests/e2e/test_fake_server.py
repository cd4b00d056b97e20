"""The loopback fake Bot API itself: routing, parameter decoding, long polling, the limiter."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator

import httpx
import pytest

from bot.sandbox.updates import TelegramUser, message_update
from tests.factories.ids import stranger
from tests.fakes.server import FakeBotApiServer, RateLimits

TOKEN = "7012345678:AAF3kq9Zx_d8vYbT2mN4pLr6sW1cH0eJuQo"


@pytest.fixture
def server() -> Iterator[FakeBotApiServer]:
    with FakeBotApiServer(TOKEN) as running:
        yield running


def url(server: FakeBotApiServer, method: str, token: str = TOKEN) -> str:
    return f"{server.base_url}{token}/{method}"


def test_other_tokens_are_unauthorized(server: FakeBotApiServer) -> None:
    answer = httpx.post(url(server, "getMe", "1:wrong"))
    assert answer.status_code == 401
    assert answer.json() == {"ok": False, "error_code": 401, "description": "Unauthorized"}
    assert server.calls == []
    assert httpx.get(url(server, "getMe")).json()["result"]["username"] == "redprop_test_bot"


def test_parameters_from_form_json_multipart_and_query(server: FakeBotApiServer) -> None:
    markup = {"inline_keyboard": [[{"text": "A", "callback_data": "a"}]]}
    form = {"chat_id": "5", "text": "[1] 42", "reply_markup": json.dumps(markup)}
    sent = httpx.post(url(server, "sendMessage"), data=form).json()["result"]
    assert server.calls[-1].params == {"chat_id": 5, "text": "[1] 42", "reply_markup": markup}
    assert sent["reply_markup"] == markup and sent["text"] == "[1] 42"

    httpx.post(url(server, "setMyCommands"), json={"commands": [{"command": "start", "description": "S"}]})
    assert server.telegram.commands[""] == [{"command": "start", "description": "S"}]

    httpx.post(
        url(server, "sendDocument"),
        data={"chat_id": "5", "caption": "true"},
        files={"document": ("a.txt", b"hello", "text/plain")},
    )
    params = server.calls[-1].params
    assert params["caption"] == "true" and params["chat_id"] == 5
    assert params["document"] == {"filename": "a.txt", "content_type": "text/plain", "data": b"hello"}

    httpx.get(url(server, "getChat") + "?chat_id=77")
    assert server.calls[-1].params == {"chat_id": 77}


def test_get_updates_long_polls_until_an_update_is_pushed(server: FakeBotApiServer) -> None:
    started = time.monotonic()
    answer = httpx.post(url(server, "getUpdates"), data={"timeout": "1"}).json()
    assert answer == {"ok": True, "result": []} and time.monotonic() - started >= 0.9

    user = TelegramUser(stranger(1), "A", "en")
    threading.Timer(0.2, server.push, [message_update(user, "/start")]).start()
    started = time.monotonic()
    updates = httpx.post(url(server, "getUpdates"), data={"timeout": "5"}, timeout=10).json()["result"]
    assert len(updates) == 1 and time.monotonic() - started < 2
    assert updates[0]["message"]["text"] == "/start"

    confirmed = {"offset": str(updates[0]["update_id"] + 1), "timeout": "0"}
    assert httpx.post(url(server, "getUpdates"), data=confirmed).json()["result"] == []
    assert server.polls == 3


def test_wait_for_text_skips_failed_sends(server: FakeBotApiServer) -> None:
    server.telegram.fail("sendMessage", status=502)
    assert httpx.post(url(server, "sendMessage"), data={"chat_id": "5", "text": "lost"}).status_code == 502
    httpx.post(url(server, "sendMessage"), data={"chat_id": "5", "text": "kept"})
    assert server.texts_to(5) == ["kept"]
    with pytest.raises(AssertionError, match="timed out"):
        server.wait_for_text(5, "lost", timeout=0.1)


def test_the_limiter_answers_429_beyond_one_message_a_second_per_chat() -> None:
    with FakeBotApiServer(TOKEN, limits=RateLimits()) as server:
        first = httpx.post(url(server, "sendMessage"), data={"chat_id": "5", "text": "1"})
        second = httpx.post(url(server, "sendMessage"), data={"chat_id": "5", "text": "2"})
        other_chat = httpx.post(url(server, "sendMessage"), data={"chat_id": "6", "text": "3"})
    assert first.status_code == 200 and other_chat.status_code == 200
    assert second.status_code == 429 and second.json()["parameters"] == {"retry_after": 1}
    assert [call.params["text"] for call in server.throttled] == ["2"]
    assert server.texts_to(5) == ["1"]


def test_the_limiter_answers_429_beyond_thirty_messages_a_second_overall() -> None:
    with FakeBotApiServer(TOKEN, limits=RateLimits()) as server, httpx.Client() as client:
        statuses = [
            client.post(url(server, "sendMessage"), data={"chat_id": str(chat), "text": "x"}).status_code
            for chat in range(1, 33)
        ]
    assert statuses[:30] == [200] * 30 and statuses[30:] == [429, 429]
