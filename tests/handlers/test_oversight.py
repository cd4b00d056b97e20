"""The escalated level's card: urge, extend with a reason, put on the agenda, reassign, take over;
anyone below the case's level, or a stale or forged button, changes nothing."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import col, select

from bot.sandbox.updates import TelegramUser
from models.base import id_of, utcnow
from models.cases.categories import ReportCategory
from models.cases.opening import Deadlines
from models.cases.tables import Case, CaseEvent, EventKind, OwnerLevel
from models.escalation.job import run_escalations
from models.escalation.rules import EscalationRules
from models.escalation.tables import AgendaRequest
from storage.database import Database
from tests.factories.cases import report
from tests.factories.ids import ADMIN_TG, COMMITTEE_TG, OTHER_INSTRUCTOR_TG
from tests.factories.world import World, make_world

COMMITTEE = TelegramUser(COMMITTEE_TG, "Chen", "en")
ADMIN = TelegramUser(ADMIN_TG, "Zhou", "en")
OUTSIDER = TelegramUser(OTHER_INSTRUCTOR_TG, "Zhao", "en")
LEAK = Deadlines(response=timedelta(hours=4), resolution=timedelta(days=3))
NOT_ALLOWED = "You cannot do this with this case."


@pytest.fixture
async def world(app_db: Database) -> World:
    return await make_world(app_db)


async def escalated_case(db: Database, world: World) -> Case:
    """A leak 5 hours unanswered: escalated to 东方华庭's party committee (level 2)."""
    now = utcnow()
    case = await report(
        db, world.resident.id, category=ReportCategory.LEAK, now=now - timedelta(hours=5), deadlines=LEAK
    )
    async with db.write() as session:
        await run_escalations(session=session, rules=EscalationRules(), now=now, limit=10)
    async with db.read() as session:
        stored = await session.get(Case, id_of(case))
        assert stored is not None and stored.escalation_level == 2
        return stored


async def kinds(db: Database, case_id: int) -> list[EventKind]:
    async with db.read() as session:
        query = select(CaseEvent).where(CaseEvent.case_id == case_id).order_by(col(CaseEvent.id))
        return [event.kind for event in await session.exec(query)]


async def test_the_committee_urges_extends_and_puts_the_case_on_the_agenda(  # type: ignore[no-untyped-def]
    chat, app_db: Database, world: World
) -> None:
    case = await escalated_case(app_db, world)
    chen = chat(COMMITTEE)
    assert "The owner is urged; the timeline records it." in await chen.press(f"e:urge:{case.id}")
    said = await chen.press(f"e:ext:{case.id}")
    assert any("by how many days, and why?" in text for text in said)
    assert await chen.send("three days") == [
        "Write the number of days (1 to 90) and then the reason, like: 3 waiting for parts."
    ]
    assert await chen.send("3 waiting for parts") == [
        f"The deadline of case {case.number} is extended by 3 days."
    ]
    assert "The case is on the next Affairs Hall's agenda." in await chen.press(f"e:ag:{case.id}")
    assert f"Case {case.number} is on the Affairs Hall's agenda already." in await chen.press(
        f"e:ag:{case.id}"
    )
    async with app_db.read() as session:
        stored = await session.get(Case, id_of(case))
        requests = list(await session.exec(select(AgendaRequest)))
    assert stored is not None and stored.response_due_at > case.response_due_at + timedelta(days=2)
    assert stored.first_response_at is None  # overseeing is not answering the resident
    assert [request.case_id for request in requests] == [case.id]
    assert (await kinds(app_db, id_of(case)))[-3:] == [EventKind.URGED, EventKind.EXTENDED, EventKind.AGENDA]


async def test_reassign_and_take_over(chat, app_db: Database, world: World) -> None:  # type: ignore[no-untyped-def]
    case = await escalated_case(app_db, world)
    chen = chat(COMMITTEE)
    said = await chen.press(f"e:re:{case.id}")
    assert f"Case {case.number}: who should take it?" in said
    assert set(chen.buttons()) == {"陈书记", "The property enterprise"}  # 王指导员 owns it already
    assert "The case is yours now; its card is in /cases." in await chen.press(f"e:take:{case.id}")
    async with app_db.read() as session:
        stored = await session.get(Case, id_of(case))
    assert stored is not None and (stored.owner_level, stored.owner_id) == (
        OwnerLevel.PARTY_COMMITTEE,
        world.committee.id,
    )
    assert "Reassigned; the new owner has the case's card." in await chen.press(
        f"e:to:{case.id}:{world.instructor.id}"
    )


async def test_below_the_level_stale_and_forged_buttons_change_nothing(  # type: ignore[no-untyped-def]
    chat, app_db: Database, world: World
) -> None:
    case = await escalated_case(app_db, world)
    before = await kinds(app_db, id_of(case))
    # The office is level 3: this case has not come up to it yet.
    assert NOT_ALLOWED in await chat(ADMIN).press(f"e:urge:{case.id}")
    assert NOT_ALLOWED in await chat(OUTSIDER).press(f"e:take:{case.id}")
    assert "That person cannot take this case over." in await chat(COMMITTEE).press(
        f"e:to:{case.id}:{world.other_instructor.id}"
    )
    assert "This button is no longer valid." in await chat(COMMITTEE).press("e:urge:abc")
    assert await kinds(app_db, id_of(case)) == before
