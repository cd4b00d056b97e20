"""``redprop sandbox``: the real bot against the Bot API stand-in, with a page to play its people.

One aiohttp process serves the stand-in on a free loopback port and the page on ``--host``
(127.0.0.1 unless told otherwise), then starts ``redprop run`` itself, the same command with
the same handlers, outbox worker and jobs, pointed at the stand-in, at a scratch SQLite
database loaded with the directory file, and at a clock file the page moves forward. Nothing
leaves the machine. Two settings differ from a real street, so that a moved clock shows its
effect at once: no survey quiet hours, and surveys checked every two seconds.
"""

from __future__ import annotations

import argparse
import asyncio
import errno
import importlib
import ipaddress
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import webbrowser
from dataclasses import dataclass
from pathlib import Path

from aiohttp import web

from bot.sandbox.bot_api import BotApi
from bot.sandbox.cast import cast
from bot.sandbox.page import Sandbox, page_application
from config.settings import Settings
from locales.i18n import gettext as _
from models.clock import use_clock_file
from models.directory.document import DirectoryDocument, DirectoryFileError
from models.directory.parsing import parse_directory

TOKEN = "1000000001:sandbox-token-not-for-telegram-000000"
DEFAULT_DIRECTORY = Path(__file__).resolve().parents[2] / "examples" / "lingshanwei.toml"
READY_TIMEOUT = 60.0
STOP_TIMEOUT = 10.0
SANDBOX_SETTINGS = {"REDPROP_SURVEYS__QUIET_HOURS": "", "REDPROP_SURVEYS__CHECK_INTERVAL": "2s"}


class SandboxError(Exception):
    """A problem that stops the sandbox: one line for the operator."""


@dataclass
class Scratch:
    """The sandbox's throwaway folder: database, clock file, the bot's log."""

    folder: Path

    @property
    def database_url(self) -> str:
        return f"sqlite+aiosqlite:///{self.folder / 'sandbox.db'}"

    @property
    def clock_file(self) -> str:
        return str(self.folder / "clock")

    @property
    def log(self) -> Path:
        return self.folder / "bot.log"


def read_directory(path: Path) -> DirectoryDocument:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise SandboxError(_("{path}: no such file").format(path=path)) from None
    except (OSError, UnicodeDecodeError) as error:
        raise SandboxError(
            _("{path}: cannot read the file: {error}").format(path=path, error=error)
        ) from None
    try:
        return parse_directory(text)
    except DirectoryFileError as error:
        raise SandboxError(f"{path}: {error.describe(_)}") from None
    except ValueError as error:  # TOML syntax
        raise SandboxError(f"{path}: {error}") from None


def is_loopback(host: str) -> bool:
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return host == "localhost"


async def load_directory(document: DirectoryDocument, database_url: str) -> None:
    """Import the directory into the scratch database (``redprop run`` has created its tables)."""
    from models.directory.file import import_directory
    from storage.database import Database

    database = Database(database_url)
    try:
        async with database.write() as session:
            await import_directory(session=session, document=document)
    finally:
        await database.dispose()


def bot_environment(api_port: int, scratch: Scratch, settings: Settings) -> dict[str, str]:
    env = {name: value for name, value in os.environ.items() if not name.startswith("REDPROP_")}
    # A proxy in the environment must not carry the stand-in's traffic (and the token) away.
    bypass = [env.get("NO_PROXY") or env.get("no_proxy") or "", "127.0.0.1", "localhost"]
    env["NO_PROXY"] = env["no_proxy"] = ",".join(filter(None, bypass))
    env.update(
        REDPROP_TELEGRAM__TOKEN=TOKEN,
        REDPROP_TELEGRAM__BASE_URL=f"http://127.0.0.1:{api_port}/bot",
        REDPROP_TELEGRAM__BASE_FILE_URL=f"http://127.0.0.1:{api_port}/file/bot",
        REDPROP_DATABASE__URL=scratch.database_url,
        REDPROP_BOT__CLOCK_FILE=scratch.clock_file,
        REDPROP_BOT__TIMEZONE=settings.bot.timezone,
        REDPROP_BOT__DEFAULT_LOCALE=settings.bot.default_locale,
        **SANDBOX_SETTINGS,
    )
    return env


async def serve(app: web.Application, host: str, port: int) -> web.AppRunner:
    runner = web.AppRunner(app, handle_signals=False, access_log=None)
    await runner.setup()
    try:
        await web.TCPSite(runner, host, port).start()
    except OSError as error:
        await runner.cleanup()
        if error.errno == errno.EADDRINUSE:
            raise SandboxError(
                _(
                    "Port {port} on {host} is in use: stop what uses it, or choose another with --port."
                ).format(port=port, host=host)
            ) from None
        raise SandboxError(
            _("Cannot listen on {host}:{port}: {error}").format(host=host, port=port, error=error.strerror)
        ) from None
    return runner


def start_bot(env: dict[str, str], scratch: Scratch) -> subprocess.Popen[bytes]:
    """``redprop run`` in the scratch folder (so no config.toml is read), its log in the folder."""
    with scratch.log.open("wb") as log:
        return subprocess.Popen(
            [sys.executable, "-m", "bot", "run"],
            cwd=scratch.folder,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=log,
            start_new_session=True,
        )


async def wait_until_polling(
    api: BotApi, bot: subprocess.Popen[bytes], scratch: Scratch, stop: asyncio.Event
) -> None:
    deadline = time.monotonic() + READY_TIMEOUT
    while api.polls == 0 and not stop.is_set():
        if bot.poll() is not None or time.monotonic() > deadline:
            log = scratch.log.read_text(encoding="utf-8", errors="replace")[-2000:]
            raise SandboxError(_("The bot did not start; its log:") + "\n" + log)
        await asyncio.sleep(0.02)


def stop_bot(bot: subprocess.Popen[bytes]) -> None:
    if bot.poll() is None:
        bot.send_signal(signal.SIGTERM)
        try:
            bot.wait(STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            os.killpg(bot.pid, signal.SIGKILL)
            bot.wait(5)


async def run_sandbox(settings: Settings, args: argparse.Namespace, scratch: Scratch) -> None:
    started = time.monotonic()
    stop = asyncio.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        asyncio.get_running_loop().add_signal_handler(sig, stop.set)
    document = read_directory(args.directory or DEFAULT_DIRECTORY)
    if not is_loopback(args.host):
        print(
            _(
                "Warning: the sandbox listens on {host}; anyone who reaches it can act as anyone in it."
            ).format(host=args.host),
            file=sys.stderr,
        )
    use_clock_file(scratch.clock_file)
    api = BotApi(TOKEN)
    sandbox = Sandbox(api.telegram, cast(document), scratch.clock_file, settings.bot.tzinfo)
    page = await serve(page_application(sandbox, loopback=is_loopback(args.host)), args.host, args.port)
    runners = [page, await serve(api.application(), "127.0.0.1", 0)]
    api_port = int(runners[1].addresses[0][1])
    bot: subprocess.Popen[bytes] | None = None
    try:
        # The bot creates the database while this process imports what the directory import needs.
        bot = start_bot(bot_environment(api_port, scratch, settings), scratch)
        await asyncio.to_thread(importlib.import_module, "models.directory.file")
        await wait_until_polling(api, bot, scratch, stop)
        if stop.is_set():
            return
        await load_directory(document, scratch.database_url)
        url = f"http://{'localhost' if is_loopback(args.host) else args.host}:{args.port}/"
        print(
            _("The sandbox is ready at {url} (started in {seconds:.1f} s). Stop it with Ctrl+C.").format(
                url=url, seconds=time.monotonic() - started
            ),
            flush=True,
        )
        if args.open:
            webbrowser.open(url)
        await until_stopped(bot, stop)
    finally:
        api.stop_polls()
        if bot is not None:
            await asyncio.to_thread(stop_bot, bot)
        for runner in runners:
            await runner.cleanup()


async def until_stopped(bot: subprocess.Popen[bytes], stop: asyncio.Event) -> None:
    """Until SIGINT or SIGTERM, or until the bot exits by itself."""
    while not stop.is_set() and bot.poll() is None:
        try:
            await asyncio.wait_for(stop.wait(), 0.5)
        except TimeoutError:
            pass


def sandbox(settings: Settings, args: argparse.Namespace) -> int:
    """Run the sandbox until stopped; 2 with one line on a bad start."""
    scratch = Scratch(Path(tempfile.mkdtemp(prefix="redprop-sandbox-")))
    try:
        asyncio.run(run_sandbox(settings, args, scratch))
    except SandboxError as error:
        print(error, file=sys.stderr)
        return 2
    finally:
        shutil.rmtree(scratch.folder, ignore_errors=True)
    return 0
