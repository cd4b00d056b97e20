"""``GET /metrics``: the bot's numbers in Prometheus' text format, through ``prometheus-client``.

Two sources, each right for what it counts:

- **This process** counts the updates each handler handled and how long it took
  (``redprop_updates_handled_total``, ``redprop_handler_seconds``), as ordinary counters that
  start again at zero when the process does, which Prometheus' ``rate()`` expects.
- **The database** holds the counts that other processes change too: the outbox worker sends
  the outbox, a second instance opens cases. They are read at each scrape
  (models/monitoring.py) and reported as they stand, so they are the same whichever process
  is asked and survive restarts, without prometheus-client's multiprocess mode and its files.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import time
from collections.abc import Awaitable, Callable, Iterator
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Histogram, ProcessCollector, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from telegram.ext import BaseHandler, ConversationHandler

from bot.health import DATABASE_TIMEOUT
from handlers.context import RedPropApplication
from models.monitoring import Totals, totals
from models.outbox.queue import OutboxStatus
from storage.database import Database

logger = logging.getLogger(__name__)

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
# The feature handlers; the locale, the guard (below 0) and the state flush (after) see every update.
FEATURE_GROUP = 0
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


class Metrics:
    """This process's metrics, in a registry of its own (so every application has fresh ones)."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        ProcessCollector(registry=self.registry)
        self.handled = Counter(
            "redprop_updates_handled",
            "Updates handled, by the handler that took them.",
            ["handler"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "redprop_handler_seconds",
            "Time a handler took for one update.",
            ["handler"],
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )

    def instrument(self, application: RedPropApplication) -> None:
        """Count and time every feature handler's callback, those inside conversations too."""
        for handler in application.handlers.get(FEATURE_GROUP, []):
            for inner in _callbacks_of(handler):
                inner.callback = self._timed(inner.callback)  # type: ignore[assignment]

    def _timed(self, callback: Callable[..., Awaitable[Any]]) -> Callable[..., Awaitable[Any]]:
        name = f"{callback.__module__.removeprefix('handlers.')}.{callback.__qualname__}"
        handled, latency = self.handled.labels(name), self.latency.labels(name)

        @functools.wraps(callback)
        async def timed(*args: Any, **kwargs: Any) -> Any:
            started = time.perf_counter()
            try:
                return await callback(*args, **kwargs)
            finally:
                latency.observe(time.perf_counter() - started)
                handled.inc()

        return timed

    async def render(self, database: Database) -> bytes:
        """The text a scrape gets: this process's metrics, then the database's counts (without
        them while the database does not answer: ``redprop_database_up`` is 0 then)."""
        counted: Totals | None = None
        try:
            async with asyncio.timeout(DATABASE_TIMEOUT), database.read() as session:
                counted = await totals(session=session)
        except Exception as error:  # the scrape still shows this process, and that the database is down
            logger.warning("metrics: the database did not answer: %s", type(error).__name__)
        snapshot = CollectorRegistry()
        snapshot.register(_DatabaseCounts(counted))
        return generate_latest(self.registry) + generate_latest(snapshot)


def _callbacks_of(handler: BaseHandler[Any, Any, Any]) -> Iterator[BaseHandler[Any, Any, Any]]:
    if isinstance(handler, ConversationHandler):
        inner = [*handler.entry_points, *handler.fallbacks]
        inner += [step for steps in handler.states.values() for step in steps]
        for each in inner:
            yield from _callbacks_of(each)
    elif getattr(handler, "callback", None) is not None:
        yield handler


class _DatabaseCounts(Collector):
    """The counts of one scrape, read from the database just before."""

    def __init__(self, counted: Totals | None) -> None:
        self.counted = counted

    def collect(self) -> Iterator[Metric]:
        counted = self.counted
        up = GaugeMetricFamily("redprop_database_up", "Whether the database answered this scrape.")
        up.add_metric([], 0 if counted is None else 1)
        yield up
        if counted is None:
            return
        messages = GaugeMetricFamily(
            "redprop_outbox_messages", "Outbox messages by kind and status, now.", labels=["kind", "status"]
        )
        sent = CounterMetricFamily("redprop_outbox_sent", "Outbox messages sent, by kind.", labels=["kind"])
        retried = CounterMetricFamily(
            "redprop_outbox_retried",
            "Outbox messages tried again after a temporary failure.",
            labels=["kind"],
        )
        failed = CounterMetricFamily(
            "redprop_outbox_failed", "Outbox messages given up on, by kind.", labels=["kind"]
        )
        by_kind: dict[str, list[int]] = {}
        for row in counted.outbox:
            messages.add_metric([row.kind, row.status], row.messages)
            numbers = by_kind.setdefault(row.kind, [0, 0, 0])
            numbers[0] += row.messages if row.status == OutboxStatus.SENT else 0
            numbers[1] += row.retried
            numbers[2] += row.messages if row.status in (OutboxStatus.FAILED, OutboxStatus.UNCERTAIN) else 0
        for kind, (sent_count, retried_count, failed_count) in sorted(by_kind.items()):
            sent.add_metric([kind], sent_count)
            retried.add_metric([kind], retried_count)
            failed.add_metric([kind], failed_count)
        yield from (messages, sent, retried, failed)
        yield CounterMetricFamily("redprop_cases_opened", "Cases reported.", value=counted.cases_opened)
        yield CounterMetricFamily(
            "redprop_cases_resolved",
            "Case resolutions (again after a reopening).",
            value=counted.cases_resolved,
        )
        yield CounterMetricFamily(
            "redprop_cases_escalated", "Cases routed up a level.", value=counted.cases_escalated
        )
        yield CounterMetricFamily("redprop_surveys_sent", "Surveys sent.", value=counted.surveys_sent)
        yield CounterMetricFamily(
            "redprop_surveys_answered", "Surveys answered.", value=counted.surveys_answered
        )
