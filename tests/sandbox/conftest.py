"""``redprop sandbox`` as a user starts it: a process on a free port, stopped with SIGTERM.

:func:`start_sandbox` runs the installed command in an empty working directory with no
``REDPROP_*`` setting and returns once it prints its ready line (or fails with its output).
"""

from __future__ import annotations

import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.e2e.conftest import clean_environment, redprop_executable

READY_TIMEOUT = 90.0  # the start is benchmarked (bench/sandbox_start.py); this only stops a hang


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class RunningSandbox:
    process: subprocess.Popen[str]
    url: str
    ready_line: str

    def stop(self) -> int:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        try:
            return self.process.wait(20)
        except subprocess.TimeoutExpired:
            self.process.kill()
            raise AssertionError("the sandbox did not stop within 20 s of SIGTERM") from None


def run_sandbox(workdir: Path, *args: str, timeout: float = 60.0) -> subprocess.CompletedProcess[str]:
    """``redprop --set bot.default_locale=en sandbox ARGS`` to its end (for the refusals)."""
    return subprocess.run(
        [redprop_executable(), "--set", "bot.default_locale=en", "sandbox", *args],
        cwd=workdir,
        env=clean_environment(),
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def start_sandbox(workdir: Path, *args: str) -> RunningSandbox:
    port = free_port()
    process = subprocess.Popen(
        [redprop_executable(), "sandbox", "--port", str(port), *args],
        cwd=workdir,
        env=clean_environment(),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    assert process.stdout is not None
    deadline = time.monotonic() + READY_TIMEOUT
    seen = []
    for line in process.stdout:
        seen.append(line)
        if f"http://localhost:{port}/" in line:  # the ready line, in the default locale's words
            return RunningSandbox(process, f"http://127.0.0.1:{port}/", line.strip())
        if time.monotonic() > deadline:
            break
    process.kill()
    raise AssertionError("the sandbox did not get ready:\n" + "".join(seen[-40:]))


@pytest.fixture(scope="module")
def sandbox(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningSandbox]:
    running = start_sandbox(tmp_path_factory.mktemp("sandbox"))
    yield running
    assert running.stop() == 0
