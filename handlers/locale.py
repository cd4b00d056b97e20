"""Pick the reply language for every update before any other handler runs."""

from __future__ import annotations

from telegram import Update
from telegram.ext import TypeHandler

from bot.context import Context, RedPropApplication
from bot.i18n import locale_for, set_locale
from models.people import find_person_by_telegram_id

# Runs before every other group, so even the error handler speaks the user's language.
LOCALE_GROUP = -100


async def resolve_locale(context: Context, telegram_id: int | None, language_code: str | None) -> str:
    """The locale for a Telegram user: their stored choice, else Telegram's language, else the default."""
    stored = None
    if telegram_id is not None:
        async with context.db.read() as session:
            person = await find_person_by_telegram_id(session=session, telegram_id=telegram_id)
        stored = person.locale if person is not None else None
    return locale_for(stored=stored, language_code=language_code, default=context.settings.bot.default_locale)


async def set_update_locale(update: Update, context: Context) -> None:
    """Set the language for this update; always set, so nothing carries over from the last one."""
    user = update.effective_user
    if user is None:
        set_locale(context.settings.bot.default_locale)
        return
    set_locale(await resolve_locale(context, user.id, user.language_code))


def register(application: RedPropApplication) -> None:
    application.add_handler(TypeHandler(Update, set_update_locale), group=LOCALE_GROUP)
