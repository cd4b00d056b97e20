"""The ``redprop`` command: run the bot, upgrade the database, manage the directory."""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bot.cli_reports import add_report_commands, upgrade_database, with_database
from bot.logs import setup_logging
from config.settings import ConfigError, Settings, load_settings
from locales.i18n import gettext as _
from locales.i18n import set_locale, set_timezone
from models.clock import use_clock_file

logger = logging.getLogger("redprop")

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

    running = commands.add_parser(
        "run", help="apply pending migrations and start the bot (long polling, or --webhook)"
    )
    running.add_argument(
        "--webhook",
        action="store_true",
        help="receive updates on a webhook (telegram.webhook_url and the other webhook_* keys)",
    )
    running.add_argument(
        "--delete-webhook-on-stop",
        action="store_true",
        help="with --webhook: remove the webhook when stopping (by default Telegram keeps the updates "
        "that arrive while the bot is down, for the next start)",
    )
    running.set_defaults(action=run)

    outbox = commands.add_parser(
        "outbox", help="send the outbox until stopped (redprop run starts this itself)"
    )
    outbox.add_argument(
        "--parent-pipe", action="store_true", help="also stop when standard input closes (as run uses it)"
    )
    outbox.set_defaults(action=run_outbox)
    outbox.add_subparsers(dest="outbox_command", metavar="status").add_parser(
        "status", help="what is pending, retrying, failed or uncertain, by kind, with the case numbers"
    ).set_defaults(action=outbox_status)

    db = commands.add_parser(
        "db", help="the database: db upgrade, db backup FILE, db restore FILE"
    ).add_subparsers(dest="db_command", required=True)
    db.add_parser("upgrade", help="apply every pending migration").set_defaults(action=db_upgrade)
    backing_up = db.add_parser(
        "backup", help="SQLite: copy the database to FILE, safely while the bot runs (PostgreSQL: pg_dump)"
    )
    backing_up.add_argument("file", type=Path)
    backing_up.set_defaults(action=db_backup)
    restoring = db.add_parser(
        "restore",
        help="SQLite: replace the database with the backup FILE, the bot stopped (PostgreSQL: pg_restore)",
    )
    restoring.add_argument("file", type=Path)
    restoring.set_defaults(action=db_restore)

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

    add_report_commands(commands)
    sandbox = commands.add_parser(
        "sandbox", help="try the bot without Telegram: its people side by side in a browser page"
    )
    sandbox.add_argument("--port", type=int, default=8080, help="the page's port (default 8080)")
    sandbox.add_argument(
        "--directory", type=Path, metavar="FILE", help="directory file (default: examples/lingshanwei.toml)"
    )
    sandbox.add_argument("--open", action="store_true", help="open the page in the default browser")
    sandbox.add_argument(
        "--host", default="127.0.0.1", help="address of the page (default 127.0.0.1; another one warns)"
    )
    sandbox.set_defaults(action=run_sandbox)
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
    telegram = settings.telegram
    setup_logging(
        settings.logging.level,
        secrets=[telegram.token.get_secret_value(), telegram.webhook_secret_token.get_secret_value()],
        fmt=settings.logging.format,
    )
    action: Action = args.action
    return action(settings, args)


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


def _webhook_incomplete(settings: Settings) -> bool:
    """Say which webhook setting is missing, if one is."""
    telegram = settings.telegram
    if not telegram.webhook_url:
        print(
            _("Webhook mode needs telegram.webhook_url: the HTTPS address Telegram posts updates to."),
            file=sys.stderr,
        )
        return True
    if not telegram.webhook_secret_token.get_secret_value():
        print(
            _(
                "Webhook mode needs telegram.webhook_secret_token (letters, digits, _ and -), best set "
                "as REDPROP_TELEGRAM__WEBHOOK_SECRET_TOKEN."
            ),
            file=sys.stderr,
        )
        return True
    return False


def run(settings: Settings, args: argparse.Namespace) -> int:
    """Poll, or serve the webhook, until SIGINT or SIGTERM (bot/run.py); a failed start is one line."""
    from bot.run import StartFailed, run_bot

    if _token_missing(settings) or (args.webhook and _webhook_incomplete(settings)):
        return 2
    try:
        return run_bot(
            settings,
            outbox_worker=outbox_worker_command(args),
            webhook=args.webhook,
            delete_webhook_on_stop=args.delete_webhook_on_stop,
        )
    except StartFailed as failure:
        if settings.logging.format == "json":
            logger.error("%s", failure.line)  # a JSON line like every other the collector reads
        else:
            print(failure.line, file=sys.stderr)
        return failure.code


def run_sandbox(settings: Settings, args: argparse.Namespace) -> int:
    """The bot against the Bot API stand-in, with its people in a browser page."""
    from bot.sandbox.command import sandbox

    return sandbox(settings, args)


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
    from bot.event_loop import run
    from bot.outbox.worker import serve

    if _token_missing(settings):
        return 2
    return run(serve(settings, parent_pipe=args.parent_pipe))


def outbox_status(settings: Settings, args: argparse.Namespace) -> int:
    """Print what the outbox has not delivered (yet), by kind."""
    from bot.outbox_status import print_status

    return with_database(settings, print_status)


def db_upgrade(settings: Settings, args: argparse.Namespace) -> int:
    upgrade_database(settings)
    print(_("The database is up to date."))
    return 0


def db_backup(settings: Settings, args: argparse.Namespace) -> int:
    from bot.db_backup import backup

    return backup(settings.database.url, args.file)


def db_restore(settings: Settings, args: argparse.Namespace) -> int:
    from bot.db_backup import restore

    return restore(settings.database.url, args.file)


def directory_import(settings: Settings, args: argparse.Namespace) -> int:
    from bot.directory_commands import import_file

    zone = settings.bot.tzinfo
    return with_database(settings, lambda database: import_file(database, args.file, zone))


def directory_export(settings: Settings, args: argparse.Namespace) -> int:
    from bot.directory_commands import export

    zone = settings.bot.tzinfo
    return with_database(settings, lambda database: export(database, zone))


def directory_invites(settings: Settings, args: argparse.Namespace) -> int:
    from bot.directory_commands import print_invites

    username = args.bot_username or settings.telegram.username or asyncio.run(_ask_username(settings))
    if not username:
        print(_("Unknown bot username: set telegram.username or pass --bot-username."), file=sys.stderr)
        return 2
    ttl = settings.directory.invite_ttl
    return with_database(settings, lambda database: print_invites(database, bot_username=username, ttl=ttl))


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
