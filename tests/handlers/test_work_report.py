"""/workreport for a street office admin: the message, the chart and the workbook of a generated
year; someone else is refused; redprop report gives the same numbers as JSON."""

from __future__ import annotations

import io
import json
from typing import Any

import pytest
from openpyxl import load_workbook

from bot.report_cli import print_report
from bot.sandbox.telegram import FakeTelegram
from bot.sandbox.updates import TelegramUser
from handlers.context import RedPropApplication
from handlers.work_report_workbook import report_workbook
from locales.i18n import use_locale
from models.periods import parse_period
from models.report.breakdown import breakdown
from models.report.work import work_report
from storage.database import Database
from tests.factories.ids import ADMIN_TG, INSTRUCTOR_TG
from tests.factories.world import World, make_world
from tests.models.report.generated_year import SHANGHAI, generate_year

ADMIN = TelegramUser(ADMIN_TG, "刘主任", "en")


@pytest.fixture
async def world(app_db: Database) -> World:
    world = await make_world(app_db)
    await generate_year(app_db, world)
    return world


async def test_the_office_gets_the_message_chart_and_workbook(
    app: RedPropApplication, world: World, chat: Any, telegram: FakeTelegram, app_db: Database, capsys: Any
) -> None:
    office = chat(ADMIN)
    [text] = await office.send("/workreport 2026")
    assert text.startswith("Work report of 灵山卫街道, 2026\n\nSuggestions: ")
    assert telegram.calls_of("sendPhoto", ADMIN_TG)  # the chart
    assert len(telegram.calls_of("sendDocument", ADMIN_TG)) == 1  # the workbook
    with use_locale("en"):
        code = await print_report(app_db, period="2026", street="lsw", fmt="json", output=None, tz=SHANGHAI)
    numbers = json.loads(capsys.readouterr().out)
    assert code == 0
    assert f"Problems solved: {numbers['problems_solved']} (cases reported: {numbers['cases']})" in text
    collected = numbers["suggestions"]["collected"]
    meetings = numbers["meetings"]
    assert meetings["held"] and meetings["decisions_closed"]  # the generated year holds both
    assert (
        f"Affairs Hall: {meetings['held']} meetings held, {meetings['decisions_closed']} decisions closed"
        in text
    )
    assert f"Suggestions: {collected} collected, {numbers['suggestions']['answered']} answered" in text
    start, end = parse_period("2026-01-01..2026-12-31", SHANGHAI)
    async with app_db.read() as session:
        report = await work_report(
            session=session, street_id=world.street, period="2026", start=start, end=end
        )
        rows = await breakdown(session=session, street_id=world.street, start=start, end=end, tz=SHANGHAI)
    with use_locale("en"):
        book = load_workbook(io.BytesIO(report_workbook(report, rows)))
    # Per community and per instructor, the rows add up to the street's totals.
    for sheet in ("Suggestions by community", "Suggestions by instructor"):
        lines = list(book[sheet].iter_rows(min_row=2, values_only=True))
        assert sum(line[1] for line in lines) == collected
        assert sum(line[3] for line in lines) == numbers["suggestions"]["adopted"]
    visits = list(book["Visits"].iter_rows(min_row=2, values_only=True))
    assert sum(line[2] for line in visits) == numbers["visits"]["visits"]
    assert {line[0] for line in visits} <= {"王指导员", "赵指导员"}
    summary = {row[0]: row[1] for row in book["Summary"].iter_rows(min_row=2, values_only=True)}
    assert summary["problems solved"] == numbers["problems_solved"]
    assert summary["suggestions collected"] == collected
    assert summary["Affairs Hall meetings held"] == meetings["held"]
    assert summary["Affairs Hall decisions closed"] == meetings["decisions_closed"]
    assert await chat(TelegramUser(INSTRUCTOR_TG, "王指导员", "en")).send("/workreport") == [
        "Only the street property office can do this."
    ]
    assert await office.send("/workreport 2026Q5") == ["Name a year (2026) or a quarter (2026Q3)."]
