"""``redprop stats`` as the operator sees it: exactly the known rates, as a table, CSV or JSON."""

from __future__ import annotations

import asyncio
import csv
import io
import json
import re
from zoneinfo import ZoneInfo

import pytest

from bot.cli import main
from bot.stats_cli import print_stats
from locales.i18n import current_locale, set_locale, use_locale
from locales.i18n import display_width as width
from storage.database import Database
from tests.factories.world import World, make_world
from tests.stats_data import load_stats_data

SHANGHAI = ZoneInfo("Asia/Shanghai")


@pytest.fixture
async def world(db: Database) -> World:
    world = await make_world(db)
    await load_stats_data(db, world)
    return world


async def run(db: Database, capsys: pytest.CaptureFixture[str], **options: str) -> tuple[int, str, str]:
    arguments = {"period": "2026Q3", "by": "enterprise", "fmt": "table", **options}
    with use_locale("en"):
        code = await print_stats(db, tz=SHANGHAI, **arguments)
    captured = capsys.readouterr()
    return code, captured.out, captured.err


async def test_the_table_shows_the_known_rates_aligned(
    db: Database, world: World, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = await run(db, capsys)
    assert (code, err) == (0, "")
    title, header, rule, *rows = out.rstrip("\n").split("\n")
    assert title == "Numbers for 2026-07-01 to 2026-09-30"
    assert re.split(r"\s{2,}", header.strip())[:4] == [
        "Enterprise",
        "Surveys sent",
        "Answered",
        "Response rate",
    ]
    assert [row.split() for row in rows] == [
        ["海悦物业", "10", "8", "80.0%", "75.0%", "62.5%", "87.5%", "4", "33.3%", "25m", "66.7%", "25.0%"],
        ["滨海物业", "3", "3", "100.0%", "33.3%", "100.0%", "0.0%", "1", "-", "1h", "00m", "-", "0.0%"],
        ["No", "property", "enterprise", "1", "0", "0.0%", "-", "-", "-", "0", "-", "-", "-", "-"],
    ]
    # Right-aligned last column: every line is as wide as the rule, Chinese names included.
    assert {width(line) for line in [header, *rows]} == {width(rule)}


async def test_csv_and_json_carry_the_exact_fractions(
    db: Database, world: World, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = await run(db, capsys, fmt="csv", by="community")
    assert code == 0
    records = list(csv.DictReader(io.StringIO(out)))
    assert [record["name"] for record in records] == ["东方华庭", "北岸花园", "山后"]
    first = records[0]
    assert (first["group"], first["sent"], first["answered"]) == ("community", "10", "8")
    assert (float(first["satisfaction_rate"]), float(first["reopen_rate"])) == (0.625, 1 / 3)
    assert first["median_first_response_seconds"] == "1500"
    assert records[2]["resolution_rate"] == "" and records[2]["median_first_response_seconds"] == ""

    code, out, _ = await run(db, capsys, fmt="json", by="category")
    assert code == 0
    document = json.loads(out)
    assert (document["start"], document["end"], document["by"]) == (
        "2026-07-01T00:00:00+08:00",
        "2026-10-01T00:00:00+08:00",
        "category",
    )
    rows = {row["key"]: row for row in document["rows"]}
    assert rows["facilities"]["name"] == "Shared facilities and equipment"
    assert rows["facilities"]["pay_rate"] == 0.875
    assert rows["building_repair"]["resolution_rate"] == 1 / 3
    assert rows["sanitation"]["response_rate"] == 0.0 and rows["sanitation"]["pay_rate"] is None


async def test_bad_options_print_one_line_and_exit_2(
    db: Database, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = await run(db, capsys, period="2026Q9")
    assert (code, out) == (2, "")
    assert err.strip() == (
        "Write the period as a quarter (2026Q3), a month (2026-09) or FROM..TO (2026-07-01..2026-09-30)."
    )
    code, out, err = await run(db, capsys, by="planet")
    assert code == 2 and err.startswith("Group by one of: enterprise, community")


async def test_an_empty_period_says_so(
    db: Database, world: World, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = await run(db, capsys, period="2025-01")
    assert code == 0 and out.splitlines()[-1] == "No surveys or cases in this period."


def test_the_redprop_command_prints_them(database_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    async def fill() -> None:
        db = Database(database_url)
        await load_stats_data(db, await make_world(db))
        await db.dispose()

    asyncio.run(fill())
    locale = current_locale()
    try:
        code = main(
            ["--set", f"database.url={database_url}", "stats", "--period", "2026Q3", "--format", "json"]
        )
    finally:
        set_locale(locale)
    assert code == 0
    document = json.loads(capsys.readouterr().out)
    assert document["start"] == "2026-07-01T00:00:00+08:00"
    assert [(row["name"], row["response_rate"]) for row in document["rows"][:2]] == [
        ("海悦物业", 0.8),
        ("滨海物业", 1.0),
    ]
    assert (document["rows"][2]["key"], document["rows"][2]["response_rate"]) == (None, 0.0)
