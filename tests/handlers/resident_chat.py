"""Helpers for the /report and /suggest tests: media payloads, a second application, stored chat state."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from sqlmodel import select

from bot.app import build_application
from bot.persistence.chat_state import ChatState
from bot.sandbox.telegram import FakeTelegram
from config.settings import Settings
from handlers.context import RedPropApplication
from storage.database import Database
from tests.fakes.request import FakeRequest

STICKER = {
    "file_id": "sticker-1",
    "file_unique_id": "sticker-u1",
    "type": "regular",
    "width": 512,
    "height": 512,
    "is_animated": False,
    "is_video": False,
}
VOICE = {"file_id": "voice-1", "file_unique_id": "voice-u1", "duration": 3}
VIDEO = {"file_id": "video-1", "file_unique_id": "video-u1", "width": 640, "height": 480, "duration": 5}
DOCUMENT = {
    "file_id": "doc-1",
    "file_unique_id": "doc-u1",
    "file_name": "leak.jpg",
    "mime_type": "image/jpeg",
}


def photo(name: str) -> list[dict[str, Any]]:
    """One photo as Telegram sends it: several sizes, the largest last."""
    return [
        {"file_id": f"{name}-small", "file_unique_id": f"{name}-us", "width": 90, "height": 68},
        {"file_id": f"{name}-large", "file_unique_id": f"{name}-ul", "width": 1280, "height": 960},
    ]


@asynccontextmanager
async def second_app(settings: Settings, telegram: FakeTelegram) -> AsyncIterator[RedPropApplication]:
    """Another bot process on the same database, as after a restart."""
    application = build_application(settings, request=FakeRequest(telegram))
    await application.initialize()
    try:
        yield application
    finally:
        if application.job_queue is not None and application.job_queue.scheduler.running:
            await application.job_queue.stop()
        await application.shutdown()
        assert application.post_shutdown is not None
        await application.post_shutdown(application)


async def stored_state(db: Database, conversation: str, user_id: int) -> tuple[object, dict[str, Any]]:
    """What the database holds for a private chat: the conversation's state and the user data."""
    async with db.read() as session:
        rows = list(await session.exec(select(ChatState)))
    state = None
    data: dict[str, Any] = {}
    for row in rows:
        if row.kind == f"conversation:{conversation}" and json.loads(row.key) == [user_id, user_id]:
            state = json.loads(row.value)
        if row.kind == "user_data" and row.key == str(user_id):
            data = json.loads(row.value)
    return state, data


async def store_user_data(db: Database, user_id: int, data: dict[str, Any]) -> None:
    """Overwrite the stored user data, e.g. to age a draft while the bot is down."""
    async with db.write() as session:
        row = (
            await session.exec(
                select(ChatState).where(ChatState.kind == "user_data", ChatState.key == str(user_id))
            )
        ).one()
        row.value = json.dumps(data, ensure_ascii=False)
        session.add(row)
