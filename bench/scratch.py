"""A throw-away PostgreSQL database for a benchmark run, beside the one a URL names."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine

from bot.migrations import upgrade


async def _admin(url: str, statement: str) -> None:
    engine = create_async_engine(url, isolation_level="AUTOCOMMIT")
    async with engine.connect() as connection:
        await connection.execute(text(statement))
    await engine.dispose()


@contextmanager
def scratch_postgres(url: str) -> Iterator[str]:
    """Create a migrated database next to ``url``'s, yield its URL, and drop it afterwards."""
    name = f"redprop_bench_{os.getpid()}"
    scratch = make_url(url).set(database=name).render_as_string(hide_password=False)
    asyncio.run(_admin(url, f'CREATE DATABASE "{name}"'))
    try:
        upgrade(scratch)
        yield scratch
    finally:
        asyncio.run(_admin(url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
