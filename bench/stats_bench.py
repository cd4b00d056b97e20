"""Benchmark ``redprop stats``: 1,000,000 cases and 600,000 answered surveys in a SQLite file.

    python bench/stats_bench.py [--cases 1000000] [--surveys 600000] [--keep DIR]

The rows are generated inside SQLite (INSERT … SELECT over a recursive CTE), two years of
them, so a quarter holds about an eighth. Then the real command runs as a subprocess,
``redprop stats --period 2026Q3 --by enterprise``, and the time of each grouping is printed.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from zoneinfo import ZoneInfo

from models.periods import parse_period

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.migrations import upgrade  # noqa: E402
from models.surveys.stats import Grouping, survey_stats  # noqa: E402
from storage.database import Database  # noqa: E402

ENTERPRISES = 40
COMMUNITIES = 120  # every 12th has no property enterprise
RESIDENTS = 20_000
PEOPLE = ENTERPRISES + RESIDENTS
EPOCH = "2025-01-01 00:00:00.000000"
DAYS = 730  # 2025-01-01 .. 2026-12-31
DUTIES = [
    "customer_service",
    "building_repair",
    "facilities",
    "sanitation",
    "greening",
    "security",
    "parking",
    "fire_safety",
    "emergency",
]


def _ts(expression: str) -> str:
    """SQL for the timestamp text SQLAlchemy stores: 'YYYY-MM-DD HH:MM:SS.ffffff' (UTC)."""
    return f"strftime('%Y-%m-%d %H:%M:%S', {expression}) || '.000000'"


def generate(path: Path, cases: int, surveys: int) -> None:
    connection = sqlite3.connect(path)
    connection.execute("PRAGMA synchronous=OFF")
    connection.execute("PRAGMA cache_size=-200000")
    # Cases spread over the two years, not in id order.
    created = f"datetime('2024-12-31 16:00:00', '+' || ((n * 7919) % {DAYS * 86400}) || ' seconds')"
    with connection:
        connection.execute(
            "INSERT INTO street (id, code, name, created_at) VALUES (1, 'lsw', '灵山卫街道', ?)", (EPOCH,)
        )
        connection.execute(
            f"""WITH RECURSIVE s(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM s WHERE n < {ENTERPRISES})
            INSERT INTO enterprise (id, code, name, party_branch, created_at)
            SELECT n, 'E' || n, '物业企业' || n, n % 2, '2025-01-01 00:00:00.000000' FROM s"""
        )
        connection.execute(
            f"""WITH RECURSIVE s(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM s WHERE n < {COMMUNITIES})
            INSERT INTO community (id, code, name, street_id, enterprise_id, created_at)
            SELECT n, 'C' || n, '小区' || n, 1,
                   CASE WHEN n % 12 = 0 THEN NULL ELSE (n - 1) % {ENTERPRISES} + 1 END,
                   '2025-01-01 00:00:00.000000' FROM s"""
        )
        # Person ids 1..ENTERPRISES are the instructors (one per enterprise), then the residents.
        connection.execute(
            f"""WITH RECURSIVE s(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM s WHERE n < {PEOPLE})
            INSERT INTO person (id, telegram_id, name, reachable, community_id, phone_shared, created_at)
            SELECT n, 100000 + n, CASE WHEN n <= {ENTERPRISES} THEN '指导员' || n ELSE '居民' || n END, 1,
                   CASE WHEN n > {ENTERPRISES} THEN n % {COMMUNITIES} + 1 END, 0, '2025-01-01 00:00:00.000000'
            FROM s"""
        )
        connection.execute(
            f"""WITH RECURSIVE s(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM s WHERE n < {ENTERPRISES})
            INSERT INTO role (person_id, kind, enterprise_id) SELECT n, 'instructor', n FROM s"""
        )
        duty = "CASE n % 9 " + " ".join(f"WHEN {i} THEN '{d}'" for i, d in enumerate(DUTIES)) + " END"
        connection.execute(
            f"""WITH RECURSIVE s(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM s WHERE n < {cases}),
            c(n, community, created) AS (SELECT n, n % {COMMUNITIES} + 1, {created} FROM s)
            INSERT INTO "case" (id, number, reporter_id, community_id, enterprise_id, category, duty,
                description, status, owner_level, owner_id, reopen_count, created_at, first_response_at,
                resolved_at, closed_at, response_due_at, resolution_due_at)
            SELECT n, 'LSW-B-' || n, {ENTERPRISES} + 1 + n % {RESIDENTS}, community,
                CASE WHEN community % 12 = 0 THEN NULL ELSE (community - 1) % {ENTERPRISES} + 1 END,
                'other', {duty}, 'generated', 'closed',
                CASE WHEN community % 12 = 0 THEN 'party_committee' ELSE 'instructor' END,
                CASE WHEN community % 12 = 0 THEN NULL ELSE (community - 1) % {ENTERPRISES} + 1 END,
                CASE WHEN (n / 120) % 10 = 0 THEN 1 ELSE 0 END,
                {_ts("created")},
                {_ts("created, '+' || (n % 240 + 1) || ' minutes'")},
                {_ts("created, '+' || ((n / 120) % 10) || ' days'")},
                {_ts("created, '+' || ((n / 120) % 10 + 2) || ' days'")},
                {_ts("created, '+1 day'")},
                {_ts("created, '+7 days'")}
            FROM c"""
        )
        # The surveys: one per case for the first ``surveys`` cases (every case is resolved).
        connection.execute(
            f"""INSERT INTO survey (case_id, round, reporter_id, enterprise_id, community_id, street_id, duty,
                category, instructor_id, excluded_from_numbers, status, due_at, sent_at, answered_at, solved,
                stars, willing_to_pay)
            SELECT id, 1, reporter_id, enterprise_id, community_id, 1, duty, category,
                CASE WHEN owner_level = 'instructor' THEN owner_id END,
                CASE WHEN id % 53 = 0 THEN 1 ELSE 0 END,
                'answered', {_ts("resolved_at, '+1 day'")}, {_ts("resolved_at, '+1 day'")},
                {_ts("resolved_at, '+1 day', '+2 hours'")},
                CASE (id / 120) % 7 WHEN 0 THEN 'not' WHEN 1 THEN 'partly' ELSE 'solved' END,
                (id / 120) % 5 + 1, (id / 120) % 11 <> 0
            FROM "case" WHERE id <= {surveys}"""
        )
    connection.execute("ANALYZE")
    connection.close()


async def in_process(url: str) -> list[tuple[str, float, int]]:
    database = Database(url)
    start, end = parse_period("2026Q3", ZoneInfo("Asia/Shanghai"))
    timings = []
    try:
        for grouping in Grouping:
            began = time.perf_counter()
            async with database.read() as session:
                rows = await survey_stats(session=session, start=start, end=end, by=grouping)
            timings.append((grouping.value, time.perf_counter() - began, len(rows)))
    finally:
        await database.dispose()
    return timings


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=1_000_000)
    parser.add_argument("--surveys", type=int, default=600_000)
    parser.add_argument("--keep", type=Path, help="generate into this folder and keep the file")
    args = parser.parse_args()
    folder = args.keep or Path(tempfile.mkdtemp(prefix="redprop-bench-"))
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "bench.db"
    path.unlink(missing_ok=True)
    url = f"sqlite+aiosqlite:///{path}"
    upgrade(url)

    began = time.perf_counter()
    generate(path, args.cases, args.surveys)
    took = time.perf_counter() - began
    print(f"generated {args.cases:,} cases and {args.surveys:,} answered surveys in {took:.1f} s")
    print(f"database file: {path} ({path.stat().st_size / 1e6:.0f} MB)")

    command = [sys.executable, "-m", "bot", "--log-level", "WARNING", "--set", f"database.url={url}"]
    command += ["stats", "--period", "2026Q3", "--by", "enterprise"]
    environment = {**os.environ, "PYTHONPATH": str(ROOT)}
    began = time.perf_counter()
    result = subprocess.run(command, capture_output=True, text=True, env=environment, check=False)
    elapsed = time.perf_counter() - began
    if result.returncode != 0:
        print(result.stderr, file=sys.stderr)
        return result.returncode
    lines = result.stdout.splitlines()
    print(f"redprop stats --period 2026Q3 --by enterprise: {elapsed:.2f} s, whole process")
    print("\n".join(lines[:6]))

    for grouping, seconds, rows in asyncio.run(in_process(url)):
        print(f"survey_stats(by={grouping}): {seconds:.2f} s, {rows} rows")
    if args.keep is None:
        path.unlink()
        for suffix in ("-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        folder.rmdir()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
