"""The overall pace of the outbox sender, kept under Telegram's limit however the network behaves.

Sends start at least ``1/rate`` seconds apart (a turn taken late may be made up by the next few),
and never more than Telegram's 30 sends are in flight or finished within the last second. A send
counts from its turn until its answer, so even if Telegram sees requests arrive in a different
rhythm than they left, it never counts 31 in one second. A 429 pauses every turn.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import Awaitable, Callable

TELEGRAM_PER_SECOND = 30  # Telegram's own ceiling, whatever the configured rate
PREPARE_AHEAD = 0.2  # seconds before its turn a send may commit "sending"
BURST = 3  # sends that may start back to back to make up for turns taken late


class Pacer:
    """The overall pace: spaced starts, a one-second window, and flood-control pauses."""

    def __init__(self, rate: float, *, clock: Callable[[], float] = time.monotonic) -> None:
        self.interval = 1.0 / rate
        self.window = TELEGRAM_PER_SECOND
        self.clock = clock
        self.paused_until = 0.0
        self._next = 0.0
        self._in_flight = 0
        self._finished: deque[float] = deque()
        self._lock = asyncio.Lock()
        self._changed = asyncio.Event()

    def _wait(self, now: float) -> float | None:
        """Seconds to wait before the next send may start (None: until a send finishes)."""
        while self._finished and self._finished[0] <= now - 1.0:
            self._finished.popleft()
        wait = max(self.paused_until - now, self._next - now, 0.0)
        if self._in_flight + len(self._finished) >= self.window:
            if not self._finished:
                return None
            wait = max(wait, self._finished[0] + 1.0 - now)
        return wait

    async def acquire(self, prepare: Callable[[], Awaitable[bool]] | None = None) -> bool:
        """Wait for a turn to send; then call :meth:`release` or :meth:`cancel`.

        ``prepare`` (e.g. committing "sending") runs while this caller waits at the head of
        the line, so its time is not lost to the pace; if it says False, no turn is taken.
        """
        async with self._lock:
            prepared: asyncio.Future[bool] | None = None
            try:
                while True:
                    now = self.clock()
                    wait = self._wait(now)
                    if (
                        prepare is not None
                        and prepared is None
                        and wait is not None
                        and wait <= PREPARE_AHEAD
                    ):
                        prepared = asyncio.ensure_future(prepare())
                    if wait is not None and wait <= 0:
                        break
                    self._changed.clear()
                    try:
                        await asyncio.wait_for(self._changed.wait(), wait)
                    except TimeoutError:
                        pass
                # Only expiring window entries can change while it finishes: the check holds.
                if prepared is not None and not await prepared:
                    return False
            finally:
                if prepared is not None and not prepared.done():
                    prepared.cancel()
            self._in_flight += 1
            # A turn taken late may be made up by the next few (a small burst); the window
            # above still caps any second at Telegram's limit.
            self._next = max(self._next, now - (BURST - 1) * self.interval) + self.interval
            return True

    def release(self) -> None:
        """The send finished (whatever the answer): it counts in the window for one second."""
        self._in_flight -= 1
        self._finished.append(self.clock())
        self._changed.set()

    def pause(self, seconds: float) -> None:
        self.paused_until = max(self.paused_until, self.clock() + seconds)
