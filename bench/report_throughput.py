"""How many updates a second the bot handles in /report flows, against a bare echo bot.

N residents of one community (paired with an instructor) each run a whole /report at once:
/report, a category tap, a description, one photo, Done, Skip the location, Confirm. Each
resident takes a step only after the bot has answered the previous one, as a person would;
the residents go in parallel (bench/residents.py). The real ``python -m bot run`` serves them
against the loopback fake Bot API, run in a process of its own so it does not share the bot's
interpreter lock, and afterwards the database must hold exactly one case per resident. The
residents start once the bot has started, its outbox worker included (``--include-startup``
starts them as soon as the bot polls, while that second process is still starting). Just
before, a bare python-telegram-bot echo bot (bench/echo_bot.py) gets the same updates in the
same per-user order, and so does that echo bot again with the bot's own HTTP client
(aiohttp, bot/telegram_http.py: the "echo, bot's HTTP" row). The script prints updates per
second for each and the bot's ratio to both echo runs; the 0.9 target is against the bare echo
bot, judged on the median of ``--rounds`` rounds (default 5).

Each round also runs the bot in webhook mode (``redprop run --webhook``) on a database of its
own, right after the polling run: the fake Bot API then posts each update to the bot's webhook
as Telegram does (bot/sandbox/webhook.py), and the script prints the webhook's rate as a share
of polling's.

    python bench/report_throughput.py                      # SQLite in a temporary folder
    python bench/report_throughput.py --database-url postgresql+asyncpg://postgres@127.0.0.1:5432/test

With a PostgreSQL URL (or REDPROP_TEST_DATABASE_URL) a scratch database is created next to the
named one and dropped afterwards. ``--py-spy DIR`` samples the bot with py-spy (``pip install
py-spy``), idle time included, into ``DIR/bot-<backend>.txt`` as collapsed stacks.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import multiprocessing
import os
import re
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlmodel import col, func, select  # noqa: E402

from bench.residents import REPORT, TOKEN, Outcome, Plan, serve  # noqa: E402
from bench.scratch import scratch_postgres  # noqa: E402
from bot.migrations import upgrade  # noqa: E402
from models.cases.tables import Case  # noqa: E402
from models.directory.tables import Person  # noqa: E402
from storage.database import Database  # noqa: E402
from tests.factories.world import make_world  # noqa: E402

FIRST_RESIDENT = 2_000_000
WEBHOOK_SECRET = "bench-webhook-secret"
WARM_UP = 3  # residents who report before the clock starts (imports, first queries)
TARGET = 0.9
# `redprop run` starts its outbox worker, a second Python process, as it starts polling; that
# start-up takes most of a second of CPU. The residents begin once the worker says it is ready,
# so the run measures the bot at work, not the bot starting (the echo bot has no second process).
WORKER_READY = r"outbox worker \S+ sending"


@dataclass
class Result:
    label: str
    outcome: Outcome

    @property
    def rate(self) -> float:
        return self.outcome.updates / self.outcome.seconds if self.outcome.seconds else 0.0

    @property
    def cpu_per_update(self) -> float:
        """The bot's CPU seconds per update (never 0, so it can divide)."""
        return self.outcome.bot_cpu / self.outcome.updates if self.outcome.bot_cpu else 1e-9

    def row(self) -> str:
        outcome = self.outcome
        per_update = 1000 / outcome.updates if outcome.updates else 0.0
        wait = statistics.median(outcome.latencies) * 1000 if outcome.latencies else 0.0
        return (
            f"{self.label:18s} {outcome.updates:7d} {outcome.seconds:7.2f} {self.rate:9.1f} {wait:8.0f} "
            f"{outcome.bot_cpu * per_update:8.2f} {outcome.server_cpu * per_update:8.2f}"
        )


# Reply: the median time from an update to the bot's answer. CPU: milliseconds of CPU per
# update over the run, in the bot and in the fake API (which also plays the residents).
HEADER = (
    f"{'':18s} {'updates':>7s} {'seconds':>7s} {'updates/s':>9s} {'reply ms':>8s} "
    f"{'bot CPU':>8s} {'API CPU':>8s}"
)


def _environment(**extra: str) -> dict[str, str]:
    env = {name: value for name, value in os.environ.items() if not name.startswith("REDPROP_")}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    env.update(extra)
    return env


def _wait_for_log(path: Path, pattern: str, timeout: float) -> None:
    """Wait until the process's log (its standard error) matches ``pattern``."""
    deadline = time.monotonic() + timeout
    while not re.search(pattern, path.read_text(errors="replace")):
        if time.monotonic() > deadline:
            raise TimeoutError(f"no {pattern!r} in {path} after {timeout}s")
        time.sleep(0.05)


def _measure(
    shape: str,
    command: list[str],
    env: dict[str, str],
    plan: Plan,
    workdir: Path,
    spy: Path | None = None,
    ready: str | None = None,
) -> Outcome:
    """Serve the fake API in a child process, run ``command`` against it and drive the plan.

    With ``ready``, the residents start once the process's log matches it. With ``spy``, py-spy
    samples the process (idle time too) into that file, as collapsed stacks.
    """
    ours, theirs = multiprocessing.get_context("spawn").Pipe()
    server = multiprocessing.get_context("spawn").Process(target=serve, args=(theirs,), daemon=True)
    server.start()
    base_url, base_file_url = ours.recv()
    env = {**env, "REDPROP_TELEGRAM__BASE_URL": base_url, "REDPROP_TELEGRAM__BASE_FILE_URL": base_file_url}
    env["ECHO_BASE_URL"] = base_url
    stderr_path = workdir / f"{shape}.stderr"
    with stderr_path.open("wb") as stderr:
        process = subprocess.Popen(
            command, cwd=workdir, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=stderr
        )
    sampler = None
    if spy is not None:
        py_spy = str(Path(sys.executable).with_name("py-spy"))
        options = ["--idle", "--format", "raw", "--rate", "250", "--output", str(spy)]
        sampler = subprocess.Popen([py_spy, "record", *options, "--pid", str(process.pid)])
    plan.pid = process.pid
    try:
        if ready is not None:
            _wait_for_log(stderr_path, ready, plan.timeout)
        ours.send(plan)
        outcome: Outcome = ours.recv()
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        ours.send("stop")
        server.join(timeout=10)
        if sampler is not None:
            sampler.wait(30)
    problems = [line for line in stderr_path.read_text(errors="replace").splitlines() if " ERROR " in line]
    if problems and not outcome.error:
        outcome.error = f"{len(problems)} errors logged, first: {problems[0][:300]}"
    return outcome


async def _populate(url: str, residents: int) -> list[int]:
    """The world of tests/factories/world.py, plus ``residents`` residents of its 东方华庭."""
    database = Database(url)
    try:
        world = await make_world(database)
        ids = [FIRST_RESIDENT + n for n in range(WARM_UP + residents)]
        async with database.write() as session:
            session.add_all(
                Person(
                    telegram_id=telegram_id,
                    name=f"Resident {telegram_id}",
                    language_code="en",
                    community_id=world.community,
                )
                for telegram_id in ids
            )
        return ids
    finally:
        await database.dispose()


async def _cases_per_resident(url: str, telegram_ids: list[int]) -> dict[int, int]:
    database = Database(url)
    try:
        async with database.read() as session:
            rows = await session.exec(
                select(Person.telegram_id, func.count(col(Case.id)))
                .join(Case, col(Case.reporter_id) == col(Person.id), isouter=True)
                .where(col(Person.telegram_id).in_(telegram_ids))
                .group_by(col(Person.telegram_id))
            )
            return {int(telegram_id): int(count) for telegram_id, count in rows if telegram_id is not None}
    finally:
        await database.dispose()


def run_bot(
    url: str,
    backend: str,
    residents: int,
    timeout: float,
    py_spy: Path | None,
    wait_for_worker: bool = True,
    flood: int = 0,
    webhook: bool = False,
) -> Result:
    ids = asyncio.run(_populate(url, residents))
    plan = Plan("report", ids[:WARM_UP], ids[WARM_UP:], timeout, flood=flood)
    command = [sys.executable, "-m", "bot", "run"]
    env = _environment(REDPROP_TELEGRAM__TOKEN=TOKEN, REDPROP_DATABASE__URL=url)
    if webhook:
        port = _free_port()
        command.append("--webhook")
        env.update(
            REDPROP_TELEGRAM__WEBHOOK_URL=f"http://127.0.0.1:{port}/telegram",
            REDPROP_TELEGRAM__WEBHOOK_PORT=str(port),
            REDPROP_TELEGRAM__WEBHOOK_SECRET_TOKEN=WEBHOOK_SECRET,
        )
    with tempfile.TemporaryDirectory() as folder:
        mode = "webhook-" if webhook else ""
        spy = py_spy / f"bot-{mode}{backend}.txt" if py_spy is not None else None
        ready = WORKER_READY if wait_for_worker else None
        outcome = _measure("bot", command, env, plan, Path(folder), spy, ready=ready)
    counts = asyncio.run(_cases_per_resident(url, ids))
    wrong = {telegram_id: counts.get(telegram_id, 0) for telegram_id in ids if counts.get(telegram_id) != 1}
    if wrong and not outcome.error:
        outcome.error = f"{len(wrong)} residents do not have exactly one case: {list(wrong.items())[:5]}"
    return Result(f"{'webhook' if webhook else 'bot'}, {backend}", outcome)


@contextlib.contextmanager
def _fresh_database(backend: str, server_url: str) -> Iterator[str]:
    """A migrated database of its own: a SQLite file, or a scratch database next to ``server_url``."""
    if backend == "PostgreSQL":
        with scratch_postgres(server_url) as scratch:
            yield scratch
        return
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite+aiosqlite:///{Path(folder) / 'bench.db'}"
        upgrade(url)
        yield url


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def run_echo(residents: int, timeout: float, transport: str = "httpx") -> Result:
    """The echo bot on PTB's httpx, or with ``aiohttp`` on the bot's own HTTP client."""
    ids = [FIRST_RESIDENT + n for n in range(WARM_UP + residents)]
    plan = Plan("echo", ids[:WARM_UP], ids[WARM_UP:], timeout)
    command = [sys.executable, str(ROOT / "bench" / "echo_bot.py")]
    env = _environment(ECHO_TOKEN=TOKEN, ECHO_TRANSPORT=transport)
    with tempfile.TemporaryDirectory() as folder:
        outcome = _measure("echo", command, env, plan, Path(folder))
    return Result("echo bot" if transport == "httpx" else "echo, bot's HTTP", outcome)


Run = tuple[str, Result, Result, Result, Result]  # backend; echo, echo on aiohttp, bot, bot on a webhook


def _report_webhook(pairs: list[tuple[Result, Result]], backend: str) -> None:
    """The webhook against polling, round by round: the rate, and the CPU per update (which a
    busy machine moves less than the rate)."""
    rates = [hook.rate / bot.rate if bot.rate else 0.0 for bot, hook in pairs]
    cpu = [hook.cpu_per_update / bot.cpu_per_update for bot, hook in pairs]
    for what, ratios in (("the bot's rate when polling", rates), ("polling's CPU per update", cpu)):
        listed = ", ".join(f"{ratio:.2f}" for ratio in ratios)
        print(f"webhook, {backend}: {statistics.median(ratios):.2f} of {what}")
        print(f"  each round: {listed}")


def _report(runs: list[Run]) -> bool:
    print(HEADER)
    for _backend, *results in runs:
        for result in results:
            print(result.row())
    ok = True
    for backend in dict.fromkeys(backend for backend, *_ in runs):
        rounds = [(echo, lean, bot) for name, echo, lean, bot, _hook in runs if name == backend]
        ratios = [bot.rate / echo.rate if echo.rate else 0.0 for echo, _lean, bot in rounds]
        same = [bot.rate / lean.rate if lean.rate else 0.0 for _echo, lean, bot in rounds]
        median = statistics.median(ratios)
        verdict = "meets" if median >= TARGET else "below"
        listed = ", ".join(f"{ratio:.2f}" for ratio in ratios)
        print(f"bot, {backend}: {median:.2f} of the echo bot's rate ({verdict} the {TARGET} target)")
        print(f"  each round: {listed}")
        same_median = statistics.median(same)
        print(f"bot, {backend}: {same_median:.2f} of the rate of an echo bot on the bot's own HTTP client")
        _report_webhook([(bot, hook) for name, _echo, _lean, bot, hook in runs if name == backend], backend)
        ok = ok and median >= TARGET
        for name, *results in runs:
            for result in results if name == backend else []:
                if result.outcome.error:
                    ok = False
                    print(f"{result.label}: FAILED: {result.outcome.error}")
                    for line in result.outcome.stuck[:5]:
                        print(f"  stuck: {line}")
    return ok


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--residents", type=int, default=100)
    parser.add_argument("--database-url", default=os.environ.get("REDPROP_TEST_DATABASE_URL", ""))
    parser.add_argument("--no-sqlite", action="store_true", help="only PostgreSQL")
    parser.add_argument("--py-spy", type=Path, help="sample the bot with py-spy, writing into this folder")
    parser.add_argument("--timeout", type=float, default=60.0, help="seconds one run may take")
    parser.add_argument(
        "--include-startup",
        action="store_true",
        help="start the residents as soon as the bot polls, while its outbox worker is still starting",
    )
    rounds_help = "echo and bot runs per database; the verdict takes the median ratio"
    parser.add_argument("--rounds", type=int, default=5, help=rounds_help)
    options = parser.parse_args()
    if options.py_spy is not None:
        options.py_spy.mkdir(parents=True, exist_ok=True)
    print(f"{options.residents} residents, {len(REPORT)} updates each, {WARM_UP} more to warm up")

    # Each bot run right after an echo run, so both see the machine equally busy; several rounds,
    # since a shared machine's speed drifts between runs. Each round uses a fresh database.
    runs: list[Run] = []
    wait_for_worker = not options.include_startup
    backends = [*([] if options.no_sqlite else ["SQLite"]), *(["PostgreSQL"] if options.database_url else [])]
    for number in range(options.rounds):
        for backend in backends:
            echo = run_echo(options.residents, options.timeout)
            lean = run_echo(options.residents, options.timeout, "aiohttp")
            results: dict[bool, Result] = {}
            # Polling and webhook take turns going first, so neither always meets the other's leftovers.
            for webhook in (True, False) if number % 2 else (False, True):
                with _fresh_database(backend, options.database_url) as url:
                    results[webhook] = run_bot(
                        url,
                        backend,
                        options.residents,
                        options.timeout,
                        options.py_spy,
                        wait_for_worker,
                        webhook=webhook,
                    )
            runs.append((backend, echo, lean, results[False], results[True]))
    return 0 if _report(runs) else 1


if __name__ == "__main__":
    sys.exit(main())
