"""The work report as people read it: a message, a chart and an xlsx workbook, the same for the
chat (/workreport) and the command line (redprop report)."""

from __future__ import annotations

import io
from fractions import Fraction

from openpyxl import Workbook

from handlers.fund_workbook import yuan_cell
from handlers.stats_chart import satisfaction_chart
from handlers.workbook import RATE, Cell, add_sheet
from locales.i18n import N_, percent
from locales.i18n import gettext as _
from models.cases.categories import CATEGORY_NAMES, DUTY_NAMES, ReportCategory, ServiceDuty
from models.fund.money import yuan_text
from models.fund.tables import FUND_TYPE_NAMES, FundType
from models.report.breakdown import Breakdown
from models.report.work import SurveyNumbers, WorkReport

SUGGESTIONS_LINE = N_(
    "Suggestions: {received} collected, {answered} answered, {adopted} adopted, "
    "{agenda} to the Affairs Hall agenda"
)
MEETINGS_LINE = N_("Affairs Hall: {meetings} meetings held, {decisions} decisions closed")


def _rate(value: Fraction | None) -> str:
    return percent(float(value) if value is not None else None)


def _category(code: str) -> str:
    try:
        return _(CATEGORY_NAMES[ReportCategory(code)])
    except ValueError:
        return code


def _duty(code: str) -> str:
    try:
        return _(DUTY_NAMES[ServiceDuty(code)])
    except ValueError:
        return code


def _surveys_line(label: str, numbers: SurveyNumbers) -> str:
    return _(
        "{label}: satisfaction {satisfaction}, willing to pay {pay} ({answered} answered surveys)"
    ).format(
        label=label,
        satisfaction=_rate(numbers.satisfaction),
        pay=_rate(numbers.pay),
        answered=numbers.answered,
    )


def report_text(report: WorkReport, street: str) -> str:
    """The whole report as one message (well within Telegram's limit: a few dozen lines)."""
    lines = [
        _("Work report of {street}, {period}").format(street=street, period=report.period),
        "",
        _(SUGGESTIONS_LINE).format(
            received=report.suggestions,
            answered=report.suggestions_answered,
            adopted=report.suggestions_adopted,
            agenda=report.suggestions_to_agenda,
        ),
        _("Problems solved: {solved} (cases reported: {cases})").format(
            solved=report.problems_solved, cases=report.cases
        ),
        _surveys_line(_("Overall"), report.surveys),
        _surveys_line(_("After fund-paid repairs"), report.after_repairs),
        _("Communities under shared property: {count}").format(count=report.shared_communities),
        _(
            "Instructors' visits: {visits} by {instructors} instructors, {cases} cases opened on the spot"
        ).format(visits=report.visits, instructors=report.instructors_visiting, cases=report.visit_cases),
        _(MEETINGS_LINE).format(meetings=report.meetings_held, decisions=report.decisions_closed),
        "",
        _("Funds granted: {amount} yuan").format(amount=yuan_text(report.granted_total_fen)),
    ]
    for fund_type in FundType:
        lines.append(
            "  "
            + _("{fund_type}: {amount} yuan ({count})").format(
                fund_type=_(FUND_TYPE_NAMES[fund_type]),
                amount=yuan_text(report.granted_fen.get(fund_type.value, 0)),
                count=report.granted_count.get(fund_type.value, 0),
            )
        )
    lines += ["", _("Cases by duty:")]
    lines += [f"  {_duty(code)}: {count}" for code, count in report.by_duty.items()] or ["  —"]
    lines += ["", _("Cases by category:")]
    lines += [f"  {_category(code)}: {count}" for code, count in report.by_category.items()] or ["  —"]
    return "\n".join(lines)


def report_chart(report: WorkReport) -> bytes | None:
    """Satisfaction and willingness to pay, overall and after fund-paid repairs; None without answers."""
    bars = [
        (_("Satisfaction"), report.surveys.satisfaction),
        (_("Satisfaction after repairs"), report.after_repairs.satisfaction),
        (_("Willing to pay"), report.surveys.pay),
        (_("Willing to pay after repairs"), report.after_repairs.pay),
    ]
    shown = [(label, float(rate)) for label, rate in bars if rate is not None]
    if not shown:
        return None
    title = _("Work report {period}").format(period=report.period)
    return satisfaction_chart([label for label, _ in shown], [rate for _, rate in shown], title)


def _rate_cell(value: Fraction | None) -> Cell:
    return Cell(float(value) if value is not None else None, RATE)


def report_workbook(report: WorkReport, rows: Breakdown | None = None) -> bytes:
    """The report's numbers in sheets: the summary, cases by duty and category, funds by type, and
    (with ``rows``) suggestions per community and instructor, visits per instructor and month."""
    book = Workbook(write_only=True)
    summary: list[list[object]] = [
        [_("suggestions collected"), report.suggestions],
        [_("suggestions answered"), report.suggestions_answered],
        [_("suggestions adopted"), report.suggestions_adopted],
        [_("suggestions to the Affairs Hall agenda"), report.suggestions_to_agenda],
        [_("cases reported"), report.cases],
        [_("problems solved"), report.problems_solved],
        [_("answered surveys"), report.surveys.answered],
        [_("satisfaction"), _rate_cell(report.surveys.satisfaction)],
        [_("willing to pay"), _rate_cell(report.surveys.pay)],
        [_("answered surveys after fund-paid repairs"), report.after_repairs.answered],
        [_("satisfaction after fund-paid repairs"), _rate_cell(report.after_repairs.satisfaction)],
        [_("willing to pay after fund-paid repairs"), _rate_cell(report.after_repairs.pay)],
        [_("communities under shared property"), report.shared_communities],
        [_("instructors' visits"), report.visits],
        [_("cases opened on visits"), report.visit_cases],
        [_("funds granted (yuan)"), yuan_cell(report.granted_total_fen)],
        [_("Affairs Hall meetings held"), report.meetings_held],
        [_("Affairs Hall decisions closed"), report.decisions_closed],
    ]
    add_sheet(book, N_("Summary"), [N_("item"), N_("value")], summary)
    add_sheet(
        book, N_("By duty"), [N_("duty"), N_("cases")], [[_duty(k), v] for k, v in report.by_duty.items()]
    )
    add_sheet(
        book,
        N_("By category"),
        [N_("category"), N_("cases")],
        [[_category(k), v] for k, v in report.by_category.items()],
    )
    add_sheet(
        book,
        N_("Funds by type"),
        [N_("fund type"), N_("granted"), N_("applications")],
        [
            [
                _(FUND_TYPE_NAMES[t]),
                yuan_cell(report.granted_fen.get(t.value, 0)),
                report.granted_count.get(t.value, 0),
            ]
            for t in FundType
        ],
    )
    if rows is not None:
        _breakdown_sheets(book, rows)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


SUGGESTION_HEADER = [N_("received"), N_("answered"), N_("adopted"), N_("to the agenda")]


def _breakdown_sheets(book: Workbook, rows: Breakdown) -> None:
    for title, key, named in (
        (N_("Suggestions by community"), N_("community"), rows.by_community),
        (N_("Suggestions by instructor"), N_("instructor"), rows.by_instructor),
    ):
        add_sheet(
            book,
            title,
            [key, *SUGGESTION_HEADER],
            [[name or "—", c.received, c.answered, c.adopted, c.agenda] for name, c in named],
        )
    add_sheet(
        book,
        N_("Visits"),
        [N_("instructor"), N_("month"), N_("visits"), N_("cases opened")],
        [[name, v.month, v.visits, v.cases] for name, v in rows.visits],
    )
