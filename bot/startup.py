"""Start-up failures as the operator meets them: one line naming what failed, never a traceback.

``redprop run`` goes through its steps (reach the database, apply the migrations, ask Telegram
who the bot is with getMe, open a port) inside :func:`step`; whatever one of them raises
becomes a :class:`StartFailed` holding one line such as ``Start failed: the database
postgresql+asyncpg://redprop:***@db/redprop cannot be reached: Connection refused``. The
traceback is logged at DEBUG only. A token Telegram refuses (401) says so, since that is the
one cause an operator can fix at once.
"""

from __future__ import annotations

import asyncio
import errno
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from enum import Enum

from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError
from telegram.error import InvalidToken, TelegramError

from locales.i18n import gettext as _
from storage.database import Database

logger = logging.getLogger(__name__)

DATABASE_CHECK_TIMEOUT = 15.0  # seconds; asyncpg's own connect timeout is a minute
PORT_ERRORS = frozenset({errno.EADDRINUSE, errno.EACCES, errno.EADDRNOTAVAIL})
EXIT_FAILED = 1
EXIT_BAD_INPUT = 2  # the operator's configuration is wrong: the token


class Step(Enum):
    """What ``redprop run`` was doing when it failed."""

    DATABASE = "database"
    MIGRATION = "migration"
    GET_ME = "getMe"
    PORT = "port"
    START = "start"


class StartFailed(Exception):
    """The start cannot go on; ``line`` says why, for standard error."""

    def __init__(self, line: str, *, code: int = EXIT_FAILED) -> None:
        super().__init__(line)
        self.line = line
        self.code = code


def shown_url(url: str) -> str:
    """The database URL without its password."""
    return make_url(url).render_as_string(hide_password=True)


def first_line(error: BaseException) -> str:
    """The cause in a few words: a driver's own message rather than SQLAlchemy's wrapping."""
    cause: BaseException = error.orig if isinstance(error, DBAPIError) and error.orig else error
    lines = str(cause).strip().splitlines()
    return lines[0] if lines else type(cause).__name__


def describe(what: Step, error: BaseException, *, database_url: str = "") -> StartFailed:
    """The one line for ``error`` raised while doing ``what``."""
    if isinstance(error, StartFailed):
        return error
    if isinstance(error, InvalidToken):
        return StartFailed(
            _(
                "Start failed: Telegram refused the bot token (401 Unauthorized): it is wrong or was "
                "revoked. Check it with @BotFather."
            ),
            code=EXIT_BAD_INPUT,
        )
    reason = first_line(error)
    if isinstance(error, OSError) and error.errno in PORT_ERRORS and what is not Step.DATABASE:
        return StartFailed(_("Start failed: could not open the port: {reason}").format(reason=reason))
    if isinstance(error, TelegramError):
        if what is Step.GET_ME:
            return StartFailed(
                _("Start failed: getMe: could not reach the Telegram Bot API: {reason}").format(reason=reason)
            )
        return StartFailed(_("Start failed: the Telegram Bot API: {reason}").format(reason=reason))
    if what is Step.DATABASE or isinstance(error, DBAPIError):
        return StartFailed(
            _("Start failed: the database {url} cannot be reached: {reason}").format(
                url=shown_url(database_url), reason=reason
            )
        )
    if what is Step.MIGRATION:
        return StartFailed(_("Start failed: a database migration failed: {reason}").format(reason=reason))
    if what is Step.PORT:
        return StartFailed(_("Start failed: could not open the port: {reason}").format(reason=reason))
    return StartFailed(_("Start failed: {kind}: {reason}").format(kind=type(error).__name__, reason=reason))


@contextmanager
def step(what: Step, *, database_url: str = "") -> Iterator[None]:
    """Turn any exception of the block into :class:`StartFailed`, the traceback at DEBUG only."""
    try:
        yield
    except StartFailed:
        raise
    except Exception as error:
        logger.debug("start: %s failed", what.value, exc_info=error)
        raise describe(what, error, database_url=database_url) from error


class QuietBootstrap(logging.Filter):
    """PTB logs a failed initialize (getMe) with its traceback at ERROR; :func:`describe` says it in
    one line instead, so the record is kept for DEBUG only."""

    def filter(self, record: logging.LogRecord) -> bool:
        if "(Bootstrap" not in record.getMessage():
            return True
        record.levelno, record.levelname = logging.DEBUG, "DEBUG"
        return logging.getLogger().isEnabledFor(logging.DEBUG)

    @classmethod
    def install(cls) -> None:
        """On PTB's network retry loop's logger (``telegram.ext``), once."""
        ptb = logging.getLogger("telegram.ext")
        if not any(isinstance(existing, cls) for existing in ptb.filters):
            ptb.addFilter(cls())


def check_database(url: str) -> None:
    """Connect once and run ``SELECT 1``, so an unreachable database is told before the migrations."""

    async def select_one(database: Database) -> None:
        async with database.engine.connect() as connection:
            await connection.execute(text("SELECT 1"))

    async def probe() -> None:
        database = Database(url)
        try:
            await asyncio.wait_for(select_one(database), DATABASE_CHECK_TIMEOUT)
        finally:
            await database.dispose()

    with step(Step.DATABASE, database_url=url):
        asyncio.run(probe())
