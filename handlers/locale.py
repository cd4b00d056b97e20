"""Pick the reply language for every update before any other handler runs.

The language a person chose is read from the database at most once a minute per person:
every update needs it, and a /report alone is seven updates. /language and /start (which
may bind an invite carrying a language) refresh it at once; a change made by another
process (the directory CLI) shows within :data:`STORED_LOCALE_TTL`.
"""

from __future__ import annotations

import time

from telegram import Update
from telegram.ext import TypeHandler

from handlers.context import Context, RedPropApplication
from locales.i18n import locale_for, set_locale
from models.directory.people import stored_locale

# Runs before every other group, so even the error handler speaks the user's language.
LOCALE_GROUP = -100
STORED_LOCALE_TTL = 60.0  # seconds
STORED_LOCALES_KEY = "redprop.stored_locales"  # in bot_data: telegram id -> (locale or None, read at)
MAX_REMEMBERED = 10_000

StoredLocales = dict[int, tuple[str | None, float]]


def _stored_locales(context: Context) -> StoredLocales:
    remembered: StoredLocales = context.application.bot_data.setdefault(STORED_LOCALES_KEY, {})
    return remembered


def remember_locale(context: Context, telegram_id: int, stored: str | None) -> None:
    """Note the locale the person has stored (None: none chosen), as just read or written."""
    remembered = _stored_locales(context)
    if len(remembered) >= MAX_REMEMBERED:
        remembered.clear()
    remembered[telegram_id] = (stored, time.monotonic())


async def _read_stored(context: Context, telegram_id: int) -> str | None:
    async with context.db.read() as session:
        stored = await stored_locale(session=session, telegram_id=telegram_id)
    remember_locale(context, telegram_id, stored)
    return stored


async def resolve_locale(context: Context, telegram_id: int | None, language_code: str | None) -> str:
    """The locale for a Telegram user: their stored choice, else Telegram's language, else the default.

    Always reads the stored choice afresh (and remembers it for the following updates).
    """
    stored = await _read_stored(context, telegram_id) if telegram_id is not None else None
    return locale_for(stored=stored, language_code=language_code, default=context.settings.bot.default_locale)


async def _update_locale(context: Context, telegram_id: int, language_code: str | None) -> str:
    """Like :func:`resolve_locale`, with the stored choice remembered from the last minute if it was read."""
    remembered = _stored_locales(context).get(telegram_id)
    if remembered is not None and time.monotonic() - remembered[1] < STORED_LOCALE_TTL:
        stored = remembered[0]
    else:
        stored = await _read_stored(context, telegram_id)
    return locale_for(stored=stored, language_code=language_code, default=context.settings.bot.default_locale)


async def set_update_locale(update: Update, context: Context) -> None:
    """Set the language for this update; always set, so nothing carries over from the last one."""
    user = update.effective_user
    if user is None:
        set_locale(context.settings.bot.default_locale)
        return
    set_locale(await _update_locale(context, user.id, user.language_code))


def register(application: RedPropApplication) -> None:
    application.add_handler(TypeHandler(Update, set_update_locale), group=LOCALE_GROUP)
