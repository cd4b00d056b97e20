"""Reports and suggestions in the domain: one case per draft, the hourly limit, suggestions apart."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import col, select

from models.base import utcnow
from models.case_actions import NO_COMMUNITY, CaseActionRefused, CaseDraft
from models.case_opening import case_for_draft
from models.case_timeline import CARD
from models.cases import Case, CaseEvent, CasePhoto, CaseStatus, EventKind, OwnerLevel, Suggestion
from models.categories import ReportCategory
from models.db import Database
from models.directory import Person
from models.outbox import OutboxMessage
from models.reporting import (
    TOO_MANY_REPORTS,
    ReportAllowance,
    report_allowance,
    reports_in_last_hour,
    submit_report,
    submit_suggestion,
    suggestion_count,
)
from tests.cases_world import DEADLINES, World, make_world, report


def draft(key: str) -> CaseDraft:
    return CaseDraft(
        key=key,
        category=ReportCategory.LEAK,
        description="Water through the ceiling.",
        photo_file_ids=["a", "b"],
        latitude=36.0,
        longitude=120.0,
    )


async def submit(db: Database, person_id: int, key: str, per_hour: int = 5) -> Case:
    async with db.write() as session:
        person = await session.get(Person, person_id)
        assert person is not None
        opened = await submit_report(
            session=session,
            reporter=person,
            draft=draft(key),
            deadlines=DEADLINES,
            per_hour=per_hour,
            now=utcnow(),
        )
        return opened.case


@pytest.fixture
async def world(db: Database) -> World:
    return await make_world(db)


async def test_reports_in_last_hour_counts_only_the_persons_recent_cases(db: Database, world: World) -> None:
    now = utcnow()
    await report(db, world.resident, now=now - timedelta(minutes=10))
    await report(db, world.resident, now=now - timedelta(minutes=59))
    await report(db, world.resident, now=now - timedelta(minutes=61))
    await report(db, world.neighbour, now=now)
    async with db.read() as session:
        resident = await session.get(Person, world.resident)
        assert resident is not None
        assert await reports_in_last_hour(session=session, person=resident, now=now) == 2


async def test_report_allowance_names_the_community_and_counts_the_last_hour(
    db: Database, world: World
) -> None:
    now = utcnow()
    await report(db, world.resident, now=now - timedelta(minutes=10))
    await report(db, world.resident, now=now - timedelta(minutes=61))
    async with db.write() as session:
        stranger = Person(telegram_id=9998, name="Stranger")
        session.add(stranger)
    async with db.read() as session:
        resident = await session.get(Person, world.resident)
        neighbour = await session.get(Person, world.neighbour)
        assert resident is not None and neighbour is not None
        assert await report_allowance(session=session, person=resident, now=now) == ReportAllowance(
            "东方华庭", 1
        )
        assert await report_allowance(session=session, person=neighbour, now=now) == ReportAllowance(
            "老街小区", 0
        )
        assert await report_allowance(session=session, person=stranger, now=now) == ReportAllowance(None, 0)


async def test_the_same_draft_makes_one_case(db: Database, world: World) -> None:
    first = await submit(db, world.resident, "k1")
    again = await submit(db, world.resident, "k1", per_hour=1)  # the limit never hides the case
    assert again.id == first.id
    async with db.read() as session:
        assert len(list(await session.exec(select(Case)))) == 1
        resident = await session.get(Person, world.resident)
        neighbour = await session.get(Person, world.neighbour)
        assert resident is not None and neighbour is not None
        assert (await case_for_draft(session=session, reporter=resident, draft_key="k1")) is not None
        # Someone else's draft key names nothing.
        assert await case_for_draft(session=session, reporter=neighbour, draft_key="k1") is None


async def test_a_new_case_is_numbered_owned_and_timelined_and_its_card_queued(
    db: Database, world: World
) -> None:
    async with db.write() as session:
        reporter = await session.get(Person, world.resident)
        assert reporter is not None
        opened = await submit_report(
            session=session,
            reporter=reporter,
            draft=draft("k1"),
            deadlines=DEADLINES,
            per_hour=5,
            now=utcnow(),
        )
    assert opened.owner is not None and opened.owner.id == world.instructor
    async with db.read() as session:
        case = (await session.exec(select(Case))).one()
        lines = list(await session.exec(select(CaseEvent).order_by(col(CaseEvent.id))))
        photos = list(await session.exec(select(CasePhoto.file_id).order_by(col(CasePhoto.id))))
        cards = list(await session.exec(select(OutboxMessage.recipient_id, OutboxMessage.kind)))
    # The number the resident is told is the stored one, not the provisional one it was written with.
    assert case.number == opened.case.number == f"LSW-{case.created_at.year}-000001"
    assert (case.status, case.owner_level, case.owner_id) == (
        CaseStatus.ASSIGNED,
        OwnerLevel.INSTRUCTOR,
        world.instructor,
    )
    assert [(line.kind, line.status, line.actor_id) for line in lines] == [
        (EventKind.REPORTED, CaseStatus.NEW, world.resident),
        (EventKind.ROUTED, CaseStatus.ASSIGNED, None),
    ]
    assert photos == ["a", "b"]
    assert cards == [(world.instructor, CARD)]


async def test_the_hourly_limit_refuses_and_creates_nothing(db: Database, world: World) -> None:
    await submit(db, world.resident, "k1", per_hour=2)
    await submit(db, world.resident, "k2", per_hour=2)
    with pytest.raises(CaseActionRefused) as refused:
        await submit(db, world.resident, "k3", per_hour=2)
    assert refused.value.message == TOO_MANY_REPORTS and refused.value.params == {"limit": 2}
    async with db.read() as session:
        assert len(list(await session.exec(select(Case)))) == 2


async def test_no_community_no_report_and_no_suggestion(db: Database, world: World) -> None:
    async with db.write() as session:
        stranger = Person(telegram_id=9999, name="Stranger")
        session.add(stranger)
        await session.flush()
        stranger_id = stranger.id
    assert stranger_id is not None
    with pytest.raises(CaseActionRefused) as refused:
        await submit(db, stranger_id, "k1")
    assert refused.value.message == NO_COMMUNITY
    with pytest.raises(CaseActionRefused):
        async with db.write() as session:
            person = await session.get(Person, stranger_id)
            assert person is not None
            await submit_suggestion(session=session, author=person, text="More benches", now=utcnow())
    async with db.read() as session:
        assert list(await session.exec(select(Case))) == []
        assert list(await session.exec(select(Suggestion))) == []


async def test_suggestions_are_stored_for_the_community_and_counted_apart(db: Database, world: World) -> None:
    await report(db, world.resident)
    async with db.write() as session:
        resident = await session.get(Person, world.resident)
        assert resident is not None
        suggestion = await submit_suggestion(
            session=session, author=resident, text="More benches", now=utcnow()
        )
    assert (suggestion.author_id, suggestion.community_id, suggestion.text) == (
        world.resident,
        world.community,
        "More benches",
    )
    async with db.read() as session:
        assert await suggestion_count(session=session, community_id=world.community) == 1
        assert await suggestion_count(session=session, community_id=world.bare_community) == 0
        assert len(list(await session.exec(select(Case)))) == 1


async def test_case_numbers_count_up_per_street_and_start_again_each_year(db: Database, world: World) -> None:
    december = datetime(2026, 12, 31, 15, 0, tzinfo=UTC)
    numbers = [
        (await report(db, world.resident, now=december)).number,
        (await report(db, world.neighbour, now=december)).number,
        (await report(db, world.resident, now=december + timedelta(hours=10))).number,  # 2027 now
        (await report(db, world.neighbour, now=december + timedelta(hours=11))).number,
    ]
    assert numbers == ["LSW-2026-000001", "LSW-2026-000002", "LSW-2027-000001", "LSW-2027-000002"]
