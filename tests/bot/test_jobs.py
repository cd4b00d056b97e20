"""The survey job with a controllable clock: quiet hours hold surveys and reminders until the
morning, expiry closes the survey, and a second run at the same moment does nothing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.jobs import SurveyBatch, check_surveys
from config.settings import Settings, load_settings
from models.cases.tables import Case, CaseStatus
from models.outbox.kinds import OutboxKind
from models.surveys.tables import SurveyStatus
from storage.database import Database
from tests.factories.cases import resolved_case, survey_messages, surveys
from tests.factories.world import World, make_world

SHANGHAI = ZoneInfo("Asia/Shanghai")


def local(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 7, day, hour, minute, tzinfo=SHANGHAI).astimezone(UTC)


@pytest.fixture
def settings(database_url: str) -> Settings:
    # The defaults: quiet 21:00-08:00 Shanghai time, reminder after 24h, expiry after 7d.
    return load_settings(overrides={"database.url": database_url})


@pytest.fixture
async def world(db: Database) -> World:
    return await make_world(db)


async def test_a_survey_due_at_ten_in_the_evening_waits_until_eight_in_the_morning(
    db: Database, settings: Settings, world: World
) -> None:
    assert settings.surveys.quiet_range is not None
    await resolved_case(
        db, world.resident.id, world.instructor.id, now=local(6, 21), delay=timedelta(hours=1)
    )

    assert await check_surveys(database=db, settings=settings, now=local(6, 21, 59)) == SurveyBatch()
    assert await survey_messages(db) == []

    batch = await check_surveys(database=db, settings=settings, now=local(6, 22))
    assert batch == SurveyBatch(sent=1)
    [(kind, recipient, params, not_before)] = await survey_messages(db)
    [survey] = await surveys(db)
    assert (kind, recipient, params) == (OutboxKind.SURVEY_ASK, world.resident.id, {"survey_id": survey.id})
    assert not_before == local(7, 8)  # held by the outbox until the morning
    assert (survey.status, survey.sent_at) == (SurveyStatus.SENT, local(7, 8))
    # Claimed once: running again (as after a restart) queues nothing more.
    assert await check_surveys(database=db, settings=settings, now=local(6, 22, 30)) == SurveyBatch()
    assert len(await survey_messages(db)) == 1


async def test_the_reminder_counts_from_the_morning_and_also_waits_out_the_night(
    db: Database, settings: Settings, world: World
) -> None:
    await resolved_case(db, world.resident.id, world.instructor.id, now=local(6, 2), delay=timedelta(hours=1))
    await check_surveys(database=db, settings=settings, now=local(6, 3))  # quiet: out at 08:00
    # Not yet 24h since 08:00.
    assert await check_surveys(database=db, settings=settings, now=local(7, 7, 59)) == SurveyBatch()
    # 24h later than that is 08:00 again; at 23:00 the reminder is due but waits for 08:00.
    assert await check_surveys(database=db, settings=settings, now=local(7, 23)) == SurveyBatch(reminded=1)
    ask, remind = await survey_messages(db)
    assert (ask[0], ask[3]) == (OutboxKind.SURVEY_ASK, local(6, 8))
    assert (remind[0], remind[3]) == (OutboxKind.SURVEY_REMIND, local(8, 8))
    assert await check_surveys(database=db, settings=settings, now=local(9, 8)) == SurveyBatch()  # only one


async def test_an_unanswered_survey_expires_and_its_case_closes(
    db: Database, settings: Settings, world: World
) -> None:
    case = await resolved_case(
        db, world.resident.id, world.instructor.id, now=local(6, 10), delay=timedelta(0)
    )
    assert await check_surveys(database=db, settings=settings, now=local(6, 10)) == SurveyBatch(sent=1)
    expiry = local(6, 10) + settings.surveys.expire_after
    assert await check_surveys(database=db, settings=settings, now=expiry - timedelta(seconds=1)) == (
        SurveyBatch(reminded=1)
    )
    assert await check_surveys(database=db, settings=settings, now=expiry) == SurveyBatch(expired=1)
    [survey] = await surveys(db)
    assert (survey.status, survey.expired_at) == (SurveyStatus.EXPIRED, expiry)
    async with db.read() as session:
        row = await session.get(Case, case.id)
        assert row is not None and row.status == CaseStatus.CLOSED


async def test_without_quiet_hours_a_survey_goes_out_at_once_at_night(
    db: Database, settings: Settings, world: World
) -> None:
    options = settings.surveys.model_copy(update={"quiet_hours": ""})
    awake = settings.model_copy(update={"surveys": options})
    await resolved_case(db, world.resident.id, world.instructor.id, now=local(6, 23), delay=timedelta(0))
    assert await check_surveys(database=db, settings=awake, now=local(6, 23)) == SurveyBatch(sent=1)
    [(_kind, _recipient, _params, not_before)] = await survey_messages(db)
    assert not_before == local(6, 23)
