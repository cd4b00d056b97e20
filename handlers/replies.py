"""Small reply helpers shared by the feature modules, and the marker for replies whose answer is not read."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from telegram import Update

from handlers.context import Context
from locales.i18n import gettext as _

_ANSWER_UNUSED: ContextVar[bool] = ContextVar("redprop_answer_unused", default=False)


@contextmanager
def answer_unused() -> Iterator[None]:
    """Bot API calls made in this block return ``True`` instead of the message Telegram sent back.

    python-telegram-bot would otherwise build a :class:`~telegram.Message` (with its keyboard)
    from every message the bot sends or edits, and the replies of a chat step never look at it.
    The bot's HTTP client (bot/telegram_http.py) and the tests' fake Bot API both honour it, so a
    test fails if code in the block reads the result.
    """
    token = _ANSWER_UNUSED.set(True)
    try:
        yield
    finally:
        _ANSWER_UNUSED.reset(token)


def answer_is_unused() -> bool:
    """Whether the current call was made inside :func:`answer_unused`."""
    return _ANSWER_UNUSED.get()


async def refuse_button(update: Update, context: Context) -> None:
    """Answer a button press that is stale, forged or not this user's, changing nothing."""
    query = update.callback_query
    if query is not None:
        await query.answer(_("This button is no longer valid."), show_alert=True)
