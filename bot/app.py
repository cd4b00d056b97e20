"""The application factory: one builder chain, with start-up and shut-down hooks."""

from __future__ import annotations

import logging

from telegram import BotCommand
from telegram.error import TelegramError
from telegram.ext import AIORateLimiter, ApplicationBuilder, ContextTypes
from telegram.request import BaseRequest

from bot.health import ApiWatch
from bot.jobs import start_jobs
from bot.metrics import Metrics
from bot.outbox.sender import OutboxSender
from bot.outbox.transport import sender_bot
from bot.outbox.worker import Outbox, OutboxWorker
from bot.persistence import ptb as persistence
from bot.persistence.ptb import DatabasePersistence
from bot.ptb_compat import use_timedelta_periods
from bot.telegram_http import bot_api_request
from bot.updates import PerUserUpdates
from bot.web import WEB_KEY, WebServer
from bot.webhook import webhook_route
from config.settings import SUPPORTED_LOCALES, Settings
from handlers.commands import commands_for
from handlers.context import DB_KEY, OUTBOX_KEY, SETTINGS_KEY, Context, RedPropApplication
from handlers.outgoing import check_renderers
from handlers.routes import register_all
from locales.i18n import gettext, set_timezone, use_locale
from models.clock import use_clock_file
from storage.database import Database

logger = logging.getLogger(__name__)

# Connections for the bot's own calls: a few per update handled at once (bot/updates.py).
MAX_CALLS_AT_ONCE = 32
# Telegram shows a command menu by the user's language code.
MENU_LANGUAGE_CODES = {"zh_CN": "zh", "en": "en"}
# Set in bot_data once PTB's initialize (getMe, the persistence) is over: a failure after it is not getMe's.
INITIALISED_KEY = "redprop_initialised"
# The Bot API clients, closed by hand when PTB's initialize fails (PTB then shuts nothing down).
REQUESTS_KEY = "redprop_requests"


def _menu() -> list[BotCommand]:
    return [BotCommand(command.name, gettext(command.description)) for command in commands_for(set())]


async def publish_commands(application: RedPropApplication) -> None:
    """Publish the residents' command menu in each language, and the default one."""
    settings: Settings = application.bot_data[SETTINGS_KEY]
    for locale in SUPPORTED_LOCALES:
        with use_locale(locale):
            await application.bot.set_my_commands(_menu(), language_code=MENU_LANGUAGE_CODES[locale])
    with use_locale(settings.bot.default_locale):
        await application.bot.set_my_commands(_menu())


async def post_init(application: RedPropApplication) -> None:
    application.bot_data[INITIALISED_KEY] = True  # getMe and the persistence are done
    try:
        await publish_commands(application)
    except TelegramError as error:
        # The menus are a convenience: a bot that works must not stay down for them.
        logger.warning("could not publish the command menus (setMyCommands): %s; running without them", error)
    outbox: Outbox | None = application.bot_data.get(OUTBOX_KEY)
    if outbox is not None:
        await outbox.start()
    start_jobs(application)
    web: WebServer | None = application.bot_data.get(WEB_KEY)
    if web is not None:
        await web.start()
    logger.info("bot @%s ready", application.bot.username)


async def post_shutdown(application: RedPropApplication) -> None:
    web: WebServer | None = application.bot_data.get(WEB_KEY)
    if web is not None:
        await web.stop()
    outbox: Outbox | None = application.bot_data.get(OUTBOX_KEY)
    if outbox is not None:
        await outbox.stop()
    database: Database = application.bot_data[DB_KEY]
    await database.dispose()


def build_application(
    settings: Settings,
    *,
    request: BaseRequest | None = None,
    outbox_worker: list[str] | None = None,
    webhook: bool = False,
) -> RedPropApplication:
    """Assemble the bot. Tests pass ``request`` to talk to a fake Bot API instead of Telegram.

    With ``webhook`` the updates come to the bot's own web server (bot/webhook.py runs it);
    that server, or in polling mode the one ``health.port`` asks for, serves /healthz and /metrics.

    With ``outbox_worker`` (the command of ``redprop outbox --parent-pipe``) the outbox is sent
    by that worker process (bot/outbox/worker.py); without it, by a sender in this process.
    """
    check_renderers()
    set_timezone(settings.bot.tzinfo)
    use_clock_file(settings.bot.clock_file)
    use_timedelta_periods()  # before any RetryAfter is made (bot/ptb_compat.py)
    database = Database(
        settings.database.url,
        busy_timeout_seconds=settings.database.busy_timeout.total_seconds(),
        checkpoints_aside=True,
    )
    builder = (
        ApplicationBuilder()
        .token(settings.telegram.token.get_secret_value())
        .base_url(settings.telegram.base_url)
        .base_file_url(settings.telegram.base_file_url)
        .context_types(ContextTypes(context=Context))
        # Replies are not throttled to 30/s overall (that budget is the outbox sender's, which
        # paces what the bot sends on its own); groups keep their 20/min, and 429s are retried.
        .rate_limiter(AIORateLimiter(overall_max_rate=0, max_retries=2))
        .persistence(DatabasePersistence(database))
        # Different users at once, each user's updates in order (see bot/updates.py).
        .concurrent_updates(PerUserUpdates())
        .post_init(post_init)
        .post_shutdown(post_shutdown)
    )
    watch = ApiWatch()
    if request is None:
        client = settings.telegram.http_client
        requests = (
            watch.watching(bot_api_request(client, connection_pool_size=MAX_CALLS_AT_ONCE)),
            watch.watching(bot_api_request(client, connection_pool_size=1)),
        )
    else:
        requests = (watch.watching(request), watch.watching(request))
    builder = builder.request(requests[0]).get_updates_request(requests[1])
    application: RedPropApplication = builder.build()  # type: ignore[assignment]
    application.bot_data[REQUESTS_KEY] = requests
    application.bot_data[SETTINGS_KEY] = settings
    application.bot_data[DB_KEY] = database
    if settings.outbox.enabled and outbox_worker:
        application.bot_data[OUTBOX_KEY] = OutboxWorker(outbox_worker)
    elif settings.outbox.enabled:
        # Its own bot: the application's AIORateLimiter would retry 429s behind the sender's back.
        bot = sender_bot(settings, request)
        application.bot_data[OUTBOX_KEY] = OutboxSender(database=database, bot=bot, settings=settings)
    register_all(application)
    metrics = Metrics()
    metrics.instrument(application)
    persistence.register(application)
    listen, port = settings.health.listen, settings.health.port
    if webhook:
        listen, port = settings.telegram.webhook_listen, settings.telegram.webhook_port
    if port:
        application.bot_data[WEB_KEY] = WebServer(
            application,
            database=database,
            watch=watch,
            metrics=metrics,
            listen=listen,
            port=port,
            webhook=webhook_route(settings) if webhook else None,
        )
    return application
