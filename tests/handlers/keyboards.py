"""Reading what the fake Telegram holds for a chat, edits included."""

from __future__ import annotations

from typing import Any

from tests.fakes.telegram import FakeTelegram


def latest_markup(telegram: FakeTelegram, chat_id: int) -> dict[str, Any]:
    """The reply markup of the latest message sent or edited into the chat that has one."""
    for call in reversed(telegram.calls):
        if call.method in ("sendMessage", "editMessageText") and call.chat_id == chat_id:
            if isinstance(call.result, dict) and "reply_markup" in call.result:
                markup: dict[str, Any] = call.result["reply_markup"]
                return markup
    raise AssertionError("no message with a keyboard in this chat")


def latest_buttons(telegram: FakeTelegram, chat_id: int) -> dict[str, str]:
    """The latest inline keyboard in the chat, edits included: button text -> callback data."""
    markup = latest_markup(telegram, chat_id)
    return {button["text"]: button["callback_data"] for row in markup["inline_keyboard"] for button in row}


def alerts(telegram: FakeTelegram, since: int) -> list[str]:
    """The texts of callback answers since call number ``since``."""
    return [
        str(call.params.get("text", ""))
        for call in telegram.calls[since:]
        if call.method == "answerCallbackQuery"
    ]
