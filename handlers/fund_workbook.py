"""The fund's year as an xlsx workbook: one sheet per fund type's totals, one of the decided
applications. Amounts are yuan as numbers with two decimals (from exact fen)."""

from __future__ import annotations

import io
from datetime import tzinfo
from decimal import Decimal

from openpyxl import Workbook

from handlers.workbook import Cell, add_sheet, local_time
from locales.i18n import N_
from locales.i18n import gettext as _
from models.fund.money import FEN_PER_YUAN
from models.fund.report import FundYear
from models.fund.tables import FUND_STATUS_NAMES, FUND_TYPE_NAMES

YUAN = "#,##0.00"
# The columns of a fund type's year, here and in ``redprop fund report``.
TYPE_HEADER = (
    N_("fund type"),
    N_("budget"),
    N_("granted"),
    N_("left"),
    N_("decided"),
    N_("granted applications"),
    N_("rejected"),
    N_("asked"),
)
APPLICATION_HEADER = [
    N_("number"),
    N_("decided"),
    N_("fund type"),
    N_("status"),
    N_("asked"),
    N_("granted"),
    N_("applicant"),
    N_("purpose"),
]


def yuan_cell(fen: int | None) -> Cell:
    """Fen as a yuan number cell: the division is exact in Decimal, then shown with two decimals."""
    return Cell(None if fen is None else float(Decimal(fen) / FEN_PER_YUAN), YUAN)


def add_fund_sheets(book: Workbook, report: FundYear, tz: tzinfo) -> None:
    """The fund's two sheets, for this workbook and the work report's."""
    add_sheet(
        book,
        N_("Fund by type"),
        list(TYPE_HEADER),
        [
            [
                _(FUND_TYPE_NAMES[kind.fund_type]),
                yuan_cell(kind.line.budget_fen),
                yuan_cell(kind.line.granted_fen),
                yuan_cell(kind.line.left_fen),
                kind.decided,
                kind.granted,
                kind.rejected,
                yuan_cell(kind.asked_fen),
            ]
            for kind in report.types
        ],
    )
    add_sheet(
        book,
        N_("Fund applications"),
        APPLICATION_HEADER,
        [
            [
                decided.application.id,
                local_time(decided.application.decided_at, tz),
                _(FUND_TYPE_NAMES[decided.application.fund_type]),
                _(FUND_STATUS_NAMES[decided.application.status]),
                yuan_cell(decided.application.amount_fen),
                yuan_cell(decided.application.approved_fen),
                decided.applicant,
                decided.application.purpose,
            ]
            for decided in report.applications
        ],
    )


def fund_workbook(report: FundYear, tz: tzinfo) -> bytes:
    book = Workbook(write_only=True)
    add_fund_sheets(book, report, tz)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
