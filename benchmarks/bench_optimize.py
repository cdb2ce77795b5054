"""A 10-year optimisation of Jiading: the smallest sufficient plan by bed type, one zone.

``carefacility optimize scenarios/jiading.yaml --set simulation.years=10`` as a function call
(:func:`carefacility.optimize`), timed by stage, on ``--workers`` processes (default 2). Two
cases, each printed:

* ``built beds are a floor`` — the scenario as it is: the 8,500 beds built at the start may not
  be removed, so the search checks year by year whether they (and the scenario's types) suffice
  and looks below them only where the rules allow;
* ``closures allowed`` (``--set optimize.allow_closures=true``) — the sizing problem proper:
  every year and bed type is searched from the analytic bracket down to the fewest beds.

Target (issue 13): at most 5 minutes on 2 cores. Printed: wall time, CPU time of this process
and of its workers (the machine may be shared: CPU time says what the work cost), candidate
plans simulated, replications run (and replication-years: a replication of year ``y``'s search
simulates ``y + 1`` years), and the time of each stage.

Run: ``python benchmarks/bench_optimize.py [--workers 2] [--case floor|closures|both]
[--profile]`` (``--profile`` needs pyinstrument and profiles this process, serially).
"""

from __future__ import annotations

import argparse
import os
import resource
import time
from pathlib import Path

import carefacility as cf

ROOT = Path(__file__).resolve().parents[1]
TARGET_SECONDS = 300.0
CASES = {"floor": ["simulation.years=10"],
         "closures": ["simulation.years=10", "optimize.allow_closures=true"]}


def cpu_seconds() -> tuple[float, float]:
    """CPU seconds of this process and of its finished children."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime, children.ru_utime + children.ru_stime


def run_case(name: str, workers: int, executor: str) -> float:
    scenario = cf.load_scenario(ROOT / "scenarios" / "jiading.yaml", CASES[name])
    cpu_before = cpu_seconds()
    started = time.perf_counter()
    result = cf.optimize(scenario, executor=executor, workers=workers)  # type: ignore[arg-type]
    wall = time.perf_counter() - started
    cpu_after = cpu_seconds()
    meta = result.metadata
    print(f"\nJiading, 10 years, {name}: {wall:.1f} s wall on {workers} workers "
          f"(target ≤ {TARGET_SECONDS:.0f} s: {'met' if wall <= TARGET_SECONDS else 'MISSED'})")
    print(f"  CPU: this process {cpu_after[0] - cpu_before[0]:.1f} s, workers "
          f"{cpu_after[1] - cpu_before[1]:.1f} s; load average at the end "
          f"{os.getloadavg()[0]:.2f}")
    print(f"  search: {meta['search_simulations']} candidate plans, "
          f"{meta['search_replications']} replications, {meta['search_replication_years']} "
          f"replication-years; verification: {meta['verification_simulations']} plans × "
          f"{meta['verification_replications']} replications")
    print("  stages: " + ", ".join(f"{stage} {seconds:.1f} s"
                                   for stage, seconds in meta["stage_seconds"].items()))
    beds = result.beds()
    print("  beds needed (simulated):")
    print("    " + beds.to_string().replace("\n", "\n    "))
    for message in result.messages:
        print(f"  warning: {message}")
    return wall


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--case", choices=["floor", "closures", "both"], default="both")
    parser.add_argument("--profile", action="store_true",
                        help="profile with pyinstrument (serial, this process)")
    arguments = parser.parse_args()
    cases = list(CASES) if arguments.case == "both" else [arguments.case]
    if arguments.profile:
        from pyinstrument import Profiler

        profiler = Profiler()
        profiler.start()
        for case in cases:
            run_case(case, 1, "serial")
        profiler.stop()
        print(profiler.output_text(unicode=True, color=False, show_all=False))
        return
    for case in cases:
        run_case(case, arguments.workers, "processes")


if __name__ == "__main__":
    main()
