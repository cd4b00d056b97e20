"""Joining a community: the QR poster's deep link, and /start's picker for residents without one."""

from __future__ import annotations

from sqlmodel import select

from bot.sandbox.telegram import FakeTelegram
from bot.sandbox.updates import TelegramUser
from models.directory.tables import Person
from storage.database import Database
from tests.factories.directory import add_resident
from tests.factories.ids import INSTRUCTOR_TG, stranger
from tests.factories.world import make_world


async def _person(db: Database, telegram_id: int) -> Person | None:
    async with db.read() as session:
        return (await session.exec(select(Person).where(Person.telegram_id == telegram_id))).first()


async def test_deep_link_registers_and_joins_in_one_tap(chat, app_db: Database) -> None:  # type: ignore[no-untyped-def]
    world = await make_world(app_db, many_communities=True)
    replies = await chat(TelegramUser(stranger(1), "Li", "en")).send("/start c-dfht")
    assert len(replies) == 1  # no picker: the community is known
    assert replies[0].startswith("You are now registered in 东方华庭.\n\nHello, Li! Welcome to Red Property.")
    assert "/profile" in replies[0] and "/mycases" in replies[0]
    person = await _person(app_db, stranger(1))
    assert person is not None and person.community_id == world.community and person.name == "Li"


async def test_deep_link_moves_a_resident_to_another_community(chat, app_db: Database) -> None:  # type: ignore[no-untyped-def]
    world = await make_world(app_db, many_communities=True)
    li = await add_resident(app_db, "Li", community=world.community)
    replies = await chat(TelegramUser(li.telegram_id, "Li", "en")).send("/start c-ZS1")
    assert replies[0].startswith("You are now registered in 珠山小区.")
    person = await _person(app_db, li.telegram_id)
    assert person is not None and person.community_id == world.other_street_community


async def test_unknown_code_says_so_then_offers_the_picker(
    chat, app_db: Database, telegram: FakeTelegram
) -> None:  # type: ignore[no-untyped-def]
    await make_world(app_db, many_communities=True)
    li = chat(TelegramUser(stranger(1), "Li", "en"))
    replies = await li.send("/start c-nosuch")
    assert replies[0] == "This community code is not known. Please choose your community from the list."
    assert replies[1].startswith("Hello, Li! Welcome to Red Property.")
    assert replies[2] == "Which street do you live in?"
    assert set(li.buttons()) == {"灵山卫街道", "珠山街道"}
    person = await _person(app_db, stranger(1))
    assert person is not None and person.community_id is None  # registered, not placed


async def test_plain_start_offers_the_picker_only_to_residents_without_a_community(
    chat, app_db: Database
) -> None:  # type: ignore[no-untyped-def]
    world = await make_world(app_db, many_communities=True)
    newcomer = await chat(TelegramUser(stranger(1), "Ma", "en")).send("/start")
    assert len(newcomer) == 2 and newcomer[1] == "Which street do you live in?"
    li = await add_resident(app_db, "Li", community=world.community)
    placed = await chat(TelegramUser(li.telegram_id, "Li", "en")).send("/start")
    assert len(placed) == 1
    instructor = await chat(TelegramUser(INSTRUCTOR_TG, "Wang", "en")).send("/start")
    assert len(instructor) == 1 and "party-building instructor" in instructor[0]
