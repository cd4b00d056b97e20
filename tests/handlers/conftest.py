"""Handler tests drive the real Application against the in-process fake Bot API."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from telegram import Update

from bot.app import build_application
from config.settings import Settings, load_settings
from handlers.context import RedPropApplication
from models import clock
from storage.database import Database
from tests.fakes.request import FakeRequest
from tests.fakes.telegram import FakeTelegram
from tests.fakes.updates import TelegramUser, callback_update, message_update

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


@dataclass
class ChatDriver:
    """One Telegram user talking to the bot, as a person would: type, tap, read."""

    app: RedPropApplication
    telegram: FakeTelegram
    user: TelegramUser

    async def feed(self, update: dict[str, Any]) -> None:
        update = {"update_id": self.telegram.next_update_id(), **update}
        await self.app.process_update(Update.de_json(update, self.app.bot))

    async def send(self, text: str | None = None, **extra: Any) -> list[str]:
        """Send a message; return the texts the bot sent into this chat in answer."""
        before = len(self.telegram.texts_to(self.user.id))
        await self.feed(message_update(self.user, text, **extra))
        return self.telegram.texts_to(self.user.id)[before:]

    def last_message_with_buttons(self) -> dict[str, Any]:
        """The latest bot message in this chat that carries an inline keyboard, as Telegram holds it."""
        for call in reversed(self.telegram.calls_of("sendMessage", self.user.id)):
            if isinstance(call.result, dict) and "reply_markup" in call.result:
                return call.result
        raise AssertionError("the bot sent no message with buttons")

    def buttons(self) -> dict[str, str]:
        """The latest inline keyboard: button text -> callback data."""
        markup = self.last_message_with_buttons()["reply_markup"]
        return {
            button["text"]: button["callback_data"] for row in markup["inline_keyboard"] for button in row
        }

    async def tap(self, data: str) -> list[str]:
        """Press a button with this callback data on the latest keyboard; return what the bot said."""
        before = len(self.telegram.calls)
        await self.feed(callback_update(self.user, data, self.last_message_with_buttons()))
        return [
            str(call.params.get("text", ""))
            for call in self.telegram.calls[before:]
            if call.method in ("sendMessage", "editMessageText", "answerCallbackQuery")
        ]


@pytest.fixture
def chat(app: RedPropApplication, telegram: FakeTelegram):  # type: ignore[no-untyped-def]
    """Make a driver for a user: ``alice = chat(TelegramUser(1, "Alice", "en"))``."""

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
