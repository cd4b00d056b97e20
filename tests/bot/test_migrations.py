"""The shipped migrations build exactly the schema the models describe, and undo cleanly."""

from __future__ import annotations

import asyncio
from typing import Any

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy.ext.asyncio import create_async_engine

from bot.migrations import alembic_config, metadata, upgrade


def _differences(url: str) -> list[Any]:
    async def compare() -> list[Any]:
        engine = create_async_engine(url)
        async with engine.connect() as connection:
            diff = await connection.run_sync(
                lambda sync: compare_metadata(MigrationContext.configure(sync), metadata)
            )
        await engine.dispose()
        return list(diff)

    return asyncio.run(compare())


def test_migrations_match_the_models(database_url: str) -> None:
    assert _differences(database_url) == [], "run alembic autogenerate: the models changed"


def test_migrations_downgrade_to_nothing_and_back(database_url: str) -> None:
    command.downgrade(alembic_config(database_url), "base")
    upgrade(database_url)
    assert _differences(database_url) == []
