"""Chat state written through the driver: what the table holds, a busy database, a lost connection."""

from __future__ import annotations

import asyncio
import sqlite3
from datetime import timedelta

import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlmodel import select

from bot.persistence.chat_state import ChatState
from bot.persistence.writer import ChatStateWriter
from models.base import utcnow
from storage.database import Database


async def stored(database: Database) -> dict[tuple[str, str], tuple[str, object]]:
    async with database.read() as session:
        return {
            (row.kind, row.key): (row.value, row.updated_at) for row in await session.exec(select(ChatState))
        }


async def test_rows_are_upserted_and_deleted_and_read_back_through_the_models(db: Database) -> None:
    writer = ChatStateWriter(db)
    first = utcnow()
    await writer.write([("user_data", "7", '{"a": 1}'), ("user_data", "8", "{}")], [], first)
    later = first + timedelta(seconds=5)
    await writer.write([("user_data", "7", '{"a": 2}')], [("user_data", "8")], later)
    # The timestamp comes back aware and equal, as from any row the models wrote.
    assert await stored(db) == {("user_data", "7"): ('{"a": 2}', later)}
    await writer.close()


async def test_a_database_locked_by_another_process_is_waited_for_without_blocking_the_loop(
    db: Database,
) -> None:
    if not db.is_sqlite:
        pytest.skip("PostgreSQL writers do not lock the whole database")
    path = make_url(db.url).database
    assert path is not None
    writer = ChatStateWriter(db)
    await writer.write([("user_data", "1", "{}")], [], utcnow())  # connected before the lock is taken
    other = sqlite3.connect(path, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    ticks = 0

    async def tick() -> None:
        nonlocal ticks
        while True:
            ticks += 1
            await asyncio.sleep(0.01)

    ticker = asyncio.ensure_future(tick())
    write = asyncio.ensure_future(writer.write([("user_data", "7", '{"a": 1}')], [], utcnow()))
    await asyncio.sleep(0.3)
    assert not write.done()
    assert ticks >= 10  # the loop went on serving while the write waited
    other.rollback()
    await asyncio.wait_for(write, 5)
    ticker.cancel()
    other.close()
    assert (await stored(db))[("user_data", "7")][0] == '{"a": 1}'
    await writer.close()


async def test_a_lost_postgresql_connection_is_replaced_and_the_batch_written(
    db: Database, caplog: pytest.LogCaptureFixture
) -> None:
    if db.is_sqlite:
        pytest.skip("a SQLite file has no connection to lose")
    writer = ChatStateWriter(db)
    await writer.write([("user_data", "7", '{"a": 1}')], [], utcnow())
    async with db.engine.connect() as connection:
        pid = await writer._connection.fetchval("SELECT pg_backend_pid()")
        await connection.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
    await writer.write([("user_data", "7", '{"a": 2}')], [], utcnow())
    assert "connection lost" in caplog.text
    assert (await stored(db))[("user_data", "7")][0] == '{"a": 2}'
    # The new connection, too, commits chat state without waiting for the disk; nothing else does.
    assert await writer._connection.fetchval("SHOW synchronous_commit") == "off"
    async with db.engine.connect() as connection:
        assert (await connection.execute(text("SHOW synchronous_commit"))).scalar_one() == "on"
    await writer.close()
