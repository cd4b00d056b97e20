"""/record and /records: an instructor's record waits for the office, which approves it with a
note; the office's own record counts at once and is undone by a reversal; bad input changes nothing."""

from __future__ import annotations

from typing import Any

import pytest

from bot.sandbox.telegram import FakeTelegram
from handlers.context import RedPropApplication
from models.assessment.tables import RecordKind, RecordStatus
from models.base import utcnow
from models.periods import Quarter
from storage.database import Database
from tests.fakes.outbox import deliver_outbox
from tests.handlers.assessment_world import (
    ADMIN,
    INSTRUCTOR,
    NOT_OFFICE,
    RESIDENT,
    STAFF,
    forge,
    make_assessment_world,
    photo,
    records,
)
from tests.models.assessment.golden_street import SHANGHAI, GoldenStreet

POINTS = "Give the points as a number from 0.1 to 10, with at most one decimal."
NOT_RECORDER = (
    "Governance records are made by the street property office, community party committees and instructors."
)


@pytest.fixture
async def street(app_db: Database) -> GoldenStreet:
    return await make_assessment_world(app_db, governance=False)


async def test_an_instructors_record_waits_until_the_office_approves_it_with_a_note(
    app: RedPropApplication, street: GoldenStreet, chat: Any, telegram: FakeTelegram, app_db: Database
) -> None:
    wang = chat(INSTRUCTOR)
    assert await wang.send("/record") == [
        "Which property enterprise is the record about? Tap it, or type its code."
    ]
    assert wang.buttons() == {"海悦物业": f"rec:e:{street.a}"}  # only the enterprise they are paired with
    said = await wang.tap(f"rec:e:{street.a}")
    assert "Enterprise: 海悦物业\n\nWhat kind of record?" in said
    # Commendations and veto events are the office's.
    assert list(wang.buttons()) == [
        "Joint meeting",
        "Street or community task",
        "Party building",
        "Spot-check fault",
    ]
    await wang.tap("rec:k:spot_check")
    assert wang.buttons()["Environmental sanitation"] == "rec:i:sanitation"
    assert len(wang.buttons()) == 9  # the nine duties
    said = await wang.tap("rec:i:sanitation")
    assert (
        said[-1] == "How many points does this fault cost 海悦物业? Type a number from 0.1 to 10, like 1.5."
    )
    for wrong in ("11", "0", "1.25", "abc", "-1"):
        assert await wang.send(wrong) == [POINTS]
    said = await wang.send("1.5")
    assert said == [quarter_prompt()]
    said = await wang.send("2026Q3")
    assert said[0].startswith("Quarter: 2026Q3\n\nNow the note:")
    assert await wang.send("Bins overflowing at gate 2.") == ["Add a photo as evidence, or tap No photo."]
    [summary] = await wang.send(photo=photo("bins"))
    assert summary == (
        "Please check the record:\n\n"
        "海悦物业 · 2026Q3 · Spot-check fault (Environmental sanitation): 1.5 points\n"
        "│ Bins overflowing at gate 2.\n\n"
        "Photo: attached\n"
        "It takes effect once the street property office approves it."
    )
    said = await wang.tap(wang.buttons()["Confirm"])
    [record] = await records(app_db)
    assert said[-1] == (
        f"Record #{record.id} is saved. The street property office is asked to approve it; you will be told."
    )
    assert (record.kind, record.item, record.points_tenths, record.status) == (
        RecordKind.SPOT_CHECK,
        "sanitation",
        15,
        RecordStatus.PENDING,
    )
    assert (record.note, record.photo_file_id, record.quarter) == (
        "Bins overflowing at gate 2.",
        "bins",
        "2026Q3",
    )

    await deliver_outbox(app)
    office = chat(ADMIN)
    waiting = office.last_message_with_buttons()
    assert waiting["text"].startswith("A governance record waits for your approval:\n海悦物业 · 2026Q3")
    assert telegram.calls_of("sendPhoto", ADMIN.id)  # the evidence comes first
    assert office.buttons() == {"Approve": f"g:ok:{record.id}", "Reject": f"g:no:{record.id}"}
    said = await office.tap(f"g:ok:{record.id}")
    assert said[-1].startswith("Approve this record?\n\n海悦物业 · 2026Q3 · Spot-check fault")
    assert said[-1].endswith("Send a note for the recorder (required). /cancel leaves the record waiting.")
    assert await office.send("   ") == ["Please send some text, or /cancel."]
    assert await office.send("Seen on the inspection round.") == ["Approved. The recorder is told."]
    [record] = await records(app_db)
    assert (record.status, record.decision_note) == (RecordStatus.APPROVED, "Seen on the inspection round.")

    await deliver_outbox(app)
    assert telegram.texts_to(INSTRUCTOR.id)[-1] == (
        "The street property office approved your record:\n"
        "海悦物业 · 2026Q3 · Spot-check fault (Environmental sanitation): 1.5 points\n"
        "│ Bins overflowing at gate 2.\n"
        "Note: Seen on the inspection round."
    )
    # The decided record's button does nothing more.
    said = await office.tap(f"g:no:{record.id}")
    assert said == ["There is no such record waiting for a decision."]


async def test_the_offices_record_counts_at_once_and_is_undone_by_a_reversal(
    app: RedPropApplication, street: GoldenStreet, chat: Any, telegram: FakeTelegram, app_db: Database
) -> None:
    office = chat(ADMIN)
    said = await office.send("/record xh")
    assert said == ["Enterprise: 鑫海物业\n\nWhat kind of record?"]
    assert "Commendation" in office.buttons() and "Veto event" in office.buttons()
    await office.tap("rec:k:meeting")
    assert await office.tap("rec:n") == [
        "",
        "Did 鑫海物业 attend the joint meeting? ✗ No",
        quarter_prompt(),
    ]
    await office.send("2026Q3")
    await office.send("Absent from the joint meeting of 9 September.")
    said = await office.tap("rec:np")
    assert said[-1].endswith("Photo: none\nIt counts at once.")
    said = await office.tap(office.buttons()["Confirm"])
    [record] = await records(app_db)
    assert said[-1] == f"Record #{record.id} is saved and counts at once."
    assert (record.status, record.yes, record.decided_by) == (RecordStatus.APPROVED, False, street.admin.id)
    await deliver_outbox(app)
    assert telegram.calls_of("sendMessage", INSTRUCTOR.id) == []  # nobody is asked to approve it

    [listing] = await office.send("/records xh 2026Q3")
    assert listing.startswith(
        "Governance records of 鑫海物业, 2026Q3: 1\n\n"
        f"#{record.id} (counts) 鑫海物业 · 2026Q3 · Joint meeting: no\n"
        "│ Absent from the joint meeting of 9 September.\nby Office, "
    )
    assert office.buttons()[f"Undo #{record.id}"] == f"g:un:{record.id}"
    said = await office.tap(f"g:un:{record.id}")
    assert said[-1].startswith("Undo this record?")
    assert await office.send("Entered for the wrong enterprise.") == [f"Record #{record.id} is undone."]
    original, reversal = await records(app_db)
    assert (original.status, reversal.reverses_id, reversal.status) == (
        RecordStatus.APPROVED,  # nothing is deleted
        record.id,
        RecordStatus.APPROVED,
    )
    assert reversal.note == "Entered for the wrong enterprise."
    [listing] = await office.send("/records xh 2026Q3")
    assert (
        f"#{reversal.id} (counts) 鑫海物业 · 2026Q3 · Undoes record #{record.id}: Joint meeting: no"
        in listing
    )
    assert f"#{record.id} (undone)" in listing
    assert not any(label.startswith("Undo") for label in office.buttons())
    assert await office.tap(f"g:un:{record.id}") == ["This record has already been undone."]


def quarter_prompt() -> str:
    example = Quarter.of(utcnow(), SHANGHAI).previous.previous
    return f"Which quarter is it for? Tap one, or type another, like {example}."


async def test_bad_input_is_refused_and_nothing_is_saved(
    app: RedPropApplication, street: GoldenStreet, chat: Any, app_db: Database
) -> None:
    office, wang, staff, resident = chat(ADMIN), chat(INSTRUCTOR), chat(STAFF), chat(RESIDENT)
    # An unknown enterprise, given with the command or typed at the first step.
    assert await office.send("/record zz") == [
        "No property enterprise with the code “zz” works in your street."
    ]
    assert await office.send("/record") == [
        "Which property enterprise is the record about? Tap it, or type its code."
    ]
    assert set(office.buttons()) == {"海悦物业", "鑫海物业", "华庭物业"}
    assert await office.send("zz") == [
        "No property enterprise with the code “zz” works in your street.",
        "Type another code, or /cancel.",
    ]
    assert await office.send("/cancel") == ["Record cancelled. Nothing was saved."]
    # Enterprise staff about their own enterprise, and people who make no records.
    assert await staff.send("/record hy") == ["You work for 海悦物业, so you cannot record about it."]
    assert await staff.send("/record") == [NOT_RECORDER]
    assert await resident.send("/record") == [NOT_RECORDER]
    assert await resident.send("/records hy") == [NOT_RECORDER]
    # An instructor about an enterprise they are not paired with.
    assert await wang.send("/record xh") == [NOT_RECORDER]
    # A quarter malformed, out of range, or not begun.
    await office.send("/record hy")
    await office.tap("rec:k:task")
    await office.tap("rec:y")
    later = Quarter.of(utcnow(), SHANGHAI).next
    quarter = "Write the quarter like 2026Q3: a year from 2000 to 2100, Q, and 1 to 4."
    assert await office.send("2026Q5") == [quarter]
    assert await office.send("1999Q1") == [quarter]
    assert await office.send(str(later)) == [f"{later} has not begun yet."]
    assert await office.send("/cancel") == ["Record cancelled. Nothing was saved."]
    # A commendation forged by someone who is not the office: refused when it is made.
    await wang.send("/record hy")
    await wang.tap("rec:k:commendation")
    await wang.send("2")
    await wang.send("2026Q3")
    await wang.send("Helped in the flood.")
    said = await wang.tap("rec:np")
    said = await wang.tap(wang.buttons()["Confirm"])
    assert (
        said[-1]
        == "Only the street property office records commendations and veto events.\nNothing was saved."
    )
    assert await records(app_db) == []
    # A forged approval by anyone but the office.
    await wang.send("/record hy")
    await wang.tap("rec:k:meeting")
    await wang.tap("rec:y")
    await wang.send("2026Q3")
    await wang.send("Attended.")
    await wang.tap("rec:np")
    await wang.tap(wang.buttons()["Confirm"])
    [waiting] = await records(app_db)
    assert await forge(wang, f"g:ok:{waiting.id}") == [NOT_OFFICE]
    assert await forge(staff, f"g:ok:{waiting.id}") == [NOT_OFFICE]
    assert await forge(resident, f"g:no:{waiting.id}") == [NOT_OFFICE]
    assert await forge(office, "g:ok:999999") == ["There is no such record waiting for a decision."]
    [waiting] = await records(app_db)
    assert waiting.status == RecordStatus.PENDING
