"""/fund as its people see it: a repair grant for two leak cases drafted by an instructor, asked
for more by the office, answered and approved; the residents told and the timelines funded; a
budget overrun, a double tap, a stale button and a non-admin refused, changing nothing."""

from __future__ import annotations

from typing import Any

import pytest
from sqlmodel import col, select

from bot.sandbox.telegram import FakeTelegram
from bot.sandbox.updates import TelegramUser
from handlers.context import RedPropApplication
from models.cases.categories import ReportCategory
from models.cases.tables import Case, CaseEvent, EventKind
from models.fund.tables import FundApplication, FundBudget, FundEvent, FundStatus
from storage.database import Database
from tests.factories.cases import report
from tests.factories.ids import ADMIN_TG, INSTRUCTOR_TG, NEIGHBOUR_TG, RESIDENT_TG, STAFF_TG
from tests.factories.world import World, make_world
from tests.fakes.outbox import deliver_outbox

INSTRUCTOR = TelegramUser(INSTRUCTOR_TG, "王指导员", "en")
ADMIN = TelegramUser(ADMIN_TG, "刘主任", "en")
STAFF = TelegramUser(STAFF_TG, "周经理", "en")
RESIDENT = TelegramUser(RESIDENT_TG, "Li", "en")
NOT_APPLICANT = (
    "Fund applications are made by instructors, community party committee members and property enterprises."
)


@pytest.fixture
async def world(app_db: Database) -> World:
    return await make_world(app_db)


async def leaks(db: Database, world: World) -> list[Case]:
    roof = await report(
        db, world.resident.id, category=ReportCategory.LEAK, description="Roof leaks over flat 301."
    )
    wall = await report(
        db, world.neighbour.id, category=ReportCategory.LEAK, description="Wall leaks in building 2."
    )
    return [roof, wall]


async def applications(db: Database) -> list[FundApplication]:
    async with db.read() as session:
        return list(await session.exec(select(FundApplication).order_by(col(FundApplication.id))))


async def history(db: Database, application_id: int) -> list[tuple[str, str]]:
    async with db.read() as session:
        rows = await session.exec(
            select(FundEvent).where(FundEvent.application_id == application_id).order_by(col(FundEvent.id))
        )
        return [(event.kind.value, event.status.value) for event in rows]


async def test_a_repair_grant_for_two_leaks_goes_through_ask_for_more_to_approval(
    app: RedPropApplication, world: World, chat: Any, telegram: FakeTelegram, app_db: Database
) -> None:
    roof, wall = await leaks(app_db, world)
    wang, office = chat(INSTRUCTOR), chat(ADMIN)
    assert await office.send("/fund budget repair 50000 2026") == [
        "Budgets of 2026 (budget / granted / left, yuan):\n"
        "reward: 0.00 / 0.00 / 0.00\n"
        "subsidy: 0.00 / 0.00 / 0.00\n"
        "party-building funding: 0.00 / 0.00 / 0.00\n"
        "repair grant: 50,000.00 / 0.00 / 50,000.00"
    ]
    [said] = await wang.send(
        f"/fund repair 36000.50 Roof waterproofing, warranty over: {roof.number} {wall.number}"
    )
    [application] = await applications(app_db)
    assert said == (
        "Draft saved. Add quotes or photos if you have them, then tap Submit.\n\n"
        f"Fund application #{application.id}: repair grant, 36,000.50 yuan\n"
        "Applicant: 王指导员\nStatus: draft\n"
        f"Linked cases: {roof.number}, {wall.number}\n"
        "Quotes and photos: 0\nPurpose:\n"
        f"│ Roof waterproofing, warranty over: {roof.number} {wall.number}"
    )
    assert application.amount_fen == 3600050
    number = application.id
    assert wang.buttons() == {
        "Submit": f"fa:sb:{number}",
        "Add a quote or photo": f"fa:ph:{number}",
        "Withdraw": f"fa:wd:{number}",
    }
    assert (await wang.tap(f"fa:ph:{number}"))[-1].startswith(
        f"Send the quote or photo for application #{number}."
    )
    said = await wang.send(
        photo=[{"file_id": "quote-1", "file_unique_id": "q1", "width": 800, "height": 800}]
    )
    assert said[0].startswith("Added.") and "Quotes and photos: 1" in said[0]
    # A draft is its applicant's alone, even for the office.
    assert await office.send(f"/fund {number}") == ["There is no such application."]
    said = await wang.tap(f"fa:sb:{number}")
    assert said[-1].startswith("Submitted to the street property office; you will be told.")

    await deliver_outbox(app)
    waiting = office.last_message_with_buttons()
    assert waiting["text"].startswith("A fund application waits for your decision:\n\n")
    assert telegram.calls_of("sendPhoto", ADMIN.id)  # the quote comes first
    assert office.buttons() == {
        "Approve": f"fa:ok:{number}",
        "Approve a part": f"fa:pt:{number}",
        "Reject": f"fa:no:{number}",
        "Ask for more": f"fa:mi:{number}",
    }
    await office.tap(f"fa:mi:{number}")
    assert await office.send("Which buildings, and a second quote?") == [
        "Asked. The application waits for the applicant's answer."
    ]
    await deliver_outbox(app)
    assert telegram.texts_to(INSTRUCTOR.id)[-1] == (
        f"The street property office asks for more information on your fund application #{number}.\n"
        f"Note ({_time(telegram, INSTRUCTOR.id)}):\n│ Which buildings, and a second quote?\n\n"
        "Tap Answer to reply; the application then goes back to the office."
    )
    # The office's buttons are stale while the applicant answers.
    assert await office.tap(f"fa:ok:{number}") == [
        f"Application #{number} is more information asked now, so this cannot be done any more."
    ]
    await wang.tap(f"fa:re:{number}")
    assert await wang.send("Buildings 2 and 5; second quote attached tomorrow.") == [
        "Sent. The application is with the office again."
    ]
    await deliver_outbox(app)
    assert telegram.texts_to(ADMIN.id)[-1].endswith(
        "The applicant's answer to your question:\n│ Buildings 2 and 5; second quote attached tomorrow."
    )
    await office.tap(f"fa:ok:{number}")
    assert await office.send("Approved for this year's waterproofing.") == [
        "Approved. The applicant is told."
    ]
    [application] = await applications(app_db)
    assert (application.status, application.approved_fen, application.year) == (
        FundStatus.APPROVED,
        3600050,
        2026,
    )
    assert await history(app_db, number or 0) == [
        ("created", "draft"),
        ("photo", "draft"),
        ("submitted", "submitted"),
        ("info_asked", "needs_info"),
        ("info_given", "submitted"),
        ("approved", "approved"),
    ]
    # A second tap on the decided application changes nothing.
    assert await office.tap(f"fa:ok:{number}") == [
        f"Application #{number} is approved now, so this cannot be done any more."
    ]

    await deliver_outbox(app)
    assert telegram.texts_to(INSTRUCTOR.id)[-1].startswith(
        f"The street property office approved your fund application #{number}: 36,000.50 yuan."
    )
    for resident, case in ((RESIDENT_TG, roof), (NEIGHBOUR_TG, wall)):
        assert telegram.texts_to(resident)[-1] == (
            f"Good news on your case {case.number}: "
            f"Repairs paid for by the property management fund (application #{number})."
        )
    async with app_db.read() as session:
        funded = list(await session.exec(select(CaseEvent).where(CaseEvent.kind == EventKind.FUNDED)))
    assert sorted(event.case_id for event in funded) == sorted([roof.id, wall.id])
    # The office reads the application with its history; nobody else can.
    [shown] = await office.send(f"/fund {number}")
    assert shown.startswith(f"Fund application #{number}: repair grant, 36,000.50 yuan")
    assert "Granted: 36,000.50 yuan" in shown and "\nHistory:\n" in shown
    assert "Approved — 刘主任 · 36,000.50 yuan\n│ Approved for this year's waterproofing." in shown
    assert "More information asked — 刘主任\n│ Which buildings, and a second quote?" in shown
    assert await chat(STAFF).send(f"/fund {number}") == ["There is no such application."]
    li = chat(RESIDENT)
    await li.send("/mycases")
    said = await li.tap(f"m:o:{roof.id}")
    assert said[-1].endswith(
        f" Funded — system\n   Repairs paid for by the property management fund (application #{number})."
    )


def _time(telegram: FakeTelegram, chat_id: int) -> str:
    """The short time the last message to ``chat_id`` names in its note line."""
    text = telegram.texts_to(chat_id)[-1]
    return text.split("Note (", 1)[1].split("):", 1)[0]


async def test_budget_overrun_double_decision_stale_button_and_bad_amounts_are_refused(
    app: RedPropApplication, world: World, chat: Any, app_db: Database
) -> None:
    wang, office, staff = chat(INSTRUCTOR), chat(ADMIN), chat(STAFF)
    for wrong, refusal in (
        ("-5", "The amount must be more than zero."),
        ("0", "The amount must be more than zero."),
        ("0.001", "Amounts go down to the fen: at most two decimals, like 12000.50."),
        ("1,000", "Write the amount in yuan, like 12000 or 12000.50."),
        ("abc", "Write the amount in yuan, like 12000 or 12000.50."),
        ("1e3", "Write the amount in yuan, like 12000 or 12000.50."),
    ):
        assert await wang.send(f"/fund subsidy {wrong} Bench repairs") == [refusal]
    assert await wang.send("/fund gift 100 Bench repairs") == [
        "Unknown fund type “gift”: use reward, subsidy, party or repair."
    ]
    assert await applications(app_db) == []

    await office.send("/fund budget subsidy 1000")
    await wang.send("/fund subsidy 1200 Benches for the east gate")
    await staff.send("/fund subsidy 300 Paint for the railings")
    first, second = await applications(app_db)
    await wang.tap(f"fa:sb:{first.id}")
    await staff.tap(f"fa:sb:{second.id}")
    await deliver_outbox(app)
    # Not an admin: the decision buttons are refused, forged or not.
    assert await wang.tap(f"fa:ok:{first.id}") == ["Only the street property office can do this."]
    await office.tap(f"fa:ok:{first.id}")
    assert await office.send("Yes.") == [
        "Only 1,000.00 yuan is left of this year's subsidy budget; 1,200.00 yuan cannot be approved."
    ]
    await office.tap(f"fa:pt:{first.id}")
    assert await office.send("1500 more than asked") == [
        "A partial approval must be less than the 1,200.00 yuan asked for."
    ]
    await office.tap(f"fa:pt:{first.id}")
    assert await office.send("800") == [
        "Send the amount in yuan first, then the note, like: 8000 Two roofs this year."
    ]
    assert await office.send("800 Two benches this year.") == ["Partly approved. The applicant is told."]
    # Double tap: both taps asked for a note; only the first note decides.
    await office.tap(f"fa:ok:{second.id}")
    await staff.tap(f"fa:wd:{second.id}")  # withdrawn meanwhile: the office's button is stale
    assert await office.send("Fine.") == [
        f"Application #{second.id} is withdrawn now, so this cannot be done any more."
    ]
    first, second = await applications(app_db)
    assert (first.status, first.approved_fen) == (FundStatus.PARTLY_APPROVED, 80000)
    assert (second.status, second.approved_fen, second.decided_by) == (FundStatus.WITHDRAWN, None, None)
    assert [kind for kind, _status in await history(app_db, second.id or 0)] == [
        "created",
        "submitted",
        "withdrawn",
    ]
    said = await office.send("/fund budget")
    assert "subsidy: 1,000.00 / 800.00 / 200.00" in said[0]
    # Someone who may not apply, and the budget command for a non-admin.
    assert await chat(RESIDENT).send("/fund reward 100 Me") == [NOT_APPLICANT]
    assert await wang.send("/fund budget repair 100") == ["Only the street property office can do this."]
    async with app_db.read() as session:
        budgets = list(await session.exec(select(FundBudget)))
    assert [(budget.fund_type.value, budget.amount_fen) for budget in budgets] == [("subsidy", 100000)]
