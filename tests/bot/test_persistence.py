"""Chat state in the database: one transaction a flush, nothing rewritten unchanged, kept over restarts."""

from __future__ import annotations

import asyncio
from typing import Any

from sqlmodel import select

from bot.persistence.chat_state import ChatState
from bot.persistence.ptb import USER_DATA, DatabasePersistence
from storage.database import Database


def count_commits(persistence: DatabasePersistence) -> list[int]:
    """Count the transactions the persistence's writer commits from now on."""
    commits = [0]
    write = persistence.writer.write

    async def counted(*args: Any) -> None:
        await write(*args)
        commits[0] += 1

    persistence.writer.write = counted  # type: ignore[method-assign]
    return commits


async def rows(database: Database) -> dict[tuple[str, str], str]:
    async with database.read() as session:
        return {(row.kind, row.key): row.value for row in await session.exec(select(ChatState))}


async def test_what_one_flush_hands_over_is_written_in_one_transaction(db: Database) -> None:
    persistence = DatabasePersistence(db)
    await persistence.get_user_data()
    await persistence.get_conversations("report")
    commits = count_commits(persistence)
    # PTB starts every item of a flush together, as here.
    await asyncio.gather(
        persistence.update_user_data(7, {"report": {"key": "abc", "photos": ["p1"]}}),
        persistence.update_conversation("report", (7, 7), 2),
        persistence.update_user_data(8, {"suggest": {"key": "def"}}),
    )
    assert commits[0] == 1
    assert await rows(db) == {
        (USER_DATA, "7"): '{"report": {"key": "abc", "photos": ["p1"]}}',
        ("conversation:report", "[7, 7]"): "2",
        (USER_DATA, "8"): '{"suggest": {"key": "def"}}',
    }


async def test_an_unchanged_item_is_not_written_again_and_a_changed_one_is(db: Database) -> None:
    persistence = DatabasePersistence(db)
    await persistence.update_user_data(7, {"report": {"step": 1}})
    commits = count_commits(persistence)
    await persistence.update_user_data(7, {"report": {"step": 1}})
    await persistence.update_conversation("report", (7, 7), None)  # there was none to drop
    assert commits[0] == 0
    await persistence.update_user_data(7, {"report": {"step": 2}})
    assert commits[0] == 1
    assert await rows(db) == {(USER_DATA, "7"): '{"report": {"step": 2}}'}


async def test_an_ended_conversation_and_emptied_user_data_are_deleted(db: Database) -> None:
    persistence = DatabasePersistence(db)
    await persistence.update_user_data(7, {"report": {"step": 1}})
    await persistence.update_conversation("report", (7, 7), 3)
    await asyncio.gather(
        persistence.update_user_data(7, {}),
        persistence.update_conversation("report", (7, 7), None),
    )
    assert await rows(db) == {}


async def test_a_restarted_bot_reads_back_what_was_stored_and_knows_it(db: Database) -> None:
    before = DatabasePersistence(db)
    await before.update_user_data(7, {"report": {"key": "abc"}})
    await before.update_conversation("report", (7, 7), 4)

    after = DatabasePersistence(db)
    assert await after.get_user_data() == {7: {"report": {"key": "abc"}}}
    assert await after.get_conversations("report") == {(7, 7): 4}
    commits = count_commits(after)
    await after.update_conversation("report", (7, 7), 4)
    assert commits[0] == 0
    await after.update_conversation("report", (7, 7), 1)
    assert commits[0] == 1
    assert (await rows(db))[("conversation:report", "[7, 7]")] == "1"
