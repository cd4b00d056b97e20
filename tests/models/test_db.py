"""The database's write transactions on SQLite: one at a time in a process, never nested."""

from __future__ import annotations

import asyncio

import pytest
from sqlmodel import select

from models.base import utcnow
from models.chat_state import ChatState
from models.db import Database


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
