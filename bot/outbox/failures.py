"""What a failed send means, how long to wait before the next try, and how a delivery is named
in the log (docs/delivery.md has the whole policy).

Telegram has no idempotency key, so the sender sorts every failure by what it says about the
message having arrived:

* **not delivered**: Telegram answered with an error (5xx), or the request never left (the
  connection was refused, could not be made in time, or no pooled connection was free). The
  row is tried again, freely.
* **unanswered**: the request left and no answer came (a read timeout, a connection dropped
  mid-call). It may have arrived. The row is tried again all the same, and the try is counted
  in ``unanswered``: in an outage a hanging request almost never went through, and a lost case
  card leaves a resident's problem with nobody, while a second copy of a card or a question
  changes nothing (every button is checked against the database). A row that runs out of
  ``outbox.retry_for`` after such a try is ``uncertain``, not ``failed``.
* **refused**: Telegram answered 400 (a photo refused is sent again as text, see the sender).
  Retrying cannot help: the row is a dead letter at once.
* **blocked** (403), **flood control** (429) and a **bad token** (401) keep their own handling.
"""

from __future__ import annotations

import logging
import random
from collections.abc import Callable
from datetime import datetime, timedelta
from enum import StrEnum

from sqlmodel.ext.asyncio.session import AsyncSession
from telegram.error import (
    BadRequest,
    Forbidden,
    InvalidToken,
    NetworkError,
    RetryAfter,
    TelegramError,
    TimedOut,
)

from models.base import utcnow
from models.cases.unreachable import card_undelivered
from models.outbox.delivery import dead_letter, retry_later
from models.outbox.queue import OutboxMessage, abandon_interrupted

logger = logging.getLogger(__name__)


class Fault(StrEnum):
    FLOOD = "flood"
    BAD_TOKEN = "bad_token"
    BLOCKED = "blocked"
    REFUSED = "refused"
    NOT_DELIVERED = "not_delivered"
    UNANSWERED = "unanswered"


# Errors of the HTTP clients (aiohttp, httpx) raised before a request is written: connecting,
# or waiting for a connection of the pool.
_BEFORE_SENDING = frozenset(
    {"ClientConnectorError", "ConnectionTimeoutError", "ConnectError", "ConnectTimeout", "PoolTimeout"}
)


def never_left(error: NetworkError) -> bool:
    """Whether the request certainly did not reach Telegram (or Telegram answered it with an error)."""
    cause = error.__cause__
    if cause is None:
        # PTB raises an answer's error (5xx) without a cause; a timeout always has one.
        return not isinstance(error, TimedOut)
    if "not* sent" in str(error) or "was not sent" in str(error):
        return True  # the pool timeout and the connect timeout say so themselves
    return any(kind.__name__ in _BEFORE_SENDING for kind in type(cause).__mro__)


def fault_of(error: TelegramError) -> Fault:
    if isinstance(error, RetryAfter):
        return Fault.FLOOD
    if isinstance(error, InvalidToken):
        return Fault.BAD_TOKEN
    if isinstance(error, Forbidden):
        return Fault.BLOCKED
    if isinstance(error, NetworkError) and not isinstance(error, BadRequest):
        return Fault.NOT_DELIVERED if never_left(error) else Fault.UNANSWERED
    return Fault.REFUSED


def backoff(attempt: int, *, base: float, cap: float, rng: Callable[[], float] = random.random) -> float:
    """Seconds to wait after failed try number ``attempt``: doubling from ``base`` up to ``cap``,
    its upper half random, so rows that failed together do not all come back together."""
    delay = min(cap, base * 2 ** min(attempt - 1, 60))
    return delay / 2 + rng() * delay / 2


def delivery_label(message: OutboxMessage, method: str, case_number: str | None) -> str:
    """How a log line names a delivery: the method, the kind, the case and the recipient's
    internal id; never a chat id, a phone number or the token."""
    case = f" case {case_number}" if case_number else ""
    return f"{method} {message.kind}{case} to person {message.recipient_id} (outbox row {message.id})"


async def settle(
    *,
    session: AsyncSession,
    message: OutboxMessage,
    fault: Fault,
    error: str,
    sent: int,
    parts: int,
    backoff_base: float,
    cap: float,
    retry_for: timedelta,
    what: str,
) -> bool:
    """A failed try, in the caller's transaction: True if the row is tried again later, False if
    it became a dead letter (a case card's case then moves up, and the office is told)."""
    now = utcnow()
    message.parts_sent = sent
    message.attempts += 1
    if fault in (Fault.NOT_DELIVERED, Fault.UNANSWERED):
        message.unanswered += fault is Fault.UNANSWERED
        message.failing_since = message.failing_since or now
        delay = backoff(message.attempts, base=backoff_base, cap=cap)
        if now + timedelta(seconds=delay) <= message.failing_since + retry_for:
            await retry_later(
                session=session, message=message, not_before=now + timedelta(seconds=delay), error=error
            )
            unsure = " (unanswered: it may have arrived)" if fault is Fault.UNANSWERED else ""
            logger.warning(
                "outbox: %s: %s%s; try %d in %.1fs", what, error, unsure, message.attempts + 1, delay
            )
            return True
    if sent:
        error = f"{error} (after {sent} of {parts} part(s) were sent)"
    status = await dead_letter(session=session, message=message, error=error, now=now)
    case = await card_undelivered(session=session, message=message, now=now)
    moved = "; the case moved one level up" if case is not None else ""
    logger.error("outbox: %s: %s after %d tries: %s%s", what, status.value, message.attempts, error, moved)
    return False


async def abandon(*, session: AsyncSession, now: datetime) -> int:
    """Mark the rows a dead process left ``sending`` uncertain (models/outbox/queue.py); an
    interrupted case card is a dead letter like any other: its case moves up, the office is told."""
    stuck = await abandon_interrupted(session=session, now=now)
    for message in stuck:
        await card_undelivered(session=session, message=message, now=now)
    return len(stuck)
