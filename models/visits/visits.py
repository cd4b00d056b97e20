"""Recording an instructor's visit, and what it found: photos, problems noted, and a problem
opened as a case on the spot in the visited community, with the instructor as its reporter.

An instructor records visits in the streets where the enterprises they are paired with work.
A case is opened on the spot only in a community the instructor serves (one of their
enterprises', or taken over by one under shared property), so its survey is left out of the
numbers like any case reported by someone who handles it (models/surveys/scheduling.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, tzinfo

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from models.assessment.access import streets_of
from models.base import N_, id_of
from models.cases.opening import CaseDraft, Deadlines, OpenedCase, open_new_case
from models.cases.routing import shared_enterprise
from models.directory.tables import Community, Enterprise, Person, Role, RoleKind
from models.refusal import Refused
from models.visits.tables import Visit, VisitCase, VisitPhoto

NOT_INSTRUCTOR = N_("Visits are recorded by party-building instructors.")
UNKNOWN_PLACE = N_("No community or property enterprise with the code “{code}” in your street.")
NO_SUCH_VISIT = N_("There is no such visit of yours.")
NOT_YOUR_COMMUNITY = N_(
    "A case is opened on the spot only in a community you serve; report this one to its instructor."
)
MAX_PHOTOS = 10
TOO_MANY_PHOTOS = N_("A visit takes at most {limit} photos.")


async def paired_enterprises(session: AsyncSession, person: Person | None) -> list[int]:
    """The enterprises an instructor is paired with (none: not an instructor)."""
    if person is None:
        return []
    rows = await session.exec(
        select(Role.enterprise_id).where(Role.person_id == person.id).where(Role.kind == RoleKind.INSTRUCTOR)
    )
    return [enterprise_id for enterprise_id in rows if enterprise_id is not None]


@dataclass(frozen=True)
class Place:
    street_id: int
    community: Community | None
    enterprise: Enterprise | None

    @property
    def name(self) -> str:
        return self.community.name if self.community else self.enterprise.name if self.enterprise else ""


async def visit_place(*, session: AsyncSession, instructor: Person | None, code: str) -> Place:
    """The community or enterprise of ``code`` in the instructor's streets; refused otherwise."""
    paired = await paired_enterprises(session, instructor)
    if not paired:
        raise Refused(NOT_INSTRUCTOR)
    streets = {street for enterprise_id in paired for street in await streets_of(session, enterprise_id)}
    code = code.strip().lower()
    community = (await session.exec(select(Community).where(Community.code == code))).first()
    if community is not None and community.street_id in streets:
        enterprise = (
            await session.get(Enterprise, community.enterprise_id) if community.enterprise_id else None
        )
        return Place(community.street_id, community, enterprise)
    enterprise = (await session.exec(select(Enterprise).where(Enterprise.code == code))).first()
    if enterprise is not None:
        where = [street for street in await streets_of(session, id_of(enterprise)) if street in streets]
        if where:
            return Place(where[0], None, enterprise)
    raise Refused(UNKNOWN_PLACE, code=code)


async def record_visit(
    *, session: AsyncSession, instructor: Person, code: str, note: str, now: datetime
) -> Visit:
    """A visit to the community or enterprise of ``code``, with the instructor's note."""
    place = await visit_place(session=session, instructor=instructor, code=code)
    visit = Visit(
        instructor_id=id_of(instructor),
        street_id=place.street_id,
        community_id=place.community.id if place.community else None,
        enterprise_id=place.enterprise.id if place.enterprise else None,
        note=note,
        visited_at=now,
        created_at=now,
    )
    session.add(visit)
    await session.flush()
    return visit


async def own_visit(*, session: AsyncSession, visit_id: int, instructor: Person | None) -> Visit:
    visit = (await session.exec(select(Visit).where(Visit.id == visit_id).with_for_update())).first()
    if visit is None or instructor is None or visit.instructor_id != instructor.id:
        raise Refused(NO_SUCH_VISIT)
    return visit


async def add_visit_photo(*, session: AsyncSession, visit_id: int, instructor: Person, file_id: str) -> Visit:
    visit = await own_visit(session=session, visit_id=visit_id, instructor=instructor)
    if len(await visit_photos(session=session, visit_id=visit_id)) >= MAX_PHOTOS:
        raise Refused(TOO_MANY_PHOTOS, limit=MAX_PHOTOS)
    session.add(VisitPhoto(visit_id=visit_id, file_id=file_id))
    await session.flush()
    return visit


async def add_problem(*, session: AsyncSession, visit_id: int, instructor: Person, text: str) -> Visit:
    """Note a problem found on the visit (one a line)."""
    visit = await own_visit(session=session, visit_id=visit_id, instructor=instructor)
    visit.problems = f"{visit.problems}\n{text}" if visit.problems else text
    session.add(visit)
    await session.flush()
    return visit


async def check_case_on_spot(*, session: AsyncSession, visit_id: int, instructor: Person | None) -> Visit:
    """The visit, if a case may be opened from it: one to a community the instructor serves."""
    visit = await own_visit(session=session, visit_id=visit_id, instructor=instructor)
    community = await session.get(Community, visit.community_id) if visit.community_id else None
    if community is None:
        raise Refused(NOT_YOUR_COMMUNITY)
    enterprise_id = community.enterprise_id
    if enterprise_id is None:
        shared = await shared_enterprise(session=session, community=community, now=visit.visited_at)
        enterprise_id = shared.id if shared is not None else None
    if enterprise_id not in await paired_enterprises(session, instructor):
        raise Refused(NOT_YOUR_COMMUNITY)
    return visit


async def open_case_on_visit(
    *,
    session: AsyncSession,
    visit_id: int,
    instructor: Person,
    draft: CaseDraft,
    deadlines: Deadlines,
    now: datetime,
    tz: tzinfo,
) -> OpenedCase:
    """Open the problem as a case in the visited community, the instructor its reporter."""
    visit = await check_case_on_spot(session=session, visit_id=visit_id, instructor=instructor)
    opened = await open_new_case(
        session=session,
        reporter=instructor,
        draft=draft,
        deadlines=deadlines,
        now=now,
        numbering_zone=tz,
        community_id=visit.community_id,
    )
    session.add(VisitCase(visit_id=visit_id, case_id=id_of(opened.case)))
    await add_problem(session=session, visit_id=visit_id, instructor=instructor, text=draft.description)
    return opened


async def visit_photos(*, session: AsyncSession, visit_id: int) -> list[str]:
    rows = await session.exec(
        select(VisitPhoto.file_id).where(VisitPhoto.visit_id == visit_id).order_by(col(VisitPhoto.id))
    )
    return list(rows)


async def visit_cases(*, session: AsyncSession, visit_id: int) -> list[int]:
    rows = await session.exec(select(VisitCase.case_id).where(VisitCase.visit_id == visit_id))
    return list(rows)


async def visits_between(
    *, session: AsyncSession, instructor: Person | None, start: datetime, end: datetime
) -> list[Visit]:
    """The instructor's visits in ``[start, end)``, in order; refused for anyone not paired."""
    if instructor is None or not await paired_enterprises(session, instructor):
        raise Refused(NOT_INSTRUCTOR)
    rows = await session.exec(
        select(Visit)
        .where(Visit.instructor_id == instructor.id)
        .where(col(Visit.visited_at) >= start)
        .where(col(Visit.visited_at) < end)
        .order_by(col(Visit.id))
    )
    return list(rows)
