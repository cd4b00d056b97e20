"""/language: switch between 中文 and English with inline buttons; the choice is stored."""

from __future__ import annotations

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import CallbackQueryHandler, CommandHandler, filters

from config.settings import SUPPORTED_LOCALES
from handlers.context import Context, RedPropApplication
from handlers.locale import remember_locale
from handlers.replies import refuse_button
from locales.i18n import gettext as _
from locales.i18n import language_name, set_locale
from models.directory.people import register_user
from models.directory.people import set_locale as store_locale

CALLBACK_PREFIX = "lang:"


def language_keyboard() -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(language_name(locale), callback_data=f"{CALLBACK_PREFIX}{locale}")
                for locale in SUPPORTED_LOCALES
            ]
        ]
    )


async def choose_language(update: Update, context: Context) -> None:
    """Offer the languages as buttons."""
    message = update.effective_message
    if message is None:
        return
    await message.reply_text(_("Choose your language:"), reply_markup=language_keyboard())


async def language_chosen(update: Update, context: Context) -> None:
    """Store the chosen language and confirm in it."""
    query = update.callback_query
    user = update.effective_user
    if query is None or user is None or query.data is None:
        return
    locale = query.data.removeprefix(CALLBACK_PREFIX)
    if locale not in SUPPORTED_LOCALES:
        await refuse_button(update, context)
        return
    async with context.db.write() as session:
        await register_user(
            session=session, telegram_id=user.id, name=user.full_name, language_code=user.language_code
        )
        await store_locale(session=session, telegram_id=user.id, locale=locale)
    remember_locale(context, user.id, locale)
    set_locale(locale)
    await query.answer()
    await query.edit_message_text(_("Language set to English."))


def register(application: RedPropApplication) -> None:
    application.add_handler(CommandHandler("language", choose_language, filters=filters.ChatType.PRIVATE))
    application.add_handler(CallbackQueryHandler(language_chosen, pattern=f"^{CALLBACK_PREFIX}"))
