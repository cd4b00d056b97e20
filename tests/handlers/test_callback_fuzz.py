"""Any callback data a client can send, under every prefix the bot uses: a stale button at worst.

Hypothesis writes the data; the bot must answer the press (as a stale button, or by acting on
well-formed data the user may use) and log no error.
"""

from __future__ import annotations

import logging
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.sandbox.telegram import FakeTelegram
from bot.sandbox.updates import TelegramUser
from handlers.callback_data import MAX_ID, a_page, an_id, fields, number
from handlers.context import RedPropApplication
from storage.database import Database
from tests.factories.cases import report
from tests.factories.ids import RESIDENT_TG
from tests.factories.world import World, make_world

PREFIXES = ("c", "v", "m", "p", "r", "s", "st", "lang", "g", "a", "d", "rec", "rl", "rk", "sc", "e", "h")
RESIDENT = TelegramUser(RESIDENT_TG, "Li", "en")
# Fields as a client could write them: digits (ASCII and not), huge numbers, words, nothing.
FIELD = st.one_of(
    st.integers(min_value=-(10**30), max_value=10**30).map(str),
    st.text(alphabet="0123456789²١٢٣", max_size=30),
    st.sampled_from(
        "accept open pg stars ok no un ap up rj re sp st cm o wy cat edit e ep k i y n q np pub fin x".split()
    ),
    st.text(max_size=12),
)


@given(st.text(max_size=80), st.sampled_from(PREFIXES), st.integers(min_value=0, max_value=5))
def test_fields_are_exactly_what_the_bot_writes(data: str, prefix: str, count: int) -> None:
    parts = fields(data, prefix, count)
    if parts is not None:
        assert ":".join([prefix, *parts]) == data
        assert len(data.encode()) <= 64 and data.isascii() and data.isprintable()


@given(st.text(max_size=30))
def test_numbers_are_ascii_digits_within_the_database_range(text: str) -> None:
    value = number(text)
    if value is not None:
        assert text.isascii() and text.isdigit() and 0 <= value <= MAX_ID and int(text) == value
    if (row := an_id(text)) is not None:
        assert row >= 1
    if (page := a_page(text)) is not None:
        assert page >= 0


@pytest.fixture
async def world(app_db: Database) -> World:
    world = await make_world(app_db, locale="en")
    await report(app_db, world.resident.id)  # something real for well-formed data to find
    return world


@pytest.mark.parametrize("prefix", PREFIXES)
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(parts=st.lists(FIELD, min_size=0, max_size=4))
async def test_any_data_under_any_prefix_is_answered_without_an_error(
    app: RedPropApplication,
    world: World,
    chat: Any,
    telegram: FakeTelegram,
    caplog: pytest.LogCaptureFixture,
    prefix: str,
    parts: list[str],
) -> None:
    data = ":".join([prefix, *parts])
    mark = len(telegram.calls)
    with caplog.at_level(logging.ERROR):
        await chat(RESIDENT).press(data)
    assert [record.getMessage() for record in caplog.records if record.levelno >= logging.ERROR] == []
    answered = [call for call in telegram.calls[mark:] if call.method == "answerCallbackQuery"]
    assert answered, f"{data!r} was not answered"
    caplog.clear()
