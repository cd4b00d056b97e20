"""/suggest as a resident sees it: text → Confirm → stored for the community, apart from cases."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import select

from bot.sandbox.telegram import FakeTelegram
from bot.sandbox.updates import TelegramUser
from config.settings import Settings
from handlers.context import RedPropApplication
from models.base import utcnow
from models.cases.tables import Case, Suggestion
from models.outbox.queue import OutboxMessage
from storage.database import Database
from tests.factories.ids import COMMITTEE_TG, INSTRUCTOR_TG, RESIDENT_TG, stranger
from tests.factories.world import World, make_world
from tests.fakes.chat import ChatDriver
from tests.handlers.resident_chat import STICKER, VOICE, second_app, stored_state

IDEA = "Could we put two benches by the east gate?"
PROMPT = (
    "What would you like to suggest for 东方华庭? An idea, not a fault (for a fault, use /report). "
    "Write it in one message."
)


@pytest.fixture
async def world(app_db: Database) -> World:
    return await make_world(app_db)


@pytest.fixture
def li(chat, world: World) -> ChatDriver:  # type: ignore[no-untyped-def]
    driver: ChatDriver = chat(TelegramUser(RESIDENT_TG, "Li", "en"))
    return driver


async def suggestions(db: Database) -> list[Suggestion]:
    async with db.read() as session:
        return list(await session.exec(select(Suggestion)))


async def test_suggestion_is_stored_for_the_community(li: ChatDriver, world: World, app_db: Database) -> None:
    assert await li.send("/suggest") == [PROMPT]
    said = await li.send(IDEA)
    assert said == [f"Your suggestion for 东方华庭:\n\n{IDEA}"]
    buttons = li.buttons()
    assert set(buttons) == {"Confirm", "Cancel"}
    said = await li.tap(buttons["Confirm"])
    assert said[-1] == "Thank you! Your suggestion was passed on to 东方华庭."
    (stored,) = await suggestions(app_db)
    assert (stored.author_id, stored.community_id, stored.text) == (world.resident.id, world.community, IDEA)
    async with app_db.read() as session:
        assert list(await session.exec(select(Case))) == []  # counted apart from problems
        # The community party committee and the paired instructor are asked to answer it.
        queued = list(await session.exec(select(OutboxMessage)))
        assert sorted((row.chat_id, row.kind) for row in queued) == [
            (INSTRUCTOR_TG, "suggestion.new"),
            (COMMITTEE_TG, "suggestion.new"),
        ]
    assert await stored_state(app_db, "suggest", RESIDENT_TG) == (None, {})
    # Pressed again: nothing more is stored.
    assert await li.tap(buttons["Confirm"]) == ["This button is no longer valid."]
    assert len(await suggestions(app_db)) == 1


async def test_suggestion_wants_words_within_the_limit(li: ChatDriver) -> None:
    await li.send("/suggest")
    assert await li.send(sticker=STICKER) == ["Please write your suggestion in words."]
    assert await li.send(voice=VOICE) == ["Please write your suggestion in words."]
    assert await li.send("y" * 2500) == ["That is 2500 characters; please keep it to 2000 at most."]
    assert (await li.send(IDEA))[0].startswith("Your suggestion for")
    assert await li.send("another thought") == ["Please use the buttons: Confirm or Cancel."]


async def test_resident_without_community_is_sent_to_profile(chat, world: World, app_db: Database) -> None:  # type: ignore[no-untyped-def]
    newcomer = chat(TelegramUser(stranger(1), "New", "en"))
    assert await newcomer.send("/suggest") == ["Please choose your community first (/profile)."]
    assert (await stored_state(app_db, "suggest", stranger(1)))[0] is None


async def to_writing(li: ChatDriver) -> None:
    await li.send("/suggest")


async def to_confirming(li: ChatDriver) -> None:
    await li.send("/suggest")
    await li.send(IDEA)


@pytest.mark.parametrize("step", [to_writing, to_confirming])
@pytest.mark.parametrize(
    ("command", "expected"),
    [
        ("/cancel", "Suggestion cancelled. Nothing was sent."),
        ("/start", "Your unfinished suggestion was discarded."),
        ("/help", "Your unfinished suggestion was discarded."),
    ],
)
async def test_cancel_start_and_help_leave_every_step(
    li: ChatDriver,
    app_db: Database,
    step,
    command: str,
    expected: str,  # type: ignore[no-untyped-def]
) -> None:
    await step(li)
    said = await li.send(command)
    assert said[0] == expected
    assert await stored_state(app_db, "suggest", RESIDENT_TG) == (None, {})
    assert await li.send("hello?") == []
    assert await suggestions(app_db) == []


async def test_cancel_button(li: ChatDriver, app_db: Database) -> None:
    await to_confirming(li)
    assert "Suggestion cancelled. Nothing was sent." in await li.tap("s:cancel")
    assert await suggestions(app_db) == []


async def test_one_resident_conversation_at_a_time(li: ChatDriver) -> None:
    await to_writing(li)
    assert await li.send("/report") == [
        "You are writing a suggestion. Finish it, or send /cancel to stop it."
    ]
    assert (await li.send(IDEA))[0].startswith("Your suggestion for")
    await li.send("/cancel")
    await li.send("/report")
    assert await li.send("/suggest") == [
        "You are in the middle of a report. Carry on, or send /cancel to stop it."
    ]


async def test_forged_confirm_stores_nothing(li: ChatDriver, app_db: Database) -> None:
    await to_confirming(li)
    assert await li.tap("s:ok:0000000000000000") == ["This button is no longer valid."]
    assert await suggestions(app_db) == []


async def test_restart_and_expiry(
    li: ChatDriver, app: RedPropApplication, settings: Settings, telegram: FakeTelegram, app_db: Database
) -> None:
    await to_writing(li)
    async with second_app(settings, telegram) as restarted:
        again = ChatDriver(restarted, telegram, li.user)
        assert (await again.send(IDEA))[0].startswith("Your suggestion for")
        restarted.user_data[RESIDENT_TG]["suggest"]["touched"] = (utcnow() - timedelta(hours=3)).isoformat()
        said = await again.tap(again.buttons()["Confirm"])
        assert (
            said[-1]
            == "Your unfinished suggestion was discarded after 2 hours. Send /suggest to start again."
        )
    assert await suggestions(app_db) == []
