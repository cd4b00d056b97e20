"""Reading cases: a resident's own list, and a case's timeline for those allowed to see it.

A resident sees only their own cases; the people handling a case see its timeline too
(:func:`models.cases.access.may_view`).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from models.cases.access import Action, allowed_actions, may_view
from models.cases.tables import Case, CaseEvent
from models.directory.tables import Person


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


async def case_timeline(*, session: AsyncSession, case_id: int, viewer: Person) -> Timeline | None:
    """The case and its timeline with who did each step; None if ``viewer`` may not see it."""
    case = await session.get(Case, case_id)
    if case is None or not await may_view(session=session, case=case, person=viewer):
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
