"""What the assessment counts, read from the database in a few grouped queries.

**The enterprise's cases** (the one definition): the cases of the street reported while the
enterprise answered for their community — its own communities, and those it looks after
under shared property (``Case.enterprise_id``, set when the case was opened) — leaving out
the withdrawn and the duplicates, which were never the enterprise's to solve.

**Its answers**: the surveys of those cases answered in the quarter, leaving out answers
from anyone who handles cases there (``excluded_from_numbers``); each case counts once, by
its last survey answered in the quarter (a reopened case: the answer to its last resolution).

Every count is defined once, as a condition on one counted row, and then either summed per
enterprise and duty (the assessment) or read row by row (its explanation, explain.py).

Everything comes back as whole counts per enterprise and duty, so the arithmetic after it is
exact and the same on every database.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import and_, case, exists, func, true
from sqlalchemy import select as sql_select
from sqlalchemy.orm import aliased
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


def _flag(condition: Any, name: str) -> Any:
    return case((condition, 1), else_=0).label(name)


def _answer_conditions() -> dict[str, Any]:
    """What one counted answer adds to each answer count of :class:`Counts`."""
    return {
        "answered": true(),
        "stars": col(Survey.stars).is_not(None),
        "satisfied": col(Survey.stars) >= SATISFIED_FROM,
        "solved_asked": col(Survey.solved).is_not(None),
        "solved": col(Survey.solved) == Solved.SOLVED.value,
        "partly": col(Survey.solved) == Solved.PARTLY.value,
        "pay_asked": col(Survey.willing_to_pay).is_not(None),
        "willing": col(Survey.willing_to_pay).is_(True),
    }


def _case_conditions(start: datetime, end: datetime) -> dict[str, Any]:
    """What one of the enterprise's cases adds to each case count of :class:`Counts`."""
    due = and_(col(Case.resolution_due_at) >= start, col(Case.resolution_due_at) < end)
    opened = and_(col(Case.created_at) >= start, col(Case.created_at) < end)
    return {
        "due": due,
        "on_time": and_(
            due, col(Case.resolved_at).is_not(None), col(Case.resolved_at) <= col(Case.resolution_due_at)
        ),
        "opened": opened,
        "responded": and_(
            opened,
            col(Case.first_response_at).is_not(None),
            col(Case.first_response_at) <= col(Case.response_due_at),
        ),
    }


def _may_count(survey: Any, street_id: int, start: datetime, end: datetime) -> Any:
    """A survey of the street answered in ``[start, end)``, by someone whose answers count."""
    return and_(
        col(survey.street_id) == street_id,
        col(survey.answered_at) >= start,
        col(survey.answered_at) < end,
        col(survey.excluded_from_numbers).is_(False),
    )


def _counted_answer(street_id: int, start: datetime, end: datetime) -> Any:
    """A survey that counts: it may count, and no later round of its case that may count exists
    (each case counts once, by its last answer in the quarter)."""
    # Asked per answer through the (case_id, round) key rather than numbering every answer of
    # the quarter with a window function, which sorted them all first.
    later = aliased(Survey)
    return and_(
        _may_count(Survey, street_id, start, end),
        ~exists().where(
            col(later.case_id) == col(Survey.case_id),
            col(later.round) > col(Survey.round),
            _may_count(later, street_id, start, end),
        ),
    )


async def _survey_counts(
    session: AsyncSession, street_id: int, start: datetime, end: datetime
) -> dict[Key, Counts]:
    conditions = _answer_conditions()
    query: Any = (
        sql_select(col(Survey.enterprise_id), col(Survey.duty), *(_if(c) for c in conditions.values()))
        .where(_counted_answer(street_id, start, end))
        .group_by(col(Survey.enterprise_id), col(Survey.duty))
    )
    return {
        (enterprise_id, duty): Counts(**{name: int(v) for name, v in zip(conditions, values, strict=True)})
        for enterprise_id, duty, *values in await session.exec(query)
    }


def counted_answers(street_id: int, start: datetime, end: datetime, enterprise_id: int) -> Any:
    """The enterprise's counted answers, one row per case, with the counts each adds (0 or 1),
    named as in :class:`Counts`, after ``case_id``, ``round``, ``duty``, ``answered_at`` and
    the answer itself (``answer_stars``, ``answer_solved``, ``answer_willing``)."""
    return (
        sql_select(
            col(Survey.case_id),
            col(Survey.round),
            col(Survey.duty),
            col(Survey.answered_at),
            col(Survey.stars).label("answer_stars"),
            col(Survey.solved).label("answer_solved"),
            col(Survey.willing_to_pay).label("answer_willing"),
            *(_flag(condition, name) for name, condition in _answer_conditions().items()),
        )
        .where(_counted_answer(street_id, start, end))
        .where(col(Survey.enterprise_id) == enterprise_id)
        .order_by(col(Survey.case_id))
    )


def street_cases(street_id: int) -> Any:
    """The cases of the street that were an enterprise's to solve (see the module docstring)."""
    return (
        sql_select(Case)
        .join(Community, col(Community.id) == col(Case.community_id))
        .where(col(Community.street_id) == street_id)
        .where(col(Case.status).not_in(NOT_THE_ENTERPRISES))
    )


def _cases_in_quarter(street_id: int, start: datetime, end: datetime) -> tuple[Any, dict[str, Any]]:
    """The street's cases that fall due or were opened in ``[start, end)``, and the conditions."""
    conditions = _case_conditions(start, end)
    return street_cases(street_id).where(conditions["due"] | conditions["opened"]), conditions


async def _case_counts(
    session: AsyncSession, street_id: int, start: datetime, end: datetime
) -> dict[Key, Counts]:
    cases, conditions = _cases_in_quarter(street_id, start, end)
    # Summed per community first: the rows then come in the order of ix_case_assessment, so the
    # database adds them up as it reads the index instead of sorting every case of the quarter.
    query: Any = cases.with_only_columns(
        col(Case.enterprise_id), col(Case.duty), *(_if(c) for c in conditions.values())
    ).group_by(col(Community.id), col(Case.enterprise_id), col(Case.duty))
    counts: dict[Key, Counts] = defaultdict(Counts)
    for enterprise_id, duty, *values in await session.exec(query):
        counts[(enterprise_id, duty)].add(
            Counts(**{name: int(v) for name, v in zip(conditions, values, strict=True)})
        )
    return dict(counts)


def counted_cases(street_id: int, start: datetime, end: datetime, enterprise_id: int) -> Any:
    """The enterprise's cases that fall due or were opened in ``[start, end)``, with the counts
    each adds (0 or 1, named as in :class:`Counts`) after the case's own columns."""
    cases, conditions = _cases_in_quarter(street_id, start, end)
    return (
        cases.with_only_columns(
            col(Case.id),
            col(Case.number),
            col(Case.duty),
            col(Case.created_at),
            col(Case.response_due_at),
            col(Case.first_response_at),
            col(Case.resolution_due_at),
            col(Case.resolved_at),
            *(_flag(condition, name) for name, condition in conditions.items()),
        )
        .where(col(Case.enterprise_id) == enterprise_id)
        .order_by(col(Case.id))
    )


async def service_counts(
    *, session: AsyncSession, street_id: int, start: datetime, end: datetime
) -> dict[Key, Counts]:
    """Every count of the service items in ``[start, end)``, by enterprise (None: none) and duty."""
    counts = await _survey_counts(session, street_id, start, end)
    for key, found in (await _case_counts(session, street_id, start, end)).items():
        counts.setdefault(key, Counts()).add(found)
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
