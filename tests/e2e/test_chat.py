"""What a user sees when talking to the real bot process, through the fake Bot API."""

from __future__ import annotations

import asyncio
from typing import Any

from sqlmodel import select

from bot.sandbox.telegram import Call
from bot.sandbox.updates import TelegramUser, callback_update, message_update
from models.directory.tables import Person
from storage.database import Database
from tests.e2e.conftest import SESSION_STDERR, TOKEN, TOKEN_SECRET, BotRunner, token_leaks
from tests.factories.ids import stranger
from tests.fakes.server import FakeBotApiServer


def stored_locale(database_url: str, telegram_id: int) -> str | None:
    async def read() -> str | None:
        database = Database(database_url)
        try:
            async with database.read() as session:
                person = (await session.exec(select(Person).where(Person.telegram_id == telegram_id))).one()
                return person.locale
        finally:
            await database.dispose()

    return asyncio.run(read())


def sent_with_button(server: FakeBotApiServer, chat_id: int, label: str, since: int) -> Call:
    """The first message sent into the chat (after ``since``) with an inline button labelled ``label``."""

    def has_button(call: Call) -> bool:
        return call.chat_id == chat_id and label in buttons(call.result)

    return server.wait_for_call("sendMessage", has_button, since=since)


def buttons(message: Any) -> dict[str, str]:
    """Button text -> callback data of the message's inline keyboard."""
    if not isinstance(message, dict) or "reply_markup" not in message:
        return {}
    rows = message["reply_markup"]["inline_keyboard"]
    return {button["text"]: button["callback_data"] for row in rows for button in row}


def test_start_greets_in_the_users_telegram_language(bot: BotRunner, fake_api: FakeBotApiServer) -> None:
    process = bot.start()
    li = TelegramUser(stranger(1), "李", "zh-hans")
    alice = TelegramUser(stranger(2), "Alice", "en")

    fake_api.push(message_update(li, "/start"))
    fake_api.push(message_update(alice, "/start"))

    assert "欢迎" in fake_api.wait_for_text(li.id, "欢迎")
    greeting = fake_api.wait_for_text(alice.id, "Welcome")
    assert greeting.startswith("Hello, Alice! Welcome to Red Property.")
    assert process.stop() == 0


def test_language_choice_survives_a_restart(
    bot: BotRunner, fake_api: FakeBotApiServer, database_url: str
) -> None:
    li = TelegramUser(stranger(1), "李", "zh-hans")
    process = bot.start()

    mark = fake_api.mark()
    fake_api.push(message_update(li, "/language"))
    offer = sent_with_button(fake_api, li.id, "English", mark)
    choices = buttons(offer.result)
    assert set(choices) == {"中文", "English"}

    mark = fake_api.mark()
    fake_api.push(callback_update(li, choices["English"], offer.result))
    edit = fake_api.wait_for_call("editMessageText", lambda call: call.chat_id == li.id, since=mark)
    assert edit.params["text"] == "Language set to English."
    assert int(edit.params["message_id"]) == offer.result["message_id"]
    fake_api.wait_for_call("answerCallbackQuery", since=mark)

    mark = fake_api.mark()
    fake_api.push(message_update(li, "/help"))
    assert fake_api.wait_for_text(li.id, "Commands:", since=mark).startswith("Commands:\n/start")
    assert process.stop() == 0
    assert stored_locale(database_url, li.id) == "en"

    process = bot.start()
    mark = fake_api.mark()
    fake_api.push(message_update(li, "/help"))
    answer = fake_api.wait_for_text(li.id, "/help", since=mark)
    assert answer.startswith("Commands:"), answer
    assert process.stop() == 0


def test_debug_log_has_no_token(bot: BotRunner, fake_api: FakeBotApiServer) -> None:
    """A DEBUG run that starts, chats, fails once and stops writes lots of log, none of it the token."""
    li = TelegramUser(stranger(1), "李", "zh-hans")
    wang = TelegramUser(stranger(2), "王", "zh-hans")
    process = bot.start()
    fake_api.push(message_update(li, "/start"))
    fake_api.wait_for_text(li.id, "欢迎")
    fake_api.push(message_update(li, "/language"))
    fake_api.wait_for_text(li.id, "选择")
    # A reply that fails (the first message to a chat that has seen nothing else): the error
    # handler logs a traceback and apologises.
    fake_api.telegram.fail(
        "sendMessage", status=400, description="Bad Request: chat not found", chat_id=wang.id
    )
    fake_api.push(message_update(wang, "/help"))
    apology = fake_api.wait_for_text(wang.id, "抱歉")
    assert fake_api.texts_to(wang.id) == [apology], fake_api.describe_calls()
    assert process.stop() == 0

    stderr = process.stderr
    assert " DEBUG " in stderr and " ERROR " in stderr, stderr[-2000:]
    assert "getUpdates" in stderr  # the requests are logged, just not their URLs
    assert TOKEN not in stderr and TOKEN_SECRET not in stderr
    # And no earlier run of this session leaked it either.
    assert process.stderr_path in SESSION_STDERR
    for path in SESSION_STDERR:
        if path.exists():
            assert not token_leaks(path.read_text(encoding="utf-8", errors="replace")), path
