"""The work report's rows per community and per instructor: suggestions received, answered,
adopted and passed to the agenda; visits per instructor per month with the cases opened."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, tzinfo

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from models.cases.suggestion_answers import SuggestionCounts, suggestion_counts
from models.directory.tables import Community, Person
from models.visits.counts import VisitCount, visit_counts


@dataclass(frozen=True)
class Breakdown:
    by_community: list[tuple[str, SuggestionCounts]]
    by_instructor: list[tuple[str, SuggestionCounts]]  # "" for suggestions no instructor was paired to
    visits: list[tuple[str, VisitCount]]


async def _community_names(session: AsyncSession, ids: set[int]) -> dict[int, str]:
    rows = await session.exec(select(Community).where(col(Community.id).in_(ids)))
    return {row.id or 0: row.name for row in rows}


async def _people_names(session: AsyncSession, ids: set[int]) -> dict[int, str]:
    rows = await session.exec(select(Person).where(col(Person.id).in_(ids)))
    return {row.id or 0: row.name for row in rows}


async def breakdown(
    *, session: AsyncSession, street_id: int, start: datetime, end: datetime, tz: tzinfo
) -> Breakdown:
    """The street's suggestions per community and instructor, and visits per instructor and month."""
    communities = await suggestion_counts(
        session=session, street_id=street_id, start=start, end=end, by="community"
    )
    instructors = await suggestion_counts(
        session=session, street_id=street_id, start=start, end=end, by="instructor"
    )
    visits = await visit_counts(session=session, street_id=street_id, start=start, end=end, tz=tz)
    places = await _community_names(session, {c.key for c in communities if c.key is not None})
    people = await _people_names(
        session, {c.key for c in instructors if c.key is not None} | {v.instructor_id for v in visits}
    )
    return Breakdown(
        by_community=[(places.get(c.key or 0, ""), c) for c in communities],
        by_instructor=[(people.get(c.key, "") if c.key is not None else "", c) for c in instructors],
        visits=[(people.get(v.instructor_id, ""), v) for v in visits],
    )
