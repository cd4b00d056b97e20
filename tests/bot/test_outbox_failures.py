"""How the sender reads a failed send (bot/outbox/failures.py), with real errors of the bot's
HTTP client: what certainly did not arrive is retried freely, what went unanswered is counted."""

from __future__ import annotations

import socket
from collections.abc import Iterator

import pytest
from telegram import Bot
from telegram.error import TelegramError

from bot.outbox.failures import Fault, backoff, fault_of
from bot.sandbox.telegram import FakeTelegram
from bot.telegram_http import AiohttpRequest
from tests.fakes.outage import Outage
from tests.fakes.request import FakeRequest
from tests.fakes.server import FakeBotApiServer

TOKEN = "123456789:AAHfakeTokenForTestsOnly_abcdefghijklm"


async def fault_of_send(bot: Bot) -> Fault:
    """What the sender makes of the first failure of sending a message (bot set up first)."""
    try:
        async with bot:
            await bot.send_message(1001, "hello")
    except TelegramError as error:
        return fault_of(error)
    raise AssertionError("the send did not fail")


@pytest.fixture
def server() -> Iterator[FakeBotApiServer]:
    with FakeBotApiServer(TOKEN) as started:
        yield started


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.mark.parametrize(
    ("status", "fault"),
    [
        (500, Fault.NOT_DELIVERED),
        (502, Fault.NOT_DELIVERED),
        (400, Fault.REFUSED),
        (403, Fault.BLOCKED),
        (401, Fault.BAD_TOKEN),
    ],
)
async def test_an_answer_says_the_message_did_not_arrive(status: int, fault: Fault) -> None:
    telegram = FakeTelegram()
    telegram.fail("sendMessage", status=status)
    assert await fault_of_send(Bot(TOKEN, request=FakeRequest(telegram))) == fault


async def test_a_refused_connection_never_sent_anything() -> None:
    # (getMe, the bot's first call, meets it: the same error a send would)
    request = AiohttpRequest(connection_pool_size=2)
    bot = Bot(TOKEN, base_url=f"http://127.0.0.1:{free_port()}/bot", request=request)
    assert await fault_of_send(bot) == Fault.NOT_DELIVERED


async def test_a_send_left_unanswered_may_have_arrived(server: FakeBotApiServer) -> None:
    request = AiohttpRequest(connection_pool_size=2, read_timeout=0.2)
    bot = Bot(TOKEN, base_url=server.base_url, request=request)
    server.outage = Outage(seconds=60, hang=0.6)  # a 500, then a hang, in turn (getMe is not a send)
    assert await fault_of_send(bot) == Fault.NOT_DELIVERED
    assert await fault_of_send(bot) == Fault.UNANSWERED
    assert (server.outage.answered_500, server.outage.hung) == (1, 1)


def test_pauses_double_up_to_the_cap_with_their_upper_half_random() -> None:
    low = [backoff(attempt, base=1.0, cap=300.0, rng=lambda: 0.0) for attempt in range(1, 12)]
    high = [backoff(attempt, base=1.0, cap=300.0, rng=lambda: 1.0) for attempt in range(1, 12)]
    assert high == [1, 2, 4, 8, 16, 32, 64, 128, 256, 300, 300]
    assert low == [value / 2 for value in high]
    assert backoff(10_000, base=1.0, cap=300.0) <= 300.0
