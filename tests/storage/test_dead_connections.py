"""After the server closes the pool's connections (a restart), the next transactions still succeed."""

from __future__ import annotations

import asyncio
import threading

import pytest
from sqlalchemy import text
from sqlmodel import col, select

from bot.persistence.chat_state import ChatState
from models.base import utcnow
from storage import dead_connections
from storage.database import Database
from tests.server_restart import end_other_sessions

HELD = 4  # connections the pool holds open before the "restart"


async def _fill_pool(db: Database) -> None:
    """Leave several connections in the pool, each used for a read and one for a write too."""

    async def hold() -> None:
        async with db.read() as session:
            await session.exec(select(ChatState))
            await asyncio.sleep(0.05)  # so the others need connections of their own

    await asyncio.gather(*(hold() for _ in range(HELD)))
    await _write(db, "before")


async def _write(db: Database, key: str) -> None:
    async with db.write() as session:
        session.add(ChatState(kind="test", key=key, value="1", updated_at=utcnow()))


async def _backend(db: Database) -> int:
    async with db.read() as session:
        pid: int = (await session.exec(text("SELECT pg_backend_pid()"))).scalar_one()  # type: ignore[call-overload]
        return pid


async def _keys(db: Database) -> list[str]:
    async with db.read() as session:
        return list(await session.exec(select(ChatState.key).order_by(col(ChatState.key))))


@pytest.mark.parametrize("first", ["read", "write"])
async def test_reads_and_writes_right_after_the_server_closed_the_pool_succeed(
    db: Database, postgres_url: str, first: str
) -> None:
    await _fill_pool(db)
    before = await _backend(db)
    assert await end_other_sessions(postgres_url) >= HELD
    await asyncio.sleep(0.1)  # the event loop sees the sockets close, as it has long before a restart ends

    if first == "write":
        await _write(db, "after")
    assert await _backend(db) != before
    if first == "read":
        await _write(db, "after")
    await asyncio.gather(*(_write(db, f"together {number}") for number in range(HELD)), _keys(db), _keys(db))

    assert await _keys(db) == ["after", "before", *(f"together {number}" for number in range(HELD))]


async def test_a_connection_closed_unnoticed_is_pinged_after_sitting_idle(
    db: Database, postgres_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    await _fill_pool(db)
    # The event loop is held up while the sessions end, so asyncpg has not seen their sockets close.
    ended: list[int] = []
    ending = threading.Thread(target=lambda: ended.append(asyncio.run(end_other_sessions(postgres_url))))
    ending.start()
    ending.join()
    assert ended[0] >= HELD
    monkeypatch.setattr(dead_connections, "IDLE_PING_SECONDS", 0.0)

    await _write(db, "after")
    assert await _keys(db) == ["after", "before"]
    await asyncio.gather(*(_write(db, f"together {number}") for number in range(HELD)))
    assert len(await _keys(db)) == 2 + HELD


async def test_a_live_connection_answers_the_ping_and_is_kept(
    db: Database, postgres_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = await _backend(db)
    monkeypatch.setattr(dead_connections, "IDLE_PING_SECONDS", 0.0)
    assert await _backend(db) == before
