"""WAL checkpoints on a worker thread: commits never checkpoint, and the log still reaches the file."""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlmodel import col, func, select

from bot.persistence.chat_state import ChatState
from models.base import utcnow
from storage import wal_checkpoints
from storage.database import Database

ROWS = 40


def rows_in_file_alone(path: str, copy: Path) -> int:
    """The chat state rows the database file holds without its WAL (what a checkpoint copied)."""
    shutil.copyfile(path, copy)
    connection = sqlite3.connect(copy)
    try:
        return int(connection.execute("SELECT count(*) FROM chat_state WHERE kind = 'test'").fetchone()[0])
    finally:
        connection.close()


async def write_rows(database: Database, count: int, size: int) -> None:
    for number in range(count):
        async with database.write() as session:
            session.add(ChatState(kind="test", key=str(number), value="x" * size, updated_at=utcnow()))


async def automatic_checkpoint_pages(database: Database) -> int:
    async with database.read() as session:
        connection = await session.connection()
        return int((await connection.execute(text("PRAGMA wal_autocheckpoint"))).scalar_one())


@pytest.mark.parametrize("checkpoints_aside", [True, False])
async def test_commits_leave_checkpoints_to_the_worker(
    database_url: str,
    sqlite_path: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    checkpoints_aside: bool,
) -> None:
    monkeypatch.setattr(wal_checkpoints, "CHECK_EVERY", 10**9)  # the worker never starts here
    database = Database(database_url, checkpoints_aside=checkpoints_aside)
    try:
        assert await automatic_checkpoint_pages(database) == (0 if checkpoints_aside else 1000)
        driver = await database.driver_connection()
        assert driver.sqlite.execute("PRAGMA wal_autocheckpoint").fetchone()[0] == (
            0 if checkpoints_aside else 1000
        )
        # Some 1,500 pages of log: SQLite's own checkpoint (at 1,000) copies rows into the file.
        await write_rows(database, 300, 20_000)
        in_file = rows_in_file_alone(sqlite_path, tmp_path / "copy.db")
    finally:
        await database.dispose()
    if checkpoints_aside:
        assert in_file == 0
    else:
        assert in_file > 0


async def test_a_grown_log_is_copied_into_the_file_by_the_worker(
    database_url: str, sqlite_path: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(wal_checkpoints, "CHECK_EVERY", 5)
    monkeypatch.setattr(wal_checkpoints, "WAL_BYTES", 1)
    database = Database(database_url, checkpoints_aside=True)
    try:
        await write_rows(database, ROWS, 2000)
        await database.dispose()  # waits for the checkpoint still running
        # What was committed before the last checkpoint started is in the file itself.
        assert rows_in_file_alone(sqlite_path, tmp_path / "copy.db") >= ROWS - 5
        async with database.read() as session:
            query = select(func.count(col(ChatState.id))).where(ChatState.kind == "test")
            assert (await session.exec(query)).one() == ROWS
    finally:
        await database.dispose()
