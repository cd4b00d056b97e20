"""The database: one async engine, read sessions and write transactions.

SQLite runs in WAL mode, its statements on the event loop's own thread (storage/sqlite_inline.py),
and write transactions begin with ``BEGIN IMMEDIATE`` so that two writers queue on the lock
instead of failing halfway through with "database is locked". A writer that finds another
process holding the lock waits in asyncio sleeps, for at most the busy timeout. Within one
process the writers queue on an asyncio lock first, so they never meet the file's lock among
themselves. PostgreSQL needs none of this; its pool replaces the connections a server restart
closed before handing them out (storage/dead_connections.py).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import asyncpg  # type: ignore[import-untyped]
from sqlalchemy import event
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine
from sqlalchemy.pool import ConnectionPoolEntry
from sqlmodel import Session
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.commits import note_commit
from storage.dead_connections import refuse_dead_connections
from storage.sqlite_inline import inline_connector
from storage.wal_checkpoints import NO_AUTOMATIC_CHECKPOINTS, Checkpointer

_IMMEDIATE = "redprop_begin_immediate"
POSTGRES_POOL_SIZE = 20  # and SQLAlchemy's 10 more while busy


def ensure_sqlite_folder(url: str) -> None:
    """Create the folder of a SQLite database file, so the first run just works."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite" and parsed.database not in (None, "", ":memory:"):
        Path(parsed.database).expanduser().parent.mkdir(parents=True, exist_ok=True)


def is_sqlite(url: str) -> bool:
    return make_url(url).get_backend_name() == "sqlite"


SQLITE_PRAGMAS = ("PRAGMA foreign_keys=ON", "PRAGMA synchronous=NORMAL")


def _use_wal(cursor: Any) -> None:
    """Switch the file to WAL unless it is already (the switch waits for other writers; a look does not)."""
    cursor.execute("PRAGMA journal_mode")
    if str(cursor.fetchone()[0]).lower() != "wal":
        cursor.execute("PRAGMA journal_mode=WAL")


def _tune_sqlite(engine: AsyncEngine, pragmas: tuple[str, ...]) -> None:
    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: ConnectionPoolEntry) -> None:
        # Take transaction control from the driver so BEGIN is ours to emit.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        _use_wal(cursor)
        for pragma in pragmas:
            cursor.execute(pragma)
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(connection: Connection) -> None:
        immediate = connection.get_execution_options().get(_IMMEDIATE, False)
        connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


class ReadOnlySession(Session):
    """The session behind :meth:`Database.read`: a flush with anything to write is an error.

    On PostgreSQL a read session has no transaction to roll back, so a write would stay.
    """


@event.listens_for(ReadOnlySession, "before_flush")
def _refuse_writes(session: Session, _context: Any, _instances: Any) -> None:
    if session.new or session.deleted or any(session.is_modified(row) for row in session.dirty):
        raise RuntimeError("a read session does not write; use Database.write()")


class Database:
    """The application's database; hand out sessions with :meth:`read` and :meth:`write`.

    ``checkpoints_aside``: SQLite's WAL checkpoints run on a worker thread instead of inside a
    commit on the event loop (storage/wal_checkpoints.py). For a long-running process; others
    keep SQLite's automatic checkpoints.
    """

    def __init__(
        self,
        url: str,
        *,
        busy_timeout_seconds: float = 30.0,
        echo: bool = False,
        checkpoints_aside: bool = False,
    ) -> None:
        self.url = url
        self.is_sqlite = is_sqlite(url)
        self.busy_timeout_seconds = busy_timeout_seconds
        ensure_sqlite_folder(url)
        self._pragmas: tuple[str, ...] = SQLITE_PRAGMAS
        self._checkpointer: Checkpointer | None = None
        path = make_url(url).database if self.is_sqlite else None
        if checkpoints_aside and path not in (None, "", ":memory:"):
            self._pragmas = (*SQLITE_PRAGMAS, NO_AUTOMATIC_CHECKPOINTS)
            self._checkpointer = Checkpointer(str(Path(str(path)).expanduser()), busy_timeout_seconds)
        if self.is_sqlite:
            connect = inline_connector(url, busy_timeout_seconds)
            self.engine = create_async_engine(url, echo=echo, async_creator=connect)
        else:
            # Enough connections stay open for a busy minute, so none is opened per transaction.
            # No pool_pre_ping: its ping (BEGIN, a statement, ROLLBACK) would precede every
            # transaction. The check installed below makes no round trip for a connection in use.
            self.engine = create_async_engine(url, echo=echo, pool_size=POSTGRES_POOL_SIZE)
            refuse_dead_connections(self.engine.sync_engine)
        self._writer = self.engine
        self._reader = self.engine
        if not self.is_sqlite:
            # Reads without BEGIN and ROLLBACK: under READ COMMITTED each statement takes its own
            # snapshot anyway, so a transaction around reads cost two round trips and bought nothing.
            self._reader = self.engine.execution_options(isolation_level="AUTOCOMMIT")
        # One lock per event loop: tests run one Database in several loops, one after another.
        self._write_locks: dict[asyncio.AbstractEventLoop, asyncio.Lock] | None = None
        self._write_owner: asyncio.Task[Any] | None = None
        self._driver_connections: set[Any] = set()
        self._aside: AsyncEngine | None = None  # SQLite on aiosqlite's threads, for long reads
        if self.is_sqlite:
            _tune_sqlite(self.engine, self._pragmas)
            self._writer = self.engine.execution_options(**{_IMMEDIATE: True})
            self._write_locks = {}

    @asynccontextmanager
    async def read(self) -> AsyncIterator[AsyncSession]:
        """A session for queries; it refuses to write what it changes (:class:`ReadOnlySession`)."""
        async with AsyncSession(
            self._reader, expire_on_commit=False, sync_session_class=ReadOnlySession
        ) as session:
            yield session

    @asynccontextmanager
    async def read_aside(self) -> AsyncIterator[AsyncSession]:
        """A session for long queries (a report over every case): on SQLite its statements run on
        a thread of their own, so the bot goes on answering meanwhile. PostgreSQL: :meth:`read`."""
        if not self.is_sqlite:
            async with self.read() as session:
                yield session
            return
        if self._aside is None:
            self._aside = create_async_engine(self.url)
        async with AsyncSession(self._aside, expire_on_commit=False) as session:
            yield session

    @asynccontextmanager
    async def write(self) -> AsyncIterator[AsyncSession]:
        """One write transaction: committed when the block ends, rolled back if it raises."""
        async with self.writer_turn():
            async with AsyncSession(self._writer, expire_on_commit=False) as session, session.begin():
                yield session
        note_commit()  # reached only when the commit went through

    async def driver_connection(self) -> Any:
        """A connection of the driver itself, outside the pool, for the caller to keep and close.

        SQLite: an :class:`~storage.sqlite_inline.InlineConnection` tuned like the pool's;
        PostgreSQL: an asyncpg connection.
        """
        connection: Any
        if self.is_sqlite:
            connection = await inline_connector(self.url, self.busy_timeout_seconds)()
            connection.isolation_level = None
            await connection.when_free(_use_wal, connection.sqlite.cursor())
            for pragma in self._pragmas:
                await connection.when_free(connection.sqlite.execute, pragma)
        else:
            arguments, options = self.engine.dialect.create_connect_args(self.engine.url)
            connection = await asyncpg.connect(*arguments, **options)
        self._driver_connections.add(connection)
        return connection

    @asynccontextmanager
    async def writer_turn(self) -> AsyncIterator[None]:
        """Wait for this process's other SQLite writers (PostgreSQL: go straight on)."""
        if self._write_locks is None:
            yield
            return
        task = asyncio.current_task()
        if task is not None and task is self._write_owner:
            # Waiting for our own lock would hang; SQLite would have failed after the busy timeout.
            raise RuntimeError("a SQLite write transaction inside another one")
        loop = asyncio.get_running_loop()
        if loop not in self._write_locks:
            self._write_locks = {loop: asyncio.Lock()}  # loops that have ended are let go
        lock = self._write_locks[loop]
        if lock.locked():
            # As long as SQLite itself would wait, so a writer that never finishes is an error, not a hang.
            # (Only when there is a wait: a timer per transaction costs more than the transaction.)
            async with asyncio.timeout(self.busy_timeout_seconds):
                await lock.acquire()
        else:
            await lock.acquire()
        self._write_owner = task
        try:
            yield
        finally:
            self._write_owner = None
            lock.release()
            if self._checkpointer is not None:
                self._checkpointer.after_write()

    async def dispose(self) -> None:
        """Close the pool and any driver connection still open."""
        if self._checkpointer is not None:
            await self._checkpointer.close()
        connections, self._driver_connections = self._driver_connections, set()
        for connection in connections:
            if not connection.is_closed():
                await connection.close()
        if self._aside is not None:
            await self._aside.dispose()
            self._aside = None
        await self.engine.dispose()
