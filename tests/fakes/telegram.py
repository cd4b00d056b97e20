"""A fake Telegram Bot API: answers the methods the bot uses, records every call, injects failures.

The same core serves the in-process ``FakeRequest`` (handler tests) and the loopback HTTP
server (end-to-end tests), so both see identical behaviour.
"""

from __future__ import annotations

import itertools
import json
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from typing import Any

BOT_USER: dict[str, Any] = {
    "id": 7000000001,
    "is_bot": True,
    "first_name": "Red Property",
    "username": "redprop_test_bot",
    "can_join_groups": True,
    "can_read_all_group_messages": False,
    "supports_inline_queries": False,
}


@dataclass
class Call:
    method: str
    params: dict[str, Any]
    at: float = field(default_factory=time.monotonic)
    result: Any = None  # what the fake answered, e.g. the Message a sendMessage created

    @property
    def chat_id(self) -> int | None:
        value = self.params.get("chat_id")
        return int(value) if value is not None else None


@dataclass
class Failure:
    status: int
    description: str
    retry_after: int | None = None
    chat_id: int | None = None


class FakeTelegram:
    """The state of one fake Bot API: chats' messages, queued updates, recorded calls."""

    def __init__(self) -> None:
        self.calls: list[Call] = []
        self._failures: dict[str, deque[Failure]] = {}
        self._message_ids = itertools.count(1000)
        self._update_ids = itertools.count(1)
        self.updates: deque[dict[str, Any]] = deque()
        self.lock = threading.RLock()
        self.commands: dict[str, list[dict[str, Any]]] = {}

    # --- what tests arrange ---------------------------------------------------------------

    def fail(
        self,
        method: str,
        *,
        status: int,
        description: str = "",
        retry_after: int | None = None,
        chat_id: int | None = None,
        times: int = 1,
    ) -> None:
        """Make the next ``times`` calls of ``method`` (to ``chat_id``, if given) fail."""
        description = description or {
            403: "Forbidden: bot was blocked by the user",
            429: f"Too Many Requests: retry after {retry_after}",
            500: "Internal Server Error",
            502: "Bad Gateway",
        }.get(status, "Bad Request")
        with self.lock:
            queue = self._failures.setdefault(method, deque())
            for _ in range(times):
                queue.append(Failure(status, description, retry_after, chat_id))

    def push_update(self, update: dict[str, Any]) -> dict[str, Any]:
        """Queue an update for getUpdates, numbering it."""
        with self.lock:
            update = {"update_id": next(self._update_ids), **update}
            self.updates.append(update)
            return update

    def next_update_id(self) -> int:
        with self.lock:
            return next(self._update_ids)

    # --- what tests read ------------------------------------------------------------------

    def calls_of(self, method: str, chat_id: int | None = None) -> list[Call]:
        with self.lock:
            return [
                call
                for call in self.calls
                if call.method == method and (chat_id is None or call.chat_id == chat_id)
            ]

    def texts_to(self, chat_id: int) -> list[str]:
        """Every text the bot sent or edited into this chat, in order."""
        with self.lock:
            return [
                str(call.params["text"])
                for call in self.calls
                if call.method in ("sendMessage", "editMessageText")
                and call.chat_id == chat_id
                and "text" in call.params
                and call.result is not None  # an injected failure delivered nothing
            ]

    # --- the API ---------------------------------------------------------------------------

    def answer(self, method: str, params: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        """Answer one Bot API call as Telegram would: (HTTP status, JSON body)."""
        with self.lock:
            call = Call(method, params)
            self.calls.append(call)
            failure = self._take_failure(method, params)
            if failure is not None:
                body: dict[str, Any] = {
                    "ok": False,
                    "error_code": failure.status,
                    "description": failure.description,
                }
                if failure.retry_after is not None:
                    body["parameters"] = {"retry_after": failure.retry_after}
                return failure.status, body
            call.result = self._result(method, params)
            return 200, {"ok": True, "result": call.result}

    def _take_failure(self, method: str, params: dict[str, Any]) -> Failure | None:
        queue = self._failures.get(method)
        if not queue:
            return None
        for failure in list(queue):
            if failure.chat_id is None or str(failure.chat_id) == str(params.get("chat_id")):
                queue.remove(failure)
                return failure
        return None

    def _result(self, method: str, params: dict[str, Any]) -> Any:
        if method == "getMe":
            return BOT_USER
        if method == "getUpdates":
            return self._take_updates(params)
        if method in ("sendMessage", "sendPhoto", "sendDocument", "sendLocation"):
            return self._message(params)
        if method == "sendMediaGroup":
            return self._media_group(params)
        if method in ("editMessageText", "editMessageReplyMarkup", "editMessageCaption"):
            if "inline_message_id" in params:
                return True
            return self._message(params, message_id=int(params["message_id"]))
        if method == "setMyCommands":
            self.commands[self._menu_key(params)] = list(params["commands"])
            return True
        if method == "getMyCommands":
            return self.commands.get(self._menu_key(params), [])
        if method == "getChat":
            return {"id": int(params["chat_id"]), "type": "private", "first_name": "User"}
        return True

    @staticmethod
    def _menu_key(params: dict[str, Any]) -> str:
        """Menus by language code ("" for the default), or "chat:<id>" for one chat's menu."""
        scope = params.get("scope")
        if isinstance(scope, dict) and scope.get("type") == "chat":
            return f"chat:{scope['chat_id']}"
        return str(params.get("language_code", ""))

    def _take_updates(self, params: dict[str, Any]) -> list[dict[str, Any]]:
        offset = int(params.get("offset") or 0)
        while self.updates and self.updates[0]["update_id"] < offset:
            self.updates.popleft()  # confirmed by the bot
        limit = int(params.get("limit") or 100)
        return list(itertools.islice(self.updates, limit))

    def _media_group(self, params: dict[str, Any]) -> list[dict[str, Any]]:
        """One photo message per item of ``media`` (a list, or its JSON over HTTP)."""
        media = params.get("media") or []
        if isinstance(media, str):
            media = json.loads(media)
        messages = []
        for item in media:
            message = self._message({"chat_id": params["chat_id"], "photo": item.get("media")})
            if "caption" in item:
                message["caption"] = item["caption"]
            messages.append(message)
        return messages

    def _message(self, params: dict[str, Any], message_id: int | None = None) -> dict[str, Any]:
        chat_id = int(params["chat_id"])
        message: dict[str, Any] = {
            "message_id": message_id if message_id is not None else next(self._message_ids),
            "date": int(time.time()),
            "chat": {"id": chat_id, "type": "private" if chat_id > 0 else "group", "title": "chat"},
            "from": BOT_USER,
        }
        if "text" in params:
            message["text"] = params["text"]
        if "caption" in params:
            message["caption"] = params["caption"]
        # Telegram echoes only inline keyboards in a Message; reply keyboards stay with the client.
        if isinstance(params.get("reply_markup"), dict) and "inline_keyboard" in params["reply_markup"]:
            message["reply_markup"] = params["reply_markup"]
        if "photo" in params:
            message["photo"] = [{"file_id": "sent-photo", "file_unique_id": "u1", "width": 1, "height": 1}]
        return message
