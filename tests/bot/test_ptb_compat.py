"""What bot/ptb_compat.py and the bot's HTTP client assume of python-telegram-bot, checked.

Each test names a PTB detail the bot relies on beyond PTB's documented API (or documented only
as a transition); a PTB upgrade that changes one fails here, not in production.
"""

from __future__ import annotations

import warnings
from collections.abc import MutableMapping
from datetime import timedelta
from typing import Any, get_type_hints

import pytest
from telegram import Bot
from telegram.error import RetryAfter
from telegram.ext import BasePersistence
from telegram.request import BaseRequest, RequestData
from telegram.warnings import PTBDeprecationWarning

from bot.ptb_compat import CDCData, ConversationDict, ConversationKey, retry_seconds, use_timedelta_periods

TOKEN = "123456789:AAHcompatTestToken_abcdefghijklmnopqrs"


def test_the_persistence_type_names_are_what_the_bot_stores() -> None:
    # bot/persistence/ptb.py keeps conversation keys and states as these shapes.
    assert ConversationKey == tuple[int | str, ...]
    assert ConversationDict == MutableMapping[ConversationKey, object]
    assert CDCData == tuple[list[tuple[str, float, dict[str, Any]]], dict[str, str]]
    # ...and they are the ones PTB's BasePersistence is annotated with.
    assert get_type_hints(BasePersistence.get_conversations)["return"] == ConversationDict
    assert get_type_hints(BasePersistence.update_conversation)["key"] == ConversationKey
    assert get_type_hints(BasePersistence.update_callback_data)["data"] == CDCData


def test_with_timedelta_periods_a_flood_error_warns_nothing_and_gives_its_wait(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("PTB_TIMEDELTA", raising=False)
    use_timedelta_periods()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        error = RetryAfter(3)
        assert error.retry_after == timedelta(seconds=3)
        assert retry_seconds(error) == 3.0
        assert retry_seconds(RetryAfter(timedelta(seconds=2.5))) == 2.5


def test_without_them_ptb_warns_as_it_makes_the_error_and_gives_an_int(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Why the bot opts in: PTB 22's RetryAfter reads its own retry_after as it is made.
    monkeypatch.setenv("PTB_TIMEDELTA", "false")
    with pytest.warns(PTBDeprecationWarning, match="retry_after"):
        error = RetryAfter(3)
        assert error.retry_after == 3
        assert retry_seconds(error) == 3.0


class _Recording(BaseRequest):
    """Answers every call with ``true`` and keeps the timeouts it was given."""

    def __init__(self) -> None:
        self.timeouts: list[tuple[Any, ...]] = []

    @property
    def read_timeout(self) -> float | None:
        return 5.0

    async def initialize(self) -> None:
        pass

    async def shutdown(self) -> None:
        pass

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
        self.timeouts.append((read_timeout, write_timeout, connect_timeout, pool_timeout))
        return 200, b'{"ok":true,"result":true}'


async def test_a_timeout_a_call_does_not_set_arrives_as_the_public_default_none() -> None:
    # bot/telegram_http.py tells "use the default" from a given timeout by this identity alone.
    request = _Recording()
    bot = Bot(TOKEN, request=request, get_updates_request=request)
    await bot.delete_message(42, 7)
    await bot.delete_message(42, 8, read_timeout=2, pool_timeout=None)
    default = BaseRequest.DEFAULT_NONE
    assert request.timeouts[0] == (default, default, default, default)
    assert request.timeouts[1] == (2, default, default, None)
