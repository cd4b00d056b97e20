"""Benchmark ``redprop sandbox``'s start: from the command to its ready line (the bot polling the
stand-in, the directory loaded, the page served).

    python bench/sandbox_start.py [--rounds 3]

Each round starts the installed command on a free port in an empty folder, reads its ready
line, stops it with SIGTERM and records the wall time to the ready line and the CPU time the
sandbox and its processes (the bot, its outbox worker) spent, start and stop included. The
issue asks for a start under 5 s; on a loaded machine the wall time grows with the load, so
the CPU time and the load average are printed beside it.
"""

from __future__ import annotations

import argparse
import os
import resource
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.sandbox.conftest import free_port  # noqa: E402


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def one_start(redprop: str) -> tuple[float, float]:
    """(wall seconds to the ready line, CPU seconds of the whole run)."""
    cpu_before = children_cpu()
    with tempfile.TemporaryDirectory() as folder:
        env = {name: value for name, value in os.environ.items() if not name.startswith("REDPROP_")}
        started = time.monotonic()
        port = free_port()
        process = subprocess.Popen(
            [redprop, "sandbox", "--port", str(port)],
            cwd=folder,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        assert process.stdout is not None
        ready = None
        for line in process.stdout:
            if f"http://localhost:{port}/" in line:  # the ready line
                ready = time.monotonic() - started
                break
        process.send_signal(signal.SIGTERM)
        process.wait(30)
    if ready is None:
        raise SystemExit("the sandbox did not get ready")
    return ready, children_cpu() - cpu_before


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    redprop = str(Path(sys.executable).with_name("redprop"))
    one_start(redprop)  # warm the file cache and the bytecode
    rounds = [one_start(redprop) for _ in range(args.rounds)]
    for number, (wall, cpu) in enumerate(rounds, 1):
        print(f"round {number}: ready after {wall:.2f} s wall; {cpu:.2f} s CPU over the run")
    best = min(wall for wall, _ in rounds)
    load = os.getloadavg()[0]
    print(f"best: {best:.2f} s to ready (goal: under 5 s); load average {load:.1f} on {os.cpu_count()} CPUs")


if __name__ == "__main__":
    main()
