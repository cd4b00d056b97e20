"""The ``redprop`` commands that read the street's numbers: stats, assess, meeting minutes, the fund
report and the work report; and the database each command opens."""

from __future__ import annotations

import argparse
import asyncio
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from config.settings import Settings


def add_report_commands(commands: Any) -> None:
    """Add the report commands to ``redprop``'s subcommands."""
    stats = commands.add_parser("stats", help="survey and case numbers for a period")
    stats.add_argument(
        "--period",
        required=True,
        help="a quarter (2026Q3), a month (2026-09) or FROM..TO (2026-07-01..2026-09-30)",
    )
    stats.add_argument(
        "--by", choices=["enterprise", "community", "instructor", "category", "street"], default="enterprise"
    )
    stats.add_argument("--format", dest="fmt", choices=["table", "csv", "json"], default="table")
    stats.set_defaults(action=print_stats)

    assess = commands.add_parser(
        "assess",
        help="the quarterly star assessment: show it (draft until final), explain one enterprise, "
        "publish or finalise it",
    )
    assess.add_argument(
        "operation",
        nargs="?",
        metavar="publish|finalise",
        help="publish the ended quarter, or finalise it, as an office admin of the street",
    )
    assess.add_argument("--quarter", required=True, help="the quarter, e.g. 2026Q3")
    assess.add_argument("--street", help="the street's code (default: the only street)")
    assess.add_argument("--format", dest="fmt", metavar="table|csv|json|xlsx", help="default: table")
    assess.add_argument(
        "--explain", metavar="ENTERPRISE_CODE", help="every count behind one enterprise's score"
    )
    assess.add_argument(
        "--output",
        type=Path,
        metavar="FILE",
        help="write to FILE (xlsx default: ./assessment-STREET-QUARTER.xlsx)",
    )
    assess.add_argument(
        "--as",
        dest="acting",
        metavar="TELEGRAM_ID",
        help="act as this office admin (default: the street's first)",
    )
    assess.add_argument("--reason", help="finalise: why a final quarter is run again (a new revision)")
    assess.set_defaults(action=assess_quarter)

    meeting = commands.add_parser("meeting", help="the Red Property Affairs Hall: meeting minutes ID")
    meeting_commands = meeting.add_subparsers(dest="meeting_command", required=True)
    minutes = meeting_commands.add_parser("minutes", help="a meeting's minutes as Markdown or a Word file")
    minutes.add_argument("meeting_id", type=int, metavar="ID")
    minutes.add_argument("--format", dest="fmt", choices=["md", "docx"], default="md")
    minutes.add_argument("--output", type=Path, metavar="FILE", help="docx: default ./minutes-ID.docx")
    minutes.set_defaults(action=meeting_minutes)
    fund = commands.add_parser("fund", help="the property management fund: fund report").add_subparsers(
        dest="fund_command", required=True
    )
    fund_report = fund.add_parser("report", help="the fund of a year: budgets, grants, decided applications")
    fund_report.add_argument("--year", type=int, required=True, help="the year, e.g. 2026")
    fund_report.add_argument("--street", help="the street's code (default: the only street)")
    fund_report.add_argument("--format", dest="fmt", choices=["table", "csv", "xlsx"], default="table")
    fund_report.add_argument(
        "--output", type=Path, help="xlsx: write to FILE (default ./fund-STREET-YEAR.xlsx)"
    )
    fund_report.set_defaults(action=print_fund_report)

    report = commands.add_parser("report", help="the street's work report of a year or a quarter")
    which = report.add_mutually_exclusive_group(required=True)
    which.add_argument("--year", help="the year, e.g. 2026")
    which.add_argument("--quarter", help="the quarter, e.g. 2026Q3")
    report.add_argument("--street", help="the street's code (default: the only street)")
    report.add_argument("--format", dest="fmt", choices=["table", "json", "xlsx"], default="table")
    report.add_argument(
        "--output", type=Path, help="xlsx: write to FILE (default ./work-report-STREET-PERIOD.xlsx)"
    )
    report.set_defaults(action=print_work_report)


def upgrade_database(settings: Settings) -> None:
    from bot.migrations import upgrade

    upgrade(settings.database.url)


def with_database(settings: Settings, work: Callable[[Any], Awaitable[int]]) -> int:
    from storage.database import Database

    upgrade_database(settings)

    async def go() -> int:
        database = Database(settings.database.url)
        try:
            return await work(database)
        finally:
            await database.dispose()

    return asyncio.run(go())


def meeting_minutes(settings: Settings, args: argparse.Namespace) -> int:
    from bot.meeting_cli import print_minutes

    return with_database(
        settings,
        lambda database: print_minutes(
            database, meeting_id=args.meeting_id, fmt=args.fmt, output=args.output
        ),
    )


def print_stats(settings: Settings, args: argparse.Namespace) -> int:
    from bot.stats_cli import print_stats as print_numbers

    zone = settings.bot.tzinfo
    return with_database(
        settings,
        lambda database: print_numbers(database, period=args.period, by=args.by, fmt=args.fmt, tz=zone),
    )


def assess_quarter(settings: Settings, args: argparse.Namespace) -> int:
    from bot.assess_cli import AssessRequest, assess, bad_options

    request = AssessRequest(
        quarter=args.quarter,
        street=args.street,
        fmt=args.fmt,
        explain=args.explain,
        output=args.output,
        operation=args.operation,
        acting=args.acting,
        reason=args.reason,
    )
    if (code := bad_options(request)) is not None:
        return code  # before the database is opened, let alone migrated
    scheme, zone = settings.assessment.scheme, settings.bot.tzinfo
    return with_database(settings, lambda database: assess(database, request, scheme=scheme, tz=zone))


def print_fund_report(settings: Settings, args: argparse.Namespace) -> int:
    from bot.fund_cli import fund_report

    budgets, zone = settings.fund.budget_fen, settings.bot.tzinfo
    return with_database(
        settings,
        lambda database: fund_report(
            database,
            year=args.year,
            street=args.street,
            fmt=args.fmt,
            output=args.output,
            configured=budgets,
            tz=zone,
        ),
    )


def print_work_report(settings: Settings, args: argparse.Namespace) -> int:
    from bot.report_cli import print_report

    period, zone = args.year or args.quarter, settings.bot.tzinfo
    return with_database(
        settings,
        lambda database: print_report(
            database, period=period, street=args.street, fmt=args.fmt, output=args.output, tz=zone
        ),
    )
