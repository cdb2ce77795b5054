"""Seconds and memory of one replication of the bed simulation for the whole of Shanghai.

Loads ``scenarios/shanghai.yaml`` and prepares the run (population projection, care need,
demand, the bed spec: about 160,000 beds, 14 years, residents whose care level changes) —
timed as *prepare* — then times :func:`carefacility.beds.simulate` alone on the prepared spec
for replication 0 with the scenario's seed (*simulate*; the services and KPI tables of a full
replication are not included), and prints the process's peak resident memory
(``resource.getrusage``, preparing included).

Targets: simulate ≤ 8 s, peak RSS ≤ 400 MB.

Usage::

    python benchmarks/bench_shanghai_replication.py [--calendar lean|simpy] [--replication 0]
"""

from __future__ import annotations

import argparse
import resource
import time
from pathlib import Path

from carefacility.beds.engine import BedSimulation
from carefacility.runner.prepare import prepare_run
from carefacility.scenario.loader import load_scenario

ROOT = Path(__file__).resolve().parents[1]
SCENARIO = ROOT / "scenarios" / "shanghai.yaml"
TARGET_SECONDS = 8.0
TARGET_MEGABYTES = 400.0


def main() -> None:
    """Print prepare seconds, simulate seconds and peak RSS with their targets."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calendar", choices=("lean", "simpy"), default="lean")
    parser.add_argument("--replication", type=int, default=0)
    args = parser.parse_args()

    started = time.perf_counter()
    scenario = load_scenario(SCENARIO)
    prepared = prepare_run(scenario)
    prepare_seconds = time.perf_counter() - started
    spec = prepared.spec
    seed = scenario.spec.simulation.seed
    print(
        f"Shanghai: homes {spec.n_homes}, zones {spec.n_zones}, beds at day 0 "
        f"{spec.initial_capacity.sum():,}, residents {spec.initial_residents.sum():,}, "
        f"years {spec.n_years}, seed {seed}, replication {args.replication}, "
        f"calendar {args.calendar}"
    )
    print(f"prepare   {prepare_seconds:7.2f} s")

    started = time.perf_counter()
    simulation = BedSimulation(spec, seed, args.replication, calendar=args.calendar)
    result = simulation.run()
    seconds = time.perf_counter() - started
    events = simulation.calendar.scheduled_events
    print(
        f"simulate  {seconds:7.2f} s  (target ≤ {TARGET_SECONDS:g} s): "
        f"{events:,} events, {result.admissions.sum():,} admissions, "
        f"{result.level_changes.sum():,} level changes, {result.transfers.sum():,} transfers"
    )
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux
    print(f"peak RSS  {peak:7.0f} MB (target ≤ {TARGET_MEGABYTES:g} MB)")


if __name__ == "__main__":
    main()
