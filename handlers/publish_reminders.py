"""The publish reminder: a periodic job that reminds each street's property office, once, of a
quarter ended ``assessment.publish_reminder_days`` ago and not published yet.

It runs hourly and once at start, so a reminder that fell due while the bot was down goes out
at once; the domain notes each reminder, so another process or a later run never sends it twice.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from handlers.context import Context, RedPropApplication, wake_outbox
from models.assessment.lifecycle import due_publish_reminders
from models.base import utcnow

logger = logging.getLogger(__name__)

PUBLISH_REMINDERS_JOB = "publish_reminders"
CHECK_INTERVAL = timedelta(hours=1)


async def remind_to_publish(context: Context) -> None:
    """Queue the reminders that fell due, in one transaction, and wake the sender for them."""
    async with context.db.write() as session:
        reminded = await due_publish_reminders(
            session=session,
            scheme=context.settings.assessment.scheme,
            tz=context.settings.bot.tzinfo,
            now=utcnow(),
        )
    if reminded:
        logger.info("publish reminders: %d streets reminded", reminded)
        wake_outbox(context.application)


def start_publish_reminders(application: RedPropApplication) -> None:
    """Look for due reminders every :data:`CHECK_INTERVAL`, first right at start."""
    job_queue = application.job_queue
    assert job_queue is not None
    for job in job_queue.get_jobs_by_name(PUBLISH_REMINDERS_JOB):
        job.schedule_removal()
    job_queue.run_repeating(remind_to_publish, interval=CHECK_INTERVAL, first=0, name=PUBLISH_REMINDERS_JOB)
