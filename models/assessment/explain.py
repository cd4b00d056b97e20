"""Why an enterprise scored what it did in a quarter: the case numbers and survey answers behind
every count, and the governance records counted.

The rows come from the very queries the assessment counts with (``counted_answers`` and
``counted_cases`` in inputs.py), read row by row instead of summed, and each row's part in an
item (in n or not, and what it adds to k: 1, ½ or 0) comes from the rule the score uses
(``scoring.counted``), so an explanation cannot drift from the numbers it explains.

For a finalised quarter the score shown is the snapshot's; the counts rebuilt from today's data
are compared with it, and any difference is reported: the data changed since finalisation.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime, tzinfo
from fractions import Fraction
from typing import Any

from sqlalchemy import select as sql_select
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from models.assessment.access import UNKNOWN_ENTERPRISE
from models.assessment.compute import StreetAssessment
from models.assessment.inputs import Counts, counted_answers, counted_cases, governance_inputs
from models.assessment.lifecycle import NOT_ASSESSED, assessment_view
from models.assessment.reports import names_of
from models.assessment.scheme import AssessmentScheme, ServiceItem
from models.assessment.scoring import EnterpriseScore, counted
from models.assessment.tables import Assessment, AssessmentStatus, GovernanceRecord
from models.cases.tables import Case
from models.directory.tables import Enterprise
from models.periods import Quarter
from models.refusal import Refused
from models.surveys.tables import Solved

_COUNT_NAMES = tuple(Counts.__dataclass_fields__)


def _counts(row: object) -> Counts:
    """The counts one row adds, from the columns named as in :class:`Counts`."""
    mapping = row._mapping  # type: ignore[attr-defined]
    return Counts(**{name: int(mapping[name]) for name in _COUNT_NAMES if name in mapping})


@dataclass(frozen=True)
class CountedAnswer:
    """A case's counted answer: its last survey answered in the quarter."""

    case_id: int
    number: str
    round: int
    duty: str
    answered_at: datetime
    stars: int | None
    solved: Solved | None
    willing: bool | None
    counts: Counts


@dataclass(frozen=True)
class CountedCase:
    """A case that fell due or was opened in the quarter, with its deadlines and times."""

    case_id: int
    number: str
    duty: str
    created_at: datetime
    response_due_at: datetime
    first_response_at: datetime | None
    resolution_due_at: datetime
    resolved_at: datetime | None
    counts: Counts


@dataclass(frozen=True)
class Behind:
    """One row behind a service item: it is in the item's n, and adds ``success`` to its k."""

    row: CountedAnswer | CountedCase
    success: Fraction


@dataclass(frozen=True)
class CountedRecord:
    """A governance record that counts, with the names of who made it and who approved it."""

    record: GovernanceRecord
    recorded_by: str
    decided_by: str | None


@dataclass(frozen=True)
class ItemChange:
    """A service item whose k or n today differs from the finalised snapshot's."""

    item: ServiceItem
    then: tuple[Fraction, int]
    now: tuple[Fraction, int]


@dataclass(frozen=True)
class Explanation:
    """One enterprise's quarter: its score as shown, and everything counted behind it."""

    enterprise: Enterprise
    quarter: str
    score: EnterpriseScore
    stored: Assessment | None  # the published or finalised assessment; None: never published
    answers: list[CountedAnswer]
    cases: list[CountedCase]
    records: list[CountedRecord]
    changes: list[ItemChange] = field(default_factory=list)
    records_added: list[int] = field(default_factory=list)  # counted now, not at finalisation
    records_removed: list[int] = field(default_factory=list)  # counted then, not now

    @property
    def final(self) -> bool:
        return self.stored is not None and self.stored.status == AssessmentStatus.FINALISED

    @property
    def changed(self) -> bool:
        """The data changed since finalisation (always False for a draft)."""
        return bool(self.changes or self.records_added or self.records_removed)

    @property
    def rows(self) -> list[CountedAnswer | CountedCase]:
        return [*self.answers, *self.cases]

    def behind(self, item: ServiceItem, duty: str | None = None) -> list[Behind]:
        """The rows in the item's n (of one duty, or all), each with what it adds to k."""
        found = []
        for row in self.rows:
            success, count = counted(item, row.counts)
            if count and (duty is None or row.duty == duty):
                found.append(Behind(row, success))
        return found

    def rebuilt(self) -> Counts:
        """The counts of every row, summed: what the assessment would count today."""
        total = Counts()
        for row in self.rows:
            total.add(row.counts)
        return total


async def _answers(
    session: AsyncSession, street_id: int, start: datetime, end: datetime, enterprise_id: int
) -> list[CountedAnswer]:
    answers = counted_answers(street_id, start, end, enterprise_id).subquery()
    query: Any = sql_select(answers, col(Case.number)).join(Case, col(Case.id) == answers.c.case_id)
    return [
        CountedAnswer(
            case_id=row.case_id,
            number=row.number,
            round=row.round,
            duty=row.duty,
            answered_at=row.answered_at,
            stars=row.answer_stars,
            solved=Solved(row.answer_solved) if row.answer_solved is not None else None,
            willing=row.answer_willing,
            counts=_counts(row),
        )
        for row in await session.exec(query.order_by(answers.c.case_id))
    ]


async def _cases(
    session: AsyncSession, street_id: int, start: datetime, end: datetime, enterprise_id: int
) -> list[CountedCase]:
    rows = await session.exec(counted_cases(street_id, start, end, enterprise_id))
    return [
        CountedCase(
            case_id=row.id,
            number=row.number,
            duty=row.duty,
            created_at=row.created_at,
            response_due_at=row.response_due_at,
            first_response_at=row.first_response_at,
            resolution_due_at=row.resolution_due_at,
            resolved_at=row.resolved_at,
            counts=_counts(row),
        )
        for row in rows
    ]


async def counted_records(
    *, session: AsyncSession, street_id: int, quarter: Quarter, enterprise_id: int
) -> list[CountedRecord]:
    """The enterprise's records that count for the quarter (inputs.governance_inputs), with names."""
    inputs = await governance_inputs(session=session, street_id=street_id, quarter=str(quarter))
    records = inputs[enterprise_id].records if enterprise_id in inputs else []
    names = await names_of(session, [r.recorded_by for r in records] + [r.decided_by for r in records])
    return [
        CountedRecord(
            record=record,
            recorded_by=names.get(record.recorded_by, "?"),
            decided_by=names.get(record.decided_by, "?") if record.decided_by is not None else None,
        )
        for record in records
    ]


def _item_changes(score: EnterpriseScore, now: Counts) -> list[ItemChange]:
    changes = []
    for item in score.service:
        today = counted(item.item, now)
        if (item.successes, item.count) != today:
            changes.append(ItemChange(item.item, (item.successes, item.count), today))
    return changes


async def explain_enterprise(
    *,
    session: AsyncSession,
    street_id: int,
    enterprise_code: str,
    quarter: Quarter,
    scheme: AssessmentScheme,
    tz: tzinfo,
    view: tuple[StreetAssessment, Assessment | None] | None = None,
) -> Explanation:
    """Everything behind one enterprise's score for the quarter (see the module docstring);
    ``view`` is the quarter's :func:`assessment_view` when the caller has it already."""
    code = enterprise_code.strip()
    enterprise = (await session.exec(select(Enterprise).where(col(Enterprise.code) == code.lower()))).first()
    if enterprise is None or enterprise.id is None:
        raise Refused(UNKNOWN_ENTERPRISE, code=code)
    assessment, stored = view or await assessment_view(
        session=session, street_id=street_id, quarter=quarter, scheme=scheme, tz=tz
    )
    score = assessment.of(enterprise.id)
    if score is None:
        raise Refused(NOT_ASSESSED, quarter=str(quarter))
    start, end = quarter.bounds(tz)
    explanation = Explanation(
        enterprise=enterprise,
        quarter=str(quarter),
        score=score,
        stored=stored,
        answers=await _answers(session, street_id, start, end, enterprise.id),
        cases=await _cases(session, street_id, start, end, enterprise.id),
        records=await counted_records(
            session=session, street_id=street_id, quarter=quarter, enterprise_id=enterprise.id
        ),
    )
    if not explanation.final:
        return explanation
    then = set(score.participation.record_ids)
    now = {r.record.id or 0 for r in explanation.records if r.record.quarter == str(quarter)}
    return replace(
        explanation,
        changes=_item_changes(score, explanation.rebuilt()),
        records_added=sorted(now - then),
        records_removed=sorted(then - now),
    )
