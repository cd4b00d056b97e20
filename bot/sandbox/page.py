"""The sandbox's web page: people's chats side by side, played against the Bot API stand-in.

The page (static/, plain HTML, CSS and JavaScript) hears every message, edit and button answer
the bot sends over a WebSocket (``/ws``: what was said so far, then each new event), and acts
for the people it shows through ``/api/…``: a typed text, a tap on a button, a photo, a
location or a contact becomes the update Telegram would queue for the bot. ``/api/clock``
moves the bot's clock (``bot.clock_file``, :func:`models.clock.move_clock`, the tests' clock).
"""

from __future__ import annotations

import asyncio
import itertools
import json
from dataclasses import dataclass
from datetime import timedelta, tzinfo
from pathlib import Path
from typing import Any
from urllib.parse import quote

from aiohttp import WSMsgType, web

from bot.sandbox.telegram import Call, FakeTelegram
from bot.sandbox.updates import TelegramUser, callback_update, message_update
from handlers.stats_chart import cjk_font
from locales.i18n import format_time
from models import clock
from models.periods import Quarter

STATIC = Path(__file__).with_name("static")
SENDS = frozenset({"sendMessage", "sendPhoto", "sendDocument", "sendLocation", "sendMediaGroup"})
EDITS = frozenset({"editMessageText", "editMessageCaption", "editMessageReplyMarkup"})
# The first bytes of the image formats Telegram takes as a photo, and their types.
IMAGE_SIGNATURES = {
    b"\xff\xd8\xff": "image/jpeg",
    b"\x89PNG\r\n\x1a\n": "image/png",
    b"GIF87a": "image/gif",
    b"GIF89a": "image/gif",
}
CLOCK_STEPS = {"hour": timedelta(hours=1), "day": timedelta(days=1), "week": timedelta(weeks=1)}
QUARTER_MORNING = timedelta(hours=9)  # "to quarter end" lands at 09:00 on the next quarter's first day
HISTORY_LIMIT = 10_000
LOCATION = {"latitude": 35.9468, "longitude": 120.1805}  # Lingshanwei, for the location key


def image_type(data: bytes) -> str | None:
    """The image's media type, or None for anything that is not a photo Telegram would take."""
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    return next((kind for start, kind in IMAGE_SIGNATURES.items() if data.startswith(start)), None)


@dataclass
class Sandbox:
    """What the page's handlers share: the stand-in's core, the people, the clock file."""

    telegram: FakeTelegram
    cast: dict[str, Any]
    clock_file: str
    tz: tzinfo

    def __post_init__(self) -> None:
        self.history: list[dict[str, Any]] = []
        self.queues: set[asyncio.Queue[str]] = set()  # one per open page, written in order
        self.pressed: dict[str, int] = {}  # callback query id -> who pressed
        self._ids = itertools.count(1)
        self._loop: asyncio.AbstractEventLoop | None = None

    # --- events --------------------------------------------------------------------------

    def listen(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop
        self.telegram.listeners.append(self._on_call)
        self.telegram.update_listeners.append(self._on_update)

    def _on_call(self, call: Call) -> None:
        event = self.event_of(call)
        if event is not None and self._loop is not None:
            self._loop.call_soon_threadsafe(self.publish, event)

    def _on_update(self, update: dict[str, Any]) -> None:
        message = update.get("message")
        if message is not None and self._loop is not None:
            event = {"kind": "mine", "chat_id": message["chat"]["id"], "message": message}
            self._loop.call_soon_threadsafe(self.publish, event)

    def event_of(self, call: Call) -> dict[str, Any] | None:
        """What the page shows of a call the bot made, or None."""
        if call.method in SENDS:
            messages = call.result if isinstance(call.result, list) else [call.result]
            markup = call.params.get("reply_markup")
            keyboard = markup if isinstance(markup, dict) and "inline_keyboard" not in markup else None
            return {"kind": "message", "chat_id": call.chat_id, "messages": messages, "keyboard": keyboard}
        if call.method in EDITS and isinstance(call.result, dict):
            return {"kind": "edit", "chat_id": call.chat_id, "message": call.result, "method": call.method}
        if call.method == "deleteMessage":
            return {"kind": "delete", "chat_id": call.chat_id, "message_id": call.params.get("message_id")}
        if call.method == "answerCallbackQuery":
            chat_id = self.pressed.pop(str(call.params.get("callback_query_id")), None)
            text = str(call.params.get("text") or "")
            if chat_id is None or not text:
                return None
            return {
                "kind": "answer",
                "chat_id": chat_id,
                "text": text,
                "alert": bool(call.params.get("show_alert")),
            }
        return None

    def publish(self, event: dict[str, Any]) -> None:
        self.history.append(event)
        del self.history[:-HISTORY_LIMIT]
        text = json.dumps(event, ensure_ascii=False)
        for queue in self.queues:
            queue.put_nowait(text)

    def clock_event(self) -> dict[str, Any]:
        return {"kind": "clock", "now": format_time(clock.now(), "yyyy-MM-dd HH:mm")}


def _user(body: dict[str, Any]) -> TelegramUser:
    user = body.get("user") or {}
    language = str(user.get("language_code") or "") or None
    return TelegramUser(int(user["id"]), str(user.get("first_name") or "User")[:64], language)


def routes(sandbox: Sandbox) -> web.RouteTableDef:
    """The page, its static files, the WebSocket and the actions."""
    table = web.RouteTableDef()

    @table.get("/")
    async def index(request: web.Request) -> web.FileResponse:
        return web.FileResponse(STATIC / "index.html")

    table.static("/static", STATIC)

    @table.get("/font/cjk.otf")
    async def font(request: web.Request) -> web.FileResponse:
        """The chart's CJK font, for browsers without one (the page asks for a local one first)."""
        path = cjk_font()
        if path is None:
            raise web.HTTPNotFound()
        return web.FileResponse(path, headers={"Cache-Control": "max-age=86400"})

    @table.get("/api/cast")
    async def get_cast(request: web.Request) -> web.Response:
        return web.json_response({**sandbox.cast, "clock": sandbox.clock_event()})

    @table.get("/ws")
    async def socket(request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse(heartbeat=30)
        await ws.prepare(request)
        queue: asyncio.Queue[str] = asyncio.Queue()
        for event in [*sandbox.history, sandbox.clock_event()]:
            queue.put_nowait(json.dumps(event, ensure_ascii=False))
        sandbox.queues.add(queue)

        async def write() -> None:
            while not ws.closed:
                await ws.send_str(await queue.get())

        writer = asyncio.create_task(write())
        try:
            async for message in ws:
                if message.type == WSMsgType.ERROR:
                    break
        finally:
            sandbox.queues.discard(queue)
            writer.cancel()
        return ws

    @table.post("/api/act")
    async def act(request: web.Request) -> web.Response:
        body = await request.json()
        user = _user(body)
        action = body.get("action")
        if action == "send" and str(body.get("text") or "").strip():
            update = message_update(user, str(body["text"])[:4096])
        elif action == "tap" and isinstance(body.get("message"), dict):
            update = callback_update(user, str(body.get("data") or ""), body["message"])
            sandbox.pressed[update["callback_query"]["id"]] = user.id
        elif action == "location":
            update = message_update(user, location=LOCATION)
        elif action == "contact":
            phone = f"+86138{user.id % 100_000_000:08d}"
            contact = {"phone_number": phone, "first_name": user.first_name, "user_id": user.id}
            update = message_update(user, contact=contact)
        else:
            return web.json_response({"error": "bad_action"}, status=400)
        sandbox.telegram.push_update(update)
        return web.json_response({"ok": True})

    @table.post("/api/photo")
    async def photo(request: web.Request) -> web.Response:
        form = await request.post()
        user = _user({"user": json.loads(str(form.get("user") or "{}"))})
        upload = form.get("file")
        if isinstance(upload, web.FileField):
            data, name = upload.file.read(), upload.filename
        else:
            data, name = (STATIC / "sample.jpg").read_bytes(), "sample.jpg"
        kind = image_type(data)
        if kind is None:
            return web.json_response({"error": "not_image"}, status=400)
        file_id = sandbox.telegram.store_file(data, name, kind)
        sizes = [
            {
                "file_id": file_id,
                "file_unique_id": file_id,
                "width": 800,
                "height": 600,
                "file_size": len(data),
            }
        ]
        sandbox.telegram.push_update(message_update(user, photo=sizes))
        return web.json_response({"ok": True, "file_id": file_id})

    @table.get("/files/{file_id}")
    async def file(request: web.Request) -> web.Response:
        stored = sandbox.telegram.files.get(request.match_info["file_id"])
        if stored is None:
            raise web.HTTPNotFound()
        shown = "inline" if image_type(stored.data) else "attachment"
        headers = {"Content-Disposition": f"{shown}; filename*=UTF-8''{quote(stored.filename)}"}
        return web.Response(
            body=stored.data, content_type=stored.content_type or "application/octet-stream", headers=headers
        )

    @table.post("/api/clock")
    async def move(request: web.Request) -> web.Response:
        step = str((await request.json()).get("step"))
        if step == "quarter":
            now = clock.now()
            end = Quarter.of(now, sandbox.tz).bounds(sandbox.tz)[1]
            by = end + QUARTER_MORNING - now
        elif step in CLOCK_STEPS:
            by = CLOCK_STEPS[step]
        else:
            return web.json_response({"error": "bad_step"}, status=400)
        clock.move_clock(sandbox.clock_file, by)
        event = sandbox.clock_event()
        sandbox.publish(event)
        return web.json_response(event)

    return table


LOOPBACK_NAMES = frozenset({"localhost", "127.0.0.1", "[::1]", "::1"})


def same_site_only(loopback: bool) -> Any:
    """Refuse what another web page makes the browser send here: a request from another origin,
    and (on loopback) one addressed to another host name, as a DNS-rebinding page would."""

    @web.middleware
    async def check(request: web.Request, handler: Any) -> web.StreamResponse:
        host = request.host
        origin = request.headers.get("Origin")
        if origin is not None and origin != f"{request.scheme}://{host}":
            raise web.HTTPForbidden(text="another site's request")
        if loopback and host.rsplit(":", 1)[0] not in LOOPBACK_NAMES and host not in LOOPBACK_NAMES:
            raise web.HTTPForbidden(text="not addressed to this machine")
        response: web.StreamResponse = await handler(request)
        return response

    return check


def page_application(sandbox: Sandbox, *, loopback: bool = True) -> web.Application:
    app = web.Application(client_max_size=20 * 1024 * 1024, middlewares=[same_site_only(loopback)])
    app.add_routes(routes(sandbox))

    async def started(app: web.Application) -> None:
        sandbox.listen(asyncio.get_running_loop())

    app.on_startup.append(started)
    return app
