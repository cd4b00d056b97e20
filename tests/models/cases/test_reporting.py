"""Reports and suggestions in the domain: one case per draft, the hourly limit, suggestions apart."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, tzinfo
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select, update

from models.base import utcnow
from models.cases.categories import ReportCategory
from models.cases.opening import NO_COMMUNITY, CaseDraft, OpenedCase, case_for_draft
from models.cases.reporting import (
    TOO_MANY_REPORTS,
    ReportAllowance,
    ReportRules,
    report_allowance,
    submit_report,
)
from models.cases.suggestions import TOO_MANY_SUGGESTIONS, submit_suggestion, suggestion_count
from models.cases.tables import (
    Case,
    CaseCounter,
    CaseEvent,
    CasePhoto,
    CaseStatus,
    EventKind,
    OwnerLevel,
    Suggestion,
)
from models.directory.tables import Person
from models.outbox.kinds import OutboxKind
from models.outbox.queue import OutboxMessage
from models.refusal import Refused
from storage.database import Database
from tests.factories.cases import DEADLINES, report
from tests.factories.ids import NEIGHBOUR_TG, RESIDENT_TG
from tests.factories.world import World, make_world


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
    async with db.read() as session:
        person = await session.get(Person, person_id)
    assert person is not None and person.telegram_id is not None
    return await submit_as(db, person.telegram_id, key, per_hour)


@pytest.fixture
async def world(db: Database) -> World:
    return await make_world(db)


async def test_the_hourly_count_takes_only_the_persons_last_hour(db: Database, world: World) -> None:
    now = utcnow()
    await report(db, world.resident.id, now=now - timedelta(minutes=10))
    await report(db, world.resident.id, now=now - timedelta(minutes=59))
    await report(db, world.resident.id, now=now - timedelta(minutes=61))
    await report(db, world.neighbour.id, now=now)
    async with db.read() as session:
        resident = await session.get(Person, world.resident.id)
        assert resident is not None
        allowance = await report_allowance(session=session, person=resident, now=now)
    assert allowance.reports_last_hour == 2


async def test_report_allowance_names_the_community_and_counts_the_last_hour(
    db: Database, world: World
) -> None:
    now = utcnow()
    await report(db, world.resident.id, now=now - timedelta(minutes=10))
    await report(db, world.resident.id, now=now - timedelta(minutes=61))
    async with db.write() as session:
        stranger = Person(telegram_id=9998, name="Stranger")
        session.add(stranger)
    async with db.read() as session:
        resident = await session.get(Person, world.resident.id)
        neighbour = await session.get(Person, world.neighbour.id)
        assert resident is not None and neighbour is not None
        assert await report_allowance(session=session, person=resident, now=now) == ReportAllowance(
            "东方华庭", 1
        )
        assert await report_allowance(session=session, person=neighbour, now=now) == ReportAllowance(
            "山后", 0
        )
        assert await report_allowance(session=session, person=stranger, now=now) == ReportAllowance(None, 0)


async def test_the_same_draft_makes_one_case(db: Database, world: World) -> None:
    first = await submit(db, world.resident.id, "k1")
    again = await submit(db, world.resident.id, "k1", per_hour=1)  # the limit never hides the case
    assert again.id == first.id
    async with db.read() as session:
        assert len(list(await session.exec(select(Case)))) == 1
        resident = await session.get(Person, world.resident.id)
        neighbour = await session.get(Person, world.neighbour.id)
        assert resident is not None and neighbour is not None
        assert (await case_for_draft(session=session, reporter=resident, draft_key="k1")) is not None
        # Someone else's draft key names nothing.
        assert await case_for_draft(session=session, reporter=neighbour, draft_key="k1") is None


async def test_a_new_case_is_numbered_owned_and_timelined_and_its_card_queued(
    db: Database, world: World
) -> None:
    opened = await opened_as(db, RESIDENT_TG, "k1")
    assert opened.owner is not None and opened.owner.id == world.instructor.id
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
        world.instructor.id,
    )
    assert [(line.kind, line.status, line.actor_id) for line in lines] == [
        (EventKind.REPORTED, CaseStatus.NEW, world.resident.id),
        (EventKind.ROUTED, CaseStatus.ASSIGNED, None),
    ]
    assert photos == ["a", "b"]
    assert cards == [(world.instructor.id, OutboxKind.CASE_CARD)]


async def test_the_hourly_limit_refuses_and_creates_nothing(db: Database, world: World) -> None:
    await submit(db, world.resident.id, "k1", per_hour=2)
    await submit(db, world.resident.id, "k2", per_hour=2)
    with pytest.raises(Refused) as refused:
        await submit(db, world.resident.id, "k3", per_hour=2)
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
    with pytest.raises(Refused) as refused:
        await submit(db, stranger_id, "k1")
    assert refused.value.message == NO_COMMUNITY
    with pytest.raises(Refused):
        async with db.write() as session:
            await submit_suggestion(
                session=session, telegram_id=9999, text="More benches", per_hour=5, now=utcnow()
            )
    async with db.read() as session:
        assert list(await session.exec(select(Case))) == []
        assert list(await session.exec(select(Suggestion))) == []


async def test_suggestions_are_stored_for_the_community_and_counted_apart(db: Database, world: World) -> None:
    await report(db, world.resident.id)
    async with db.write() as session:
        suggestion = await submit_suggestion(
            session=session, telegram_id=RESIDENT_TG, text="More benches", per_hour=5, now=utcnow()
        )
    assert (suggestion.author_id, suggestion.community_id, suggestion.text) == (
        world.resident.id,
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
        (await report(db, world.resident.id, now=december)).number,
        (await report(db, world.neighbour.id, now=december)).number,
        (await report(db, world.resident.id, now=december + timedelta(hours=10))).number,  # 2027 now
        (await report(db, world.neighbour.id, now=december + timedelta(hours=11))).number,
    ]
    assert numbers == ["LSW-2026-000001", "LSW-2026-000002", "LSW-2027-000001", "LSW-2027-000002"]


async def test_the_number_takes_the_year_of_the_streets_time_zone(db: Database, world: World) -> None:
    qingdao = ZoneInfo("Asia/Shanghai")
    new_years_morning = datetime(2026, 12, 31, 17, 30, tzinfo=UTC)  # 01:30 on 1 January 2027 in Qingdao
    opened = await opened_as(db, RESIDENT_TG, "new-year", now=new_years_morning, numbering_zone=qingdao)
    assert opened.case.number == "LSW-2027-000001"
    # The same moment counted in UTC is still 2026.
    assert (await report(db, world.neighbour.id, now=new_years_morning)).number == "LSW-2026-000001"


async def opened_as(
    db: Database,
    telegram_id: int,
    key: str,
    *,
    per_hour: int = 5,
    now: datetime | None = None,
    numbering_zone: tzinfo = UTC,
) -> OpenedCase:
    async with db.write() as session:
        return await submit_report(
            session=session,
            telegram_id=telegram_id,
            draft=draft(key),
            rules=rules(per_hour),
            now=now or utcnow(),
            numbering_zone=numbering_zone,
        )


def rules(per_hour: int) -> ReportRules:
    """Every category with the test deadlines, and this hourly limit."""
    return ReportRules(
        response_due={"default": DEADLINES.response},
        resolution_due={"default": DEADLINES.resolution},
        per_hour=per_hour,
    )


async def submit_as(db: Database, telegram_id: int, key: str, per_hour: int = 5) -> Case:
    return (await opened_as(db, telegram_id, key, per_hour=per_hour)).case


async def test_submitting_as_a_telegram_account_keeps_every_rule(db: Database, world: World) -> None:
    first = await submit_as(db, RESIDENT_TG, "k1")
    assert first.reporter_id == world.resident.id
    assert (await submit_as(db, RESIDENT_TG, "k1", per_hour=1)).id == first.id  # the same draft: its case
    with pytest.raises(Refused) as refused:
        await submit_as(db, RESIDENT_TG, "k2", per_hour=1)
    assert refused.value.message == TOO_MANY_REPORTS
    # Another resident's draft key never hands them that resident's case (the key stays unique).
    with pytest.raises(IntegrityError):
        await submit_as(db, NEIGHBOUR_TG, "k1")
    with pytest.raises(Refused) as unknown:
        await submit_as(db, 424242, "k3")
    assert unknown.value.message == NO_COMMUNITY
    assert [case.id for case in await all_cases(db)] == [first.id]


async def all_cases(db: Database) -> list[Case]:
    async with db.read() as session:
        return list(await session.exec(select(Case)))


async def test_numbers_are_padded_to_six_digits_and_grow_past_them(db: Database, world: World) -> None:
    now = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
    first = (await report(db, world.resident.id, now=now)).number  # the street's counter starts
    async with db.write() as session:
        await session.exec(update(CaseCounter).values(last=41))
    second = (await report(db, world.resident.id, now=now)).number
    async with db.write() as session:
        await session.exec(update(CaseCounter).values(last=999_999))
    third = (await report(db, world.neighbour.id, now=now)).number
    assert [first, second, third] == ["LSW-2026-000001", "LSW-2026-000042", "LSW-2026-1000000"]


async def test_suggestions_have_an_hourly_limit(db: Database, world: World) -> None:
    now = utcnow()
    for number in range(3):
        async with db.write() as session:
            await submit_suggestion(
                session=session, telegram_id=RESIDENT_TG, text=f"Idea {number}", per_hour=3, now=now
            )
    with pytest.raises(Refused) as refused:
        async with db.write() as session:
            await submit_suggestion(
                session=session, telegram_id=RESIDENT_TG, text="One more", per_hour=3, now=now
            )
    assert (refused.value.message, refused.value.params) == (TOO_MANY_SUGGESTIONS, {"limit": 3})
    async with db.write() as session:  # an hour on, the oldest no longer count
        await submit_suggestion(
            session=session,
            telegram_id=RESIDENT_TG,
            text="Later",
            per_hour=3,
            now=now + timedelta(minutes=61),
        )
    async with db.read() as session:
        assert len(list(await session.exec(select(Suggestion)))) == 4
