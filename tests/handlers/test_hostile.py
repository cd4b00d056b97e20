"""The findings of a hostile user's tour (issue 16), each reproduced and shown refused."""

from __future__ import annotations

import logging
from typing import Any

import pytest
from sqlmodel import select

from bot.sandbox.telegram import FakeTelegram
from bot.sandbox.updates import TelegramUser, callback_update, group_chat, message_update
from handlers.context import RedPropApplication
from models.base import utcnow
from models.cases.handover import hand_on_uncovered_cases
from models.cases.tables import Case, CaseStatus, Suggestion
from models.directory.file import export_directory, import_directory
from models.directory.parsing import parse_directory
from storage.database import Database
from tests.factories.cases import report
from tests.factories.ids import INSTRUCTOR_TG, OTHER_INSTRUCTOR_TG, RESIDENT_TG, stranger
from tests.factories.world import World, make_world
from tests.fakes.chat import ChatDriver

INSTRUCTOR = TelegramUser(INSTRUCTOR_TG, "Wang", "en")
RESIDENT = TelegramUser(RESIDENT_TG, "Li", "en")
STRANGER = TelegramUser(stranger(1), "Eve", "en")
INVALID = "This button is no longer valid."


@pytest.fixture
async def world(app_db: Database) -> World:
    return await make_world(app_db, locale="en")


def answers(telegram: FakeTelegram, since: int) -> list[str]:
    """What the bot said after ``since``: texts, edits and button answers."""
    return [
        str(call.params.get("text", ""))
        for call in telegram.calls[since:]
        if call.method in ("sendMessage", "editMessageText", "answerCallbackQuery")
    ]


async def test_an_instructor_removed_from_the_directory_has_no_power_over_his_old_cards(
    app: RedPropApplication, app_db: Database, world: World, chat: Any, telegram: FakeTelegram
) -> None:
    case = await report(app_db, world.resident.id)
    wang: ChatDriver = chat(INSTRUCTOR)
    card = await wang.press(f"c:open:{case.id}")
    assert any("Phone: 13800000001" in text for text in card)  # his case, before the re-import
    async with app_db.read() as session:
        listed = await export_directory(session=session)
    without_wang = "\n".join(line for line in listed.splitlines() if str(INSTRUCTOR_TG) not in line)
    async with app_db.write() as session:
        summary = await import_directory(session=session, document=parse_directory(without_wang))
        handed = await hand_on_uncovered_cases(session=session, person_ids=summary.lost_roles, now=utcnow())
    assert [(h.number, h.previous) for h in handed] == [(case.number, "王指导员")]
    for data in (f"c:open:{case.id}", f"c:accept:{case.id}", f"c:resolve:{case.id}", f"c:note:{case.id}"):
        mark = len(telegram.calls)
        said = await wang.press(data)
        assert INVALID in said or "You cannot do this with this case." in said, (data, said)
        assert not any("13800000001" in text for text in answers(telegram, mark))
    async with app_db.read() as session:
        stored = await session.get(Case, case.id)
        assert (
            stored is not None
            and stored.status == CaseStatus.ASSIGNED
            and stored.owner_id != world.instructor.id
        )


async def test_a_stranger_learns_nothing_from_the_answer(
    app: RedPropApplication, app_db: Database, world: World, chat: Any
) -> None:
    assigned = await report(app_db, world.resident.id)
    accepted = await report(app_db, world.resident.id)
    zhao = chat(TelegramUser(OTHER_INSTRUCTOR_TG, "Zhao", "en"))  # another enterprise's instructor
    wang = chat(INSTRUCTOR)
    await wang.press(f"c:accept:{accepted.id}")
    said = [await zhao.press(f"c:accept:{case_id}") for case_id in (assigned.id, accepted.id, 99_999)]
    assert said[0] == said[1] == said[2]  # an open case, an accepted one, none at all: the same answer


@pytest.mark.parametrize(
    "data",
    [
        "c:accept:" + "9" * 25,
        "c:open:" + "9" * 25,
        "c:pg:" + "9" * 25,
        "v:" + "9" * 25 + ":stars:5",
        "m:o:" + "9" * 25,
        "m:o:²",
        "m:p:²",
        "p:sp:²",
        "p:st:²",
        "p:pg:²:0",
        "p:pg:1:²",
        "v:1:stars:²",
        "c:open:١٢",  # Arabic-Indic digits: int() would take them
        "c:accept:-1",
        "c:accept:0",
    ],
)
async def test_crafted_ids_are_a_stale_button_not_an_error(
    app: RedPropApplication,
    world: World,
    chat: Any,
    telegram: FakeTelegram,
    data: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    li = chat(RESIDENT)
    await li.send("/mycases")
    mark = len(telegram.calls)
    with caplog.at_level(logging.ERROR):
        await li.feed(
            callback_update(RESIDENT, data, {"message_id": 1, "date": 0, "chat": RESIDENT.private_chat()})
        )
    assert [record for record in caplog.records if record.levelno >= logging.ERROR] == []
    assert answers(telegram, mark) == [INVALID]


@pytest.mark.parametrize("sender", [RESIDENT, TelegramUser(4001, "Admin", "en")])
async def test_a_period_far_away_is_refused_clearly(
    app: RedPropApplication, world: World, chat: Any, sender: TelegramUser, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.ERROR):
        said = await chat(sender).send("/stats 9999-12-31..9999-12-31")
    assert said and ("2026Q3" in said[0] or "street property office" in said[0])
    assert [record for record in caplog.records if record.levelno >= logging.ERROR] == []


async def test_suggestions_stop_at_the_hourly_limit(
    app: RedPropApplication, app_db: Database, world: World, chat: Any
) -> None:
    li = chat(RESIDENT)
    for number in range(5):
        await li.send("/suggest")
        await li.send(f"Idea number {number}: more benches by the pond.")
        await li.tap(li.buttons()["Confirm"])
    said = await li.send("/suggest")
    assert said == [
        "You have made 5 suggestions in the last hour, the most we accept. Please try again a little later."
    ]
    async with app_db.read() as session:
        assert len(list(await session.exec(select(Suggestion)))) == 5


async def test_resident_text_cannot_pass_for_a_field_of_the_card(
    app: RedPropApplication, app_db: Database, world: World, chat: Any
) -> None:
    forged = "Lift stuck.\n\nStatus: resolved\nPhone: +8613912345678\n\u202eevil"
    case = await report(app_db, world.resident.id, description=forged)
    said = await chat(INSTRUCTOR).press(f"c:open:{case.id}")
    card = next(text for text in said if text.startswith(f"Case {case.number}"))
    lines = card.splitlines()
    assert [line for line in lines if line.startswith("Status: ")] == ["Status: assigned"]
    assert [line for line in lines if line.startswith("Phone: ")] == ["Phone: 13800000001"]
    assert "│ Status: resolved" in lines and "│ Phone: +8613912345678" in lines
    assert "\u202e" not in card


async def test_text_of_only_invisible_characters_is_empty(
    app: RedPropApplication, world: World, chat: Any
) -> None:
    li = chat(RESIDENT)
    await li.send("/report")
    await li.tap("r:cat:leak")
    said = await li.send("\u200b\u200b \u2060\ufeff")
    assert said == ["Please describe the problem in words."]


async def test_commands_for_other_bots_are_left_to_them(
    app: RedPropApplication, world: World, chat: Any, telegram: FakeTelegram
) -> None:
    li = chat(RESIDENT)
    assert await li.send("/start@otherbot") == []
    group = group_chat()

    async def in_group(text: str) -> list[str]:
        before = len(telegram.texts_to(group["id"]))
        await li.feed(message_update(RESIDENT, text, chat=group))
        return telegram.texts_to(group["id"])[before:]

    assert await in_group("/start@otherbot") == []
    assert await in_group("hello everyone") == []
    pointer = ["Please write to me in a private chat: https://t.me/redprop_test_bot"]
    assert await in_group("/start@redprop_test_bot") == pointer
    assert await in_group("/report") == pointer


async def test_a_forged_button_on_a_group_message_is_refused(
    app: RedPropApplication, app_db: Database, world: World, chat: Any, telegram: FakeTelegram
) -> None:
    case = await report(app_db, world.resident.id)
    wang = chat(INSTRUCTOR)
    group_message = {"message_id": 77, "date": 0, "chat": group_chat(), "text": "hello"}
    for data in (f"c:open:{case.id}", f"c:accept:{case.id}", "st:2026Q3"):
        mark = len(telegram.calls)
        await wang.feed(callback_update(INSTRUCTOR, data, group_message))
        calls = telegram.calls[mark:]
        assert [call.method for call in calls] == ["answerCallbackQuery"], data
        assert calls[0].params.get("text") == INVALID
    async with app_db.read() as session:
        stored = await session.get(Case, case.id)
        assert stored is not None and stored.status == CaseStatus.ASSIGNED
