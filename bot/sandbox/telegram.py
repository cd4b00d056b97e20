"""The Bot API stand-in's core: answers the methods the bot uses, records every call, injects failures.

The same core serves the in-process ``FakeRequest`` (handler tests), the loopback HTTP server
(:mod:`bot.sandbox.bot_api`: end-to-end tests and ``redprop sandbox``), so all see identical
behaviour. A call Telegram would refuse (:mod:`bot.sandbox.checks`) is answered 400 with
Telegram's wording. Files the bot uploads are kept (:attr:`FakeTelegram.files`) under the
file id the answer gives them, so a later call can send them again by id and the sandbox's
page can show them. ``listeners`` hear every answered call and ``update_listeners`` every
queued update, from the thread that made it.
"""

from __future__ import annotations

import itertools
import json
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from bot.sandbox.checks import refusal

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


@dataclass(frozen=True)
class StoredFile:
    """A file the bot uploaded or a user sent."""

    data: bytes
    filename: str
    content_type: str


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
        self.files: dict[str, StoredFile] = {}
        self._file_ids = itertools.count(1)
        self.listeners: list[Callable[[Call], None]] = []
        self.update_listeners: list[Callable[[dict[str, Any]], None]] = []

    def store_file(self, data: bytes, filename: str, content_type: str) -> str:
        """Keep a file and return the file id it goes by."""
        with self.lock:
            file_id = f"file-{next(self._file_ids)}"
            self.files[file_id] = StoredFile(data, filename, content_type)
            return file_id

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
        # Listeners run outside the lock: one that takes a lock of its own must not deadlock.
        for listener in self.update_listeners:
            listener(update)
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
            if failure is None and (problem := refusal(method, params)) is not None:
                failure = Failure(400, problem)
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
        for listener in self.listeners:
            listener(call)
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
        if method == "getFile":
            stored = self.files.get(str(params.get("file_id")))
            size = len(stored.data) if stored else 0
            return {
                "file_id": params.get("file_id"),
                "file_unique_id": params.get("file_id"),
                "file_size": size,
                "file_path": str(params.get("file_id")),
            }
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

    def _file(self, params: dict[str, Any], value: Any) -> str:
        """The file id of a file parameter: an upload is kept, ``attach://name`` names an upload."""
        if isinstance(value, str) and value.startswith("attach://"):
            value = params.get(value.removeprefix("attach://"), value)
        if isinstance(value, dict) and "data" in value:
            return self.store_file(
                bytes(value["data"]),
                str(value.get("filename") or "file"),
                str(value.get("content_type") or ""),
            )
        return str(value)

    def _media_group(self, params: dict[str, Any]) -> list[dict[str, Any]]:
        """One photo message per item of ``media`` (a list, or its JSON over HTTP)."""
        media = params.get("media") or []
        if isinstance(media, str):
            media = json.loads(media)
        messages = []
        for item in media:
            photo = self._file(params, item.get("media"))
            message = self._message({"chat_id": params["chat_id"], "photo": photo})
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
        for key in ("text", "caption", "location"):
            if key in params:
                message[key] = params[key]
        # Telegram echoes only inline keyboards in a Message; reply keyboards stay with the client.
        if isinstance(params.get("reply_markup"), dict) and "inline_keyboard" in params["reply_markup"]:
            message["reply_markup"] = params["reply_markup"]
        if "photo" in params:
            file_id = self._file(params, params["photo"])
            message["photo"] = [{"file_id": file_id, "file_unique_id": file_id, "width": 1, "height": 1}]
        if "document" in params:
            file_id = self._file(params, params["document"])
            stored = self.files.get(file_id)
            message["document"] = {
                "file_id": file_id,
                "file_unique_id": file_id,
                "file_name": stored.filename if stored else "file",
                "mime_type": stored.content_type if stored else "application/octet-stream",
            }
        return message
