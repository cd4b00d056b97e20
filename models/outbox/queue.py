"""The outbox: every message the bot sends on its own initiative, written in the same
transaction as the change that causes it, and delivered by one paced sender.

A row names *what* to tell *whom* (an :class:`OutboxKind` plus JSON ``params``); the sender renders it in
the recipient's language when it is sent. Rows are claimed with a lease, so a second process
never takes the same row, and a row is marked ``sending`` before the request goes out, so a
restart never sends it twice.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from sqlalchemy import BigInteger, Column, Index, String, Text
from sqlalchemy.orm import aliased
from sqlmodel import Field, SQLModel, col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from models.base import EnumText, UTCDateTime, created_at_field, timestamp_field
from models.directory.tables import Person
from models.outbox.kinds import OutboxKind


class OutboxStatus(StrEnum):
    PENDING = "pending"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"  # a dead letter: refused by Telegram, or failing for all of outbox.retry_for
    BLOCKED = "blocked"  # the recipient blocked the bot
    # A dead letter that may have arrived: the process died mid-request (never resent), or it
    # failed for all of outbox.retry_for and some try went unanswered (docs/delivery.md)
    UNCERTAIN = "uncertain"
    SUPERSEDED = "superseded"  # nothing left to say: the case moved on, or the survey was answered


class OutboxMessage(SQLModel, table=True):
    __tablename__ = "outbox"
    # A chat's rows by status: a claim skips rows behind a retrying one of the same chat.
    __table_args__ = (Index("ix_outbox_chat_retrying", "chat_id", "status", "attempts"),)

    id: int | None = Field(default=None, primary_key=True)
    recipient_id: int | None = Field(default=None, foreign_key="person.id", index=True)
    chat_id: int = Field(sa_column=Column(BigInteger, nullable=False, index=True))
    kind: str = Field(sa_column=Column(String(40), nullable=False))
    params: str = Field(default="{}", sa_column=Column(Text, nullable=False))
    case_id: int | None = Field(default=None, foreign_key="case.id", index=True)
    status: OutboxStatus = Field(
        default=OutboxStatus.PENDING, sa_column=Column(EnumText(OutboxStatus, 12), nullable=False, index=True)
    )
    created_at: datetime = created_at_field()
    not_before: datetime = Field(sa_type=UTCDateTime, nullable=False, index=True)
    attempts: int = 0
    claimed_by: str | None = Field(default=None, max_length=64)
    claimed_until: datetime | None = timestamp_field()
    sent_at: datetime | None = timestamp_field()
    telegram_message_id: int | None = Field(default=None, sa_column=Column(BigInteger))
    error: str | None = Field(default=None, sa_column=Column(Text))
    # Retries (docs/delivery.md): when the first failed try was, how many tries went unanswered
    # (they may have arrived), how many of the row's parts are out, when it became a dead letter.
    failing_since: datetime | None = timestamp_field()
    unanswered: int = 0
    parts_sent: int = 0
    failed_at: datetime | None = Field(default=None, sa_type=UTCDateTime, nullable=True, index=True)

    def parameters(self) -> dict[str, Any]:
        loaded: dict[str, Any] = json.loads(self.params)
        return loaded


async def enqueue(
    *,
    session: AsyncSession,
    recipient: Person,
    kind: OutboxKind,
    now: datetime,
    case_id: int | None = None,
    not_before: datetime | None = None,
    **params: Any,
) -> OutboxMessage | None:
    """Queue a message for ``recipient``; nothing is queued for someone without a Telegram account
    or who blocked the bot (their case is rerouted instead, see routing)."""
    if recipient.telegram_id is None or not recipient.reachable:
        return None
    message = OutboxMessage(
        recipient_id=recipient.id,
        chat_id=recipient.telegram_id,
        kind=kind.value,
        params=json.dumps(params, ensure_ascii=False, sort_keys=True),
        case_id=case_id,
        created_at=now,
        not_before=not_before or now,
    )
    # Inserted by the transaction's next flush: nobody needs its id before then.
    session.add(message)
    return message


async def claim_due(
    *, session: AsyncSession, worker: str, now: datetime, lease: timedelta, limit: int
) -> list[OutboxMessage]:
    """Take up to ``limit`` due messages for this worker, oldest first, leasing them."""
    # A message waiting for its next try holds back the later ones to its chat, so an outage does
    # not make them arrive out of order.
    earlier = aliased(OutboxMessage)
    retrying_before = (
        select(col(earlier.id))
        .where(col(earlier.chat_id) == col(OutboxMessage.chat_id))
        .where(col(earlier.status) == OutboxStatus.PENDING)
        .where(col(earlier.attempts) > 0)
        .where(col(earlier.id) < col(OutboxMessage.id))
        .exists()
    )
    due = (
        select(OutboxMessage)
        .where(OutboxMessage.status == OutboxStatus.PENDING)
        .where(col(OutboxMessage.not_before) <= now)
        .where(~retrying_before)
        .where((col(OutboxMessage.claimed_until).is_(None)) | (col(OutboxMessage.claimed_until) < now))
        .order_by(col(OutboxMessage.not_before), col(OutboxMessage.id))
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    claimed = list(await session.exec(due))
    for message in claimed:
        message.claimed_by = worker
        message.claimed_until = now + lease
        session.add(message)
    await session.flush()
    return claimed


async def abandon_interrupted(*, session: AsyncSession, now: datetime) -> list[OutboxMessage]:
    """Rows left ``sending`` by a process that died mid-request: mark them, never resend them."""
    stuck = list(
        await session.exec(
            select(OutboxMessage)
            .where(OutboxMessage.status == OutboxStatus.SENDING)
            .where(col(OutboxMessage.claimed_until) < now)
        )
    )
    for message in stuck:
        message.status = OutboxStatus.UNCERTAIN
        message.error = "interrupted while sending"
        message.failed_at = now
        session.add(message)
    await session.flush()
    return stuck
