"""``redprop report --year 2026`` or ``--quarter 2026Q3``: the street's work report as text, JSON
(rates as exact fractions beside the rounded percentages, money in fen) or an xlsx workbook.
Exit codes: 0 done; 2 bad input."""

from __future__ import annotations

import json
import sys
from datetime import tzinfo
from pathlib import Path

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.street_reports import check_format, read_street_report
from handlers.work_report_view import report_text
from handlers.work_report_workbook import report_workbook
from locales.i18n import gettext as _
from models.base import utcnow
from models.directory.tables import Street
from models.report.breakdown import Breakdown, breakdown
from models.report.work import SurveyNumbers, WorkReport, report_period, work_report
from storage.database import Database

FORMATS = ("table", "json", "xlsx")


def _surveys(numbers: SurveyNumbers) -> dict[str, object]:
    return {
        "answered": numbers.answered,
        "satisfied": numbers.satisfied,
        "willing_to_pay": numbers.willing_to_pay,
        "satisfaction": str(numbers.satisfaction) if numbers.satisfaction is not None else None,
        "pay": str(numbers.pay) if numbers.pay is not None else None,
    }


def report_json(report: WorkReport, street: str) -> str:
    data = {
        "street": street,
        "period": report.period,
        "suggestions": {
            "collected": report.suggestions,
            "answered": report.suggestions_answered,
            "adopted": report.suggestions_adopted,
            "to_agenda": report.suggestions_to_agenda,
        },
        "cases": report.cases,
        "problems_solved": report.problems_solved,
        "by_category": report.by_category,
        "by_duty": report.by_duty,
        "surveys": _surveys(report.surveys),
        "after_repairs": _surveys(report.after_repairs),
        "shared_property_communities": report.shared_communities,
        "granted_fen": report.granted_fen,
        "granted_applications": report.granted_count,
        "visits": {
            "visits": report.visits,
            "cases_opened": report.visit_cases,
            "instructors": report.instructors_visiting,
        },
        "meetings": {
            "held": report.meetings_held,
            "decisions_closed": report.decisions_closed,
        },
    }
    return json.dumps(data, ensure_ascii=False, indent=2) + "\n"


async def print_report(
    db: Database, *, period: str, street: str | None, fmt: str, output: Path | None, tz: tzinfo
) -> int:
    """Print (or write) the work report; 2 on bad input."""
    name, start, end = "", utcnow(), utcnow()

    def check() -> None:
        nonlocal name, start, end
        check_format(fmt, FORMATS)
        name, start, end = report_period(period, tz)

    async def read(session: AsyncSession, found: Street) -> tuple[WorkReport, Breakdown]:
        street_id = found.id or 0
        report = await work_report(session=session, street_id=street_id, period=name, start=start, end=end)
        return report, await breakdown(session=session, street_id=street_id, start=start, end=end, tz=tz)

    done = await read_street_report(db, street, read, check)
    if done is None:
        return 2
    found, (report, rows) = done
    if fmt == "table":
        sys.stdout.write(report_text(report, found.name) + "\n")
    elif fmt == "json":
        sys.stdout.write(report_json(report, found.name))
    else:
        path = output or Path(f"work-report-{found.code}-{name}.xlsx")
        path.write_bytes(report_workbook(report, rows))
        print(_("Written to {path}").format(path=path))
    return 0
