"""/score and appeals: the enterprise's staff and instructor see its breakdown worst first; its
staff appeal the published quarter within the window, and the office decides with a note."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest

from bot.sandbox.telegram import FakeTelegram
from handlers.context import RedPropApplication
from models.assessment.lifecycle import publish_assessment
from models.assessment.tables import AppealStatus, Assessment
from models.base import utcnow
from models.clock import move_clock
from storage.database import Database
from tests.fakes.outbox import deliver_outbox
from tests.handlers.assessment_world import (
    ADMIN,
    INSTRUCTOR,
    NOT_OFFICE,
    RESIDENT,
    SCHEME,
    STAFF,
    appeals,
    forge,
    make_assessment_world,
    photo,
)
from tests.models.assessment.golden_street import Q3, SHANGHAI, GoldenStreet

# 海悦物业's items, by hand (tests/models/assessment/test_golden.py): the most points lost first.
WORST_FIRST = [
    "Every item, the weakest first:",
    "  Joint-meeting attendance: 6.7 of 10",
    "  Satisfaction: 22.3 of 25",
    "  Spot checks: 8.5 of 10",
    "  Resolution: 10.7 of 12",
    "  Resolved on time: 8.8 of 10",
    "  Willing to pay: 6.9 of 8",
    "  First response in time: 4.5 of 5",
    "  Street and community tasks: 10 of 10",
    "  Party building: 10 of 10",
]
GOVERNANCE = [
    "Governance:",
    "  Joint meetings attended: 2 of 3",
    "  Tasks completed by their deadline: 2 of 2",
    "  Party building in place: Party organisation set up, Party members on the staff, "
    "Cross-appointment with the community party committee",
    "  Spot-check fault, Environmental sanitation: −1.5",
    "  Commendations: +2",
]


@pytest.fixture
async def street(app_db: Database) -> GoldenStreet:
    return await make_assessment_world(app_db)


async def publish(db: Database, street: GoldenStreet) -> Assessment:
    async with db.write() as session:
        return await publish_assessment(
            session=session,
            street_id=street.street,
            quarter=Q3,
            admin=street.admin,
            scheme=SCHEME,
            tz=SHANGHAI,
            now=utcnow(),
        )


async def test_staff_and_the_instructor_see_the_breakdown_worst_first(
    app: RedPropApplication, street: GoldenStreet, chat: Any
) -> None:
    [text] = await chat(STAFF).send("/score 2026Q3")
    lines = text.splitlines()
    assert lines[:4] == [
        "海悦物业, assessment of 2026Q3",
        "Draft: computed from the data as it stands now; not published.",
        "",
        "海悦物业: 90.3 ★★★★★ (19 answers, 20 cases) — red list",
    ]
    assert lines[4:14] == WORST_FIRST
    duties = lines[lines.index("Service points by duty:") + 1 : lines.index("Governance:")]
    assert [line.split(":")[0].strip() for line in duties] == [
        "Building and common-area repair",
        "Shared facilities and equipment",
    ]
    assert all(re.fullmatch(r"  .+: [\d.]+ of 60 \(\d+ answers, 10 cases\)", line) for line in duties)
    assert lines[lines.index("Governance:") :] == GOVERNANCE
    assert "Appeal" not in chat(STAFF).buttons()  # a draft is not appealed
    assert await chat(INSTRUCTOR).send("/score 2026Q3") == [text]
    refusal = "Only an enterprise's staff and its instructors see its score."
    assert await chat(RESIDENT).send("/score") == [refusal]
    assert await chat(ADMIN).send("/score 2026Q3") == [refusal]
    malformed = "Write the quarter like 2026Q3: a year from 2000 to 2100, Q, and 1 to 4."
    assert await chat(STAFF).send("/score 2026Q5") == [malformed]


async def test_an_appeal_in_the_window_is_decided_with_a_note(
    app: RedPropApplication, street: GoldenStreet, chat: Any, telegram: FakeTelegram, app_db: Database
) -> None:
    published = await publish(app_db, street)
    await deliver_outbox(app)
    staff = chat(STAFF)
    appeal_button = f"a:ap:{published.id}:{street.a}"
    assert staff.buttons() == {"Appeal": appeal_button}  # on the publication notice
    [text] = await staff.send("/score 2026Q3")
    assert text.splitlines()[1].startswith("Published on ")
    assert staff.buttons()["Appeal"] == appeal_button
    said = await staff.tap(appeal_button)
    assert said[-1].startswith("Your appeal against the assessment of 2026Q3: write what is wrong and why")
    assert await staff.send("/ranking") == ["Please finish this first, or /cancel."]
    said = await staff.send(
        photo=photo("minutes"), caption="We attended the meeting of 12 August; minutes attached."
    )
    assert said == ["Your appeal is sent to the street property office. You will be told its decision."]
    [appeal] = await appeals(app_db)
    assert (appeal.status, appeal.photo_file_id, appeal.enterprise_id) == (
        AppealStatus.PENDING,
        "minutes",
        street.a,
    )

    await deliver_outbox(app)
    office = chat(ADMIN)
    assert office.last_message_with_buttons()["text"] == (
        "海悦物业 appeals against its assessment of 2026Q3:\n"
        "│ We attended the meeting of 12 August; minutes attached."
    )
    [ranking] = await office.send("/ranking 2026Q3")
    assert "Open appeals: 1\n• 海悦物业: We attended the meeting of 12 August; minutes attached." in ranking
    assert office.buttons()["Uphold: 海悦物业"] == f"a:up:{appeal.id}"
    assert not {"Finalise", "Run again"} & set(office.buttons())  # not while an appeal is open
    assert (await forge(office, "rk:F:2026Q3"))[0] == "First decide the appeals still open: 1."
    assert await forge(staff, f"a:up:{appeal.id}") == [NOT_OFFICE]

    said = await office.tap(f"a:up:{appeal.id}")
    assert said[-1].startswith("Uphold the appeal of 海悦物业?\n\nWe attended the meeting of 12 August")
    said = await office.send("The minutes show 海悦物业 attended.")
    assert said[0].startswith("The appeal of 海悦物业 is upheld, and the enterprise is told.")
    [appeal] = await appeals(app_db)
    assert (appeal.status, appeal.decision_note) == (
        AppealStatus.UPHELD,
        "The minutes show 海悦物业 attended.",
    )
    await deliver_outbox(app)
    assert telegram.texts_to(STAFF.id)[-1] == (
        "Your appeal against the assessment of 2026Q3 was upheld.\nNote: The minutes show 海悦物业 attended."
    )
    await office.send("/ranking 2026Q3")
    assert office.buttons()["Finalise"] == "rk:fin:2026Q3"


async def test_an_appeal_after_the_window_is_refused(
    app: RedPropApplication, street: GoldenStreet, chat: Any, app_db: Database, clock_file: str
) -> None:
    published = await publish(app_db, street)
    await deliver_outbox(app)
    move_clock(clock_file, timedelta(days=SCHEME.appeal_days, minutes=1))
    staff = chat(STAFF)
    closed = (published.published_at + timedelta(days=SCHEME.appeal_days)).astimezone(SHANGHAI).date()
    refusal = f"Appeals against 2026Q3 closed on {closed.isoformat()}."
    assert await staff.tap(f"a:ap:{published.id}:{street.a}") == [refusal]  # the notice's button
    await staff.send("/score 2026Q3")
    assert "Appeal" not in staff.buttons()
    assert await staff.send("Please look again.") == []  # no question was open
    assert await appeals(app_db) == []
    # Nobody but its staff appeals an enterprise's assessment, in the window or not.
    assert await forge(chat(INSTRUCTOR), f"a:ap:{published.id}:{street.a}") == [
        "Only the enterprise's own staff can appeal its assessment."
    ]
