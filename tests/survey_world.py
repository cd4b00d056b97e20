"""Helpers for survey tests: resolved cases of the small street in ``tests/cases_world.py``."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlmodel import col, select

from models.case_actions import accept_case, resolve_case
from models.cases import Case
from models.categories import ReportCategory
from models.db import Database
from models.directory import Person
from models.outbox import OutboxMessage
from models.surveys import Survey
from tests.cases_world import report

# 10:00 in Shanghai: outside the quiet hours.
T0 = datetime(2026, 7, 6, 2, 0, tzinfo=UTC)
DELAY = timedelta(hours=24)


async def resolve(
    db: Database, case_id: int, owner_id: int, now: datetime, delay: timedelta | None = DELAY
) -> Case:
    async with db.write() as session:
        owner = await session.get(Person, owner_id)
        assert owner is not None
        return await resolve_case(
            session=session,
            case_id=case_id,
            actor=owner,
            note="Fixed.",
            photo_file_ids=[],
            now=now,
            survey_delay=delay,
        )


async def resolved_case(
    db: Database,
    reporter_id: int,
    owner_id: int,
    *,
    now: datetime = T0,
    category: ReportCategory = ReportCategory.ELEVATOR,
    delay: timedelta | None = DELAY,
) -> Case:
    """A case reported by ``reporter_id``, accepted and resolved by ``owner_id`` at ``now``."""
    case = await report(db, reporter_id, now=now - timedelta(hours=2), category=category)
    async with db.write() as session:
        owner = await session.get(Person, owner_id)
        assert owner is not None and case.id is not None
        await accept_case(session=session, case_id=case.id, actor=owner, now=now - timedelta(hours=1))
    assert case.id is not None
    return await resolve(db, case.id, owner_id, now, delay)


async def surveys(db: Database) -> list[Survey]:
    async with db.read() as session:
        return list(await session.exec(select(Survey).order_by(col(Survey.id))))


async def survey_messages(db: Database) -> list[tuple[str, int | None, dict[str, Any], datetime]]:
    """(kind, recipient, params, not_before) of every queued survey message."""
    async with db.read() as session:
        rows = await session.exec(
            select(OutboxMessage)
            .where(col(OutboxMessage.kind).startswith("survey."))
            .order_by(col(OutboxMessage.id))
        )
        return [(row.kind, row.recipient_id, row.parameters(), row.not_before) for row in rows]
