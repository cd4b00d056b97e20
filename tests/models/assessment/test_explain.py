"""The explanation of a score: exactly the case numbers and answers behind each count of the golden
street, the records counted, and, once the quarter is final, what changed in the data since."""

from __future__ import annotations

from datetime import timedelta
from fractions import Fraction

import pytest

from models.assessment.access import UNKNOWN_ENTERPRISE
from models.assessment.explain import Explanation, explain_enterprise
from models.assessment.lifecycle import NOT_ASSESSED, finalise_assessment, publish_assessment
from models.assessment.scheme import AssessmentScheme, ServiceItem
from models.assessment.tables import RecordKind
from models.directory.tables import Enterprise
from models.periods import Quarter
from models.refusal import Refused
from models.surveys.tables import Solved, Survey, SurveyStatus
from storage.database import Database
from tests.models.assessment.golden_street import (
    AFTER,
    Q3,
    SHANGHAI,
    GoldenStreet,
    T,
    build_golden_street,
    record_golden_governance,
)

SCHEME = AssessmentScheme()


def number(n: int) -> str:
    return f"LSW-2026-{n:06d}"


A = [number(n) for n in range(1, 21)]  # A1..A20; LSW-2026-000021 is A's withdrawn case
B0 = number(22)  # opened in the quarter before, due in this one
B = [number(n) for n in range(23, 33)]  # B1..B10


@pytest.fixture
async def street(db: Database) -> GoldenStreet:
    street = await build_golden_street(db)
    await record_golden_governance(db, street, SCHEME)
    return street


async def explain(db: Database, street: GoldenStreet, code: str, quarter: Quarter = Q3) -> Explanation:
    async with db.read() as session:
        return await explain_enterprise(
            session=session,
            street_id=street.street,
            enterprise_code=code,
            quarter=quarter,
            scheme=SCHEME,
            tz=SHANGHAI,
        )


def behind(explanation: Explanation, item: ServiceItem) -> dict[str, Fraction]:
    found = {row.row.number: row.success for row in explanation.behind(item)}
    assert len(found) == len(explanation.behind(item)), "a case counted twice"
    return found


async def test_each_count_lists_the_cases_behind_it(db: Database, street: GoldenStreet) -> None:
    a = await explain(db, street, "hy")
    assert not a.final and not a.changed
    # Satisfaction: A1 to A19, once each; A20's answer came from a handler, A19 gave 2 stars.
    satisfaction = behind(a, ServiceItem.SATISFACTION)
    assert sorted(satisfaction) == A[:19]
    assert [n for n, k in satisfaction.items() if k == 0] == [A[18]]
    # A1 was reopened: it counts once, by its second answer (5 stars, solved).
    first = next(answer for answer in a.answers if answer.number == A[0])
    assert (first.round, first.stars, first.solved) == (2, 5, Solved.SOLVED)
    # Resolution: A19 was partly solved, half a success.
    assert behind(a, ServiceItem.RESOLUTION)[A[18]] == Fraction(1, 2)
    # On time: all twenty fell due in the quarter, A20 was resolved a day late; the withdrawn
    # case is not the enterprise's.
    on_time = behind(a, ServiceItem.ON_TIME)
    assert sorted(on_time) == A
    assert [n for n, k in on_time.items() if k == 0] == [A[19]]
    late = next(case for case in a.cases if case.number == A[19])
    assert late.resolved_at is not None and late.resolved_at > late.resolution_due_at
    assert sorted(behind(a, ServiceItem.FIRST_RESPONSE)) == A
    # The counts rebuilt from the rows are the score's.
    for item in a.score.service:
        assert (sum(behind(a, item.item).values()), len(behind(a, item.item))) == (item.successes, item.count)


async def test_a_case_from_the_quarter_before_counts_only_for_on_time(
    db: Database, street: GoldenStreet
) -> None:
    b = await explain(db, street, "xh")
    on_time = behind(b, ServiceItem.ON_TIME)
    assert sorted(on_time) == [B0, *B]
    assert {n for n, k in on_time.items() if k == 1} == {B0, *B[:5]}
    assert sorted(behind(b, ServiceItem.FIRST_RESPONSE)) == B
    assert {n for n, k in behind(b, ServiceItem.FIRST_RESPONSE).items() if k == 0} == {B[8], B[9]}
    assert sorted(behind(b, ServiceItem.SATISFACTION)) == [B0, *B[:9]]
    assert b.behind(ServiceItem.SATISFACTION, duty="greening") == []


async def test_the_records_counted_with_who_made_and_approved_them(
    db: Database, street: GoldenStreet
) -> None:
    a = await explain(db, street, "hy")
    kinds = [record.record.kind for record in a.records]
    # Three meetings (the one entered twice and its undoing do not count), two tasks, two
    # party-building items, one fault and a commendation; the instructor's waiting fault and
    # rejected meeting do not count.
    assert kinds == [RecordKind.MEETING] * 3 + [RecordKind.TASK] * 2 + [RecordKind.PARTY_BUILDING] * 2 + [
        RecordKind.SPOT_CHECK,
        RecordKind.COMMENDATION,
    ]
    assert {(record.recorded_by, record.decided_by) for record in a.records} == {("Office", "Office")}
    assert [r.record.id for r in a.records] == a.score.participation.record_ids
    fault = a.records[7].record
    assert (fault.item, fault.points_tenths) == ("sanitation", 15)


async def test_unknown_codes_and_enterprises_not_assessed_are_refused(
    db: Database, street: GoldenStreet
) -> None:
    with pytest.raises(Refused) as refused:
        await explain(db, street, "nope")
    assert (refused.value.message, refused.value.params) == (UNKNOWN_ENTERPRISE, {"code": "nope"})
    async with db.write() as session:
        session.add(Enterprise(code="zz", name="远方物业"))  # serves no community of the street
    with pytest.raises(Refused) as refused:
        await explain(db, street, "zz")
    assert (refused.value.message, refused.value.params) == (NOT_ASSESSED, {"quarter": "2026Q3"})


async def test_after_finalisation_the_changes_in_the_data_are_reported(
    db: Database, street: GoldenStreet
) -> None:
    for step in (publish_assessment, finalise_assessment):
        async with db.write() as session:
            await step(
                session=session,
                street_id=street.street,
                quarter=Q3,
                admin=street.admin,
                scheme=SCHEME,
                tz=SHANGHAI,
                now=AFTER,
            )
    a = await explain(db, street, "hy")
    assert a.final and not a.changed
    # A resident's answer to A20 arrives late, as if counted in the quarter.
    async with db.write() as session:
        case = next(c for c in a.cases if c.number == A[19])
        session.add(
            Survey(
                case_id=case.case_id,
                round=2,
                reporter_id=street.admin.id or 0,
                enterprise_id=street.a,
                community_id=1,
                street_id=street.street,
                duty=case.duty,
                category="other",
                status=SurveyStatus.ANSWERED,
                due_at=T,
                sent_at=T,
                answered_at=T + timedelta(days=30),
                solved=Solved.SOLVED,
                stars=5,
                willing_to_pay=True,
            )
        )
    a = await explain(db, street, "hy")
    assert a.final and a.changed
    assert {change.item: (change.then, change.now) for change in a.changes} == {
        ServiceItem.SATISFACTION: ((18, 19), (19, 20)),
        ServiceItem.RESOLUTION: ((Fraction(37, 2), 19), (Fraction(39, 2), 20)),
        ServiceItem.WILLING_TO_PAY: ((18, 19), (19, 20)),
    }
    # The score shown is still the snapshot's.
    assert next(i for i in a.score.service if i.item == ServiceItem.SATISFACTION).count == 19
    assert (a.records_added, a.records_removed) == ([], [])
