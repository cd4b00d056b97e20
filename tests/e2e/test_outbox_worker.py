"""The outbox worker process of ``redprop run``: started with the bot, started again if it dies,
stopped with the bot."""

from __future__ import annotations

import os
import re
import signal
import time
from datetime import timedelta

from tests.e2e.case_loop import import_street
from tests.e2e.conftest import BotProcess, BotRunner
from tests.e2e.survey_setup import resolve_cases, surveys_delivered
from tests.factories.ids import new_resident
from tests.fakes.server import FakeBotApiServer

ENV = {"REDPROP_SURVEYS__CHECK_INTERVAL": "1s", "REDPROP_SURVEYS__QUIET_HOURS": ""}


def worker_pids(process: BotProcess) -> list[int]:
    """The outbox workers the bot reported starting, in order."""
    return [int(pid) for pid in re.findall(r"outbox worker started \(pid (\d+)\)", process.stderr)]


def is_running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie is gone for our purposes: its parent has not reaped it yet.
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False


def test_a_worker_that_dies_is_started_again_and_sends_what_was_queued(
    bot: BotRunner, fake_api: FakeBotApiServer, database_url: str
) -> None:
    import_street(database_url)
    process = bot.start(**ENV)
    [first] = worker_pids(process)
    os.kill(first, signal.SIGKILL)

    resident = new_resident(1)
    resolve_cases(database_url, [(resident, "Resident A")], survey_delay=timedelta(0))
    fake_api.wait_for(lambda: surveys_delivered(fake_api, {resident}), timeout=20, what="the survey")
    time.sleep(1.5)  # more sender polls: still one
    assert surveys_delivered(fake_api, {resident}) == {resident: 1}
    assert "outbox worker exited with -9" in process.stderr
    [_, second] = worker_pids(process)
    assert is_running(second)
    assert process.stop() == 0
    assert not is_running(second)


def test_stopping_the_bot_stops_its_worker_and_a_killed_bot_leaves_none_behind(
    bot: BotRunner, fake_api: FakeBotApiServer, database_url: str
) -> None:
    import_street(database_url)
    process = bot.start(**ENV)
    [worker] = worker_pids(process)
    assert is_running(worker)
    assert process.stop() == 0
    assert not is_running(worker)

    process = bot.start(**ENV)
    [worker] = worker_pids(process)
    process.process.send_signal(signal.SIGKILL)
    process.process.wait(5)
    # With nothing on the wire the orphaned worker sees the pipe close and exits at once.
    deadline = time.monotonic() + 30  # a loaded machine may still be importing the worker
    while is_running(worker) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not is_running(worker)
