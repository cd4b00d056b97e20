"""The ``redprop`` command: run the bot, upgrade the database, manage the directory."""

from __future__ import annotations

import argparse
import asyncio
import gc
import logging
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from bot.logs import setup_logging
from config.settings import ConfigError, Settings, load_settings
from locales.i18n import gettext as _
from locales.i18n import set_locale, set_timezone
from models.clock import use_clock_file

logger = logging.getLogger("redprop")
YOUNG_OBJECTS_BEFORE_COLLECTING = 20_000  # Python's default is 700

Action = Callable[[Settings, argparse.Namespace], int]


def _override(text: str) -> tuple[str, str]:
    key, sep, value = text.partition("=")
    if not sep or "." not in key:
        raise argparse.ArgumentTypeError("write it as section.key=value, e.g. database.url=...")
    return key.strip(), value


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="redprop", description="Red Property: a Telegram bot for a street's property-governance loop."
    )
    parser.add_argument("--config", type=Path, help="config file to read (default: ./config.toml)")
    parser.add_argument(
        "--set",
        dest="overrides",
        type=_override,
        action="append",
        default=[],
        metavar="SECTION.KEY=VALUE",
        help="override one config key; wins over the file and the environment",
    )
    parser.add_argument("--log-level", choices=["DEBUG", "INFO", "WARNING", "ERROR"], help="logging.level")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    commands.add_parser("run", help="apply pending migrations and start the bot (long polling)").set_defaults(
        action=run
    )

    outbox = commands.add_parser(
        "outbox", help="send the outbox until stopped (redprop run starts this itself)"
    )
    outbox.add_argument(
        "--parent-pipe", action="store_true", help="also stop when standard input closes (as run uses it)"
    )
    outbox.set_defaults(action=run_outbox)

    db = commands.add_parser("db", help="database schema: db upgrade").add_subparsers(
        dest="db_command", required=True
    )
    db.add_parser("upgrade", help="apply every pending migration").set_defaults(action=db_upgrade)

    directory = commands.add_parser(
        "directory",
        help="streets, communities, enterprises and people: directory import FILE, directory export, "
        "directory invites",
    )
    directory_commands = directory.add_subparsers(dest="directory_command", required=True)
    importing = directory_commands.add_parser(
        "import", help="load a directory file (idempotent, all or nothing)"
    )
    importing.add_argument("file", type=Path)
    importing.set_defaults(action=directory_import)
    directory_commands.add_parser("export", help="write the directory to standard output").set_defaults(
        action=directory_export
    )
    invites = directory_commands.add_parser(
        "invites", help="print a one-time invite link per person without an id"
    )
    invites.add_argument(
        "--bot-username", help="the bot's username (default: telegram.username, else asked of Telegram)"
    )
    invites.set_defaults(action=directory_invites)

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
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    overrides: dict[str, Any] = dict(args.overrides)
    if args.log_level:
        overrides["logging.level"] = args.log_level
    try:
        settings = load_settings(args.config, overrides)
    except ConfigError as error:
        print(error, file=sys.stderr)
        return 2
    set_locale(settings.bot.default_locale)
    set_timezone(settings.bot.tzinfo)
    use_clock_file(settings.bot.clock_file)
    setup_logging(settings.logging.level, secrets=[settings.telegram.token.get_secret_value()])
    action: Action = args.action
    return action(settings, args)


def _upgrade(settings: Settings) -> None:
    from bot.migrations import upgrade

    upgrade(settings.database.url)


def _token_missing(settings: Settings) -> bool:
    """Say how to get a token if there is none."""
    if settings.telegram.token.get_secret_value():
        return False
    print(
        _(
            "No bot token. Create a bot with @BotFather in Telegram (/newbot) and set "
            "REDPROP_TELEGRAM__TOKEN, or token under [telegram] in config.toml."
        ),
        file=sys.stderr,
    )
    return True


def run(settings: Settings, args: argparse.Namespace) -> int:
    """Start long polling until SIGINT or SIGTERM."""
    from telegram import Update
    from telegram.error import InvalidToken, NetworkError

    from bot.app import build_application

    if _token_missing(settings):
        return 2
    _upgrade(settings)
    application = build_application(settings, outbox_worker=outbox_worker_command(args))
    spare_the_collector()
    try:
        application.run_polling(allowed_updates=Update.ALL_TYPES)
    except InvalidToken:
        print(_("Telegram refused the bot token. Check it with @BotFather."), file=sys.stderr)
        return 2
    except NetworkError as error:
        print(_("Could not reach the Telegram Bot API: {error}").format(error=error), file=sys.stderr)
        return 1
    logger.info("stopped")
    return 0


def spare_the_collector() -> None:
    """Leave what start-up made out of garbage collections, and collect young objects less often.

    Modules and the application live as long as the process; every update allocates in a burst
    (Telegram objects, ORM rows) that mostly dies with it, so collecting the young generation
    less often spends less time collecting.
    """
    gc.collect()
    gc.freeze()
    gc.set_threshold(YOUNG_OBJECTS_BEFORE_COLLECTING, 10, 10)


def outbox_worker_command(args: argparse.Namespace) -> list[str]:
    """How ``run`` starts its outbox worker: this command with the same configuration."""
    command = [sys.executable, "-m", "bot"]
    if args.config is not None:
        command += ["--config", str(args.config)]
    for key, value in args.overrides:
        command += ["--set", f"{key}={value}"]
    if args.log_level:
        command += ["--log-level", args.log_level]
    return [*command, "outbox", "--parent-pipe"]


def run_outbox(settings: Settings, args: argparse.Namespace) -> int:
    """Send the outbox until SIGINT or SIGTERM (or, with --parent-pipe, until the bot is gone)."""
    from bot.outbox.worker import serve

    if _token_missing(settings):
        return 2
    return asyncio.run(serve(settings, parent_pipe=args.parent_pipe))


def db_upgrade(settings: Settings, args: argparse.Namespace) -> int:
    _upgrade(settings)
    print(_("The database is up to date."))
    return 0


def _with_database(settings: Settings, work: Callable[[Any], Awaitable[int]]) -> int:
    from storage.database import Database

    _upgrade(settings)

    async def go() -> int:
        database = Database(settings.database.url)
        try:
            return await work(database)
        finally:
            await database.dispose()

    return asyncio.run(go())


def directory_import(settings: Settings, args: argparse.Namespace) -> int:
    from bot.directory_commands import import_file

    zone = settings.bot.tzinfo
    return _with_database(settings, lambda database: import_file(database, args.file, zone))


def directory_export(settings: Settings, args: argparse.Namespace) -> int:
    from bot.directory_commands import export

    zone = settings.bot.tzinfo
    return _with_database(settings, lambda database: export(database, zone))


def directory_invites(settings: Settings, args: argparse.Namespace) -> int:
    from bot.directory_commands import print_invites

    username = args.bot_username or settings.telegram.username or asyncio.run(_ask_username(settings))
    if not username:
        print(_("Unknown bot username: set telegram.username or pass --bot-username."), file=sys.stderr)
        return 2
    ttl = settings.directory.invite_ttl
    return _with_database(settings, lambda database: print_invites(database, bot_username=username, ttl=ttl))


async def _ask_username(settings: Settings) -> str:
    from telegram import Bot
    from telegram.error import TelegramError

    token = settings.telegram.token.get_secret_value()
    if not token:
        return ""
    try:
        async with Bot(token, base_url=settings.telegram.base_url) as bot:
            return bot.username
    except TelegramError as error:
        logger.warning("could not ask Telegram for the bot's username: %s", error)
        return ""


def print_stats(settings: Settings, args: argparse.Namespace) -> int:
    from bot.stats_cli import print_stats as print_numbers

    zone = settings.bot.tzinfo
    return _with_database(
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
    return _with_database(settings, lambda database: assess(database, request, scheme=scheme, tz=zone))


def print_fund_report(settings: Settings, args: argparse.Namespace) -> int:
    from bot.fund_cli import fund_report

    budgets, zone = settings.fund.budget_fen, settings.bot.tzinfo
    return _with_database(
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
    return _with_database(
        settings,
        lambda database: print_report(
            database, period=period, street=args.street, fmt=args.fmt, output=args.output, tz=zone
        ),
    )
