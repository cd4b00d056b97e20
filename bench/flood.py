"""Whether one flooding account holds up everyone else: the residents' answer times, quiet and flooded.

20 residents each run a whole /report (bench/residents.py) against the real ``redprop run`` and
the loopback fake Bot API, twice in each round: once with nobody else about, once while one more
account has just sent 2,000 updates (/help) at once. The verdict: the residents' median answer
time when flooded stays within 2× the quiet one (median of the rounds).

    python bench/flood.py [--database-url postgresql+asyncpg://…] [--rounds 3]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.report_throughput import run_bot  # noqa: E402
from bench.scratch import scratch_postgres  # noqa: E402
from bot.migrations import upgrade  # noqa: E402

RESIDENTS = 20
FLOOD = 2000
TARGET = 2.0


def _median_ms(latencies: list[float]) -> float:
    return statistics.median(latencies) * 1000 if latencies else 0.0


def one_round(make_url: object, backend: str, timeout: float) -> tuple[float, float, str]:
    """The residents' median answer time quiet and flooded, in ms, and any error."""
    times = []
    for flood in (0, FLOOD):
        with make_url() as url:  # type: ignore[operator]
            result = run_bot(url, backend, RESIDENTS, timeout, None, flood=flood)
        if result.outcome.error:
            return 0.0, 0.0, result.outcome.error
        times.append(_median_ms(result.outcome.latencies))
    return times[0], times[1], ""


class _SQLite:
    def __enter__(self) -> str:
        self.folder = tempfile.TemporaryDirectory()
        url = f"sqlite+aiosqlite:///{Path(self.folder.name) / 'flood.db'}"
        upgrade(url)
        return url

    def __exit__(self, *exc: object) -> None:
        self.folder.cleanup()


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--database-url", default=os.environ.get("REDPROP_TEST_DATABASE_URL", ""))
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--timeout", type=float, default=120.0)
    options = parser.parse_args()
    backends: list[tuple[str, object]] = [("SQLite", _SQLite)]
    if options.database_url:
        backends.append(("PostgreSQL", lambda: scratch_postgres(options.database_url)))
    ok = True
    for backend, make_url in backends:
        ratios = []
        for _round in range(options.rounds):
            quiet, flooded, error = one_round(make_url, backend, options.timeout)
            if error:
                print(f"{backend}: FAILED: {error}")
                ok = False
                break
            ratios.append(flooded / quiet if quiet else 0.0)
            print(
                f"{backend}: median answer {quiet:.0f} ms quiet, {flooded:.0f} ms beside a flood of {FLOOD}"
            )
        if ratios:
            median = statistics.median(ratios)
            verdict = "meets" if median <= TARGET else "misses"
            print(
                f"{backend}: flooded / quiet = {median:.2f} ({verdict} the {TARGET}× target); rounds: "
                + ", ".join(f"{ratio:.2f}" for ratio in ratios)
            )
            ok = ok and median <= TARGET
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
