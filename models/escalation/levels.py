"""Raising a case to level 2 (the community party committee) or 3 (the street office).

One function for the missed deadline, the second reopen and the overdue action item: a
conditional UPDATE on ``case.escalation_level`` makes each level happen once, the level gets
the case's escalation card, the timeline says so, and the resident is told once per level.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import update
from sqlalchemy.engine import CursorResult
from sqlalchemy.orm.attributes import set_committed_value
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from models.base import id_of
from models.cases.tables import Case, EventKind
from models.cases.timeline import record_event
from models.directory.tables import Community, Person, Role, RoleKind
from models.escalation.rules import EscalationRules, Level, deadline_of
from models.escalation.tables import CaseEscalation
from models.outbox.kinds import OutboxKind
from models.outbox.queue import enqueue


async def level_people(*, session: AsyncSession, case: Case, level: Level) -> list[Person]:
    """Who stands for ``level`` over the case: its community's party committee, or its street's office."""
    if level == Level.COMMITTEE:
        scope = col(Role.community_id) == case.community_id
        kind = RoleKind.PARTY_COMMITTEE
    else:
        community = await session.get(Community, case.community_id)
        scope = col(Role.street_id) == (community.street_id if community else None)
        kind = RoleKind.OFFICE_ADMIN
    query = (
        select(Person)
        .join(Role, col(Role.person_id) == col(Person.id))
        .where(Role.kind == kind)
        .where(scope)
        .order_by(col(Person.id))
    )
    return list({id_of(person): person for person in await session.exec(query)}.values())


async def escalate(
    *,
    session: AsyncSession,
    case: Case,
    level: Level,
    stage: int,
    cause: str,
    rules: EscalationRules,
    now: datetime,
) -> bool:
    """Raise the case to ``level`` unless it is there already; True if this call raised it."""
    result = await session.exec(
        update(Case)
        .where(col(Case.id) == case.id)
        .where(col(Case.escalation_level) < int(level))
        .values(escalation_level=int(level))
    )
    if not isinstance(result, CursorResult) or result.rowcount != 1:
        return False
    set_committed_value(case, "escalation_level", int(level))
    session.add(
        CaseEscalation(
            case_id=id_of(case),
            stage=stage,
            deadline_at=deadline_of(case, cause),
            level=int(level),
            cause=cause,
            at=now,
        )
    )
    event = await record_event(
        session,
        case,
        kind=EventKind.ESCALATED,
        actor=None,
        now=now,
        params={"level": int(level), "cause": cause},
    )
    send_at = rules.send_at(case, now)
    people = await level_people(session=session, case=case, level=level)
    if not people and level == Level.COMMITTEE:  # no committee listed: the office stands in
        people = await level_people(session=session, case=case, level=Level.OFFICE)
    # The level gets the card with what it can do; the resident hears of it, once per level.
    told = [(person, OutboxKind.CASE_ESCALATED) for person in people]
    reporter = await session.get(Person, case.reporter_id)
    if reporter is not None:
        told.append((reporter, OutboxKind.CASE_STATUS))
    for person, kind in told:
        await enqueue(
            session=session,
            recipient=person,
            kind=kind,
            now=now,
            case_id=case.id,
            not_before=send_at,
            event_id=event.id,
        )
    return True
