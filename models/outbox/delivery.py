"""Delivering outbox rows: the status changes the sender makes, each in the caller's transaction.

A row goes ``pending`` → ``sending`` (committed before the request leaves) → ``sent``, or back
to ``pending`` for a retry, or to a dead letter (``failed`` / ``uncertain``), or ``blocked``.
Marking a row ``sending`` is conditional on this worker still holding its claim, so a row
whose lease ran out and was claimed by another process is never sent by both.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import CursorResult, update
from sqlmodel import col
from sqlmodel.ext.asyncio.session import AsyncSession

from models.base import id_of
from models.outbox.queue import OutboxMessage, OutboxStatus


async def _update(session: AsyncSession, message_id: int, *conditions: object, **values: object) -> bool:
    statement = update(OutboxMessage).where(col(OutboxMessage.id) == message_id)
    for condition in conditions:
        statement = statement.where(condition)  # type: ignore[arg-type]
    result = await session.exec(statement.values(**values))
    return isinstance(result, CursorResult) and result.rowcount == 1


async def start_sending(
    *, session: AsyncSession, message_id: int, worker: str, now: datetime, lease: timedelta
) -> bool:
    """Mark the row ``sending`` if it is still pending and claimed by ``worker``; False: leave it."""
    return await _update(
        session,
        message_id,
        col(OutboxMessage.status) == OutboxStatus.PENDING,
        col(OutboxMessage.claimed_by) == worker,
        status=OutboxStatus.SENDING,
        claimed_until=now + lease,
    )


async def mark_sent(
    *, session: AsyncSession, message_id: int, telegram_message_id: int | None, now: datetime
) -> None:
    await _update(
        session,
        message_id,
        status=OutboxStatus.SENT,
        sent_at=now,
        telegram_message_id=telegram_message_id,
        claimed_until=None,
        error=None,
    )


async def hold_sending(*, session: AsyncSession, message_id: int, worker: str, until: datetime) -> bool:
    """A half-sent row waiting out a flood pause stays ``sending`` and ``worker``'s until ``until``,
    so no sender takes it for interrupted meanwhile; False if it is not ours any more."""
    return await _update(
        session,
        message_id,
        col(OutboxMessage.status) == OutboxStatus.SENDING,
        col(OutboxMessage.claimed_by) == worker,
        claimed_until=until,
    )


async def put_back(
    *, session: AsyncSession, message_id: int, worker: str, now: datetime, lease: timedelta
) -> None:
    """Flood control: back to ``pending``, still claimed by ``worker``, no attempt counted."""
    await _update(
        session,
        message_id,
        status=OutboxStatus.PENDING,
        claimed_by=worker,
        claimed_until=now + lease,
    )


async def retry_later(
    *,
    session: AsyncSession,
    message: OutboxMessage,
    not_before: datetime,
    error: str,
) -> None:
    """A failure worth another try: ``pending`` again after ``not_before``, keeping the row's
    count of tries, unanswered tries, parts already out and when it began failing. The later rows
    of its chat claimed by the same worker are given back: they wait for it (see claim_due)."""
    await session.exec(
        update(OutboxMessage)
        .where(col(OutboxMessage.chat_id) == message.chat_id)
        .where(col(OutboxMessage.id) > id_of(message))
        .where(col(OutboxMessage.status) == OutboxStatus.PENDING)
        .where(col(OutboxMessage.claimed_by) == message.claimed_by)
        .values(claimed_by=None, claimed_until=None)
    )
    await _update(
        session,
        id_of(message),
        status=OutboxStatus.PENDING,
        attempts=message.attempts,
        unanswered=message.unanswered,
        parts_sent=message.parts_sent,
        failing_since=message.failing_since,
        not_before=not_before,
        claimed_by=None,
        claimed_until=None,
        error=error,
    )


async def dead_letter(
    *, session: AsyncSession, message: OutboxMessage, error: str, now: datetime
) -> OutboxStatus:
    """Give up on the row: ``uncertain`` if a try went unanswered (it may have arrived), else ``failed``."""
    status = OutboxStatus.UNCERTAIN if message.unanswered else OutboxStatus.FAILED
    await _update(
        session,
        id_of(message),
        status=status,
        attempts=message.attempts,
        unanswered=message.unanswered,
        parts_sent=message.parts_sent,
        failing_since=message.failing_since or now,
        failed_at=now,
        claimed_until=None,
        error=error,
    )
    return status


async def mark_failed(
    *,
    session: AsyncSession,
    message_id: int,
    error: str,
    now: datetime,
    status: OutboxStatus = OutboxStatus.FAILED,
) -> None:
    """Settle the row without sending it (a failure is a dead letter, and dated as one)."""
    failed_at = now if status in (OutboxStatus.FAILED, OutboxStatus.UNCERTAIN) else None
    await _update(session, message_id, status=status, claimed_until=None, error=error, failed_at=failed_at)


async def block_chat(*, session: AsyncSession, message: OutboxMessage, error: str) -> None:
    """The recipient blocked the bot: this row and the chat's other pending rows are ``blocked``."""
    await session.exec(
        update(OutboxMessage)
        .where(
            (col(OutboxMessage.id) == message.id)
            | (
                (col(OutboxMessage.chat_id) == message.chat_id)
                & (col(OutboxMessage.status) == OutboxStatus.PENDING)
            )
        )
        .values(status=OutboxStatus.BLOCKED, claimed_until=None, error=error)
    )


async def release_claims(*, session: AsyncSession, worker: str) -> None:
    """A stopping sender gives back the pending rows it claimed but did not send."""
    await session.exec(
        update(OutboxMessage)
        .where(col(OutboxMessage.claimed_by) == worker)
        .where(col(OutboxMessage.status) == OutboxStatus.PENDING)
        .values(claimed_by=None, claimed_until=None)
    )
