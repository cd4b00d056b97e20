"""Visits counted per instructor per month (local months), with the cases opened on them."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime, tzinfo

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from models.visits.tables import Visit, VisitCase


@dataclass(frozen=True)
class VisitCount:
    instructor_id: int
    month: str  # 2026-09
    visits: int
    cases: int


async def visits_in(*, session: AsyncSession, street_id: int, start: datetime, end: datetime) -> list[Visit]:
    """The street's visits made in [start, end)."""
    rows = await session.exec(
        select(Visit)
        .where(Visit.street_id == street_id)
        .where(col(Visit.visited_at) >= start)
        .where(col(Visit.visited_at) < end)
    )
    return list(rows)


async def visit_counts(
    *, session: AsyncSession, street_id: int, start: datetime, end: datetime, tz: tzinfo
) -> list[VisitCount]:
    """The street's visits in [start, end), per instructor and local month, in that order."""
    visits = await visits_in(session=session, street_id=street_id, start=start, end=end)
    opened = Counter(
        visit_id
        for visit_id in await session.exec(
            select(VisitCase.visit_id).where(col(VisitCase.visit_id).in_([v.id for v in visits]))
        )
    )
    per: Counter[tuple[int, str]] = Counter()
    cases: Counter[tuple[int, str]] = Counter()
    for visit in visits:
        key = (visit.instructor_id, visit.visited_at.astimezone(tz).strftime("%Y-%m"))
        per[key] += 1
        cases[key] += opened[visit.id or 0]
    return [
        VisitCount(instructor, month, per[(instructor, month)], cases[(instructor, month)])
        for instructor, month in sorted(per)
    ]
