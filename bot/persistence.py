"""python-telegram-bot persistence in the bot's own database.

Conversation states and user data (e.g. a /report draft) are written as each update finishes,
not on PTB's periodic timer, so a restart (even a SIGKILL) resumes every conversation at the
step the user last completed. Chat data, bot data and callback data are not used.
"""

from __future__ import annotations

import json
from typing import Any

from sqlmodel import select
from telegram import Update
from telegram.ext import BasePersistence, PersistenceInput, TypeHandler
from telegram.ext._utils.types import CDCData, ConversationDict, ConversationKey

from bot.context import Context, RedPropApplication
from models.base import utcnow
from models.chat_state import ChatState
from models.db import Database

USER_DATA = "user_data"
# After every other group: the update's changes are complete when this runs.
FLUSH_GROUP = 1000


def _conversation(name: str) -> str:
    return f"conversation:{name}"


class DatabasePersistence(BasePersistence[dict[Any, Any], dict[Any, Any], dict[Any, Any]]):
    def __init__(self, database: Database) -> None:
        super().__init__(
            store_data=PersistenceInput(bot_data=False, chat_data=False, user_data=True, callback_data=False),
            # The flush handler writes after every update; the timer is only a backstop.
            update_interval=60,
        )
        self.database = database

    async def _load(self, kind: str) -> list[ChatState]:
        async with self.database.read() as session:
            return list(await session.exec(select(ChatState).where(ChatState.kind == kind)))

    async def _store(self, kind: str, key: str, value: Any) -> None:
        async with self.database.write() as session:
            row = (
                await session.exec(select(ChatState).where(ChatState.kind == kind, ChatState.key == key))
            ).first()
            if value is None:
                if row is not None:
                    await session.delete(row)
                return
            encoded = json.dumps(value, ensure_ascii=False, sort_keys=True)
            if row is None:
                row = ChatState(kind=kind, key=key, value=encoded, updated_at=utcnow())
            elif row.value == encoded:
                return
            row.value = encoded
            row.updated_at = utcnow()
            session.add(row)

    async def get_user_data(self) -> dict[int, dict[Any, Any]]:
        return {int(row.key): json.loads(row.value) for row in await self._load(USER_DATA)}

    async def get_chat_data(self) -> dict[int, dict[Any, Any]]:
        return {}

    async def get_bot_data(self) -> dict[Any, Any]:
        return {}

    async def get_callback_data(self) -> CDCData | None:
        return None

    async def get_conversations(self, name: str) -> ConversationDict:
        return {
            tuple(json.loads(row.key)): json.loads(row.value) for row in await self._load(_conversation(name))
        }

    async def update_conversation(self, name: str, key: ConversationKey, new_state: object | None) -> None:
        await self._store(_conversation(name), json.dumps(list(key)), new_state)

    async def update_user_data(self, user_id: int, data: dict[Any, Any]) -> None:
        await self._store(USER_DATA, str(user_id), data or None)

    async def drop_user_data(self, user_id: int) -> None:
        await self._store(USER_DATA, str(user_id), None)

    async def update_chat_data(self, chat_id: int, data: dict[Any, Any]) -> None:
        pass

    async def update_bot_data(self, data: dict[Any, Any]) -> None:
        pass

    async def update_callback_data(self, data: CDCData) -> None:
        pass

    async def drop_chat_data(self, chat_id: int) -> None:
        pass

    async def refresh_user_data(self, user_id: int, user_data: dict[Any, Any]) -> None:
        pass

    async def refresh_chat_data(self, chat_id: int, chat_data: dict[Any, Any]) -> None:
        pass

    async def refresh_bot_data(self, bot_data: dict[Any, Any]) -> None:
        pass

    async def flush(self) -> None:
        pass


async def flush_after_update(update: Update, context: Context) -> None:
    """Write this update's conversation and user-data changes now, before the next update."""
    if update.effective_user is not None:
        context.application.mark_data_for_update_persistence(user_ids=update.effective_user.id)
    await context.application.update_persistence()


def register(application: RedPropApplication) -> None:
    application.add_handler(TypeHandler(Update, flush_after_update), group=FLUSH_GROUP)
