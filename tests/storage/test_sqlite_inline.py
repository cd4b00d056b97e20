"""SQLite on the event loop's thread: another writer's lock is waited for without stopping the loop."""

from __future__ import annotations

import asyncio
import sqlite3
import time
from collections.abc import AsyncIterator, Iterator

import pytest
from sqlalchemy import text
from sqlalchemy.exc import OperationalError
from sqlmodel import select

from bot.persistence.chat_state import ChatState
from models.base import utcnow
from storage.database import Database


@pytest.fixture
def other_writer(sqlite_path: str) -> Iterator[sqlite3.Connection]:
    """Another connection (as another process would be) holding the database's write lock."""
    connection = sqlite3.connect(sqlite_path, isolation_level=None)
    connection.execute("PRAGMA journal_mode=WAL")  # as the bot leaves the file once it has run
    connection.execute("BEGIN IMMEDIATE")
    yield connection
    connection.close()


@pytest.fixture
async def ticks() -> AsyncIterator[list[int]]:
    """How often the event loop got round to a task that wakes every 10 ms."""
    count = [0]

    async def tick() -> None:
        while True:
            count[0] += 1
            await asyncio.sleep(0.01)

    ticker = asyncio.ensure_future(tick())
    yield count
    ticker.cancel()


def row(number: int) -> ChatState:
    return ChatState(kind="test", key=str(number), value="1", updated_at=utcnow())


async def test_a_write_waits_for_another_writers_lock_while_the_loop_runs_on(
    database_url: str, sqlite_path: str, ticks: list[int]
) -> None:
    database = Database(database_url)
    async with database.read() as session:  # connected before the lock is taken
        await session.exec(select(ChatState))
    other = sqlite3.connect(sqlite_path, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")

    async def write() -> None:
        async with database.write() as session:
            session.add(row(1))

    waiting = asyncio.ensure_future(write())
    await asyncio.sleep(0.3)
    assert not waiting.done()
    assert ticks[0] >= 10
    other.rollback()
    await asyncio.wait_for(waiting, 5)
    other.close()
    async with database.read() as session:
        assert [state.key for state in await session.exec(select(ChatState))] == ["1"]
    await database.dispose()


async def test_reads_go_on_while_another_writer_holds_the_lock(
    database_url: str, other_writer: sqlite3.Connection
) -> None:
    database = Database(database_url)
    async with database.read() as session:
        assert list(await session.exec(select(ChatState))) == []
    await database.dispose()


async def test_a_write_gives_up_after_the_busy_timeout_and_leaves_nothing(
    database_url: str, other_writer: sqlite3.Connection
) -> None:
    database = Database(database_url, busy_timeout_seconds=0.2)
    with pytest.raises(OperationalError, match="locked"):
        async with database.write() as session:
            session.add(row(1))
    other_writer.rollback()
    async with database.read() as session:
        assert list(await session.exec(select(ChatState))) == []
    await database.dispose()


async def test_a_long_read_aside_leaves_the_loop_serving(database_url: str, ticks: list[int]) -> None:
    database = Database(database_url)
    count = text(
        "WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM n WHERE x < 2000000) "
        "SELECT count(*) FROM n"
    )
    before = ticks[0]
    started = time.monotonic()
    async with database.read_aside() as session:
        assert (await session.exec(count)).one() == (2000000,)
    took = time.monotonic() - started
    # A tick every 10 ms while the query ran: the loop was not blocked (inline it would be).
    assert ticks[0] - before >= took / 0.01 / 2
    await database.dispose()
