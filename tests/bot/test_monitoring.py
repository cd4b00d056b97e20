"""/healthz and /metrics as they read the database after real work: cases, deliveries, surveys."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from prometheus_client.parser import text_string_to_metric_families
from sqlmodel import col, select

from bot.health import ApiWatch, health
from bot.metrics import Metrics
from models.base import utcnow
from models.cases.unreachable import reroute_from_unreachable
from models.directory.tables import Person
from models.outbox.delivery import dead_letter, mark_sent
from models.outbox.queue import OutboxMessage, OutboxStatus
from models.surveys.answers import Step, answer_survey
from models.surveys.scheduling import due_surveys
from storage.database import Database
from tests.factories.cases import T0, report, resolved_case
from tests.factories.world import World, make_world


@pytest.fixture
async def world(db: Database) -> World:
    return await make_world(db)


async def outbox(db: Database) -> list[OutboxMessage]:
    async with db.read() as session:
        return list(await session.exec(select(OutboxMessage).order_by(col(OutboxMessage.id))))


def samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """Every sample of a Prometheus text page, by name and labels."""
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


class Answered:
    """A stand-in request: Telegram answers every call with ``status``."""

    def __init__(self, status: int) -> None:
        self.status = status

    async def do_request(self, *args: Any, **kwargs: Any) -> tuple[int, bytes]:
        return self.status, b"{}"


async def test_healthz_shows_the_backlog_and_the_last_bot_api_answer(db: Database, world: World) -> None:
    before = utcnow()
    await report(db, world.resident.id, now=before - timedelta(minutes=5))
    watch = ApiWatch()

    status, body = await health(db, watch)
    assert status == 200
    assert body["status"] == "ok" and body["database"] == {"reachable": True}
    assert body["bot_api"] == {"last_success_at": None}
    queued = await outbox(db)
    assert [row.kind for row in queued] == ["case.card"]
    outbox_part = body["outbox"]
    assert (outbox_part["due"], outbox_part["sending"], outbox_part["scheduled"]) == (1, 0, 0)
    assert outbox_part["oldest_due_at"] == queued[0].not_before.isoformat(timespec="seconds")
    assert outbox_part["oldest_due_seconds"] >= 300
    assert outbox_part["last_sent_at"] is None

    # A failed call leaves the time alone; a successful one sets it.
    failing = watch.watching(Answered(502))  # type: ignore[arg-type]
    await failing.do_request("url", "POST")
    assert (await health(db, watch))[1]["bot_api"]["last_success_at"] is None
    await watch.watching(Answered(200)).do_request("url", "POST")  # type: ignore[arg-type]
    assert watch.last_success is not None and watch.last_success >= before

    sent_at = utcnow()
    async with db.write() as session:
        await mark_sent(session=session, message_id=queued[0].id or 0, telegram_message_id=5, now=sent_at)
    status, body = await health(db, watch)
    assert body["outbox"]["due"] == 0 and body["outbox"]["oldest_due_at"] is None
    assert body["outbox"]["last_sent_at"] == sent_at.isoformat(timespec="seconds")
    assert body["bot_api"]["last_success_at"] == watch.last_success.isoformat(timespec="seconds")


async def test_healthz_is_503_when_the_database_does_not_answer() -> None:
    # Nothing listens on port 1: the connection is refused.
    database = Database("postgresql+asyncpg://postgres@127.0.0.1:1/nothing")
    try:
        status, body = await health(database, ApiWatch())
        page = (await Metrics().render(database)).decode()
    finally:
        await database.dispose()
    assert status == 503
    assert body["status"] == "unavailable"
    assert body["database"]["reachable"] is False
    assert "outbox" not in body
    # /metrics still answers, with this process's numbers, and says the database is down.
    assert samples(page)[("redprop_database_up", ())] == 0
    assert "redprop_cases_opened_total" not in page


async def test_metrics_count_what_the_database_holds(db: Database, world: World) -> None:
    # Two cases: one resolved with its survey sent and answered, one escalated when its
    # instructor blocked the bot.
    resolved = await resolved_case(db, world.resident.id, world.instructor.id, now=T0)
    async with db.write() as session:
        await due_surveys(session=session, now=T0 + timedelta(days=2), limit=10)
    async with db.write() as session:
        resident = await session.get(Person, world.resident.id)
        assert resident is not None
        asked = await session.exec(select(OutboxMessage).where(OutboxMessage.kind == "survey.ask"))
        survey_id = int(asked.one().parameters()["survey_id"])
        await answer_survey(
            session=session, survey_id=survey_id, person=resident, step=Step.SOLVED, value="solved", now=T0
        )
    await report(db, world.resident.id)
    async with db.write() as session:
        instructor = await session.get(Person, world.instructor.id)
        assert instructor is not None
        instructor.reachable = False
        session.add(instructor)
        await reroute_from_unreachable(session=session, person=instructor, now=utcnow())
    # Deliveries: the first card sent, the second retried and then failed for good.
    cards = [row for row in await outbox(db) if row.kind == "case.card"]
    async with db.write() as session:
        await mark_sent(session=session, message_id=cards[0].id or 0, telegram_message_id=7, now=utcnow())
        second = cards[1]
        second.attempts = 5  # five tries answered 500, then the row gave up
        await dead_letter(session=session, message=second, error="500", now=utcnow())
    assert resolved.id is not None

    page = (await Metrics().render(db)).decode()
    values = samples(page)
    assert values[("redprop_database_up", ())] == 1
    assert values[("redprop_cases_opened_total", ())] == 2
    assert values[("redprop_cases_resolved_total", ())] == 1
    assert values[("redprop_cases_escalated_total", ())] == 1
    assert values[("redprop_surveys_sent_total", ())] == 1
    assert values[("redprop_surveys_answered_total", ())] == 1
    card = (("kind", "case.card"),)
    assert values[("redprop_outbox_sent_total", card)] == 1
    assert values[("redprop_outbox_retried_total", card)] == 1
    assert values[("redprop_outbox_failed_total", card)] == 1
    rows = await outbox(db)
    for kind, status in {(row.kind, row.status) for row in rows}:
        expected = sum(1 for row in rows if (row.kind, row.status) == (kind, status))
        labels = (("kind", kind), ("status", str(status)))
        assert values[("redprop_outbox_messages", labels)] == expected
    assert sum(1 for row in rows if row.status == OutboxStatus.PENDING) > 0
