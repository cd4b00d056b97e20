"""Resolved cases for the survey end-to-end tests, made in the test process with the domain.

Residents of 东方华庭 (the street of ``tests/factories/world.py``) each report one case, which the
instructor accepts and resolves with a survey delay. What the outbox holds from that setup
(cards, status messages) is dropped, so the bot under test sends only the surveys and what
the answers cause.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import delete
from sqlmodel import col, select

from models.base import id_of, utcnow
from models.cases.tables import Case
from models.directory.tables import Community, Person
from models.outbox.kinds import OutboxKind
from models.outbox.queue import OutboxMessage
from models.surveys.tables import Survey
from storage.database import Database
from tests.factories.cases import accept, report, resolve
from tests.factories.directory import add_resident
from tests.factories.ids import INSTRUCTOR_TG
from tests.fakes.server import FakeBotApiServer

QUESTION = "Is the problem solved?"  # the survey's first question, in English
NOTE = "The lift is repaired."  # the instructor's resolution note


@dataclass(frozen=True)
class SurveyRow:
    status: str
    solved: str | None
    stars: int | None
    willing_to_pay: bool | None
    comment: str | None
    case_number: str
    case_status: str
    case_owner_telegram_id: int | None


def resolve_cases(
    database_url: str, residents: list[tuple[int, str]], *, survey_delay: timedelta
) -> list[str]:
    """One resolved case per ``(telegram_id, name)`` resident of 东方华庭; their numbers, in order."""

    async def go() -> list[str]:
        database = Database(database_url)
        numbers = []
        try:
            async with database.write() as session:
                community = (await session.exec(select(Community).where(Community.code == "dfht"))).one()
                instructor = (
                    await session.exec(select(Person).where(Person.telegram_id == INSTRUCTOR_TG))
                ).one()
                for telegram_id, name in residents:
                    resident = await add_resident(session, name, community=id_of(community), tg=telegram_id)
                    now = utcnow()
                    case = await report(
                        session,
                        resident.id,
                        key=f"survey-{telegram_id}",
                        description=f"The lift of {name}'s building is stuck.",
                        now=now,
                    )
                    await accept(session, id_of(case), id_of(instructor), now)
                    await resolve(session, id_of(case), id_of(instructor), now, survey_delay, note=NOTE)
                    numbers.append(case.number)
                await session.exec(delete(OutboxMessage))
        finally:
            await database.dispose()
        return numbers

    return asyncio.run(go())


def survey_of(database_url: str, telegram_id: int) -> SurveyRow:
    """The survey of the resident's (only) case."""

    async def read() -> SurveyRow:
        database = Database(database_url)
        try:
            async with database.read() as session:
                person = (await session.exec(select(Person).where(Person.telegram_id == telegram_id))).one()
                survey = (
                    await session.exec(
                        select(Survey).where(Survey.reporter_id == person.id).order_by(col(Survey.id))
                    )
                ).one()
                case = await session.get(Case, survey.case_id)
                assert case is not None
                owner = await session.get(Person, case.owner_id) if case.owner_id is not None else None
                return SurveyRow(
                    status=str(survey.status),
                    solved=str(survey.solved) if survey.solved is not None else None,
                    stars=survey.stars,
                    willing_to_pay=survey.willing_to_pay,
                    comment=survey.comment,
                    case_number=case.number,
                    case_status=str(case.status),
                    case_owner_telegram_id=owner.telegram_id if owner is not None else None,
                )
        finally:
            await database.dispose()

    return asyncio.run(read())


def ask_rows(database_url: str, status: str) -> set[int]:
    """The chats whose survey question (``survey.ask``) is in the outbox with this status."""

    async def read() -> set[int]:
        database = Database(database_url)
        try:
            async with database.read() as session:
                rows = await session.exec(
                    select(OutboxMessage.chat_id)
                    .where(OutboxMessage.kind == OutboxKind.SURVEY_ASK)
                    .where(OutboxMessage.status == status)
                )
                return set(rows)
        finally:
            await database.dispose()

    return asyncio.run(read())


def surveys_delivered(fake_api: FakeBotApiServer, chats: set[int]) -> dict[int, int]:
    """How many survey questions each of ``chats`` was sent."""
    counts: dict[int, int] = {}
    for call in fake_api.calls:
        if (
            call.method == "sendMessage"
            and call.result is not None
            and call.chat_id in chats
            and QUESTION in str(call.params.get("text", ""))
        ):
            counts[call.chat_id] = counts.get(call.chat_id, 0) + 1
    return counts
