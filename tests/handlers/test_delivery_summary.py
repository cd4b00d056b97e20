"""What the outbox could not deliver, as people see it: `redprop outbox status` for the operator,
and the street office's daily summary (a job at outbox.summary_at, once a day, through the outbox)."""

from __future__ import annotations

import re
from datetime import time, timedelta

import pytest
from sqlmodel import col, select

from bot.cli import main
from bot.outbox_status import status_lines
from bot.sandbox.telegram import FakeTelegram
from handlers.context import RedPropApplication
from handlers.delivery_summary import DELIVERY_SUMMARY_JOB
from locales.i18n import use_locale
from models.base import utcnow
from models.cases.tables import Case
from models.outbox.deadletters import outbox_state
from models.outbox.kinds import OutboxKind
from models.outbox.queue import OutboxMessage, OutboxStatus
from storage.database import Database
from tests.factories.cases import report
from tests.factories.world import World, make_world
from tests.fakes.outbox import deliver_outbox


async def troubled_world(db: Database) -> tuple[World, list[Case]]:
    """Three cases: the first card failed, the second uncertain, the third retrying; a status
    message of the first still waits for its first try."""
    world = await make_world(db)
    cases = [await report(db, world.resident.id) for _ in range(3)]
    now = utcnow()
    async with db.write() as session:
        cards = list(await session.exec(select(OutboxMessage).order_by(col(OutboxMessage.id))))
        states = [(OutboxStatus.FAILED, 1), (OutboxStatus.UNCERTAIN, 3), (OutboxStatus.PENDING, 2)]
        for card, (status, attempts) in zip(cards, states, strict=True):
            card.status, card.attempts = status, attempts
            card.not_before = now + timedelta(hours=1)
            card.failed_at = now - timedelta(hours=2) if status != OutboxStatus.PENDING else None
            session.add(card)
        session.add(
            OutboxMessage(
                recipient_id=world.resident.id,
                chat_id=world.resident.telegram_id or 0,
                kind=OutboxKind.CASE_STATUS.value,
                case_id=cases[0].id,
                created_at=now,
                not_before=now + timedelta(hours=1),
            )
        )
    return world, cases


async def test_outbox_status_counts_by_kind_with_the_case_numbers(db: Database) -> None:
    _, cases = await troubled_world(db)
    async with db.read() as session:
        states = await outbox_state(session=session)
    with use_locale("en"):
        header, _rule, *rows = status_lines(states)
    assert re.split(r"\s{2,}", header) == [
        "Kind",
        "Pending",
        "Retrying",
        "Failed",
        "Uncertain",
        "Cases concerned",
    ]
    numbers = ", ".join(case.number for case in cases)
    assert rows[0].split(None, 5) == ["case.card", "0", "1", "1", "1", numbers]
    assert rows[1].split() == ["case.status", "1", "0", "0", "0"]  # waiting for its first try: no trouble
    assert rows[2].split() == ["Total", "1", "1", "1", "1"]
    assert any(line.startswith("Uncertain:") for line in rows)


def test_redprop_outbox_status_prints_the_table(
    database_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert (
        main(["--set", f"database.url={database_url}", "--set", "bot.default_locale=en", "outbox", "status"])
        == 0
    )
    out = capsys.readouterr().out
    assert out.startswith("Nothing is waiting, retrying, failed or uncertain")


async def test_the_office_gets_one_summary_a_day_at_the_configured_local_time(
    app: RedPropApplication, app_db: Database, telegram: FakeTelegram
) -> None:
    world, cases = await troubled_world(app_db)
    assert app.job_queue is not None
    [job] = app.job_queue.get_jobs_by_name(DELIVERY_SUMMARY_JOB)
    settings = app.bot_data["redprop.settings"]
    fires = job.trigger.get_next_fire_time(None, utcnow())  # type: ignore[attr-defined]
    assert fires.astimezone(settings.bot.tzinfo).time() == time(9, 0)
    await job.run(app)
    await job.run(app)  # a second run that day (or another process) sends nothing more
    await deliver_outbox(app)
    texts = telegram.texts_to(world.admin.telegram_id or 0)
    assert texts == [
        "\n".join(
            [
                f"Delivery summary for {utcnow().astimezone(settings.bot.tzinfo).date()}",
                "1 message could not be delivered.",
                "1 message may or may not have arrived (Telegram never answered).",
                "1 message is still being retried.",
                "Cases concerned: " + ", ".join(case.number for case in cases),
                "The server's operator sees the details with: redprop outbox status",
            ]
        )
    ]
