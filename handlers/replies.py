"""Small reply helpers shared by the feature modules."""

from __future__ import annotations

from telegram import Update

from bot.context import Context
from bot.i18n import gettext as _


async def refuse_button(update: Update, context: Context) -> None:
    """Answer a button press that is stale, forged or not this user's, changing nothing."""
    query = update.callback_query
    if query is not None:
        await query.answer(_("This button is no longer valid."), show_alert=True)
