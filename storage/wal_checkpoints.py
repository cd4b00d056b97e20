"""SQLite WAL checkpoints on a worker thread, so the event loop never waits for one.

In WAL mode a commit appends pages to the ``-wal`` file; now and then a checkpoint copies them
into the database file and syncs it to disk. By default SQLite does that inside whichever
commit takes the log past 1,000 pages. The bot runs its statements on the event loop's thread
(storage/sqlite_inline.py), so that commit held up every chat for as long as the checkpoint took.

A :class:`Checkpointer` is told of each write transaction. Every :data:`CHECK_EVERY` writes it
looks at the log's size, and past :data:`WAL_BYTES` it runs a PASSIVE checkpoint on a
connection of its own in a worker thread (sqlite3 lets go of the interpreter lock while it
works). The process's connections have automatic checkpoints turned off
(:data:`NO_AUTOMATIC_CHECKPOINTS`). PASSIVE never waits for readers or writers; pages a reader
still needs are copied by a later checkpoint.
"""

from __future__ import annotations

import asyncio
import logging
import os
import sqlite3

logger = logging.getLogger(__name__)

NO_AUTOMATIC_CHECKPOINTS = "PRAGMA wal_autocheckpoint=0"
CHECK_EVERY = 50  # write transactions between looks at the log's size
WAL_BYTES = 4 * 1024 * 1024  # about SQLite's own 1,000 pages of 4 KiB


class Checkpointer:
    """Checkpoints the WAL of the database file at ``path`` when it has grown, off the loop."""

    def __init__(self, path: str, busy_timeout_seconds: float) -> None:
        self.path = path
        self.busy_timeout_seconds = busy_timeout_seconds
        self._writes = 0
        self._running: asyncio.Future[None] | None = None

    def after_write(self) -> None:
        """Note one write transaction; start a checkpoint if the log is due one and none is running."""
        self._writes += 1
        if self._writes < CHECK_EVERY or (self._running is not None and not self._running.done()):
            return
        self._writes = 0
        if self.wal_size() < WAL_BYTES:
            return
        self._running = asyncio.get_running_loop().run_in_executor(None, self.checkpoint)
        self._running.add_done_callback(_log_failure)

    def wal_size(self) -> int:
        try:
            return os.path.getsize(self.path + "-wal")
        except OSError:
            return 0

    def checkpoint(self) -> None:
        """Copy what the log holds into the database file (blocking: run it on a thread)."""
        connection = sqlite3.connect(self.path, timeout=self.busy_timeout_seconds, check_same_thread=False)
        try:
            connection.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
        finally:
            connection.close()

    async def close(self) -> None:
        """Wait for a checkpoint still running (started from this event loop)."""
        running, self._running = self._running, None
        if running is not None and running.get_loop() is asyncio.get_running_loop():
            await asyncio.gather(running, return_exceptions=True)


def _log_failure(done: asyncio.Future[None]) -> None:
    if not done.cancelled() and done.exception() is not None:
        # The log is checkpointed by the next try, or by SQLite when the last connection closes.
        logger.warning("WAL checkpoint failed: %s", done.exception())
