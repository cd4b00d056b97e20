"""What the end-to-end case-loop tests share: the street, the steps of a report, and DB reads.

The street is the world of ``tests/factories/world.py`` as the office's directory file
(:func:`~tests.factories.world.world_directory`), imported like the office would (the CLI, or
the same import in-process); its people have Telegram ids, so cases route to them at once.
Residents come through the chat as :class:`~tests.fakes.chat.Chatter` s: Telegram users
talking to the real bot process through the fake Bot API.
"""

from __future__ import annotations

import asyncio
import re
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlmodel import col, select

from bot.sandbox.command import load_directory
from models.base import id_of, utcnow
from models.cases.routing import SharedProperty
from models.cases.tables import Case, CaseEvent, CasePhoto
from models.directory.parsing import parse_directory
from models.directory.tables import Community, Enterprise, Person
from storage.database import Database
from tests.e2e.conftest import BotProcess, BotRunner
from tests.factories.world import world_directory
from tests.fakes.chat import Chatter, buttons_of

CASE_NUMBER = re.compile(r"[A-Z]+-\d{4}-\d{6}")


def import_street(database_url: str) -> None:
    """Import the world's directory in-process: the same import ``redprop directory import`` runs."""

    asyncio.run(load_directory(parse_directory(world_directory()), database_url))


def share_community(database_url: str, community_code: str, enterprise_code: str) -> None:
    """Record that the enterprise looks after the no-property community under shared property."""

    async def go() -> None:
        database = Database(database_url)
        try:
            async with database.write() as session:
                communities = await session.exec(select(Community).where(Community.code == community_code))
                community = communities.one()
                enterprises = await session.exec(select(Enterprise).where(Enterprise.code == enterprise_code))
                enterprise = enterprises.one()
                session.add(
                    SharedProperty(
                        community_id=id_of(community),
                        enterprise_id=id_of(enterprise),
                        started_at=utcnow() - timedelta(days=1),
                    )
                )
        finally:
            await database.dispose()

    asyncio.run(go())


def stop_cleanly(bot: BotRunner, process: BotProcess) -> None:
    """SIGTERM the bot; it exits 0, and no run of this test logged an error."""
    assert process.stop() == 0
    for run in bot.processes:
        errors = [line for line in run.stderr.splitlines() if " ERROR " in line or "Traceback" in line]
        assert not errors, f"{run.stderr_path.name}:\n" + "\n".join(errors[:5])


# --- what the database holds ------------------------------------------------------------------


@dataclass(frozen=True)
class CaseRow:
    number: str
    status: str
    owner_telegram_id: int | None
    owner_level: str
    description: str
    photos: list[str]  # the report's photos, in upload order
    latitude: float | None
    longitude: float | None
    duplicate_of: str | None
    events: list[str]  # timeline event kinds, in order
    texts: list[str]  # timeline texts (notes, reasons), in order


def cases_reported_by(database_url: str, telegram_id: int) -> list[CaseRow]:
    """Every case the Telegram user reported, oldest first."""

    async def read() -> list[CaseRow]:
        database = Database(database_url)
        try:
            async with database.read() as session:
                reporter = (
                    await session.exec(select(Person).where(Person.telegram_id == telegram_id))
                ).first()
                if reporter is None:
                    return []
                cases = await session.exec(
                    select(Case).where(Case.reporter_id == reporter.id).order_by(col(Case.id))
                )
                rows = []
                for case in cases:
                    owner = await session.get(Person, case.owner_id) if case.owner_id else None
                    original = await session.get(Case, case.duplicate_of_id) if case.duplicate_of_id else None
                    photos = await session.exec(
                        select(CasePhoto.file_id)
                        .where(CasePhoto.case_id == case.id)
                        .where(col(CasePhoto.event_id).is_(None))
                        .order_by(col(CasePhoto.id))
                    )
                    events = list(
                        await session.exec(
                            select(CaseEvent).where(CaseEvent.case_id == case.id).order_by(col(CaseEvent.id))
                        )
                    )
                    rows.append(
                        CaseRow(
                            number=case.number,
                            status=str(case.status),
                            owner_telegram_id=owner.telegram_id if owner else None,
                            owner_level=str(case.owner_level),
                            description=case.description,
                            photos=list(photos),
                            latitude=case.latitude,
                            longitude=case.longitude,
                            duplicate_of=original.number if original else None,
                            events=[str(event.kind) for event in events],
                            texts=[event.text for event in events if event.text],
                        )
                    )
                return rows
        finally:
            await database.dispose()

    return asyncio.run(read())


def count_cases(database_url: str) -> int:
    async def read() -> int:
        database = Database(database_url)
        try:
            async with database.read() as session:
                return len(list(await session.exec(select(Case.id))))
        finally:
            await database.dispose()

    return asyncio.run(read())


# --- chatting ---------------------------------------------------------------------------------


def photo(file_id: str) -> list[dict[str, Any]]:
    """A message's ``photo`` field: the sizes Telegram sends, the largest last."""
    return [
        {"file_id": f"{file_id}-small", "file_unique_id": f"{file_id}-us", "width": 90, "height": 67},
        {"file_id": file_id, "file_unique_id": f"{file_id}-u", "width": 1280, "height": 960},
    ]


def join(resident: Chatter, community_code: str, community_name: str) -> None:
    """Open the community's QR link: /start c-<code>."""
    mark = resident.send(f"/start c-{community_code}")
    resident.wait_text(community_name, since=mark)


def start_report(resident: Chatter, *, category: str, description: str) -> dict[str, Any]:
    """/report, pick the category, describe; returns the photos prompt (with Done / Skip)."""
    mark = resident.send("/report")
    categories = resident.wait_data(f"r:cat:{category}", since=mark)
    mark = resident.press(categories, f"r:cat:{category}")
    resident.wait_call(("editMessageText",), lambda call: call.chat_id == resident.id, since=mark)
    mark = resident.send(description)
    return resident.wait_data("r:photos:done", since=mark)


def send_photo(resident: Chatter, file_id: str) -> dict[str, Any]:
    """Attach one photo; returns the bot's answer (with Done / Skip)."""
    mark = resident.send(photo=photo(file_id))
    return resident.wait_data("r:photos:done", since=mark)


def finish_report(
    resident: Chatter, photos_answer: dict[str, Any], *, location: tuple[float, float] | None
) -> dict[str, Any]:
    """Tap Done on the photos, give (or skip) the location; returns the summary with Confirm."""
    mark = resident.press(photos_answer, "r:photos:done")
    asked = resident.wait_call(
        ("sendMessage",),
        lambda call: call.chat_id == resident.id and "keyboard" in (call.params.get("reply_markup") or {}),
        since=mark,
    )
    if location is None:
        skip_key = asked.params["reply_markup"]["keyboard"][-1][0]["text"]  # in the resident's language
        mark = resident.send(skip_key)
    else:
        mark = resident.send(location={"latitude": location[0], "longitude": location[1]})
    return resident.wait_data("r:ok:", since=mark)


def confirm_data(summary: dict[str, Any]) -> str:
    return next(data for data in buttons_of(summary).values() if data.startswith("r:ok:"))


def confirm(resident: Chatter, summary: dict[str, Any]) -> str:
    """Tap Confirm; returns the case number the resident was told."""
    mark = resident.press(summary, confirm_data(summary))
    return told_number(resident, mark)


def told_number(resident: Chatter, since: int) -> str:
    """The case number in the first receipt the resident got after ``since``."""

    def receipt() -> str | None:
        for text in resident.texts(since=since):
            found = CASE_NUMBER.search(text)
            if found:
                return found.group()
        return None

    return resident.wait_for(receipt, f"a case number in chat {resident.id}")


def report(
    resident: Chatter,
    *,
    category: str,
    description: str,
    photos: tuple[str, ...] = (),
    location: tuple[float, float] | None = None,
) -> str:
    """A whole /report; returns the case number the resident was told."""
    answer = start_report(resident, category=category, description=description)
    for file_id in photos:
        answer = send_photo(resident, file_id)
    return confirm(resident, finish_report(resident, answer, location=location))
