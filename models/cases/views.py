"""Reading cases: a resident's own list, and a case's timeline for those allowed to see it.

A resident sees only their own cases; the people handling a case (its owner, the street
office of its street, the enterprise staff it was forwarded to) see its timeline too.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from models.cases.actions import Action, allowed_actions
from models.cases.tables import Case, CaseEvent
from models.directory.tables import Community, Person, Role, RoleKind


@dataclass(frozen=True)
class TimelineEntry:
    event: CaseEvent
    actor_name: str | None  # None: the system did it


@dataclass(frozen=True)
class Timeline:
    case: Case
    entries: list[TimelineEntry]
    viewer_is_reporter: bool
    can_withdraw: bool


async def cases_of_reporter(
    *, session: AsyncSession, person: Person, page: int, per_page: int
) -> tuple[list[Case], int]:
    """One page of the cases ``person`` reported, newest first, and how many there are."""
    total = (await session.exec(select(func.count(col(Case.id))).where(Case.reporter_id == person.id))).one()
    rows = await session.exec(
        select(Case)
        .where(Case.reporter_id == person.id)
        .order_by(col(Case.created_at).desc(), col(Case.id).desc())
        .offset(page * per_page)
        .limit(per_page)
    )
    return list(rows), total


async def may_view(*, session: AsyncSession, case: Case, viewer: Person) -> bool:
    """Whether ``viewer`` may read the case: its reporter, or someone who handles or handled it."""
    if viewer.id is None:
        return False
    if case.reporter_id == viewer.id or case.owner_id == viewer.id:
        return True
    if await allowed_actions(session=session, case=case, person=viewer) - {Action.WITHDRAW}:
        return True
    # Closed cases allow no actions, yet the office and the forwarded staff still answer for them.
    community = await session.get(Community, case.community_id)
    for role in await session.exec(select(Role).where(Role.person_id == viewer.id)):
        if (
            role.kind == RoleKind.OFFICE_ADMIN
            and community is not None
            and role.street_id == community.street_id
        ):
            return True
        if (
            role.kind == RoleKind.ENTERPRISE_STAFF
            and case.forwarded_enterprise_id is not None
            and role.enterprise_id == case.forwarded_enterprise_id
        ):
            return True
    return False


async def case_timeline(*, session: AsyncSession, case_id: int, viewer: Person) -> Timeline | None:
    """The case and its timeline with who did each step; None if ``viewer`` may not see it."""
    case = await session.get(Case, case_id)
    if case is None or not await may_view(session=session, case=case, viewer=viewer):
        return None
    rows = await session.exec(
        select(CaseEvent, Person.name)
        .outerjoin(Person, col(CaseEvent.actor_id) == col(Person.id))
        .where(CaseEvent.case_id == case_id)
        .order_by(col(CaseEvent.at), col(CaseEvent.id))
    )
    entries = [
        TimelineEntry(event=event, actor_name=(name or "—") if event.actor_id is not None else None)
        for event, name in rows
    ]
    actions = await allowed_actions(session=session, case=case, person=viewer)
    return Timeline(
        case=case,
        entries=entries,
        viewer_is_reporter=case.reporter_id == viewer.id,
        can_withdraw=Action.WITHDRAW in actions,
    )
