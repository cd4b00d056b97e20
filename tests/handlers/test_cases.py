"""/cases and the case card as the instructor, the enterprise staff and the office use them."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest
from sqlmodel import col, select

from bot.sandbox.telegram import FakeTelegram
from bot.sandbox.updates import TelegramUser, callback_update
from handlers.context import RedPropApplication
from models.base import utcnow
from models.cases.opening import Deadlines
from models.cases.tables import Case, CaseEvent, CasePhoto, CaseStatus, EventKind, OwnerLevel
from models.outbox.kinds import OutboxKind
from models.outbox.queue import OutboxMessage
from storage.database import Database
from tests.factories.cases import report
from tests.factories.ids import ADMIN_TG, INSTRUCTOR_TG, OTHER_INSTRUCTOR_TG, RESIDENT_TG, STAFF_TG, stranger
from tests.factories.world import World, make_world

INSTRUCTOR = TelegramUser(INSTRUCTOR_TG, "Wang", "en")
STAFF = TelegramUser(STAFF_TG, "Liu", "en")
ADMIN = TelegramUser(ADMIN_TG, "Zhou", "en")
RESIDENT = TelegramUser(RESIDENT_TG, "Li", "en")
INVALID = "This button is no longer valid."


@pytest.fixture
async def world(app_db: Database) -> World:
    return await make_world(app_db)


async def load(db: Database, case_id: int) -> Case:
    async with db.read() as session:
        case = await session.get(Case, case_id)
        assert case is not None
        return case


async def events(db: Database, case_id: int) -> list[CaseEvent]:
    async with db.read() as session:
        query = select(CaseEvent).where(CaseEvent.case_id == case_id).order_by(col(CaseEvent.id))
        return list(await session.exec(query))


async def outbox(db: Database, kind: str) -> list[OutboxMessage]:
    async with db.read() as session:
        query = select(OutboxMessage).where(OutboxMessage.kind == kind).order_by(col(OutboxMessage.id))
        return list(await session.exec(query))


async def forge(driver: Any, data: str) -> list[str]:
    """Press a button with any data, as a modified client could, on a message of the bot's."""
    telegram: FakeTelegram = driver.telegram
    message = {
        "message_id": 999,
        "date": 0,
        "chat": driver.user.private_chat(),
        "from": {"id": 7000000001, "is_bot": True, "first_name": "Red Property"},
        "text": "old card",
    }
    before = len(telegram.calls)
    await driver.feed(callback_update(driver.user, data, message))
    return [
        str(call.params.get("text", ""))
        for call in telegram.calls[before:]
        if call.method in ("sendMessage", "editMessageText", "answerCallbackQuery")
    ]


async def open_card(driver: Any, case: Case) -> str:
    """Open the case from /cases; return the card text."""
    await driver.send("/cases")
    label = next(text for text in driver.buttons() if case.number in text)
    said = await driver.tap(driver.buttons()[label])
    return said[0]


async def test_instructor_sees_the_card_accepts_notes_and_resolves(  # type: ignore[no-untyped-def]
    chat, app_db: Database, world: World
) -> None:
    case = await report(app_db, world.resident.id, description="The lift in building 3 is stuck.")
    wang = chat(INSTRUCTOR)
    card = await open_card(wang, case)
    assert f"Case {case.number}" in card
    for line in (
        "Category: Elevator",
        "Status: assigned",
        "Building: 3号楼",
        "Reported by: Li Resident",
        "Phone: 13800000001",
        "The lift in building 3 is stuck.",
        "Respond by:",
        "Resolve by:",
    ):
        assert line in card
    assert list(wang.buttons()) == [
        "Accept",
        "Forward to enterprise",
        "Add progress note",
        "Not our responsibility",
        "Duplicate of…",
    ]

    said = await wang.tap(f"c:accept:{case.id}")
    assert said[0] == "Accepted."
    assert "Status: accepted" in said[1]
    assert (await load(app_db, case.id or 0)).status == CaseStatus.ACCEPTED
    # A second tap on the same old button changes nothing.
    count = len(await events(app_db, case.id or 0))
    said = await wang.tap(f"c:accept:{case.id}")
    assert said[0] == "This case is accepted now, so this cannot be done any more."
    assert len(await events(app_db, case.id or 0)) == count

    said = await wang.tap(f"c:note:{case.id}")
    assert "send the progress note" in said[-1]
    assert (await wang.send(sticker=_sticker())) == [
        "Please send text, or a photo with a caption, or /cancel."
    ]
    assert (await wang.send("x" * 2001)) == ["That is 2001 characters; please keep it to 2000 at most."]
    said = await wang.send("Technician comes at 3pm.")
    assert said[0] == f"Your note is added to case {case.number}; the resident is told."
    assert "Status: in progress" in said[1]  # the card redrawn in place
    note = (await events(app_db, case.id or 0))[-1]
    assert (note.kind, note.text) == (EventKind.NOTE, "Technician comes at 3pm.")
    assert [row.recipient_id for row in await outbox(app_db, OutboxKind.CASE_STATUS)] == [
        world.resident.id
    ] * 2

    await wang.tap(f"c:resolve:{case.id}")
    assert (await wang.send(photo=_photo())) == [
        "Please add the resolution note as the photo's caption, or /cancel."
    ]
    said = await wang.send(photo=_photo("fixed-lift"), caption="Lift repaired.")
    assert said[0] == f"Case {case.number} is resolved; the resident is told."
    after = await load(app_db, case.id or 0)
    assert after.status == CaseStatus.RESOLVED and after.resolved_at is not None
    async with app_db.read() as session:
        photos = list(await session.exec(select(CasePhoto).where(CasePhoto.case_id == case.id)))
    assert [photo.file_id for photo in photos] == ["fixed-lift"]
    # The card has no buttons left, and the list is empty.
    assert (await wang.send("/cases")) == ["You have no open cases."]


async def test_phone_is_shown_only_when_shared(chat, app_db: Database, world: World) -> None:  # type: ignore[no-untyped-def]
    async with app_db.write() as session:
        from models.directory.tables import Person

        resident = await session.get(Person, world.resident.id)
        assert resident is not None
        resident.phone_shared = False
        session.add(resident)
    case = await report(app_db, world.resident.id)
    card = await open_card(chat(INSTRUCTOR), case)
    assert "Reported by: Li Resident" in card and "13800000001" not in card


async def test_forward_then_staff_mark_work_done(chat, app_db: Database, world: World) -> None:  # type: ignore[no-untyped-def]
    case = await report(app_db, world.resident.id)
    wang = chat(INSTRUCTOR)
    await open_card(wang, case)
    said = await wang.tap(f"c:forward:{case.id}")
    assert said[0] == "Forwarded to the property enterprise."
    assert "Forwarded to: 海悦物业" in said[1]
    assert [row.recipient_id for row in await outbox(app_db, OutboxKind.CASE_CARD)] == [
        world.instructor.id,
        world.staff.id,
    ]

    liu = chat(STAFF)
    card = await open_card(liu, case)
    assert "Phone: 13800000001" in card
    assert list(liu.buttons()) == ["Add progress note", "Work done"]
    said = await liu.tap(f"c:work_done:{case.id}")
    assert said[0] == "Marked as done; the case owner is asked to confirm."
    assert "waiting for the resolution to be confirmed" in said[1]
    rows = await outbox(app_db, OutboxKind.CASE_WORK_DONE)
    assert [(row.recipient_id, row.case_id) for row in rows] == [(world.instructor.id, case.id)]
    # Tapped again: refused, nothing queued twice.
    said = await liu.tap(f"c:work_done:{case.id}")
    assert said[0] == "You cannot do this with this case."
    assert len(await outbox(app_db, OutboxKind.CASE_WORK_DONE)) == 1


async def test_forged_buttons_change_nothing(chat, app_db: Database, world: World) -> None:  # type: ignore[no-untyped-def]
    case = await report(app_db, world.resident.id)
    zhao = chat(TelegramUser(OTHER_INSTRUCTOR_TG, "Zhao", "en"))
    assert (await forge(zhao, f"c:accept:{case.id}")) == ["You cannot do this with this case."]
    assert (await forge(zhao, f"c:open:{case.id}")) == [INVALID]
    assert (await forge(zhao, f"c:note:{case.id}")) == [INVALID]
    assert (await zhao.send("This is not a note")) == []
    unknown = chat(TelegramUser(stranger(1), "Stranger", "en"))
    assert (await forge(unknown, f"c:accept:{case.id}")) == [INVALID]
    assert (await forge(unknown, "c:pg:0")) == [INVALID]
    assert (await forge(unknown, "c:accept:nonsense")) == [INVALID]
    after = await load(app_db, case.id or 0)
    assert after.status == CaseStatus.ASSIGNED and after.first_response_at is None
    assert [event.kind for event in await events(app_db, case.id or 0)] == [
        EventKind.REPORTED,
        EventKind.ROUTED,
    ]


async def test_reject_asks_for_a_reason_and_cancel_keeps_the_case(  # type: ignore[no-untyped-def]
    chat, app: RedPropApplication, app_db: Database, world: World
) -> None:
    case = await report(app_db, world.resident.id)
    wang = chat(INSTRUCTOR)
    await open_card(wang, case)
    said = await wang.tap(f"c:reject:{case.id}")
    assert "why is it not our responsibility" in said[-1]
    json.dumps(app.user_data[INSTRUCTOR_TG])  # stays storable
    assert (await wang.send("/cancel")) == ["Cancelled. The case is unchanged."]
    assert (await load(app_db, case.id or 0)).status == CaseStatus.ASSIGNED
    assert (await wang.send("It is the city's water main.")) == []

    await wang.tap(f"c:reject:{case.id}")
    said = await wang.send("It is the city's water main.")
    assert said[0] == f"Case {case.number} went back to the street property office."
    after = await load(app_db, case.id or 0)
    assert after.status == CaseStatus.REJECTED
    assert (after.owner_level, after.owner_id) == (OwnerLevel.OFFICE, world.admin.id)
    # The office sees it now and may take it on.
    zhou = chat(ADMIN)
    card = await open_card(zhou, case)
    assert "Status: not our responsibility" in card
    assert "Accept" in zhou.buttons()


async def test_duplicate_asks_again_on_a_bad_number(chat, app_db: Database, world: World) -> None:  # type: ignore[no-untyped-def]
    original = await report(app_db, world.resident.id, description="Lift stuck since Monday.")
    case = await report(app_db, world.resident.id)
    wang = chat(INSTRUCTOR)
    await open_card(wang, case)
    said = await wang.tap(f"c:duplicate:{case.id}")
    assert "send the number of the open case it duplicates" in said[-1]
    said = await wang.send("LSW-1999-000001")
    assert said == [
        "Case LSW-1999-000001 is not an open case of the same community.\n"
        "Send another case number, or /cancel."
    ]
    said = await wang.send(original.number)
    assert said[0] == (
        f"Case {case.number} is marked as a duplicate of {original.number}; the resident is told."
    )
    after = await load(app_db, case.id or 0)
    assert after.status == CaseStatus.DUPLICATE and after.duplicate_of_id == original.id


async def test_start_leaves_the_input_step(chat, app_db: Database, world: World) -> None:  # type: ignore[no-untyped-def]
    case = await report(app_db, world.resident.id)
    wang = chat(INSTRUCTOR)
    await open_card(wang, case)
    await wang.tap(f"c:note:{case.id}")
    said = await wang.send("/start")
    assert said[0].startswith("Hello, 王指导员! You are registered as:")
    assert "/cases" in said[0]
    await wang.send("Just chatting")
    assert [event.kind for event in await events(app_db, case.id or 0)][-1] == EventKind.ROUTED


async def test_cases_lists_overdue_first_and_pages(chat, app_db: Database, world: World) -> None:  # type: ignore[no-untyped-def]
    now = utcnow()
    later = Deadlines(response=timedelta(hours=24), resolution=timedelta(days=5))
    late = Deadlines(response=timedelta(hours=1), resolution=timedelta(days=30))
    cases = [await report(app_db, world.resident.id, deadlines=later) for _ in range(8)]
    overdue = await report(app_db, world.resident.id, deadlines=late, now=now - timedelta(hours=3))
    wang = chat(INSTRUCTOR)
    said = await wang.send("/cases")
    assert said[0].startswith("Your open cases: 9\nPage 1 of 2\n⚠️ marks an overdue case.")
    labels = list(wang.buttons())
    assert labels[0] == f"⚠️ {overdue.number} · Elevator · assigned"
    assert labels[1] == f"{cases[0].number} · Elevator · assigned"
    assert labels[-1] == "Next ›" and len(labels) == 9
    said = await wang.tap(wang.buttons()["Next ›"])
    assert "Page 2 of 2" in said[-1]
    assert (await chat(RESIDENT).send("/cases")) == ["This command is for the people who handle cases."]


def _sticker() -> dict[str, Any]:
    return {
        "file_id": "sticker-1",
        "file_unique_id": "s1",
        "type": "regular",
        "width": 512,
        "height": 512,
        "is_animated": False,
        "is_video": False,
    }


def _photo(file_id: str = "photo-1") -> list[dict[str, Any]]:
    return [
        {"file_id": f"{file_id}-small", "file_unique_id": "p0", "width": 90, "height": 90},
        {"file_id": file_id, "file_unique_id": "p1", "width": 800, "height": 800},
    ]
