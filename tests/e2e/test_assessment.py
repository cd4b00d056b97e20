"""The quarterly assessment end to end: the real ``redprop run``, the fake Bot API, a clock the test moves.

海悦物业 serves 东方华庭 badly in 2026Q1, Q2 and Q3 (its cases and answers are written into the
database as the quarters left them). In the chat: the instructor records a joint meeting and
the office approves it with a note; the office reads the draft of Q1, publishes it, the staff
appeal, the office upholds the appeal and finalises; Q2 published and finalised brings the
three-quarter warning to the staff, the instructor and the owners' committee; Q3 published,
an appeal too late (the clock moved a week and more), finalised: the dismissal proposal, which
the office confirms with a note, and everyone concerned is told, the office with the report.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlmodel import select

from bot.sandbox.updates import TelegramUser
from models.base import id_of
from models.cases.tables import Case, CaseStatus, OwnerLevel
from models.clock import move_clock
from models.directory.tables import Community, Person, Role, RoleKind
from models.periods import Quarter
from models.surveys.tables import Solved, Survey, SurveyStatus
from storage.database import Database
from tests.e2e.case_loop import import_street, stop_cleanly
from tests.e2e.conftest import BotRunner
from tests.factories.ids import ADMIN_TG, INSTRUCTOR_TG, STAFF_TG, new_resident
from tests.fakes.chat import Chatter
from tests.fakes.server import FakeBotApiServer

OWNER_TG = new_resident(7)  # 东方华庭's owners' committee member
SHANGHAI_OFFSET = timedelta(hours=8)


def poor_quarter(database_url: str, quarter: Quarter) -> None:
    """12 cases of 东方华庭 in ``quarter``, answered late and rated low: 海悦物业 scores under 60."""

    async def go() -> None:
        database = Database(database_url)
        try:
            async with database.write() as session:
                community = (await session.exec(select(Community).where(Community.code == "dfht"))).one()
                reporter = Person(
                    telegram_id=new_resident(10 + quarter.number), name="Reporter", language_code="en"
                )
                session.add(reporter)
                await session.flush()
                first, _after = quarter.days()
                start = datetime(first.year, first.month, first.day, 2, tzinfo=UTC) + timedelta(days=5)
                for number in range(12):
                    created = start + timedelta(hours=number)
                    case = Case(
                        number=f"LSW-{quarter.year}-{quarter.number}{number:05d}",
                        reporter_id=id_of(reporter),
                        community_id=id_of(community),
                        enterprise_id=community.enterprise_id,
                        category="leak",
                        duty="building_repair",
                        description="The roof leaks again.",
                        status=CaseStatus.CLOSED,
                        owner_level=OwnerLevel.INSTRUCTOR,
                        created_at=created,
                        response_due_at=created + timedelta(hours=4),
                        first_response_at=created + timedelta(hours=30),
                        resolution_due_at=created + timedelta(days=3),
                        resolved_at=created + timedelta(days=20),
                    )
                    session.add(case)
                    await session.flush()
                    session.add(
                        Survey(
                            case_id=id_of(case),
                            round=1,
                            reporter_id=id_of(reporter),
                            enterprise_id=community.enterprise_id,
                            community_id=id_of(community),
                            street_id=community.street_id,
                            duty=case.duty,
                            category=case.category,
                            status=SurveyStatus.ANSWERED,
                            due_at=created + timedelta(days=21),
                            sent_at=created + timedelta(days=21),
                            answered_at=created + timedelta(days=22),
                            solved=Solved.NOT,
                            reopened=False,
                            stars=1,
                            willing_to_pay=False,
                        )
                    )
        finally:
            await database.dispose()

    asyncio.run(go())


def add_owners_committee(database_url: str) -> None:
    async def go() -> None:
        database = Database(database_url)
        try:
            async with database.write() as session:
                community = (await session.exec(select(Community).where(Community.code == "dfht"))).one()
                owner = Person(telegram_id=OWNER_TG, name="业委会主任", language_code="en")
                session.add(owner)
                await session.flush()
                session.add(
                    Role(person_id=id_of(owner), kind=RoleKind.OWNERS_COMMITTEE, community_id=community.id)
                )
        finally:
            await database.dispose()

    asyncio.run(go())


def note(chatter: Chatter, message: dict[str, Any], label: str, text: str, expect: str) -> None:
    """Tap a button that asks for a note, send the note, wait for ``expect``."""
    mark = chatter.tap(message, label)
    chatter.wait_text("(required)", since=mark)
    mark = chatter.send(text)
    chatter.wait_text(expect, since=mark)


def publish_and_finalise(office: Chatter, quarter: str) -> int:
    """/ranking, Publish, confirm; then /ranking, Finalise, confirm. The mark before finalising."""
    mark = office.send(f"/ranking {quarter}")
    ranking = office.wait_message("Publish", since=mark)
    mark = office.tap(ranking, "Publish")
    asked = office.wait_data(f"rk:P:{quarter}", since=mark)
    mark = office.press(asked, f"rk:P:{quarter}")
    office.wait_text(f"The assessment of {quarter} is published.", since=mark)
    return finalise(office, quarter)


def finalise(office: Chatter, quarter: str) -> int:
    mark = office.send(f"/ranking {quarter}")
    ranking = office.wait_message("Finalise", since=mark)
    mark = office.tap(ranking, "Finalise")
    asked = office.wait_data(f"rk:F:{quarter}", since=mark)
    mark = office.press(asked, f"rk:F:{quarter}")
    office.wait_text(f"The assessment of {quarter} is final (revision 1).", since=mark)
    return mark


def test_records_publication_appeals_and_the_three_quarter_rule(
    bot: BotRunner, fake_api: FakeBotApiServer, database_url: str, tmp_path: Path
) -> None:
    import_street(database_url)
    add_owners_committee(database_url)
    for number in (1, 2, 3):
        poor_quarter(database_url, Quarter(2026, number))
    clock = str(tmp_path / "clock")
    process = bot.start(REDPROP_BOT__CLOCK_FILE=clock, REDPROP_SURVEYS__QUIET_HOURS="")
    office = Chatter(fake_api, TelegramUser(ADMIN_TG, "Liu", "en"))
    wang = Chatter(fake_api, TelegramUser(INSTRUCTOR_TG, "Wang", "en"))
    staff = Chatter(fake_api, TelegramUser(STAFF_TG, "Zhou", "en"))
    owner = Chatter(fake_api, TelegramUser(OWNER_TG, "Owner", "en"))
    for person in (office, wang, staff, owner):
        person.send("/language")  # registered with English, so the notices come in English
    for person in (office, wang, staff, owner):
        person.press(person.wait_message("English"), "lang:en")
        person.wait_text("Language set to English.")

    # The instructor records a joint meeting of Q1; the office approves it with a note.
    mark = wang.send("/record hy")
    kinds = wang.wait_message("Joint meeting", since=mark)
    mark = wang.tap(kinds, "Joint meeting")
    yes_no = wang.wait_data("rec:y", since=mark)
    mark = wang.press(yes_no, "rec:y")
    wang.wait_text("Which quarter is it for?", since=mark)
    mark = wang.send("2026Q1")
    wang.wait_text("Now the note:", since=mark)
    mark = wang.send("Attended the Affairs Hall of 12 February.")
    photo_step = wang.wait_data("rec:np", since=mark)
    mark = wang.press(photo_step, "rec:np")
    summary = wang.wait_message("Confirm", since=mark)
    mark = wang.tap(summary, "Confirm")
    wang.wait_text("is saved. The street property office is asked to approve it", since=mark)
    waiting = office.wait_message("Approve", contains="A governance record waits for your approval")
    note(office, waiting, "Approve", "Seen in the minutes.", "Approved. The recorder is told.")
    wang.wait_text("The street property office approved your record:")

    # Q1: the draft, publication, the staff's appeal upheld with a note, then final.
    mark = office.send("/ranking 2026Q1")
    draft = office.wait_text("海悦物业", since=mark)
    assert "Draft: computed from the data as it stands now; not published." in draft
    mark = office.send("/ranking 2026Q1")
    ranking = office.wait_message("Publish", since=mark)
    mark = office.tap(ranking, "Publish")
    mark = office.press(office.wait_data("rk:P:2026Q1", since=mark), "rk:P:2026Q1")
    office.wait_text("The assessment of 2026Q1 is published.", since=mark)
    published = staff.wait_message("Appeal", contains="The assessment of 2026Q1 is published.")
    mark = staff.tap(published, "Appeal")
    staff.wait_text("Your appeal against the assessment of 2026Q1", since=mark)
    mark = staff.send("The leaks were the builder's warranty work, not ours.")
    staff.wait_text("Your appeal is sent to the street property office.", since=mark)
    appeal = office.wait_message("Uphold", contains="appeals against its assessment of 2026Q1")
    note(office, appeal, "Uphold", "The warranty claim is on file.", "upheld")
    staff.wait_text("Your appeal against the assessment of 2026Q1 was upheld.")
    finalise(office, "2026Q1")

    # Q2: the second failing quarter in a row warns the staff, the instructor and the owners.
    publish_and_finalise(office, "2026Q2")
    warning = "scored under 60 points in 2 quarters in a row (2026Q1, 2026Q2)"
    for person in (staff, wang, owner):
        person.wait_text(warning)

    # Q3: published; a week and more later the appeal is too late; final; the dismissal.
    mark = office.send("/ranking 2026Q3")
    mark = office.tap(office.wait_message("Publish", since=mark), "Publish")
    mark = office.press(office.wait_data("rk:P:2026Q3", since=mark), "rk:P:2026Q3")
    office.wait_text("The assessment of 2026Q3 is published.", since=mark)
    late = staff.wait_message("Appeal", contains="The assessment of 2026Q3 is published.")
    move_clock(clock, timedelta(days=8))
    mark = staff.tap(late, "Appeal")
    closed = "Appeals against 2026Q3 closed on"
    staff.wait_for(lambda: [text for text in staff.alerts(since=mark) if closed in text], closed)
    finalise(office, "2026Q3")
    proposal = office.wait_message("Confirm dismissal", contains="海悦物业 scored under 60 points in 3")
    note(office, proposal, "Confirm dismissal", "Three quarters under 60.", "is confirmed")
    dismissed = "海悦物业 is dismissed from the Red Property project"
    for person in (staff, wang, owner, office):
        person.wait_text(dismissed)
    report = office.wait_call(("sendDocument",), lambda call: call.chat_id == office.id)
    assert str(report.params.get("caption", "")).startswith("The report for Shandong")
    stop_cleanly(bot, process)
