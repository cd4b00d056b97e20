"""What the assessment counts, read from the database in a few grouped queries.

**The enterprise's cases** (the one definition): the cases of the street reported while the
enterprise answered for their community — its own communities, and those it looks after
under shared property (``Case.enterprise_id``, set when the case was opened) — leaving out
the withdrawn and the duplicates, which were never the enterprise's to solve.

**Its answers**: the surveys of those cases answered in the quarter, leaving out answers
from anyone who handles cases there (``excluded_from_numbers``); each case counts once, by
its last survey answered in the quarter (a reopened case: the answer to its last resolution).

Everything comes back as whole counts per enterprise and duty, so the arithmetic after it is
exact and the same on every database.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import and_, case, func
from sqlalchemy import select as sql_select
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from models.assessment.tables import GovernanceRecord, RecordKind, RecordStatus
from models.cases.tables import Case, CaseStatus
from models.directory.tables import Community, Enterprise
from models.surveys.tables import Solved, Survey

NOT_THE_ENTERPRISES = (CaseStatus.WITHDRAWN.value, CaseStatus.DUPLICATE.value)
SATISFIED_FROM = 4  # stars

Key = tuple[int | None, str]  # (enterprise id or None for no enterprise, duty)


@dataclass
class Counts:
    """The counts behind the service items, for one enterprise and duty (or summed)."""

    answered: int = 0  # answered surveys, one per case
    stars: int = 0  # of them, with a star rating
    satisfied: int = 0  # rated 4 or 5 stars
    solved_asked: int = 0  # answered "is it solved?"
    solved: int = 0
    partly: int = 0
    pay_asked: int = 0
    willing: int = 0
    due: int = 0  # cases whose resolution deadline fell in the quarter
    on_time: int = 0  # of them, resolved by it
    opened: int = 0  # cases opened in the quarter
    responded: int = 0  # of them, first answered by the response deadline

    def add(self, other: Counts) -> None:
        for name in self.__dataclass_fields__:
            setattr(self, name, getattr(self, name) + getattr(other, name))


def _if(condition: Any) -> Any:
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)


async def _survey_counts(
    session: AsyncSession, street_id: int, start: datetime, end: datetime
) -> dict[Key, Counts]:
    answered_in_quarter = and_(
        col(Survey.street_id) == street_id,
        col(Survey.answered_at) >= start,
        col(Survey.answered_at) < end,
        col(Survey.excluded_from_numbers).is_(False),
    )
    # The last survey of each case answered in the quarter: one answer per case.
    latest = (
        sql_select(
            col(Survey.enterprise_id).label("enterprise_id"),
            col(Survey.duty).label("duty"),
            col(Survey.stars).label("stars"),
            col(Survey.solved).label("solved"),
            col(Survey.willing_to_pay).label("willing"),
            func.row_number()
            .over(partition_by=col(Survey.case_id), order_by=col(Survey.round).desc())
            .label("newest"),
        )
        .where(answered_in_quarter)
        .subquery()
    )
    query: Any = (
        sql_select(
            latest.c.enterprise_id,
            latest.c.duty,
            func.count().label("answered"),
            func.count(latest.c.stars),
            _if(latest.c.stars >= SATISFIED_FROM),
            func.count(latest.c.solved),
            _if(latest.c.solved == Solved.SOLVED.value),
            _if(latest.c.solved == Solved.PARTLY.value),
            func.count(latest.c.willing),
            _if(latest.c.willing.is_(True)),
        )
        .where(latest.c.newest == 1)
        .group_by(latest.c.enterprise_id, latest.c.duty)
    )
    found: dict[Key, Counts] = {}
    for row in await session.exec(query):
        enterprise_id, duty, *values = row
        answered, stars, satisfied, solved_asked, solved, partly, pay_asked, willing = (
            int(v) for v in values
        )
        found[(enterprise_id, duty)] = Counts(
            answered=answered,
            stars=stars,
            satisfied=satisfied,
            solved_asked=solved_asked,
            solved=solved,
            partly=partly,
            pay_asked=pay_asked,
            willing=willing,
        )
    return found


def street_cases(street_id: int) -> Any:
    """The cases of the street that were an enterprise's to solve (see the module docstring)."""
    return (
        sql_select(Case)
        .join(Community, col(Community.id) == col(Case.community_id))
        .where(col(Community.street_id) == street_id)
        .where(col(Case.status).not_in(NOT_THE_ENTERPRISES))
    )


async def _case_counts(
    session: AsyncSession, street_id: int, start: datetime, end: datetime
) -> dict[Key, tuple[int, int, int, int]]:
    """(due, on time, opened, responded) per enterprise and duty."""
    due = and_(col(Case.resolution_due_at) >= start, col(Case.resolution_due_at) < end)
    opened = and_(col(Case.created_at) >= start, col(Case.created_at) < end)
    query: Any = (
        street_cases(street_id)
        .with_only_columns(
            col(Case.enterprise_id),
            col(Case.duty),
            _if(due),
            _if(
                and_(
                    due,
                    col(Case.resolved_at).is_not(None),
                    col(Case.resolved_at) <= col(Case.resolution_due_at),
                )
            ),
            _if(opened),
            _if(
                and_(
                    opened,
                    col(Case.first_response_at).is_not(None),
                    col(Case.first_response_at) <= col(Case.response_due_at),
                )
            ),
        )
        .where((due) | (opened))
        .group_by(col(Case.enterprise_id), col(Case.duty))
    )
    return {
        (enterprise_id, duty): (int(a), int(b), int(c), int(d))
        for enterprise_id, duty, a, b, c, d in await session.exec(query)
    }


async def service_counts(
    *, session: AsyncSession, street_id: int, start: datetime, end: datetime
) -> dict[Key, Counts]:
    """Every count of the service items in ``[start, end)``, by enterprise (None: none) and duty."""
    counts = await _survey_counts(session, street_id, start, end)
    for key, (due, on_time, opened, responded) in (
        await _case_counts(session, street_id, start, end)
    ).items():
        counts.setdefault(key, Counts()).add(
            Counts(due=due, on_time=on_time, opened=opened, responded=responded)
        )
    return counts


@dataclass
class RecordInputs:
    """One enterprise's governance records that count for the quarter (approved, not reversed)."""

    records: list[GovernanceRecord] = field(default_factory=list)

    def of(self, kind: RecordKind) -> list[GovernanceRecord]:
        return [record for record in self.records if record.kind == kind]


async def governance_inputs(
    *, session: AsyncSession, street_id: int, quarter: str
) -> dict[int, RecordInputs]:
    """Approved, unreversed records by enterprise: the quarter's, and for party building (a
    standing state) those of the earlier quarters too (written ``2026Q3``, quarters sort as text)."""
    query = (
        select(GovernanceRecord)
        .where(GovernanceRecord.street_id == street_id)
        .where(GovernanceRecord.status == RecordStatus.APPROVED)
        .where(
            (col(GovernanceRecord.quarter) == quarter)
            | (
                (col(GovernanceRecord.kind) == RecordKind.PARTY_BUILDING.value)
                & (col(GovernanceRecord.quarter) <= quarter)
            )
        )
        .order_by(col(GovernanceRecord.id))
    )
    records = list(await session.exec(query))
    reversed_ids = {record.reverses_id for record in records if record.reverses_id is not None}
    by_enterprise: dict[int, RecordInputs] = defaultdict(RecordInputs)
    for record in records:
        if record.reverses_id is None and record.id not in reversed_ids:
            by_enterprise[record.enterprise_id].records.append(record)
    return dict(by_enterprise)


async def assessed_enterprises(
    *, session: AsyncSession, street_id: int, with_counts: set[int | None], with_records: set[int]
) -> dict[int, Enterprise]:
    """The enterprises of the street's communities, and any other with cases or records there."""
    serving = select(col(Community.enterprise_id)).where(col(Community.street_id) == street_id)
    ids = {value for value in with_counts | with_records if value is not None}
    query = select(Enterprise).where(col(Enterprise.id).in_(serving) | col(Enterprise.id).in_(ids))
    return {enterprise.id or 0: enterprise for enterprise in await session.exec(query)}
