"""One question the bot asked after a button press, waiting for the typed answer (or a photo).

The card buttons that need words (handlers/case_input.py), the assessment's
(handlers/assessment_input.py), the fund's decisions and answers (handlers/fund_input.py), the
answers to suggestions (handlers/suggestion_answers.py) and visits share this: the press is checked
in the domain, the question is remembered in ``user_data[key]``, the answer runs the operation in
one transaction, /cancel drops the question without changing anything, and /start or /help
leave it.
"""

from __future__ import annotations

import warnings
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any, TypeVar

from sqlmodel.ext.asyncio.session import AsyncSession
from telegram import Update
from telegram.ext import CallbackQueryHandler, CommandHandler, ConversationHandler, MessageHandler, filters
from telegram.warnings import PTBUserWarning

from handlers.context import Context
from handlers.replies import refuse_button
from handlers.start import help_command, start
from locales.i18n import N_, refusal_text
from locales.i18n import gettext as _
from models.directory.people import find_person_by_telegram_id
from models.directory.tables import Person
from models.refusal import Refused
from models.text import typed_text

WRITING = 1
END = ConversationHandler.END
T = TypeVar("T")
Step = Callable[[Update, Context], Coroutine[Any, Any, int]]


EXPIRED = N_("This step has expired. Please tap the button again.")
CANCELLED = N_("Cancelled. Nothing was changed.")


class PendingInput:
    """The question of one feature, kept under ``key`` in the user's data; ``cancelled`` and
    ``expired`` (gettext ids) are what /cancel and a question that outlived its data say."""

    def __init__(self, key: str, *, cancelled: str = CANCELLED, expired: str = EXPIRED) -> None:
        self.key = key
        self.cancelled = cancelled
        self.expired = expired

    def remember(self, context: Context, **question: Any) -> None:
        if context.user_data is not None:
            context.user_data[self.key] = question

    def question(self, context: Context) -> dict[str, Any] | None:
        question = (context.user_data or {}).get(self.key)
        return question if isinstance(question, dict) else None

    def forget(self, context: Context) -> None:
        if context.user_data is not None:
            context.user_data.pop(self.key, None)

    @staticmethod
    async def pressed(update: Update, context: Context, parse: Callable[[str | None], T | None]) -> T | None:
        """The press's data through ``parse``; None once a stale or forged press is answered as such."""
        query = update.callback_query
        parsed = parse(query.data if query is not None else None)
        if parsed is None:
            await refuse_button(update, context)
        return parsed

    async def ask(
        self,
        update: Update,
        context: Context,
        check: Callable[[AsyncSession, Person | None], Awaitable[object]],
        prompt: str,
        **question: Any,
    ) -> int | None:
        """Run ``check`` (the domain's refusal of a press that cannot be answered) on the presser,
        then remember the question and send ``prompt``; a refused press changes nothing."""
        query, user = update.callback_query, update.effective_user
        if query is None or user is None:
            return None
        try:
            async with context.db.read() as session:
                person = await find_person_by_telegram_id(session=session, telegram_id=user.id)
                await check(session, person)
        except Refused as refused:
            await query.answer(refusal_text(refused), show_alert=True)
            return None
        self.remember(context, **question)
        await query.answer()
        await context.bot.send_message(user.id, prompt)
        return WRITING

    async def typed(self, update: Update, context: Context) -> str | None:
        """The answer's text as the domain takes it; None once told it is too long or empty."""
        message = update.effective_message
        assert message is not None and message.text is not None
        return await self.taken(update, context, message.text)

    async def taken(self, update: Update, context: Context, text: str, *, photos: bool = False) -> str | None:
        """``text`` (typed, or a photo's caption) as the domain takes it; None once told it is
        too long, or empty when no photo came with it."""
        message = update.effective_message
        assert message is not None
        try:
            text = typed_text(text, limit=context.settings.cases.max_text_length)
        except Refused as refused:
            await message.reply_text(refusal_text(refused))
            return None
        if not text and not photos:
            await message.reply_text(_("Please send some text, or /cancel."))
            return None
        return text

    async def typed_as(
        self, update: Update, context: Context, parse: Callable[[str], T], *, photo_wanted: bool = False
    ) -> T | None:
        """The typed answer through ``parse`` (a typing slip it refuses is said, and the question
        stays open); None when there is nothing to act on yet, or a photo was wanted."""
        message = update.effective_message
        assert message is not None
        if photo_wanted:
            await message.reply_text(_("Please send a photo, or /cancel."))
            return None
        text = await self.typed(update, context)
        if text is None:
            return None
        try:
            return parse(text)
        except Refused as refused:
            await message.reply_text(refusal_text(refused))
            return None

    async def lost(self, update: Update, context: Context) -> int:
        """Nothing valid is pending (the state outlived its data): end quietly."""
        self.forget(context)
        message = update.effective_message
        if message is not None:
            await message.reply_text(_(self.expired))
        return END

    async def cancel(self, update: Update, context: Context) -> int:
        """Drop the question; nothing changes."""
        self.forget(context)
        message = update.effective_message
        if message is not None:
            await message.reply_text(_(self.cancelled))
        return END

    async def wrong_input(self, update: Update, context: Context) -> int:
        """Hint at what is expected when something else arrives."""
        message = update.effective_message
        if message is not None:
            await message.reply_text(_("Please finish this first, or /cancel."))
        return WRITING

    async def hint(self, update: Update, context: Context, *, photo_hint: str | None) -> int:
        """Something else than the answer arrived: a command is asked to wait; anything else is
        told to come as text, or (``photo_hint``, said as it is) as the photo the question takes."""
        message = update.effective_message
        if message is None or self.question(context) is None:
            return await self.lost(update, context)
        if message.text is not None and message.text.startswith("/"):
            await message.reply_text(_("Please finish this first, or /cancel."))
        else:
            await message.reply_text(photo_hint or _("Please send this as text, or /cancel."))
        return WRITING

    async def restart(self, update: Update, context: Context) -> int:
        """Leave the question and run /start."""
        self.forget(context)
        await start(update, context)
        return END

    async def leave_for_help(self, update: Update, context: Context) -> int:
        """Leave the question and run /help."""
        self.forget(context)
        await help_command(update, context)
        return END

    def conversation(
        self,
        *,
        entry: CallbackQueryHandler[Context, Any],
        text: Step,
        photo: Step,
        other: Step | None = None,
    ) -> Any:
        """The conversation: a press asks, text or a photo answers; /cancel, /start, /help, and
        ``other`` (by default :meth:`wrong_input`) for anything else."""
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
                    CommandHandler("start", self.restart, filters=private),
                    CommandHandler("help", self.leave_for_help, filters=private),
                    MessageHandler(private & ~filters.StatusUpdate.ALL, other or self.wrong_input),
                ],
                name=self.key,
                persistent=True,
                allow_reentry=True,
            )
