"""Surveys end to end, against the real ``redprop run`` with second-long durations.

Cases are resolved in the test process (with the domain, as the instructor's Resolve does)
with a 2-second survey delay; the bot's survey job (every second, no quiet hours) sends the
surveys, a reminder after 2 seconds and closes them after 4. Then the kill tests: 500 surveys
due at start, SIGKILL while they go out, restart: each resident has exactly one when the bot
alone was killed, at most one when its outbox worker died with it.
"""

from __future__ import annotations

import signal
import time
from datetime import timedelta

from bot.sandbox.updates import TelegramUser
from tests.e2e.case_loop import import_street
from tests.e2e.conftest import BotProcess, BotRunner
from tests.e2e.survey_setup import QUESTION, ask_rows, resolve_cases, survey_of, surveys_delivered
from tests.factories.ids import INSTRUCTOR_TG, new_resident
from tests.fakes.chat import Chatter
from tests.fakes.server import FakeBotApiServer

SHORT = {
    "REDPROP_SURVEYS__DELAY": "2s",
    "REDPROP_SURVEYS__REMINDER_AFTER": "2s",
    "REDPROP_SURVEYS__EXPIRE_AFTER": "4s",
    "REDPROP_SURVEYS__CHECK_INTERVAL": "1s",
    "REDPROP_SURVEYS__QUIET_HOURS": "",
}


def test_answered_reopened_and_unanswered_surveys(
    bot: BotRunner, fake_api: FakeBotApiServer, database_url: str
) -> None:
    import_street(database_url)
    alice = Chatter(fake_api, TelegramUser(new_resident(1), "Alice", "en"))
    bob = Chatter(fake_api, TelegramUser(new_resident(2), "Bob", "en"))
    carol = Chatter(fake_api, TelegramUser(new_resident(3), "Carol", "en"))
    numbers = resolve_cases(
        database_url,
        [(alice.id, "Alice"), (bob.id, "Bob"), (carol.id, "Carol")],
        survey_delay=timedelta(seconds=2),
    )
    process = bot.start(**SHORT)

    # Alice: Solved, 5 stars, willing to pay, a comment; the case closes.
    asked = alice.wait_message("Solved", contains=QUESTION)
    assert asked["text"] == f"Case {numbers[0]} was resolved: The lift is repaired.\n\n{QUESTION}"
    mark = alice.tap(asked, "Solved")
    stars = alice.wait_message("5★", since=mark)
    mark = alice.tap(stars, "5★")
    pay = alice.wait_message("Yes", since=mark, contains="Are you willing to pay")
    mark = alice.tap(pay, "Yes")
    alice.wait_message("Skip", since=mark, contains="Any comment?")
    mark = alice.send("Quick and tidy, thank you.")
    alice.wait_text(f"Thank you for your answers! Case {numbers[0]} is now closed.", since=mark)

    # Bob: Not solved; the case reopens with the instructor, who gets its card.
    asked = bob.wait_message("Not solved", contains=QUESTION)
    owner_mark = fake_api.mark()
    mark = bob.tap(asked, "Not solved")
    bob.wait_message("1★", since=mark)
    fake_api.wait_for_text(INSTRUCTOR_TG, numbers[1], timeout=10, since=owner_mark)

    # Carol never answers: one reminder, then the survey closes.
    carol.wait_message("Solved", contains=QUESTION)
    carol.wait_text("A reminder: we would like to hear from you.", timeout=10)

    def expired() -> bool:
        return survey_of(database_url, carol.id).status == "expired"

    fake_api.wait_for(expired, timeout=15, what="Carol's survey to expire")
    time.sleep(2.5)  # more checks run: still no second reminder
    assert [text for text in carol.texts() if text.startswith("A reminder")] == [
        f"A reminder: we would like to hear from you. Case {numbers[2]} was resolved: The lift is repaired."
        f"\n\n{QUESTION}"
    ]
    assert sum(QUESTION in text for text in carol.texts()) == 2  # the survey and the reminder

    row = survey_of(database_url, alice.id)
    assert (row.status, row.solved, row.stars, row.willing_to_pay, row.comment, row.case_status) == (
        "answered",
        "solved",
        5,
        True,
        "Quick and tidy, thank you.",
        "closed",
    )
    row = survey_of(database_url, bob.id)
    assert (row.solved, row.case_status, row.case_owner_telegram_id) == ("not", "reopened", INSTRUCTOR_TG)
    assert survey_of(database_url, carol.id).case_status == "closed"
    assert process.stop() == 0


def sigkill(process: BotProcess) -> None:
    """SIGKILL the bot process alone, as the kernel's OOM killer or ``kill -9 PID`` does."""
    process.process.send_signal(signal.SIGKILL)
    assert process.process.wait(5) == -signal.SIGKILL


def _five_hundred_due(bot: BotRunner, database_url: str) -> set[int]:
    """500 residents whose resolved cases have their surveys due now; their chat ids."""
    import_street(database_url)
    residents = [(new_resident(1 + index), f"Resident {index}") for index in range(500)]
    resolve_cases(database_url, residents, survey_delay=timedelta(0))
    return {telegram_id for telegram_id, _name in residents}


def test_five_hundred_due_surveys_survive_sigkill_of_the_bot_each_sent_exactly_once(
    bot: BotRunner, fake_api: FakeBotApiServer, database_url: str
) -> None:
    """The bot is SIGKILLed while 500 surveys go out, then started again: every resident gets
    exactly one survey. The outbox worker sees the bot gone, finishes the requests on the wire,
    records them and hands back the rest, which the new bot's worker sends; nothing is uncertain."""
    chats = _five_hundred_due(bot, database_url)
    env = {"REDPROP_SURVEYS__CHECK_INTERVAL": "1s", "REDPROP_SURVEYS__QUIET_HOURS": ""}

    process = bot.start(**env)
    fake_api.wait_for(lambda: len(surveys_delivered(fake_api, chats)) >= 50, timeout=30, what="50 surveys")
    sigkill(process)
    assert len(surveys_delivered(fake_api, chats)) < 500, "all were sent before the kill: nothing tested"

    process = bot.start(**env)
    fake_api.wait_for(
        lambda: len(surveys_delivered(fake_api, chats)) == 500, timeout=90, what="all 500 surveys"
    )
    time.sleep(3)  # a few more job runs and sender polls: nothing is sent twice
    counts = surveys_delivered(fake_api, chats)
    assert {chat: count for chat, count in counts.items() if count != 1} == {}
    assert ask_rows(database_url, "sent") == chats
    assert ask_rows(database_url, "uncertain") == set()
    assert process.stop() == 0


def test_five_hundred_due_surveys_survive_sigkill_of_bot_and_worker_each_sent_at_most_once(
    bot: BotRunner, fake_api: FakeBotApiServer, database_url: str
) -> None:
    """The bot and its outbox worker are SIGKILLed together while 500 surveys go out: after the
    restart nobody has two, and everyone has one except a resident whose survey was on the
    wire at the kill and did not reach Telegram.

    Such a row was marked "sending" and is now marked "uncertain", never resent, since Telegram
    cannot tell whether it arrived. The resident's survey stays open, so the one reminder still
    asks them.
    """
    chats = _five_hundred_due(bot, database_url)
    # A short lease: the rows the killed worker had claimed (not sent) are free 10s later.
    env = {
        "REDPROP_SURVEYS__CHECK_INTERVAL": "1s",
        "REDPROP_SURVEYS__QUIET_HOURS": "",
        "REDPROP_OUTBOX__LEASE": "10s",
    }

    process = bot.start(**env)
    fake_api.wait_for(lambda: len(surveys_delivered(fake_api, chats)) >= 50, timeout=30, what="50 surveys")
    process.kill_all()
    assert len(surveys_delivered(fake_api, chats)) < 500, "all were sent before the kill: nothing tested"

    process = bot.start(**env)
    fake_api.wait_for(lambda: not ask_rows(database_url, "pending"), timeout=90, what="the outbox to drain")
    time.sleep(3)  # a few more job runs and sender polls: nothing is sent twice
    counts = surveys_delivered(fake_api, chats)
    assert {chat: count for chat, count in counts.items() if count != 1} == {}
    missing = chats - set(counts)
    uncertain = ask_rows(database_url, "uncertain")
    assert missing <= uncertain  # never lost without the database knowing
    assert len(uncertain) <= 30  # at most what was on the wire (the sender's concurrency)
    assert ask_rows(database_url, "sent") | uncertain == chats
    for chat in missing:
        assert survey_of(database_url, chat).status == "sent"  # open: the reminder will ask
    assert process.stop() == 0


def test_five_hundred_due_surveys_survive_a_stop_and_restart_each_sent_exactly_once(
    bot: BotRunner, fake_api: FakeBotApiServer, database_url: str
) -> None:
    """Stopped (SIGTERM, as a service manager does) while 500 surveys go out, then started
    again: every resident gets exactly one survey. The sender lets requests already on the
    wire finish and hands back what it had claimed, so nothing is uncertain."""
    chats = _five_hundred_due(bot, database_url)
    env = {"REDPROP_SURVEYS__CHECK_INTERVAL": "1s", "REDPROP_SURVEYS__QUIET_HOURS": ""}

    process = bot.start(**env)
    fake_api.wait_for(lambda: len(surveys_delivered(fake_api, chats)) >= 50, timeout=30, what="50 surveys")
    assert process.stop() == 0
    assert len(surveys_delivered(fake_api, chats)) < 500, "all were sent before the stop: nothing tested"
    assert ask_rows(database_url, "uncertain") == set()

    process = bot.start(**env)
    fake_api.wait_for(
        lambda: len(surveys_delivered(fake_api, chats)) == 500, timeout=90, what="all 500 surveys"
    )
    time.sleep(3)  # a few more job runs and sender polls: nothing is sent twice
    counts = surveys_delivered(fake_api, chats)
    assert set(counts) == chats
    assert {chat: count for chat, count in counts.items() if count != 1} == {}
    assert process.stop() == 0
