"""SIGKILL in the middle of /report, and between two taps on Confirm: nothing lost, nothing doubled.

The bot is killed with SIGKILL (no shutdown hook runs) and started again on the same
database. Telegram may hand the last update to the new process again; the resident must
still carry on where they were, and the database must hold exactly the one case the
resident was told about.
"""

from __future__ import annotations

import signal
import time

from bot.sandbox.telegram import Call
from bot.sandbox.updates import TelegramUser
from tests.e2e.case_loop import (
    cases_reported_by,
    confirm,
    confirm_data,
    count_cases,
    finish_report,
    import_street,
    join,
    photo,
    report,
    send_photo,
    start_report,
    stop_cleanly,
    told_number,
)
from tests.e2e.conftest import BotProcess, BotRunner
from tests.factories.ids import INSTRUCTOR_TG, stranger
from tests.fakes.chat import WAIT, Chatter
from tests.fakes.server import FakeBotApiServer

SETTLE = 2.0  # seconds between the last reply and the SIGKILL


def sigkill(process: BotProcess) -> None:
    process.process.send_signal(signal.SIGKILL)
    assert process.process.wait(5) == -signal.SIGKILL


def test_a_report_survives_sigkill_at_the_photos_and_at_the_summary(
    bot: BotRunner, fake_api: FakeBotApiServer, database_url: str
) -> None:
    import_street(database_url)
    process = bot.start()
    resident = Chatter(fake_api, TelegramUser(stranger(1), "Erin", "en"))
    join(resident, "dfht", "东方华庭")
    description = "The drain in front of building 6 overflows."
    start_report(resident, category="sewer", description=description)
    send_photo(resident, "drain-1")

    time.sleep(SETTLE)
    sigkill(process)
    process = bot.start()

    mark = resident.send(photo=photo("drain-2"))
    # "Photo 2": the draft kept the first photo. Telegram may deliver the first photo's update
    # again after the kill; its answer still says "Photo 1", as it is not counted twice.
    resident.wait_text("Photo 2 received (up to 5).", since=mark)
    answer = resident.wait_message("Done", since=mark, contains="Photo 2 received")
    assert not any(text.startswith("Photo 3") for text in resident.texts(since=mark))
    summary = finish_report(resident, answer, location=(35.9, 120.2))
    assert "Photos: " in summary["text"] and description in summary["text"]

    time.sleep(SETTLE)
    sigkill(process)
    process = bot.start()

    number = confirm(resident, summary)
    [case] = cases_reported_by(database_url, resident.id)
    assert case.number == number
    assert case.description == description
    assert set(case.photos) == {"drain-1", "drain-2"}
    assert (case.latitude, case.longitude) == (35.9, 120.2)
    # The new process delivers the card (in Chinese: the instructor never set a language).
    card = fake_api.wait_for_call(
        "sendMessage",
        lambda call: call.chat_id == INSTRUCTOR_TG and number in str(call.params.get("text")),
        timeout=WAIT,
    )
    assert description in card.params["text"]
    stop_cleanly(bot, process)


def test_confirm_tapped_again_after_sigkill_makes_no_second_case(
    bot: BotRunner, fake_api: FakeBotApiServer, database_url: str
) -> None:
    import_street(database_url)
    process = bot.start()
    resident = Chatter(fake_api, TelegramUser(stranger(1), "Frank", "en"))
    join(resident, "dfht", "东方华庭")
    answer = start_report(resident, category="greening", description="The hedge by gate 2 is dead.")
    summary = finish_report(resident, answer, location=None)

    mark = resident.press(summary, confirm_data(summary))
    number = told_number(resident, mark)
    sigkill(process)  # right after the receipt: the chat state may not have been written yet
    process = bot.start()

    mark = resident.press(summary, confirm_data(summary))

    def names_the_case(call: Call) -> bool:
        if call.method == "answerCallbackQuery":
            return number in str(call.params.get("text", ""))
        return call.chat_id == resident.id and number in str(call.params.get("text", ""))

    again = resident.wait_call(
        ("answerCallbackQuery", "sendMessage", "editMessageText"), names_the_case, since=mark
    )
    if again.method == "answerCallbackQuery":
        assert again.params["text"] == f"This report was already sent as case {number}."
    else:
        assert again.params["text"].startswith(f"Thank you! Your case number is {number}.")

    [case] = cases_reported_by(database_url, resident.id)
    assert case.number == number
    assert count_cases(database_url) == 1
    # And the next report gets the next number.
    second = report(resident, category="other", description="A street lamp by gate 2 is out.")
    assert [case.number for case in cases_reported_by(database_url, resident.id)] == [number, second]
    assert second != number
    stop_cleanly(bot, process)


def test_a_draft_that_expired_while_the_bot_was_down_is_discarded_with_a_message_at_start(
    bot: BotRunner, fake_api: FakeBotApiServer, database_url: str
) -> None:
    import_street(database_url)
    expiry = {"REDPROP_CASES__DRAFT_EXPIRY": "3s"}
    process = bot.start(**expiry)
    resident = Chatter(fake_api, TelegramUser(stranger(1), "Gus", "en"))
    join(resident, "dfht", "东方华庭")
    start_report(resident, category="leak", description="The roof of building 2 leaks.")

    time.sleep(SETTLE)
    sigkill(process)
    time.sleep(3)  # the draft expires while no bot runs
    mark = fake_api.mark()
    process = bot.start(**expiry)

    told = "Your unfinished report was discarded after 3 seconds. Send /report to start again."
    assert resident.wait_text("discarded", since=mark) == told
    time.sleep(1)  # the job runs again meanwhile: still told only once
    assert resident.texts(since=mark) == [told]
    assert count_cases(database_url) == 0
    stop_cleanly(bot, process)
