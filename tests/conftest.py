"""Shared fixtures: a migrated database per test, on SQLite or (when asked) PostgreSQL.

Set ``REDPROP_TEST_DATABASE_URL`` (e.g. ``postgresql+asyncpg://postgres@127.0.0.1:5432/test``)
to run the whole suite on PostgreSQL. Migrations run once per session; each test then gets
an empty database: a copy of the migrated SQLite file, or the PostgreSQL tables truncated.
"""

from __future__ import annotations

import asyncio
import os
import shutil
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url

from bot.migrations import metadata, upgrade
from storage.database import Database

PG_URL = os.environ.get("REDPROP_TEST_DATABASE_URL", "")


@pytest.fixture(autouse=True)
def _isolated_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """Keep the developer's own REDPROP_* settings out of the tests."""
    for name in list(os.environ):
        if name.startswith("REDPROP_") and name != "REDPROP_TEST_DATABASE_URL":
            monkeypatch.delenv(name)


@pytest.fixture(scope="session")
def migrated_template(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Run the shipped migrations once; return the URL tests copy (SQLite) or reuse (PostgreSQL).

    On PostgreSQL the suite works in a database of its own, created next to the one named in
    REDPROP_TEST_DATABASE_URL, so two test runs on one server never meet.
    """
    if PG_URL:
        url = _private_database(PG_URL, create=True)
        upgrade(url)
        yield url
        _private_database(PG_URL, create=False)
        return
    path = tmp_path_factory.mktemp("template") / "template.db"
    url = f"sqlite+aiosqlite:///{path}"
    upgrade(url)
    yield url


def _private_database(server_url: str, *, create: bool) -> str:
    """(Re)create, or drop, this run's own database; return its URL."""
    from sqlalchemy.ext.asyncio import create_async_engine

    base = make_url(server_url)
    name = f"{base.database}_run{os.getpid()}"

    async def go() -> None:
        engine = create_async_engine(base, isolation_level="AUTOCOMMIT")
        async with engine.connect() as connection:
            await connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            if create:
                await connection.execute(text(f'CREATE DATABASE "{name}"'))
        await engine.dispose()

    asyncio.run(go())
    return base.set(database=name).render_as_string(hide_password=False)


@pytest.fixture
def database_url(migrated_template: str, tmp_path: Path) -> Iterator[str]:
    """The URL of an empty, migrated database for this test."""
    if PG_URL:
        asyncio.run(_truncate_all(migrated_template))
        yield migrated_template
        return
    template = make_url(migrated_template).database
    assert template is not None
    target = tmp_path / "redprop.db"
    shutil.copyfile(template, target)
    yield f"sqlite+aiosqlite:///{target}"


@pytest.fixture
def sqlite_path(database_url: str) -> str:
    """The test database's file; the test is skipped on PostgreSQL."""
    if not database_url.startswith("sqlite"):
        pytest.skip("SQLite only")
    path = make_url(database_url).database
    assert path is not None
    return path


@pytest.fixture
def postgres_url(database_url: str) -> str:
    """The test database's URL; the test is skipped on SQLite."""
    if database_url.startswith("sqlite"):
        pytest.skip("PostgreSQL only")
    return database_url


async def _truncate_all(url: str) -> None:
    from sqlalchemy.ext.asyncio import create_async_engine

    engine = create_async_engine(url)
    tables = ", ".join(f'"{table.name}"' for table in metadata.sorted_tables)
    async with engine.begin() as connection:
        await connection.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
    await engine.dispose()


@pytest.fixture
async def db(database_url: str) -> AsyncIterator[Database]:
    database = Database(database_url)
    yield database
    await database.dispose()
