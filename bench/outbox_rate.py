"""How close the outbox sender gets to Telegram's broadcast limit without ever being refused.

A loopback fake Bot API (tests/fakes/server.py, in a process of its own so it does not share
the sender's interpreter lock) enforces 30 messages a second overall and one a
second per chat, answering 429 beyond. N case cards to M chats are queued in the outbox of a
fresh database, the real sender (rate 30, one second per chat) delivers them over HTTP, and
the script prints the delivered rate, its ratio to the 30/s allowed, and the 429 count.

    python bench/outbox_rate.py                      # SQLite in a temporary folder
    python bench/outbox_rate.py --database-url postgresql+asyncpg://postgres@127.0.0.1:5432/test

With a PostgreSQL URL (or REDPROP_TEST_DATABASE_URL) a scratch database is created next to the
named one and dropped afterwards; the named database is not touched.
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import os
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import timedelta
from multiprocessing.connection import Connection
from pathlib import Path

from models.outbox.kinds import OutboxKind

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from pydantic import SecretStr
from sqlmodel import col, func, select

from bench.scratch import scratch_postgres
from bot.migrations import upgrade
from bot.outbox.sender import OutboxSender
from bot.outbox.transport import sender_bot
from config.settings import DatabaseSettings, OutboxSettings, Settings, TelegramSettings
from models.base import id_of, utcnow
from models.cases.tables import Case
from models.directory.tables import Person, Role, RoleKind
from models.outbox.queue import OutboxMessage, OutboxStatus, enqueue
from storage.database import Database
from tests.factories.cases import report
from tests.factories.world import make_world
from tests.fakes.server import FakeBotApiServer, RateLimits

TOKEN = "123456789:AAHbenchTokenNotARealOne_abcdefghijklmno"
ALLOWED = 30.0


@dataclass
class Result:
    backend: str
    delivered: int
    seconds: float
    throttled: int
    leftover: int

    @property
    def rate(self) -> float:
        return (self.delivered - 1) / self.seconds if self.seconds > 0 else 0.0

    def line(self) -> str:
        return (
            f"{self.backend:10s} delivered {self.delivered} in {self.seconds:.2f}s: "
            f"{self.rate:.2f} msgs/s = {self.rate / ALLOWED:.3f} of {ALLOWED:.0f}/s allowed; "
            f"429s: {self.throttled}; not sent: {self.leftover}"
        )


async def _queue(database: Database, messages: int, chats: int, grouped: bool) -> None:
    world = await make_world(database)
    case = await report(database, world.resident.id)
    async with database.write() as session:
        # Drop the card the report queued for the instructor: only the bench's rows count.
        for row in await session.exec(select(OutboxMessage)):
            await session.delete(row)
        people = [Person(telegram_id=1_000_000 + n, name=f"P{n}", language_code="en") for n in range(chats)]
        session.add_all(people)
        await session.flush()
        # Staff of the enterprise the case is forwarded to: each gets the case's card.
        session.add_all(
            Role(person_id=id_of(person), kind=RoleKind.ENTERPRISE_STAFF, enterprise_id=world.enterprise)
            for person in people
        )
        forwarded = await session.get(Case, case.id)
        assert forwarded is not None
        forwarded.forwarded_enterprise_id = forwarded.enterprise_id
        order = (
            [people[n // (messages // chats)] for n in range(messages)]
            if grouped
            else [people[n % chats] for n in range(messages)]
        )
        for person in order:
            await enqueue(
                session=session, recipient=person, kind=OutboxKind.CASE_CARD, now=utcnow(), case_id=case.id
            )


def _serve(connection: Connection) -> None:
    """In the child process: serve the limited fake API until told to stop, then report."""
    with FakeBotApiServer(TOKEN, limits=RateLimits(overall_per_second=30, per_chat_per_second=1)) as server:
        connection.send((server.base_url, server.base_file_url))
        connection.recv()
        sends = [call.at for call in server.telegram.calls if call.method == "sendMessage"]
        connection.send((sends, len(server.throttled)))


async def _run(url: str, backend: str, messages: int, chats: int, grouped: bool) -> Result:
    database = Database(url)
    await _queue(database, messages, chats, grouped)
    ours, theirs = multiprocessing.Pipe()
    server = multiprocessing.Process(target=_serve, args=(theirs,), daemon=True)
    server.start()
    base_url, base_file_url = ours.recv()
    # Built directly, so no config.toml in the working folder changes the bench.
    settings = Settings(
        telegram=TelegramSettings(token=SecretStr(TOKEN), base_url=base_url, base_file_url=base_file_url),
        database=DatabaseSettings(url=url),
        outbox=OutboxSettings(rate=ALLOWED, per_chat_interval=timedelta(seconds=1)),
    )
    sender = OutboxSender(database=database, bot=sender_bot(settings), settings=settings)
    await sender.start()
    deadline = time.monotonic() + messages / ALLOWED * 3 + 30
    waiting = messages
    while time.monotonic() < deadline:
        async with database.read() as session:
            waiting = (
                await session.exec(
                    select(func.count())
                    .select_from(OutboxMessage)
                    .where(col(OutboxMessage.status).in_([OutboxStatus.PENDING, OutboxStatus.SENDING]))
                )
            ).one()
        if not waiting:
            break
        await asyncio.sleep(0.1)
    await sender.stop()
    await database.dispose()
    ours.send("stop")
    sends, throttled = ours.recv()
    server.join(timeout=5)
    # CLOCK_MONOTONIC is system-wide, but only differences within the server's own list are used.
    seconds = sends[-1] - sends[0] if len(sends) > 1 else 0.0
    return Result(backend, len(sends), seconds, throttled, int(waiting))


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--messages", type=int, default=600)
    parser.add_argument("--chats", type=int, default=60)
    parser.add_argument("--grouped", action="store_true", help="queue each chat's messages together")
    parser.add_argument("--database-url", default=os.environ.get("REDPROP_TEST_DATABASE_URL", ""))
    options = parser.parse_args()
    order = "grouped" if options.grouped else "interleaved"
    print(f"{options.messages} messages to {options.chats} chats, {order}")

    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite+aiosqlite:///{Path(folder) / 'bench.db'}"
        upgrade(url)
        print(asyncio.run(_run(url, "SQLite", options.messages, options.chats, options.grouped)).line())

    if options.database_url:
        with scratch_postgres(options.database_url) as scratch:
            run = _run(scratch, "PostgreSQL", options.messages, options.chats, options.grouped)
            print(asyncio.run(run).line())


if __name__ == "__main__":
    main()
