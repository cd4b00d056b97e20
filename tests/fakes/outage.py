"""A stretch of Bot API trouble for the loopback fake server: sends answered 500, or left hanging
past the client's timeout, for a while, as in one of Telegram's bad minutes.

Nothing sent during the outage is delivered: a hanging send is answered 500 only after the
client gave up, as an overloaded API that never processed it would. So a message reaches its
chat only once the outage is over, and any second copy would show as a duplicate.
"""

from __future__ import annotations

import asyncio
import itertools
import threading
import time
from dataclasses import dataclass, field
from typing import Any


@dataclass
class Outage:
    """Sends fail for ``seconds`` from the first: in turn answered 500 at once, or after ``hang`` seconds."""

    seconds: float
    hang: float
    started: float | None = None  # the first send's arrival (a slow start does not shorten the outage)
    answered_500: int = 0
    hung: int = 0
    _turns: itertools.cycle[str] = field(default_factory=lambda: itertools.cycle(["500", "hang"]))
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def ends(self) -> float:
        """When the outage is (or will be) over, on the monotonic clock."""
        return (self.started if self.started is not None else time.monotonic()) + self.seconds

    async def strike(self) -> tuple[int, dict[str, Any]] | None:
        """The answer to a send during the outage (after hanging, for a hang), or None once it is over.

        Decided on arrival: a send that arrived in the outage is never delivered, however late
        its hang ends.
        """
        with self._lock:
            if self.started is None:
                self.started = time.monotonic()
            if time.monotonic() >= self.ends:
                return None
            turn = next(self._turns)
            if turn == "500":
                self.answered_500 += 1
            else:
                self.hung += 1
        if turn == "hang":
            await asyncio.sleep(self.hang)
        return 500, {"ok": False, "error_code": 500, "description": "Internal Server Error"}
