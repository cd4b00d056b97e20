"""The global error handler: a failing update gets a short apology unless its change was saved,
and the bot keeps serving."""

from __future__ import annotations

import logging

import pytest
from sqlmodel import select

from bot.sandbox.telegram import FakeTelegram
from bot.sandbox.updates import TelegramUser
from models.cases.tables import Case, CaseStatus
from models.directory.tables import Person
from storage.database import Database
from tests.factories.cases import report
from tests.factories.ids import INSTRUCTOR_TG, stranger
from tests.factories.world import make_world
from tests.handlers.test_cases import open_card


async def test_a_failing_reply_is_logged_and_apologised_for_in_the_users_language(
    chat, telegram: FakeTelegram, caplog: pytest.LogCaptureFixture
) -> None:  # type: ignore[no-untyped-def]
    li = chat(TelegramUser(stranger(1), "李", "zh-hans"))
    telegram.fail(
        "sendMessage", status=400, description="Bad Request: message is too long", chat_id=stranger(1)
    )
    with caplog.at_level(logging.ERROR):
        replies = await li.send("/help")
    assert replies == ["抱歉，系统出了点问题，请稍后再试。"]
    assert any("error while handling update" in record.getMessage() for record in caplog.records)
    assert any(record.exc_info for record in caplog.records)
    # The bot keeps serving the same user.
    assert (await li.send("/help"))[0].startswith("可用命令")


async def test_a_user_who_blocked_the_bot_is_marked_unreachable_without_an_apology(
    chat, telegram: FakeTelegram, app_db: Database
) -> None:  # type: ignore[no-untyped-def]
    alice = chat(TelegramUser(stranger(1), "Alice", "en"))
    await alice.send("/start")
    telegram.fail("sendMessage", status=403, chat_id=stranger(1))
    assert await alice.send("/help") == []
    async with app_db.read() as session:
        person = (await session.exec(select(Person).where(Person.telegram_id == stranger(1)))).one()
    assert person.reachable is False
    # Writing again means they unblocked us.
    await alice.send("/start")
    async with app_db.read() as session:
        person = (await session.exec(select(Person).where(Person.telegram_id == stranger(1)))).one()
    assert person.reachable is True


APOLOGY = "Sorry, something went wrong on our side. Please try again in a moment."


async def test_no_apology_when_the_action_was_saved_and_only_the_answer_failed(
    chat, telegram: FakeTelegram, app_db: Database, caplog: pytest.LogCaptureFixture
) -> None:  # type: ignore[no-untyped-def]
    world = await make_world(app_db)
    case = await report(app_db, world.resident.id, description="The lift in building 3 is stuck.")
    wang = chat(TelegramUser(INSTRUCTOR_TG, "Wang", "en"))
    await open_card(wang, case)
    telegram.fail("editMessageText", status=500, chat_id=INSTRUCTOR_TG)
    before = len(telegram.calls)
    with caplog.at_level(logging.ERROR):
        await wang.tap(f"c:accept:{case.id}")

    async with app_db.read() as session:
        saved = await session.get(Case, case.id)
    assert saved is not None and saved.status == CaseStatus.ACCEPTED
    said = [str(call.params.get("text", "")) for call in telegram.calls[before:]]
    assert APOLOGY not in said
    assert [call.method for call in telegram.calls[before:] if call.result is None] == ["editMessageText"]
    assert any("after its change was saved" in record.getMessage() for record in caplog.records)
    # The next look at the case shows it accepted.
    assert "Status: accepted" in await open_card(wang, saved)
