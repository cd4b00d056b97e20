"""/profile and the community picker: choosing, paging, building/unit and the shared phone."""

from __future__ import annotations

import json

from sqlmodel import select

from bot.sandbox.telegram import FakeTelegram
from bot.sandbox.updates import TelegramUser
from handlers.outgoing.cards import case_card
from locales.i18n import use_locale
from models.base import utcnow
from models.cases.tables import Case
from models.directory.tables import Community, Person
from storage.database import Database
from tests.factories.cases import report
from tests.factories.directory import add_resident
from tests.factories.ids import stranger
from tests.factories.world import make_world

INVALID = "This button is no longer valid."


async def _person(db: Database, telegram_id: int) -> Person:
    async with db.read() as session:
        return (await session.exec(select(Person).where(Person.telegram_id == telegram_id))).one()


async def test_picker_pages_and_asks_for_the_building(chat, app_db: Database, telegram: FakeTelegram) -> None:  # type: ignore[no-untyped-def]
    world = await make_world(app_db, many_communities=True)
    li = chat(TelegramUser(stranger(1), "Li", "en"))
    await li.send("/start")
    await li.tap(li.buttons()["灵山卫街道"])
    assert li.texts()[-1] == "Which community in 灵山卫街道 do you live in?\nPage 1 of 2"
    first = li.buttons()
    assert len([name for name in first if name not in ("▶", "◀ Other streets")]) == 8
    assert "▶" in first and "◀" not in first and "◀ Other streets" in first
    await li.tap(first["▶"])
    assert li.texts()[-1].endswith("Page 2 of 2")
    second = li.buttons()
    assert {"花园小区 06", "花园小区 07", "花园小区 08", "◀", "◀ Other streets"} == set(second)
    said = await li.tap(second["花园小区 08"])
    assert "You are now registered in 花园小区 08." in said
    assert li.texts()[-1].startswith("Which building and unit do you live in?")
    assert set(li.buttons()) == {"Skip"}
    replies = await li.send("3-2-501")
    assert replies[0] == "Saved."
    assert "Community: 花园小区 08 (灵山卫街道)" in replies[1] and "Building/unit: 3-2-501" in replies[1]
    person = await _person(app_db, stranger(1))
    async with app_db.read() as session:
        community = await session.get(Community, person.community_id)
    assert community is not None and community.street_id == world.street and community.code == "x08"
    assert person.building == "3-2-501"


async def test_forged_and_stale_picker_buttons_change_nothing(
    chat, app_db: Database, telegram: FakeTelegram
) -> None:  # type: ignore[no-untyped-def]
    world = await make_world(app_db, many_communities=True)
    li = chat(TelegramUser(stranger(1), "Li", "en"))
    await li.send("/start")
    # No street chosen yet: a community button cannot be from a list the user was shown.
    assert await li.tap(f"p:cm:{world.community}") == [INVALID]
    await li.tap(f"p:st:{world.street}")
    assert await li.tap(f"p:cm:{world.other_street_community}") == [INVALID]
    assert await li.tap("p:cm:99999") == [INVALID]
    assert await li.tap("p:cm:abc") == [INVALID]
    assert await li.tap(f"p:pg:{world.street}:2") == [INVALID]
    assert await li.tap("p:pg:99999:0") == [INVALID]
    assert await li.tap("p:st:99999") == [INVALID]
    assert await li.tap("p:sp:5") == [INVALID]
    assert await li.tap("p:bskip") == [INVALID]  # no building question is open
    assert (await _person(app_db, stranger(1))).community_id is None


async def test_skipping_the_building(chat, app_db: Database, telegram: FakeTelegram) -> None:  # type: ignore[no-untyped-def]
    world = await make_world(app_db, many_communities=True)
    li = chat(TelegramUser(stranger(1), "Li", "en"))
    await li.send("/start")
    await li.tap(f"p:st:{world.street}")
    await li.tap(f"p:cm:{world.community}")
    said = await li.tap("p:bskip")
    assert "Building/unit skipped. You can add it later in /profile." in said
    assert "Building/unit: not given" in li.texts()[-1]
    assert await li.tap("p:bskip") == [INVALID]  # a second tap finds the question closed
    person = await _person(app_db, stranger(1))
    assert person.community_id == world.community and person.building is None
    # Text now is not taken as a building.
    await li.send("5-1-101")
    assert (await _person(app_db, stranger(1))).building is None


async def test_building_input_hints_limits_and_cancel(chat, app_db: Database) -> None:  # type: ignore[no-untyped-def]
    world = await make_world(app_db, many_communities=True)
    resident = await add_resident(app_db, "Li", community=world.community)
    li = chat(TelegramUser(resident.telegram_id, "Li", "en"))
    assert (await li.send("/profile"))[0].startswith("Your profile")
    await li.tap("p:bld")
    sticker = {
        "file_id": "s1",
        "file_unique_id": "u1",
        "width": 1,
        "height": 1,
        "is_animated": False,
        "is_video": False,
        "type": "regular",
    }
    assert await li.send(sticker=sticker) == ["Please type your building and unit as text, or tap Skip."]
    assert await li.send("x" * 101) == ["Please keep the building and unit to 100 characters or fewer."]
    assert (await _person(app_db, resident.telegram_id)).building is None
    assert await li.send("/cancel") == ["Cancelled."]
    await li.send("7-7-707")
    assert (await _person(app_db, resident.telegram_id)).building is None
    await li.tap("p:bld")
    replies = await li.send("/start")
    assert replies[0].startswith("Hello, Li!")
    await li.send("8-8-808")
    assert (await _person(app_db, resident.telegram_id)).building is None
    await li.tap("p:bld")
    await li.send("9-1-901")
    assert (await _person(app_db, resident.telegram_id)).building == "9-1-901"


async def test_profile_shows_and_changes_the_community(
    chat, app_db: Database, telegram: FakeTelegram
) -> None:  # type: ignore[no-untyped-def]
    world = await make_world(app_db, many_communities=True)
    resident = await add_resident(app_db, "Li", community=world.community)
    li = chat(TelegramUser(resident.telegram_id, "Li", "en"))
    shown = (await li.send("/profile"))[0]
    assert shown.splitlines() == [
        "Your profile",
        "Community: 东方华庭 (灵山卫街道)",
        "Building/unit: not given",
        "Phone: not shared",
    ]
    assert set(li.buttons()) == {"Change community", "Change building", "Share phone"}
    await li.tap(li.buttons()["Change community"])
    assert li.texts()[-1] == "Which street do you live in?"
    await li.tap(li.buttons()["珠山街道"])
    await li.tap(li.buttons()["珠山小区"])
    await li.tap("p:bskip")
    assert (await _person(app_db, resident.telegram_id)).community_id == world.other_street_community


async def test_sharing_the_phone_only_with_ones_own_contact(
    chat, app_db: Database, telegram: FakeTelegram
) -> None:  # type: ignore[no-untyped-def]
    world = await make_world(app_db, many_communities=True)
    resident = await add_resident(app_db, "Li", community=world.community)
    li = chat(TelegramUser(resident.telegram_id, "Li", "en"))
    await li.send("/profile")
    await li.tap(li.buttons()["Share phone"])
    asked = li.texts()[-1]
    assert "Only the instructor and staff handling your cases will see your number." in asked
    markup = telegram.calls_of("sendMessage", resident.telegram_id)[-1].params["reply_markup"]
    markup = json.loads(markup) if isinstance(markup, str) else markup
    assert markup["keyboard"][0][0]["request_contact"] is True and markup["one_time_keyboard"] is True
    someone_else = {"phone_number": "+8613900000009", "first_name": "Wang", "user_id": 999}
    replies = await li.send(contact=someone_else)
    assert replies == ["Please share your own contact with the button, not someone else's."]
    card_without_user = {"phone_number": "+8613900000008", "first_name": "Zhao"}
    assert await li.send(contact=card_without_user) == replies
    person = await _person(app_db, resident.telegram_id)
    assert person.phone is None and not person.phone_shared
    own = {"phone_number": "+8613800000006", "first_name": "Li", "user_id": resident.telegram_id}
    replies = await li.send(contact=own)
    assert replies[0].startswith("Thank you, your phone number is saved.")
    assert "Phone: +8613800000006" in replies[1]
    person = await _person(app_db, resident.telegram_id)
    assert person.phone == "+8613800000006" and person.phone_shared
    await li.tap(li.buttons()["Remove phone"])
    person = await _person(app_db, resident.telegram_id)
    assert person.phone is None and not person.phone_shared
    assert "Phone: not shared" in li.texts()[-1]


async def test_not_now_puts_the_contact_button_away(chat, app_db: Database) -> None:  # type: ignore[no-untyped-def]
    world = await make_world(app_db, many_communities=True)
    resident = await add_resident(app_db, "Li", community=world.community)
    li = chat(TelegramUser(resident.telegram_id, "Li", "en"))
    await li.send("/profile")
    await li.tap("p:ph")
    assert await li.send("Not now") == ["Your phone number was not changed."]
    assert (await _person(app_db, resident.telegram_id)).phone is None
    await li.tap("p:ph")
    assert (await li.send("/help"))[0].startswith("Commands:")
    # The conversation ended: a later text is nobody's phone answer.
    assert "Your phone number was not changed." not in await li.send("Not now")


async def test_phone_is_on_the_card_only_for_those_handling_the_case(chat, app_db: Database) -> None:  # type: ignore[no-untyped-def]
    world = await make_world(app_db, many_communities=True)
    resident = await add_resident(app_db, "Li", community=world.community)
    neighbour = await add_resident(app_db, "Ma", community=world.community)
    li = chat(TelegramUser(resident.telegram_id, "Li", "en"))
    await li.send("/profile")
    await li.tap("p:ph")
    await li.send(
        contact={"phone_number": "+8613800000008", "first_name": "Li", "user_id": resident.telegram_id}
    )
    case = await report(app_db, resident.id)

    async def card_for(person_id: int) -> str:
        async with app_db.read() as session:
            stored = await session.get(Case, case.id)
            viewer = await session.get(Person, person_id)
            assert stored is not None and viewer is not None
            with use_locale("en"):
                text, _ = await case_card(session=session, case=stored, viewer=viewer, now=utcnow())
        return text

    assert "Phone: +8613800000008" in await card_for(world.instructor.id)  # the owner
    assert "+8613800000008" not in await card_for(neighbour.id)
    assert "+8613800000008" not in await card_for(world.staff.id)  # not forwarded
