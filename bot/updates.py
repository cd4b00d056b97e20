"""Handle updates of different users at the same time, and each user's updates in order.

PTB handles one update at a time by default, so every update waits for all the Bot API calls
and database round trips of the ones before it, whoever sent them. Its
``concurrent_updates`` alone would also run two updates of one user at once, and a
conversation (``/report``) would then see its steps out of order. :class:`PerUserUpdates`
keeps one queue per user: a user's next update starts only when their previous one has been
handled completely, persistence flush included (bot/persistence/ptb.py runs in the last group),
so each conversation still moves one step at a time, while other users' updates go ahead.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
from collections.abc import Awaitable, Hashable
from typing import Any

from telegram import Update
from telegram.ext import BaseUpdateProcessor

logger = logging.getLogger(__name__)

# How many updates run at once. Each holds at most a couple of database connections at a
# time, so on PostgreSQL this stays within the connections the pool keeps open (storage/database.py).
MAX_CONCURRENT_UPDATES = 8
# Updates may wait in their users' queues beyond that; PTB's own limit only has to be higher.
MAX_QUEUED_UPDATES = 4096
# One user's updates waiting at once, at most: beyond it their updates are dropped (and logged),
# so one flooding account cannot fill the queue that everyone's updates share.
MAX_WAITING_PER_USER = 20


def sender_key(update: object) -> Hashable:
    """Whose queue an update joins: its user's, else its chat's; anything else shares one queue."""
    if isinstance(update, Update):
        if update.effective_user is not None:
            return ("user", update.effective_user.id)
        if update.effective_chat is not None:
            return ("chat", update.effective_chat.id)
    return None


class PerUserUpdates(BaseUpdateProcessor):
    """Updates of one user one after another, in arrival order; different users concurrently."""

    def __init__(self, max_concurrent_updates: int = MAX_CONCURRENT_UPDATES) -> None:
        # PTB's semaphore is taken first, in arrival order; it must not be what updates wait on,
        # or updates queued behind one busy user would hold every slot.
        super().__init__(MAX_QUEUED_UPDATES)
        self._running = asyncio.Semaphore(max_concurrent_updates)
        self._queues: dict[Hashable, tuple[asyncio.Lock, list[int]]] = {}
        self._flooding: set[Hashable] = set()  # users warned about in their current burst
        self.dropped = 0

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        key = sender_key(update)
        # asyncio.Lock wakes its waiters first come, first served, and PTB starts the tasks in
        # the order the updates arrived, so a user's updates run in that order.
        lock, waiting = self._queues.setdefault(key, (asyncio.Lock(), [0]))
        if key is not None and waiting[0] >= MAX_WAITING_PER_USER:
            self._drop(key, coroutine)
            return
        waiting[0] += 1
        try:
            async with lock, self._running:
                await coroutine
        finally:
            waiting[0] -= 1
            if not waiting[0]:
                del self._queues[key]
                self._flooding.discard(key)

    def _drop(self, key: Hashable, coroutine: Awaitable[Any]) -> None:
        """Leave an update of a user with too many waiting unhandled, with one log line a burst."""
        if inspect.iscoroutine(coroutine):
            coroutine.close()  # never started: nothing to undo
        self.dropped += 1
        if key not in self._flooding:
            self._flooding.add(key)
            logger.warning("updates of %s dropped: %d already waiting", key, MAX_WAITING_PER_USER)

    async def initialize(self) -> None:
        pass

    async def shutdown(self) -> None:
        pass
