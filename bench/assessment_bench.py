"""Benchmark the quarterly assessment: 1,000 enterprises, 1,000,000 cases, 600,000 answered
surveys and 20,000 governance records in one street's quarter, in a SQLite file.

    python bench/assessment_bench.py [--enterprises 1000] [--cases 1000000] [--surveys 600000]
                                     [--records 20000] [--rounds 3] [--keep DIR]
                                     [--database-url postgresql+asyncpg://…]

The migrations make the schema (bot.migrations.upgrade); the rows are generated inside SQLite
(INSERT … SELECT over a recursive CTE), the cases spread over 2026Q3 and the last days of the
quarter before (whose deadlines fall in Q3), every answer after its case's resolution; some
cases have a second answered round (only the last counts), some answers come from handlers
(not counted), a fiftieth of the cases were withdrawn. Then, timed: ``assess_street`` for the
whole street in process (the best of ``--rounds``), one enterprise's explanation, and the real
``redprop assess --quarter 2026Q3`` command as a subprocess (table, JSON, the xlsx workbook and
an explanation). With ``--database-url`` the same rows go into a scratch PostgreSQL database.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import resource
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.scratch import scratch_postgres  # noqa: E402
from bot.migrations import upgrade  # noqa: E402
from models.assessment.compute import assess_street  # noqa: E402
from models.assessment.explain import explain_enterprise  # noqa: E402
from models.assessment.scheme import AssessmentScheme  # noqa: E402
from models.periods import Quarter  # noqa: E402
from storage.database import Database  # noqa: E402

SHANGHAI = ZoneInfo("Asia/Shanghai")
Q3 = Quarter(2026, 3)
EPOCH = "2026-01-01 00:00:00.000000"
START = "2026-06-21 16:00:00"  # 00:00 on 22 June in Qingdao: the last days of Q2, then all of Q3
SPREAD = 101 * 86400  # seconds over which the cases are spread
RESIDENTS = 50_000
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
KINDS = ["meeting", "task", "party_building", "spot_check", "commendation"]


def _ts(expression: str) -> str:
    """SQL for the timestamp text SQLAlchemy stores: 'YYYY-MM-DD HH:MM:SS.ffffff' (UTC)."""
    return f"strftime('%Y-%m-%d %H:%M:%S', {expression}) || '.000000'"


def _series(count: int) -> str:
    return f"WITH RECURSIVE s(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM s WHERE n < {count})"


def generate(path: Path, enterprises: int, cases: int, surveys: int, records: int) -> None:
    communities = 2 * enterprises
    admin = enterprises + 1  # person ids: 1..enterprises the instructors, then the office admin
    connection = sqlite3.connect(path)
    connection.execute("PRAGMA synchronous=OFF")
    connection.execute("PRAGMA cache_size=-400000")
    run = connection.execute
    with connection:
        run("INSERT INTO street (id, code, name, created_at) VALUES (1, 'lsw', '灵山卫街道', ?)", (EPOCH,))
        run(f"""{_series(enterprises)} INSERT INTO enterprise (id, code, name, party_branch, created_at)
            SELECT n, 'e' || n, '物业企业' || n, n % 2, '{EPOCH}' FROM s""")
        run(f"""{_series(communities)}
            INSERT INTO community (id, code, name, street_id, enterprise_id, created_at)
            SELECT n, 'c' || n, '小区' || n, 1, (n - 1) % {enterprises} + 1, '{EPOCH}' FROM s""")
        run(f"""{_series(admin + RESIDENTS)}
            INSERT INTO person (id, telegram_id, name, reachable, community_id, phone_shared, created_at)
            SELECT n, 100000 + n, CASE WHEN n <= {admin} THEN '工作人员' || n ELSE '居民' || n END, 1,
                   CASE WHEN n > {admin} THEN n % {communities} + 1 END, 0, '{EPOCH}' FROM s""")
        run(f"""{_series(enterprises)} INSERT INTO role (person_id, kind, enterprise_id)
            SELECT n, 'instructor', n FROM s""")
        run(f"INSERT INTO role (person_id, kind, street_id) VALUES ({admin}, 'office_admin', 1)")
        duty = "CASE n % 9 " + " ".join(f"WHEN {i} THEN '{d}'" for i, d in enumerate(DUTIES)) + " END"
        created = f"datetime('{START}', '+' || ((n * 7919) % {SPREAD}) || ' seconds')"
        # Late first responses every 13th case, late resolutions every 7th, a fiftieth withdrawn.
        run(f"""{_series(cases)},
            c(n, community, created) AS (SELECT n, n % {communities} + 1, {created} FROM s)
            INSERT INTO "case" (id, number, reporter_id, community_id, enterprise_id, category, duty,
                description, status, owner_level, owner_id, reopen_count, created_at, first_response_at,
                resolved_at, closed_at, response_due_at, resolution_due_at)
            SELECT n, 'LSW-B-' || n, {admin} + 1 + n % {RESIDENTS}, community,
                (community - 1) % {enterprises} + 1,
                'other', {duty}, 'generated', CASE WHEN n % 50 = 0 THEN 'withdrawn' ELSE 'closed' END,
                'instructor', (community - 1) % {enterprises} + 1, CASE WHEN n % 100 < 3 THEN 1 ELSE 0 END,
                {_ts("created")},
                {_ts("created, '+' || CASE WHEN n % 13 = 0 THEN 30 ELSE n % 20 + 1 END || ' hours'")},
                {_ts("created, '+' || CASE WHEN n % 7 = 0 THEN 9 ELSE n % 5 + 1 END || ' days'")},
                {_ts("created, '+10 days'")}, {_ts("created, '+1 day'")}, {_ts("created, '+7 days'")}
            FROM c""")
        # The surveys: a first round for most resolved cases, a second round for some of those.
        second = min(surveys // 20, cases * 3 // 100)
        first = surveys - second
        answer = f"""{_ts("resolved_at, '+1 day'")}, {_ts("resolved_at, '+1 day'")},
                {_ts("resolved_at, '+1 day', '+2 hours'")},
                CASE (id / 7) % 7 WHEN 0 THEN 'not' WHEN 1 THEN 'partly' ELSE 'solved' END,
                (id / 3) % 5 + 1, (id / 11) % 11 <> 0"""
        columns = """(case_id, round, reporter_id, enterprise_id, community_id, street_id, duty, category,
                instructor_id, excluded_from_numbers, status, due_at, sent_at, answered_at, solved, stars,
                willing_to_pay)"""
        run(f"""INSERT INTO survey {columns}
            SELECT id, 1, reporter_id, enterprise_id, community_id, 1, duty, category, owner_id,
                CASE WHEN id % 53 = 0 THEN 1 ELSE 0 END, 'answered', {answer}
            FROM "case" WHERE status = 'closed' ORDER BY id LIMIT {first}""")
        run(f"""INSERT INTO survey {columns}
            SELECT id, 2, reporter_id, enterprise_id, community_id, 1, duty, category, owner_id, 0,
                'answered',
                {answer.replace("'+1 day'", "'+3 days'")}
            FROM "case" WHERE reopen_count = 1 AND status = 'closed' ORDER BY id LIMIT {second}""")
        # Governance records: every enterprise gets its share of each kind; one in 40 waits for
        # approval, and one in 50 undoes the record before it.
        kind = "CASE n % 5 " + " ".join(f"WHEN {i} THEN '{k}'" for i, k in enumerate(KINDS)) + " END"
        run(f"""{_series(records)}
            INSERT INTO governance_record (id, street_id, enterprise_id, quarter, kind, item, yes,
                points_tenths, note, reverses_id, recorded_by, recorded_at, status, decided_by, decided_at)
            SELECT n, 1, (n / 5) % {enterprises} + 1, '2026Q3', {kind},
                CASE n % 5 WHEN 2 THEN 'members' WHEN 3 THEN 'sanitation' END,
                CASE WHEN n % 5 IN (0, 1, 2) THEN n % 3 <> 0 END,
                CASE n % 5 WHEN 3 THEN 5 + n % 20 WHEN 4 THEN 5 END,
                'generated', CASE WHEN n % 50 = 0 THEN n - 1 END, {admin}, '2026-09-20 02:00:00.000000',
                CASE WHEN n % 40 = 0 THEN 'pending' ELSE 'approved' END,
                CASE WHEN n % 40 = 0 THEN NULL ELSE {admin} END,
                CASE WHEN n % 40 = 0 THEN NULL ELSE '2026-09-20 02:00:00.000000' END
            FROM s""")
    connection.execute("ANALYZE")
    connection.close()


def _pg_time(expression: str) -> str:
    return f"TIMESTAMPTZ '{START}+00' + {expression}"


async def generate_postgres(url: str, enterprises: int, cases: int, surveys: int, records: int) -> None:
    """The same rows as :func:`generate`, written by PostgreSQL's own generate_series."""
    communities, admin = 2 * enterprises, enterprises + 1
    epoch = "TIMESTAMPTZ '2026-01-01 00:00:00+00'"
    series = "FROM generate_series(1, {}) AS n"
    duty = "CASE n % 9 " + " ".join(f"WHEN {i} THEN '{d}'" for i, d in enumerate(DUTIES)) + " END"
    kind = "CASE n % 5 " + " ".join(f"WHEN {i} THEN '{k}'" for i, k in enumerate(KINDS)) + " END"
    second = min(surveys // 20, cases * 3 // 100)
    answer = """resolved_at + INTERVAL '{days}', resolved_at + INTERVAL '{days}',
        resolved_at + INTERVAL '{days}' + INTERVAL '2 hours',
        CASE (id / 7) % 7 WHEN 0 THEN 'not' WHEN 1 THEN 'partly' ELSE 'solved' END,
        (id / 3) % 5 + 1, (id / 11) % 11 <> 0"""
    columns = """(case_id, round, reporter_id, enterprise_id, community_id, street_id, duty, category,
        instructor_id, excluded_from_numbers, status, due_at, sent_at, answered_at, solved, stars,
        willing_to_pay)"""
    statements = [
        f"INSERT INTO street (id, code, name, created_at) VALUES (1, 'lsw', '灵山卫街道', {epoch})",
        f"""INSERT INTO enterprise (id, code, name, party_branch, created_at)
            SELECT n, 'e' || n, '物业企业' || n, n % 2 = 1, {epoch} {series.format(enterprises)}""",
        f"""INSERT INTO community (id, code, name, street_id, enterprise_id, created_at)
            SELECT n, 'c' || n, '小区' || n, 1, (n - 1) % {enterprises} + 1, {epoch}
            {series.format(communities)}""",
        f"""INSERT INTO person (id, telegram_id, name, reachable, community_id, phone_shared, created_at)
            SELECT n, 100000 + n, CASE WHEN n <= {admin} THEN '工作人员' ELSE '居民' END || n, true,
                CASE WHEN n > {admin} THEN n % {communities} + 1 END, false, {epoch}
            {series.format(admin + RESIDENTS)}""",
        f"""INSERT INTO role (person_id, kind, enterprise_id)
            SELECT n, 'instructor', n {series.format(enterprises)}""",
        f"INSERT INTO role (person_id, kind, street_id) VALUES ({admin}, 'office_admin', 1)",
        f"""INSERT INTO "case" (id, number, reporter_id, community_id, enterprise_id, category, duty,
                description, status, owner_level, owner_id, reopen_count, created_at, first_response_at,
                resolved_at, closed_at, response_due_at, resolution_due_at)
            SELECT n, 'LSW-B-' || n, {admin} + 1 + n % {RESIDENTS}, community,
                (community - 1) % {enterprises} + 1, 'other', {duty}, 'generated',
                CASE WHEN n % 50 = 0 THEN 'withdrawn' ELSE 'closed' END, 'instructor',
                (community - 1) % {enterprises} + 1, CASE WHEN n % 100 < 3 THEN 1 ELSE 0 END, created,
                created + (CASE WHEN n % 13 = 0 THEN 30 ELSE n % 20 + 1 END) * INTERVAL '1 hour',
                created + (CASE WHEN n % 7 = 0 THEN 9 ELSE n % 5 + 1 END) * INTERVAL '1 day',
                created + INTERVAL '10 days', created + INTERVAL '1 day', created + INTERVAL '7 days'
            FROM (SELECT n, n % {communities} + 1 AS community,
                {_pg_time(f"((n::bigint * 7919) % {SPREAD}) * INTERVAL '1 second'")} AS created
                {series.format(cases)}) AS c""",
        f"""INSERT INTO survey {columns}
            SELECT id, 1, reporter_id, enterprise_id, community_id, 1, duty, category, owner_id,
                id % 53 = 0, 'answered', {answer.format(days="1 day")}
            FROM "case" WHERE status = 'closed' ORDER BY id LIMIT {surveys - second}""",
        f"""INSERT INTO survey {columns}
            SELECT id, 2, reporter_id, enterprise_id, community_id, 1, duty, category, owner_id, false,
                'answered', {answer.format(days="3 days")}
            FROM "case" WHERE reopen_count = 1 AND status = 'closed' ORDER BY id LIMIT {second}""",
        f"""INSERT INTO governance_record (id, street_id, enterprise_id, quarter, kind, item, yes,
                points_tenths, note, reverses_id, recorded_by, recorded_at, status, decided_by, decided_at)
            SELECT n, 1, (n / 5) % {enterprises} + 1, '2026Q3', {kind},
                CASE n % 5 WHEN 2 THEN 'members' WHEN 3 THEN 'sanitation' END,
                CASE WHEN n % 5 IN (0, 1, 2) THEN n % 3 <> 0 END,
                CASE n % 5 WHEN 3 THEN 5 + n % 20 WHEN 4 THEN 5 END,
                'generated', CASE WHEN n % 50 = 0 THEN n - 1 END, {admin}, {_pg_time("INTERVAL '91 days'")},
                CASE WHEN n % 40 = 0 THEN 'pending' ELSE 'approved' END,
                CASE WHEN n % 40 = 0 THEN NULL ELSE {admin} END,
                CASE WHEN n % 40 = 0 THEN NULL ELSE {_pg_time("INTERVAL '91 days'")} END
            {series.format(records)}""",
    ]
    engine = create_async_engine(url)
    async with engine.begin() as connection:
        for statement in statements:
            await connection.execute(text(statement))
    async with engine.connect() as connection:
        await connection.execution_options(isolation_level="AUTOCOMMIT")
        await connection.execute(text("VACUUM ANALYZE"))
    await engine.dispose()


async def in_process(url: str, rounds: int) -> tuple[list[tuple[float, float]], float, int]:
    database = Database(url)
    scheme = AssessmentScheme()
    timings = []
    try:
        for _round in range(rounds):
            began, cpu = time.perf_counter(), time.process_time()
            async with database.read() as session:
                assessment = await assess_street(
                    session=session, street_id=1, quarter=Q3, scheme=scheme, tz=SHANGHAI
                )
            timings.append((time.perf_counter() - began, time.process_time() - cpu))
        began = time.perf_counter()
        async with database.read() as session:
            await explain_enterprise(
                session=session, street_id=1, enterprise_code="e1", quarter=Q3, scheme=scheme, tz=SHANGHAI
            )
        explaining = time.perf_counter() - began
    finally:
        await database.dispose()
    return timings, explaining, len(assessment.scores)


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def command(url: str, *options: str) -> tuple[float, float, subprocess.CompletedProcess[str]]:
    """Run ``redprop assess --quarter 2026Q3`` with ``options``: its wall time and CPU time,
    process start included (on a shared machine the CPU time is the steadier of the two)."""
    line = [sys.executable, "-m", "bot", "--log-level", "WARNING", "--set", f"database.url={url}"]
    line += ["assess", "--quarter", "2026Q3", *options]
    environment = {**os.environ, "PYTHONPATH": str(ROOT)}
    began, cpu = time.perf_counter(), _children_cpu()
    result = subprocess.run(line, capture_output=True, text=True, env=environment, check=False, cwd=ROOT)
    return time.perf_counter() - began, _children_cpu() - cpu, result


def measure(url: str, folder: Path, rounds: int) -> int:
    """Time the assessment and the command against ``url``; the exit code (1: over 10 s or failed)."""
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    print(f"load average before timing: {load} on {os.cpu_count()} CPUs")
    timings, explaining, assessed = asyncio.run(in_process(url, rounds))
    listed = ", ".join(f"{wall:.2f} s ({cpu:.2f} s CPU)" for wall, cpu in timings)
    best = min(wall for wall, _cpu in timings)
    print(f"assess_street, {assessed:,} enterprises: best {best:.2f} s; rounds: {listed}")
    print(f"explain_enterprise, one enterprise (the street's draft included): {explaining:.2f} s")
    failed, whole = 0, 0.0
    workbook = folder / "assessment.xlsx"
    for label, options in (
        ("table", ()),
        ("json", ("--format", "json")),
        ("xlsx", ("--format", "xlsx", "--output", str(workbook))),
        ("--explain e1", ("--explain", "e1")),
    ):
        seconds, cpu, result = command(url, *options)
        verdict = "" if result.returncode == 0 else f" FAILED ({result.returncode}): {result.stderr.strip()}"
        failed |= result.returncode
        print(
            f"redprop assess --quarter 2026Q3 {label}: {seconds:.2f} s ({cpu:.2f} s CPU), "
            f"whole process{verdict}"
        )
        if label == "table":
            whole = seconds
            print("\n".join(result.stdout.splitlines()[:6]))
    workbook.unlink(missing_ok=True)
    slowest = max(best, whole)
    print(f"verdict: assess_street and the table command {'under' if slowest < 10 else 'OVER'} 10 s")
    return 1 if failed or slowest >= 10 else 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--enterprises", type=int, default=1_000)
    parser.add_argument("--cases", type=int, default=1_000_000)
    parser.add_argument("--surveys", type=int, default=600_000)
    parser.add_argument("--records", type=int, default=20_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--keep", type=Path, help="generate into this folder and keep the file")
    parser.add_argument("--reuse", action="store_true", help="with --keep: measure the file kept there")
    parser.add_argument(
        "--database-url", help="measure on PostgreSQL instead: a scratch database beside the one this names"
    )
    args = parser.parse_args()
    sizes = (args.enterprises, args.cases, args.surveys, args.records)
    folder = args.keep or Path(tempfile.mkdtemp(prefix="redprop-bench-"))
    folder.mkdir(parents=True, exist_ok=True)
    what = (
        f"{args.enterprises:,} enterprises, {args.cases:,} cases, {args.surveys:,} answered surveys and "
        f"{args.records:,} governance records"
    )
    if args.database_url:
        with scratch_postgres(args.database_url) as url:
            began = time.perf_counter()
            asyncio.run(generate_postgres(url, *sizes))
            print(f"generated {what} in PostgreSQL in {time.perf_counter() - began:.1f} s")
            code = measure(url, folder, args.rounds)
        if args.keep is None:
            folder.rmdir()
        return code
    path = folder / "assessment.db"
    url = f"sqlite+aiosqlite:///{path}"
    if not (args.reuse and path.exists()):
        path.unlink(missing_ok=True)
        upgrade(url)
        began = time.perf_counter()
        generate(path, *sizes)
        print(f"generated {what} in {time.perf_counter() - began:.1f} s ({path.stat().st_size / 1e6:.0f} MB)")
    code = measure(url, folder, args.rounds)
    if args.keep is None:
        for leftover in (path, Path(f"{path}-wal"), Path(f"{path}-shm")):
            leftover.unlink(missing_ok=True)
        folder.rmdir()
    return code


if __name__ == "__main__":
    raise SystemExit(main())
