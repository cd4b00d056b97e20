"""Delivering outbox rows: the status changes the sender makes, each in the caller's transaction.

A row goes ``pending`` → ``sending`` (committed before the request leaves) → ``sent``, or back
to ``pending`` for a retry, or to ``failed`` / ``blocked``. Marking a row ``sending`` is
conditional on this worker still holding its claim, so a row whose lease ran out and was
claimed by another process is never sent by both.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import CursorResult, update
from sqlmodel import col
from sqlmodel.ext.asyncio.session import AsyncSession

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
    message_id: int,
    attempts: int,
    max_attempts: int,
    not_before: datetime,
    error: str,
) -> OutboxStatus:
    """A temporary failure: pending again after ``not_before``, or failed after the last attempt."""
    status = OutboxStatus.FAILED if attempts >= max_attempts else OutboxStatus.PENDING
    await _update(
        session,
        message_id,
        status=status,
        attempts=attempts,
        not_before=not_before,
        claimed_by=None,
        claimed_until=None,
        error=error,
    )
    return status


async def mark_failed(
    *, session: AsyncSession, message_id: int, error: str, status: OutboxStatus = OutboxStatus.FAILED
) -> None:
    await _update(session, message_id, status=status, claimed_until=None, error=error)


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
