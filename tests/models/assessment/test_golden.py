"""The golden example: a street of three enterprises built by hand (golden_street.py), and every
item's points worked out by hand below, as exact fractions. The same on SQLite and PostgreSQL.

The street's own rates (p0) over its counted answers and cases, all three enterprises together:
satisfaction 27/32 (A 18/19, B 6/10, C 3/3), resolution 29/32 (A 18.5/19, B 7.5/10, C 3/3),
willingness to pay 13/16 (A 18/19, B 5/10, C 3/3), on time 14/17 (A 19/20, B 6/11, C 3/3),
first response 31/33 (A 20/20, B 8/10, C 3/3). Shrinkage m = 10: rate = (k + 10·p0)/(n + 10).
"""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

import pytest

from models.assessment.compute import StreetAssessment, assess_street, from_snapshot, to_snapshot
from models.assessment.scheme import AssessmentScheme, PartyItem, ServiceItem
from storage.database import Database
from tests.models.assessment.golden_street import (
    Q3,
    SHANGHAI,
    GoldenStreet,
    build_golden_street,
    record_golden_governance,
)

SCHEME = AssessmentScheme()

# Hand-worked: A's satisfaction is (18 + 10·27/32)/(19 + 10) = 423/464, worth
# 25 × (423/464 − 0.60)/(0.95 − 0.60) = 18075/812 points; and so on for every item.
EXPECTED_SERVICE = {
    "A": {
        ServiceItem.SATISFACTION: (Fraction(423, 464), Fraction(18075, 812)),
        ServiceItem.RESOLUTION: (Fraction(441, 464), Fraction(1245, 116)),
        ServiceItem.WILLING_TO_PAY: (Fraction(209, 232), Fraction(1396, 203)),
        ServiceItem.ON_TIME: (Fraction(463, 510), Fraction(3140, 357)),
        ServiceItem.FIRST_RESPONSE: (Fraction(97, 99), Fraction(445, 99)),
    },
    "B": {
        ServiceItem.SATISFACTION: (Fraction(231, 320), Fraction(975, 112)),
        ServiceItem.RESOLUTION: (Fraction(53, 64), Fraction(615, 112)),
        ServiceItem.WILLING_TO_PAY: (Fraction(21, 32), Fraction(9, 7)),
        ServiceItem.ON_TIME: (Fraction(242, 357), Fraction(5560, 2499)),
        ServiceItem.FIRST_RESPONSE: (Fraction(287, 330), Fraction(115, 66)),
    },
    "C": {
        ServiceItem.SATISFACTION: (Fraction(183, 208), Fraction(7275, 364)),
        ServiceItem.RESOLUTION: (Fraction(193, 208), Fraction(3555, 364)),
        ServiceItem.WILLING_TO_PAY: (Fraction(89, 104), Fraction(76, 13)),
        ServiceItem.ON_TIME: (Fraction(191, 221), Fraction(11680, 1547)),
        ServiceItem.FIRST_RESPONSE: (Fraction(409, 429), Fraction(1645, 429)),
    },
}
EXPECTED_COUNTS = {  # (k, n) of each item, from the rows
    "A": {
        ServiceItem.SATISFACTION: (18, 19),
        ServiceItem.RESOLUTION: (Fraction(37, 2), 19),
        ServiceItem.WILLING_TO_PAY: (18, 19),
        ServiceItem.ON_TIME: (19, 20),
        ServiceItem.FIRST_RESPONSE: (20, 20),
    },
    "B": {
        ServiceItem.SATISFACTION: (6, 10),
        ServiceItem.RESOLUTION: (Fraction(15, 2), 10),
        ServiceItem.WILLING_TO_PAY: (5, 10),
        ServiceItem.ON_TIME: (6, 11),
        ServiceItem.FIRST_RESPONSE: (8, 10),
    },
}


@pytest.fixture
async def golden(db: Database) -> tuple[GoldenStreet, StreetAssessment]:
    street = await build_golden_street(db)
    await record_golden_governance(db, street, SCHEME)
    async with db.read() as session:
        assessment = await assess_street(
            session=session, street_id=street.street, quarter=Q3, scheme=SCHEME, tz=SHANGHAI
        )
    return street, assessment


async def test_every_service_item_is_worked_out_by_hand(
    golden: tuple[GoldenStreet, StreetAssessment],
) -> None:
    street, assessment = golden
    for name, enterprise_id in (("A", street.a), ("B", street.b), ("C", street.c)):
        score = assessment.of(enterprise_id)
        assert score is not None
        got = {item.item: (item.rate, item.points) for item in score.service}
        assert got == EXPECTED_SERVICE[name], name
        if name in EXPECTED_COUNTS:
            counted = {item.item: (item.successes, item.count) for item in score.service}
            assert counted == {k: (Fraction(a), b) for k, (a, b) in EXPECTED_COUNTS[name].items()}, name


async def test_participation_counts_only_approved_unreversed_records(
    golden: tuple[GoldenStreet, StreetAssessment],
) -> None:
    street, assessment = golden
    a, b, c = (assessment.of(e) for e in (street.a, street.b, street.c))
    assert a is not None and b is not None and c is not None
    # A: 2 of 3 meetings (the reversed one and the instructor's rejected one do not count), both
    # tasks, every party-building item, 1.5 points off for a fault (the waiting 5 do not count).
    assert (a.participation.attendance.done, a.participation.attendance.of) == (2, 3)
    assert a.participation.attendance.points == Fraction(20, 3)
    assert a.participation.tasks.points == 10
    assert a.participation.party == {item: True for item in PartyItem}
    assert a.participation.party_points == 10
    assert a.participation.spot_check_points == Fraction(17, 2)
    assert a.participation.bonus == 2
    # B: no meeting recorded (full points), no task done, no party building, faults past 10.
    assert (b.participation.attendance.of, b.participation.attendance.points) == (0, 10)
    assert b.participation.tasks.points == 0
    assert b.participation.party_points == 0
    assert b.participation.spot_check_points == 0
    # C: the directory says it has a party branch; a veto event.
    assert c.participation.party_points == 4
    assert c.participation.vetoes == ["safety_incident"]


async def test_totals_bands_and_lists(golden: tuple[GoldenStreet, StreetAssessment]) -> None:
    street, assessment = golden
    by_id = {score.enterprise_id: score for score in assessment.scores}
    a, b, c = by_id[street.a], by_id[street.b], by_id[street.c]
    # A: 5189153/97614 service + 211/6 participation + 2 bonus.
    assert a.total == Fraction(4408570, 48807)
    assert (a.score, a.stars, a.red, a.black, a.insufficient) == (Decimal("90.3"), 5, True, False, False)
    # B: 1425723/73304 service + 10 participation.
    assert b.total == Fraction(2158763, 73304)
    assert (b.score, b.stars, b.red, b.black, b.insufficient) == (Decimal("29.4"), 1, False, True, False)
    # C: 4797109/102102 service + 34 participation: 81.0, but 3 answers and 3 cases are too few
    # to rank, and its veto puts it on the black list all the same.
    assert c.total == Fraction(8268577, 102102)
    assert (c.score, c.stars, c.red, c.black, c.insufficient) == (Decimal("81.0"), 4, False, True, True)
    assert (c.answered, c.cases) == (3, 3)
    assert [score.enterprise_id for score in assessment.scores] == [street.a, street.b, street.c]


async def test_the_snapshot_reads_back_to_the_same_numbers(
    golden: tuple[GoldenStreet, StreetAssessment],
) -> None:
    _street, assessment = golden
    assert from_snapshot(to_snapshot(assessment, SCHEME)) == assessment


async def test_per_duty_items_explain_and_the_total_uses_all_cases(
    golden: tuple[GoldenStreet, StreetAssessment],
) -> None:
    street, assessment = golden
    a = assessment.of(street.a)
    assert a is not None
    assert sorted(a.by_duty) == ["building_repair", "facilities"]
    on_time = {
        duty: next(i for i in items if i.item == ServiceItem.ON_TIME) for duty, items in a.by_duty.items()
    }
    # A20, the late one, is a roof leak: building repair 9 of 10, facilities 10 of 10.
    assert (on_time["building_repair"].successes, on_time["building_repair"].count) == (9, 10)
    assert (on_time["facilities"].successes, on_time["facilities"].count) == (10, 10)
