"""python-telegram-bot persistence in the bot's own database.

Conversation states and user data (e.g. a /report draft) are written as each update finishes,
not on PTB's periodic timer, so a restart (even a SIGKILL) resumes every conversation at the
step the user last completed. Chat data, bot data and callback data are not used.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

from sqlmodel import select
from telegram import Update
from telegram.ext import BasePersistence, PersistenceInput, TypeHandler

from bot.persistence.chat_state import ChatState
from bot.persistence.writer import ChatStateWriter
from bot.ptb_compat import CDCData, ConversationDict, ConversationKey
from handlers.context import Context, RedPropApplication
from models.base import utcnow
from storage.database import Database

USER_DATA = "user_data"
# After every other group: the update's changes are complete when this runs.
FLUSH_GROUP = 1000

Item = tuple[str, str]  # (kind, key) of one chat_state row


def _conversation(name: str) -> str:
    return f"conversation:{name}"


def _encode(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True)


class DatabasePersistence(BasePersistence[dict[Any, Any], dict[Any, Any], dict[Any, Any]]):
    """Chat state in the ``chat_state`` table, written in one transaction per flush.

    PTB hands over each changed item in a coroutine of its own, all started together; they
    join one batch, written by a single transaction. One batch is written at a time, and the
    items that arrive meanwhile, from any user, gather into the next: under load many updates
    share one commit. The process is the only writer of the table, so it remembers what the
    table holds and skips items that did not change.
    """

    def __init__(self, database: Database) -> None:
        super().__init__(
            store_data=PersistenceInput(bot_data=False, chat_data=False, user_data=True, callback_data=False),
            # The flush handler writes after every update; the timer is only a backstop.
            update_interval=60,
        )
        self.database = database
        self.writer = ChatStateWriter(database)
        self._stored: dict[Item, str] = {}  # what each row holds, as far as this process knows
        self._pending: dict[Item, str | None] = {}  # None deletes the row
        self._batch: asyncio.Future[None] | None = None  # the next batch, still gathering
        self._writing = asyncio.Lock()

    async def _load(self, kind: str) -> list[ChatState]:
        async with self.database.read() as session:
            rows = list(await session.exec(select(ChatState).where(ChatState.kind == kind)))
        self._stored.update(((row.kind, row.key), row.value) for row in rows)
        return rows

    async def _store(self, kind: str, key: str, value: Any) -> None:
        encoded = None if value is None else _encode(value)
        if (kind, key) not in self._pending and self._stored.get((kind, key)) == encoded:
            return
        self._pending[(kind, key)] = encoded
        if self._batch is None:
            self._batch = asyncio.ensure_future(self._write_batch())
        # Shielded: one caller being cancelled must not cancel the others' write.
        await asyncio.shield(self._batch)

    async def _write_batch(self) -> None:
        # The items of one flush are all queued before this task first runs (it was scheduled
        # after theirs), so they are in one batch.
        async with self._writing:
            pending, self._pending, self._batch = self._pending, {}, None
            await self._write(pending)

    async def _write(self, pending: dict[Item, str | None]) -> None:
        upserts = [(kind, key, value) for (kind, key), value in pending.items() if value is not None]
        deletes = [item for item, value in pending.items() if value is None]
        await self.writer.write(upserts, deletes, utcnow())
        for item, value in pending.items():
            if value is None:
                self._stored.pop(item, None)
            else:
                self._stored[item] = value

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
        # PTB's last call at shutdown; every update's changes were written already.
        await self.writer.close()


async def flush_after_update(update: Update, context: Context) -> None:
    """Write this update's conversation and user-data changes now, before the next update."""
    if update.effective_user is not None:
        context.application.mark_data_for_update_persistence(user_ids=update.effective_user.id)
    await context.application.update_persistence()


def register(application: RedPropApplication) -> None:
    application.add_handler(TypeHandler(Update, flush_after_update), group=FLUSH_GROUP)
