"""The numbers: exactly the rates of a data set built to have them, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from models.cases.categories import DUTY_NAMES, ServiceDuty
from models.periods import parse_period
from models.refusal import Refused
from models.surveys.stats import NO_ENTERPRISE, NO_INSTRUCTOR, Grouping, StatsRow, survey_stats
from storage.database import Database
from tests.factories.world import World, make_world
from tests.stats_data import END, EXPECTED, START, Expected, load_stats_data

SHANGHAI = ZoneInfo("Asia/Shanghai")


@pytest.fixture
async def world(db: Database) -> World:
    world = await make_world(db)
    await load_stats_data(db, world)
    return world


async def stats(db: Database, by: Grouping, start: datetime = START, end: datetime = END) -> list[StatsRow]:
    async with db.read() as session:
        return await survey_stats(session=session, start=start, end=end, by=by)


def counts(row: StatsRow) -> Expected:
    return Expected(
        row.sent,
        row.answered,
        row.solved,
        row.satisfied,
        row.willing_to_pay,
        row.cases,
        row.resolved,
        row.reopened,
        row.resolved_on_time,
        row.median_first_response,
    )


async def test_by_enterprise_gives_exactly_the_known_rates(db: Database, world: World) -> None:
    rows = await stats(db, Grouping.ENTERPRISE)
    assert [(row.key, row.name, row.name_is_msgid) for row in rows] == [
        (world.enterprise, "海悦物业", False),
        (world.other_enterprise, "滨海物业", False),
        (None, NO_ENTERPRISE, True),
    ]
    by_name = {row.key and row.name: row for row in rows}
    assert {name: counts(row) for name, row in by_name.items()} == EXPECTED
    east = by_name["海悦物业"]
    assert (east.response_rate, east.resolution_rate, east.satisfaction_rate, east.pay_rate) == (
        0.8,
        0.75,
        0.625,
        0.875,
    )
    assert (east.reopen_rate, east.on_time_share) == (1 / 3, 2 / 3)
    # The case reopened twice escalated to the party committee: one of the enterprise's four.
    assert (east.escalated, east.escalation_rate) == (1, 0.25)
    hua = by_name["滨海物业"]
    assert (hua.response_rate, hua.resolution_rate, hua.satisfaction_rate, hua.pay_rate) == (
        1.0,
        1 / 3,
        1.0,
        0.0,
    )
    assert (hua.reopen_rate, hua.on_time_share) == (None, None)
    bare = by_name[None]
    assert (bare.response_rate, bare.resolution_rate, bare.median_first_response) == (0.0, None, None)


async def test_other_groupings_add_up_the_same_rows(db: Database, world: World) -> None:
    [street] = await stats(db, Grouping.STREET)
    assert (street.key, street.name) == (world.street, "灵山卫街道")
    assert counts(street) == Expected(14, 11, 7, 8, 7, 5, 3, 1, 2, timedelta(minutes=30))

    communities = {row.name: counts(row) for row in await stats(db, Grouping.COMMUNITY)}
    assert communities == {
        "东方华庭": EXPECTED["海悦物业"],
        "北岸花园": EXPECTED["滨海物业"],
        "山后": EXPECTED[None],
    }

    instructors = {row.name: counts(row) for row in await stats(db, Grouping.INSTRUCTOR)}
    assert instructors == {
        "王指导员": EXPECTED["海悦物业"],
        "赵指导员": EXPECTED["滨海物业"],
        NO_INSTRUCTOR: EXPECTED[None],
    }

    duties = {
        (row.key, row.name, row.name_is_msgid): counts(row) for row in await stats(db, Grouping.CATEGORY)
    }
    assert duties == {
        ("facilities", DUTY_NAMES[ServiceDuty.FACILITIES], True): EXPECTED["海悦物业"],
        ("building_repair", DUTY_NAMES[ServiceDuty.BUILDING_REPAIR], True): EXPECTED["滨海物业"],
        ("sanitation", DUTY_NAMES[ServiceDuty.SANITATION], True): EXPECTED[None],
    }


async def test_the_end_of_a_period_belongs_to_the_next(db: Database, world: World) -> None:
    [row] = await stats(db, Grouping.ENTERPRISE, END, END + timedelta(days=92))
    assert (row.name, row.sent, row.answered, row.solved, row.cases) == ("海悦物业", 1, 1, 0, 0)
    assert await stats(db, Grouping.ENTERPRISE, END + timedelta(days=92), END + timedelta(days=184)) == []


def local_midnight(year: int, month: int, day: int) -> datetime:
    return datetime(year, month, day, tzinfo=SHANGHAI).astimezone(UTC)


@pytest.mark.parametrize(
    ("text", "start", "end"),
    [
        ("2026Q3", (2026, 7, 1), (2026, 10, 1)),
        ("2026q4", (2026, 10, 1), (2027, 1, 1)),
        ("2026Q1", (2026, 1, 1), (2026, 4, 1)),
        ("2026-09", (2026, 9, 1), (2026, 10, 1)),
        ("2026-12", (2026, 12, 1), (2027, 1, 1)),
        (" 2026-07-01..2026-09-30 ", (2026, 7, 1), (2026, 10, 1)),
        ("2026-02-28..2026-02-28", (2026, 2, 28), (2026, 3, 1)),
    ],
)
def test_periods_run_from_local_midnight_to_local_midnight(
    text: str, start: tuple[int, int, int], end: tuple[int, int, int]
) -> None:
    assert parse_period(text, SHANGHAI) == (local_midnight(*start), local_midnight(*end))


def test_local_midnight_in_shanghai_is_four_pm_utc_the_day_before() -> None:
    assert parse_period("2026Q3", SHANGHAI) == (
        datetime(2026, 6, 30, 16, tzinfo=UTC),
        datetime(2026, 9, 30, 16, tzinfo=UTC),
    )


@pytest.mark.parametrize(
    "text",
    ["2026Q5", "2026-13", "2026-00", "2026-02-30..2026-03-01", "2026-09-30..2026-07-01", "Q3", "", "2026"],
)
def test_a_bad_period_is_refused(text: str) -> None:
    with pytest.raises(Refused):
        parse_period(text, SHANGHAI)
