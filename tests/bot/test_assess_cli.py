"""``redprop assess`` as the operator sees it, on the golden street (tests/models/assessment): the
ranking as a table, CSV and JSON, one enterprise explained, publish and finalise with their
refusals, and bad input refused in one line with exit code 2."""

from __future__ import annotations

import asyncio
import csv
import io
import json
import re
from fractions import Fraction
from pathlib import Path

import pytest
from sqlmodel import select

from bot.assess_cli import AssessRequest, assess
from bot.cli import main
from locales.i18n import current_locale, set_locale, use_locale
from models.assessment.scheme import AssessmentScheme
from models.assessment.tables import Assessment
from models.cases.tables import Case
from models.directory.tables import Street
from storage.database import Database
from tests.models.assessment.golden_street import (
    ADMIN_TG,
    INSTRUCTOR_TG,
    SHANGHAI,
    GoldenStreet,
    build_golden_street,
    record_golden_governance,
)

SCHEME = AssessmentScheme()
BAD_QUARTER = "Write the quarter like 2026Q3: a year from 2000 to 2100, Q, and 1 to 4."


@pytest.fixture
async def street(db: Database) -> GoldenStreet:
    street = await build_golden_street(db)
    await record_golden_governance(db, street, SCHEME)
    return street


async def run(
    db: Database, capsys: pytest.CaptureFixture[str], quarter: str = "2026Q3", **options: object
) -> tuple[int, str, str]:
    with use_locale("en"):
        code = await assess(db, AssessRequest(quarter=quarter, **options), scheme=SCHEME, tz=SHANGHAI)  # type: ignore[arg-type]
    captured = capsys.readouterr()
    return code, captured.out, captured.err


async def stored(db: Database) -> list[tuple[int, str]]:
    async with db.read() as session:
        rows = await session.exec(select(Assessment).order_by(Assessment.revision))  # type: ignore[arg-type]
        return [(row.revision, row.status.value) for row in rows]


async def test_the_table_ranks_and_sets_the_thin_ones_apart(
    db: Database, street: GoldenStreet, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = await run(db, capsys)
    assert (code, err) == (0, "")
    title, _, header, _rule, a, b, _, note, c = out.rstrip("\n").split("\n")
    assert title == (
        "Assessment of 2026Q3, 灵山卫街道: a draft computed from the data now (scheme lingshanwei-2026); "
        "not published yet."
    )
    assert re.split(r"\s{2,}", header) == [
        "Rank",
        "Enterprise",
        "Stars",
        "Score",
        "Service",
        "Participation",
        "Bonus",
        "Answers",
        "Cases",
        "Lists",
    ]
    assert a.split() == ["1", "海悦物业", "★★★★★", "90.3", "53.2", "35.2", "2.0", "19", "20", "red", "list"]
    assert b.split() == ["2", "鑫海物业", "★", "29.4", "19.4", "10.0", "0.0", "10", "10", "black", "list"]
    assert note == "Not ranked, too little data (fewer than 10 answers or 10 cases):"
    assert c.split()[:9] == ["-", "华庭物业", "★★★★", "81.0", "47.0", "34.0", "0.0", "3", "3"]
    assert c.endswith("black list (Serious safety incident)")


async def test_csv_and_json_carry_exact_fractions_and_the_rounded_score(
    db: Database, street: GoldenStreet, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _err = await run(db, capsys, fmt="csv")
    assert code == 0
    rows = {row["code"]: row for row in csv.DictReader(io.StringIO(out))}
    a = rows["hy"]
    assert (a["view"], a["rank"], a["score"], a["total"]) == ("draft", "1", "90.3", "4408570/48807")
    assert (a["items_satisfaction_k"], a["items_satisfaction_n"]) == ("18", "19")
    assert (a["items_satisfaction_rate"], a["items_satisfaction_points"]) == ("423/464", "18075/812")
    assert a["items_resolution_k"] == "37/2" and a["spot_checks_faults"] == "sanitation=3/2"
    assert (rows["ht"]["rank"], rows["ht"]["insufficient"], rows["ht"]["vetoes"]) == (
        "",
        "true",
        "safety_incident",
    )

    code, out, _err = await run(db, capsys, fmt="json")
    document = json.loads(out)
    assert (document["view"], document["status"], document["scheme_version"]) == (
        "draft",
        None,
        "lingshanwei-2026",
    )
    a, b, c = document["enterprises"]
    assert (a["code"], a["rank"], a["score"], Fraction(a["total"])) == (
        "hy",
        1,
        "90.3",
        Fraction(4408570, 48807),
    )
    assert a["items"]["on_time"] == {
        "k": "19",
        "n": 20,
        "own_rate": "19/20",
        "street_rate": "14/17",
        "m": 10,
        "rate": "463/510",
        "points": "3140/357",
    }
    assert a["attendance"] == {"done": 2, "of": 3, "points": "20/3"}
    assert a["by_duty"]["building_repair"]["on_time"]["k"] == "9"
    assert (b["score"], b["black"]) == ("29.4", True)
    assert (c["rank"], c["insufficient"], c["score"], c["vetoes"]) == (
        None,
        True,
        "81.0",
        ["safety_incident"],
    )


async def test_explain_lists_the_cases_behind_each_count(
    db: Database, street: GoldenStreet, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _err = await run(db, capsys, explain="hy")
    assert code == 0
    assert "  Resolved on time: 19 of 20 (95.0%); street 82.4%, m = 10: rate 90.8% → 8.8 of 10 points" in out
    assert "    ✗ LSW-2026-000020: due 2026-07-17 10:00, resolved 2026-07-18 10:00" in out
    assert "    ½ LSW-2026-000019 (round 1, answered 2026-07-30 10:00): Partly solved" in out
    # A1 counts once per answer item, by its second round; A20's answer (from a handler) never.
    assert out.count("LSW-2026-000001 (round 2") == 3 and "LSW-2026-000001 (round 1" not in out
    assert "LSW-2026-000020 (round" not in out and "LSW-2026-000021" not in out
    assert "  #10 2026Q3 Spot-check fault (Environmental sanitation): 1.5 points; recorded by Office" in out

    code, out, _err = await run(db, capsys, explain="XH", fmt="json")
    document = json.loads(out)
    on_time = {row["case"]: row["success"] for row in document["behind"]["on_time"]}
    assert on_time["LSW-2026-000022"] == "1" and len(on_time) == 11
    assert [row["case"] for row in document["behind"]["first_response"] if row["success"] == "0"] == [
        "LSW-2026-000031",
        "LSW-2026-000032",
    ]
    code, out, _err = await run(db, capsys, explain="hy", fmt="csv")
    rows = list(csv.DictReader(io.StringIO(out)))
    assert len([r for r in rows if r["item"] == "satisfaction"]) == 19


async def test_publish_then_finalise_then_a_rerun_with_a_reason(
    db: Database, street: GoldenStreet, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = await run(db, capsys, operation="publish")
    assert (code, err) == (0, "")
    assert out.startswith("Published 2026Q3 for 灵山卫街道, as Office;")
    code, _out, err = await run(db, capsys, operation="publish")
    assert (code, err.strip()) == (1, "2026Q3 is published already.")
    code, out, _err = await run(db, capsys)
    assert "a draft computed from the data now" in out and "published on" in out

    code, out, _err = await run(db, capsys, operation="finalise", acting=str(ADMIN_TG))
    assert (code, out.strip()) == (0, "Finalised 2026Q3 for 灵山卫街道, as Office: revision 1.")
    code, _out, err = await run(db, capsys, operation="finalise")
    assert (code, err.strip()) == (1, "2026Q3 is final already; to run it again, give the reason.")
    code, out, _err = await run(db, capsys, operation="finalise", reason="a late spot check")
    assert code == 0 and out.strip().endswith("revision 2.")
    assert await stored(db) == [(1, "finalised"), (2, "finalised")]

    code, out, _err = await run(db, capsys)
    title, reason = out.split("\n")[:2]
    assert title.startswith("Assessment of 2026Q3, 灵山卫街道: final, revision 2, finalised on ")
    assert reason == "Run again because: a late spot check"
    code, out, _err = await run(db, capsys, fmt="json")
    assert (json.loads(out)["view"], json.loads(out)["revision"]) == ("final", 2)


async def test_publish_and_finalise_refusals_change_nothing(
    db: Database, street: GoldenStreet, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _out, err = await run(db, capsys, operation="finalise")
    assert (code, err.strip()) == (1, "2026Q3 has not been published yet.")
    code, _out, err = await run(db, capsys, quarter="2100Q4", operation="publish")
    assert (code, err.strip()) == (1, "2100Q4 is not over yet; it can be published once it has ended.")
    code, _out, err = await run(db, capsys, operation="publish", acting=str(INSTRUCTOR_TG))
    assert (code, err.strip()) == (1, "Only the street property office can do this.")
    code, _out, err = await run(db, capsys, operation="publish", acting="777")
    assert (code, err.strip()) == (2, "No one in the directory has the Telegram id 777.")
    code, _out, err = await run(db, capsys, operation="publish", acting="me")
    assert (code, err.strip()) == (2, "--as takes a Telegram id, a number.")
    async with db.write() as session:
        session.add(Street(code="xj", name="薛家岛街道"))  # no office admin
    code, _out, err = await run(db, capsys, operation="publish")
    assert (code, err.strip()) == (2, "Name the street with --street: lsw, xj.")
    code, _out, err = await run(db, capsys, operation="publish", street="xj")
    assert (code, err.strip()) == (
        2,
        "薛家岛街道 has no street property office admin in the directory to act as.",
    )
    assert await stored(db) == []


@pytest.mark.parametrize("quarter", ["2026Q5", "1999Q1", "abc"])
async def test_a_malformed_quarter_is_one_line_and_exit_2(
    db: Database, street: GoldenStreet, capsys: pytest.CaptureFixture[str], quarter: str
) -> None:
    for operation in (None, "publish"):
        code, out, err = await run(db, capsys, quarter=quarter, operation=operation)
        assert (code, out, err) == (2, "", BAD_QUARTER + "\n")
    assert await stored(db) == []


async def test_unknown_codes_and_options_that_do_not_go_together(
    db: Database, street: GoldenStreet, capsys: pytest.CaptureFixture[str]
) -> None:
    cases = [
        ({"street": "nowhere"}, "No street has the code “nowhere”."),
        ({"explain": "zz"}, "No property enterprise with the code “zz” works in your street."),
        ({"fmt": "pdf"}, "Format must be one of: table, csv, json, xlsx"),
        ({"reason": "why"}, "--as and --reason go with publish or finalise."),
        ({"operation": "publish", "reason": "why"}, "--reason goes with finalise."),
        (
            {"operation": "publish", "fmt": "json"},
            "publish and finalise take only --quarter, --street, --as and --reason.",
        ),
        ({"operation": "delete"}, "Write publish or finalise, or nothing to see the assessment."),
        ({"explain": "hy", "fmt": "xlsx"}, "--explain prints a table, CSV or JSON, not a workbook."),
    ]
    for options, line in cases:
        code, out, err = await run(db, capsys, **options)
        assert (code, out, err) == (2, "", line + "\n"), options
    assert await stored(db) == []


def test_the_redprop_command_writes_json_and_a_workbook(
    database_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    async def fill() -> None:
        db = Database(database_url)
        await record_golden_governance(db, await build_golden_street(db), SCHEME)
        await db.dispose()

    asyncio.run(fill())
    base = [
        "--log-level",
        "WARNING",
        "--set",
        f"database.url={database_url}",
        "--set",
        "bot.default_locale=en",
    ]
    base.append("assess")
    locale = current_locale()
    try:
        assert main([*base, "--quarter", "2026Q3", "--format", "json"]) == 0
        document = json.loads(capsys.readouterr().out)
        assert [e["code"] for e in document["enterprises"]] == ["hy", "xh", "ht"]
        target = tmp_path / "q3.xlsx"
        assert main([*base, "--quarter", "2026Q3", "--format", "xlsx", "--output", str(target)]) == 0
        assert capsys.readouterr().out.strip() == f"The workbook is in {target}"
        assert target.read_bytes()[:2] == b"PK"
        assert main([*base, "--quarter", "2026Q5"]) == 2
        assert capsys.readouterr().err.strip() == BAD_QUARTER
    finally:
        set_locale(locale)


async def test_explain_after_finalisation_says_what_changed_in_the_data(
    db: Database, street: GoldenStreet, capsys: pytest.CaptureFixture[str]
) -> None:
    for operation in ("publish", "finalise"):
        assert (await run(db, capsys, operation=operation))[0] == 0
    async with db.write() as session:
        late = (await session.exec(select(Case).where(Case.number == "LSW-2026-000020"))).one()
        late.resolved_at = late.resolution_due_at  # corrected after the quarter was final
        session.add(late)
    code, out, _err = await run(db, capsys, explain="hy")
    assert code == 0
    assert out.split("\n")[0].startswith("Assessment of 2026Q3, 灵山卫街道: final, revision 1")
    assert "The data changed since finalisation: Resolved on time: 19 of 20 then, 20 of 20 now." in out.split(
        "\n"
    )
    # The numbers shown are the snapshot's; the case behind them is shown as it is now.
    assert "  Resolved on time: 19 of 20 (95.0%)" in out
    assert "    ✓ LSW-2026-000020: due 2026-07-17 10:00, resolved 2026-07-17 10:00" in out
