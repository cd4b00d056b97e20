"""What the conversations with a draft (/report, /suggest, /record) share beyond their drafts:
leaving them (/cancel, /start, /help), another command in the middle, one such conversation at
a time, and the conversation handler itself. Each conversation describes itself with a :class:`DraftFlow`.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from telegram import Update
from telegram.ext import BaseHandler, CommandHandler, ConversationHandler, MessageHandler
from telegram.warnings import PTBUserWarning

from handlers.context import Context
from handlers.drafts import (
    END,
    OTHER_COMMAND,
    PRIVATE_MESSAGE,
    Handler,
    Step,
    close_buttons,
    draft_step,
    drop_draft,
    leave_for,
    live_draft,
    remove_keyboard,
    say,
)
from handlers.start import help_command, start
from locales.i18n import gettext as _

# Every conversation with a draft, by its kind, so that a new one can see another is open.
FLOWS: dict[str, DraftFlow] = {}


@dataclass(frozen=True)
class DraftFlow:
    """One conversation with a draft: its kind and what it says (``N_`` message ids)."""

    kind: str
    cancelled: str  # /cancel: nothing was sent
    discarded: str  # left for /start or /help with a draft open
    busy: str  # another command in the middle
    expired: str  # the draft expired; has a {duration} placeholder

    def __post_init__(self) -> None:
        FLOWS[self.kind] = self

    @property
    def step(self) -> Any:
        """The decorator that gives a step its live draft (see :func:`handlers.drafts.draft_step`)."""
        return draft_step(self.kind, self.expired)

    async def another_open(self, update: Update, context: Context) -> bool:
        """Whether another conversation with a draft is open; if so the user is told, and this one waits."""
        for other in FLOWS.values():
            if other.kind != self.kind and live_draft(context, other.kind) is not None:
                await say(update, context, _(other.busy))
                return True
        return False

    async def cancel(self, update: Update, context: Context) -> int:
        """Drop the draft and end."""
        drop_draft(context, self.kind)
        await close_buttons(update)
        await say(update, context, _(self.cancelled), remove_keyboard())
        return END

    async def _leave_for(self, update: Update, context: Context, command: Handler) -> int:
        return await leave_for(
            update,
            context,
            command,
            kind=self.kind,
            discarded=_(self.discarded),
            reply_markup=remove_keyboard(),
        )

    async def restart(self, update: Update, context: Context) -> int:
        """End the conversation, dropping the draft, and run /start."""
        return await self._leave_for(update, context, start)

    async def help_instead(self, update: Update, context: Context) -> int:
        """End the conversation, dropping the draft, and run /help."""
        return await self._leave_for(update, context, help_command)

    async def _busy(self, update: Update, context: Context, draft: dict[str, Any]) -> None:
        """Answer another command in the middle, keeping the conversation where it was."""
        await say(update, context, _(self.busy))

    def conversation(
        self, *, command: str, start: Handler, states: dict[object, list[BaseHandler[Any, Any, Any]]]
    ) -> ConversationHandler[Context]:
        """The persistent conversation started by ``/command``, with the shared fallbacks."""
        private = PRIVATE_MESSAGE
        busy: Step = self._busy
        fallbacks: Sequence[BaseHandler[Any, Any, Any]] = [
            CommandHandler("cancel", self.cancel, filters=private),
            CommandHandler("start", self.restart, filters=private),
            CommandHandler("help", self.help_instead, filters=private),
            MessageHandler(OTHER_COMMAND, self.step(busy)),
        ]
        with warnings.catch_warnings():
            # Buttons are tracked per user and chat on purpose; the drafts carry their own keys.
            warnings.filterwarnings("ignore", message=".*per_message=False.*", category=PTBUserWarning)
            return ConversationHandler(
                entry_points=[CommandHandler(command, start, filters=private)],
                states=states,
                fallbacks=list(fallbacks),
                name=self.kind,
                persistent=True,
                allow_reentry=True,
            )
