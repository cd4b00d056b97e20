"""The work list: the open cases a person handles, overdue first.

An instructor or party committee member sees the cases they own; enterprise staff also see
the cases forwarded to their enterprise; an office admin also sees the office-level cases of
their street. One page is one SQL query, however many cases there are.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ColumnElement, and_, case, func, or_
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from models.cases.tables import OPEN_STATUSES, Case, OwnerLevel
from models.directory.tables import Community, Person, Role, RoleKind


def is_overdue(case: Case, now: datetime) -> bool:
    """Whether an open case is past a deadline: unanswered past the response one, or past resolution."""
    if not case.is_open:
        return False
    if case.first_response_at is None and case.response_due_at < now:
        return True
    return case.resolution_due_at < now


def overdue_condition(now: datetime) -> ColumnElement[bool]:
    """SQL for "a deadline has passed": unanswered past the response deadline, or past resolution."""
    return or_(
        and_(col(Case.first_response_at).is_(None), col(Case.response_due_at) < now),
        col(Case.resolution_due_at) < now,
    )


def _handled_by(person: Person) -> ColumnElement[bool]:
    """SQL for "``person`` handles this case", with their roles looked up in subqueries."""
    staff_enterprises = (
        select(col(Role.enterprise_id))
        .where(Role.person_id == person.id)
        .where(Role.kind == RoleKind.ENTERPRISE_STAFF)
        .where(col(Role.enterprise_id).is_not(None))
    )
    office_communities = (
        select(col(Community.id))
        .join(Role, col(Role.street_id) == col(Community.street_id))
        .where(Role.person_id == person.id)
        .where(Role.kind == RoleKind.OFFICE_ADMIN)
    )
    return or_(
        col(Case.owner_id) == person.id,
        col(Case.forwarded_enterprise_id).in_(staff_enterprises),
        and_(col(Case.owner_level) == OwnerLevel.OFFICE, col(Case.community_id).in_(office_communities)),
    )


async def open_cases_for(
    *, session: AsyncSession, person: Person, now: datetime, page: int, per_page: int
) -> tuple[list[Case], int]:
    """One page (from 0) of the open cases ``person`` handles, and how many there are in all."""
    page = max(page, 0)
    overdue_first = case((overdue_condition(now), 0), else_=1)
    total_column = func.count().over().label("total")
    query = (
        select(Case, total_column)
        .where(col(Case.status).in_(list(OPEN_STATUSES)))
        .where(_handled_by(person))
        .order_by(overdue_first, col(Case.resolution_due_at), col(Case.id))
        .offset(page * per_page)
        .limit(per_page)
    )
    rows = list(await session.exec(query))
    if rows:
        return [row[0] for row in rows], int(rows[0][1])
    if page == 0:
        return [], 0
    # Past the last page: the window count came back with no rows, so count apart.
    count = select(func.count(col(Case.id))).where(col(Case.status).in_(list(OPEN_STATUSES)))
    total = (await session.exec(count.where(_handled_by(person)))).one()
    return [], int(total)
