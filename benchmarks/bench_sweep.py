"""A 3 × 3 sweep of Jiading, 20 replications each, on 2 workers: the wall time, per variant and
by stage, and a resume that reads every variant back.

The grid is what a planner asks of Jiading's plan: the nursing-type beds of the district's homes
(the plan's 2,125, and 2,500 and 3,000) against the net in-migration the scenario names as its
range (0, the central +18,343 a year, +36,685): does the plan hold if the district grows faster
or slower? The migration axis changes the population, so the sweep projects three populations;
the nursing axis shares them (:func:`carefacility.runner.variants.prepare_variants`).

Printed: the wall time of the whole sweep (loading and checking every variant, projecting,
preparing, the 180 replications on one pool, the stored variants, the tables and charts), the
stages' split, the time after which each variant was stored, the CPU seconds of this process and
of its workers, and the wall time of running the same command again (everything read back).
Target (issue 13): the sweep in at most 2 minutes on 2 cores.

Run: ``python benchmarks/bench_sweep.py [--workers 2] [--replications 20]``
"""

from __future__ import annotations

import argparse
import resource
import tempfile
import time
from pathlib import Path

import carefacility as cf
from carefacility.base.progress import Progress, format_stage_seconds

ROOT = Path(__file__).resolve().parents[1]
JIADING = ROOT / "scenarios" / "jiading.yaml"
GRID = {
    "plan.care_homes[jiading_homes].beds.nursing": [2125, 2500, 3000],
    "population.migration.net_per_year": [0, 18343, 36685],
}
TARGET_SECONDS = 120.0


def _cpu_seconds() -> tuple[float, float]:
    mine = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return mine.ru_utime + mine.ru_stime, children.ru_utime + children.ru_stime


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--replications", type=int, default=20)
    parser.add_argument("--executor", default="processes", choices=["processes", "serial"])
    arguments = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        out = Path(folder) / "sweep"
        progress = Progress()
        cpu_before = _cpu_seconds()
        started = time.perf_counter()
        result = cf.sweep(JIADING, grid=GRID, replications=arguments.replications,
                          out_dir=out, workers=arguments.workers, executor=arguments.executor,
                          progress=progress)
        seconds = time.perf_counter() - started
        cpu_after = _cpu_seconds()
        again = Progress()
        started = time.perf_counter()
        resumed = cf.sweep(JIADING, grid=GRID, replications=arguments.replications,
                           out_dir=out, workers=arguments.workers, progress=again)
        resume_seconds = time.perf_counter() - started
    variants = len(result.variants)
    replications = variants * arguments.replications
    meta = result.metadata
    print(f"sweep of {JIADING.name}: {len(GRID)} axes, {variants} variants × "
          f"{arguments.replications} replications = {replications} replications on "
          f"{arguments.workers} workers ({arguments.executor})")
    print(f"  wall time {seconds:.1f} s (target ≤ {TARGET_SECONDS:.0f} s: "
          f"{'met' if seconds <= TARGET_SECONDS else 'MISSED'})")
    print(f"  stages: {format_stage_seconds(progress.seconds)}")
    share = progress.seconds.get("replications", 0.0) / seconds if seconds else 0.0
    print(f"  replications {100 * share:.0f} % of the wall time; "
          f"{progress.seconds.get('replications', 0.0) / variants:.2f} s per variant on the pool, "
          f"{progress.seconds.get('replications', 0.0) * arguments.workers / replications:.3f} "
          "s per replication per worker")
    print(f"  CPU: this process {cpu_after[0] - cpu_before[0]:.1f} s, workers "
          f"{cpu_after[1] - cpu_before[1]:.1f} s")
    finished = sorted((outcome.about.get("finished_after_seconds", 0.0), name)
                      for name, outcome in result.outcomes.items())
    print("  each variant stored after (s from the first replication):")
    for after, name in finished:
        print(f"    {after:6.1f}  {name}")
    print(f"  {meta['projections']} population projections for {meta['variants_run']} "
          "variants")
    print(f"  run again: {resume_seconds:.1f} s, {resumed.metadata['variants_read_back']} "
          f"read back, {resumed.metadata['variants_run']} run "
          f"({format_stage_seconds(again.seconds)})")


if __name__ == "__main__":
    main()
