"""The work report's workbook (openpyxl): the summary, cases by duty and category, funds by type,
and suggestions and visits per community and instructor."""

from __future__ import annotations

import io
from fractions import Fraction

from openpyxl import Workbook

from handlers.fund_workbook import yuan_cell
from handlers.work_report_view import category_name, duty_name
from handlers.workbook import RATE, Cell, add_sheet
from locales.i18n import N_
from locales.i18n import gettext as _
from models.fund.tables import FUND_TYPE_NAMES, FundType
from models.report.breakdown import Breakdown
from models.report.work import WorkReport


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
        book, N_("By duty"), [N_("duty"), N_("cases")], [[duty_name(k), v] for k, v in report.by_duty.items()]
    )
    add_sheet(
        book,
        N_("By category"),
        [N_("category"), N_("cases")],
        [[category_name(k), v] for k, v in report.by_category.items()],
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
