"""SQLite for the async engine, run on the event loop's own thread.

aiosqlite runs each statement on a thread of its own and hands the result back through the
event loop; that hand-off costs more CPU than most of the bot's statements. Here the
statements run inline. They are short; the one thing that could make them long, waiting for
another process's write lock, is kept out of SQLite's hands: the busy timeout is zero, and a
statement that finds the database busy is retried after an asyncio sleep, so the loop goes
on serving while it waits. SQLAlchemy's aiosqlite dialect drives this connection through
``async_creator``; it has the part of aiosqlite's interface that the dialect uses.
"""

from __future__ import annotations

import asyncio
import sqlite3
import time
from collections.abc import Callable, Iterable, Sequence
from typing import Any, TypeVar

from sqlalchemy.engine import make_url

T = TypeVar("T")

FIRST_PAUSE = 0.001
LONGEST_PAUSE = 0.05


def _is_busy(error: sqlite3.OperationalError) -> bool:
    code = getattr(error, "sqlite_errorcode", None)
    if code is not None:
        return bool(code & 0xFF == sqlite3.SQLITE_BUSY)
    return "database is locked" in str(error)


class InlineCursor:
    """A sqlite3 cursor behind aiosqlite's awaitable methods."""

    def __init__(self, connection: InlineConnection) -> None:
        self._connection = connection
        self._cursor = connection._conn.cursor()

    async def __aenter__(self) -> InlineCursor:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        self._cursor.close()

    @property
    def description(self) -> Any:
        return self._cursor.description

    @property
    def rowcount(self) -> int:
        return self._cursor.rowcount

    @property
    def lastrowid(self) -> int | None:
        return self._cursor.lastrowid

    @property
    def arraysize(self) -> int:
        return self._cursor.arraysize

    @arraysize.setter
    def arraysize(self, value: int) -> None:
        self._cursor.arraysize = value

    async def execute(self, sql: str, parameters: Sequence[Any] | dict[str, Any] = ()) -> InlineCursor:
        await self._connection.when_free(self._cursor.execute, sql, parameters)
        return self

    async def executemany(self, sql: str, parameters: Iterable[Sequence[Any]]) -> InlineCursor:
        rows = list(parameters)  # a retry must see them all again
        await self._connection.when_free(self._cursor.executemany, sql, rows)
        return self

    async def fetchone(self) -> Any:
        return self._cursor.fetchone()

    async def fetchmany(self, size: int | None = None) -> list[Any]:
        return self._cursor.fetchmany(size if size is not None else self._cursor.arraysize)

    async def fetchall(self) -> list[Any]:
        return self._cursor.fetchall()

    async def close(self) -> None:
        self._cursor.close()

    async def setinputsizes(self, *sizes: Any) -> None:
        pass


class _RunNow:
    """Stands in for aiosqlite's queue to its thread: SQLAlchemy puts (future, function) on it."""

    def put_nowait(self, item: tuple[asyncio.Future[Any], Callable[[], Any]]) -> None:
        future, function = item
        try:
            future.set_result(function())
        except Exception as error:  # handed to the awaiting caller
            future.set_exception(error)


class InlineConnection:
    """A sqlite3 connection with the awaitable interface SQLAlchemy expects of aiosqlite's."""

    def __init__(self, connection: sqlite3.Connection, busy_timeout_seconds: float) -> None:
        self._conn = connection
        # What SQLAlchemy's adapter looks at, as on aiosqlite: the connection, None once closed.
        self._connection: sqlite3.Connection | None = connection
        self._tx = _RunNow()
        self.busy_timeout_seconds = busy_timeout_seconds

    @property
    def sqlite(self) -> sqlite3.Connection:
        """The sqlite3 connection itself, for statements run through :meth:`when_free`."""
        return self._conn

    @property
    def isolation_level(self) -> str | None:
        return self._conn.isolation_level

    @isolation_level.setter
    def isolation_level(self, value: Any) -> None:
        self._conn.isolation_level = value

    async def when_free(self, function: Callable[..., T], *args: Any) -> T:
        """Run ``function`` now; while the database is locked by another writer, wait and try again."""
        pause = FIRST_PAUSE
        deadline: float | None = None
        while True:
            try:
                return function(*args)
            except sqlite3.OperationalError as error:
                if not _is_busy(error):
                    raise
                now = time.monotonic()
                if deadline is None:
                    deadline = now + self.busy_timeout_seconds
                if now >= deadline:
                    raise
                # A busy statement had no effect, so running it again is safe.
                await asyncio.sleep(min(pause, deadline - now))
                pause = min(pause * 2, LONGEST_PAUSE)

    def cursor(self) -> InlineCursor:
        return InlineCursor(self)

    async def execute(self, sql: str, parameters: Sequence[Any] = ()) -> InlineCursor:
        cursor = self.cursor()
        return await cursor.execute(sql, parameters)

    async def commit(self) -> None:
        await self.when_free(self._conn.commit)

    async def rollback(self) -> None:
        self._conn.rollback()

    async def create_function(self, *args: Any, **kwargs: Any) -> None:
        self._conn.create_function(*args, **kwargs)

    async def close(self) -> None:
        self.stop()

    def is_closed(self) -> bool:
        return self._connection is None

    def stop(self) -> None:
        if self._connection is not None:
            self._connection = None
            self._conn.close()


def inline_connector(url: str, busy_timeout_seconds: float) -> Callable[[], Any]:
    """An ``async_creator`` for ``create_async_engine`` that opens inline connections to ``url``'s file."""
    parsed = make_url(url)
    database = parsed.database or ":memory:"
    uri = str(parsed.query.get("uri", "")).lower() in ("true", "1")

    async def connect() -> InlineConnection:
        connection = sqlite3.connect(database, uri=uri, check_same_thread=False, timeout=0)
        return InlineConnection(connection, busy_timeout_seconds)

    return connect
