"""A small street for case tests: two enterprises, a no-property community, and who works where.

Also the building helpers the other worlds (``tests/case_world.py``, ``tests/residence_world.py``)
share, and the survey helpers: resolved cases of this street and what they queued."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlmodel import col, select

from models.base import id_of, utcnow
from models.cases.actions import accept_case, resolve_case
from models.cases.categories import ReportCategory
from models.cases.opening import CaseDraft, Deadlines, case_for_draft, open_new_case
from models.cases.tables import Case
from models.directory.tables import Community, Enterprise, Person, Role, RoleKind, Street
from models.outbox.queue import OutboxMessage
from models.surveys.scheduling import resolve_and_schedule_survey
from models.surveys.tables import Survey
from storage.database import Database

DEADLINES = Deadlines(response=timedelta(hours=24), resolution=timedelta(days=7))

# Telegram ids, so handler tests can talk as these people.
INSTRUCTOR_TG = 1001
OTHER_INSTRUCTOR_TG = 1002
STAFF_TG = 2001
OTHER_STAFF_TG = 2002
COMMITTEE_TG = 3001
ADMIN_TG = 4001
RESIDENT_TG = 5001
NEIGHBOUR_TG = 5002


def lsw_street() -> Street:
    """灵山卫街道, the street every world is built on."""
    return Street(code="lsw", name="灵山卫街道")


def new_person(telegram_id: int, name: str, **extra: Any) -> Person:
    """A person who speaks English to the bot; ``extra`` sets any other column."""
    return Person(telegram_id=telegram_id, name=name, language_code="en", **extra)


async def open_report(
    db: Database,
    reporter_id: int,
    *,
    key: str,
    description: str,
    category: ReportCategory,
    photos: Sequence[str] = (),
    now: datetime | None = None,
    deadlines: Deadlines = DEADLINES,
) -> Case:
    """Open a case as ``reporter_id`` would through /report."""
    async with db.write() as session:
        reporter = await session.get(Person, reporter_id)
        assert reporter is not None
        draft = CaseDraft(key=key, category=category, description=description, photo_file_ids=list(photos))
        existing = await case_for_draft(session=session, reporter=reporter, draft_key=key)
        if existing is not None:  # the same draft confirmed again: its case
            return existing
        opened = await open_new_case(
            session=session, reporter=reporter, draft=draft, deadlines=deadlines, now=now or utcnow()
        )
        return opened.case


@dataclass
class World:
    street: int
    enterprise: int  # 东方物业, paired with ``instructor``
    other_enterprise: int  # 华庭物业, paired with ``other_instructor``
    community: int  # managed by ``enterprise``
    other_community: int  # managed by ``other_enterprise``
    bare_community: int  # no property enterprise
    instructor: int
    other_instructor: int
    staff: int
    other_staff: int
    committee: int  # party committee of ``bare_community``
    admin: int
    resident: int  # lives in ``community``, shared their phone
    neighbour: int  # lives in ``bare_community``


async def make_world(db: Database) -> World:
    async with db.write() as session:
        street = lsw_street()
        session.add(street)
        east = Enterprise(code="E1", name="东方物业")
        hua = Enterprise(code="E2", name="华庭物业")
        session.add_all([east, hua])
        await session.flush()
        community = Community(code="C1", name="东方华庭", street_id=id_of(street), enterprise_id=id_of(east))
        other = Community(code="C2", name="海景花园", street_id=id_of(street), enterprise_id=id_of(hua))
        bare = Community(code="C3", name="老街小区", street_id=id_of(street))
        session.add_all([community, other, bare])
        await session.flush()

        def person(telegram_id: int, name: str, **extra: Any) -> Person:
            row = new_person(telegram_id, name, **extra)
            session.add(row)
            return row

        instructor = person(INSTRUCTOR_TG, "Wang Instructor")
        other_instructor = person(OTHER_INSTRUCTOR_TG, "Zhao Instructor")
        staff = person(STAFF_TG, "Liu Staff")
        other_staff = person(OTHER_STAFF_TG, "Chen Staff")
        committee = person(COMMITTEE_TG, "Sun Committee")
        admin = person(ADMIN_TG, "Zhou Office")
        resident = person(
            RESIDENT_TG,
            "Li Resident",
            community_id=id_of(community),
            building="3号楼",
            phone="13800000001",
            phone_shared=True,
        )
        neighbour = person(NEIGHBOUR_TG, "Ma Neighbour", community_id=id_of(bare))
        await session.flush()
        session.add_all(
            [
                Role(person_id=id_of(instructor), kind=RoleKind.INSTRUCTOR, enterprise_id=east.id),
                Role(person_id=id_of(other_instructor), kind=RoleKind.INSTRUCTOR, enterprise_id=hua.id),
                Role(person_id=id_of(staff), kind=RoleKind.ENTERPRISE_STAFF, enterprise_id=east.id),
                Role(person_id=id_of(other_staff), kind=RoleKind.ENTERPRISE_STAFF, enterprise_id=hua.id),
                Role(person_id=id_of(committee), kind=RoleKind.PARTY_COMMITTEE, community_id=bare.id),
                Role(person_id=id_of(admin), kind=RoleKind.OFFICE_ADMIN, street_id=street.id),
            ]
        )
        return World(
            street=id_of(street),
            enterprise=id_of(east),
            other_enterprise=id_of(hua),
            community=id_of(community),
            other_community=id_of(other),
            bare_community=id_of(bare),
            instructor=id_of(instructor),
            other_instructor=id_of(other_instructor),
            staff=id_of(staff),
            other_staff=id_of(other_staff),
            committee=id_of(committee),
            admin=id_of(admin),
            resident=id_of(resident),
            neighbour=id_of(neighbour),
        )


_keys = iter(range(1, 1_000_000))


async def report(
    db: Database,
    reporter_id: int,
    *,
    description: str = "The lift in building 3 is stuck.",
    category: ReportCategory = ReportCategory.ELEVATOR,
    now: datetime | None = None,
    deadlines: Deadlines = DEADLINES,
) -> Case:
    """Open a case as ``reporter_id`` would through /report."""
    return await open_report(
        db,
        reporter_id,
        key=f"draft-{next(_keys)}",
        description=description,
        category=category,
        now=now,
        deadlines=deadlines,
    )


# 10:00 in Shanghai: outside the quiet hours.
T0 = datetime(2026, 7, 6, 2, 0, tzinfo=UTC)
DELAY = timedelta(hours=24)


async def resolve(
    db: Database, case_id: int, owner_id: int, now: datetime, delay: timedelta | None = DELAY
) -> Case:
    async with db.write() as session:
        owner = await session.get(Person, owner_id)
        assert owner is not None
        if delay is None:
            return await resolve_case(
                session=session, case_id=case_id, actor=owner, note="Fixed.", photo_file_ids=[], now=now
            )
        return await resolve_and_schedule_survey(
            session=session,
            case_id=case_id,
            actor=owner,
            note="Fixed.",
            photo_file_ids=[],
            now=now,
            delays={"default": delay},
        )


async def resolved_case(
    db: Database,
    reporter_id: int,
    owner_id: int,
    *,
    now: datetime = T0,
    category: ReportCategory = ReportCategory.ELEVATOR,
    delay: timedelta | None = DELAY,
) -> Case:
    """A case reported by ``reporter_id``, accepted and resolved by ``owner_id`` at ``now``."""
    case = await report(db, reporter_id, now=now - timedelta(hours=2), category=category)
    async with db.write() as session:
        owner = await session.get(Person, owner_id)
        assert owner is not None and case.id is not None
        await accept_case(session=session, case_id=case.id, actor=owner, now=now - timedelta(hours=1))
    assert case.id is not None
    return await resolve(db, case.id, owner_id, now, delay)


async def surveys(db: Database) -> list[Survey]:
    async with db.read() as session:
        return list(await session.exec(select(Survey).order_by(col(Survey.id))))


async def survey_messages(db: Database) -> list[tuple[str, int | None, dict[str, Any], datetime]]:
    """(kind, recipient, params, not_before) of every queued survey message."""
    async with db.read() as session:
        rows = await session.exec(
            select(OutboxMessage)
            .where(col(OutboxMessage.kind).startswith("survey."))
            .order_by(col(OutboxMessage.id))
        )
        return [(row.kind, row.recipient_id, row.parameters(), row.not_before) for row in rows]
