"""The work list: whose open cases, in which order, one query per page."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import event

from models.base import utcnow
from models.cases.actions import accept_case, forward_case, resolve_case
from models.cases.opening import Deadlines
from models.cases.tables import Case, CaseStatus
from models.cases.worklist import open_cases_for
from models.directory.tables import Person
from storage.database import Database
from tests.factories.cases import report
from tests.factories.world import World, make_world


@pytest.fixture
async def world(db: Database) -> World:
    return await make_world(db)


async def worklist(
    db: Database, person_id: int, *, page: int = 0, per_page: int = 50
) -> tuple[list[str], int]:
    async with db.read() as session:
        person = await session.get(Person, person_id)
        assert person is not None
        cases, total = await open_cases_for(
            session=session, person=person, now=utcnow(), page=page, per_page=per_page
        )
    return [case.number for case in cases], total


async def test_overdue_first_then_by_resolution_deadline(db: Database, world: World) -> None:
    now = utcnow()
    late = Deadlines(response=timedelta(hours=1), resolution=timedelta(days=30))
    soon = Deadlines(response=timedelta(hours=24), resolution=timedelta(days=2))
    later = Deadlines(response=timedelta(hours=24), resolution=timedelta(days=5))
    c_later = await report(db, world.resident.id, deadlines=later, now=now)
    c_soon = await report(db, world.resident.id, deadlines=soon, now=now)
    # Reported two hours ago with a one-hour response deadline and no answer yet: overdue.
    c_late = await report(db, world.resident.id, deadlines=late, now=now - timedelta(hours=2))
    numbers, total = await worklist(db, world.instructor.id)
    assert numbers == [c_late.number, c_soon.number, c_later.number]
    assert total == 3


async def test_only_open_cases_the_person_handles(db: Database, world: World) -> None:
    mine = await report(db, world.resident.id)
    done = await report(db, world.resident.id)
    async with db.write() as session:
        instructor = await session.get(Person, world.instructor.id)
        assert instructor is not None
        await accept_case(session=session, case_id=done.id or 0, actor=instructor, now=utcnow())
        await resolve_case(
            session=session,
            case_id=done.id or 0,
            actor=instructor,
            note="ok",
            photo_file_ids=[],
            now=utcnow(),
        )
    other = await report(db, world.neighbour.id)  # the party committee's
    assert await worklist(db, world.instructor.id) == ([mine.number], 1)
    assert await worklist(db, world.other_instructor.id) == ([], 0)
    assert await worklist(db, world.bare_committee.id) == ([other.number], 1)
    assert await worklist(db, world.resident.id) == ([], 0)


async def test_staff_see_cases_forwarded_to_their_enterprise(db: Database, world: World) -> None:
    case = await report(db, world.resident.id)
    assert await worklist(db, world.staff.id) == ([], 0)
    async with db.write() as session:
        instructor = await session.get(Person, world.instructor.id)
        assert instructor is not None
        await forward_case(session=session, case_id=case.id or 0, actor=instructor, now=utcnow())
    assert await worklist(db, world.staff.id) == ([case.number], 1)
    assert await worklist(db, world.other_staff.id) == ([], 0)


async def test_office_admins_see_office_level_cases_of_their_street(db: Database, world: World) -> None:
    case = await report(db, world.resident.id)
    async with db.write() as session:
        row = await session.get(Case, case.id)
        assert row is not None
        row.owner_level = "office"  # type: ignore[assignment]
        row.owner_id = None  # nobody reachable at the office when it came
        row.status = CaseStatus.REJECTED
        session.add(row)
    assert await worklist(db, world.admin.id) == ([case.number], 1)
    assert await worklist(db, world.instructor.id) == ([], 0)


async def test_pages_are_single_queries(db: Database, world: World) -> None:
    numbers = [(await report(db, world.resident.id)).number for _ in range(7)]
    statements: list[str] = []

    def count(*args: object) -> None:
        statements.append(str(args[2]))

    event.listen(db.engine.sync_engine, "before_cursor_execute", count)
    try:
        first, total = await worklist(db, world.instructor.id, page=0, per_page=3)
        queries_for_one_page = len([s for s in statements if 'FROM "case"' in s or "FROM case" in s])
        last, _ = await worklist(db, world.instructor.id, page=2, per_page=3)
        beyond, beyond_total = await worklist(db, world.instructor.id, page=5, per_page=3)
    finally:
        event.remove(db.engine.sync_engine, "before_cursor_execute", count)
    assert total == 7 and len(first) == 3 and len(last) == 1
    assert queries_for_one_page == 1
    assert (beyond, beyond_total) == ([], 7)
    all_numbers = [*first, *(await worklist(db, world.instructor.id, page=1, per_page=3))[0], *last]
    assert sorted(all_numbers) == sorted(numbers)
