"""Opening a case: a resident's confirmed report becomes a numbered, routed case."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, tzinfo

from sqlalchemy import Table, Text, bindparam, cast, func
from sqlalchemy.orm.attributes import set_committed_value
from sqlmodel import col, select, update
from sqlmodel.ext.asyncio.session import AsyncSession

from models.base import N_, id_of
from models.cases.categories import DUTY_OF, ReportCategory
from models.cases.routing import route_case
from models.cases.tables import NUMBER_LENGTH, Case, CaseCounter, CasePhoto, CaseStatus, EventKind
from models.cases.timeline import give_to, record_event
from models.directory.tables import Community, Enterprise, Person, Street
from models.refusal import Refused

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


# The statements of a Confirm, built once (see models/directory/people.py). The counter and the number
# go on the tables, not the models: no object is loaded, so the ORM has nothing to sync.
_COUNTERS: Table = CaseCounter.__table__  # type: ignore[attr-defined]
_CASES: Table = Case.__table__  # type: ignore[attr-defined]
_COUNT_UP = (
    update(_COUNTERS)
    .where(_COUNTERS.c.street_id == bindparam("street"))
    .where(_COUNTERS.c.year == bindparam("this_year"))
    .values(last=_COUNTERS.c.last + 1)
    .returning(_COUNTERS.c.last)
)
_SET_NUMBER = update(_CASES).where(_CASES.c.id == bindparam("case")).values(number=bindparam("new_number"))
# PostgreSQL counts and numbers in one statement (an UPDATE inside WITH, which SQLite lacks), so
# the counter row is locked for one round trip and the commit. The same format as _number_case.
_COUNTED = _COUNT_UP.cte("counted")
_COUNTED_TEXT = cast(select(_COUNTED.c.last).scalar_subquery(), Text)
_COUNT_UP_AND_NUMBER = (
    update(_CASES)
    .where(_CASES.c.id == bindparam("case"))
    .where(select(_COUNTED.c.last).exists())  # no counter row yet: nothing numbered here
    .values(
        number=bindparam("prefix", type_=Text)
        + func.lpad(_COUNTED_TEXT, func.greatest(6, func.length(_COUNTED_TEXT)), "0")
    )
    .returning(_CASES.c.number)
)
_CASE_OF_DRAFT = (
    select(Case)
    .where(col(Case.draft_key) == bindparam("draft_key"))
    .where(col(Case.reporter_id) == bindparam("reporter"))
)
_PLACE = (
    select(Community, Street, Enterprise)
    .join(Street, col(Street.id) == col(Community.street_id))
    .join(Enterprise, col(Enterprise.id) == col(Community.enterprise_id), isouter=True)
    .where(col(Community.id) == bindparam("community"))
)


async def _number_case(
    session: AsyncSession, case: Case, street: Street, now: datetime, zone: tzinfo
) -> None:
    """Give the case the street's next number this year (the year in ``zone``), e.g. ``LSW-2026-000123``.

    The last statements before commit: counting locks the street's counter row until the
    transaction ends, and every other report from the street waits for that lock.
    """
    year = now.astimezone(zone).year
    prefix = f"{street.code.upper()}-{year}-"
    if session.get_bind().dialect.name == "postgresql":
        params = {"street": id_of(street), "this_year": year, "case": id_of(case), "prefix": prefix}
        numbered = (await session.exec(_COUNT_UP_AND_NUMBER, params=params)).scalar_one_or_none()
        if numbered is not None:
            set_committed_value(case, "number", numbered)
            return
    counted = await session.exec(_COUNT_UP, params={"street": id_of(street), "this_year": year})
    last = counted.scalar_one_or_none()
    if last is None:  # the street's first case this year (two at once: one fails and is retried)
        last = 1
        session.add(CaseCounter(street_id=id_of(street), year=year, last=last))
    number = f"{prefix}{last:06d}"
    await session.exec(_SET_NUMBER, params={"case": id_of(case), "new_number": number})
    set_committed_value(case, "number", number)


def _provisional_number(draft: CaseDraft) -> str:
    # Unique like the draft key, and never seen outside the transaction that replaces it.
    return "~" + draft.key[: NUMBER_LENGTH - 1]


@dataclass(frozen=True)
class OpenedCase:
    """A resident's case as the receipt names it: the case and who it went to."""

    case: Case
    owner: Person | None


async def case_for_draft(*, session: AsyncSession, reporter: Person, draft_key: str) -> Case | None:
    """The case ``reporter`` already confirmed from this draft, if any (never someone else's)."""
    params = {"draft_key": draft_key, "reporter": id_of(reporter)}
    return (await session.exec(_CASE_OF_DRAFT, params=params)).first()


async def open_new_case(
    *,
    session: AsyncSession,
    reporter: Person,
    draft: CaseDraft,
    deadlines: Deadlines,
    now: datetime,
    numbering_zone: tzinfo = UTC,
    community_id: int | None = None,
) -> OpenedCase:
    """Open the case for a draft that has none yet (see :func:`case_for_draft`).

    The number counts within the year as the street knows it: pass the configured time zone,
    or a case reported in Qingdao before 08:00 on 1 January gets last year's number.
    ``community_id`` opens it in another community than the reporter's own (an instructor's
    visit, models/visits).
    """
    where = community_id if community_id is not None else reporter.community_id
    if where is None:
        raise Refused(NO_COMMUNITY)
    # The enterprise too: held by this name, it stays in the session, where routing looks it up.
    place = await session.exec(_PLACE, params={"community": where})
    community, street, _enterprise = place.one()
    # Every read before the first write, so no query waits on a flush.
    routing = await route_case(session=session, community=community, now=now)
    case = Case(
        number=_provisional_number(draft),
        reporter_id=id_of(reporter),
        community_id=id_of(community),
        enterprise_id=routing.enterprise_id,
        category=draft.category.value,
        duty=DUTY_OF[draft.category].value,
        description=draft.description,
        building=reporter.building,
        latitude=draft.latitude,
        longitude=draft.longitude,
        # Written in its owner's hands already, so one INSERT and no UPDATE after it; the
        # timeline still says reported (new), then routed (assigned).
        status=CaseStatus.ASSIGNED,
        owner_level=routing.level,
        owner_id=routing.owner.id if routing.owner is not None else None,
        created_at=now,
        response_due_at=now + deadlines.response,
        resolution_due_at=now + deadlines.resolution,
        draft_key=draft.key,
        # The escalation job plans the case's reminders and escalations on its next run.
        escalation_due_at=now,
    )
    session.add(case)
    await session.flush()
    reported = CaseStatus.NEW
    await record_event(
        session, case, kind=EventKind.REPORTED, actor=reporter, now=now, status=reported, flush=False
    )
    for file_id in draft.photo_file_ids:
        session.add(CasePhoto(case_id=id_of(case), file_id=file_id))
    await give_to(session, case, routing, now)  # the routing line and the card, in one flush
    await _number_case(session, case, street, now, numbering_zone)
    return OpenedCase(case, routing.owner)
