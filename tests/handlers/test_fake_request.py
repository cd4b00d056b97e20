"""The in-process fake Bot API answers as the bot's own HTTP client does, answer_unused included."""

from __future__ import annotations

from bot.sandbox.telegram import FakeTelegram
from handlers.context import RedPropApplication
from handlers.replies import answer_unused


async def test_an_answer_marked_unused_is_plain_true_here_too(
    app: RedPropApplication, telegram: FakeTelegram
) -> None:
    with answer_unused():
        unread = await app.bot.send_message(42, "the answer is not read")
    read = await app.bot.send_message(42, "the answer is read")
    # Telegram still got and kept both; only the caller inside the block is told nothing more.
    first, second = telegram.calls_of("sendMessage", 42)
    assert first.result["text"] == "the answer is not read"
    assert unread is True
    assert (read.message_id, read.text) == (second.result["message_id"], "the answer is read")
