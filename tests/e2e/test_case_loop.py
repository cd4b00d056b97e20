"""The case loop end to end, against the real ``redprop run``: report → card → work → resident told.

A resident joins through a community's QR link and reports; the case's owner gets the card
(photos first) from the outbox sender, works it with the card's buttons, and the resident
hears about each step. The database is checked after the chat.
"""

from __future__ import annotations

from pathlib import Path

from bot.sandbox.updates import TelegramUser
from tests.e2e.case_loop import cases_reported_by, import_street, join, report, share_community, stop_cleanly
from tests.e2e.conftest import BotRunner
from tests.factories.ids import BARE_COMMITTEE_TG, INSTRUCTOR_TG, stranger
from tests.factories.world import world_directory
from tests.fakes.chat import Chatter, buttons_of, labels_of
from tests.fakes.server import FakeBotApiServer

LEAK = "Water comes through the ceiling of flat 1202 in building 3 whenever it rains."


def test_a_leak_goes_to_the_paired_instructor_and_every_step_reaches_the_resident(
    bot: BotRunner, fake_api: FakeBotApiServer, database_url: str, workdir: Path
) -> None:
    directory = workdir / "directory.toml"
    directory.write_text(world_directory(), encoding="utf-8")
    imported = bot.cli("directory", "import", str(directory))
    assert imported.returncode == 0, imported.stderr
    process = bot.start()
    instructor = Chatter(fake_api, TelegramUser(INSTRUCTOR_TG, "Wang", "en"))
    resident = Chatter(fake_api, TelegramUser(stranger(1), "Alice", "en"))

    # The instructor has opened the bot once, so Telegram told it their language.
    mark = instructor.send("/start")
    assert "party-building instructor of 海悦物业" in instructor.wait_text("registered as", since=mark)

    join(resident, "dfht", "东方华庭")
    assert resident.texts()[0].startswith("You are now registered in 东方华庭.")

    mark = fake_api.mark()
    number = report(
        resident,
        category="leak",
        description=LEAK,
        photos=("leak-photo-1", "leak-photo-2"),
        location=(35.93711, 120.17345),
    )
    receipt = resident.wait_text(f"Your case number is {number}.", since=mark)
    assert "It went to 王指导员 (party-building instructor)." in receipt, receipt

    card = instructor.wait_message("Accept", contains=number, since=mark)
    text = card["text"]
    for line in (
        f"Case {number}",
        "Category: Roof or wall leak / waterproofing",
        "Status: assigned",
        "Community: 东方华庭",
        "Reported by: Alice",
        "Location: 35.93711, 120.17345",
        "Photos: 2",
        LEAK,
    ):
        assert line in text, text
    assert labels_of(card) == [
        "Accept",
        "Forward to enterprise",
        "Add progress note",
        "Not our responsibility",
        "Duplicate of…",
    ]
    assert instructor.media_sent(since=mark) == ["leak-photo-1", "leak-photo-2"]

    # The resident forging an Accept press (on their own receipt) is refused and changes nothing.
    # (The receipt is the summary they confirmed, edited.)
    receipt_message = resident.wait_call(
        ("editMessageText",), lambda call: number in str(call.params.get("text")), since=mark
    ).result
    mark = resident.press(receipt_message, buttons_of(card)["Accept"])
    refusal = resident.wait_call(("answerCallbackQuery",), lambda call: True, since=mark)
    assert refusal.params["text"] == "You cannot do this with this case."
    # (The bot redraws the pressed message as the case's card, without buttons; nothing new is sent.)
    assert not [c for c in fake_api.calls[mark:] if c.method == "sendMessage" and c.chat_id == resident.id]

    [case] = cases_reported_by(database_url, resident.id)
    assert (case.number, case.status, case.owner_telegram_id) == (number, "assigned", INSTRUCTOR_TG)
    assert case.events == ["reported", "routed"]
    assert case.photos == ["leak-photo-1", "leak-photo-2"]
    assert (case.latitude, case.longitude) == (35.93711, 120.17345)
    assert case.description == LEAK

    first_card = card
    mark = instructor.tap(card, "Accept")
    card = instructor.wait_message("Add progress note", since=mark)
    assert "Status: accepted" in card["text"]
    resident.wait_text(f"Your case {number} was accepted by 王指导员.", since=mark)

    mark = instructor.tap(card, "Add progress note")
    instructor.wait_text(f"Case {number}: send the progress note", since=mark)
    mark = instructor.send("The roofer comes on Tuesday morning.")
    instructor.wait_text(f"Your note is added to case {number}; the resident is told.", since=mark)
    card = instructor.wait_message("Resolve", contains="Status: in progress", since=mark)
    note = resident.wait_text("The roofer comes on Tuesday morning.", since=mark)
    assert note == f"Progress on your case {number}:\nThe roofer comes on Tuesday morning."

    mark = instructor.tap(card, "Resolve")
    instructor.wait_text(f"Case {number}: send the resolution note", since=mark)
    mark = instructor.send("The roof over 1202 was resealed.")
    instructor.wait_text(f"Case {number} is resolved; the resident is told.", since=mark)
    resident.wait_text(f"Your case {number} has been resolved: The roof over 1202 was resealed.", since=mark)

    # The first card's Accept, pressed again now: refused, and nobody is told anything.
    mark = instructor.tap(first_card, "Accept")
    again = instructor.wait_call(("answerCallbackQuery",), lambda call: True, since=mark)
    assert again.params["text"] == "This case is resolved now, so this cannot be done any more."
    redrawn = instructor.wait_call(
        ("editMessageText",), lambda call: "Status: resolved" in str(call.params.get("text")), since=mark
    )
    assert buttons_of(redrawn.result) == {}  # nothing more to do with it
    assert not resident.texts(since=mark)

    [case] = cases_reported_by(database_url, resident.id)
    assert case.status == "resolved"
    assert [kind for kind in case.events if kind in ("accepted", "note", "resolved")] == [
        "accepted",
        "note",
        "resolved",
    ]
    assert case.texts == ["The roofer comes on Tuesday morning.", "The roof over 1202 was resealed."]
    # Each step reached the resident once.
    told = [
        str(call.params["text"])
        for call in fake_api.telegram.calls
        if call.method in ("sendMessage", "editMessageText")
        and call.chat_id == resident.id
        and number in str(call.params["text"])
    ]
    assert [text.split(":")[0].split(".")[0] for text in told] == [
        f"Thank you! Your case number is {number}",
        f"Your case {number} was accepted by 王指导员",
        f"Progress on your case {number}",
        f"Your case {number} has been resolved",
    ]
    stop_cleanly(bot, process)


def test_a_no_property_community_reports_to_its_party_committee_in_chinese(
    bot: BotRunner, fake_api: FakeBotApiServer, database_url: str
) -> None:
    """山后 has no property enterprise: its party committee member gets the case; 李 reads Chinese."""
    import_street(database_url)
    process = bot.start()
    secretary = Chatter(fake_api, TelegramUser(BARE_COMMITTEE_TG, "Lin", "en"))
    li = Chatter(fake_api, TelegramUser(stranger(1), "李", "zh-hans"))
    mark = secretary.send("/start")
    secretary.wait_text("community party committee of 山后", since=mark)

    join(li, "shanhou", "山后")
    assert li.texts()[0].startswith("您已登记为山后居民。")
    mark = fake_api.mark()
    number = report(li, category="sewer", description="3号楼下水道堵了，污水漫到路上。")
    receipt = li.wait_text(number, since=mark)
    assert receipt.startswith(f"谢谢您！您的诉求编号是 {number}。"), receipt
    assert "林书记" in receipt

    card = secretary.wait_message("Accept", contains=number, since=mark)
    assert "3号楼下水道堵了，污水漫到路上。" in card["text"]
    assert "Community: 山后" in card["text"]
    # No enterprise to forward to.
    assert "Forward to enterprise" not in labels_of(card)
    assert secretary.media_sent(since=mark) == []
    [case] = cases_reported_by(database_url, li.id)
    assert (case.owner_telegram_id, case.owner_level) == (BARE_COMMITTEE_TG, "party_committee")

    mark = secretary.tap(card, "Accept")
    secretary.wait_message("Resolve", since=mark)
    accepted = li.wait_text(number, since=mark)
    assert accepted == f"您的诉求 {number} 已由林书记受理。"
    stop_cleanly(bot, process)


def test_a_no_property_community_under_shared_property_reports_to_that_enterprises_instructor(
    bot: BotRunner, fake_api: FakeBotApiServer, database_url: str
) -> None:
    import_street(database_url)
    share_community(database_url, "shanhou", "hy")
    process = bot.start()
    instructor = Chatter(fake_api, TelegramUser(INSTRUCTOR_TG, "Wang", "en"))
    resident = Chatter(fake_api, TelegramUser(stranger(1), "Grace", "en"))
    mark = instructor.send("/start")
    instructor.wait_text("You are registered as", since=mark)
    join(resident, "shanhou", "山后")
    mark = fake_api.mark()
    number = report(resident, category="sanitation", description="Nobody has emptied the bins for a week.")
    assert "It went to 王指导员 (party-building instructor)." in resident.wait_text(number, since=mark)
    card = instructor.wait_message("Accept", contains=number, since=mark)
    assert "Community: 山后" in card["text"]
    [case] = cases_reported_by(database_url, resident.id)
    assert (case.owner_telegram_id, case.owner_level) == (INSTRUCTOR_TG, "instructor")
    stop_cleanly(bot, process)
