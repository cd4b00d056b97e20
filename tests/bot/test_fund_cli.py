"""``redprop fund report``: the street's fund of a year as a table, exact CSV and an xlsx
workbook; bad input refused with exit code 2."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from openpyxl import load_workbook

from bot.fund_cli import fund_report
from locales.i18n import use_locale
from models.directory.tables import Person
from models.fund.applications import FundDraft, create_draft, submit_application
from models.fund.budgets import set_budget
from models.fund.decisions import Decision, decide_application
from models.fund.tables import FundType
from storage.database import Database
from tests.factories.world import World, make_world

SHANGHAI = ZoneInfo("Asia/Shanghai")
# 1 a.m. on 1 January in Shanghai: still 2026 in UTC, already 2027 on the street's calendar.
NEW_YEAR = datetime(2026, 12, 31, 17, 0, tzinfo=UTC)
JUNE = datetime(2026, 6, 1, 2, 0, tzinfo=UTC)
BUDGETS = {"reward": 0, "subsidy": 500_000_00, "party_building": 0, "repair": 0}


async def grant(
    db: Database,
    world: World,
    fund_type: FundType,
    fen: int,
    decision: Decision,
    when: datetime,
    part: int | None = None,
) -> None:
    async with db.write() as session:
        applicant = await session.get(Person, world.instructor.id)
        admin = await session.get(Person, world.admin.id)
        assert applicant is not None and admin is not None
        draft = FundDraft(fund_type, fen, "Roof waterproofing")
        application = await create_draft(session=session, applicant=applicant, draft=draft, now=when)
        await submit_application(
            session=session, application_id=application.id or 0, applicant=applicant, now=when
        )
        await decide_application(
            session=session,
            application_id=application.id or 0,
            admin=admin,
            decision=decision,
            note="ok",
            now=when,
            tz=SHANGHAI,
            budgets=BUDGETS,
            part_fen=part,
        )


@pytest.fixture
async def world(db: Database) -> World:
    world = await make_world(db)
    async with db.write() as session:
        admin = await session.get(Person, world.admin.id)
        assert admin is not None
        await set_budget(
            session=session,
            admin=admin,
            street_id=world.street,
            year=2026,
            fund_type=FundType.REPAIR,
            amount_fen=100_000_00,
            now=JUNE,
        )
    await grant(db, world, FundType.REPAIR, 36_000_50, Decision.APPROVE, JUNE)
    await grant(db, world, FundType.REPAIR, 50_000_00, Decision.PARTLY, JUNE, part=20_000_01)
    await grant(db, world, FundType.SUBSIDY, 1_000_00, Decision.REJECT, JUNE)
    await grant(db, world, FundType.SUBSIDY, 2_000_00, Decision.APPROVE, NEW_YEAR)  # counts in 2027
    return world


async def run(db: Database, capsys: pytest.CaptureFixture[str], **options: object) -> tuple[int, str, str]:
    with use_locale("en"):
        code = await fund_report(db, configured=BUDGETS, tz=SHANGHAI, **options)  # type: ignore[arg-type]
    captured = capsys.readouterr()
    return code, captured.out, captured.err


async def test_the_year_in_exact_fen_as_csv_and_table(
    db: Database, world: World, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = await run(db, capsys, year=2026, street="lsw", fmt="csv", output=None)
    assert (code, err) == (0, "")
    rows = list(csv.reader(io.StringIO(out)))
    assert rows == [
        ["fund_type", "budget", "granted", "left", "decided", "granted_applications", "rejected", "asked"],
        ["reward", "0.00", "0.00", "0.00", "0", "0", "0", "0.00"],
        ["subsidy", "500000.00", "0.00", "500000.00", "1", "0", "1", "0.00"],
        ["party_building", "0.00", "0.00", "0.00", "0", "0", "0", "0.00"],
        ["repair", "100000.00", "56000.51", "43999.49", "2", "2", "0", "86000.50"],
    ]
    code, out, _err = await run(db, capsys, year=2027, street="lsw", fmt="table", output=None)
    assert code == 0
    assert out.startswith("Property management fund of 灵山卫街道, 2027 (yuan)\n")
    assert "subsidy" in out and "2,000.00" in out and "Applications decided in 2027:" in out


async def test_the_workbook_and_bad_input(
    db: Database, world: World, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    path = tmp_path / "fund.xlsx"
    code, out, _err = await run(db, capsys, year=2026, street="lsw", fmt="xlsx", output=path)
    assert (code, out) == (0, f"Written to {path}\n")
    book = load_workbook(path)
    assert book.sheetnames == ["Fund by type", "Fund applications"]
    repair = [row for row in book["Fund by type"].iter_rows(values_only=True) if row[0] == "repair grant"]
    assert repair == [("repair grant", 100000.0, 56000.51, 43999.49, 2, 2, 0, 86000.5)]
    assert book["Fund applications"].max_row == 4  # the header and three decided in 2026
    assert await run(db, capsys, year=1999, street="lsw", fmt="csv", output=None) == (
        2,
        "",
        "Write the year like 2026 (2000 to 2100).\n",
    )
    assert await run(db, capsys, year=2026, street="zz", fmt="csv", output=None) == (
        2,
        "",
        "No street has the code “zz”.\n",
    )
