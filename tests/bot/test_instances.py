"""The active instance's lock on PostgreSQL: a standby waits for it, and the active instance
stops when it has lost it to another (after its connection was cut), or takes it again if free."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import timedelta

import asyncpg  # type: ignore[import-untyped]
import pytest

from bot.instances import Leadership

TAKEOVER = timedelta(seconds=1)  # tries every 0.25 s, checks every 0.5 s


async def cut_connections(leadership: Leadership) -> None:
    """What a database restart or a network cut does to the lock's connection: the server ends it."""
    pid = leadership._connection.get_server_pid()
    admin = await asyncpg.connect(leadership.dsn)
    try:
        await admin.execute("SELECT pg_terminate_backend($1)", pid)
    finally:
        await admin.close()


@pytest.fixture
async def two(postgres_url: str) -> AsyncIterator[tuple[Leadership, Leadership]]:
    """Two instances on one database, the first of them active; both let go at the end."""
    active = Leadership(postgres_url, takeover_after=TAKEOVER)
    standby = Leadership(postgres_url, takeover_after=TAKEOVER)
    await active.acquire()
    yield active, standby
    await active.release()
    await standby.release()


async def test_a_standby_waits_until_the_active_one_releases(two: tuple[Leadership, Leadership]) -> None:
    active, standby = two
    waiting = asyncio.create_task(standby.acquire())
    await asyncio.sleep(1.0)
    assert not waiting.done()
    await active.release()
    await asyncio.wait_for(waiting, 5)


async def test_the_active_one_stops_when_another_took_the_lock(two: tuple[Leadership, Leadership]) -> None:
    active, standby = two
    active.check_every = 2.0  # the standby (every 0.25 s) asks first once the connection is cut
    stopped = asyncio.Event()
    active.watch(stopped.set)
    waiting = asyncio.create_task(standby.acquire())
    await cut_connections(active)
    await asyncio.wait_for(waiting, 5)  # the standby took over...
    await asyncio.wait_for(stopped.wait(), 5)  # ...and the old active one stops
    assert active.lost


async def test_the_active_one_takes_its_lock_again_when_nobody_else_did(postgres_url: str) -> None:
    active = Leadership(postgres_url, takeover_after=TAKEOVER)
    await active.acquire()
    stopped = asyncio.Event()
    active.watch(stopped.set)
    await cut_connections(active)
    await asyncio.sleep(1.5)  # three checks
    assert not stopped.is_set() and not active.lost
    other = Leadership(postgres_url, takeover_after=TAKEOVER)
    assert not await other._try_once()  # held again
    await other.release()
    await active.release()
