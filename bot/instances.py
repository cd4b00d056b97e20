"""One active ``redprop run`` per database; on PostgreSQL a second one waits as a hot standby.

PostgreSQL: the active instance holds a session-level advisory lock on a connection of its own
(:class:`Leadership`). A second instance started on the same database finds the lock taken,
says so once and tries again every quarter of ``bot.takeover_after``, with its modules loaded
and its configuration read; it polls nothing, runs no job and starts no outbox worker. When the
active process ends, even by SIGKILL, its connection closes and the server frees the lock at
once; when its machine vanishes, the keepalives set on that connection make the server notice
within about a third of ``bot.takeover_after``. The standby then applies pending migrations,
loads the conversations as the old one left them and starts polling. The active instance checks
every half of ``bot.takeover_after`` that its lock connection still answers: after a database
restart it takes the lock again if it is still free, and otherwise stops with exit status 1, as
the other instance has taken over (a service manager starts it again, as the new standby).

SQLite: one process only. An exclusive ``flock`` on ``<database file>.lock`` (:class:`FileLock`)
refuses a second instance with one line; the kernel drops the lock when the process ends.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import logging
import os
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import IO, Any, Protocol

import asyncpg  # type: ignore[import-untyped]
from sqlalchemy.engine import make_url

from bot.startup import StartFailed
from locales.i18n import gettext as _
from storage.database import ensure_sqlite_folder, is_sqlite

logger = logging.getLogger(__name__)

# pg_advisory_lock's key for "the active redprop run" ("redp" in ASCII); one per database.
LEADER_LOCK_KEY = 0x72656470
CHECK_TIMEOUT = 5.0  # seconds for the lock connection to answer a check


class Instance(Protocol):
    """What ``redprop run`` holds while it is the active instance."""

    lost: bool

    async def acquire(self) -> None: ...

    def watch(self, on_lost: Callable[[], None]) -> None: ...

    async def release(self) -> None: ...


def instance_for(url: str, *, takeover_after: timedelta) -> Instance:
    if is_sqlite(url):
        return FileLock(url)
    return Leadership(url, takeover_after=takeover_after)


class FileLock:
    """An exclusive lock on a file beside the SQLite database, held for the life of the process."""

    lost = False

    def __init__(self, url: str) -> None:
        database = make_url(url).database or ""
        self.path = Path(f"{database}.lock").expanduser() if database not in ("", ":memory:") else None
        self._file: IO[str] | None = None
        ensure_sqlite_folder(url)

    async def acquire(self) -> None:
        if self.path is None:
            return
        handle = self.path.open("a+", encoding="utf-8")
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            holder = handle.read().strip() or "?"
            handle.close()
            raise StartFailed(
                _(
                    "Start failed: another redprop run (pid {pid}) is using the SQLite database {path}. "
                    "SQLite allows one instance: stop that one first, or use PostgreSQL for a standby."
                ).format(pid=holder, path=self.path.with_suffix(""))
            ) from None
        handle.seek(0)
        handle.truncate()
        handle.write(f"{os.getpid()}\n")
        handle.flush()
        self._file = handle

    def watch(self, on_lost: Callable[[], None]) -> None:
        pass  # a flock cannot be lost while the process lives

    async def release(self) -> None:
        if self._file is not None:
            self._file.close()  # closing the file drops the flock
            self._file = None


class Leadership:
    """The PostgreSQL advisory lock that makes one instance the active one."""

    def __init__(self, url: str, *, takeover_after: timedelta) -> None:
        self.dsn = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
        seconds = max(takeover_after.total_seconds(), 1.0)
        self.try_every = seconds / 4  # a standby's attempts
        self.check_every = seconds / 2  # the active instance's checks of its lock
        # The server drops a vanished client's connection, and its lock, after idle + count × interval.
        self.keepalives = {
            "tcp_keepalives_idle": str(max(1, int(seconds / 3))),
            "tcp_keepalives_interval": str(max(1, int(seconds / 9))),
            "tcp_keepalives_count": "3",
            "application_name": "redprop run (active)",
        }
        self.lost = False
        self._connection: Any = None
        self._watch: asyncio.Task[None] | None = None

    async def _try_once(self) -> bool:
        """Take the lock on a connection of our own if it is free; keep the connection either way."""
        if self._connection is None or self._connection.is_closed():
            self._connection = await asyncpg.connect(self.dsn, server_settings=self.keepalives)
        return bool(await self._connection.fetchval("SELECT pg_try_advisory_lock($1)", LEADER_LOCK_KEY))

    async def _close(self) -> None:
        connection, self._connection = self._connection, None
        if connection is not None and not connection.is_closed():
            with contextlib.suppress(Exception):
                await asyncio.wait_for(connection.close(), CHECK_TIMEOUT)
            if not connection.is_closed():
                connection.terminate()

    async def acquire(self) -> None:
        """Return once this process is the active instance; until then wait as the standby."""
        told = False
        while True:
            try:
                if await self._try_once():
                    if told:
                        logger.warning("standby: the active instance is gone; taking over")
                    return
            except (TimeoutError, OSError, asyncpg.PostgresError) as error:
                logger.warning("standby: the database lock could not be asked for: %s", error)
                await self._close()
            if not told:
                logger.info(
                    "standby: another redprop run is active on this database; taking over when it ends"
                )
                told = True
            await asyncio.sleep(self.try_every)

    def watch(self, on_lost: Callable[[], None]) -> None:
        """Check the lock every ``check_every`` on the running loop; call ``on_lost`` if it is gone."""
        self._watch = asyncio.get_event_loop().create_task(self._keep(on_lost), name="leadership")

    async def _keep(self, on_lost: Callable[[], None]) -> None:
        while True:
            await asyncio.sleep(self.check_every)
            try:
                await asyncio.wait_for(self._connection.fetchval("SELECT 1"), CHECK_TIMEOUT)
                continue
            except (TimeoutError, OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as error:
                logger.warning("the database lock's connection failed: %s", error)
            await self._close()
            try:
                if await asyncio.wait_for(self._try_once(), CHECK_TIMEOUT):
                    logger.warning("the database lock was taken again; still the active instance")
                    continue
            except Exception as error:  # whatever it is, the lock is not held: stop rather than guess
                logger.warning("the database lock could not be taken again: %s", error)
            logger.error("lost the database lock: another instance may be active; stopping")
            self.lost = True
            on_lost()
            return

    async def release(self) -> None:
        if self._watch is not None:
            self._watch.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._watch
        await self._close()  # ending the session frees the lock
