"""Speed-up of the replications on processes and on Dask, and Dask's cost per replication.

For each scenario (default: Jiading and Xicheng), the run is prepared once, then the default
run's replications (``simulation.replications`` plus the other eligibility rule's, on one pool:
:func:`carefacility.runner.executors.run_batches`, exactly what ``carefacility run`` does) are
timed serially, on a local process pool and on a local Dask cluster (``LocalCluster`` on
127.0.0.1, one thread per worker). The Dask time is measured twice: with the cluster's start and
stop (what ``--executor dask`` costs on one machine), and on a cluster already running (what it
costs on a cluster that serves many runs). Speed-up = serial seconds / seconds.

Dask's own cost per replication is measured with a replication that does nothing (returns a
one-row table): ``seconds / replications`` on a running cluster.

Targets (issue 12): 2 workers ≥ 1.8× serial on 20 replications (processes; Dask on a running
cluster), Dask's cost per replication small beside a replication (< 5 %).

Run: ``python benchmarks/bench_scale_out.py [--workers 2] [scenarios/jiading.yaml ...]``
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import pandas as pd

from carefacility.runner.eligibility import alternative_inputs
from carefacility.runner.executors import Batch, default_workers, run_batches
from carefacility.runner.prepare import prepare_run
from carefacility.runner.replicate import replicate
from carefacility.scenario.loader import load_scenario

ROOT = Path(__file__).resolve().parents[1]
TARGET_SPEED_UP = 1.8
EMPTY_REPLICATIONS = 200


def empty_replication(_prepared: object, _seed: int, _replication: int) -> pd.DataFrame:
    """A replication that does nothing: what remains is the executor's own cost."""
    return pd.DataFrame({"year": [0], "metric": ["nothing"], "value": [0.0], "unit": ["-"]})


def timed(function, *args, **kwargs) -> float:
    started = time.perf_counter()
    function(*args, **kwargs)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("scenarios", nargs="*",
                        default=[str(ROOT / "scenarios" / name)
                                 for name in ("jiading.yaml", "xicheng.yaml")])
    parser.add_argument("--workers", type=int, default=default_workers())
    parser.add_argument("--no-dask", action="store_true")
    arguments = parser.parse_args()
    workers = arguments.workers
    client = cluster = None
    if not arguments.no_dask:
        from dask.distributed import Client, LocalCluster

    print(f"{workers} workers; times are wall-clock seconds of the replications alone")
    print(f"{'scenario':<34} {'reps':>5} {'serial':>7} {'processes':>10} {'dask+start':>11} "
          f"{'dask':>7}")
    for path in arguments.scenarios:
        scenario = load_scenario(path)
        simulation = scenario.spec.simulation
        prepared = prepare_run(scenario)
        batches = [Batch(prepared, list(range(simulation.replications)))]
        extra = min(simulation.alternative_rule_replications, simulation.replications)
        if extra:
            batches.append(Batch(alternative_inputs(prepared), list(range(extra))))
        n = sum(len(batch.indices) for batch in batches)
        options = {"seed": simulation.seed, "workers": workers}
        serial = timed(run_batches, replicate, batches, executor="serial", **options)
        processes = timed(run_batches, replicate, batches, executor="processes", **options)
        row = (f"{scenario.name[:34]:<34} {n:>5} {serial:>7.2f} "
               f"{processes:>6.2f} {serial / processes:>2.1f}x")
        if not arguments.no_dask:
            with_start = timed(run_batches, replicate, batches, executor="dask", **options)
            cluster = LocalCluster(n_workers=workers, threads_per_worker=1, host="127.0.0.1",
                                   dashboard_address=None, processes=True)
            client = Client(cluster)
            try:
                running = timed(run_batches, replicate, batches, executor="dask",
                                dask_address=cluster.scheduler_address, **options)
            finally:
                client.close()
                cluster.close()
            row += (f" {with_start:>6.2f} {serial / with_start:>3.1f}x"
                    f" {running:>6.2f} {serial / running:>3.1f}x")
        print(row)
        print(f"{'':<34} one replication ≈ {serial / n:.3f} s serially")
    print(f"target: processes ≥ {TARGET_SPEED_UP}x serial with {workers} workers")
    if not arguments.no_dask:
        cluster = LocalCluster(n_workers=workers, threads_per_worker=1, host="127.0.0.1",
                               dashboard_address=None, processes=True)
        try:
            seconds = timed(run_batches, empty_replication,
                            [Batch(None, list(range(EMPTY_REPLICATIONS)))], seed=0,
                            executor="dask", dask_address=cluster.scheduler_address,
                            workers=workers)
        finally:
            cluster.close()
        print(f"Dask's own cost per replication (running cluster, {EMPTY_REPLICATIONS} empty "
              f"replications): {1000 * seconds / EMPTY_REPLICATIONS:.1f} ms")


if __name__ == "__main__":
    main()
