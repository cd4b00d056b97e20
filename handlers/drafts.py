"""What the conversations with a draft (/report, /suggest, /record) share: drafts in user data,
their expiry, text checks and replies that work for both messages and button presses.

A draft is a JSON-serializable dict in ``context.user_data[kind]`` with a random ``key`` and a
``touched`` timestamp. A draft older than ``cases.draft_expiry`` is discarded by a periodic job
(handlers/draft_expiry.py), and by the next step itself should that step come first.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Coroutine
from datetime import datetime, timedelta
from functools import wraps
from typing import Any

from telegram import ReplyKeyboardMarkup, ReplyKeyboardRemove, Update
from telegram.constants import ChatType
from telegram.ext import ConversationHandler, filters

from handlers.context import Context
from handlers.replies import answer_unused
from locales.i18n import duration_in_words, refusal_text
from locales.i18n import gettext as _
from models.base import utcnow
from models.refusal import Refused
from models.text import typed_text

END = ConversationHandler.END
# New messages in private chats only: an edited message never moves a conversation on.
PRIVATE_MESSAGE = filters.UpdateType.MESSAGE & filters.ChatType.PRIVATE
TEXT = PRIVATE_MESSAGE & filters.TEXT & ~filters.COMMAND
NOT_TEXT = PRIVATE_MESSAGE & ~filters.TEXT & ~filters.COMMAND
ANY_INPUT = PRIVATE_MESSAGE & ~filters.COMMAND
# Commands that may run in the middle of a conversation without ending it.
PASS_THROUGH_COMMANDS = ("language",)
OTHER_COMMAND = (
    PRIVATE_MESSAGE
    & filters.COMMAND
    & ~filters.Regex(r"^/(" + "|".join(PASS_THROUGH_COMMANDS) + r")(@\w+)?(\s|$)")
)

Markup = Any  # an inline or reply keyboard, or its removal
# Draft kinds and what their writer is told when one expires (filled by :func:`draft_step`).
EXPIRED_MESSAGES: dict[str, str] = {}
Step = Callable[[Update, Context, dict[str, Any]], Coroutine[Any, Any, object]]
Handler = Callable[[Update, Context], Coroutine[Any, Any, object]]


def user_data(context: Context) -> dict[Any, Any]:
    data = context.user_data
    assert data is not None, "resident conversations run per user"
    return data


def new_draft(context: Context, kind: str, **fields: Any) -> dict[str, Any]:
    """Start a fresh draft, replacing any earlier one of this kind."""
    draft: dict[str, Any] = {"key": secrets.token_hex(8), **fields, "touched": utcnow().isoformat()}
    user_data(context)[kind] = draft
    return draft


def drop_draft(context: Context, kind: str) -> dict[str, Any] | None:
    dropped: dict[str, Any] | None = user_data(context).pop(kind, None)
    return dropped


def is_expired(draft: dict[str, Any], expiry: timedelta, now: datetime) -> bool:
    try:
        touched = datetime.fromisoformat(str(draft["touched"]))
    except (KeyError, ValueError):
        return True
    return now - touched > expiry


def live_draft(context: Context, kind: str) -> dict[str, Any] | None:
    """The user's unexpired draft of this kind, if any."""
    draft = user_data(context).get(kind)
    if not isinstance(draft, dict) or is_expired(draft, context.settings.cases.draft_expiry, utcnow()):
        return None
    return draft


async def text_taken(update: Update, context: Context, *, if_empty: str) -> str | None:
    """The message's text as the domain takes it; None once the user is told it is too long,
    or (with ``if_empty``, translated) that it holds nothing visible."""
    message = update.effective_message
    assert message is not None and message.text is not None
    try:
        text = typed_text(message.text, limit=context.settings.cases.max_text_length)
    except Refused as refused:
        await say(update, context, refusal_text(refused))
        return None
    if not text:
        await say(update, context, _(if_empty))
        return None
    return text


def is_private(update: Update) -> bool:
    chat = update.effective_chat
    return chat is not None and chat.type == ChatType.PRIVATE


async def say(update: Update, context: Context, text: str, reply_markup: Markup = None) -> None:
    """Send a message into the update's chat, whether it came as a message or a button press."""
    chat = update.effective_chat
    assert chat is not None
    with answer_unused():
        await context.bot.send_message(chat.id, text, reply_markup=reply_markup)


async def close_buttons(update: Update) -> None:
    """Acknowledge a press and take the buttons off its message, so they cannot be pressed again."""
    query = update.callback_query
    if query is None:
        return
    with answer_unused():
        await query.answer()
        await query.edit_message_reply_markup(reply_markup=None)


async def leave_for(
    update: Update,
    context: Context,
    command: Handler,
    *,
    kind: str,
    discarded: str,
    reply_markup: Markup = None,
) -> int:
    """End the conversation for ``command``, dropping the draft and saying ``discarded`` if there was one."""
    if drop_draft(context, kind) is not None:
        await say(update, context, discarded, reply_markup)
    await command(update, context)
    return END


def remove_keyboard() -> ReplyKeyboardRemove:
    return ReplyKeyboardRemove()


def reply_keyboard(rows: list[list[Any]]) -> ReplyKeyboardMarkup:
    return ReplyKeyboardMarkup(rows, resize_keyboard=True, one_time_keyboard=True)


def draft_step(kind: str, expired_message: str) -> Callable[[Step], Handler]:
    """Give a step the live draft; an expired or missing one is discarded with ``expired_message``.

    ``expired_message`` is a gettext message id with a ``{duration}`` placeholder; the expiry
    job (handlers/draft_expiry.py) says the same when it discards a draft of this kind.
    """
    EXPIRED_MESSAGES[kind] = expired_message

    def decorate(step: Step) -> Handler:
        @wraps(step)
        async def run(update: Update, context: Context) -> object:
            draft = live_draft(context, kind)
            if draft is None:
                drop_draft(context, kind)
                if update.callback_query is not None:
                    await update.callback_query.answer()
                expiry = duration_in_words(context.settings.cases.draft_expiry)
                await say(update, context, _(expired_message).format(duration=expiry), remove_keyboard())
                return END
            draft["touched"] = utcnow().isoformat()
            return await step(update, context, draft)

        return run

    return decorate
