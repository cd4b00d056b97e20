"""/report as a resident sees it: each step, bad input, leaving, limits, restarts and expiry."""

from __future__ import annotations

import asyncio
import re
from datetime import timedelta
from typing import Any

import pytest
from sqlmodel import col, select, update
from telegram import Update

from bot.sandbox.telegram import FakeTelegram
from bot.sandbox.updates import TelegramUser, callback_update
from config.settings import Settings, load_settings
from handlers.context import Context, RedPropApplication
from handlers.draft_expiry import expire_drafts
from models.base import utcnow
from models.cases.tables import Case, CasePhoto
from models.directory.tables import Person
from models.outbox.kinds import OutboxKind
from models.outbox.queue import OutboxMessage
from storage.database import Database
from tests.factories.cases import report
from tests.factories.ids import INSTRUCTOR_TG, NEIGHBOUR_TG, RESIDENT_TG, stranger
from tests.factories.world import World, make_world
from tests.fakes.chat import ChatDriver
from tests.fakes.outbox import deliver_outbox
from tests.handlers.conftest import TOKEN
from tests.handlers.resident_chat import (
    DOCUMENT,
    STICKER,
    VIDEO,
    VOICE,
    photo,
    second_app,
    store_user_data,
    stored_state,
)

NUMBER = re.compile(r"case number is ([A-Z]+-\d{4}-\d{6})\.")
DESCRIPTION = "The lift in building 3 stops between floors 5 and 6."


@pytest.fixture
async def world(app_db: Database) -> World:
    return await make_world(app_db)


@pytest.fixture
def li(chat, world: World) -> ChatDriver:  # type: ignore[no-untyped-def]
    driver: ChatDriver = chat(TelegramUser(RESIDENT_TG, "Li", "en"))
    return driver


async def to_description(li: ChatDriver) -> None:
    await li.send("/report")
    await li.tap("r:cat:elevator")


async def to_photos(li: ChatDriver) -> None:
    await to_description(li)
    await li.send(DESCRIPTION)


async def to_location(li: ChatDriver) -> None:
    await to_photos(li)
    await li.tap("r:photos:skip")


async def to_confirm(li: ChatDriver) -> list[str]:
    await to_location(li)
    return await li.send("Skip")


STEPS = {"category": lambda li: li.send("/report"), "description": to_description}
STEPS |= {"photos": to_photos, "location": to_location, "confirm": to_confirm}


async def cases(db: Database) -> list[Case]:
    async with db.read() as session:
        return list(await session.exec(select(Case).order_by(col(Case.id))))


async def test_a_summary_that_cannot_be_edited_gets_the_receipt_as_a_message(
    li: ChatDriver, app_db: Database
) -> None:
    await to_confirm(li)
    li.telegram.fail("editMessageText", status=400, description="Bad Request: message to edit not found")
    said = await li.tap(li.buttons()["Confirm"])
    [case] = await cases(app_db)
    sent = li.telegram.calls_of("sendMessage", RESIDENT_TG)[-1].params["text"]
    assert sent.startswith(f"Thank you! Your case number is {case.number}.") and said[-1] == sent


@pytest.mark.parametrize(
    "stored",
    [{"reachable": False}, {"language_code": "zh-hans"}],
    ids=["had blocked the bot", "changed Telegram's language"],
)
async def test_report_updates_a_resident_whose_account_changed(
    li: ChatDriver, world: World, app_db: Database, stored: dict[str, Any]
) -> None:
    async with app_db.write() as session:
        await session.exec(update(Person).where(col(Person.id) == world.resident.id).values(**stored))
    assert await li.send("/report") == ["What is the problem about? Choose a category:"]
    async with app_db.read() as session:
        resident = await session.get(Person, world.resident.id)
    assert resident is not None and (resident.reachable, resident.language_code) == (True, "en")


async def test_full_report_gives_a_case_number_and_sends_the_card(li: ChatDriver, app_db: Database) -> None:
    assert await li.send("/report") == ["What is the problem about? Choose a category:"]
    buttons = li.buttons()
    assert len(buttons) == 12 and buttons["Elevator"] == "r:cat:elevator"
    said = await li.tap("r:cat:elevator")
    # The tapped message becomes the category and the next question.
    assert said[-1] == (
        "Category: Elevator\n\n"
        "Describe the problem in a message: what is wrong, where exactly (building, floor), since when."
    )
    said = await li.send(DESCRIPTION)
    assert said == ["Send up to 5 photos of the problem, then tap Done. No photos? Tap Skip."]
    assert await li.send(photo=photo("p1")) == ["Photo 1 received (up to 5). Send more, or tap Done."]
    assert await li.send(photo=photo("p2")) == ["Photo 2 received (up to 5). Send more, or tap Done."]
    said = await li.tap("r:photos:done")
    assert said[-1] == (
        "Where is the problem? Tap “Send my location” below, or attach a location on the map.\n"
        "No location to give? Tap Skip."
    )
    said = await li.send(location={"latitude": 36.0112, "longitude": 120.1931})
    assert said[0] == "Location received."
    summary = said[1]
    assert summary.startswith("Please check your report:")
    for line in ("Community: 东方华庭", "Category: Elevator", "Photos: 2", "Location: 36.01120, 120.19310"):
        assert line in summary
    assert summary.endswith(DESCRIPTION)
    buttons = li.buttons()
    assert set(buttons) == {"Confirm", "Edit", "Cancel"}
    summary_id = li.last_message_with_buttons()["message_id"]
    said = await li.tap(buttons["Confirm"])
    receipt = said[-1]
    match = NUMBER.search(receipt)
    assert match is not None and re.fullmatch(r"^[A-Z]+-\d{4}-\d{6}$", match.group(1))
    assert "It went to 王指导员 (party-building instructor)." in receipt
    assert "Expect a first answer by " in receipt
    # The summary itself became the receipt: what was reported under the number, no buttons left.
    [edit] = li.telegram.calls_of("editMessageText", RESIDENT_TG)[-1:]
    assert edit.params["message_id"] == summary_id and edit.params["text"] == receipt
    assert "reply_markup" not in edit.params
    assert receipt.endswith("Photos: 2\nLocation: 36.01120, 120.19310\n\n" + DESCRIPTION)
    assert not li.telegram.calls_of("sendMessage", RESIDENT_TG)[-1].params["text"].startswith("Thank you")

    async with app_db.read() as session:
        case = (await session.exec(select(Case))).one()
        photos = list(await session.exec(select(CasePhoto).where(CasePhoto.case_id == case.id)))
        cards = list(await session.exec(select(OutboxMessage).where(OutboxMessage.case_id == case.id)))
    assert case.number == match.group(1) and case.number.startswith("LSW-")
    assert (case.category, case.description) == ("elevator", DESCRIPTION)
    assert (case.latitude, case.longitude) == (36.0112, 120.1931)
    assert sorted(p.file_id for p in photos) == ["p1-large", "p2-large"]
    assert [(m.chat_id, m.kind) for m in cards] == [(INSTRUCTOR_TG, OutboxKind.CASE_CARD)]
    # The conversation is over and the draft gone, in the database too.
    assert await stored_state(app_db, "report", RESIDENT_TG) == (None, {})


async def test_resident_without_community_is_sent_to_profile(chat, world: World, app_db: Database) -> None:  # type: ignore[no-untyped-def]
    newcomer = chat(TelegramUser(stranger(1), "New", "en"))
    assert await newcomer.send("/report") == ["Please choose your community first (/profile)."]
    assert (await stored_state(app_db, "report", stranger(1)))[0] is None
    assert await cases(app_db) == []


async def test_category_needs_a_real_button(li: ChatDriver, app_db: Database) -> None:
    await li.send("/report")
    assert await li.send("the lift") == ["Please choose a category with the buttons."]
    assert await li.tap("r:cat:nonsense") == ["This button is no longer valid."]
    assert (await stored_state(app_db, "report", RESIDENT_TG))[0] == 0  # still choosing
    assert (await li.tap("r:cat:parking"))[-1].startswith("Category: Parking\n\n")


@pytest.mark.parametrize(
    "media", [{"sticker": STICKER}, {"voice": VOICE}, {"video": VIDEO}, {"photo": photo("x")}]
)
async def test_description_wants_words(li: ChatDriver, media: dict[str, Any]) -> None:
    await to_description(li)
    assert await li.send(**media) == ["Please describe the problem in words."]
    assert (await li.send(DESCRIPTION))[0].startswith("Send up to 5 photos")


async def test_description_over_the_limit_is_refused_with_the_limit(li: ChatDriver, app_db: Database) -> None:
    await to_description(li)
    assert await li.send("x" * 2001) == ["That is 2001 characters; please keep it to 2000 at most."]
    assert (await stored_state(app_db, "report", RESIDENT_TG))[1]["report"]["description"] is None
    assert (await li.send("x" * 2000))[0].startswith("Send up to 5 photos")


async def test_sixth_photo_is_refused_and_wrong_media_hinted(li: ChatDriver) -> None:
    await to_photos(li)
    for number in range(1, 6):
        said = await li.send(photo=photo(f"p{number}"))
    assert said == ["Photo 5 received (up to 5). Tap Done to continue."]
    assert await li.send(photo=photo("p6")) == ["You can attach at most 5 photos. Tap Done to continue."]
    assert await li.send(sticker=STICKER) == ["Please send photos of the problem, or tap Done or Skip."]
    assert await li.send(document=DOCUMENT) == ["Please send pictures as photos, not as files."]
    await li.tap("r:photos:done")
    summary = (await li.send("Skip"))[-1]
    assert "Photos: 5" in summary and "Location: not given" in summary


async def test_location_step_hints_and_removes_its_keyboard(li: ChatDriver, telegram: FakeTelegram) -> None:
    await to_location(li)
    # One message whose keyboard carries both choices.
    asked = telegram.calls_of("sendMessage", RESIDENT_TG)[-1]
    assert asked.params["reply_markup"]["keyboard"] == [
        [{"text": "📍 Send my location", "request_location": True}],
        [{"text": "Skip"}],
    ]
    assert await li.send("near gate 2") == ["Please share a location with the button below, or tap Skip."]
    said = await li.send(" Skip ")
    assert said[0] == "OK, no location."
    assert said[1].startswith("Please check your report:") and "Location: not given" in said[1]
    removal = [
        c for c in telegram.calls_of("sendMessage", RESIDENT_TG) if c.params.get("text") == "OK, no location."
    ]
    assert removal[0].params["reply_markup"] == {"remove_keyboard": True}


async def test_the_skip_key_works_in_either_language_and_the_old_skip_button_still_does(
    chat, world: World, app_db: Database
) -> None:  # type: ignore[no-untyped-def]
    zhang = chat(TelegramUser(RESIDENT_TG, "张", "zh-hans"))
    await to_location(zhang)
    assert (await zhang.send("跳过"))[0] == "好的，不提供位置。"
    await zhang.send("/cancel")
    await to_location(zhang)
    assert (await zhang.send("Skip"))[0] == "好的，不提供位置。"  # the English word works too
    await zhang.send("/cancel")
    await to_location(zhang)
    # A Skip button on a location question sent before the Skip key existed.
    assert "好的，不提供位置。" in await zhang.tap("r:loc:skip")
    assert (await stored_state(app_db, "report", RESIDENT_TG))[0] == 4  # at the summary


async def test_confirm_twice_makes_one_case_and_names_it(li: ChatDriver, app_db: Database) -> None:
    await to_confirm(li)
    confirm = li.buttons()["Confirm"]
    first = await li.tap(confirm)
    number = NUMBER.search(first[-1])
    assert number is not None
    again = await li.tap(confirm)
    assert again == [f"This report was already sent as case {number.group(1)}."]
    assert [case.number for case in await cases(app_db)] == [number.group(1)]


async def test_two_confirms_in_flight_make_one_case(
    li: ChatDriver, app: RedPropApplication, app_db: Database
) -> None:
    await to_confirm(li)
    message = li.last_message_with_buttons()
    confirm = li.buttons()["Confirm"]
    taps = [
        {"update_id": li.telegram.next_update_id(), **callback_update(li.user, confirm, message)}
        for _ in range(2)
    ]
    before = len(li.telegram.texts_to(RESIDENT_TG))
    await asyncio.gather(*(app.process_update(Update.de_json(tap, app.bot)) for tap in taps))
    (case,) = await cases(app_db)
    # Both presses are answered with the one case (on PostgreSQL the second one retries).
    said = li.telegram.texts_to(RESIDENT_TG)[before:]
    assert [NUMBER.search(text).group(1) for text in said] == [case.number, case.number]  # type: ignore[union-attr]


async def test_forged_confirm_creates_nothing(li: ChatDriver, app_db: Database) -> None:
    await to_confirm(li)
    assert await li.tap("r:ok:0123456789abcdef") == ["This button is no longer valid."]
    assert await li.tap("r:ok:") == ["This button is no longer valid."]
    assert await cases(app_db) == []
    assert (await stored_state(app_db, "report", RESIDENT_TG))[0] == 4  # still at the summary


@pytest.mark.parametrize("step", list(STEPS))
@pytest.mark.parametrize(
    ("command", "expected"),
    [
        ("/cancel", "Report cancelled. Nothing was sent."),
        ("/start", "Your unfinished report was discarded."),
        ("/help", "Your unfinished report was discarded."),
    ],
)
async def test_cancel_start_and_help_leave_every_step(
    li: ChatDriver, app_db: Database, step: str, command: str, expected: str
) -> None:
    await STEPS[step](li)
    said = await li.send(command)
    assert said[0] == expected
    if command == "/start":
        assert said[1].startswith("Hello, Li Resident!")
    if command == "/help":
        assert said[1].startswith("Commands:") and "/report" in said[1]
    assert await stored_state(app_db, "report", RESIDENT_TG) == (None, {})
    assert await li.send("hello?") == []  # no step is waiting any more
    assert await cases(app_db) == []


async def test_other_commands_wait_for_the_report(li: ChatDriver) -> None:
    await to_description(li)
    assert await li.send("/suggest") == [
        "You are in the middle of a report. Carry on, or send /cancel to stop it."
    ]
    assert (await li.send(DESCRIPTION))[0].startswith("Send up to 5 photos")


async def test_report_again_starts_over(li: ChatDriver, app_db: Database) -> None:
    await to_photos(li)
    said = await li.send("/report")
    assert said == [
        "Your unfinished report was discarded; here is a new one.\n"
        "What is the problem about? Choose a category:"
    ]
    assert (await stored_state(app_db, "report", RESIDENT_TG))[1]["report"]["description"] is None


async def test_edit_changes_one_field_and_returns_to_the_summary(li: ChatDriver) -> None:
    await to_photos(li)
    await li.send(photo=photo("p1"))
    await li.tap("r:photos:done")
    await li.send("Skip")
    said = await li.tap("r:edit")
    assert set(li.buttons()) == {"Confirm", "Edit", "Cancel"}  # the summary as sent; edited in place below
    assert said == [""]  # the keyboard changes, the text stays
    said = await li.tap("r:edit:description")
    assert said[-1].startswith("The description now reads:") and DESCRIPTION in said[-1]
    summary = (await li.send("Water on the floor of the lift."))[-1]
    assert summary.endswith("Water on the floor of the lift.") and "Photos: 1" in summary
    await li.tap("r:edit")
    await li.tap("r:edit:category")
    summary = (await li.tap("r:cat:sanitation"))[-1]
    assert "Category: Sanitation and garbage" in summary and "Photos: 1" in summary


async def test_rate_limit_at_entry(li: ChatDriver, world: World, app_db: Database) -> None:
    for _ in range(4):
        await report(app_db, world.resident.id)
    await report(app_db, world.resident.id, now=utcnow() - timedelta(minutes=61))
    assert (await li.send("/report"))[0].startswith("What is the problem about?")  # 4 in the last hour
    await li.send("/cancel")
    await report(app_db, world.resident.id)
    assert await li.send("/report") == [
        "You have sent 5 reports in the last hour, the most we accept. Please try again a little later."
    ]
    assert (await stored_state(app_db, "report", RESIDENT_TG))[0] is None


async def test_rate_limit_at_confirm_keeps_the_draft(li: ChatDriver, world: World, app_db: Database) -> None:
    for _ in range(4):
        await report(app_db, world.resident.id)
    await to_confirm(li)
    await report(app_db, world.resident.id)  # sent meanwhile, e.g. from another device
    confirm = li.buttons()["Confirm"]
    said = await li.tap(confirm)
    assert said[-1].startswith("You have sent 5 reports in the last hour")
    assert len(await cases(app_db)) == 5
    async with app_db.write() as session:
        await session.exec(update(Case).values(created_at=utcnow() - timedelta(hours=2)))
    said = await li.tap(confirm)
    assert NUMBER.search(said[-1]) is not None
    assert len(await cases(app_db)) == 6


async def test_restart_in_the_middle_carries_on(
    li: ChatDriver, settings: Settings, telegram: FakeTelegram, app_db: Database
) -> None:
    await to_photos(li)
    await li.send(photo=photo("p1"))
    # The first process is never shut down (as after a SIGKILL): only what each update wrote counts.
    state, data = await stored_state(app_db, "report", RESIDENT_TG)
    assert state == 2 and data["report"]["photos"] == ["p1-large"]
    async with second_app(settings, telegram) as restarted:
        again = ChatDriver(restarted, telegram, li.user)
        assert await again.send(photo=photo("p2")) == ["Photo 2 received (up to 5). Send more, or tap Done."]
        await again.tap("r:photos:done")
        await again.send("Skip")
        said = await again.tap(again.buttons()["Confirm"])
        assert NUMBER.search(said[-1]) is not None
    async with app_db.read() as session:
        case = (await session.exec(select(Case))).one()
        photos = list(await session.exec(select(CasePhoto.file_id).where(CasePhoto.case_id == case.id)))
    assert case.description == DESCRIPTION and sorted(photos) == ["p1-large", "p2-large"]


async def test_expired_draft_is_discarded_on_the_next_message(
    li: ChatDriver, app: RedPropApplication, app_db: Database
) -> None:
    await to_description(li)
    app.user_data[RESIDENT_TG]["report"]["touched"] = (utcnow() - timedelta(hours=2, seconds=1)).isoformat()
    said = await li.send(DESCRIPTION)
    assert said == ["Your unfinished report was discarded after 2 hours. Send /report to start again."]
    assert await stored_state(app_db, "report", RESIDENT_TG) == (None, {})
    assert await li.send(DESCRIPTION) == []
    assert await cases(app_db) == []


async def test_draft_that_expired_while_the_bot_was_down_is_discarded(
    li: ChatDriver, database_url: str, telegram: FakeTelegram, app_db: Database
) -> None:
    quick = load_settings(
        overrides={"telegram.token": TOKEN, "database.url": database_url, "cases.draft_expiry": "1s"}
    )
    await to_confirm(li)
    _, data = await stored_state(app_db, "report", RESIDENT_TG)
    data["report"]["touched"] = (utcnow() - timedelta(seconds=2)).isoformat()
    await store_user_data(app_db, RESIDENT_TG, data)
    async with second_app(quick, telegram) as restarted:
        again = ChatDriver(restarted, telegram, li.user)
        said = await again.tap(again.buttons()["Confirm"])
        assert said[-1] == "Your unfinished report was discarded after 1 second. Send /report to start again."
    assert await cases(app_db) == []
    assert await stored_state(app_db, "report", RESIDENT_TG) == (None, {})


EXPIRED_AFTER_2_HOURS = "Your unfinished report was discarded after 2 hours. Send /report to start again."


async def test_expiry_job_discards_an_abandoned_draft_and_tells_the_resident_once(
    li: ChatDriver, app: RedPropApplication, telegram: FakeTelegram, app_db: Database
) -> None:
    await to_location(li)
    long_ago = (utcnow() - timedelta(hours=2, seconds=1)).isoformat()
    app.user_data[RESIDENT_TG]["report"]["touched"] = long_ago
    # A neighbour's suggestion left the same way: one run tells both.
    app.user_data[NEIGHBOUR_TG]["suggest"] = {
        "key": "0123456789abcdef",
        "text": "Benches",
        "touched": long_ago,
    }
    await expire_drafts(Context(app))
    await expire_drafts(Context(app))  # nothing more to discard
    await deliver_outbox(app)
    assert telegram.texts_to(NEIGHBOUR_TG) == [
        "Your unfinished suggestion was discarded after 2 hours. Send /suggest to start again."
    ]
    assert app.user_data[NEIGHBOUR_TG] == {}
    told = telegram.calls_of("sendMessage", RESIDENT_TG)[-1]
    assert told.params["text"] == EXPIRED_AFTER_2_HOURS
    assert told.params["reply_markup"] == {"remove_keyboard": True}
    assert len(telegram.texts_to(RESIDENT_TG)) == len(set(telegram.texts_to(RESIDENT_TG)))
    assert "report" not in app.user_data[RESIDENT_TG]
    assert (await stored_state(app_db, "report", RESIDENT_TG))[1] == {}
    # The conversation had stopped at the location step: answering it now is told the same.
    assert await li.send("Skip") == [told.params["text"]]
    assert await cases(app_db) == []


async def test_expiry_job_leaves_a_draft_touched_within_the_expiry(
    li: ChatDriver, app: RedPropApplication, app_db: Database
) -> None:
    await to_location(li)
    app.user_data[RESIDENT_TG]["report"]["touched"] = (utcnow() - timedelta(hours=1, minutes=59)).isoformat()
    await expire_drafts(Context(app))
    async with app_db.read() as session:
        assert (
            list(
                await session.exec(
                    select(OutboxMessage).where(OutboxMessage.kind == OutboxKind.DRAFT_EXPIRED)
                )
            )
            == []
        )
    assert (await li.send("Skip"))[0] == "OK, no location."
