"""Time one replication of a real scenario end to end, and its peak memory.

Prepares the run (population projection, care need, demand, bed spec) once, then times single
replications of the bed simulation (best of 3) and reports the process's peak resident memory.
Target (issue 3): a Jiading-size scenario, one replication in at most 2 s, peak memory under
500 MB.

Run: ``python benchmarks/bench_run_scenario.py [scenarios/jiading.yaml ...]``
"""

from __future__ import annotations

import resource
import sys
import time
from pathlib import Path

from carefacility.runner.prepare import prepare_run
from carefacility.runner.replicate import replicate
from carefacility.scenario.loader import load_scenario

ROOT = Path(__file__).resolve().parents[1]
TARGET_SECONDS = 2.0
TARGET_MEGABYTES = 500.0


def main(paths: list[str]) -> int:
    ok = True
    for path in paths or [str(ROOT / "scenarios" / "jiading.yaml")]:
        scenario = load_scenario(path)
        started = time.perf_counter()
        prepared = prepare_run(scenario)
        prepare_seconds = time.perf_counter() - started
        timings = []
        for replication in range(3):
            started = time.perf_counter()
            frame = replicate(prepared, seed=1, replication=replication)
            timings.append(time.perf_counter() - started)
        spec = prepared.spec
        admissions = frame[frame.metric == "admissions"].value.sum()
        peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(f"{scenario.name}: {spec.n_homes} homes, "
              f"{int(spec.initial_capacity.sum()):,} beds at the start, {spec.n_years} years, "
              f"{admissions:,.0f} admissions; prepare {prepare_seconds:.2f} s, one replication "
              f"{min(timings):.2f} s (target <= {TARGET_SECONDS:g} s), peak memory "
              f"{peak_mb:.0f} MB (target < {TARGET_MEGABYTES:g} MB)")
        ok &= min(timings) <= TARGET_SECONDS and peak_mb < TARGET_MEGABYTES
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
