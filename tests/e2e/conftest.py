"""End-to-end tests: the real ``redprop`` process against the fake Bot API on loopback.

``bot.start()`` launches ``python -m bot --log-level DEBUG run`` in a temporary working
directory (so no ``config.toml`` is read) with the token, the fake server's URL and the test's
database in its environment, and returns once the bot is polling. Each bot runs in a session
of its own with its outbox worker (bot/outbox/worker.py). ``process.stop()`` sends SIGTERM to
the bot and returns the exit code; ``process.kill_all()`` SIGKILLs the bot and its worker
together. Every process group is killed at teardown, and every captured stderr is checked for
the token.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.fakes.server import FakeBotApiServer

# Shaped like a real token (bot id, colon, 35 characters), so the log redaction is really tested.
TOKEN = "7012345678:AAF3kq9Zx_d8vYbT2mN4pLr6sW1cH0eJuQo"
TOKEN_SECRET = TOKEN.split(":", 1)[1]
assert len(TOKEN_SECRET) == 35

REPO_ROOT = Path(__file__).resolve().parents[2]
START_TIMEOUT = 15.0
STOP_TIMEOUT = 10.0
CLI_TIMEOUT = 30.0

# Every stderr a bot process wrote in this session, for the test that no line shows the token.
SESSION_STDERR: list[Path] = []


def redprop_executable() -> str:
    """The installed ``redprop`` console script, next to this interpreter."""
    script = Path(sys.executable).with_name("redprop")
    if script.exists():
        return str(script)
    found = shutil.which("redprop")
    assert found, "the redprop console script is not installed"
    return found


def clean_environment() -> dict[str, str]:
    """This process's environment without any REDPROP_* setting, importing this checkout's code.

    The checkout goes first on PYTHONPATH so the processes run the code under test even when the
    venv's editable install is stale (its finder predates a package gaining ``__init__.py``).
    """
    env = {name: value for name, value in os.environ.items() if not name.startswith("REDPROP_")}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO_ROOT), env.get("PYTHONPATH")]))
    env["PYTHONUNBUFFERED"] = "1"
    return env


def token_leaks(text: str) -> list[str]:
    """The lines of ``text`` that show the token or its secret part."""
    return [line for line in text.splitlines() if TOKEN in line or TOKEN_SECRET in line]


@dataclass
class BotProcess:
    """One running ``redprop run``."""

    process: subprocess.Popen[bytes]
    stderr_path: Path

    @property
    def stderr(self) -> str:
        return self.stderr_path.read_text(encoding="utf-8", errors="replace")

    def stop(self, timeout: float = STOP_TIMEOUT) -> int:
        """SIGTERM, as a service manager would; the exit code, or a failure if it hangs."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        try:
            return self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.kill()
            raise AssertionError(
                f"the bot did not stop within {timeout}s of SIGTERM; stderr:\n{self.stderr[-3000:]}"
            ) from None

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait(5)

    def kill_all(self) -> None:
        """SIGKILL the bot and its outbox worker at the same moment (its whole session)."""
        try:
            os.killpg(self.process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.process.wait(5)


@dataclass
class BotRunner:
    """Starts bot processes and runs CLI commands against one fake server and one database."""

    server: FakeBotApiServer
    database_url: str
    workdir: Path
    processes: list[BotProcess] = field(default_factory=list)

    def env(self, **extra: str) -> dict[str, str]:
        env = clean_environment()
        env.update(
            REDPROP_TELEGRAM__TOKEN=TOKEN,
            REDPROP_TELEGRAM__BASE_URL=self.server.base_url,
            REDPROP_TELEGRAM__BASE_FILE_URL=self.server.base_file_url,
            REDPROP_DATABASE__URL=self.database_url,
        )
        env.update(extra)
        return env

    def _spawn(self, log_level: str, extra_env: dict[str, str], run_args: tuple[str, ...] = ()) -> BotProcess:
        """Launch ``python -m bot run RUN_ARGS`` in its own session, its stderr to a file of its own."""
        number = len(self.processes) + 1
        stderr_path = self.workdir / f"bot-{number}.stderr"
        SESSION_STDERR.append(stderr_path)
        with stderr_path.open("wb") as stderr:
            process = subprocess.Popen(
                [sys.executable, "-m", "bot", "--log-level", log_level, "run", *run_args],
                cwd=self.workdir,
                env=self.env(**extra_env),
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=stderr,
                start_new_session=True,
            )
        bot = BotProcess(process, stderr_path)
        self.processes.append(bot)
        return bot

    def start(
        self, *, log_level: str = "DEBUG", run_args: tuple[str, ...] = (), **extra_env: str
    ) -> BotProcess:
        """Start ``python -m bot run RUN_ARGS`` and wait until it polls for updates (or, with
        ``--webhook``, has set its webhook)."""
        polls_before = self.server.polls
        webhooks_before = len(self.server.telegram.calls_of("setWebhook"))

        def started() -> bool:
            if "--webhook" in run_args:
                return len(self.server.telegram.calls_of("setWebhook")) > webhooks_before
            return self.server.polls > polls_before

        bot = self._spawn(log_level, extra_env, run_args)
        process = bot.process
        deadline = time.monotonic() + START_TIMEOUT
        while not started():
            if process.poll() is not None:
                raise AssertionError(
                    f"the bot exited with {process.returncode} before polling; stderr:\n{bot.stderr[-3000:]}"
                )
            if time.monotonic() > deadline:
                bot.kill()
                raise AssertionError(f"the bot did not poll within {START_TIMEOUT}s:\n{bot.stderr[-3000:]}")
            time.sleep(0.02)
        return bot

    def start_standby(self, *, log_level: str = "DEBUG", **extra_env: str) -> BotProcess:
        """Start ``python -m bot run`` while another is active and wait until it says it is the standby."""
        bot = self._spawn(log_level, extra_env)
        process = bot.process
        deadline = time.monotonic() + START_TIMEOUT
        while "standby: another redprop run is active" not in bot.stderr:
            if process.poll() is not None or time.monotonic() > deadline:
                bot.kill()
                raise AssertionError(f"the bot did not wait as the standby:\n{bot.stderr[-3000:]}")
            time.sleep(0.05)
        return bot

    def cli(self, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
        """Run ``redprop ARGS`` in the working directory (the bot's environment unless ``env``)."""
        return subprocess.run(
            [redprop_executable(), *args],
            cwd=self.workdir,
            env=self.env() if env is None else env,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=CLI_TIMEOUT,
        )

    def cleanup(self) -> None:
        for bot in self.processes:
            bot.kill_all()


@pytest.fixture
def fake_api() -> Iterator[FakeBotApiServer]:
    server = FakeBotApiServer(TOKEN).start()
    yield server
    server.stop()


@pytest.fixture
def workdir(tmp_path: Path) -> Path:
    """An empty working directory: no config.toml, so only the environment configures the bot."""
    path = tmp_path / "work"
    path.mkdir()
    return path


@pytest.fixture
def bot(fake_api: FakeBotApiServer, database_url: str, workdir: Path) -> Iterator[BotRunner]:
    runner = BotRunner(fake_api, database_url, workdir)
    try:
        yield runner
    finally:
        runner.cleanup()
    leaks = [line for process in runner.processes for line in token_leaks(process.stderr)]
    assert not leaks, f"the bot token appeared on stderr: {leaks[:3]}"
