"""Opening a case: a resident's confirmed report becomes a numbered, routed case."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import Table
from sqlmodel import col, select, update
from sqlmodel.ext.asyncio.session import AsyncSession

from models.base import N_, id_of
from models.case_timeline import CaseActionRefused, assign_case, record_event
from models.cases import Case, CaseCounter, CasePhoto, CaseStatus, EventKind, OwnerLevel
from models.categories import DUTY_OF, ReportCategory
from models.directory import Community, Enterprise, Person, Street
from models.routing import route_case, shared_enterprise

NO_COMMUNITY = N_("Please choose your community first (/profile).")


@dataclass(frozen=True)
class CaseDraft:
    """What a resident confirmed in /report."""

    key: str  # unique per draft: confirming twice makes one case
    category: ReportCategory
    description: str
    photo_file_ids: list[str] = field(default_factory=list)
    latitude: float | None = None
    longitude: float | None = None


@dataclass(frozen=True)
class Deadlines:
    response: timedelta
    resolution: timedelta


async def _next_number(session: AsyncSession, street: Street, now: datetime) -> str:
    """The street's next case number this year, e.g. ``LSW-2026-000123``."""
    # One statement that counts and reads; the row stays locked until the case is committed.
    # On the table, not the model: no counter object is loaded, so the ORM has nothing to sync.
    table: Table = CaseCounter.__table__  # type: ignore[attr-defined]
    counters = table.c
    counted = await session.exec(
        update(table)
        .where(counters.street_id == street.id)
        .where(counters.year == now.year)
        .values(last=counters.last + 1)
        .returning(counters.last)
    )
    last = counted.scalar_one_or_none()
    if last is None:  # the street's first case this year (two at once: one fails and is retried)
        last = 1
        session.add(CaseCounter(street_id=id_of(street), year=now.year, last=last))
    return f"{street.code.upper()}-{now.year}-{last:06d}"


async def _answerable_enterprise(session: AsyncSession, community: Community, now: datetime) -> int | None:
    """The community's enterprise, or the one looking after it under shared property."""
    if community.enterprise_id is not None:
        return community.enterprise_id
    shared = await shared_enterprise(session=session, community=community, now=now)
    return shared.id if shared is not None else None


async def open_case(
    *, session: AsyncSession, reporter: Person, draft: CaseDraft, deadlines: Deadlines, now: datetime
) -> Case:
    """Turn a confirmed draft into a routed case; the same draft confirmed again returns the same case."""
    existing = await case_for_draft(session=session, reporter=reporter, draft_key=draft.key)
    if existing is not None:
        return existing
    return await open_new_case(session=session, reporter=reporter, draft=draft, deadlines=deadlines, now=now)


async def case_for_draft(*, session: AsyncSession, reporter: Person, draft_key: str) -> Case | None:
    """The case ``reporter`` already confirmed from this draft, if any (never someone else's)."""
    return (
        await session.exec(
            select(Case).where(Case.draft_key == draft_key).where(Case.reporter_id == id_of(reporter))
        )
    ).first()


async def open_new_case(
    *, session: AsyncSession, reporter: Person, draft: CaseDraft, deadlines: Deadlines, now: datetime
) -> Case:
    """Open the case for a draft that has none yet (see :func:`case_for_draft`)."""
    if reporter.community_id is None:
        raise CaseActionRefused(NO_COMMUNITY)
    # The enterprise too: held by this name, it stays in the session, where routing looks it up.
    community, street, _enterprise = (
        await session.exec(
            select(Community, Street, Enterprise)
            .join(Street, col(Street.id) == col(Community.street_id))
            .join(Enterprise, col(Enterprise.id) == col(Community.enterprise_id), isouter=True)
            .where(col(Community.id) == reporter.community_id)
        )
    ).one()
    case = Case(
        number=await _next_number(session, street, now),
        reporter_id=id_of(reporter),
        community_id=id_of(community),
        enterprise_id=await _answerable_enterprise(session, community, now),
        category=draft.category.value,
        duty=DUTY_OF[draft.category].value,
        description=draft.description,
        building=reporter.building,
        latitude=draft.latitude,
        longitude=draft.longitude,
        status=CaseStatus.NEW,
        owner_level=OwnerLevel.OFFICE,
        created_at=now,
        response_due_at=now + deadlines.response,
        resolution_due_at=now + deadlines.resolution,
        draft_key=draft.key,
    )
    session.add(case)
    await session.flush()
    # Written with the routing line below, in one flush.
    await record_event(session, case, kind=EventKind.REPORTED, actor=reporter, now=now, flush=False)
    for file_id in draft.photo_file_ids:
        session.add(CasePhoto(case_id=id_of(case), file_id=file_id))
    await assign_case(session, case, await route_case(session=session, community=community, now=now), now)
    return case
