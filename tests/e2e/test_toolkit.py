"""The fund, answered suggestions and visits end to end: the real ``redprop run`` and the fake Bot API.

Two residents report roof leaks; the instructor applies for a repair grant linked to both; the
office asks for more, the instructor answers, the office approves; the residents are told their
repairs are funded. A second grant above what is left of the budget is refused. A resident's
suggestion is answered and adopted. The instructor records a visit and opens a case on the spot.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from bot.sandbox.updates import TelegramUser
from tests.e2e.case_loop import import_street, join, report, stop_cleanly
from tests.e2e.conftest import BotRunner
from tests.factories.ids import ADMIN_TG, INSTRUCTOR_TG, new_resident
from tests.fakes.chat import Chatter
from tests.fakes.server import FakeBotApiServer

FUNDED = "Repairs paid for by the property management fund"


def answer(
    chatter: Chatter,
    message: dict[str, Any],
    label: str,
    text: str,
    expect: str,
    prompt: str = "/cancel changes nothing.",
) -> None:
    """Tap a button that asks for words, send them, wait for ``expect``."""
    mark = chatter.tap(message, label)
    chatter.wait_text(prompt, since=mark)
    mark = chatter.send(text)
    chatter.wait_text(expect, since=mark)


def test_a_repair_grant_a_refused_overrun_an_adopted_suggestion_and_a_visit(
    bot: BotRunner, fake_api: FakeBotApiServer, database_url: str, tmp_path: Path
) -> None:
    import_street(database_url)
    process = bot.start(REDPROP_SURVEYS__QUIET_HOURS="")
    office = Chatter(fake_api, TelegramUser(ADMIN_TG, "Liu", "en"))
    wang = Chatter(fake_api, TelegramUser(INSTRUCTOR_TG, "Wang", "en"))
    for person in (office, wang):
        person.send("/language")
        person.press(person.wait_message("English"), "lang:en")
        person.wait_text("Language set to English.")
    li = Chatter(fake_api, TelegramUser(new_resident(1), "Li", "en"))
    ma = Chatter(fake_api, TelegramUser(new_resident(2), "Ma", "en"))
    join(li, "dfht", "东方华庭")
    join(ma, "dfht", "东方华庭")
    roof = report(li, category="leak", description="The roof over flat 301 leaks.")
    wall = report(ma, category="leak", description="The top-floor wall leaks in building 2.")

    mark = office.send("/fund budget repair 50000")
    office.wait_text("repair grant: 50,000.00 / 0.00 / 50,000.00", since=mark)
    mark = wang.send(f"/fund repair 36000 Roof waterproofing, warranty over: {roof} {wall}")
    draft = wang.wait_message("Submit", since=mark, contains=f"Linked cases: {roof}, {wall}")
    mark = wang.tap(draft, "Submit")
    wang.wait_text("Submitted to the street property office", since=mark)

    waiting = office.wait_message("Ask for more", contains="A fund application waits for your decision")
    answer(office, waiting, "Ask for more", "Which buildings?", "Asked.")
    asked = wang.wait_message("Answer", contains="asks for more information")
    mark = wang.mark()
    answer(wang, asked, "Answer", "Buildings 2 and 5.", "Sent. The application is with the office again.")
    again = office.wait_message("Approve", since=mark, contains="A fund application waits for your decision")
    answer(
        office,
        again,
        "Approve",
        "Approved for this year's waterproofing.",
        "Approved. The applicant is told.",
    )
    wang.wait_text("approved your fund application")
    assert roof in li.wait_text(FUNDED) and wall in ma.wait_text(FUNDED)

    # 14,000 left: 20,000 more is refused, and the application still waits.
    mark = wang.send("/fund repair 20000 The east roofs too")
    second = wang.wait_message("Submit", since=mark)
    mark = wang.tap(second, "Submit")
    wang.wait_text("Submitted", since=mark)
    waiting = office.wait_message("Approve", since=mark, contains="The east roofs too")
    answer(
        office, waiting, "Approve", "Yes.", "Only 14,000.00 yuan is left of this year's repair grant budget"
    )

    # A suggestion answered and adopted; the resident is told.
    mark = li.send("/suggest")
    li.wait_text("What would you like to suggest", since=mark)
    mark = li.send("Two benches by the east gate, please.")
    mark = li.tap(li.wait_message("Confirm", since=mark), "Confirm")
    li.wait_text("Thank you!", since=mark)
    suggestion = wang.wait_message("Adopt", contains="Two benches by the east gate")
    answer(wang, suggestion, "Adopt", "They go in next week.", "Answered. The resident is told.")
    li.wait_text("Your suggestion has an answer (adopted) from")

    # A visit, and a case opened on the spot.
    mark = wang.send("/visit dfht Walked the courtyards with the manager.")
    card = wang.wait_message("Open a case on the spot", since=mark)
    drain = "sewer The drain by gate 3 is blocked."
    answer(wang, card, "Open a case on the spot", drain, "opened; it went to", prompt="Send the category")
    stop_cleanly(bot, process)
