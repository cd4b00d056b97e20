"""A street's quarterly assessment as an xlsx workbook (openpyxl), for the command line and the chat.

Sheets: the ranking, the service items and governance items of every enterprise, the service
items per duty, the red list, the black list, every governance record of the quarter (status,
recorder, decider, and the links between a record and its reversal), the appeals, and what the
workbook shows (draft or final, revision, scheme). Headers are translated, the header row stays
in view, numbers are numbers shown rounded (points to 0.1, rates as percentages) with the exact
fraction in a column of its own, and columns are as wide as their text.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import tzinfo
from fractions import Fraction
from typing import Any

from openpyxl import Workbook
from sqlmodel.ext.asyncio.session import AsyncSession

from handlers.outgoing.scores import record_what
from handlers.workbook import MAX_WIDTH, POINTS, RATE, Cell, add_sheet, local_time
from locales.i18n import N_
from locales.i18n import gettext as _
from models.assessment.compute import StreetAssessment
from models.assessment.records import records_of
from models.assessment.reports import ATTENDANCE, PARTY_BUILDING, SPOT_CHECKS, TASKS, appeals_of, names_of
from models.assessment.scheme import SERVICE_ITEM_NAMES, AssessmentScheme, exact
from models.assessment.scoring import EnterpriseScore, RateScore
from models.assessment.tables import (
    VETO_NAMES,
    Appeal,
    AppealStatus,
    Assessment,
    GovernanceRecord,
    RecordStatus,
    VetoEvent,
)
from models.cases.categories import DUTY_NAMES, ServiceDuty
from models.periods import Quarter

RECORD_STATUS_NAMES = {
    RecordStatus.PENDING: N_("waiting for approval"),
    RecordStatus.APPROVED: N_("approved"),
    RecordStatus.REJECTED: N_("rejected"),
}
APPEAL_STATUS_NAMES = {
    AppealStatus.PENDING: N_("waiting for a decision"),
    AppealStatus.UPHELD: N_("upheld"),
    AppealStatus.REJECTED: N_("rejected"),
}


@dataclass(frozen=True)
class WorkbookInput:
    """Everything the workbook shows, gathered before it is built."""

    title: str  # which assessment: draft or final, revision, scheme
    assessment: StreetAssessment
    scheme: AssessmentScheme
    codes: dict[int, str]
    records: list[GovernanceRecord]
    appeals: list[Appeal]
    revisions: dict[int, int]  # assessment id → revision
    names: dict[int, str]  # people by id
    tz: tzinfo


def _points(value: Fraction | None) -> Cell:
    return Cell(float(value) if value is not None else None, POINTS)


def _rate(value: Fraction | None) -> Cell:
    return Cell(float(value) if value is not None else None, RATE)


def _exact(value: Fraction | None) -> str:
    return "" if value is None else str(value)


def _yes(value: bool | None) -> str:
    return "" if value is None else (_("yes") if value else _("no"))


def _duty(duty: str) -> str:
    return _(DUTY_NAMES[ServiceDuty(duty)]) if duty in set(ServiceDuty) else duty


def _ranked(assessment: StreetAssessment) -> list[tuple[int | None, EnterpriseScore]]:
    ranks = iter(range(1, len(assessment.scores) + 1))
    return [(None if s.insufficient else next(ranks), s) for s in assessment.scores]


def _vetoes(score: EnterpriseScore) -> str:
    names = score.participation.vetoes
    return ", ".join(_(VETO_NAMES[VetoEvent(v)]) if v in set(VetoEvent) else v for v in names)


def _ranking(book: Workbook, data: WorkbookInput) -> None:
    header = [
        N_("Rank"),
        N_("Code"),
        N_("Enterprise"),
        N_("Stars"),
        N_("Score"),
        N_("Service"),
        N_("Participation"),
        N_("Bonus"),
        N_("Answers"),
        N_("Cases"),
        N_("Too little data"),
        N_("Red list"),
        N_("Black list"),
        N_("Veto events"),
        N_("Total (exact)"),
    ]
    rows = [
        [
            rank,
            data.codes.get(s.enterprise_id, ""),
            s.name,
            s.stars,
            Cell(float(s.score), POINTS),
            _points(s.service_points),
            _points(s.participation.points),
            _points(s.participation.bonus),
            s.answered,
            s.cases,
            _yes(s.insufficient),
            _yes(s.red),
            _yes(s.black),
            _vetoes(s),
            _exact(s.total),
        ]
        for rank, s in _ranked(data.assessment)
    ]
    add_sheet(book, N_("Ranking"), header, rows)


RATE_HEADER = [
    N_("Successes (k)"),
    N_("Counted (n)"),
    N_("Own rate"),
    N_("Street rate"),
    N_("m"),
    N_("Rate after shrinkage"),
    N_("Points"),
    N_("Of"),
    N_("Rate (exact)"),
    N_("Points (exact)"),
]


def _rate_cells(item: RateScore, scheme: AssessmentScheme) -> list[Any]:
    k = float(item.successes)
    return [
        Cell(k, "0.#"),
        item.count,
        _rate(item.own_rate),
        _rate(item.street_rate),
        item.shrinkage,
        _rate(item.rate),
        _points(item.points),
        _points(exact(scheme.service[item.item].points)),
        _exact(item.rate),
        _exact(item.points),
    ]


def _items(book: Workbook, data: WorkbookInput) -> None:
    rules, rows = data.scheme.participation, []
    for score in data.assessment.scores:
        for item in score.service:
            rows.append([score.name, _(SERVICE_ITEM_NAMES[item.item]), *_rate_cells(item, data.scheme)])
        part = score.participation
        party_max = sum(map(exact, rules.party_building.values()), Fraction(0))
        for name, done, of, points, maximum in (
            (ATTENDANCE, part.attendance.done, part.attendance.of, part.attendance.points, rules.attendance),
            (TASKS, part.tasks.done, part.tasks.of, part.tasks.points, rules.tasks),
            (PARTY_BUILDING, None, None, part.party_points, party_max),
            (SPOT_CHECKS, None, None, part.spot_check_points, rules.spot_checks),
            (N_("Bonus"), None, None, part.bonus, data.scheme.bonus_max),
        ):
            rows.append(
                [
                    score.name,
                    _(name),
                    done,
                    of,
                    None,
                    None,
                    None,
                    None,
                    _points(points),
                    _points(Fraction(maximum)),
                    "",
                    _exact(points),
                ]
            )
    add_sheet(book, N_("Items"), [N_("Enterprise"), N_("Item"), *RATE_HEADER], rows)


def _duties(book: Workbook, data: WorkbookInput) -> None:
    rows = [
        [score.name, _duty(duty), _(SERVICE_ITEM_NAMES[item.item]), *_rate_cells(item, data.scheme)]
        for score in data.assessment.scores
        for duty, items in score.by_duty.items()
        for item in items
    ]
    add_sheet(book, N_("By duty"), [N_("Enterprise"), N_("Duty"), N_("Item"), *RATE_HEADER], rows)


def _lists(book: Workbook, data: WorkbookInput) -> None:
    ranked = _ranked(data.assessment)
    red = [
        [rank, data.codes.get(s.enterprise_id, ""), s.name, Cell(float(s.score), POINTS), s.stars]
        for rank, s in ranked
        if s.red
    ]
    add_sheet(book, N_("Red list"), [N_("Rank"), N_("Code"), N_("Enterprise"), N_("Score"), N_("Stars")], red)
    line = data.scheme.failing_below
    black = []
    for _rank, s in ranked:
        if not s.black:
            continue
        reasons = (
            [_("under {line} points").format(line=line)] if s.score < line and not s.insufficient else []
        )
        if s.participation.vetoes:
            reasons.append(_("veto: {events}").format(events=_vetoes(s)))
        black.append(
            [
                data.codes.get(s.enterprise_id, ""),
                s.name,
                Cell(float(s.score), POINTS),
                s.stars,
                "; ".join(reasons),
            ]
        )
    header = [N_("Code"), N_("Enterprise"), N_("Score"), N_("Stars"), N_("Why")]
    add_sheet(book, N_("Black list"), header, black)


def _records(book: Workbook, data: WorkbookInput) -> None:
    undone_by = {r.reverses_id: r.id for r in data.records if r.reverses_id is not None and r.id}
    enterprises = {s.enterprise_id: s.name for s in data.assessment.scores}
    names, tz = data.names, data.tz
    rows = [
        [
            r.id,
            data.codes.get(r.enterprise_id, ""),
            enterprises.get(r.enterprise_id, ""),
            record_what(r),
            _points(Fraction(r.points_tenths, 10)) if r.points_tenths is not None else None,
            r.note,
            _(RECORD_STATUS_NAMES[r.status]),
            names.get(r.recorded_by, ""),
            local_time(r.recorded_at, tz),
            names.get(r.decided_by, "") if r.decided_by else "",
            local_time(r.decided_at, tz),
            r.decision_note or "",
            r.reverses_id,
            undone_by.get(r.id or 0),
        ]
        for r in data.records
    ]
    header = [
        N_("Record"),
        N_("Code"),
        N_("Enterprise"),
        N_("What"),
        N_("Points"),
        N_("Note"),
        N_("Status"),
        N_("Recorded by"),
        N_("Recorded at"),
        N_("Decided by"),
        N_("Decided at"),
        N_("Decision note"),
        N_("Undoes record"),
        N_("Undone by record"),
    ]
    add_sheet(book, N_("Governance records"), header, rows)


def _appeals(book: Workbook, data: WorkbookInput) -> None:
    enterprises = {s.enterprise_id: s.name for s in data.assessment.scores}
    names, tz = data.names, data.tz
    rows = [
        [
            a.id,
            data.codes.get(a.enterprise_id, ""),
            enterprises.get(a.enterprise_id, ""),
            data.revisions.get(a.assessment_id),
            names.get(a.appellant_id, ""),
            local_time(a.created_at, tz),
            a.text,
            _(APPEAL_STATUS_NAMES[a.status]),
            names.get(a.decided_by, "") if a.decided_by else "",
            local_time(a.decided_at, tz),
            a.decision_note or "",
        ]
        for a in data.appeals
    ]
    header = [
        N_("Appeal"),
        N_("Code"),
        N_("Enterprise"),
        N_("Revision"),
        N_("Appellant"),
        N_("Made at"),
        N_("Text"),
        N_("Status"),
        N_("Decided by"),
        N_("Decided at"),
        N_("Decision note"),
    ]
    add_sheet(book, N_("Appeals"), header, rows)


def build_workbook(data: WorkbookInput) -> bytes:
    """The workbook's bytes (see the module docstring)."""
    book = Workbook(write_only=True)
    for add in (_ranking, _items, _duties, _lists, _records, _appeals):
        add(book, data)
    lines = [[line] for line in data.title.splitlines()]
    add_sheet(book, N_("About"), [N_("About")], lines, max_width=2 * MAX_WIDTH)
    book.properties.title = data.title.splitlines()[0]
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


async def assessment_workbook(
    session: AsyncSession,
    *,
    title: str,
    street_id: int,
    quarter: Quarter,
    assessment: StreetAssessment,
    scheme: AssessmentScheme,
    codes: dict[int, str],
    tz: tzinfo,
) -> bytes:
    """Gather the quarter's records and appeals and the names they show, then build the workbook."""
    records = await records_of(session=session, street_id=street_id, quarter=quarter)
    appeals = await appeals_of(session=session, street_id=street_id, quarter=quarter)
    people = [r.recorded_by for r in records] + [r.decided_by for r in records]
    people += [a.appellant_id for a in appeals] + [a.decided_by for a in appeals]
    revisions = {
        a.assessment_id: stored.revision
        for a in appeals
        if (stored := await session.get(Assessment, a.assessment_id)) is not None
    }
    data = WorkbookInput(
        title, assessment, scheme, codes, records, appeals, revisions, await names_of(session, people), tz
    )
    return build_workbook(data)
