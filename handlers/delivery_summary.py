"""The street office's daily delivery summary: a job at ``outbox.summary_at`` local time that
queues, through the outbox, what could not be delivered in the last day and what is retrying.

The domain notes each street's summary of the day, so another process or a second run that day
never sends it twice; a day with nothing to report sends nothing.
"""

from __future__ import annotations

import logging

from handlers.context import SETTINGS_KEY, Context, RedPropApplication, wake_outbox
from models.base import utcnow
from models.outbox.deadletters import queue_delivery_summaries

logger = logging.getLogger(__name__)

DELIVERY_SUMMARY_JOB = "delivery_summary"


async def summarise_deliveries(context: Context) -> None:
    """Queue today's summaries, in one transaction, and wake the sender for them."""
    async with context.db.write() as session:
        told = await queue_delivery_summaries(session=session, now=utcnow(), tz=context.settings.bot.tzinfo)
    if told:
        logger.info("delivery summary: %d street(s) told", told)
        wake_outbox(context.application)


def start_delivery_summary(application: RedPropApplication) -> None:
    """Run :func:`summarise_deliveries` every day at ``outbox.summary_at`` in ``bot.timezone``."""
    settings = application.bot_data[SETTINGS_KEY]
    job_queue = application.job_queue
    assert job_queue is not None
    for job in job_queue.get_jobs_by_name(DELIVERY_SUMMARY_JOB):
        job.schedule_removal()
    at = settings.outbox.summary_time.replace(tzinfo=settings.bot.tzinfo)
    job_queue.run_daily(summarise_deliveries, time=at, name=DELIVERY_SUMMARY_JOB)
