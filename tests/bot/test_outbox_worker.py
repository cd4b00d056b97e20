"""OutboxWorker: the bot's side of the worker process, with a stand-in worker script.

The stand-in counts the wake-up bytes it reads and, when its standard input closes, writes the
count to a file and exits, as ``redprop outbox --parent-pipe`` stops when the bot is gone.
"""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from bot.outbox import worker as outbox_worker
from bot.outbox.worker import OutboxWorker

STAND_IN = """
import os, sys
os.write(1, b"r")  # ready, as the real worker says once it handles SIGTERM
read = 0
while chunk := os.read(0, 1024):
    read += len(chunk)
with open(sys.argv[1], "a") as out:
    out.write(f"{os.getpid()} {read}\\n")
"""


def stand_in(tmp_path: Path) -> tuple[list[str], Path]:
    record = tmp_path / "record.txt"
    return [sys.executable, "-c", STAND_IN, str(record)], record


async def wait_until(predicate: Callable[[], bool]) -> None:
    for _ in range(500):
        if predicate():
            return
        await asyncio.sleep(0.02)
    raise AssertionError("timed out")


async def test_wakes_reach_the_worker_and_stop_waits_for_it(tmp_path: Path) -> None:
    command, record = stand_in(tmp_path)
    worker = OutboxWorker(command)
    await worker.start()
    await asyncio.wait_for(worker._ready.wait(), 30)
    for _ in range(3):
        worker.wake()
    await worker.stop()
    [line] = record.read_text().splitlines()
    assert line.split()[1] == "3"


async def test_a_worker_that_dies_is_started_again(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(outbox_worker, "RESTART_PAUSE", 0.05)
    command, record = stand_in(tmp_path)
    worker = OutboxWorker(command)
    await worker.start()
    first = worker._process
    assert first is not None
    os.kill(first.pid, signal.SIGKILL)
    await wait_until(lambda: worker._process is not first)
    await asyncio.wait_for(worker._ready.wait(), 30)
    worker.wake()
    await worker.stop()
    # The killed one wrote nothing; the new one got the wake-up sent when it started and ours.
    [line] = record.read_text().splitlines()
    pid, read = line.split()
    assert int(pid) != first.pid and int(read) >= 1


async def test_waking_a_dead_worker_is_harmless(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(outbox_worker, "RESTART_PAUSE", 30.0)
    command, _record = stand_in(tmp_path)
    worker = OutboxWorker(command)
    await worker.start()
    assert worker._process is not None
    os.kill(worker._process.pid, signal.SIGKILL)
    await worker._process.wait()
    for _ in range(100):
        worker.wake()
        await asyncio.sleep(0)
    await worker.stop()


async def test_a_worker_still_starting_is_terminated_at_stop(tmp_path: Path) -> None:
    """One that has not said it is ready has claimed nothing: stop ends it rather than waiting."""
    worker = OutboxWorker([sys.executable, "-c", "import time; time.sleep(60)"])
    await worker.start()
    process = worker._process
    assert process is not None
    await worker.stop()
    assert process.returncode == -signal.SIGTERM


async def test_a_ready_worker_is_left_to_stop_by_itself(tmp_path: Path) -> None:
    """Once ready it stops at the pipe's end, finishing what is on the wire: never terminated."""
    command, record = stand_in(tmp_path)
    worker = OutboxWorker(command)
    await worker.start()
    await asyncio.wait_for(worker._ready.wait(), 30)
    process = worker._process
    assert process is not None
    await worker.stop()
    assert process.returncode == 0 and record.read_text()
