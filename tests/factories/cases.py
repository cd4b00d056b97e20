"""Small factories for cases and surveys: report as a resident would, accept, resolve; what was queued.

Cases are opened, worked and resolved through the domain (``models.cases``, ``models.surveys``),
so they route, queue their messages and schedule their surveys as in the bot. Like those of
``tests/factories/directory.py`` they take the database or a write session already open.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from itertools import count
from typing import Any

from sqlmodel import col, select

from models.base import utcnow
from models.cases.actions import accept_case, resolve_case
from models.cases.categories import ReportCategory
from models.cases.opening import CaseDraft, Deadlines, case_for_draft, open_new_case
from models.cases.tables import Case
from models.directory.tables import Person
from models.outbox.queue import OutboxMessage
from models.surveys.scheduling import resolve_and_schedule_survey
from models.surveys.tables import Survey
from storage.database import Database
from tests.factories.directory import Target, writing

DEADLINES = Deadlines(response=timedelta(hours=24), resolution=timedelta(days=7))
# 10:00 in Shanghai: outside the quiet hours.
T0 = datetime(2026, 7, 6, 2, 0, tzinfo=UTC)
DELAY = timedelta(hours=24)  # from the resolution to the survey

_keys = count(1)


async def report(
    target: Target,
    reporter_id: int,
    *,
    key: str | None = None,
    description: str = "The lift in building 3 is stuck.",
    category: ReportCategory = ReportCategory.ELEVATOR,
    photos: Sequence[str] = (),
    now: datetime | None = None,
    deadlines: Deadlines = DEADLINES,
) -> Case:
    """Open a case as ``reporter_id`` would through /report; the same ``key`` again: the same case."""
    async with writing(target) as session:
        reporter = await session.get(Person, reporter_id)
        assert reporter is not None
        key = key if key is not None else f"draft-{next(_keys)}"
        existing = await case_for_draft(session=session, reporter=reporter, draft_key=key)
        if existing is not None:
            return existing
        draft = CaseDraft(key=key, category=category, description=description, photo_file_ids=list(photos))
        opened = await open_new_case(
            session=session, reporter=reporter, draft=draft, deadlines=deadlines, now=now or utcnow()
        )
        return opened.case


async def accept(target: Target, case_id: int, owner_id: int, now: datetime) -> Case:
    """``owner_id`` accepts the case."""
    async with writing(target) as session:
        owner = await session.get(Person, owner_id)
        assert owner is not None
        return await accept_case(session=session, case_id=case_id, actor=owner, now=now)


async def resolve(
    target: Target,
    case_id: int,
    owner_id: int,
    now: datetime,
    delay: timedelta | None = DELAY,
    *,
    note: str = "Fixed.",
) -> Case:
    """``owner_id`` resolves the case, its survey due ``delay`` later (None: no survey scheduled)."""
    async with writing(target) as session:
        owner = await session.get(Person, owner_id)
        assert owner is not None
        if delay is None:
            return await resolve_case(
                session=session, case_id=case_id, actor=owner, note=note, photo_file_ids=[], now=now
            )
        return await resolve_and_schedule_survey(
            session=session,
            case_id=case_id,
            actor=owner,
            note=note,
            photo_file_ids=[],
            now=now,
            delays={"default": delay},
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
    assert case.id is not None
    await accept(db, case.id, owner_id, now - timedelta(hours=1))
    return await resolve(db, case.id, owner_id, now, delay)


async def surveys(db: Database) -> list[Survey]:
    """Every survey, oldest first."""
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
