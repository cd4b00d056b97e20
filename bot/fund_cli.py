"""``redprop fund report --year 2026``: the street's property management fund of a year, as a
table, CSV (exact yuan with two decimals) or an xlsx workbook. Exit codes: 0 done; 2 bad input."""

from __future__ import annotations

import csv
import io
import sys
from collections.abc import Mapping
from datetime import tzinfo
from pathlib import Path

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.street_reports import check_format, read_street_report
from handlers.fund_workbook import TYPE_HEADER, fund_workbook
from locales.i18n import display_width, format_time
from locales.i18n import gettext as _
from models.directory.tables import Street
from models.fund.budgets import check_year
from models.fund.money import yuan_plain, yuan_text
from models.fund.report import FundYear, fund_year
from models.fund.tables import FUND_STATUS_NAMES, FUND_TYPE_NAMES
from storage.database import Database

FORMATS = ("table", "csv", "xlsx")
HEADER = TYPE_HEADER


def _rows(report: FundYear) -> list[list[str]]:
    show = yuan_text
    rows = [
        [
            _(FUND_TYPE_NAMES[kind.fund_type]),
            show(kind.line.budget_fen),
            show(kind.line.granted_fen),
            show(kind.line.left_fen),
            str(kind.decided),
            str(kind.granted),
            str(kind.rejected),
            show(kind.asked_fen),
        ]
        for kind in report.types
    ]
    rows.append([_("total"), "", show(report.granted_fen), "", "", "", "", ""])
    return rows


def render_table(report: FundYear, street: str) -> str:
    header = [_(name) for name in HEADER]
    rows = _rows(report)
    widths = [max(display_width(row[i]) for row in [header, *rows]) for i in range(len(header))]

    def line(cells: list[str]) -> str:
        return "  ".join(
            cell + " " * (width - display_width(cell)) for cell, width in zip(cells, widths, strict=True)
        ).rstrip()

    out = [
        _("Property management fund of {street}, {year} (yuan)").format(street=street, year=report.year),
        "",
    ]
    out += [line(header), *(line(row) for row in rows), ""]
    out.append(_("Applications decided in {year}:").format(year=report.year))
    for decided in report.applications:
        application = decided.application
        when = format_time(application.decided_at, "short") if application.decided_at else ""
        kind, status = _(FUND_TYPE_NAMES[application.fund_type]), _(FUND_STATUS_NAMES[application.status])
        granted, asked = yuan_text(application.approved_fen or 0), yuan_text(application.amount_fen)
        out.append(f"#{application.id} {when} {kind} {status} {granted} / {asked} — {decided.applicant}")
    return "\n".join(out) + "\n"


def render_csv(report: FundYear) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(
        ["fund_type", "budget", "granted", "left", "decided", "granted_applications", "rejected", "asked"]
    )
    for kind in report.types:
        writer.writerow(
            [
                kind.fund_type.value,
                yuan_plain(kind.line.budget_fen),
                yuan_plain(kind.line.granted_fen),
                yuan_plain(kind.line.left_fen),
                kind.decided,
                kind.granted,
                kind.rejected,
                yuan_plain(kind.asked_fen),
            ]
        )
    return out.getvalue()


async def fund_report(
    db: Database,
    *,
    year: int,
    street: str | None,
    fmt: str,
    output: Path | None,
    configured: Mapping[str, int],
    tz: tzinfo,
) -> int:
    """Print (or write) the fund's year; 2 on bad input."""

    async def read(session: AsyncSession, found: Street) -> FundYear:
        return await fund_year(session=session, street_id=found.id or 0, year=year, configured=configured)

    def check() -> None:
        check_format(fmt, FORMATS)
        check_year(year)

    done = await read_street_report(db, street, read, check)
    if done is None:
        return 2
    found, report = done
    if fmt == "table":
        sys.stdout.write(render_table(report, found.name))
    elif fmt == "csv":
        sys.stdout.write(render_csv(report))
    else:
        path = output or Path(f"fund-{found.code}-{year}.xlsx")
        path.write_bytes(fund_workbook(report, tz))
        print(_("Written to {path}").format(path=path))
    return 0
