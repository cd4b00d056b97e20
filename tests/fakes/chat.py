"""One Telegram user in a private chat with the bot: what they send, and what they see.

:class:`Chat` reads what the bot sent into the chat from the :class:`FakeTelegram` core: the
texts, the latest inline keyboard, the photos, the answers to button presses. Both kinds of
test read the same way, because the in-process fake (``tests/fakes/request.py``) and the
loopback server (``tests/fakes/server.py``) record into the same core.

Only the delivery differs, and it is the one thing not shared: :class:`ChatDriver` hands an
update to the in-process ``Application`` and awaits it, so what the bot says is there when
``send``/``tap`` return; :class:`Chatter` pushes the update to the loopback server, where
the real bot process fetches it in its own time, so it returns a mark at once and the test
waits for what it expects. One is a coroutine API run on the test's event loop, the other a
blocking one run beside another process; a single class would need both at every call.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from telegram import Update

from bot.sandbox.telegram import Call, FakeTelegram
from bot.sandbox.updates import TelegramUser, callback_update, message_update
from handlers.context import RedPropApplication
from tests.fakes.server import FakeBotApiServer

T = TypeVar("T")

WAIT = 20.0  # seconds; the outbox sends at most one message a second per chat
SENT = ("sendMessage", "editMessageText")  # what puts a text (and a keyboard) into a chat


def buttons_of(message: Any) -> dict[str, str]:
    """Button text -> callback data of a message's inline keyboard (as the bot sent it)."""
    if not isinstance(message, dict) or "reply_markup" not in message:
        return {}
    rows = message["reply_markup"].get("inline_keyboard", [])
    return {button["text"]: button["callback_data"] for row in rows for button in row}


def labels_of(message: Any) -> list[str]:
    """The labels of a message's inline buttons, in order."""
    return list(buttons_of(message))


class Chat:
    """What one user sees of the bot in their private chat."""

    def __init__(self, telegram: FakeTelegram, user: TelegramUser) -> None:
        self.telegram = telegram
        self.user = user

    @property
    def id(self) -> int:
        return self.user.id

    def mark(self) -> int:
        """The number of calls so far: pass it as ``since`` to look only at what follows."""
        with self.telegram.lock:
            return len(self.telegram.calls)

    def calls(self, *, since: int = 0) -> list[Call]:
        """Every Bot API call into this chat after the first ``since`` calls, failed ones included."""
        with self.telegram.lock:
            return [call for call in self.telegram.calls[since:] if call.chat_id == self.id]

    def texts(self, *, since: int = 0) -> list[str]:
        """Every text delivered or edited into the chat, in order (injected failures delivered nothing)."""
        return [
            str(call.params["text"])
            for call in self.calls(since=since)
            if call.method in SENT and "text" in call.params and call.result is not None
        ]

    def last_message_with_buttons(self) -> dict[str, Any]:
        """The latest message sent or edited into the chat with an inline keyboard, as Telegram holds it."""
        for call in reversed(self.calls()):
            if call.method in SENT and isinstance(call.result, dict) and "reply_markup" in call.result:
                message: dict[str, Any] = call.result
                return message
        raise AssertionError(f"the bot sent no message with buttons to chat {self.id}")

    def buttons(self) -> dict[str, str]:
        """The latest inline keyboard in the chat, edits included: button text -> callback data."""
        return buttons_of(self.last_message_with_buttons())

    def media_sent(self, *, since: int = 0) -> list[str]:
        """The file ids of every photo the bot sent into the chat (albums and single photos)."""
        file_ids: list[str] = []
        for call in self.calls(since=since):
            if call.result is None:
                continue
            if call.method == "sendMediaGroup":
                file_ids += [str(item["media"]) for item in call.params["media"]]
            elif call.method == "sendPhoto":
                file_ids.append(str(call.params["photo"]))
        return file_ids

    def alerts(self, *, since: int = 0) -> list[str]:
        """The texts of the bot's answers to button presses after the first ``since`` calls."""
        with self.telegram.lock:
            calls = self.telegram.calls[since:]
        return [str(call.params.get("text", "")) for call in calls if call.method == "answerCallbackQuery"]


class ChatDriver(Chat):
    """The chat with the in-process ``Application`` (handler tests): an update is handled when it returns."""

    def __init__(self, app: RedPropApplication, telegram: FakeTelegram, user: TelegramUser) -> None:
        super().__init__(telegram, user)
        self.app = app

    async def feed(self, update: dict[str, Any]) -> None:
        """Let the bot handle one update from this user."""
        update = {"update_id": self.telegram.next_update_id(), **update}
        await self.app.process_update(Update.de_json(update, self.app.bot))

    async def send(self, text: str | None = None, **extra: Any) -> list[str]:
        """Send a message (text, or ``photo=``/``contact=``…); return the texts the bot put into the chat."""
        mark = self.mark()
        await self.feed(message_update(self.user, text, **extra))
        return self.texts(since=mark)

    async def tap(self, data: str) -> list[str]:
        """Press a button with this data on the latest keyboard; return what the bot said and answered."""
        return await self.press(data, self.last_message_with_buttons())

    async def press(self, data: str, message: dict[str, Any] | None = None) -> list[str]:
        """Send a button press with ``data`` from ``message`` (an old or a forged one: by default a
        message of the chat the bot never put that button on); return what the bot said and answered."""
        mark = self.mark()
        message = message or {"message_id": 1, "date": 0, "chat": self.user.private_chat(), "text": "…"}
        await self.feed(callback_update(self.user, data, message))
        with self.telegram.lock:
            calls = self.telegram.calls[mark:]
        return [
            str(call.params.get("text", ""))
            for call in calls
            if call.method in (*SENT, "answerCallbackQuery")
        ]


class Chatter(Chat):
    """The chat with the real bot process over the loopback server (end-to-end tests): push, then wait."""

    def __init__(self, server: FakeBotApiServer, user: TelegramUser) -> None:
        super().__init__(server.telegram, user)
        self.server = server

    def send(self, text: str | None = None, **extra: Any) -> int:
        """Send a message (text, or ``photo=``/``location=``…); returns the mark before it."""
        mark = self.mark()
        self.server.push(message_update(self.user, text, **extra))
        return mark

    def tap(self, message: dict[str, Any], label: str) -> int:
        """Press the button labelled ``label`` on ``message``; returns the mark before it."""
        data = buttons_of(message).get(label)
        assert data is not None, (
            f"no {label!r} button on {message.get('text', '')[:80]!r}: {buttons_of(message)}"
        )
        return self.press(message, data)

    def press(self, message: dict[str, Any], data: str) -> int:
        """Press a button with ``data`` on ``message`` (forged data too); returns the mark before it."""
        mark = self.mark()
        self.server.push(callback_update(self.user, data, message))
        return mark

    def wait_for(self, predicate: Callable[[], T | None], what: str, timeout: float = WAIT) -> T:
        """What ``predicate`` returns once it is truthy; fail after ``timeout``."""
        return self.server.wait_for(predicate, timeout, what)

    def wait_text(self, substring: str, *, since: int = 0, timeout: float = WAIT) -> str:
        """The first text sent or edited into the chat after ``since`` that contains ``substring``."""

        def find() -> str | None:
            return next((text for text in self.texts(since=since) if substring in text), None)

        return self.wait_for(find, f"{substring!r} in chat {self.id}", timeout)

    def wait_message(
        self, label: str, *, since: int = 0, contains: str = "", timeout: float = WAIT
    ) -> dict[str, Any]:
        """The first message sent or edited into the chat with a ``label`` button (and ``contains``)."""

        def matches(call: Call) -> bool:
            return (
                call.chat_id == self.id
                and label in buttons_of(call.result)
                and contains in str(call.params.get("text", ""))
            )

        result: dict[str, Any] = self.wait_call(SENT, matches, since=since, timeout=timeout).result
        return result

    def wait_data(self, data: str, *, since: int = 0, timeout: float = WAIT) -> dict[str, Any]:
        """The first message sent or edited into the chat with a button whose data starts with ``data``."""

        def matches(call: Call) -> bool:
            return call.chat_id == self.id and any(
                value.startswith(data) for value in buttons_of(call.result).values()
            )

        result: dict[str, Any] = self.wait_call(SENT, matches, since=since, timeout=timeout).result
        return result

    def wait_call(
        self,
        methods: tuple[str, ...],
        predicate: Callable[[Call], bool],
        *,
        since: int = 0,
        timeout: float = WAIT,
    ) -> Call:
        """The first delivered call of ``methods`` after ``since`` that matches, into any chat.

        Answers to button presses name no chat: ``predicate`` tells which calls are this user's.
        """

        def find() -> Call | None:
            with self.telegram.lock:
                calls = self.telegram.calls[since:]
            return next(
                (c for c in calls if c.method in methods and c.result is not None and predicate(c)), None
            )

        return self.wait_for(find, f"{'/'.join(methods)} to chat {self.id}", timeout)
