"""The test database's sessions ended from outside, as a PostgreSQL restart ends them."""

from __future__ import annotations

import asyncpg  # type: ignore[import-untyped]
from sqlalchemy.engine import make_url


async def end_other_sessions(url: str) -> int:
    """Terminate every other session on the database of ``url``; return once they are gone."""
    dsn = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    connection = await asyncpg.connect(dsn)
    try:
        # Listed first: in one WHERE clause, PostgreSQL may terminate before it filters out its own.
        others = await connection.fetchval(
            "SELECT array_agg(pid) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
        ended: int = await connection.fetchval(
            "SELECT count(*) FROM unnest($1::int[]) AS pid WHERE pg_terminate_backend(pid, 5000)", others
        )
    finally:
        await connection.close()
    return ended
