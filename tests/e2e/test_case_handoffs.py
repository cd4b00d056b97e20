"""Cases that leave the instructor's hands, end to end: forwarded to the enterprise, sent back
to the street office as not our responsibility, and closed as a duplicate of another case."""

from __future__ import annotations

from bot.sandbox.updates import TelegramUser
from tests.e2e.case_loop import cases_reported_by, import_street, join, report, stop_cleanly
from tests.e2e.conftest import BotProcess, BotRunner
from tests.factories.ids import ADMIN_TG, INSTRUCTOR_TG, STAFF_TG, stranger
from tests.fakes.chat import Chatter, buttons_of
from tests.fakes.server import FakeBotApiServer


def open_street(bot: BotRunner, server: FakeBotApiServer, database_url: str, *staff: Chatter) -> BotProcess:
    """Import the street, start the bot, and have the handlers open it once (in English)."""
    import_street(database_url)
    process = bot.start()
    for person in staff:
        mark = person.send("/start")
        person.wait_text("You are registered as", since=mark)
    return process


def english(fake_api: FakeBotApiServer, telegram_id: int, name: str) -> Chatter:
    return Chatter(fake_api, TelegramUser(telegram_id, name, "en"))


def join_and_report(
    fake_api: FakeBotApiServer, resident: Chatter, *, category: str, description: str
) -> tuple[int, str]:
    """The resident joins 东方华庭 and reports; the mark taken just before the report, and the case number."""
    join(resident, "dfht", "东方华庭")
    mark = fake_api.mark()
    return mark, report(resident, category=category, description=description)


def test_forwarded_to_the_enterprise_then_work_done_then_resolved(
    bot: BotRunner, fake_api: FakeBotApiServer, database_url: str
) -> None:
    instructor = english(fake_api, INSTRUCTOR_TG, "Wang")
    staff = english(fake_api, STAFF_TG, "Zhou")
    resident = english(fake_api, stranger(1), "Bob")
    process = open_street(bot, fake_api, database_url, instructor, staff)
    description = "Building 5 has no shed for charging electric bikes; people charge them in the stairwell."
    mark, number = join_and_report(fake_api, resident, category="ev_charging", description=description)

    card = instructor.wait_message("Forward to enterprise", contains=number, since=mark)
    mark = instructor.tap(card, "Forward to enterprise")
    card = instructor.wait_message("Resolve", since=mark)
    assert "Forwarded to: 海悦物业" in card["text"] and "Status: in progress" in card["text"]
    resident.wait_text(
        f"Your case {number} is being worked on by the property enterprise 海悦物业.", since=mark
    )

    staff_card = staff.wait_message("Work done", contains=number, since=mark)
    assert description in staff_card["text"]
    assert list(buttons_of(staff_card)) == ["Add progress note", "Work done"]

    mark = staff.tap(staff_card, "Work done")
    staff_card = staff.wait_message("Add progress note", contains="waiting for the resolution", since=mark)
    assert "Work done" not in buttons_of(staff_card)
    asked = instructor.wait_message("Resolve", contains="Please confirm the resolution", since=mark)
    assert asked["text"] == (
        f"The enterprise reports the work on case {number} is done. Please confirm the resolution."
    )

    mark = instructor.tap(asked, "Resolve")
    instructor.wait_text(f"Case {number}: send the resolution note", since=mark)
    mark = instructor.send("A charging shed with 20 sockets was built next to building 5.")
    instructor.wait_text(f"Case {number} is resolved; the resident is told.", since=mark)
    resolved = resident.wait_text(f"Your case {number} has been resolved:", since=mark)
    assert resolved.endswith(": A charging shed with 20 sockets was built next to building 5.")

    [case] = cases_reported_by(database_url, resident.id)
    assert case.status == "resolved" and case.owner_telegram_id == INSTRUCTOR_TG
    assert case.events[-3:] == ["forwarded", "work_done", "resolved"]
    stop_cleanly(bot, process)


def test_not_our_responsibility_goes_to_the_street_office_with_the_reason(
    bot: BotRunner, fake_api: FakeBotApiServer, database_url: str
) -> None:
    instructor = english(fake_api, INSTRUCTOR_TG, "Wang")
    office = english(fake_api, ADMIN_TG, "Liu")
    resident = english(fake_api, stranger(1), "Carol")
    process = open_street(bot, fake_api, database_url, instructor, office)
    description = "Cars from the mall block the fire lane by building 2 every weekend."
    mark, number = join_and_report(fake_api, resident, category="parking", description=description)

    card = instructor.wait_message("Not our responsibility", contains=number, since=mark)
    mark = instructor.tap(card, "Not our responsibility")
    instructor.wait_text(f"Case {number}: why is it not our responsibility?", since=mark)
    reason = "That lane belongs to the shopping mall, not to the community."
    mark = instructor.send(reason)
    instructor.wait_text(f"Case {number} went back to the street property office.", since=mark)

    told = resident.wait_text("not the responsibility", since=mark)
    assert told == (
        f"Your case {number} is not the responsibility of 海悦物业: {reason}\n"
        "The street property office will follow up."
    )
    office_card = office.wait_message("Accept", contains=number, since=mark)
    assert description in office_card["text"]
    assert "Status: not our responsibility" in office_card["text"]

    [case] = cases_reported_by(database_url, resident.id)
    assert (case.status, case.owner_level, case.owner_telegram_id) == ("rejected", "office", ADMIN_TG)
    assert case.texts == [reason]
    stop_cleanly(bot, process)


def test_a_duplicate_names_the_case_it_duplicates(
    bot: BotRunner, fake_api: FakeBotApiServer, database_url: str
) -> None:
    instructor = english(fake_api, INSTRUCTOR_TG, "Wang")
    alice = english(fake_api, stranger(1), "Alice")
    dave = english(fake_api, stranger(2), "Dave")
    process = open_street(bot, fake_api, database_url, instructor)
    join(alice, "dfht", "东方华庭")
    join(dave, "dfht", "东方华庭")
    first = report(alice, category="elevator", description="The lift in building 4 stops between floors.")
    mark = fake_api.mark()
    second = report(dave, category="elevator", description="Building 4 lift is stuck again.")
    assert first != second

    card = instructor.wait_message("Duplicate of…", contains=second, since=mark)
    mark = instructor.tap(card, "Duplicate of…")
    instructor.wait_text(f"Case {second}: send the number of the open case it duplicates", since=mark)
    mark = instructor.send("LSW-2001-999999")
    refusal = instructor.wait_text("LSW-2001-999999", since=mark)
    assert refusal == (
        "Case LSW-2001-999999 is not an open case of the same community.\n"
        "Send another case number, or /cancel."
    )
    mark = instructor.send(first.lower())
    instructor.wait_text(
        f"Case {second} is marked as a duplicate of {first}; the resident is told.", since=mark
    )
    dave.wait_text(
        f"Your case {second} is the same problem as case {first}, which is already being handled.", since=mark
    )

    [duplicate] = cases_reported_by(database_url, dave.id)
    assert (duplicate.status, duplicate.duplicate_of) == ("duplicate", first)
    [original] = cases_reported_by(database_url, alice.id)
    assert original.status == "assigned"
    assert not [text for text in alice.texts(since=mark) if first in text]  # Alice's case is untouched
    stop_cleanly(bot, process)
