"""The outbox sender: delivers queued notifications at Telegram's pace, each row at most once.

One background task claims due rows (with a lease, so other processes skip them) and hands
each to a delivery task. Pacing is the sender's own:

* overall, sends start at least ``1/outbox.rate`` seconds apart, and never more than
  Telegram's 30 sends are in flight or finished within the last second (so network jitter
  cannot make Telegram count 31 in a second);
* per chat, the next send waits ``outbox.per_chat_interval`` after the previous one *finished*,
  and a chat that must wait never holds up the others.

A row is marked ``sending`` in a committed transaction just before each try, and is never sent
again from that state: a process that dies mid-request leaves it to ``abandon_interrupted``
(models/outbox/queue.py), which marks it ``uncertain``. A failed try is settled as
bot/outbox/failures.py says: tried again later, or a dead letter.

The sender's own :class:`telegram.Bot` has no ``AIORateLimiter``: that limiter retries 429
answers itself, which would hide flood control from the sender and double the pacing.
"""

from __future__ import annotations

import asyncio
import logging
import math
from datetime import timedelta
from functools import partial
from typing import Any

from telegram import Bot
from telegram.error import BadRequest, RetryAfter, TelegramError

from bot.outbox.failures import Fault, abandon, delivery_label, fault_of, settle
from bot.outbox.pacing import Pacer
from bot.outbox.rendering import Rendered, render_row
from bot.outbox.sent_marks import SentMarks
from bot.outbox.transport import method_of, send_part, without_photos, worker_id
from bot.ptb_compat import retry_seconds
from config.settings import Settings
from handlers.outgoing import Outgoing
from models.base import id_of, utcnow
from models.cases.unreachable import recipient_blocked
from models.outbox.delivery import hold_sending, put_back, release_claims, start_sending
from models.outbox.queue import OutboxMessage, claim_due
from storage.database import Database

logger = logging.getLogger(__name__)

POLL_INTERVAL = 0.25  # seconds between looks at the outbox when nobody calls wake()
# Wakes closer together than this share one claim: during a burst of reports the bot wakes the
# sender after every commit, and a claim (a write transaction) per case cost the database
# about as much as the reports themselves. A new row waits at most this long for its claim.
CLAIM_GAP = 0.05
INVALID_TOKEN_PAUSE = 60.0
STOP_GRACE = 10.0  # how long stop() lets requests already on the wire finish


class OutboxSender:
    """Delivers the outbox in the background; :meth:`wake` after committing new rows."""

    def __init__(
        self,
        *,
        database: Database,
        bot: Bot,
        settings: Settings,
        worker: str | None = None,
        backoff_base: float = 1.0,
        poll_interval: float = POLL_INTERVAL,
        batch: int | None = None,
    ) -> None:
        self.database = database
        self.bot = bot
        self.settings = settings
        self.worker = worker or worker_id()
        self.backoff_base = backoff_base
        self.poll_interval = poll_interval
        options = settings.outbox
        self.lease = options.lease
        self.per_chat = options.per_chat_interval.total_seconds()
        self.pacer = Pacer(options.rate)
        self.clock = self.pacer.clock
        self.batch = batch or max(10, math.ceil(options.rate * 2))
        # Never hold more rows than can be sent well within their lease.
        self.cap = max(self.batch, int(options.rate * self.lease.total_seconds() / 2))
        self._queue: list[OutboxMessage] = []
        self._busy: set[int] = set()  # chats with a delivery under way
        self._chat_ready: dict[int, float] = {}  # chat -> when its next send may start
        self._committed: set[asyncio.Task[None]] = set()  # deliveries committing or past "sending"
        self._tasks: set[asyncio.Task[None]] = set()
        self._slots = asyncio.Semaphore(max(4, math.ceil(options.rate)))
        self._wakeup = asyncio.Event()
        self._main: asyncio.Task[None] | None = None
        self._stopping = False
        self._sent = SentMarks(database)

    # --- life cycle ------------------------------------------------------------------------

    def wake(self) -> None:
        """New rows were committed: look at the outbox now rather than at the next poll."""
        self._wakeup.set()

    async def start(self) -> None:
        await self.bot.initialize()
        self._main = asyncio.create_task(self._run(until_idle=False), name=f"outbox:{self.worker}")

    async def run_until_idle(self) -> None:
        """Deliver every row due now (and any retried within the run), then return."""
        await self.bot.initialize()
        try:
            await self._run(until_idle=True)
        finally:
            await self._sent.flush()
            await self.bot.shutdown()

    async def stop(self) -> None:
        """Stop claiming, let requests already on the wire finish, give back unsent claims."""
        self._stopping = True
        for task in self._tasks - self._committed:
            task.cancel()  # still waiting for a turn: nothing was sent
        if self._main is not None:
            # Woken to end at its next turn: cancelled mid-query, it would leave a connection half-open.
            self._wakeup.set()
            await asyncio.wait({self._main}, timeout=STOP_GRACE)
            self._main.cancel()
            await asyncio.gather(self._main, return_exceptions=True)
        if self._tasks:
            await asyncio.wait(self._tasks, timeout=STOP_GRACE)
            for task in self._tasks:
                task.cancel()
        await self._sent.close(grace=STOP_GRACE)
        try:
            async with self.database.write() as session:
                await release_claims(session=session, worker=self.worker)
        except Exception:
            logger.exception("outbox: could not release claims of %s", self.worker)
        self._queue.clear()
        await self.bot.shutdown()

    # --- the claiming loop -----------------------------------------------------------------

    async def _run(self, *, until_idle: bool) -> None:
        await self._abandon()
        lease = self.lease.total_seconds()
        next_abandon = self.clock() + lease
        next_claim = 0.0
        last_claim = -math.inf
        while not self._stopping:
            try:
                now = self.clock()
                if now >= next_abandon:
                    await self._abandon()
                    next_abandon = now + lease
                self._forget_expiring()
                claimed = None
                woken = self._wakeup.is_set()
                gap_over = now >= last_claim + CLAIM_GAP
                if gap_over and self._wants_rows(now >= next_claim or woken):
                    self._wakeup.clear()
                    claimed = await self._claim()
                    last_claim = self.clock()
                    next_claim = last_claim + self.poll_interval
                message = self._pick(self.clock())
                if message is not None:
                    await self._slots.acquire()
                    if self._stopping:
                        self._slots.release()
                        break
                    self._dispatch(message)
                    continue
                if until_idle and claimed == 0 and not self._queue and not self._tasks:
                    return
                if woken and not gap_over:
                    # Woken too soon after the last claim: sleep out the gap, not on the wake-up.
                    await self._sleep(last_claim + CLAIM_GAP, watch_wakeup=False)
                else:
                    await self._sleep(next_claim)
            except asyncio.CancelledError:
                raise
            except Exception:
                logger.exception("outbox: sender loop error; retrying")
                await asyncio.sleep(1.0)

    async def _abandon(self) -> None:
        async with self.database.write() as session:
            count = await abandon(session=session, now=utcnow())
        if count:  # and the office's alerts and new owners' cards, for any case card among them
            logger.warning("outbox: %d message(s) interrupted while sending marked uncertain", count)
            self.wake()

    def _wants_rows(self, due: bool) -> bool:
        if not due or len(self._queue) >= self.cap:
            return False
        return len(self._queue) < self.batch or self._pick(self.clock()) is None

    async def _claim(self) -> int:
        limit = min(self.batch, self.cap - len(self._queue))
        async with self.database.write() as session:
            rows = await claim_due(
                session=session, worker=self.worker, now=utcnow(), lease=self.lease, limit=limit
            )
        known = {message.id for message in self._queue}
        fresh = [row for row in rows if row.id not in known]
        self._queue.extend(fresh)
        self._queue.sort(key=lambda message: (message.not_before, id_of(message)))
        return len(fresh)

    def _forget_expiring(self) -> None:
        """Drop rows whose lease is nearly over; they are claimed again, with a fresh lease."""
        horizon = utcnow() + self.lease / 4
        self._queue = [m for m in self._queue if m.claimed_until is not None and m.claimed_until > horizon]

    def _pick(self, now: float) -> OutboxMessage | None:
        """The oldest row whose chat is free now; later rows of a waiting chat keep their order."""
        seen: set[int] = set()
        for message in self._queue:
            chat = message.chat_id
            if chat in seen or chat in self._busy:
                seen.add(chat)
                continue
            seen.add(chat)
            if self._chat_ready.get(chat, 0.0) <= now:
                return message
        return None

    async def _sleep(self, next_claim: float, *, watch_wakeup: bool = True) -> None:
        now = self.clock()
        wait = max(next_claim - now, 0.01)
        for message in self._queue:
            if message.chat_id not in self._busy:
                wait = min(wait, max(self._chat_ready.get(message.chat_id, 0.0) - now, 0.0))
        if not watch_wakeup:
            await asyncio.sleep(max(wait, 0.005))
            return
        try:
            await asyncio.wait_for(self._wakeup.wait(), max(wait, 0.005))
        except TimeoutError:
            pass

    def _dispatch(self, message: OutboxMessage) -> None:
        self._queue.remove(message)
        self._busy.add(message.chat_id)
        task = asyncio.create_task(self._deliver(message), name=f"outbox-row:{message.id}")
        self._tasks.add(task)

        def done(finished: asyncio.Task[None]) -> None:
            self._tasks.discard(finished)
            self._committed.discard(finished)
            self._busy.discard(message.chat_id)
            self._slots.release()
            self._wakeup.set()

        task.add_done_callback(done)

    # --- one row ---------------------------------------------------------------------------

    async def _deliver(self, message: OutboxMessage) -> None:
        try:
            rendered = await render_row(database=self.database, settings=self.settings, message=message)
            if rendered is not None:
                await self._send_parts(message, rendered)
        except asyncio.CancelledError:
            raise
        except Exception:
            # Left as it is: a row already "sending" becomes "uncertain" later, never resent.
            logger.exception("outbox: %s failed unexpectedly", delivery_label(message, "delivering", None))

    async def _send_parts(self, message: OutboxMessage, rendered: Rendered) -> None:
        """Send the parts not out yet; each try of a row commits "sending" before its first request."""
        chat = message.chat_id
        parts: list[Outgoing | None] = list(rendered.parts)
        sent = min(message.parts_sent, len(parts))
        last_id: int | None = None
        method = "no call"
        note = ""  # the photos went missing: said in the next text
        while sent < len(parts):
            part = parts[sent]
            if part is None:
                sent += 1
                continue
            if note and not part.photo_file_ids and part.document is None:
                part = parts[sent] = without_photos(part, note)
                note = ""
            assert part is not None
            wait = self._chat_ready.get(chat, 0.0) - self.clock()
            if wait > 0:
                await asyncio.sleep(wait)
            first = not self._is_committed()
            if not await self.pacer.acquire(
                partial(self._start_sending, message, asyncio.current_task()) if first else None
            ):
                return  # the row is no longer ours to send
            error: TelegramError | None = None
            try:
                last_id = await send_part(self.bot, chat, part)
            except TelegramError as problem:
                error = problem
            finally:
                self.pacer.release()
                self._chat_ready[chat] = self.clock() + self.per_chat
            method = method_of(part)
            if error is None:
                sent += 1
                continue
            what = delivery_label(message, method, rendered.case_number)
            if isinstance(error, BadRequest) and part.photo_file_ids and part.document is None:
                # Telegram refused the photos: the rest still goes, as text, so the case arrives.
                logger.warning("outbox: %s: photos refused (%s); sent as text", what, self._scrub(error))
                parts[sent] = without_photos(part, rendered.photos_left_out)
                note = "" if parts[sent] is not None else rendered.photos_left_out
            elif not await self._failed(message, error, sent=sent, parts=len(parts), what=what):
                return
        self._sent.record(id_of(message), last_id)
        if message.attempts:
            what = delivery_label(message, method, rendered.case_number)
            logger.info("outbox: %s delivered after %d failed tries", what, message.attempts)

    def _is_committed(self) -> bool:
        task = asyncio.current_task()
        return task is not None and task in self._committed

    async def _start_sending(self, message: OutboxMessage, delivery: asyncio.Task[Any] | None) -> bool:
        """Commit "sending" before the request; False if the row is no longer ours to send."""
        if self._stopping:
            return False  # stop() gives the claim back
        # From before the commit on, stop() lets the delivery finish rather than cancel it: a
        # delivery cancelled once "sending" is committed would leave the row never sent.
        if delivery is not None:
            self._committed.add(delivery)
        ours = False
        try:
            async with self.database.write() as session:
                ours = await start_sending(
                    session=session,
                    message_id=id_of(message),
                    worker=self.worker,
                    now=utcnow(),
                    lease=self.lease,
                )
        finally:
            if not ours and delivery is not None:
                self._committed.discard(delivery)
        return ours

    def _scrub(self, error: Exception) -> str:
        text = f"{type(error).__name__}: {error}"
        token = self.settings.telegram.token.get_secret_value()
        return text.replace(token, "[REDACTED]") if token else text

    async def _failed(
        self, message: OutboxMessage, error: TelegramError, *, sent: int, parts: int, what: str
    ) -> bool:
        """Settle a failed send; True means try the same part again now (after a flood pause)."""
        row = id_of(message)
        text = self._scrub(error)
        fault = fault_of(error)
        if fault in (Fault.FLOOD, Fault.BAD_TOKEN):
            pause = retry_seconds(error) if isinstance(error, RetryAfter) else INVALID_TOKEN_PAUSE
            self.pacer.pause(pause)
            logger.warning("outbox: %s: %s; all sending paused %.0fs", what, text, pause)
            if sent > message.parts_sent:
                # Half sent: it stays "sending", leased past the pause so nobody takes it for interrupted.
                until = utcnow() + timedelta(seconds=pause) + self.lease
                async with self.database.write() as session:
                    await hold_sending(session=session, message_id=row, worker=self.worker, until=until)
                return True  # the next part waits the pause out
            async with self.database.write() as session:
                await put_back(
                    session=session, message_id=row, worker=self.worker, now=utcnow(), lease=self.lease
                )
            message.claimed_until = utcnow() + self.lease
            self._queue.append(message)
            self._queue.sort(key=lambda queued: (queued.not_before, id_of(queued)))
            return False
        if fault is Fault.BLOCKED:
            async with self.database.write() as session:
                moved = await recipient_blocked(session=session, message=message, error=text, now=utcnow())
            logger.warning("outbox: %s: blocked the bot (%s); %d case(s) rerouted", what, text, len(moved))
            self.wake()  # the new owners' cards are queued
            return False
        options = self.settings.outbox
        async with self.database.write() as session:
            retrying = await settle(
                session=session,
                message=message,
                fault=fault,
                error=text,
                sent=sent,
                parts=parts,
                backoff_base=self.backoff_base,
                cap=options.max_backoff.total_seconds(),
                retry_for=options.retry_for,
                what=what,
            )
        if retrying:
            # Its chat's later rows were given back: they wait for it, to keep the chat's order.
            self._queue = [m for m in self._queue if m.chat_id != message.chat_id or id_of(m) < row]
            return False
        self.wake()  # the office's alert, and the new owner's card
        return False
