"""``redprop stats``: the survey and case numbers for a period, as a table, CSV or JSON.

The table is for people (translated headers, rates as percentages with one decimal, columns
aligned for Chinese names too); CSV and JSON are for programs (fixed English keys, rates as
fractions, the median in seconds).
"""

from __future__ import annotations

import csv
import io
import json
import sys
from collections.abc import Callable
from datetime import UTC, datetime, timedelta, tzinfo
from typing import Any

from bot.text_table import table_lines
from locales.i18n import N_, _, percent, refusal_text, short_duration
from models.periods import parse_period
from models.refusal import Refused
from models.surveys.stats import Grouping, StatsRow, survey_stats
from storage.database import Database

FORMATS = ("table", "csv", "json")

GROUP_HEADERS = {
    Grouping.ENTERPRISE: N_("Enterprise"),
    Grouping.COMMUNITY: N_("Community"),
    Grouping.INSTRUCTOR: N_("Instructor"),
    Grouping.CATEGORY: N_("Duty category"),
    Grouping.STREET: N_("Street"),
}

# (header msgid, machine key, value of a row for the table)
_Column = tuple[str, str, Callable[[StatsRow], str]]


COLUMNS: list[_Column] = [
    (N_("Surveys sent"), "sent", lambda row: str(row.sent)),
    (N_("Answered"), "answered", lambda row: str(row.answered)),
    (N_("Response rate"), "response_rate", lambda row: percent(row.response_rate)),
    (N_("Resolution rate"), "resolution_rate", lambda row: percent(row.resolution_rate)),
    (N_("Satisfaction rate"), "satisfaction_rate", lambda row: percent(row.satisfaction_rate)),
    (N_("Willing to pay"), "pay_rate", lambda row: percent(row.pay_rate)),
    (N_("Cases"), "cases", lambda row: str(row.cases)),
    (N_("Reopen rate"), "reopen_rate", lambda row: percent(row.reopen_rate)),
    (
        N_("First response (median)"),
        "median_first_response_seconds",
        lambda row: short_duration(row.median_first_response),
    ),
    (N_("Resolved on time"), "on_time_share", lambda row: percent(row.on_time_share)),
    (N_("Escalation rate"), "escalation_rate", lambda row: percent(row.escalation_rate)),
]


def _name(row: StatsRow) -> str:
    return _(row.name) if row.name_is_msgid else row.name


def render_table(rows: list[StatsRow], by: Grouping) -> str:
    header = [_(GROUP_HEADERS[by])] + [_(title) for title, _key, _value in COLUMNS]
    body = [[_name(row)] + [value(row) for _title, _key, value in COLUMNS] for row in rows]
    return "\n".join(table_lines(header, body))


def _record(row: StatsRow, by: Grouping) -> dict[str, Any]:
    median = row.median_first_response
    return {
        "group": by.value,
        "key": row.key,
        "name": _name(row),
        "sent": row.sent,
        "answered": row.answered,
        "solved": row.solved,
        "satisfied": row.satisfied,
        "willing_to_pay": row.willing_to_pay,
        "response_rate": row.response_rate,
        "resolution_rate": row.resolution_rate,
        "satisfaction_rate": row.satisfaction_rate,
        "pay_rate": row.pay_rate,
        "cases": row.cases,
        "resolved": row.resolved,
        "reopened": row.reopened,
        "resolved_on_time": row.resolved_on_time,
        "reopen_rate": row.reopen_rate,
        "on_time_share": row.on_time_share,
        "escalated": row.escalated,
        "escalation_rate": row.escalation_rate,
        "median_first_response_seconds": int(median.total_seconds()) if median is not None else None,
    }


def render_csv(rows: list[StatsRow], by: Grouping) -> str:
    records = [_record(row, by) for row in rows]
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(_record(StatsRow(None, "", False), by)), lineterminator="\n")
    writer.writeheader()
    writer.writerows(
        {key: "" if value is None else value for key, value in record.items()} for record in records
    )
    return out.getvalue().rstrip("\n")


def render_json(rows: list[StatsRow], by: Grouping, start: datetime, end: datetime) -> str:
    document = {
        "start": start.isoformat(),
        "end": end.isoformat(),
        "by": by.value,
        "rows": [_record(row, by) for row in rows],
    }
    return json.dumps(document, ensure_ascii=False, indent=2)


async def print_stats(db: Database, *, period: str, by: str, fmt: str, tz: tzinfo = UTC) -> int:
    """Print the numbers of ``period`` (in the time zone ``tz``) grouped ``by``; the exit code."""
    try:
        start, end = parse_period(period, tz)
    except Refused as error:
        print(refusal_text(error), file=sys.stderr)
        return 2
    try:
        grouping = Grouping(by)
    except ValueError:
        print(_("Group by one of: {choices}").format(choices=", ".join(Grouping)), file=sys.stderr)
        return 2
    if fmt not in FORMATS:
        print(_("Format must be one of: {choices}").format(choices=", ".join(FORMATS)), file=sys.stderr)
        return 2
    async with db.read() as session:
        rows = await survey_stats(session=session, start=start, end=end, by=grouping)
    if fmt == "json":
        print(render_json(rows, grouping, start.astimezone(tz), end.astimezone(tz)))
        return 0
    if fmt == "csv":
        print(render_csv(rows, grouping))
        return 0
    last_day = (end.astimezone(tz) - timedelta(days=1)).date()
    print(_("Numbers for {start} to {end}").format(start=start.astimezone(tz).date(), end=last_day))
    print(render_table(rows, grouping) if rows else _("No surveys or cases in this period."))
    return 0
