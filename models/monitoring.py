"""What an operator sees of the bot's work, counted from the database at the moment of asking.

The database is the one record every process shares (the bot, its outbox worker, a second
instance), and it outlives restarts, so counts read from it are right across all of them:
/healthz (bot/health.py) and /metrics (bot/metrics.py) ask these functions on every request.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import case as when
from sqlalchemy import func, text
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from models.cases.routing import RoutingReason
from models.cases.tables import Case, CaseEvent, EventKind
from models.outbox.queue import OutboxMessage, OutboxStatus
from models.surveys.tables import Survey

# Routings up the chain (the instructor's level to the committee's, or on to the office).
ESCALATIONS = (RoutingReason.COMMITTEE_UP.value, RoutingReason.OFFICE_UP.value)


@dataclass(frozen=True)
class Backlog:
    """Outbox messages due and not yet sent, and since when the oldest of them has been due."""

    due: int
    sending: int
    scheduled: int  # pending, but not due yet (a survey in quiet hours, a retry's wait)
    oldest_due: datetime | None
    last_sent: datetime | None


@dataclass(frozen=True)
class OutboxCount:
    kind: str
    status: str
    messages: int
    retried: int  # of them, those that met a temporary failure and were tried again


@dataclass(frozen=True)
class Totals:
    """Everything counted since the database was made."""

    outbox: list[OutboxCount]
    cases_opened: int
    cases_resolved: int  # resolutions: a case reopened and resolved again counts twice
    cases_escalated: int  # routings up a level
    surveys_sent: int
    surveys_answered: int


async def database_answers(*, session: AsyncSession) -> bool:
    """Whether the database answers a trivial query (errors propagate to the caller)."""
    return (await session.exec(select(text("1")))).first() is not None


async def outbox_backlog(*, session: AsyncSession, now: datetime) -> Backlog:
    pending = col(OutboxMessage.status) == OutboxStatus.PENDING
    due = pending & (col(OutboxMessage.not_before) <= now)
    due_count, sending, scheduled = (
        await session.exec(
            select(
                func.count(when((due, 1))),
                func.count(when((col(OutboxMessage.status) == OutboxStatus.SENDING, 1))),
                func.count(when((pending & (col(OutboxMessage.not_before) > now), 1))),
            ).where(col(OutboxMessage.status).in_((OutboxStatus.PENDING, OutboxStatus.SENDING)))
        )
    ).one()
    oldest = (await session.exec(select(func.min(col(OutboxMessage.not_before))).where(due))).one()
    # The newest sent row is among the newest rows: walked from the end of the primary key.
    last_sent = (
        await session.exec(
            select(OutboxMessage.sent_at)
            .where(col(OutboxMessage.status) == OutboxStatus.SENT)
            .order_by(col(OutboxMessage.id).desc())
            .limit(1)
        )
    ).first()
    return Backlog(int(due_count), int(sending), int(scheduled), oldest, last_sent)


async def totals(*, session: AsyncSession) -> Totals:
    outbox = [
        OutboxCount(str(kind), str(status), int(messages), int(retried or 0))
        for kind, status, messages, retried in await session.exec(
            select(
                OutboxMessage.kind,
                OutboxMessage.status,
                func.count(),
                func.count(when((col(OutboxMessage.attempts) > 0, 1))),
            ).group_by(col(OutboxMessage.kind), col(OutboxMessage.status))
        )
    ]
    opened = (await session.exec(select(func.count()).select_from(Case))).one()
    resolved, escalated = (
        await session.exec(
            select(
                func.count(when((col(CaseEvent.kind) == EventKind.RESOLVED, 1))),
                func.count(
                    when(
                        (
                            (col(CaseEvent.kind) == EventKind.ROUTED)
                            & col(CaseEvent.reason).in_(ESCALATIONS),
                            1,
                        )
                    )
                ),
            ).where(col(CaseEvent.kind).in_((EventKind.RESOLVED, EventKind.ROUTED)))
        )
    ).one()
    sent, answered = (
        await session.exec(select(func.count(col(Survey.sent_at)), func.count(col(Survey.answered_at))))
    ).one()
    return Totals(outbox, int(opened), int(resolved), int(escalated), int(sent), int(answered))
