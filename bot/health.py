"""``GET /healthz``: whether the bot can work, as JSON for a load balancer or a person.

The answer is 200 while the database answers, 503 when it does not (within
:data:`DATABASE_TIMEOUT`). Beside that it says when the bot last got an answer from the Bot
API (:class:`WatchedRequest` notes each one), how many outbox messages wait to be sent and
since when the oldest has been due, and when the outbox worker last sent one: a backlog that
grows while the Bot API answers is a worker that is stuck.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime
from typing import Any

from telegram.request import BaseRequest

from models.base import utcnow
from models.monitoring import Backlog, database_answers, outbox_backlog
from storage.database import Database

logger = logging.getLogger(__name__)

DATABASE_TIMEOUT = 3.0  # seconds: a database slower than this counts as unreachable


class WatchedRequest(BaseRequest):
    """Another request's Bot API calls, noting when the last one was answered with success."""

    def __init__(self, inner: BaseRequest, watch: ApiWatch) -> None:
        self.inner = inner
        self.watch = watch

    @property
    def read_timeout(self) -> float | None:
        return self.inner.read_timeout

    async def initialize(self) -> None:
        await self.inner.initialize()

    async def shutdown(self) -> None:
        await self.inner.shutdown()

    async def do_request(self, *args: Any, **kwargs: Any) -> tuple[int, bytes]:
        status, payload = await self.inner.do_request(*args, **kwargs)
        if status == 200:
            self.watch.last_success = utcnow()
        return status, payload


class ApiWatch:
    """When this process last had a successful answer from the Bot API."""

    def __init__(self) -> None:
        self.last_success: datetime | None = None

    def watching(self, request: BaseRequest) -> BaseRequest:
        return WatchedRequest(request, self)


def _time(value: datetime | None) -> str | None:
    return value.isoformat(timespec="seconds") if value is not None else None


def _outbox(backlog: Backlog, now: datetime) -> dict[str, Any]:
    waited = (now - backlog.oldest_due).total_seconds() if backlog.oldest_due is not None else 0.0
    return {
        "due": backlog.due,
        "sending": backlog.sending,
        "scheduled": backlog.scheduled,
        "oldest_due_at": _time(backlog.oldest_due),
        "oldest_due_seconds": round(max(waited, 0.0), 1),
        "last_sent_at": _time(backlog.last_sent),
    }


async def health(database: Database, watch: ApiWatch) -> tuple[int, dict[str, Any]]:
    """The HTTP status and the JSON body of /healthz."""
    now = utcnow()
    report: dict[str, Any] = {"time": _time(now), "bot_api": {"last_success_at": _time(watch.last_success)}}
    try:
        async with asyncio.timeout(DATABASE_TIMEOUT), database.read() as session:
            await database_answers(session=session)
            backlog = await outbox_backlog(session=session, now=now)
    except Exception as error:  # any failure to read means the bot cannot work
        logger.warning("health check: the database did not answer: %s", type(error).__name__)
        report.update(status="unavailable", database={"reachable": False, "error": type(error).__name__})
        return 503, report
    report.update(status="ok", database={"reachable": True}, outbox=_outbox(backlog, now))
    return 200, report
