"""Abandoned drafts: discarded by a periodic job, their writers told through the outbox.

A /report or /suggest draft untouched for ``cases.draft_expiry`` is dropped from the user's
data and a message says so. The job looks at the drafts themselves (their ``touched`` time),
so it also catches drafts that expired while the bot was down, and it costs nothing per
update (PTB's conversation timeout schedules a timer on every step). A resident who answers
an expired conversation later is told again by the step itself (handlers/drafts.py).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from handlers.context import Context, RedPropApplication, wake_outbox
from handlers.drafts import EXPIRED_MESSAGES, is_expired
from models.base import utcnow
from models.directory.people import people_by_telegram_id
from models.outbox.kinds import OutboxKind
from models.outbox.queue import enqueue

logger = logging.getLogger(__name__)

DRAFTS_JOB = "drafts"
LONGEST_CHECK_INTERVAL = timedelta(minutes=1)


def check_interval(expiry: timedelta) -> timedelta:
    """How often to look: a tenth of the expiry, at most a minute (a draft is told late by that much)."""
    return min(expiry / 10, LONGEST_CHECK_INTERVAL)


def take_expired_drafts(
    user_data: Mapping[int, dict[Any, Any]], expiry: timedelta, now: datetime
) -> list[tuple[int, str]]:
    """Remove every expired draft from ``user_data``; return (user id, draft kind) of each."""
    taken = []
    for user_id, data in user_data.items():
        for kind in EXPIRED_MESSAGES:
            draft = data.get(kind)
            if isinstance(draft, dict) and is_expired(draft, expiry, now):
                del data[kind]
                taken.append((user_id, kind))
    return taken


async def expire_drafts(context: Context) -> None:
    """Discard the drafts nobody touched for ``cases.draft_expiry`` and queue a word to each writer."""
    application = context.application
    expiry = context.settings.cases.draft_expiry
    now = utcnow()
    # Taken with no await in between, so no step of the same user runs halfway through.
    taken = take_expired_drafts(application.user_data, expiry, now)
    if not taken:
        return
    for user_id, _kind in taken:
        application.mark_data_for_update_persistence(user_ids=user_id)
    await application.update_persistence()
    async with context.db.write() as session:
        people = await people_by_telegram_id(session=session, telegram_ids=(user_id for user_id, _ in taken))
        for user_id, kind in taken:
            person = people.get(user_id)
            if person is not None:
                await enqueue(
                    session=session,
                    recipient=person,
                    kind=OutboxKind.DRAFT_EXPIRED,
                    now=now,
                    message=EXPIRED_MESSAGES[kind],
                    seconds=int(expiry.total_seconds()),
                )
    logger.info("drafts: %d expired", len(taken))
    wake_outbox(application)


def start_draft_expiry(application: RedPropApplication, expiry: timedelta) -> None:
    """Check for expired drafts every :func:`check_interval`, first right at start."""
    job_queue = application.job_queue
    assert job_queue is not None
    for job in job_queue.get_jobs_by_name(DRAFTS_JOB):
        job.schedule_removal()
    job_queue.run_repeating(expire_drafts, interval=check_interval(expiry), first=0, name=DRAFTS_JOB)
