"""Logging: one line per record, and the bot token never written, not even at DEBUG."""

from __future__ import annotations

import io
import json
import logging
import sys
from collections.abc import Iterator
from datetime import datetime
from typing import Any

import pytest
from telegram import Update

from bot.app import build_application
from bot.logs import REDACTED, RedactingFormatter, setup_logging
from bot.sandbox.telegram import FakeTelegram
from bot.sandbox.updates import TelegramUser, message_update
from config.settings import load_settings
from tests.factories.ids import stranger
from tests.fakes.request import FakeRequest

TOKEN = "123456789:AAHconfiguredTokenForLogTests_abcde"  # 35 characters after the colon
OTHER_TOKEN = "7000000001:AAGsomeOtherBotsTokenLooksLike-x1yz"  # token-shaped, not configured


def record(msg: str, *args: Any, exc_info: Any = None, name: str = "redprop") -> logging.LogRecord:
    return logging.LogRecord(name, logging.ERROR, __file__, 1, msg, args or None, exc_info)


@pytest.fixture
def formatter() -> RedactingFormatter:
    return RedactingFormatter([TOKEN])


def test_configured_token_is_removed_from_the_message(formatter: RedactingFormatter) -> None:
    line = formatter.format(record(f"POST https://api.telegram.org/bot{TOKEN}/getMe 200"))
    assert TOKEN not in line and "AAHconfigured" not in line
    assert f"https://api.telegram.org/bot{REDACTED}/getMe 200" in line


def test_configured_token_is_removed_from_the_arguments(formatter: RedactingFormatter) -> None:
    line = formatter.format(record("request to %s with %r", f"/bot{TOKEN}/getUpdates", {"token": TOKEN}))
    assert TOKEN not in line
    assert line.count(REDACTED) == 2


def test_a_configured_secret_of_any_shape_is_removed() -> None:
    line = RedactingFormatter(["short-secret", ""]).format(record("password=short-secret ok"))
    assert "short-secret" not in line and f"password={REDACTED} ok" in line


def test_anything_token_shaped_is_removed_even_if_not_configured(formatter: RedactingFormatter) -> None:
    line = formatter.format(record("other bot at bot%s/sendMessage", OTHER_TOKEN))
    assert OTHER_TOKEN not in line and "AAGsomeOther" not in line
    assert f"bot{REDACTED}/sendMessage" in line


def test_ordinary_text_with_colons_and_numbers_is_kept(formatter: RedactingFormatter) -> None:
    line = formatter.format(record("case 12345: user 42 at 10:30:15 said hi"))
    assert line.endswith("redprop: case 12345: user 42 at 10:30:15 said hi")


def _raise_with_token() -> None:
    token = TOKEN  # a local holding the token, like a Bot's own attribute
    raise ValueError(f"could not call https://api.telegram.org/bot{token}/getMe\nsecond line")


def test_token_is_removed_from_a_traceback_and_it_stays_one_line(formatter: RedactingFormatter) -> None:
    try:
        _raise_with_token()
    except ValueError:
        line = formatter.format(record("update failed", exc_info=sys.exc_info()))
    assert TOKEN not in line
    assert "\n" not in line and "\r" not in line
    assert "update failed | Traceback (most recent call last):" in line
    assert f"ValueError: could not call https://api.telegram.org/bot{REDACTED}/getMe | second line" in line
    assert "_raise_with_token" in line  # the traceback itself is kept


def test_stack_info_is_one_line_too(formatter: RedactingFormatter) -> None:
    entry = record(f"dump {TOKEN}")
    entry.stack_info = f"Stack (most recent call last):\n  File 'x.py', line 1\n    call({TOKEN!r})"
    line = formatter.format(entry)
    assert TOKEN not in line and "\n" not in line and "Stack (most recent call last):" in line


def test_every_record_is_one_line(formatter: RedactingFormatter) -> None:
    line = formatter.format(record("first\r\nsecond\nthird %s", "fourth\nfifth"))
    assert "\n" not in line and "\r" not in line
    assert line.endswith("first | second | third fourth | fifth")


# --- setup_logging ------------------------------------------------------------------------------


@pytest.fixture
def restore_logging() -> Iterator[None]:
    """setup_logging replaces the root handlers (pytest's own among them): put everything back."""
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    names = ("httpx", "httpcore", "apscheduler", "alembic")
    levels = {name: logging.getLogger(name).level for name in names}
    yield
    for handler in list(root.handlers):
        root.removeHandler(handler)
    for handler in handlers:
        root.addHandler(handler)
    root.setLevel(level)
    for name, saved in levels.items():
        logging.getLogger(name).setLevel(saved)


def test_setup_logging_silences_httpx_info_and_redacts(
    restore_logging: None, capsys: pytest.CaptureFixture[str]
) -> None:
    setup_logging("DEBUG", secrets=[TOKEN])
    root = logging.getLogger()
    assert root.level == logging.DEBUG
    assert len(root.handlers) == 1 and isinstance(root.handlers[0].formatter, RedactingFormatter)
    assert not logging.getLogger("httpx").isEnabledFor(logging.INFO)
    assert not logging.getLogger("httpcore").isEnabledFor(logging.DEBUG)

    logging.getLogger("httpx").info('HTTP Request: POST https://api.telegram.org/bot%s/getMe "200 OK"', TOKEN)
    logging.getLogger("httpx").warning("retrying https://api.telegram.org/bot%s/getMe", TOKEN)
    logging.getLogger("redprop").debug("token is %s", TOKEN)
    err = capsys.readouterr().err
    lines = err.splitlines()
    assert len(lines) == 2, err
    assert "HTTP Request" not in err and TOKEN not in err
    assert lines[0].endswith(f"WARNING httpx: retrying https://api.telegram.org/bot{REDACTED}/getMe")
    assert lines[1].endswith(f"DEBUG redprop: token is {REDACTED}")


def test_setup_logging_keeps_apscheduler_at_info_or_above(restore_logging: None) -> None:
    setup_logging("DEBUG", secrets=[])
    assert logging.getLogger("apscheduler").level == logging.INFO
    setup_logging("ERROR", secrets=[])
    assert logging.getLogger("apscheduler").level == logging.ERROR


def test_json_lines_hold_the_fields_and_never_the_token(
    restore_logging: None, capsys: pytest.CaptureFixture[str]
) -> None:
    setup_logging("INFO", secrets=[TOKEN], fmt="json")
    logging.getLogger("redprop.test").warning('calling bot%s with "quotes"\nand 中文', TOKEN)
    try:
        _raise_with_token()
    except ValueError:
        logging.getLogger("redprop.test").exception("update %d failed", 7)
    err = capsys.readouterr().err
    lines = err.splitlines()
    assert len(lines) == 2, err
    first, second = (json.loads(line) for line in lines)
    assert first["level"] == "WARNING" and first["logger"] == "redprop.test"
    assert first["message"] == f'calling bot{REDACTED} with "quotes"\nand 中文'
    assert datetime.fromisoformat(first["time"]).tzinfo is not None
    assert second["message"] == "update 7 failed" and second["level"] == "ERROR"
    assert second["exception"].startswith("Traceback (most recent call last):")
    assert f"bot{REDACTED}/getMe" in second["exception"] and "_raise_with_token" in second["exception"]
    assert TOKEN not in err and TOKEN.split(":")[1] not in err


def test_json_lines_redact_a_secret_that_json_would_escape(
    restore_logging: None, capsys: pytest.CaptureFixture[str]
) -> None:
    secret = 'pass"word\\x'
    setup_logging("INFO", secrets=[secret], fmt="json")
    logging.getLogger("redprop.test").warning("password=%s", secret)
    entry = json.loads(capsys.readouterr().err)
    assert entry["message"] == f"password={REDACTED}"


# --- the real application at DEBUG --------------------------------------------------------------


async def test_real_application_at_debug_never_writes_the_token(
    database_url: str, restore_logging: None
) -> None:
    """Drive /start through the real Application with every logger at DEBUG."""
    output = io.StringIO()
    handler = logging.StreamHandler(output)
    handler.setFormatter(RedactingFormatter([TOKEN]))
    records: list[logging.LogRecord] = []
    counter = logging.Handler()
    counter.emit = records.append  # type: ignore[method-assign]
    root = logging.getLogger()
    root.setLevel(logging.DEBUG)
    root.addHandler(handler)
    root.addHandler(counter)
    try:
        settings = load_settings(overrides={"telegram.token": TOKEN, "database.url": database_url})
        telegram = FakeTelegram()
        app = build_application(settings, request=FakeRequest(telegram))
        await app.initialize()
        assert app.post_init is not None
        await app.post_init(app)
        try:
            user = TelegramUser(stranger(1), "Alice", "en")
            update = {"update_id": telegram.next_update_id(), **message_update(user, "/start")}
            await app.process_update(Update.de_json(update, app.bot))
        finally:
            await app.shutdown()
            assert app.post_shutdown is not None
            await app.post_shutdown(app)
    finally:
        root.removeHandler(handler)
        root.removeHandler(counter)

    assert telegram.texts_to(stranger(1)) and telegram.texts_to(stranger(1))[0].startswith("Hello, Alice!")
    written = output.getvalue()
    lines = written.splitlines()
    assert sum(" DEBUG " in line for line in lines) >= 5, written  # DEBUG really was on
    assert any("telegram" in line for line in lines)  # ...and PTB itself logged
    assert TOKEN not in written
    assert TOKEN.split(":")[1] not in written  # not even the secret half on its own
    assert len(lines) == len(records)  # one line per record
