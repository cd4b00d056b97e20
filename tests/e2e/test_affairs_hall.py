"""Three-level linkage end to end: the real ``redprop run``, the fake Bot API, a clock the test moves.

A leak reported in 东方华庭 goes unanswered: its instructor is reminded at 3 hours, the community
party committee gets it at the 4-hour response deadline and the street office 2 hours later; the
resident hears once per level. The office schedules the Affairs Hall: its agenda holds the
escalated leak and a parking hotspot; 海悦物业's head answers the invitation, attends, the meeting
decides that 海悦物业 re-roofs the building, the minutes go out, and when the enterprise closes the
action item the resident hears that the Affairs Hall settled the case.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta
from pathlib import Path

from sqlmodel import select

from bot.sandbox.updates import TelegramUser
from models.base import id_of, utcnow
from models.cases.categories import ReportCategory
from models.cases.opening import CaseDraft, Deadlines, open_new_case
from models.clock import move_clock
from models.directory.tables import Community, Enterprise, Person, Role, RoleKind
from models.meetings.tables import AgendaItem, Decision, Meeting
from storage.database import Database
from tests.e2e.case_loop import import_street, stop_cleanly
from tests.e2e.conftest import BotRunner
from tests.factories.ids import ADMIN_TG, COMMITTEE_TG, INSTRUCTOR_TG, STAFF_TG, new_resident
from tests.fakes.chat import Chatter
from tests.fakes.server import FakeBotApiServer

RESIDENT_TG = new_resident(30)
LEAK = Deadlines(response=timedelta(hours=4), resolution=timedelta(days=3))


def setup(database_url: str) -> str:
    """海悦物业's manager is also its head; a resident of 东方华庭 reports a leak and three parking
    problems (a hotspot). The leak's number."""

    async def go() -> str:
        database = Database(database_url)
        try:
            async with database.write() as session:
                community = (await session.exec(select(Community).where(Community.code == "dfht"))).one()
                enterprise = (await session.exec(select(Enterprise).where(Enterprise.code == "hy"))).one()
                staff = (await session.exec(select(Person).where(Person.telegram_id == STAFF_TG))).one()
                session.add(
                    Role(person_id=id_of(staff), kind=RoleKind.ENTERPRISE_HEAD, enterprise_id=enterprise.id)
                )
                resident = Person(
                    telegram_id=RESIDENT_TG, name="Li", language_code="en", community_id=community.id
                )
                session.add(resident)
                await session.flush()
                now = utcnow()
                opened = []
                for number, category in enumerate([ReportCategory.LEAK] + [ReportCategory.PARKING] * 3):
                    draft = CaseDraft(key=f"e2e-{number}", category=category, description="The roof leaks.")
                    opened.append(
                        await open_new_case(
                            session=session, reporter=resident, draft=draft, deadlines=LEAK, now=now
                        )
                    )
                return opened[0].case.number
        finally:
            await database.dispose()

    return asyncio.run(go())


def read(database_url: str) -> tuple[Meeting, list[AgendaItem], list[Decision]]:
    async def go() -> tuple[Meeting, list[AgendaItem], list[Decision]]:
        database = Database(database_url)
        try:
            async with database.read() as session:
                meeting = (await session.exec(select(Meeting))).one()
                items = list(await session.exec(select(AgendaItem).order_by(AgendaItem.id)))  # type: ignore[arg-type]
                decisions = list(await session.exec(select(Decision)))
                return meeting, items, decisions
        finally:
            await database.dispose()

    return asyncio.run(go())


def english(*people: Chatter) -> None:
    for person in people:
        person.send("/language")
    for person in people:
        person.press(person.wait_message("English"), "lang:en")
        person.wait_text("Language set to English.")


def test_a_leak_escalates_goes_to_the_affairs_hall_and_is_settled(
    bot: BotRunner, fake_api: FakeBotApiServer, database_url: str, tmp_path: Path
) -> None:
    import_street(database_url)
    number = setup(database_url)
    clock = str(tmp_path / "clock")
    process = bot.start(REDPROP_BOT__CLOCK_FILE=clock, REDPROP_ESCALATION__CHECK_INTERVAL="1s")
    office = Chatter(fake_api, TelegramUser(ADMIN_TG, "Liu", "en"))
    wang = Chatter(fake_api, TelegramUser(INSTRUCTOR_TG, "Wang", "en"))
    chen = Chatter(fake_api, TelegramUser(COMMITTEE_TG, "Chen", "en"))
    zhou = Chatter(fake_api, TelegramUser(STAFF_TG, "Zhou", "en"))
    li = Chatter(fake_api, TelegramUser(RESIDENT_TG, "Li", "en"))
    english(office, wang, chen, zhou)

    # The leak's response deadline passes: reminder, level 2, level 3, the resident told once each.
    move_clock(clock, timedelta(hours=3, minutes=1))
    reminder = wang.wait_text(f"Reminder: case {number} (")
    assert "needs a first response by" in reminder
    move_clock(clock, timedelta(hours=1))
    chen.wait_message("Take over", contains=f"Case {number} escalated: response.")
    li.wait_text(
        f"Your case {number} was not handled in time and has been escalated to the community party committee."
    )
    move_clock(clock, timedelta(hours=2))
    office.wait_message("Put on the Affairs Hall agenda", contains=f"Case {number} escalated: response.")
    li.wait_text("has been escalated to the street property office.")
    assert len([text for text in li.texts() if f"{number} was not handled in time" in text]) == 2

    # The office schedules the Affairs Hall; its agenda holds the leak and the parking hotspot.
    day = (utcnow() + timedelta(days=3)).strftime("%Y-%m-%d")
    mark = office.send(f"/meeting {day} 14:00 dfht 街道会议室")
    office.wait_text("is scheduled; 3 people are invited.", since=mark)
    mark = office.send("/agenda")
    agenda = office.wait_text("Draft agenda", since=mark)
    assert number in agenda and "Hotspot" in agenda
    invitation = zhou.wait_message(
        "I will attend", contains="You are invited to the Red Property Affairs Hall"
    )
    mark = zhou.tap(invitation, "I will attend")
    zhou.wait_for(lambda: "Thank you; your answer is recorded." in zhou.alerts(since=mark) or None, "answer")

    meeting, items, _none = read(database_url)
    leak_item = next(item for item in items if item.case_numbers == number)
    mark = office.send(f"/attendance {meeting.id}")
    attendance = office.wait_message("▫️ 周经理", since=mark)
    mark = office.tap(attendance, "▫️ 周经理")
    office.wait_for(lambda: "Recorded." in office.alerts(since=mark) or None, "attendance recorded")
    deadline = (utcnow() + timedelta(days=20)).strftime("%Y-%m-%d")
    mark = office.send(f"/decide {leak_item.id} hy | Re-roof building 3 | {deadline}")
    office.wait_text(f"The decision on item {leak_item.id} is recorded.", since=mark)
    mark = office.send(f"/minutes {meeting.id}")
    office.wait_text("The meeting is closed", since=mark)
    minutes = zhou.wait_text("Minutes — Red Property Affairs Hall")
    assert "Re-roof building 3" in minutes and "周经理" in minutes

    # 海悦物业 closes the action item: the leak is settled and its resident hears.
    [decision] = read(database_url)[2]
    mark = zhou.send("/cases")
    close = f"Close item {decision.id}"
    items_message = zhou.wait_message(close, since=mark, contains="Affairs Hall action items:")
    zhou.tap(items_message, close)
    li.wait_text(f"Your case {number} was settled by the Affairs Hall of")
    stop_cleanly(bot, process)
