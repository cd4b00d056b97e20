"""Writing chat state rows through the database driver itself, on a connection kept for it.

The bot writes chat state after every update (bot/persistence/ptb.py), so this one write is on
the hottest path there is. Through SQLAlchemy a one-row upsert transaction spends most of its
CPU in the pool and the execution machinery; through the driver that cost goes. The statements
are plain and idempotent (an upsert and a delete by key), so a batch that failed because its
connection broke is simply written again on a new one.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any

from storage.database import Database

logger = logging.getLogger(__name__)

Upsert = tuple[str, str, str]  # kind, key, value
Key = tuple[str, str]  # kind, key

_COLUMNS = 'chat_state (kind, "key", value, updated_at)'
_ON_CONFLICT = (
    'ON CONFLICT (kind, "key") DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at'
)
SQLITE_UPSERT = f"INSERT INTO {_COLUMNS} VALUES (?, ?, ?, ?) {_ON_CONFLICT}"
SQLITE_DELETE = 'DELETE FROM chat_state WHERE kind = ? AND "key" = ?'
# PostgreSQL: the whole batch as one statement, so one round trip and atomic without a BEGIN.
POSTGRES_BATCH = (
    'WITH gone AS (DELETE FROM chat_state WHERE (kind, "key") IN '
    "(SELECT * FROM unnest($5::text[], $6::text[]))) "
    f"INSERT INTO {_COLUMNS} SELECT kind, key, value, $4 FROM "
    "unnest($1::text[], $2::text[], $3::text[]) AS batch (kind, key, value) "
    f"{_ON_CONFLICT}"
)
# Chat state commits do not wait for the WAL to reach the disk (cases and the outbox still do).
# The server writes it within a fraction of a second: a bot killed at any moment loses nothing,
# and only a crash of the database server itself could take back a conversation's last step.
# Waiting for that sync held each update about a millisecond longer. (SQLite in WAL mode with
# synchronous=NORMAL makes the same choice for every commit.)
POSTGRES_SESSION = "SET synchronous_commit = off"
# How SQLAlchemy stores a DateTime on SQLite, so rows written here read back like any other.
SQLITE_TIMESTAMP = "%Y-%m-%d %H:%M:%S.%f"


class ChatStateWriter:
    """Upserts and deletes chat state rows, one transaction per :meth:`write`."""

    def __init__(self, database: Database) -> None:
        self.database = database
        self._connection: Any = None  # the driver's own connection (InlineConnection or asyncpg's)

    async def write(self, upserts: list[Upsert], deletes: list[Key], now: datetime) -> None:
        """Write one batch in one transaction; a broken connection is replaced and the batch written again."""
        try:
            await self._write(upserts, deletes, now)
        except Exception:
            if not await self._drop_if_broken():
                raise
            logger.warning("chat state connection lost; writing the batch again on a new one")
            await self._write(upserts, deletes, now)

    async def _write(self, upserts: list[Upsert], deletes: list[Key], now: datetime) -> None:
        connection = await self._connect()
        now = now.astimezone(UTC)
        if self.database.is_sqlite:
            stamp = now.replace(tzinfo=None).strftime(SQLITE_TIMESTAMP)
            async with self.database.writer_turn():
                await connection.when_free(self._sqlite_batch, connection, upserts, deletes, stamp)
        else:
            kinds, keys, values = (
                (list(column) for column in zip(*upserts, strict=True)) if upserts else ([], [], [])
            )
            gone_kinds, gone_keys = (
                (list(column) for column in zip(*deletes, strict=True)) if deletes else ([], [])
            )
            await connection.execute(POSTGRES_BATCH, kinds, keys, values, now, gone_kinds, gone_keys)

    @staticmethod
    def _sqlite_batch(connection: Any, upserts: list[Upsert], deletes: list[Key], stamp: str) -> None:
        raw = connection.sqlite
        # BEGIN IMMEDIATE is the only statement that can find the database busy; then it is ours.
        raw.execute("BEGIN IMMEDIATE")
        try:
            if upserts:
                raw.executemany(SQLITE_UPSERT, [(*row, stamp) for row in upserts])
            if deletes:
                raw.executemany(SQLITE_DELETE, deletes)
            raw.commit()
        except BaseException:
            raw.rollback()
            raise

    async def _connect(self) -> Any:
        if self._connection is None:
            connection = await self.database.driver_connection()
            if not self.database.is_sqlite:
                await connection.execute(POSTGRES_SESSION)
            self._connection = connection
        return self._connection

    async def _drop_if_broken(self) -> bool:
        """Forget a connection that no longer works; True if it was broken (and so was dropped)."""
        connection = self._connection
        if connection is None:
            return False
        if self.database.is_sqlite:
            return False  # a file does not go away; an error there is the statement's own
        if not connection.is_closed():
            try:
                await connection.execute("SELECT 1")
                return False
            except Exception:
                pass
        self._connection = None
        connection.terminate()
        return True

    async def close(self) -> None:
        connection, self._connection = self._connection, None
        if connection is not None:
            await connection.close()
