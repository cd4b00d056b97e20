"""The outbox sender in a process of its own, started and watched over by ``redprop run``.

Telegram cannot de-duplicate a send, so a request on the wire when its process dies is never
resent (bot/outbox/sender.py): the outbox is at most once for it. Sending from a worker
process keeps such requests alive when the bot process dies, even by SIGKILL: the worker
reads a pipe from the bot, sees it close, lets its requests on the wire finish and records
them, gives back the rows it claimed but did not send, and exits. The bot, started again,
starts a new worker that sends the rest, so every row goes out exactly once unless both
processes die at the same moment (a power cut; a service manager killing the whole group).

The bot wakes the worker by writing a byte into that pipe after it commits new rows. The worker
writes one byte back on its standard output once it handles SIGTERM; a worker stopped before
then (still importing, seconds on a loaded machine) has claimed nothing and is just terminated.
A worker that dies on its own is started again after a pause.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
import sys
from typing import Protocol

from bot.outbox.sender import STOP_GRACE, OutboxSender
from bot.outbox.transport import sender_bot
from config.settings import Settings
from handlers.outgoing import check_renderers
from storage.database import Database

logger = logging.getLogger(__name__)

RESTART_PAUSE = 1.0  # seconds before a worker that died is started again; doubles up to the max
MAX_RESTART_PAUSE = 30.0
WAKE = b"w"
READY = b"r"


class Outbox(Protocol):
    """What the application holds under OUTBOX_KEY: an in-process sender or a worker process."""

    async def start(self) -> None: ...

    def wake(self) -> None: ...

    async def stop(self) -> None: ...


class OutboxWorker:
    """Runs ``command`` (``redprop outbox --parent-pipe``) as the outbox worker; restarts it if it dies."""

    def __init__(self, command: list[str]) -> None:
        self.command = command
        self._process: asyncio.subprocess.Process | None = None
        self._ready = asyncio.Event()  # the current process handles SIGTERM
        self._listen: asyncio.Task[None] | None = None
        self._watch: asyncio.Task[None] | None = None
        self._stopping = False

    async def start(self) -> None:
        await self._spawn()
        self._watch = asyncio.create_task(self._keep_running(), name="outbox-worker")

    async def _spawn(self) -> None:
        self._ready = asyncio.Event()
        self._process = await asyncio.create_subprocess_exec(
            *self.command, stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE
        )
        self._listen = asyncio.create_task(self._hear_ready(self._process, self._ready))
        logger.info("outbox worker started (pid %s)", self._process.pid)

    @staticmethod
    async def _hear_ready(process: asyncio.subprocess.Process, ready: asyncio.Event) -> None:
        """Set ``ready`` at the worker's first byte, then read on so its pipe never fills."""
        assert process.stdout is not None
        if await process.stdout.read(1) == READY:
            ready.set()
        while await process.stdout.read(4096):
            pass

    async def _keep_running(self) -> None:
        loop = asyncio.get_running_loop()
        pause = RESTART_PAUSE
        while not self._stopping:
            assert self._process is not None
            started = loop.time()
            code = await self._process.wait()
            if self._stopping:
                return
            if loop.time() - started > 2 * MAX_RESTART_PAUSE:
                pause = RESTART_PAUSE  # it had been running well: not a crash loop
            logger.error("outbox worker exited with %s; starting it again in %.1fs", code, pause)
            await asyncio.sleep(pause)
            pause = min(pause * 2, MAX_RESTART_PAUSE)
            if not self._stopping:
                await self._spawn()
                self.wake()  # rows may have been committed while it was down

    def wake(self) -> None:
        """New rows were committed: tell the worker to look now."""
        pipe = self._process.stdin if self._process is not None else None
        if pipe is None or pipe.is_closing():
            return
        try:
            pipe.write(WAKE)
        except (BrokenPipeError, ConnectionResetError):
            pass  # it died; _keep_running starts another, which looks at the outbox first thing

    async def stop(self) -> None:
        """Close the pipe (the worker finishes what is on the wire) and wait for it to exit."""
        self._stopping = True
        if self._watch is not None:
            self._watch.cancel()
            await asyncio.gather(self._watch, return_exceptions=True)
        process = self._process
        if process is None or process.returncode is not None:
            return
        if process.stdin is not None:
            process.stdin.close()
        if not self._ready.is_set():
            with contextlib.suppress(ProcessLookupError):
                process.terminate()
        try:
            await asyncio.wait_for(process.wait(), STOP_GRACE + 5)
        except TimeoutError:
            logger.error("outbox worker did not stop in time; killing it")
            process.kill()
            await process.wait()
        if self._listen is not None:
            await asyncio.gather(self._listen, return_exceptions=True)


class _ParentPipe(asyncio.Protocol):
    """The worker's end of the pipe: each byte is a wake-up; its end means the bot is gone."""

    def __init__(self, sender: OutboxSender, closed: asyncio.Event) -> None:
        self.sender = sender
        self.closed = closed

    def data_received(self, data: bytes) -> None:
        self.sender.wake()

    def eof_received(self) -> bool | None:
        self.closed.set()
        return None

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed.set()


def _say_ready() -> bool:
    """Tell the parent the worker is ready; False when the parent is already gone (its pipe is closed)."""
    try:
        os.write(sys.stdout.fileno(), READY)  # unbuffered: nothing left to flush at exit
    except BrokenPipeError:
        return False
    return True


async def serve(settings: Settings, *, parent_pipe: bool) -> int:
    """Deliver the outbox until SIGTERM or SIGINT, or (with ``parent_pipe``) until standard input closes."""
    check_renderers()
    loop = asyncio.get_running_loop()
    done = asyncio.Event()
    for number in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(number, done.set)
    if parent_pipe:
        # Its life follows the bot's through the pipe. uvloop starts children with every signal
        # at its default, so a hangup that the bot ignores (nohup) must not end this one.
        signal.signal(signal.SIGHUP, signal.SIG_IGN)
    if parent_pipe and not _say_ready():
        logger.info("outbox worker: the bot is gone before its worker was ready; stopping")
        return 0
    database = Database(
        settings.database.url,
        busy_timeout_seconds=settings.database.busy_timeout.total_seconds(),
        checkpoints_aside=True,
    )
    sender = OutboxSender(database=database, bot=sender_bot(settings), settings=settings)
    try:
        if parent_pipe:  # before the start, so a bot that dies meanwhile is seen at once
            await loop.connect_read_pipe(lambda: _ParentPipe(sender, done), sys.stdin)
        await sender.start()
        logger.info("outbox worker %s sending", sender.worker)
        await done.wait()
        logger.info("outbox worker %s stopping", sender.worker)
    finally:
        await sender.stop()
        await database.dispose()
    return 0
