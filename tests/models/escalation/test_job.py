"""Deadlines that escalate: the reminder, level 2 and level 3 of a leak's response deadline, each
once; quiet hours; two runs (two processes, or a restart) never escalate twice."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from sqlmodel import col, select

from models.base import id_of
from models.cases.categories import ReportCategory
from models.cases.opening import Deadlines
from models.cases.tables import Case, CaseEvent, EventKind
from models.directory.tables import Person
from models.escalation.job import run_escalations
from models.escalation.oversight import extend_deadline
from models.escalation.rules import EscalationRules
from models.escalation.tables import CaseEscalation
from models.outbox.kinds import OutboxKind
from models.outbox.queue import OutboxMessage
from storage.database import Database
from tests.factories.cases import accept, report
from tests.factories.world import make_world

LEAK = Deadlines(response=timedelta(hours=4), resolution=timedelta(days=3))
T0 = datetime(2026, 7, 6, 2, 0, tzinfo=UTC)  # 10:00 in Shanghai
NIGHT = datetime(2026, 7, 6, 15, 0, tzinfo=UTC)  # 23:00 in Shanghai


def quiet(moment: datetime) -> datetime:
    """21:00–08:00 Shanghai: 23:00 waits until 08:00 the next morning (00:00 UTC)."""
    local_hour = (moment.hour + 8) % 24
    if local_hour >= 21 or local_hour < 8:
        next_morning = (moment + timedelta(hours=8)).replace(hour=0, minute=0, second=0, microsecond=0)
        return next_morning if next_morning > moment else next_morning + timedelta(days=1)
    return moment


RULES = EscalationRules(quiet=quiet)


async def run(db: Database, now: datetime) -> None:
    async with db.write() as session:
        await run_escalations(session=session, rules=RULES, now=now, limit=100)


async def messages(db: Database) -> list[tuple[str, int | None]]:
    async with db.read() as session:
        rows = await session.exec(select(OutboxMessage).order_by(col(OutboxMessage.id)))
        return [(row.kind, row.recipient_id) for row in rows if row.kind != OutboxKind.CASE_CARD]


async def timeline(db: Database, case_id: int) -> list[EventKind]:
    async with db.read() as session:
        events = await session.exec(
            select(CaseEvent).where(CaseEvent.case_id == case_id).order_by(col(CaseEvent.id))
        )
        return [event.kind for event in events]


async def test_a_leak_past_its_response_deadline_is_reminded_then_escalated_twice(db: Database) -> None:
    world = await make_world(db)
    case = await report(db, world.resident.id, category=ReportCategory.LEAK, now=T0, deadlines=LEAK)
    await run(db, T0)  # planned: nothing due yet
    assert await messages(db) == []
    await run(db, T0 + timedelta(hours=3))  # 75 % of 4 h
    assert await messages(db) == [(OutboxKind.CASE_REMINDER, world.instructor.id)]
    await run(db, T0 + timedelta(hours=4))  # the deadline: the community party committee
    await run(db, T0 + timedelta(hours=5))  # nothing new
    assert (await messages(db))[1:] == [
        (OutboxKind.CASE_ESCALATED, world.committee.id),
        (OutboxKind.CASE_STATUS, world.resident.id),
    ]
    await run(db, T0 + timedelta(hours=6))  # 2 h more (an urgent category): the street office
    await run(db, T0 + timedelta(hours=7))
    assert (await messages(db))[3:] == [
        (OutboxKind.CASE_ESCALATED, world.admin.id),
        (OutboxKind.CASE_STATUS, world.resident.id),
    ]
    assert await timeline(db, id_of(case)) == [
        EventKind.REPORTED,
        EventKind.ROUTED,
        EventKind.REMINDED,
        EventKind.ESCALATED,
        EventKind.ESCALATED,
    ]
    async with db.read() as session:
        stored = await session.get(Case, id_of(case))
        assert stored is not None and stored.escalation_level == 3


async def test_a_case_answered_in_time_is_not_escalated_for_its_response(db: Database) -> None:
    world = await make_world(db)
    case = await report(db, world.resident.id, category=ReportCategory.LEAK, now=T0, deadlines=LEAK)
    await run(db, T0)
    await accept(db, id_of(case), world.instructor.id, T0 + timedelta(hours=1))
    await run(db, T0 + timedelta(hours=10))
    assert [kind for kind, _who in await messages(db) if kind != OutboxKind.CASE_STATUS] == []


async def test_a_non_urgent_escalation_at_night_waits_for_the_morning(db: Database) -> None:
    world = await make_world(db)
    deadlines = Deadlines(response=timedelta(hours=13), resolution=timedelta(days=7))
    await report(db, world.resident.id, category=ReportCategory.GREENING, now=T0, deadlines=deadlines)
    await run(db, T0)
    await run(db, NIGHT)  # the response deadline, at 23:00
    async with db.read() as session:
        rows = list(
            await session.exec(select(OutboxMessage).where(OutboxMessage.kind == OutboxKind.CASE_ESCALATED))
        )
    assert [row.not_before for row in rows] == [datetime(2026, 7, 7, 0, 0, tzinfo=UTC)]


async def test_two_processes_escalate_a_case_once(db: Database, database_url: str) -> None:
    world = await make_world(db)
    case = await report(db, world.resident.id, category=ReportCategory.LEAK, now=T0, deadlines=LEAK)
    await run(db, T0)
    at = T0 + timedelta(hours=4, minutes=1)
    # Two more engines on the same database stand for two more processes, each with its own pool.
    others = [Database(database_url), Database(database_url)]
    try:
        await asyncio.gather(run(db, at), *(run(other, at) for other in others))
        await asyncio.gather(*(run(other, at + timedelta(seconds=1)) for other in others))  # a restart
    finally:
        for other in others:
            await other.dispose()
    async with db.read() as session:
        rows = list(await session.exec(select(CaseEscalation).where(CaseEscalation.case_id == case.id)))
    assert [(row.stage, row.level) for row in rows] == [(2, 2)]
    assert [kind for kind, _who in await messages(db)].count(OutboxKind.CASE_ESCALATED) == 1


async def test_an_extended_deadline_is_watched_again_from_its_reminder(db: Database) -> None:
    world = await make_world(db)
    case = await report(db, world.resident.id, category=ReportCategory.LEAK, now=T0, deadlines=LEAK)
    for hours in (0, 3, 4):
        await run(db, T0 + timedelta(hours=hours))
    async with db.write() as session:
        committee = await session.get(Person, world.committee.id)
        assert committee is not None
        await extend_deadline(
            session=session,
            case_id=id_of(case),
            actor=committee,
            days=1,
            reason="Parts",
            now=T0 + timedelta(hours=5),
        )
    # The new response deadline is T0 + 29 h: reminded again at 75 % of it, the office 2 h after it.
    for hours in (22, 29, 30):
        await run(db, T0 + timedelta(hours=hours))
    kinds = [kind for kind, _who in await messages(db)]
    assert (kinds.count(OutboxKind.CASE_REMINDER), kinds.count(OutboxKind.CASE_ESCALATED)) == (2, 1)
    await run(db, T0 + timedelta(hours=31))
    async with db.read() as session:
        rows = list(await session.exec(select(CaseEscalation).order_by(col(CaseEscalation.id))))
    assert [(row.stage, row.level) for row in rows] == [(1, 1), (2, 2), (1, 1), (3, 3)]
