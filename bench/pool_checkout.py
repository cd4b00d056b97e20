"""What a check on pool checkout costs on PostgreSQL: none, a ping each time, or the bot's own.

Four :class:`~storage.database.Database` objects are open on one scratch database at once:

* ``bare``: no check at all (the pool before this check);
* ``pre-ping``: SQLAlchemy's ``pool_pre_ping=True`` (outside autocommit its ping is
  ``BEGIN``, a statement and ``ROLLBACK``);
* ``ping``: the bot's check with its idle limit at zero, so every checkout pings (one round trip);
* ``check``: what the bot ships (storage/dead_connections.py): a look at the driver's connection,
  and a ping only after an idle spell that a busy pool never reaches.

Each runs the same small transactions through ``Database.read()`` and ``Database.write()``:
reads one after another, writes one after another, and reads from 20 tasks at once (so the
whole pool takes turns). The variants take turns in blocks, so a machine busy with something
else slows them all alike; the script prints each variant's transactions per second, the
median over the blocks of its ratio to ``bare`` in the same turn, and the bot process's CPU
time per transaction.

    python bench/pool_checkout.py --database-url postgresql+asyncpg://postgres@127.0.0.1:5432/test

A scratch database is created next to the named one and dropped afterwards.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import time
from collections.abc import Awaitable, Callable
from functools import partial
from pathlib import Path
from unittest import mock

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import event, update
from sqlalchemy.ext.asyncio import create_async_engine
from sqlmodel import col, select

import storage.database
from bench.scratch import scratch_postgres
from bot.persistence.chat_state import ChatState
from models.base import utcnow
from storage import dead_connections
from storage.database import Database
from storage.dead_connections import note_return, refuse_if_dead

VARIANTS = ("bare", "pre-ping", "ping", "check")
TASKS = 20
BLOCKS = 12  # a multiple of the variants, so each goes first, second... equally often


def open_database(url: str, variant: str) -> Database:
    """A Database whose pool checks connections on checkout as ``variant`` says."""
    if variant == "pre-ping":
        pre_ping = partial(create_async_engine, pool_pre_ping=True)
        with mock.patch.object(storage.database, "create_async_engine", pre_ping):
            database = Database(url)
    else:
        database = Database(url)
    if variant in ("bare", "pre-ping"):
        event.remove(database.engine.sync_engine, "checkout", refuse_if_dead)
        event.remove(database.engine.sync_engine, "checkin", note_return)
    return database


async def read(database: Database, number: int) -> None:
    async with database.read() as session:
        (await session.exec(select(ChatState.value).where(ChatState.key == f"k{number % 100}"))).one()


async def write(database: Database, number: int) -> None:
    async with database.write() as session:
        key = f"k{number % 100}"
        await session.exec(update(ChatState).where(col(ChatState.key) == key).values(value=str(number)))


async def timed(count: int, tasks: int, step: Callable[[int], Awaitable[None]]) -> tuple[float, float]:
    """Wall and CPU seconds for ``count`` steps spread over ``tasks`` tasks."""

    async def worker(first: int) -> None:
        for number in range(first, count, tasks):
            await step(number)

    wall, cpu = time.perf_counter(), time.process_time()
    await asyncio.gather(*(worker(first) for first in range(tasks)))
    return time.perf_counter() - wall, time.process_time() - cpu


async def measure(
    databases: dict[str, Database], kind: str, count: int, tasks: int
) -> dict[str, list[tuple[float, float]]]:
    """Each variant's (wall, CPU) per block, the variants taking turns, each first in turn."""
    step = write if kind == "writes" else read
    per_block = count // BLOCKS
    blocks: dict[str, list[tuple[float, float]]] = {variant: [] for variant in VARIANTS}
    for block in range(BLOCKS):
        shift = block % len(VARIANTS)
        for variant in VARIANTS[shift:] + VARIANTS[:shift]:
            limit = -1.0 if variant == "ping" else dead_connections.IDLE_PING_SECONDS
            with mock.patch.object(dead_connections, "IDLE_PING_SECONDS", limit):
                blocks[variant].append(await timed(per_block, tasks, partial(step, databases[variant])))
    return blocks


async def run(url: str, reads: int, writes: int) -> None:
    database = Database(url)
    async with database.write() as session:
        for number in range(100):
            session.add(ChatState(kind="bench", key=f"k{number}", value="0", updated_at=utcnow()))
    await database.dispose()
    databases = {variant: open_database(url, variant) for variant in VARIANTS}
    try:
        for database in databases.values():
            await timed(TASKS * 10, TASKS, partial(read, database))  # open the pool's connections
        for kind, count, tasks in (
            ("reads", reads, 1),
            ("writes", writes, 1),
            (f"reads x{TASKS}", reads, TASKS),
        ):
            blocks = await measure(databases, kind, count, tasks)
            print(f"\n{count} {kind} per variant, {BLOCKS} blocks each")
            for variant in VARIANTS:
                wall = sum(block[0] for block in blocks[variant])
                ratio = statistics.median(
                    bare[0] / mine[0] for bare, mine in zip(blocks["bare"], blocks[variant], strict=True)
                )
                cpu = statistics.median(block[1] for block in blocks[variant]) / (count // BLOCKS)
                print(f"  {variant:8} {count / wall:6.0f}/s  ratio {ratio:.3f}  CPU {cpu * 1e6:4.0f} µs/tx")
    finally:
        for database in databases.values():
            await database.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--database-url", default=os.environ.get("REDPROP_TEST_DATABASE_URL", ""))
    parser.add_argument("--reads", type=int, default=5000)
    parser.add_argument("--writes", type=int, default=2000)
    options = parser.parse_args()
    if not options.database_url.startswith("postgresql"):
        parser.error("a PostgreSQL --database-url (or REDPROP_TEST_DATABASE_URL) is needed")
    with scratch_postgres(options.database_url) as url:
        asyncio.run(run(url, options.reads, options.writes))


if __name__ == "__main__":
    main()
