"""Build Bot API update JSON the way Telegram sends it."""

from __future__ import annotations

import itertools
import time
from dataclasses import dataclass
from typing import Any

_message_ids = itertools.count(1)


@dataclass(frozen=True)
class TelegramUser:
    id: int
    first_name: str
    language_code: str | None = None
    last_name: str | None = None

    def as_json(self) -> dict[str, Any]:
        user: dict[str, Any] = {"id": self.id, "is_bot": False, "first_name": self.first_name}
        if self.last_name:
            user["last_name"] = self.last_name
        if self.language_code:
            user["language_code"] = self.language_code
        return user

    def private_chat(self) -> dict[str, Any]:
        return {"id": self.id, "type": "private", "first_name": self.first_name}


def message_update(
    user: TelegramUser, text: str | None = None, *, chat: dict[str, Any] | None = None, **extra: Any
) -> dict[str, Any]:
    """A message from ``user``: text (commands get their entity), or other content in ``extra``."""
    message: dict[str, Any] = {
        "message_id": next(_message_ids),
        "date": int(time.time()),
        "chat": chat or user.private_chat(),
        "from": user.as_json(),
        **extra,
    }
    if text is not None:
        message["text"] = text
        if text.startswith("/"):
            length = len(text.split()[0])
            message["entities"] = [{"type": "bot_command", "offset": 0, "length": length}]
    return {"message": message}


def callback_update(user: TelegramUser, data: str, message: dict[str, Any]) -> dict[str, Any]:
    """A press on an inline button of ``message`` (as the bot sent it)."""
    return {
        "callback_query": {
            "id": str(next(_message_ids)),
            "from": user.as_json(),
            "chat_instance": f"ci-{user.id}",
            "message": message,
            "data": data,
        }
    }


def group_chat(chat_id: int = -100123) -> dict[str, Any]:
    return {"id": chat_id, "type": "supergroup", "title": "东方华庭业主群"}
