"""``redprop run``: the steps of a start, each failure one line, then long polling until stopped.

1. reach the database (bot/startup.py says which and why not);
2. become the active instance: on SQLite refuse a second one, on PostgreSQL wait as the hot
   standby while another is active (bot/instances.py); a standby neither polls nor sets the webhook;
3. apply pending migrations;
4. getMe and the conversations (PTB's initialize), the command menus (a failure is a WARNING),
   the outbox worker and the jobs (bot/app.py's post_init), then poll, or with ``--webhook``
   listen and set the webhook (bot/webhook.py).
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import signal

from telegram import Update

from bot.app import INITIALISED_KEY, REQUESTS_KEY, build_application
from bot.event_loop import new_event_loop
from bot.instances import Instance, instance_for
from bot.startup import QuietBootstrap, StartFailed, Step, check_database, describe, step
from bot.web import ListenError
from bot.webhook import serve_webhook
from config.settings import Settings

logger = logging.getLogger("redprop")
YOUNG_OBJECTS_BEFORE_COLLECTING = 20_000  # Python's default is 700
EXIT_LOST_LEADERSHIP = 1


def spare_the_collector() -> None:
    """Leave what start-up made out of garbage collections, and collect young objects less often.

    Modules and the application live as long as the process; every update allocates in a burst
    (Telegram objects, ORM rows) that mostly dies with it, so collecting the young generation
    less often spends less time collecting.
    """
    gc.collect()
    gc.freeze()
    gc.set_threshold(YOUNG_OBJECTS_BEFORE_COLLECTING, 10, 10)


def _upgrade(url: str) -> None:
    from bot.migrations import upgrade

    with step(Step.MIGRATION, database_url=url):
        upgrade(url)


def _become_active(loop: asyncio.AbstractEventLoop, instance: Instance) -> bool:
    """Wait to be the active instance; False if SIGINT or SIGTERM came first (a standby stopped)."""
    return loop.run_until_complete(_wait_to_be_active(instance))


async def _wait_to_be_active(instance: Instance) -> bool:
    # The handlers are added and removed while the loop runs: uvloop removes a handler only then,
    # and one left behind would swallow a SIGTERM during the migrations.
    loop = asyncio.get_running_loop()
    waiting = asyncio.ensure_future(instance.acquire())
    stop_signals = (signal.SIGINT, signal.SIGTERM)
    for sig in stop_signals:
        loop.add_signal_handler(sig, waiting.cancel)
    try:
        await waiting
        return True
    except asyncio.CancelledError:
        return False
    finally:
        for sig in stop_signals:
            loop.remove_signal_handler(sig)


def run_bot(
    settings: Settings,
    *,
    outbox_worker: list[str],
    webhook: bool = False,
    delete_webhook_on_stop: bool = False,
) -> int:
    """Run the bot (polling or on the webhook) until SIGINT or SIGTERM; the exit code. Raises StartFailed."""
    url = settings.database.url
    check_database(url)
    # PTB's run_polling runs on the current event loop: the lock's connection must live on it too.
    loop = new_event_loop()
    asyncio.set_event_loop(loop)
    instance = instance_for(url, takeover_after=settings.bot.takeover_after)
    try:
        with step(Step.DATABASE, database_url=url):
            active = _become_active(loop, instance)
        if not active:
            logger.info("stopped while on standby")
            return 0
        _upgrade(url)  # asyncio.run inside: it leaves no current loop behind
        asyncio.set_event_loop(loop)
        with step(Step.START, database_url=url):
            application = build_application(settings, outbox_worker=outbox_worker, webhook=webhook)
        QuietBootstrap.install()
        spare_the_collector()
        try:
            if webhook:
                stopping = asyncio.Event()
                instance.watch(stopping.set)
                loop.run_until_complete(
                    serve_webhook(
                        application,
                        settings,
                        delete_on_stop=lambda: delete_webhook_on_stop and not instance.lost,
                        stopping=stopping,
                    )
                )
            else:
                instance.watch(application.stop_running)
                application.run_polling(allowed_updates=Update.ALL_TYPES, close_loop=False)
        except ListenError as error:
            raise describe(Step.PORT, error) from error
        except Exception as error:
            what = Step.START if application.bot_data.get(INITIALISED_KEY) else Step.GET_ME
            logger.debug("start: %s failed", what.value, exc_info=error)
            for request in application.bot_data[REQUESTS_KEY]:
                loop.run_until_complete(request.shutdown())
            raise describe(what, error, database_url=url) from error
    finally:
        with contextlib.suppress(Exception):
            loop.run_until_complete(instance.release())
        loop.close()
    if instance.lost:
        return EXIT_LOST_LEADERSHIP
    logger.info("stopped")
    return 0


__all__ = ["StartFailed", "run_bot", "spare_the_collector"]
