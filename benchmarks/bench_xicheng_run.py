"""Time the README's main command, ``carefacility run scenarios/xicheng.yaml``, end to end.

Each run is a fresh ``carefacility run`` process (``python -m carefacility.cli run SCENARIO
--out TMP --force``, the scenario's defaults: 20 replications and the other rule's 5, on all
CPUs), timed from its start to its exit (wall clock), with the CPU time of it and its children
(the replication workers and the chart drawing processes) and the stage times the command
prints. The best of ``--repeat`` runs is reported (and the median), with the report stage's
share of the command's own total, and the load average before and after (other work on the
machine makes wall times longer; the CPU time and the ratios vary less).

Targets (issue 12): the whole run ≤ 6 s wall on 2 cores, the report stage ≤ 10 % of it.

Run: ``python benchmarks/bench_xicheng_run.py [--repeat 5] [SCENARIO]``
"""

from __future__ import annotations

import argparse
import os
import re
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SCENARIO = ROOT / "scenarios" / "xicheng.yaml"
TARGET_SECONDS = 6.0
TARGET_REPORT_SHARE = 0.10
_STAGES = re.compile(r"(\w+) ([\d.]+) s")


def one_run(scenario: Path) -> tuple[float, float, dict[str, float], float]:
    """Wall seconds, CPU seconds (with children), the printed stages [s] and the printed
    total [s] of one ``carefacility run``."""
    with tempfile.TemporaryDirectory() as folder:
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        started = time.perf_counter()
        done = subprocess.run(
            [sys.executable, "-m", "carefacility.cli", "run", str(scenario), "--out",
             str(Path(folder) / "out"), "--force"], capture_output=True, text=True,
            check=True)
        wall = time.perf_counter() - started
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    lines = done.stdout.splitlines()
    total = float(re.search(r"in ([\d.]+) s$", next(
        line for line in lines if " replications of " in line)).group(1))
    stages = {name: float(value) for name, value in _STAGES.findall(
        next(line for line in lines if line.strip().startswith("import ")))}
    return wall, cpu, stages, total


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("scenario", nargs="?", type=Path, default=SCENARIO)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args(argv)
    print(f"load average before: {' '.join(f'{x:.2f}' for x in os.getloadavg())}; "
          f"{os.cpu_count()} CPUs")
    runs = []
    for number in range(args.repeat):
        wall, cpu, stages, total = one_run(args.scenario)
        runs.append((wall, cpu, stages, total))
        print(f"  run {number + 1}: {wall:.2f} s wall, {cpu:.2f} s CPU; printed {total:.1f} s: "
              + ", ".join(f"{name} {value:.1f}" for name, value in stages.items()))
    wall, cpu, stages, total = min(runs, key=lambda run: run[0])
    share = stages.get("report", 0.0) / total
    print(f"load average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    print(f"best of {args.repeat}: {wall:.2f} s wall (median "
          f"{statistics.median(run[0] for run in runs):.2f} s), {cpu:.2f} s CPU; target <= "
          f"{TARGET_SECONDS:g} s")
    print(f"report stage {stages.get('report', 0.0):.1f} s of the printed {total:.1f} s: "
          f"{share:.0%} (target <= {TARGET_REPORT_SHARE:.0%})")
    return 0 if wall <= TARGET_SECONDS and share <= TARGET_REPORT_SHARE else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
