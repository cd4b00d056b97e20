"""The work report's numbers, each counted once in the database and exact (rates as fractions).

Periods run from local midnight to local midnight (models/periods.py). What counts where:

- suggestions: received in the period; answered and adopted of those (whenever answered);
- problems solved: cases resolved in the period (resolved, or resolved and closed since);
- cases by category and by duty: cases reported in the period;
- satisfaction (4–5 stars) and willingness to pay: shares of the surveys sent in the period and
  answered, leaving out those of people who handle cases (as /stats does); "after repairs" are
  the surveys of cases a granted repair grant paid for, sent after the grant;
- shared property: communities under a take-over at some time in the period;
- the fund: applications granted in the period, per fund type;
- visits: made in the period, and the cases opened on them;
- the Affairs Hall: the street's meetings held in the period, and its meetings' decisions closed
  in the period (whenever decided).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, tzinfo
from fractions import Fraction
from typing import Any

from sqlalchemy import and_, func
from sqlalchemy import select as sql_select
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from models.base import N_
from models.cases.routing import SharedProperty
from models.cases.suggestion_answers import suggestion_counts
from models.cases.tables import Case, CaseStatus
from models.directory.tables import Community
from models.fund.tables import GRANTED, FundApplication, FundCase, FundType
from models.meetings.tables import AgendaItem, Decision, ItemStatus, Meeting, MeetingStatus
from models.periods import FIRST_YEAR, LAST_YEAR, Quarter, parse_period
from models.refusal import Refused
from models.surveys.stats import SATISFIED_FROM, count_if
from models.surveys.tables import Survey
from models.visits.counts import visits_in
from models.visits.tables import VisitCase

SOLVED_STATUSES = (CaseStatus.RESOLVED.value, CaseStatus.CLOSED.value)


@dataclass(frozen=True)
class SurveyNumbers:
    answered: int = 0
    satisfied: int = 0
    willing_to_pay: int = 0

    @property
    def satisfaction(self) -> Fraction | None:
        return Fraction(self.satisfied, self.answered) if self.answered else None

    @property
    def pay(self) -> Fraction | None:
        return Fraction(self.willing_to_pay, self.answered) if self.answered else None


@dataclass(frozen=True)
class WorkReport:
    period: str
    suggestions: int
    suggestions_answered: int
    suggestions_adopted: int
    suggestions_to_agenda: int
    cases: int
    problems_solved: int
    by_category: dict[str, int]
    by_duty: dict[str, int]
    surveys: SurveyNumbers
    after_repairs: SurveyNumbers
    shared_communities: int
    granted_fen: dict[str, int] = field(default_factory=dict)
    granted_count: dict[str, int] = field(default_factory=dict)
    visits: int = 0
    visit_cases: int = 0
    instructors_visiting: int = 0
    meetings_held: int = 0
    decisions_closed: int = 0

    @property
    def granted_total_fen(self) -> int:
        return sum(self.granted_fen.values())


async def _cases(session: AsyncSession, street_id: int, start: datetime, end: datetime) -> dict[str, Any]:
    street_cases = (
        select(Case)
        .join(Community, col(Community.id) == col(Case.community_id))
        .where(col(Community.street_id) == street_id)
    )
    reported = street_cases.where(col(Case.created_at) >= start).where(col(Case.created_at) < end)
    by_category: dict[str, int] = {}
    by_duty: dict[str, int] = {}
    for row in await session.exec(reported):
        by_category[row.category] = by_category.get(row.category, 0) + 1
        by_duty[row.duty] = by_duty.get(row.duty, 0) + 1
    solved = await session.exec(
        select(func.count(col(Case.id)))
        .join(Community, col(Community.id) == col(Case.community_id))
        .where(col(Community.street_id) == street_id)
        .where(col(Case.resolved_at) >= start)
        .where(col(Case.resolved_at) < end)
        .where(col(Case.status).in_(SOLVED_STATUSES))
    )
    return {
        "cases": sum(by_category.values()),
        "by_category": dict(sorted(by_category.items())),
        "by_duty": dict(sorted(by_duty.items())),
        "problems_solved": int(solved.one()),
    }


async def _surveys(
    session: AsyncSession, street_id: int, start: datetime, end: datetime, *, after_repairs: bool
) -> SurveyNumbers:
    answered = col(Survey.answered_at).is_not(None)
    query: Any = (
        sql_select(
            func.count(col(Survey.answered_at)),
            count_if(and_(answered, col(Survey.stars) >= SATISFIED_FROM)),
            count_if(and_(answered, col(Survey.willing_to_pay).is_(True))),
        )
        .where(col(Survey.street_id) == street_id)
        .where(col(Survey.excluded_from_numbers).is_(False))
        .where(col(Survey.sent_at) >= start)
        .where(col(Survey.sent_at) < end)
    )
    if after_repairs:
        # Each survey once, however many grants paid for its case: the earliest grant counts.
        funded = (
            sql_select(col(FundCase.case_id), func.min(col(FundApplication.decided_at)).label("funded_at"))
            .join(FundApplication, col(FundApplication.id) == col(FundCase.application_id))
            .where(col(FundApplication.fund_type) == FundType.REPAIR.value)
            .where(col(FundApplication.status).in_([status.value for status in GRANTED]))
            .group_by(col(FundCase.case_id))
            .subquery()
        )
        query = query.join(funded, funded.c.case_id == col(Survey.case_id)).where(
            col(Survey.sent_at) >= funded.c.funded_at
        )
    row = (await session.exec(query)).one()
    return SurveyNumbers(int(row[0]), int(row[1]), int(row[2]))


async def _shared(session: AsyncSession, street_id: int, start: datetime, end: datetime) -> int:
    rows = await session.exec(
        select(func.count(func.distinct(col(SharedProperty.community_id))))
        .join(Community, col(Community.id) == col(SharedProperty.community_id))
        .where(col(Community.street_id) == street_id)
        .where(col(SharedProperty.started_at) < end)
        .where(col(SharedProperty.ended_at).is_(None) | (col(SharedProperty.ended_at) > start))
    )
    return int(rows.one())


async def _fund(
    session: AsyncSession, street_id: int, start: datetime, end: datetime
) -> tuple[dict[str, int], dict[str, int]]:
    granted_fen = {fund_type.value: 0 for fund_type in FundType}
    granted_count = {fund_type.value: 0 for fund_type in FundType}
    rows = await session.exec(
        select(FundApplication)
        .where(FundApplication.street_id == street_id)
        .where(col(FundApplication.status).in_(list(GRANTED)))
        .where(col(FundApplication.decided_at) >= start)
        .where(col(FundApplication.decided_at) < end)
    )
    for application in rows:
        granted_fen[application.fund_type.value] += application.approved_fen or 0
        granted_count[application.fund_type.value] += 1
    return granted_fen, granted_count


async def _visits(
    session: AsyncSession, street_id: int, start: datetime, end: datetime
) -> tuple[int, int, int]:
    visits = await visits_in(session=session, street_id=street_id, start=start, end=end)
    opened = await session.exec(
        select(func.count(col(VisitCase.id))).where(col(VisitCase.visit_id).in_([v.id for v in visits]))
    )
    return len(visits), int(opened.one()), len({visit.instructor_id for visit in visits})


async def _affairs_hall(
    session: AsyncSession, street_id: int, start: datetime, end: datetime
) -> tuple[int, int]:
    held = await session.exec(
        select(func.count(col(Meeting.id)))
        .where(col(Meeting.street_id) == street_id)
        .where(col(Meeting.status) == MeetingStatus.HELD.value)
        .where(col(Meeting.held_at) >= start)
        .where(col(Meeting.held_at) < end)
    )
    # A decision belongs to the street of the meeting that made it (decision → item → meeting).
    closed = await session.exec(
        select(func.count(col(Decision.id)))
        .join(AgendaItem, col(AgendaItem.id) == col(Decision.item_id))
        .join(Meeting, col(Meeting.id) == col(AgendaItem.meeting_id))
        .where(col(Meeting.street_id) == street_id)
        .where(col(Decision.status) == ItemStatus.CLOSED.value)
        .where(col(Decision.closed_at) >= start)
        .where(col(Decision.closed_at) < end)
    )
    return int(held.one()), int(closed.one())


async def work_report(
    *, session: AsyncSession, street_id: int, period: str, start: datetime, end: datetime
) -> WorkReport:
    """The street's work report for [start, end), named ``period`` (2026, 2026Q3)."""
    suggestions = await suggestion_counts(
        session=session, street_id=street_id, start=start, end=end, by="community"
    )
    granted_fen, granted_count = await _fund(session, street_id, start, end)
    visits, visit_cases, visiting = await _visits(session, street_id, start, end)
    meetings_held, decisions_closed = await _affairs_hall(session, street_id, start, end)
    return WorkReport(
        period=period,
        suggestions=sum(c.received for c in suggestions),
        suggestions_answered=sum(c.answered for c in suggestions),
        suggestions_adopted=sum(c.adopted for c in suggestions),
        suggestions_to_agenda=sum(c.agenda for c in suggestions),
        **await _cases(session, street_id, start, end),
        surveys=await _surveys(session, street_id, start, end, after_repairs=False),
        after_repairs=await _surveys(session, street_id, start, end, after_repairs=True),
        shared_communities=await _shared(session, street_id, start, end),
        granted_fen=granted_fen,
        granted_count=granted_count,
        visits=visits,
        visit_cases=visit_cases,
        instructors_visiting=visiting,
        meetings_held=meetings_held,
        decisions_closed=decisions_closed,
    )


BAD_REPORT_PERIOD = N_("Name a year (2026) or a quarter (2026Q3).")


def report_period(text: str, tz: tzinfo) -> tuple[str, datetime, datetime]:
    """A year (``2026``) or a quarter (``2026Q3``) as its name and ``[start, end)`` in UTC."""
    text = text.strip()
    if re.fullmatch(r"[0-9]{4}", text):
        year = int(text)
        if not FIRST_YEAR <= year <= LAST_YEAR:
            raise Refused(BAD_REPORT_PERIOD)
        start, end = parse_period(f"{year}-01-01..{year}-12-31", tz)
        return text, start, end
    if not re.fullmatch(r"[0-9]{4}[Qq][1-4]", text):
        raise Refused(BAD_REPORT_PERIOD)
    quarter = Quarter.parse(text)
    start, end = parse_period(f"{quarter.year}Q{quarter.number}", tz)
    return str(quarter), start, end
