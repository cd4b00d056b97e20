"""The numbers the surveys and cases feed, for a period, by enterprise, community, instructor,
duty category or street; aggregated in SQL with GROUP BY, never by loading rows.

Two cohorts, so every rate is a share of one well-defined set:

* Survey rates count the surveys **sent** in the period (``sent_at`` in ``[start, end)``;
  reminded, answered and expired ones all went out): response rate = answered / sent, where a
  survey is answered once its first question is; resolution, satisfaction (4–5 stars) and
  willingness-to-pay rates are shares of those answered. Surveys of reporters who also handle
  cases in the area (``excluded_from_numbers``) never count. They are grouped by what was
  copied from the case when the survey was scheduled.
* Case rates count the cases **created** in the period: reopen rate = cases reopened at least
  once / cases resolved at least once; median time from the report to the first response of
  someone other than the reporter; on-time share = cases whose (latest) resolution was before
  the resolution deadline / cases resolved; escalation rate = cases that reached the community
  party committee or the street office (models/escalation) / cases. By instructor, a case
  counts for its current owner when an instructor owns it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from sqlalchemy import Float, and_, case, func
from sqlalchemy import select as sql_select
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql import ColumnElement, expression
from sqlalchemy.sql.compiler import SQLCompiler
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from models.base import N_
from models.cases.categories import DUTY_NAMES, ServiceDuty
from models.cases.tables import Case, OwnerLevel
from models.directory.tables import Community, Enterprise, Person, Street
from models.surveys.tables import Solved, Survey

NO_ENTERPRISE = N_("No property enterprise")
NO_INSTRUCTOR = N_("Not owned by an instructor")
BAD_PERIOD = N_(
    "Write the period as a quarter (2026Q3), a month (2026-09) or FROM..TO (2026-07-01..2026-09-30)."
)
SATISFIED_FROM = 4  # stars


# A case counts as escalated from level 2 (the community party committee) up.
ESCALATED_FROM = 2


class Grouping(StrEnum):
    ENTERPRISE = "enterprise"
    COMMUNITY = "community"
    INSTRUCTOR = "instructor"
    CATEGORY = "category"  # the duty category
    STREET = "street"


def _rate(part: int, whole: int) -> float | None:
    return part / whole if whole else None


@dataclass(frozen=True)
class StatsRow:
    key: int | str | None
    name: str
    name_is_msgid: bool  # a message id to translate (a duty, "no enterprise"), not a proper name
    sent: int = 0
    answered: int = 0
    solved: int = 0
    satisfied: int = 0
    willing_to_pay: int = 0
    cases: int = 0
    resolved: int = 0
    reopened: int = 0
    resolved_on_time: int = 0
    escalated: int = 0  # reached level 2 or 3 (models/escalation)
    median_first_response: timedelta | None = None

    @property
    def response_rate(self) -> float | None:
        return _rate(self.answered, self.sent)

    @property
    def resolution_rate(self) -> float | None:
        return _rate(self.solved, self.answered)

    @property
    def satisfaction_rate(self) -> float | None:
        return _rate(self.satisfied, self.answered)

    @property
    def pay_rate(self) -> float | None:
        return _rate(self.willing_to_pay, self.answered)

    @property
    def reopen_rate(self) -> float | None:
        return _rate(self.reopened, self.resolved)

    @property
    def escalation_rate(self) -> float | None:
        return _rate(self.escalated, self.cases)

    @property
    def on_time_share(self) -> float | None:
        return _rate(self.resolved_on_time, self.resolved)


class seconds_between(expression.FunctionElement[float]):
    """``later - earlier`` in seconds: one portable expression, compiled for each database."""

    type = Float()
    name = "seconds_between"
    inherit_cache = True


@compiles(seconds_between)
def _seconds_between_default(element: seconds_between, compiler: SQLCompiler, **kw: Any) -> str:
    later, earlier = list(element.clauses)
    return f"EXTRACT(EPOCH FROM ({compiler.process(later, **kw)} - {compiler.process(earlier, **kw)}))"


@compiles(seconds_between, "sqlite")
def _seconds_between_sqlite(element: seconds_between, compiler: SQLCompiler, **kw: Any) -> str:
    later, earlier = list(element.clauses)
    return (
        f"((julianday({compiler.process(later, **kw)}) - julianday({compiler.process(earlier, **kw)}))"
        " * 86400.0)"
    )


def _survey_key(by: Grouping) -> ColumnElement[Any]:
    keys: dict[Grouping, Any] = {
        Grouping.ENTERPRISE: col(Survey.enterprise_id),
        Grouping.COMMUNITY: col(Survey.community_id),
        Grouping.INSTRUCTOR: col(Survey.instructor_id),
        Grouping.CATEGORY: col(Survey.duty),
        Grouping.STREET: col(Survey.street_id),
    }
    return keys[by]


def _case_key(by: Grouping) -> ColumnElement[Any]:
    if by == Grouping.INSTRUCTOR:
        return case((col(Case.owner_level) == OwnerLevel.INSTRUCTOR.value, col(Case.owner_id)), else_=None)
    keys: dict[Grouping, Any] = {
        Grouping.ENTERPRISE: col(Case.enterprise_id),
        Grouping.COMMUNITY: col(Case.community_id),
        Grouping.CATEGORY: col(Case.duty),
        Grouping.STREET: col(Community.street_id),
    }
    return keys[by]


def count_if(condition: ColumnElement[bool]) -> ColumnElement[Any]:
    """How many rows meet ``condition`` (0, not NULL, over none)."""
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)


@dataclass(frozen=True)
class _Scope:
    """Only the surveys and cases of one street, or of one community (None: all)."""

    street_id: int | None = None
    community_id: int | None = None


async def _survey_counts(
    session: AsyncSession, by: Grouping, start: datetime, end: datetime, scope: _Scope
) -> dict[Any, dict[str, int]]:
    key = _survey_key(by).label("key")
    answered = col(Survey.answered_at).is_not(None)
    # Any: SQLModel types select() for at most four columns.
    query: Any = (
        sql_select(
            key,
            func.count().label("sent"),
            func.count(col(Survey.answered_at)).label("answered"),
            count_if(and_(answered, col(Survey.solved) == Solved.SOLVED.value)).label("solved"),
            count_if(and_(answered, col(Survey.stars) >= SATISFIED_FROM)).label("satisfied"),
            count_if(and_(answered, col(Survey.willing_to_pay).is_(True))).label("willing_to_pay"),
        )
        .where(col(Survey.excluded_from_numbers).is_(False))
        .where(col(Survey.sent_at) >= start)
        .where(col(Survey.sent_at) < end)
        .group_by(key)
    )
    if scope.street_id is not None:
        query = query.where(col(Survey.street_id) == scope.street_id)
    if scope.community_id is not None:
        query = query.where(col(Survey.community_id) == scope.community_id)
    result = await session.exec(query)
    return {row.key: {name: int(row[i + 1]) for i, name in enumerate(_SURVEY_FIELDS)} for row in result}


_SURVEY_FIELDS = ("sent", "answered", "solved", "satisfied", "willing_to_pay")
_CASE_FIELDS = ("cases", "resolved", "reopened", "resolved_on_time", "escalated")


def _in_period(query: Any, by: Grouping, start: datetime, end: datetime, scope: _Scope) -> Any:
    query = query.where(col(Case.created_at) >= start).where(col(Case.created_at) < end)
    if by == Grouping.STREET or scope.street_id is not None:
        query = query.join(Community, col(Community.id) == col(Case.community_id))
    if scope.street_id is not None:
        query = query.where(col(Community.street_id) == scope.street_id)
    if scope.community_id is not None:
        query = query.where(col(Case.community_id) == scope.community_id)
    return query


async def _case_counts(
    session: AsyncSession, by: Grouping, start: datetime, end: datetime, scope: _Scope
) -> dict[Any, dict[str, int]]:
    key = _case_key(by).label("key")
    resolved = col(Case.resolved_at).is_not(None)
    query: Any = sql_select(
        key,
        func.count().label("cases"),
        func.count(col(Case.resolved_at)).label("resolved"),
        count_if(and_(resolved, col(Case.reopen_count) > 0)).label("reopened"),
        count_if(and_(resolved, col(Case.resolved_at) <= col(Case.resolution_due_at))).label("on_time"),
        count_if(col(Case.escalation_level) >= ESCALATED_FROM).label("escalated"),
    ).select_from(Case)
    query = _in_period(query, by, start, end, scope).group_by(key)
    result = await session.exec(query)
    return {row.key: {name: int(row[i + 1]) for i, name in enumerate(_CASE_FIELDS)} for row in result}


async def _median_first_response(
    session: AsyncSession, by: Grouping, start: datetime, end: datetime, scope: _Scope
) -> dict[Any, timedelta]:
    """The median per group with ROW_NUMBER and COUNT windows: the middle row, or the mean of
    the two middle rows (2·rn between n and n+2), the same SQL on SQLite and PostgreSQL."""
    durations = select(
        _case_key(by).label("key"),
        seconds_between(col(Case.first_response_at), col(Case.created_at)).label("seconds"),
    ).select_from(Case)
    durations = _in_period(durations.where(col(Case.first_response_at).is_not(None)), by, start, end, scope)
    timed = durations.subquery()
    # Both windows in the same order over the whole partition: one sort serves both.
    ranked = select(
        timed.c.key,
        timed.c.seconds,
        func.row_number().over(partition_by=timed.c.key, order_by=timed.c.seconds).label("rn"),
        func.count().over(partition_by=timed.c.key, order_by=timed.c.seconds, rows=(None, None)).label("n"),
    ).subquery()
    query = (
        select(ranked.c.key, func.avg(ranked.c.seconds))
        .where(ranked.c.rn * 2 >= ranked.c.n)
        .where(ranked.c.rn * 2 <= ranked.c.n + 2)
        .group_by(ranked.c.key)
    )
    result = await session.exec(query)
    # Whole seconds: SQLite's julianday arithmetic is exact only to a fraction of a millisecond.
    return {key_: timedelta(seconds=round(float(value))) for key_, value in result}


async def _names(session: AsyncSession, by: Grouping, keys: set[Any]) -> dict[Any, tuple[str, bool]]:
    """The display name of each group: a proper name, or a message id to translate."""
    if by == Grouping.CATEGORY:
        return {
            key: (DUTY_NAMES[ServiceDuty(key)], True) if key in set(ServiceDuty) else (str(key), False)
            for key in keys
        }
    names: dict[Any, tuple[str, bool]] = {}
    if None in keys:
        names[None] = (NO_INSTRUCTOR if by == Grouping.INSTRUCTOR else NO_ENTERPRISE, True)
    table: Any = {
        Grouping.ENTERPRISE: Enterprise,
        Grouping.COMMUNITY: Community,
        Grouping.INSTRUCTOR: Person,
        Grouping.STREET: Street,
    }[by]
    ids = [key for key in keys if key is not None]
    if ids:
        rows = await session.exec(select(table.id, table.name).where(table.id.in_(ids)))
        names.update({row_id: (name, False) for row_id, name in rows})
    return names


async def survey_stats(
    *,
    session: AsyncSession,
    start: datetime,
    end: datetime,
    by: Grouping,
    street_id: int | None = None,
    community_id: int | None = None,
) -> list[StatsRow]:
    """The rates of every group with surveys or cases in ``[start, end)``, ordered by name;
    with ``street_id`` or ``community_id``, only those of that street or community."""
    scope = _Scope(street_id=street_id, community_id=community_id)
    surveys = await _survey_counts(session, by, start, end, scope)
    cases = await _case_counts(session, by, start, end, scope)
    medians = await _median_first_response(session, by, start, end, scope)
    keys = set(surveys) | set(cases)
    names = await _names(session, by, keys)
    rows = [
        StatsRow(
            key=key,
            name=names.get(key, (str(key), False))[0],
            name_is_msgid=names.get(key, (str(key), False))[1],
            **surveys.get(key, {}),
            **cases.get(key, {}),
            median_first_response=medians.get(key),
        )
        for key in keys
    ]
    return sorted(rows, key=lambda row: (row.key is None, row.name, str(row.key)))
