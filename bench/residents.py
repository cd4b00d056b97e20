"""The residents of bench/report_throughput.py, played inside the fake Bot API's process.

:func:`serve` runs the loopback fake Bot API (tests/fakes/server.py) and watches every call
the bot makes: when a call answers a resident's step, that resident's next update is pushed
at once. So each resident waits for the bot's answer as a person would, the residents go in
parallel, and the updates arrive as fast as the bot takes them. The echo bot gets the same
updates, a step being answered by its echo or its answer to the button press.
"""

from __future__ import annotations

import os
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from bot.sandbox.telegram import BOT_USER, Call
from bot.sandbox.updates import TelegramUser, callback_update, message_update
from tests.fakes.server import FakeBotApiServer

TOKEN = "123456789:AAHbenchTokenNotARealOne_abcdefghijklmno"
FLOODER = 6999  # a Telegram account the bot does not know, sending /help as fast as it can
CASE_NUMBER = re.compile(r"[A-Z]+-\d{4}-\d{6}")
DESCRIPTION = "Water comes through the ceiling of flat 1202 in building 3 whenever it rains."
PHOTO = [
    {"file_id": "bench-photo-small", "file_unique_id": "bench-us", "width": 90, "height": 67},
    {"file_id": "bench-photo", "file_unique_id": "bench-u", "width": 1280, "height": 960},
]

Seen = Callable[["Resident", str, dict[str, Any], Any], bool]


@dataclass
class Step:
    """One thing a resident does: the update it sends, and the bot's call that answers it."""

    name: str
    update: Callable[[Resident], dict[str, Any]]
    answered: Seen


@dataclass
class Resident:
    user: TelegramUser
    message: dict[str, Any]  # the last bot message, whose buttons the next tap presses
    step: int = 0
    query_id: str | None = None  # the pending button press, answered by answerCallbackQuery
    pushed_at: float = 0.0
    latencies: list[float] = field(default_factory=list)
    seen: list[str] = field(default_factory=list)  # what the bot sent, for a stuck resident


def _buttons(result: Any) -> list[str]:
    if not isinstance(result, dict):
        return []
    rows = result.get("reply_markup", {}).get("inline_keyboard", [])
    return [str(button.get("callback_data", "")) for row in rows for button in row]


def _sent(method: str, params: dict[str, Any], resident: Resident) -> bool:
    return method == "sendMessage" and str(params.get("chat_id")) == str(resident.user.id)


def sent_button(prefix: str) -> Seen:
    """The bot sent the resident a message with a button whose data starts with ``prefix``."""

    def seen(resident: Resident, method: str, params: dict[str, Any], result: Any) -> bool:
        return _sent(method, params, resident) and any(data.startswith(prefix) for data in _buttons(result))

    return seen


def sent_keyboard(label: str) -> Seen:
    """The bot sent the resident a message with a reply keyboard that has a ``label`` key."""

    def seen(resident: Resident, method: str, params: dict[str, Any], result: Any) -> bool:
        markup = params.get("reply_markup")
        rows = markup.get("keyboard", []) if isinstance(markup, dict) else []
        keys = [key.get("text") if isinstance(key, dict) else key for row in rows for key in row]
        return _sent(method, params, resident) and label in keys

    return seen


def edited(resident: Resident, method: str, params: dict[str, Any], result: Any) -> bool:
    return method == "editMessageText" and str(params.get("chat_id")) == str(resident.user.id)


def told_case_number(resident: Resident, method: str, params: dict[str, Any], result: Any) -> bool:
    """The receipt: the summary edited to name the case (or, should that fail, a message)."""
    shown = _sent(method, params, resident) or edited(resident, method, params, result)
    return shown and bool(CASE_NUMBER.search(str(params.get("text", ""))))


def press(data: str | Callable[[Resident], str]) -> Callable[[Resident], dict[str, Any]]:
    def update(resident: Resident) -> dict[str, Any]:
        value = data(resident) if callable(data) else data
        return callback_update(resident.user, value, resident.message)

    return update


def confirm_data(resident: Resident) -> str:
    return next((data for data in _buttons(resident.message) if data.startswith("r:ok:")), "r:ok:0")


# The /report flow and what ends each step for the bot: the last message the step sends.
REPORT = [
    Step("/report", lambda r: message_update(r.user, "/report"), sent_button("r:cat:")),
    Step("category", press("r:cat:leak"), edited),
    Step("description", lambda r: message_update(r.user, DESCRIPTION), sent_button("r:photos:done")),
    Step("photo", lambda r: message_update(r.user, photo=PHOTO), sent_button("r:photos:done")),
    Step("done", press("r:photos:done"), sent_keyboard("Skip")),
    Step("no location", lambda r: message_update(r.user, "Skip"), sent_button("r:ok:")),
    Step("confirm", press(confirm_data), told_case_number),
]


def echoed(resident: Resident, method: str, params: dict[str, Any], result: Any) -> bool:
    """The echo bot's answer: the echo of a message, or the answer to a button press."""
    if resident.query_id is not None:
        return method == "answerCallbackQuery" and params.get("callback_query_id") == resident.query_id
    return _sent(method, params, resident)


# The same updates for the echo bot, with the same (fixed) button data.
ECHO = [Step(step.name, step.update, echoed) for step in REPORT]


class Residents:
    """Drives residents through their steps as the fake server sees the bot answer them."""

    def __init__(self, server: FakeBotApiServer, steps: list[Step], telegram_ids: list[int]) -> None:
        self.server = server
        self.steps = steps
        self.lock = threading.Lock()
        self.finished = threading.Event()
        self.by_chat: dict[str, Resident] = {}
        self.by_query: dict[str, Resident] = {}
        self.waiting = len(telegram_ids)
        self.started_at = 0.0
        self.ended_at = 0.0
        for telegram_id in telegram_ids:
            user = TelegramUser(telegram_id, f"Resident {telegram_id}", "en")
            start = {"message_id": 1, "date": int(time.time()), "chat": user.private_chat(), "from": BOT_USER}
            self.by_chat[str(telegram_id)] = Resident(user, {**start, "text": "start"})

    def start(self) -> None:
        with self.lock:
            self.started_at = time.monotonic()
            for resident in self.by_chat.values():
                self._push(resident)

    def _push(self, resident: Resident) -> None:
        update = self.steps[resident.step].update(resident)
        query = update.get("callback_query")
        resident.query_id = str(query["id"]) if query else None
        if resident.query_id is not None:
            self.by_query[resident.query_id] = resident
        resident.pushed_at = time.monotonic()
        self.server.push(update)

    def observe(self, method: str, params: dict[str, Any], result: Any) -> None:
        """A call the bot made: if it answers a resident's step, take that resident's next step."""
        if method == "answerCallbackQuery":
            resident = self.by_query.get(str(params.get("callback_query_id")))
        else:
            resident = self.by_chat.get(str(params.get("chat_id")))
        if resident is None:
            return
        with self.lock:
            if resident.step >= len(self.steps):
                return
            if method == "sendMessage":
                resident.seen.append(str(params.get("text", ""))[:60])
            if not self.steps[resident.step].answered(resident, method, params, result):
                return
            now = time.monotonic()
            resident.latencies.append(now - resident.pushed_at)
            if isinstance(result, dict) and "message_id" in result:
                resident.message = result
            resident.step += 1
            if resident.step < len(self.steps):
                self._push(resident)
                return
            self.waiting -= 1
            if self.waiting == 0:
                self.ended_at = now
                self.finished.set()

    def stuck(self) -> list[str]:
        with self.lock:
            return [
                f"{resident.user.id} at {self.steps[resident.step].name!r}, last saw {resident.seen[-3:]}"
                for resident in self.by_chat.values()
                if resident.step < len(self.steps)
            ]


class BenchServer(FakeBotApiServer):
    """The fake Bot API that also shows every call to the residents being driven."""

    residents: Residents | None = None

    def __init__(self, token: str) -> None:
        super().__init__(token)
        self.telegram.listeners.append(self._observe)  # every call answered with success

    def _observe(self, call: Call) -> None:
        residents = self.residents
        if residents is not None and call.method != "getUpdates":
            residents.observe(call.method, call.params, call.result)


@dataclass
class Plan:
    shape: str  # "report" or "echo"
    warm_up: list[int]
    measured: list[int]
    timeout: float
    pid: int = 0  # the bot's process, whose CPU time is read
    flood: int = 0  # updates one more user sends all at once, just before the measured residents start


@dataclass
class Outcome:
    updates: int = 0
    seconds: float = 0.0
    latencies: list[float] = field(default_factory=list)
    stuck: list[str] = field(default_factory=list)
    error: str = ""
    bot_cpu: float = 0.0  # seconds of CPU the bot used over the measured run
    server_cpu: float = 0.0  # and the fake server (with the residents)


def cpu_seconds(pid: int) -> float:
    """User and system CPU time of a process so far (Linux; 0 elsewhere)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _drive(server: BenchServer, steps: list[Step], telegram_ids: list[int], plan: Plan) -> Outcome:
    residents = Residents(server, steps, telegram_ids)
    server.residents = residents
    bot_cpu, server_cpu = cpu_seconds(plan.pid), cpu_seconds(os.getpid())
    residents.start()
    if not residents.finished.wait(plan.timeout):
        return Outcome(error=f"timed out after {plan.timeout:.0f}s", stuck=residents.stuck())
    bot_cpu, server_cpu = cpu_seconds(plan.pid) - bot_cpu, cpu_seconds(os.getpid()) - server_cpu
    latencies = [latency for resident in residents.by_chat.values() for latency in resident.latencies]
    seconds = residents.ended_at - residents.started_at
    return Outcome(len(latencies), seconds, latencies, bot_cpu=bot_cpu, server_cpu=server_cpu)


def serve(connection: Connection) -> None:
    """In the child process: serve the fake API and drive the residents the parent asks for."""
    server = BenchServer(TOKEN)
    with server:
        connection.send((server.base_url, server.base_file_url))
        plan: Plan = connection.recv()
        steps = REPORT if plan.shape == "report" else ECHO
        try:
            # Polling, or (redprop run --webhook) the webhook set: updates are then posted to it.
            server.wait_for(
                lambda: server.polls > 0 or server.webhook is not None,
                timeout=30,
                what="the bot to poll or set its webhook",
            )
        except AssertionError as error:
            connection.send(Outcome(error=str(error)))
        else:
            warm = _drive(server, steps, plan.warm_up, plan)
            if plan.flood:
                flooder = TelegramUser(FLOODER, "Flooder", "en")
                for _ in range(plan.flood):
                    server.push(message_update(flooder, "/help"))
            outcome = warm if warm.error else _drive(server, steps, plan.measured, plan)
            connection.send(outcome)
        connection.recv()  # until the bot has stopped, so its last calls are answered
