"""/mycases: a resident's own cases, their timeline, and withdrawing one."""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import col, func, select

from bot.sandbox.telegram import FakeTelegram
from bot.sandbox.updates import TelegramUser, callback_update
from models.base import utcnow
from models.cases.actions import add_note
from models.cases.tables import Case, CaseEvent, CaseStatus, EventKind
from models.directory.tables import Person
from models.outbox.queue import OutboxMessage
from storage.database import Database
from tests.factories.cases import report
from tests.factories.directory import add_resident
from tests.factories.ids import INSTRUCTOR_TG, stranger
from tests.factories.world import make_world

INVALID = "This button is no longer valid."


async def _case(db: Database, case_id: int) -> Case:
    async with db.read() as session:
        case = await session.get(Case, case_id)
    assert case is not None
    return case


async def test_no_cases_yet(chat, app_db: Database) -> None:  # type: ignore[no-untyped-def]
    world = await make_world(app_db)
    li = await add_resident(app_db, "Li", community=world.community)
    assert await chat(TelegramUser(li.telegram_id, "Li", "en")).send("/mycases") == [
        "You have not reported any problems yet. Use /report to report one."
    ]
    # Someone the bot has never seen gets the same answer, and is not registered by it.
    assert await chat(TelegramUser(stranger(1), "New", "en")).send("/mycases") == [
        "You have not reported any problems yet. Use /report to report one."
    ]


async def test_lists_only_own_cases_newest_first_with_paging(
    chat, app_db: Database, telegram: FakeTelegram
) -> None:  # type: ignore[no-untyped-def]
    world = await make_world(app_db)
    li = await add_resident(app_db, "Li", community=world.community)
    ma = await add_resident(app_db, "Ma", community=world.community)
    start = utcnow() - timedelta(hours=3)
    mine = [await report(app_db, li.id, now=start + timedelta(minutes=n)) for n in range(7)]
    theirs = await report(app_db, ma.id, now=start + timedelta(minutes=3, seconds=30))
    driver = chat(TelegramUser(li.telegram_id, "Li", "en"))
    replies = await driver.send("/mycases")
    assert replies == ["Your cases, newest first. Tap one to see its progress.\nPage 1 of 2"]
    first = driver.buttons()
    expected = [f"{case.number} · Elevator · assigned" for case in reversed(mine)]
    assert list(first) == [*expected[:5], "▶"]
    assert first[expected[0]] == f"m:o:{mine[-1].id}"
    await driver.tap(first["▶"])
    second = driver.buttons()
    assert list(second) == [*expected[5:], "◀"]
    assert theirs.number not in " ".join([*first, *second])
    assert await driver.tap("m:p:2") == [INVALID]
    assert await driver.tap("m:p:x") == [INVALID]


async def test_timeline_shows_who_did_what_and_no_phone(
    chat, app_db: Database, telegram: FakeTelegram
) -> None:  # type: ignore[no-untyped-def]
    world = await make_world(app_db)
    li = await add_resident(app_db, "Li", community=world.community, phone="+8613800000004")
    case = await report(app_db, li.id, description="Water leaks from the roof.")
    async with app_db.write() as session:
        instructor = await session.get(Person, world.instructor.id)
        assert instructor is not None
        await add_note(
            session=session,
            case_id=case.id or 0,
            actor=instructor,
            text="A plumber comes on Monday.",
            photo_file_ids=[],
            now=utcnow(),
        )
    driver = chat(TelegramUser(li.telegram_id, "Li", "en"))
    await driver.send("/mycases")
    said = await driver.tap(f"m:o:{case.id}")
    text = said[-1]
    lines = text.splitlines()
    assert lines[:3] == [f"Case {case.number}", "Category: Elevator", "Status: in progress"]
    assert "│ Water leaks from the roof." in lines  # the resident's words apart from the fields
    assert lines[lines.index("Progress:") + 1].endswith(" Reported — Li")
    assert any(line.endswith(" Assigned — system") for line in lines)
    assert "   Assigned to the instructor paired with 海悦物业." in lines
    assert any(line.endswith(" Progress note — 王指导员") for line in lines)
    assert "   A plumber comes on Monday." in lines
    assert "+8613800000004" not in text and "Phone" not in text
    assert set(driver.buttons()) == {"Withdraw"}


async def test_someone_elses_case_is_refused(chat, app_db: Database, telegram: FakeTelegram) -> None:  # type: ignore[no-untyped-def]
    world = await make_world(app_db)
    li = await add_resident(app_db, "Li", community=world.community)
    ma = await add_resident(app_db, "Ma", community=world.community, phone="+8613800000006")
    await report(app_db, li.id)
    theirs = await report(app_db, ma.id)
    driver = chat(TelegramUser(li.telegram_id, "Li", "en"))
    await driver.send("/mycases")
    sent_before = len(telegram.calls_of("sendMessage", li.telegram_id))
    for data in (
        f"m:o:{theirs.id}",
        f"m:v:{theirs.id}",
        f"m:w:{theirs.id}",
        f"m:wy:{theirs.id}",
        "m:o:99999",
    ):
        assert await driver.tap(data) == [INVALID]
    assert len(telegram.calls_of("sendMessage", li.telegram_id)) == sent_before
    assert not any(theirs.number in text for text in driver.texts())
    assert (await _case(app_db, theirs.id or 0)).status == CaseStatus.ASSIGNED
    # The instructor handles the case but /mycases is only the reporter's own view.
    instructor = chat(TelegramUser(INSTRUCTOR_TG, "Wang", "en"))
    old_message = {"message_id": 1, "date": 0, "chat": instructor.user.private_chat(), "text": "…"}
    before = len(telegram.calls)
    await instructor.feed(callback_update(instructor.user, f"m:o:{theirs.id}", old_message))
    assert instructor.alerts(since=before) == [INVALID]
    assert instructor.texts() == []


async def test_withdraw_with_confirmation_and_a_harmless_double_tap(
    chat, app_db: Database, telegram: FakeTelegram
) -> None:  # type: ignore[no-untyped-def]
    world = await make_world(app_db)
    li = await add_resident(app_db, "Li", community=world.community)
    case = await report(app_db, li.id)
    driver = chat(TelegramUser(li.telegram_id, "Li", "en"))
    await driver.send("/mycases")
    await driver.tap(f"m:o:{case.id}")
    said = await driver.tap(f"m:w:{case.id}")
    assert (
        said[-1]
        == f"Withdraw case {case.number}? The people handling it will be told, and it cannot be undone."
    )
    assert driver.buttons() == {
        "Yes, withdraw it": f"m:wy:{case.id}",
        "No, keep it": f"m:v:{case.id}",
    }
    said = await driver.tap(f"m:v:{case.id}")  # back: nothing changes
    assert said[-1].startswith(f"Case {case.number}")
    assert (await _case(app_db, case.id or 0)).status == CaseStatus.ASSIGNED
    await driver.tap(f"m:w:{case.id}")
    before = len(telegram.calls)
    await driver.tap(f"m:wy:{case.id}")
    assert driver.alerts(since=before) == [f"Case {case.number} is withdrawn."]
    assert "Status: withdrawn" in driver.texts()[-1]
    assert driver.texts()[-1].splitlines()[-1].endswith(" Withdrawn — Li")
    async with app_db.read() as session:
        events = (
            await session.exec(
                select(func.count(col(CaseEvent.id)))
                .where(CaseEvent.case_id == case.id)
                .where(CaseEvent.kind == EventKind.WITHDRAWN)
            )
        ).one()
        told = (await session.exec(select(OutboxMessage).where(OutboxMessage.case_id == case.id))).all()
    assert events == 1
    outbox_count = len(told)
    before = len(telegram.calls)
    await driver.tap(f"m:wy:{case.id}")  # the second tap
    assert driver.alerts(since=before) == ["This case is withdrawn now, so this cannot be done any more."]
    before = len(telegram.calls)
    await driver.tap(f"m:w:{case.id}")
    assert driver.alerts(since=before) == ["This case is withdrawn now, so this cannot be done any more."]
    async with app_db.read() as session:
        events_after = (
            await session.exec(select(func.count(col(CaseEvent.id))).where(CaseEvent.case_id == case.id))
        ).one()
        told_after = (await session.exec(select(OutboxMessage).where(OutboxMessage.case_id == case.id))).all()
    assert (await _case(app_db, case.id or 0)).status == CaseStatus.WITHDRAWN
    assert events_after == 3  # reported, routed, withdrawn: nothing more
    assert len(told_after) == outbox_count
