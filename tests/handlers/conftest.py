"""Handler tests drive the real Application against the in-process fake Bot API."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from bot.app import build_application
from bot.sandbox.telegram import FakeTelegram
from bot.sandbox.updates import TelegramUser
from config.settings import Settings, load_settings
from handlers.context import RedPropApplication
from models import clock
from storage.database import Database
from tests.fakes.chat import ChatDriver
from tests.fakes.request import FakeRequest

TOKEN = "123456789:AAHfakeTokenForTestsOnly_abcdefghijklm"


@pytest.fixture
def telegram() -> FakeTelegram:
    return FakeTelegram()


@pytest.fixture
def settings(database_url: str) -> Settings:
    # No background sender: a test delivers the outbox itself when it wants to see notifications.
    return load_settings(
        overrides={"telegram.token": TOKEN, "database.url": database_url, "outbox.enabled": False}
    )


@pytest.fixture
async def app(settings: Settings, telegram: FakeTelegram) -> AsyncIterator[RedPropApplication]:
    application = build_application(settings, request=FakeRequest(telegram))
    await application.initialize()
    assert application.post_init is not None
    await application.post_init(application)
    yield application
    await application.shutdown()
    assert application.post_shutdown is not None
    await application.post_shutdown(application)


@pytest.fixture
def app_db(app: RedPropApplication) -> Database:
    """The database the application itself uses."""
    from handlers.context import DB_KEY

    database: Database = app.bot_data[DB_KEY]
    return database


@pytest.fixture
def chat(app: RedPropApplication, telegram: FakeTelegram):  # type: ignore[no-untyped-def]
    """Make a driver for a user: ``li = chat(TelegramUser(RESIDENT_TG, "Li", "en"))``."""

    def make(user: TelegramUser) -> ChatDriver:
        return ChatDriver(app, telegram, user)

    return make


@pytest.fixture
def clock_file(app: RedPropApplication, tmp_path: Path) -> Iterator[str]:
    """The bot's clock, to move forward with ``models.clock.move_clock``; the system's again after.
    (After ``app``: building the application sets the clock from the settings.)"""
    path = str(tmp_path / "clock")
    clock.use_clock_file(path)
    yield path
    clock.use_clock_file(None)
