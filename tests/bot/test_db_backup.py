"""``redprop db backup`` and ``redprop db restore``: SQLite's online backup, and the pointer to
pg_dump for PostgreSQL."""

from __future__ import annotations

import asyncio
import contextvars
import sqlite3
from pathlib import Path

import pytest

from bot.cli import main
from bot.instances import FileLock
from storage.database import Database
from tests.factories.world import make_world


def people(path: Path | str) -> list[str]:
    with sqlite3.connect(path) as connection:
        names = [str(row[0]) for row in connection.execute("SELECT name FROM person ORDER BY id")]
    connection.close()
    return names


def redprop(url: str, *args: str) -> int:
    # In a context of its own: main() sets the locale, which must not outlive the call.
    arguments = ["--set", f"database.url={url}", "--set", "bot.default_locale=en", "db", *args]
    return contextvars.copy_context().run(main, arguments)


async def test_backup_then_restore_brings_back_the_data(
    db: Database, sqlite_path: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    await make_world(db)
    url = db.url
    saved = people(sqlite_path)
    assert len(saved) >= 5
    backup = tmp_path / "backup.db"

    # Taken while a connection of the application is open, as with the bot running.
    async with db.read():
        assert await asyncio.to_thread(redprop, url, "backup", str(backup)) == 0
    assert f"to {backup}" in capsys.readouterr().out
    assert people(backup) == saved

    with sqlite3.connect(sqlite_path) as connection:
        connection.execute("DELETE FROM role")
        connection.execute("DELETE FROM person")
    connection.close()
    assert people(sqlite_path) == []
    await db.dispose()
    assert await asyncio.to_thread(redprop, url, "restore", str(backup)) == 0
    assert "the next start applies" in capsys.readouterr().out
    assert people(sqlite_path) == saved


async def test_backup_never_overwrites_and_restore_takes_only_a_database(
    db: Database, sqlite_path: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    existing = tmp_path / "existing.db"
    existing.write_text("keep me")
    assert await asyncio.to_thread(redprop, db.url, "backup", str(existing)) == 2
    assert existing.read_text() == "keep me"
    assert "exists already" in capsys.readouterr().err

    assert await asyncio.to_thread(redprop, db.url, "restore", str(existing)) == 2
    assert "is not a SQLite database backup" in capsys.readouterr().err


async def test_restore_is_refused_while_the_bot_runs(
    db: Database, sqlite_path: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    await make_world(db)
    backup = tmp_path / "backup.db"
    assert await asyncio.to_thread(redprop, db.url, "backup", str(backup)) == 0
    running = FileLock(db.url)  # what `redprop run` holds while it runs
    await running.acquire()
    try:
        with sqlite3.connect(sqlite_path) as connection:
            connection.execute("DELETE FROM role")
        connection.close()
        assert await asyncio.to_thread(redprop, db.url, "restore", str(backup)) == 2
        assert "stop it before restoring" in capsys.readouterr().err
    finally:
        await running.release()
    with sqlite3.connect(sqlite_path) as connection:
        assert connection.execute("SELECT count(*) FROM role").fetchone() == (0,)
    connection.close()


def test_postgresql_points_to_pg_dump_and_pg_restore(capsys: pytest.CaptureFixture[str]) -> None:
    url = "postgresql+asyncpg://redprop:secret@db:5432/redprop"
    assert redprop(url, "backup", "out.dump") == 2
    err = capsys.readouterr().err
    assert "pg_dump --format=custom --file FILE 'postgresql://redprop:***@db:5432/redprop'" in err
    assert "secret" not in err
    assert redprop(url, "restore", "out.dump") == 2
    assert "pg_restore --clean" in capsys.readouterr().err
