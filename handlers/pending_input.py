"""One question the bot asked after a button press, waiting for the typed answer (or a photo).

The fund's decisions and answers (handlers/fund_input.py) and the answers to suggestions
(handlers/suggestion_answers.py) share this: the press is checked in the domain, the question
is remembered in ``user_data[key]``, the answer runs the operation in one transaction, and
/cancel drops the question without changing anything.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Coroutine
from typing import Any

from telegram import Update
from telegram.ext import CallbackQueryHandler, CommandHandler, ConversationHandler, MessageHandler, filters
from telegram.warnings import PTBUserWarning

from handlers.context import Context
from locales.i18n import gettext as _

WRITING = 1
END = ConversationHandler.END
Step = Callable[[Update, Context], Coroutine[Any, Any, int]]


class PendingInput:
    """The question of one feature, kept under ``key`` in the user's data."""

    def __init__(self, key: str) -> None:
        self.key = key

    def remember(self, context: Context, **question: Any) -> None:
        if context.user_data is not None:
            context.user_data[self.key] = question

    def question(self, context: Context) -> dict[str, Any] | None:
        question = (context.user_data or {}).get(self.key)
        return question if isinstance(question, dict) else None

    def forget(self, context: Context) -> None:
        if context.user_data is not None:
            context.user_data.pop(self.key, None)

    async def lost(self, update: Update, context: Context) -> int:
        """Nothing valid is pending (the state outlived its data): end quietly."""
        self.forget(context)
        message = update.effective_message
        if message is not None:
            await message.reply_text(_("This step has expired. Please tap the button again."))
        return END

    async def cancel(self, update: Update, context: Context) -> int:
        """Drop the question; nothing changes."""
        self.forget(context)
        message = update.effective_message
        if message is not None:
            await message.reply_text(_("Cancelled. Nothing was changed."))
        return END

    async def wrong_input(self, update: Update, context: Context) -> int:
        """Hint at what is expected when something else arrives."""
        message = update.effective_message
        if message is not None:
            await message.reply_text(_("Please finish this first, or /cancel."))
        return WRITING

    def conversation(self, *, entry: CallbackQueryHandler[Context, Any], text: Step, photo: Step) -> Any:
        """The conversation: a press asks, text or a photo answers; /cancel and anything else."""
        private = filters.ChatType.PRIVATE
        with warnings.catch_warnings():
            # Tracked per chat and user on purpose: one question open per person.
            warnings.filterwarnings("ignore", category=PTBUserWarning, message=".*per_message.*")
            return ConversationHandler(
                entry_points=[entry],
                states={
                    WRITING: [
                        MessageHandler(private & filters.TEXT & ~filters.COMMAND, text),
                        MessageHandler(private & filters.PHOTO, photo),
                    ]
                },
                fallbacks=[
                    CommandHandler("cancel", self.cancel, filters=private),
                    MessageHandler(private & ~filters.StatusUpdate.ALL, self.wrong_input),
                ],
                name=self.key,
                persistent=True,
                allow_reentry=True,
            )
