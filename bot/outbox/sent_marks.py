"""Sent rows marked in batches: the write waits a moment so that many rows share it.

Marking each row ``sent`` in its own transaction kept the database lock busy when the sender
needed it for "sending". A crash before the batch is written leaves its rows ``sending``:
uncertain, never resent.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime

from models.base import utcnow
from models.outbox.delivery import mark_sent
from storage.database import Database

logger = logging.getLogger(__name__)

SENT_FLUSH_DELAY = 0.1  # seconds sent rows wait to be marked together


class SentMarks:
    """Collects rows sent and writes them ``sent`` together, shortly after."""

    def __init__(self, database: Database) -> None:
        self.database = database
        self._sent: list[tuple[int, int | None, datetime]] = []
        self._flusher: asyncio.Task[None] | None = None

    def record(self, row: int, telegram_message_id: int | None) -> None:
        """Row ``row`` went out as Telegram message ``telegram_message_id``."""
        self._sent.append((row, telegram_message_id, utcnow()))
        if self._flusher is None or self._flusher.done():
            self._flusher = asyncio.create_task(self._flush_soon())

    async def _flush_soon(self) -> None:
        while self._sent:
            await asyncio.sleep(SENT_FLUSH_DELAY)
            await self.flush()

    async def flush(self) -> None:
        """Write what is held now."""
        batch, self._sent = self._sent, []
        if not batch:
            return
        try:
            async with self.database.write() as session:
                for row, message_id, at in batch:
                    await mark_sent(session=session, message_id=row, telegram_message_id=message_id, now=at)
        except Exception:
            logger.exception("outbox: could not mark %d sent message(s); they stay uncertain", len(batch))

    async def close(self, *, grace: float) -> None:
        """Let the pending write finish (left pending, it dies with the loop), then write the rest."""
        if self._flusher is not None:
            await asyncio.wait({self._flusher}, timeout=grace)
            self._flusher.cancel()
        await self.flush()
