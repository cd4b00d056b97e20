"""The assessment's xlsx workbook opens with openpyxl and holds the golden street's numbers: scores
as numbers, exact fractions beside them, every record of the quarter with its reversal links,
and the appeals."""

from __future__ import annotations

import io
from datetime import timedelta
from fractions import Fraction
from typing import Any

from openpyxl import load_workbook
from openpyxl.worksheet.worksheet import Worksheet

from handlers.assessment_workbook import assessment_workbook
from locales.i18n import use_locale
from models.assessment.compute import assess_street
from models.assessment.lifecycle import publish_assessment
from models.assessment.scheme import AssessmentScheme
from models.assessment.tables import Appeal, AppealStatus
from storage.database import Database
from tests.models.assessment.golden_street import (
    AFTER,
    Q3,
    SHANGHAI,
    build_golden_street,
    record_golden_governance,
)

SCHEME = AssessmentScheme()


def rows(sheet: Worksheet) -> list[dict[str, Any]]:
    header, *body = sheet.iter_rows(values_only=True)
    return [dict(zip(header, row, strict=True)) for row in body]


async def test_the_workbook_holds_the_golden_numbers(db: Database) -> None:
    street = await build_golden_street(db)
    await record_golden_governance(db, street, SCHEME)
    async with db.write() as session:
        published = await publish_assessment(
            session=session,
            street_id=street.street,
            quarter=Q3,
            admin=street.admin,
            scheme=SCHEME,
            tz=SHANGHAI,
            now=AFTER,
        )
        session.add(
            Appeal(
                assessment_id=published.id or 0,
                enterprise_id=street.b,
                appellant_id=street.instructor.id or 0,
                text="两件工单被错记为逾期",
                created_at=AFTER + timedelta(days=1),
                status=AppealStatus.PENDING,
            )
        )
    async with db.read() as session:
        assessment = await assess_street(
            session=session, street_id=street.street, quarter=Q3, scheme=SCHEME, tz=SHANGHAI
        )
        codes = {street.a: "hy", street.b: "xh", street.c: "ht"}
        with use_locale("en"):
            data = await assessment_workbook(
                session,
                title="Assessment of 2026Q3",
                street_id=street.street,
                quarter=Q3,
                assessment=assessment,
                scheme=SCHEME,
                codes=codes,
                tz=SHANGHAI,
            )
    book = load_workbook(io.BytesIO(data))
    assert book.sheetnames == [
        "Ranking",
        "Items",
        "By duty",
        "Red list",
        "Black list",
        "Governance records",
        "Appeals",
        "About",
    ]
    assert {sheet.freeze_panes for sheet in book} == {"A2"}

    ranking = rows(book["Ranking"])
    assert [(r["Rank"], r["Code"], r["Score"], r["Stars"]) for r in ranking] == [
        (1, "hy", 90.3, 5),
        (2, "xh", 29.4, 1),
        (None, "ht", 81, 4),
    ]
    assert Fraction(ranking[0]["Total (exact)"]) == Fraction(4408570, 48807)
    assert book["Ranking"]["E2"].number_format == "0.0"
    assert book["Ranking"].column_dimensions["C"].width >= 10  # 海悦物业: four wide characters

    items = {(r["Enterprise"], r["Item"]): r for r in rows(book["Items"])}
    satisfaction = items[("海悦物业", "Satisfaction")]
    assert (satisfaction["Successes (k)"], satisfaction["Counted (n)"]) == (18, 19)
    assert (satisfaction["Rate (exact)"], satisfaction["Points (exact)"]) == ("423/464", "18075/812")
    assert abs(satisfaction["Points"] - 18075 / 812) < 1e-9
    assert items[("海悦物业", "Resolution")]["Successes (k)"] == 18.5
    attendance = items[("海悦物业", "Joint-meeting attendance")]
    assert (attendance["Successes (k)"], attendance["Counted (n)"], attendance["Points (exact)"]) == (
        2,
        3,
        "20/3",
    )
    duties = {(r["Enterprise"], r["Duty"], r["Item"]): r for r in rows(book["By duty"])}
    late = duties[("海悦物业", "Building and common-area repair", "Resolved on time")]
    assert (late["Successes (k)"], late["Counted (n)"]) == (9, 10)

    assert [r["Code"] for r in rows(book["Red list"])] == ["hy"]
    assert [(r["Code"], r["Why"]) for r in rows(book["Black list"])] == [
        ("xh", "under 60 points"),
        ("ht", "veto: Serious safety incident"),
    ]
    records = {r["Record"]: r for r in rows(book["Governance records"])}
    assert len(records) == 18  # every record of the quarter, counted or not
    assert (records[4]["Undone by record"], records[5]["Undoes record"]) == (5, 4)
    assert (records[12]["Status"], records[12]["Recorded by"]) == ("waiting for approval", "Instructor")
    assert (records[13]["Status"], records[13]["Decided by"], records[13]["Decision note"]) == (
        "rejected",
        "Office",
        "he was there",
    )
    assert records[10]["Points"] == 1.5 and records[10]["What"].startswith("Spot-check fault")
    (appeal,) = rows(book["Appeals"])
    assert (appeal["Code"], appeal["Revision"], appeal["Status"]) == ("xh", 1, "waiting for a decision")
    assert appeal["Made at"].isoformat() == "2026-10-03T10:00:00"  # Excel times are local, without a zone
