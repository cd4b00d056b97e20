"""The one line a failed start prints, for the failures the end-to-end tests cannot provoke."""

from __future__ import annotations

import errno
import logging
from collections.abc import Iterator

import pytest
from telegram.error import NetworkError

from bot.startup import QuietBootstrap, Step, describe
from locales.i18n import use_locale


@pytest.fixture(autouse=True)
def _english() -> Iterator[None]:
    with use_locale("en"):
        yield


def test_a_port_in_use_names_the_port() -> None:
    failure = describe(Step.PORT, OSError(errno.EADDRINUSE, "Address already in use"))
    assert failure.line == "Start failed: could not open the port: [Errno 98] Address already in use"
    assert failure.code == 1


def test_a_port_refused_while_starting_is_still_the_port() -> None:
    failure = describe(Step.START, PermissionError(errno.EACCES, "Permission denied"))
    assert failure.line.startswith("Start failed: could not open the port:")


def test_a_telegram_error_after_get_me_is_not_blamed_on_get_me() -> None:
    failure = describe(Step.START, NetworkError("Bad Gateway"))
    assert failure.line == "Start failed: the Telegram Bot API: Bad Gateway"


def test_anything_else_is_one_line_with_its_kind() -> None:
    failure = describe(Step.START, RuntimeError("first line\nsecond line"))
    assert failure.line == "Start failed: RuntimeError: first line"


def test_ptbs_bootstrap_traceback_is_kept_for_debug_only() -> None:
    record = logging.LogRecord(
        "telegram.ext",
        logging.ERROR,
        __file__,
        1,
        "%s Aborting.",
        ("Network Retry Loop (Bootstrap X):",),
        None,
    )
    root = logging.getLogger()
    level = root.level
    try:
        root.setLevel(logging.INFO)
        assert not QuietBootstrap().filter(record)
        root.setLevel(logging.DEBUG)
        assert QuietBootstrap().filter(record) and record.levelname == "DEBUG"
    finally:
        root.setLevel(level)
    polling = logging.LogRecord("telegram.ext", logging.ERROR, __file__, 1, "Polling failed", None, None)
    assert QuietBootstrap().filter(polling) and polling.levelname == "ERROR"
