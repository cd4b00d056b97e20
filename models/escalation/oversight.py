"""What the escalated level does with a case: urge the owner, reassign, take over, extend a
deadline with a reason, put the case on the next Affairs Hall's agenda.

Level 2 is the party committee of the case's community, level 3 the office of its street; each
may act once the case reached its level, checked against the directory at every press.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from sqlalchemy import and_, or_
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from models.base import N_, id_of
from models.cases.access import roles_of_person
from models.cases.actions import send_card_to_staff
from models.cases.tables import TRANSITIONS, Case, CaseEvent, CaseStatus, EventKind, OwnerLevel
from models.cases.timeline import NOT_ALLOWED, load_case, owner_of, record_event, send_card, wrong_status
from models.directory.tables import Community, Person, Role, RoleKind
from models.escalation.job import watch_again
from models.escalation.levels import level_people
from models.escalation.rules import FIRST_STAGE, Deadline, Level
from models.escalation.tables import AgendaRequest
from models.outbox.kinds import OutboxKind
from models.outbox.queue import enqueue
from models.refusal import Refused

ALREADY_ON_AGENDA = N_("Case {number} is on the Affairs Hall's agenda already.")
BAD_EXTENSION = N_("Write the number of days (1 to 90) and then the reason, like: 3 waiting for parts.")
NOT_A_CANDIDATE = N_("That person cannot take this case over.")
MAX_EXTENSION_DAYS = 90


class Oversight(StrEnum):
    URGE = "urge"
    REASSIGN = "re"
    TAKE = "take"
    EXTEND = "ext"
    AGENDA = "ag"


async def oversight_level(*, session: AsyncSession, case: Case, person: Person) -> Level | None:
    """The level from which ``person`` oversees the escalated case, if any (the highest)."""
    roles = await roles_of_person(session, person)
    # The office stands in for a community with no party committee listed (it got the card).
    office_from = Level.OFFICE
    if case.escalation_level >= Level.COMMITTEE and not await level_people(
        session=session, case=case, level=Level.COMMITTEE
    ):
        office_from = Level.COMMITTEE
    if case.escalation_level >= office_from:
        community = await session.get(Community, case.community_id)
        street = community.street_id if community else None
        if any(role.kind == RoleKind.OFFICE_ADMIN and role.street_id == street for role in roles):
            return Level.OFFICE
    if case.escalation_level >= Level.COMMITTEE and any(
        role.kind == RoleKind.PARTY_COMMITTEE and role.community_id == case.community_id for role in roles
    ):
        return Level.COMMITTEE
    return None


async def overseen_case(
    *, session: AsyncSession, case_id: int, person: Person, lock: bool = True
) -> tuple[Case, Level]:
    """The open escalated case ``person`` oversees, and from which level; refused otherwise."""
    case = await load_case(session, case_id) if lock else await session.get(Case, case_id)
    if case is None:
        raise Refused(NOT_ALLOWED)
    level = await oversight_level(session=session, case=case, person=person)
    if level is None:
        raise Refused(NOT_ALLOWED)
    if not case.is_open:
        raise wrong_status(case)
    return case, level


async def _record(session: AsyncSession, case: Case, **line: Any) -> CaseEvent:
    """A timeline line by the escalated level, which is not the case's first response."""
    first_response = case.first_response_at
    event = await record_event(session, case, flush=False, **line)
    case.first_response_at = first_response
    await session.flush()
    return event


async def urge_owner(*, session: AsyncSession, case_id: int, actor: Person, now: datetime) -> Case:
    """Send the owner a push from the escalated level; the timeline records it."""
    case, _level = await overseen_case(session=session, case_id=case_id, person=actor)
    owner = await owner_of(session, case)
    if owner is None:
        raise Refused(NOT_ALLOWED)
    event = await _record(
        session, case, kind=EventKind.URGED, actor=actor, now=now, params={"owner": owner.name}
    )
    await enqueue(
        session=session,
        recipient=owner,
        kind=OutboxKind.CASE_URGED,
        now=now,
        case_id=case.id,
        event_id=event.id,
    )
    return case


async def take_over(*, session: AsyncSession, case_id: int, actor: Person, now: datetime) -> Case:
    """The escalated level makes the case its own."""
    case, level = await overseen_case(session=session, case_id=case_id, person=actor)
    if case.owner_id == actor.id:
        raise Refused(NOT_ALLOWED)
    case.owner_level = OwnerLevel.OFFICE if level == Level.OFFICE else OwnerLevel.PARTY_COMMITTEE
    case.owner_id = actor.id
    await _record(session, case, kind=EventKind.TAKEN_OVER, actor=actor, now=now)
    await send_card(session, case, actor, now)
    return case


async def reassign_candidates(*, session: AsyncSession, case: Case) -> list[tuple[Person, OwnerLevel]]:
    """Who else may own the case: its enterprise's instructors and its community's committee members."""
    query = (
        select(Person, Role)
        .join(Role, col(Role.person_id) == col(Person.id))
        .where(col(Person.telegram_id).is_not(None))
        .where(
            or_(
                and_(col(Role.kind) == RoleKind.INSTRUCTOR, col(Role.enterprise_id) == case.enterprise_id),
                and_(col(Role.kind) == RoleKind.PARTY_COMMITTEE, col(Role.community_id) == case.community_id),
            )
        )
        .order_by(col(Role.kind), col(Person.id))
    )
    found: dict[int, tuple[Person, OwnerLevel]] = {}
    for person, role in await session.exec(query):
        level = OwnerLevel.INSTRUCTOR if role.kind == RoleKind.INSTRUCTOR else OwnerLevel.PARTY_COMMITTEE
        if person.id != case.owner_id:
            found.setdefault(id_of(person), (person, level))
    return list(found.values())


async def reassign(
    *, session: AsyncSession, case_id: int, actor: Person, person_id: int, now: datetime
) -> Case:
    """Give the case to another instructor or committee member, who gets its card."""
    case, _level = await overseen_case(session=session, case_id=case_id, person=actor)
    chosen = {
        id_of(person): (person, level)
        for person, level in await reassign_candidates(session=session, case=case)
    }
    if person_id not in chosen:
        raise Refused(NOT_A_CANDIDATE)
    person, owner_level = chosen[person_id]
    case.owner_level, case.owner_id = owner_level, person.id
    await _record(
        session, case, kind=EventKind.REASSIGNED, actor=actor, now=now, params={"owner": person.name}
    )
    await send_card(session, case, person, now)
    return case


async def reassign_to_enterprise(
    *, session: AsyncSession, case_id: int, actor: Person, now: datetime
) -> Case:
    """Give the work to the case's property enterprise: its staff get the card."""
    case, _level = await overseen_case(session=session, case_id=case_id, person=actor)
    if case.enterprise_id is None or CaseStatus.IN_PROGRESS not in TRANSITIONS[case.status]:
        raise Refused(NOT_ALLOWED)
    case.forwarded_enterprise_id = case.enterprise_id
    case.work_done_at = None
    case.status = CaseStatus.IN_PROGRESS
    await _record(session, case, kind=EventKind.FORWARDED, actor=actor, now=now)
    await send_card_to_staff(session, case, now)
    return case


def parse_extension(text: str) -> tuple[int, str]:
    """``"3 waiting for parts"`` → (3, "waiting for parts"); refused without days or a reason."""
    days, _space, reason = text.strip().partition(" ")
    if not days.isdigit() or not 1 <= int(days) <= MAX_EXTENSION_DAYS or not reason.strip():
        raise Refused(BAD_EXTENSION)
    return int(days), reason.strip()


async def extend_deadline(
    *, session: AsyncSession, case_id: int, actor: Person, days: int, reason: str, now: datetime
) -> Case:
    """Move the deadline being missed by ``days``, with the reason in the timeline."""
    if not 1 <= days <= MAX_EXTENSION_DAYS or not reason.strip():
        raise Refused(BAD_EXTENSION)
    case, _level = await overseen_case(session=session, case_id=case_id, person=actor)
    extra = timedelta(days=days)
    if case.first_response_at is None:
        deadline = Deadline.RESPONSE
        case.response_due_at = max(case.response_due_at, now) + extra
        case.resolution_due_at = max(case.resolution_due_at, case.response_due_at)
    else:
        deadline = Deadline.RESOLUTION
        case.resolution_due_at = max(case.resolution_due_at, now) + extra
    # Watched again from the deadline's reminder; a level reached stays reached.
    case.escalation_stage = FIRST_STAGE[deadline]
    watch_again(case, now)
    await _record(
        session,
        case,
        kind=EventKind.EXTENDED,
        actor=actor,
        now=now,
        text=reason,
        params={"days": days, "deadline": deadline.value},
    )
    return case


async def put_on_agenda(*, session: AsyncSession, case_id: int, actor: Person, now: datetime) -> Case:
    """Put the case on the next Affairs Hall's agenda (once)."""
    case, _level = await overseen_case(session=session, case_id=case_id, person=actor)
    existing = (await session.exec(select(AgendaRequest).where(AgendaRequest.case_id == case.id))).first()
    if existing is not None:
        raise Refused(ALREADY_ON_AGENDA, number=case.number)
    session.add(AgendaRequest(case_id=id_of(case), requested_by=actor.id, at=now))
    await _record(session, case, kind=EventKind.AGENDA, actor=actor, now=now)
    return case
