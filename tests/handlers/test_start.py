"""/start, /help and /language as a user sees them."""

from __future__ import annotations

from sqlmodel import select

from bot.sandbox.telegram import FakeTelegram
from bot.sandbox.updates import TelegramUser, group_chat
from config.settings import Settings
from models.directory.tables import Person
from storage.database import Database
from tests.factories.ids import INSTRUCTOR_TG, RESIDENT_TG, stranger
from tests.factories.world import make_world


async def test_start_greets_in_chinese_for_zh_hans_and_registers_a_resident(chat, app_db: Database) -> None:  # type: ignore[no-untyped-def]
    li = chat(TelegramUser(stranger(1), "李", "zh-hans"))
    replies = await li.send("/start")
    # The greeting, then (no community yet) the street/community picker.
    assert len(replies) == 2
    assert "欢迎" in replies[0] and "/help" in replies[0]
    async with app_db.read() as session:
        person = (await session.exec(select(Person).where(Person.telegram_id == stranger(1)))).one()
    assert person.name == "李" and person.language_code == "zh-hans" and person.locale is None


async def test_start_greets_in_english_for_en(chat) -> None:  # type: ignore[no-untyped-def]
    replies = await chat(TelegramUser(stranger(1), "Alice", "en")).send("/start")
    assert replies[0].startswith("Hello, Alice! Welcome to Red Property.")


async def test_unknown_language_falls_back_to_default_locale(chat) -> None:  # type: ignore[no-untyped-def]
    replies = await chat(TelegramUser(stranger(1), "Hans", "de")).send("/start")
    assert "欢迎" in replies[0]


async def test_language_button_switches_and_is_remembered(chat, app_db: Database) -> None:  # type: ignore[no-untyped-def]
    li = chat(TelegramUser(stranger(1), "李", "zh-hans"))
    await li.send("/start")
    assert "选择" in (await li.send("/language"))[0]
    assert set(li.buttons()) == {"中文", "English"}
    said = await li.tap(li.buttons()["English"])
    assert "Language set to English." in said
    assert (await li.send("/help"))[0].startswith("Commands:")
    async with app_db.read() as session:
        person = (await session.exec(select(Person).where(Person.telegram_id == stranger(1)))).one()
    assert person.locale == "en"


async def test_forged_language_button_changes_nothing(chat, app_db: Database) -> None:  # type: ignore[no-untyped-def]
    li = chat(TelegramUser(stranger(1), "李", "zh-hans"))
    await li.send("/language")
    said = await li.tap("lang:fr")
    assert said == ["此按钮已失效。"]
    said = await li.tap("nonsense")
    assert said == ["此按钮已失效。"]
    async with app_db.read() as session:
        assert (await session.exec(select(Person).where(Person.telegram_id == stranger(1)))).first() is None


async def test_group_command_points_to_private_chat(chat, telegram: FakeTelegram) -> None:  # type: ignore[no-untyped-def]
    li = chat(TelegramUser(stranger(1), "李", "zh-hans"))
    group = group_chat()
    await li.feed(
        {
            "message": {
                "message_id": 5,
                "date": 0,
                "chat": group,
                "from": li.user.as_json(),
                "text": "/start",
                "entities": [{"type": "bot_command", "offset": 0, "length": 6}],
            }
        }
    )
    texts = telegram.texts_to(group["id"])
    assert texts == ["请在私聊中与我对话：https://t.me/redprop_test_bot"]


async def test_commands_are_published_per_language(telegram: FakeTelegram, settings: Settings, app) -> None:  # type: ignore[no-untyped-def]
    assert [c["command"] for c in telegram.commands["en"]][:3] == ["start", "help", "language"]
    assert {"profile", "mycases"} <= {c["command"] for c in telegram.commands["en"]}
    assert telegram.commands["en"][1]["description"] == "List the commands you can use"
    assert telegram.commands["zh"][1]["description"] != telegram.commands["en"][1]["description"]
    assert telegram.commands[""] == telegram.commands["zh"]


async def test_someone_with_a_role_gets_the_menu_of_their_roles_in_their_chat(
    chat, telegram: FakeTelegram, app_db: Database
) -> None:  # type: ignore[no-untyped-def]
    await make_world(app_db)
    await chat(TelegramUser(INSTRUCTOR_TG, "Wang", "en")).send("/start")
    await chat(TelegramUser(RESIDENT_TG, "Li", "en")).send("/start")
    menu = telegram.commands[f"chat:{INSTRUCTOR_TG}"]
    assert "cases" in [command["command"] for command in menu]
    assert menu[0]["description"] == "Start, and see what I can do for you"
    # Residents keep the default menu, which has no /cases.
    assert f"chat:{RESIDENT_TG}" not in telegram.commands
    assert "cases" not in [command["command"] for command in telegram.commands["en"]]
