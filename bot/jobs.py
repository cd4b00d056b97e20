"""Periodic jobs on PTB's JobQueue: the surveys that fell due, the reminders, the expiries, the
reminders to publish the quarter's assessment (handlers/publish_reminders.py, hourly), and the
office's daily delivery summary (handlers/delivery_summary.py).

Every ``surveys.check_interval`` (and once right at start, so surveys that fell due while the
bot was down go out at once) :func:`check_surveys` runs each step in its own write transaction:
the domain claims the rows and queues the outbox messages, holding them past the quiet hours
(``not_before``). The outbox sender renders and delivers them in each recipient's language.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from config.settings import Settings
from handlers.context import SETTINGS_KEY, Context, RedPropApplication, wake_outbox
from handlers.delivery_summary import start_delivery_summary
from handlers.draft_expiry import start_draft_expiry
from handlers.publish_reminders import start_publish_reminders
from models.base import utcnow
from models.escalation.job import run_escalations
from models.meetings.decisions import follow_up_items
from models.meetings.scheduling import due_meeting_reminders
from models.surveys.scheduling import QuietHours, due_reminders, due_surveys, expire_surveys
from storage.database import Database

logger = logging.getLogger(__name__)

SURVEYS_JOB = "surveys"
ESCALATION_JOB = "escalation"
BATCH = 200  # rows claimed per transaction; a burst is worked through batch by batch


@dataclass(frozen=True)
class SurveyBatch:
    sent: int = 0
    reminded: int = 0
    expired: int = 0

    @property
    def any(self) -> bool:
        return bool(self.sent or self.reminded or self.expired)


def quiet_hours(settings: Settings) -> QuietHours | None:
    quiet = settings.surveys.quiet_range
    return QuietHours(quiet[0], quiet[1], settings.bot.tzinfo) if quiet is not None else None


async def _in_batches(database: Database, claim: Callable[[AsyncSession], Awaitable[list[Any]]]) -> int:
    """Run ``claim`` in write transactions of a batch each until a batch comes back short."""
    total = 0
    while True:
        async with database.write() as session:
            claimed = len(await claim(session))
        total += claimed
        if claimed < BATCH:
            return total


async def check_surveys(*, database: Database, settings: Settings, now: datetime) -> SurveyBatch:
    """Queue the due surveys and reminders and close the expired surveys, as of ``now``."""
    options = settings.surveys
    quiet = quiet_hours(settings)
    sent = await _in_batches(
        database, lambda session: due_surveys(session=session, now=now, limit=BATCH, quiet=quiet)
    )
    reminded = await _in_batches(
        database,
        lambda session: due_reminders(
            session=session, now=now, reminder_after=options.reminder_after, limit=BATCH, quiet=quiet
        ),
    )
    expired = await _in_batches(
        database,
        lambda session: expire_surveys(
            session=session, now=now, expire_after=options.expire_after, limit=BATCH
        ),
    )
    return SurveyBatch(sent=sent, reminded=reminded, expired=expired)


async def surveys_job(context: Context) -> None:
    """Run :func:`check_surveys` now and wake the sender for what it queued."""
    batch = await check_surveys(database=context.db, settings=context.settings, now=utcnow())
    if batch.any:
        logger.info("surveys: %d sent, %d reminded, %d expired", batch.sent, batch.reminded, batch.expired)
        wake_outbox(context.application)


async def check_escalations(*, database: Database, settings: Settings, now: datetime) -> int:
    """Send the reminders and escalations that fell due as of ``now``; the number of cases seen."""
    rules = settings.escalation.rules(settings.bot.tzinfo)
    seen = await _in_batches(
        database,
        lambda session: run_escalations(session=session, rules=rules, now=now, limit=BATCH),
    )
    # The Affairs Hall's reminders the day before, and its action items' reminders and overdue notices.
    seen += await _in_batches(
        database, lambda session: due_meeting_reminders(session=session, now=now, limit=BATCH)
    )
    async with database.write() as session:
        seen += await follow_up_items(session=session, now=now, limit=BATCH, rules=rules)
    return seen


async def escalation_job(context: Context) -> None:
    """Run :func:`check_escalations` now and wake the sender for what it queued."""
    seen = await check_escalations(database=context.db, settings=context.settings, now=utcnow())
    if seen:
        logger.info("escalations: %d cases looked at", seen)
        wake_outbox(context.application)


def start_jobs(application: RedPropApplication) -> None:
    """Schedule the survey job (at once, then every ``surveys.check_interval``), the draft expiry,
    the publish reminders and the delivery summary."""
    settings: Settings = application.bot_data[SETTINGS_KEY]
    job_queue = application.job_queue
    if job_queue is None:  # python-telegram-bot installed without the job-queue extra
        logger.warning("no job queue: surveys are not sent, drafts do not expire, no publish reminders")
        return
    # APScheduler logs two INFO lines per run; this module logs the runs that did something.
    logging.getLogger("apscheduler").setLevel(logging.WARNING)
    for job in job_queue.get_jobs_by_name(SURVEYS_JOB):
        job.schedule_removal()
    job_queue.run_repeating(surveys_job, interval=settings.surveys.check_interval, first=0, name=SURVEYS_JOB)
    for job in job_queue.get_jobs_by_name(ESCALATION_JOB):
        job.schedule_removal()
    job_queue.run_repeating(
        escalation_job, interval=settings.escalation.check_interval, first=0, name=ESCALATION_JOB
    )
    start_draft_expiry(application, settings.cases.draft_expiry)
    start_publish_reminders(application)
    start_delivery_summary(application)
