"""The work report of a generated year matches the hand counts of the generated rows (on SQLite
and on PostgreSQL alike): the year, and a quarter of it."""

from __future__ import annotations

from collections import Counter
from datetime import datetime
from fractions import Fraction

import pytest

from models.cases.tables import CaseStatus
from models.fund.tables import GRANTED, FundType
from models.meetings.tables import ItemStatus, MeetingStatus
from models.periods import parse_period
from models.report.work import work_report
from models.surveys.tables import Survey
from storage.database import Database
from tests.factories.world import make_world
from tests.models.report.generated_year import SHANGHAI, Generated, generate_year


def _in(moment: datetime | None, start: datetime, end: datetime) -> bool:
    return moment is not None and start <= moment < end


def _survey_numbers(surveys: list[Survey]) -> tuple[int, int, int]:
    answered = [s for s in surveys if s.answered_at is not None]
    return (
        len(answered),
        sum(1 for s in answered if (s.stars or 0) >= 4),
        sum(1 for s in answered if s.willing_to_pay),
    )


@pytest.mark.parametrize("period", ["2026", "2026Q3"])
async def test_the_report_matches_the_hand_counts(db: Database, period: str) -> None:
    world = await make_world(db)
    made: Generated = await generate_year(db, world)
    start, end = parse_period(period if "Q" in period else f"{period}-01-01..{period}-12-31", SHANGHAI)
    async with db.read() as session:
        report = await work_report(
            session=session, street_id=world.street, period=period, start=start, end=end
        )

    received = [s for s in made.suggestions if _in(s.created_at, start, end)]
    assert (report.suggestions, report.suggestions_answered, report.suggestions_adopted) == (
        len(received),
        sum(1 for s in received if s.outcome is not None),
        sum(1 for s in received if s.outcome == "adopted"),
    )
    reported = [c for c in made.cases if _in(c.created_at, start, end)]
    assert report.cases == len(reported)
    assert report.by_category == dict(sorted(Counter(c.category for c in reported).items()))
    assert report.by_duty == dict(sorted(Counter(c.duty for c in reported).items()))
    assert report.problems_solved == sum(
        1
        for c in made.cases
        if _in(c.resolved_at, start, end) and c.status in (CaseStatus.RESOLVED, CaseStatus.CLOSED)
    )
    counted = [s for s in made.surveys if _in(s.sent_at, start, end) and not s.excluded_from_numbers]
    answered, satisfied, paying = _survey_numbers(counted)
    assert (report.surveys.answered, report.surveys.satisfied, report.surveys.willing_to_pay) == (
        answered,
        satisfied,
        paying,
    )
    assert report.surveys.satisfaction == (Fraction(satisfied, answered) if answered else None)
    after = [
        s for s in counted if s.case_id in made.funded and s.sent_at and s.sent_at >= made.funded[s.case_id]
    ]
    assert (
        report.after_repairs.answered,
        report.after_repairs.satisfied,
        report.after_repairs.willing_to_pay,
    ) == (_survey_numbers(after))
    street_communities = {world.community, world.other_community, world.bare_community}
    assert report.shared_communities == len(
        {
            t.community_id
            for t in made.take_overs
            if t.community_id in street_communities
            and t.started_at < end
            and (t.ended_at is None or t.ended_at > start)
        }
    )
    granted = [a for a in made.applications if a.status in GRANTED and _in(a.decided_at, start, end)]
    assert report.granted_fen == {
        t.value: sum(a.approved_fen or 0 for a in granted if a.fund_type == t) for t in FundType
    }
    assert report.granted_count == {t.value: sum(1 for a in granted if a.fund_type == t) for t in FundType}
    visits = [v for v in made.visits if _in(v.visited_at, start, end)]
    ids = {v.id for v in visits}
    assert (report.visits, report.visit_cases, report.instructors_visiting) == (
        len(visits),
        sum(1 for visit_id, _case in made.visit_cases if visit_id in ids),
        len({v.instructor_id for v in visits}),
    )
    # The street's own meetings held in the period; decisions closed in it, of the street's meetings.
    assert report.meetings_held == sum(
        1
        for m in made.meetings
        if m.street_id == world.street and m.status == MeetingStatus.HELD and _in(m.held_at, start, end)
    )
    assert report.decisions_closed == sum(
        1
        for d, street in made.decisions
        if street == world.street and d.status == ItemStatus.CLOSED and _in(d.closed_at, start, end)
    )
    # The generated year is not empty where it matters.
    assert (
        report.cases
        and report.problems_solved
        and report.surveys.answered
        and report.suggestions
        and report.visits
        and report.meetings_held
        and report.decisions_closed
    )
