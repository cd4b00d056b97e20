"""/stats in the chat: the office admin sees the street, a committee member their community only,
a resident is refused."""

from __future__ import annotations

import re
from typing import Any

import pytest

from bot.sandbox.telegram import FakeTelegram
from bot.sandbox.updates import TelegramUser, callback_update
from handlers.context import RedPropApplication
from storage.database import Database
from tests.factories.ids import ADMIN_TG, BARE_COMMITTEE_TG, RESIDENT_TG
from tests.factories.world import World, make_world
from tests.stats_data import load_stats_data

ADMIN = TelegramUser(ADMIN_TG, "Zhou", "en")
COMMITTEE = TelegramUser(BARE_COMMITTEE_TG, "Sun", "en")
RESIDENT = TelegramUser(RESIDENT_TG, "Li", "en")

EAST_BLOCK = """海悦物业
Response: 80.0% (8 of 10 surveys)
Solved: 75.0%
Satisfied: 62.5%
Will pay the property fee: 87.5%
Reopened: 33.3% of 3 resolved cases
First response (median): 25m
Resolved on time: 66.7%"""
NO_ENTERPRISE_BLOCK = """No property enterprise
Response: 0.0% (0 of 1 surveys)
Solved: -
Satisfied: -
Will pay the property fee: -
Reopened: - of 0 resolved cases
First response (median): -
Resolved on time: -"""


@pytest.fixture
async def world(app_db: Database) -> World:
    world = await make_world(app_db)
    await load_stats_data(app_db, world)
    return world


async def test_the_office_admin_sees_the_street_by_enterprise_and_a_chart(
    app: RedPropApplication, world: World, chat: Any, telegram: FakeTelegram
) -> None:
    said = await chat(ADMIN).send("/stats 2026Q3")
    [text] = said
    blocks = text.split("\n\n")
    assert blocks[0] == "Survey numbers for 灵山卫街道, 2026Q3"
    assert blocks[1] == EAST_BLOCK
    assert blocks[2].startswith(
        "滨海物业\nResponse: 100.0% (3 of 3 surveys)\nSolved: 33.3%\nSatisfied: 100.0%"
    )
    assert blocks[3] == NO_ENTERPRISE_BLOCK
    assert len(telegram.calls_of("sendPhoto", ADMIN_TG)) == 1
    buttons = chat(ADMIN).buttons()
    # The other periods on offer (which ones depends on today's date), never the one shown.
    assert (
        {"This quarter", "This month"} <= set(buttons) <= {"This quarter", "Previous quarter", "This month"}
    )
    assert "st:2026Q3" not in buttons.values()
    assert all(re.fullmatch(r"st:(\d{4}Q[1-4]|\d{4}-\d{2})", data) for data in buttons.values())


async def test_a_committee_member_sees_only_their_community(
    app: RedPropApplication, world: World, chat: Any, telegram: FakeTelegram
) -> None:
    [text] = await chat(COMMITTEE).send("/stats 2026Q3")
    assert text == "Survey numbers for 山后, 2026Q3\n\n" + NO_ENTERPRISE_BLOCK
    assert "海悦物业" not in text
    assert telegram.calls_of("sendPhoto", BARE_COMMITTEE_TG) == []  # nothing answered: nothing to chart


async def test_a_resident_is_refused_and_a_button_press_is_checked_again(
    app: RedPropApplication, world: World, chat: Any, telegram: FakeTelegram
) -> None:
    refusal = "These numbers are for the street property office and the community party committees."
    assert await chat(RESIDENT).send("/stats") == [refusal]
    assert await chat(RESIDENT).send("/stats 2026Q3") == [refusal]
    await chat(ADMIN).send("/stats 2026Q3")
    message = chat(ADMIN).last_message_with_buttons()
    await chat(RESIDENT).feed(
        callback_update(RESIDENT, "st:2026Q3", {**message, "chat": RESIDENT.private_chat()})
    )
    answers = telegram.calls_of("answerCallbackQuery")
    assert answers[-1].params.get("text") == refusal
    assert telegram.calls_of("sendPhoto", RESIDENT_TG) == []


async def test_a_period_button_shows_that_period(
    app: RedPropApplication, world: World, chat: Any, telegram: FakeTelegram
) -> None:
    admin = chat(ADMIN)
    await admin.send("/stats 2026Q3")
    said = await admin.tap("st:2026-07")
    assert said[0].startswith("Survey numbers for 灵山卫街道, 2026-07")
    assert len(telegram.calls_of("sendPhoto", ADMIN_TG)) == 2
