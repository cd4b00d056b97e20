"""The database's sessions: SQLite writers one at a time and never nested; read sessions never write."""

from __future__ import annotations

import asyncio

import pytest
from sqlmodel import select

from bot.persistence.chat_state import ChatState
from models.base import utcnow
from storage.database import Database


async def test_sqlite_writers_of_one_process_take_turns_and_a_nested_write_fails_at_once(
    db: Database,
) -> None:
    if not db.is_sqlite:
        pytest.skip("PostgreSQL runs write transactions side by side")
    inside = 0
    most = 0

    async def write(number: int) -> None:
        nonlocal inside, most
        async with db.write() as session:
            inside += 1
            most = max(most, inside)
            session.add(ChatState(kind="test", key=str(number), value="1", updated_at=utcnow()))
            await asyncio.sleep(0.01)
            inside -= 1

    await asyncio.gather(*(write(n) for n in range(5)))
    assert most == 1
    async with db.read() as session:
        assert len(list(await session.exec(select(ChatState)))) == 5
    async with db.write():
        with pytest.raises(RuntimeError, match="inside another"):
            async with db.write():
                pass


async def test_a_read_session_refuses_to_write_and_stores_nothing(db: Database) -> None:
    async with db.write() as session:
        session.add(ChatState(kind="test", key="kept", value="1", updated_at=utcnow()))
    with pytest.raises(RuntimeError, match="does not write"):
        async with db.read() as session:
            session.add(ChatState(kind="test", key="added", value="1", updated_at=utcnow()))
            await session.flush()
    with pytest.raises(RuntimeError, match="does not write"):
        async with db.read() as session:
            kept = (await session.exec(select(ChatState).where(ChatState.key == "kept"))).one()
            kept.value = "changed"
            # The next query flushes first (autoflush), and that is refused too.
            await session.exec(select(ChatState))
    async with db.read() as session:
        rows = list(
            await session.exec(select(ChatState.key, ChatState.value).where(ChatState.kind == "test"))
        )
    assert rows == [("kept", "1")]


async def test_a_read_session_may_look_without_writing(db: Database) -> None:
    async with db.write() as session:
        session.add(ChatState(kind="test", key="kept", value="1", updated_at=utcnow()))
    async with db.read() as session:
        kept = (await session.exec(select(ChatState).where(ChatState.key == "kept"))).one()
        kept.value = "1"  # set to what it was: nothing to write
        assert [row.key for row in await session.exec(select(ChatState))] == ["kept"]
