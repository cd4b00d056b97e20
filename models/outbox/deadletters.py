"""What the outbox could not deliver: the state ``redprop outbox status`` shows, and the street
office's daily summary of dead letters (rows ``failed`` or ``uncertain``, see docs/delivery.md).

A summary goes to a street's office admins at most once a day, noted like the assessment's
notices, so a second process or a second run that day never sends it again.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta, tzinfo

from sqlalchemy import func
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from models.assessment.access import office_admins
from models.assessment.notices import note_once
from models.assessment.tables import NoticeKind
from models.base import id_of
from models.cases.tables import Case
from models.directory.tables import Community, Street
from models.outbox.kinds import OutboxKind
from models.outbox.queue import OutboxMessage, OutboxStatus, enqueue

DEAD = (OutboxStatus.FAILED, OutboxStatus.UNCERTAIN)
WAITING = (OutboxStatus.PENDING, OutboxStatus.SENDING)
SUMMARY_CASES = 20  # case numbers named in one summary at most


@dataclass
class KindState:
    """One outbox kind's rows not delivered (yet), and the case numbers of those in trouble."""

    kind: str
    pending: int = 0  # waiting for their first try (or being sent)
    retrying: int = 0  # tried and failed, waiting for the next try
    failed: int = 0
    uncertain: int = 0
    cases: list[str] = field(default_factory=list)


async def outbox_state(*, session: AsyncSession) -> list[KindState]:
    """Every kind with rows pending, retrying, failed or uncertain, by kind."""
    tried = col(OutboxMessage.attempts) > 0
    counts = await session.exec(
        select(OutboxMessage.kind, OutboxMessage.status, tried, func.count())
        .where(col(OutboxMessage.status).in_([*WAITING, *DEAD]))
        .group_by(OutboxMessage.kind, OutboxMessage.status, tried)
    )
    states: dict[str, KindState] = {}
    for kind, status, retried, count in counts:
        state = states.setdefault(kind, KindState(kind))
        if status == OutboxStatus.FAILED:
            state.failed += count
        elif status == OutboxStatus.UNCERTAIN:
            state.uncertain += count
        elif retried:
            state.retrying += count
        else:
            state.pending += count
    troubled = (col(OutboxMessage.status).in_(DEAD)) | (
        (col(OutboxMessage.status) == OutboxStatus.PENDING) & tried
    )
    numbers = await session.exec(
        select(OutboxMessage.kind, Case.number)
        .join(Case, col(Case.id) == col(OutboxMessage.case_id))
        .where(troubled)
        .distinct()
        .order_by(OutboxMessage.kind, Case.number)
    )
    for kind, number in numbers:
        states[kind].cases.append(number)
    return [states[kind] for kind in sorted(states)]


@dataclass(frozen=True)
class StreetDeliveries:
    """A street's dead letters of one day (its cases' rows, and the rows about no case)."""

    failed: int
    uncertain: int
    retrying: int
    cases: list[str]

    @property
    def any(self) -> bool:
        return bool(self.failed or self.uncertain or self.retrying)


async def street_deliveries(*, session: AsyncSession, street_id: int, since: datetime) -> StreetDeliveries:
    """The street's rows that became dead letters since ``since``, and those retrying now."""
    of_street = select(OutboxMessage.status, Case.number).outerjoin(
        Case, col(Case.id) == col(OutboxMessage.case_id)
    )
    of_street = of_street.outerjoin(Community, col(Community.id) == col(Case.community_id)).where(
        col(OutboxMessage.case_id).is_(None) | (col(Community.street_id) == street_id)
    )
    dead = list(
        await session.exec(
            of_street.where(col(OutboxMessage.status).in_(DEAD)).where(col(OutboxMessage.failed_at) > since)
        )
    )
    retrying = list(
        await session.exec(
            of_street.where(OutboxMessage.status == OutboxStatus.PENDING).where(
                col(OutboxMessage.attempts) > 0
            )
        )
    )
    numbers = sorted({number for _, number in [*dead, *retrying] if number is not None})
    return StreetDeliveries(
        failed=sum(1 for status, _ in dead if status == OutboxStatus.FAILED),
        uncertain=sum(1 for status, _ in dead if status == OutboxStatus.UNCERTAIN),
        retrying=len(retrying),
        cases=numbers,
    )


async def queue_delivery_summaries(*, session: AsyncSession, now: datetime, tz: tzinfo) -> int:
    """Queue today's summary for each street's office (once a day, and only if something failed
    in the last day or is retrying now). Returns the number of streets told."""
    day = now.astimezone(tz).date()
    told = 0
    for street in await session.exec(select(Street).order_by(col(Street.id))):
        street_id = id_of(street)
        if not await note_once(
            session, street_id, day.strftime("%Y%m%d"), NoticeKind.DELIVERY_SUMMARY, 0, now
        ):
            continue
        found = await street_deliveries(session=session, street_id=street_id, since=now - timedelta(days=1))
        if not found.any:
            continue
        for admin in await office_admins(session, street_id):
            await enqueue(
                session=session,
                recipient=admin,
                kind=OutboxKind.DELIVERY_SUMMARY,
                now=now,
                day=day.isoformat(),
                failed=found.failed,
                uncertain=found.uncertain,
                retrying=found.retrying,
                cases=found.cases[:SUMMARY_CASES],
                more_cases=max(0, len(found.cases) - SUMMARY_CASES),
            )
        told += 1
    return told
