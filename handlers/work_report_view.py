"""The work report as people read it: a message and a chart, the same for the chat (/workreport)
and the command line (redprop report); its workbook is in handlers/work_report_workbook.py."""

from __future__ import annotations

from fractions import Fraction

from handlers.stats_chart import satisfaction_chart
from locales.i18n import N_, percent
from locales.i18n import gettext as _
from models.cases.categories import CATEGORY_NAMES, DUTY_NAMES, ReportCategory, ServiceDuty
from models.fund.money import yuan_text
from models.fund.tables import FUND_TYPE_NAMES, FundType
from models.report.work import SurveyNumbers, WorkReport

SUGGESTIONS_LINE = N_(
    "Suggestions: {received} collected, {answered} answered, {adopted} adopted, "
    "{agenda} to the Affairs Hall agenda"
)
MEETINGS_LINE = N_("Affairs Hall: {meetings} meetings held, {decisions} decisions closed")


def _rate(value: Fraction | None) -> str:
    return percent(float(value) if value is not None else None)


def category_name(code: str) -> str:
    try:
        return _(CATEGORY_NAMES[ReportCategory(code)])
    except ValueError:
        return code


def duty_name(code: str) -> str:
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
    lines += [f"  {duty_name(code)}: {count}" for code, count in report.by_duty.items()] or ["  —"]
    lines += ["", _("Cases by category:")]
    lines += [f"  {category_name(code)}: {count}" for code, count in report.by_category.items()] or ["  —"]
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
