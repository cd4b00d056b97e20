"""The publish reminder job: scheduled hourly from the start; the office of a street whose ended
quarter is not published is reminded once."""

from __future__ import annotations

from typing import Any

from sqlmodel import select

from bot.sandbox.telegram import FakeTelegram
from handlers.context import RedPropApplication
from handlers.publish_reminders import CHECK_INTERVAL, PUBLISH_REMINDERS_JOB
from models.assessment.tables import AssessmentNotice
from models.base import utcnow
from models.periods import Quarter
from storage.database import Database
from tests.fakes.outbox import deliver_outbox
from tests.handlers.assessment_world import ADMIN, make_assessment_world
from tests.models.assessment.golden_street import SHANGHAI


async def notices(db: Database) -> list[AssessmentNotice]:
    async with db.read() as session:
        return list(await session.exec(select(AssessmentNotice)))


async def test_the_office_is_reminded_once_to_publish_the_ended_quarter(
    app: RedPropApplication, app_db: Database, chat: Any, telegram: FakeTelegram
) -> None:
    await make_assessment_world(app_db, governance=False)
    assert app.job_queue is not None
    [job] = app.job_queue.get_jobs_by_name(PUBLISH_REMINDERS_JOB)
    assert job.trigger.interval == CHECK_INTERVAL  # type: ignore[attr-defined]
    ended = Quarter.of(utcnow(), SHANGHAI).previous
    await job.run(app)
    await job.run(app)  # a second run (another hour, or another process) sends nothing more
    await deliver_outbox(app)
    assert telegram.texts_to(ADMIN.id) == [
        f"The assessment of {ended} is not published yet. Review it with /ranking {ended} and publish it "
        "there; enterprises can appeal for a week after."
    ]
    assert len(await notices(app_db)) == 1
