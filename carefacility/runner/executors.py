"""Replications, seeds and executors.

A replication is a plain function ``replicate(prepared, seed, replication) -> DataFrame`` of the
deterministic inputs (``prepared``), the run's seed and the replication index; its random numbers
come only from :func:`carefacility.base.streams.stream` keyed by ``(seed, replication, name)``. So
the numbers do not depend on where or in which order replications run: serially, in local processes
(the default) or on a Dask cluster give identical results.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from typing import Any, Literal

import pandas as pd

__all__ = ["Executor", "default_workers", "run_replications"]

Executor = Literal["serial", "processes", "dask"]
Replicate = Callable[[Any, int, int], pd.DataFrame]


def default_workers() -> int:
    """Worker processes to use by default: the CPUs this process may run on."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not Linux
        return max(1, os.cpu_count() or 1)


def run_replications(replicate: Replicate, prepared: Any, *, replications: int, seed: int,
                     executor: Executor = "processes", workers: int | None = None,
                     dask_address: str | None = None,
                     order: list[int] | None = None, first: int = 0) -> pd.DataFrame:
    """Run ``replications`` independent replications and stack their results.

    Parameters
    ----------
    replicate : callable
        ``replicate(prepared, seed, replication)`` returning a long DataFrame with columns
        ``year, metric, value, unit``; must be importable (a module-level function) for the
        process and Dask executors.
    prepared : object
        The deterministic inputs shared by all replications (picklable).
    replications : int
        Number of replications (≥ 1).
    seed : int
        The run's seed (≥ 0).
    executor : {"serial", "processes", "dask"}
        Where to run. ``processes`` uses a local process pool (``workers`` processes);
        ``dask`` submits to the scheduler at ``dask_address``, or to a local cluster on
        127.0.0.1 started (and stopped) for the run.
    workers : int, optional
        Worker processes; default :func:`default_workers`.
    order : list of int, optional
        The order to run replications in (a permutation of ``range(replications)``); results
        never depend on it — tests use it to show that.
    first : int
        Index of the first replication (≥ 0): replications ``first .. first + replications - 1``
        run, so more replications can be added to a run later with the same results as one
        larger run (``carefacility run --until-decided``).

    Returns
    -------
    pandas.DataFrame
        ``replication, year, metric, value, unit``, sorted by replication.
    """
    if replications < 1:
        raise ValueError(f"replications must be >= 1 (got {replications})")
    if seed < 0:
        raise ValueError(f"seed must be >= 0 (got {seed})")
    if first < 0:
        raise ValueError(f"first must be >= 0 (got {first})")
    indices = list(range(replications)) if order is None else list(order)
    if sorted(indices) != list(range(replications)):
        raise ValueError("order must be a permutation of range(replications)")
    indices = [first + index for index in indices]
    workers = workers or default_workers()
    if executor == "serial" or (executor == "processes" and (workers == 1 or replications == 1)):
        frames = [replicate(prepared, seed, index) for index in indices]
    elif executor == "processes":
        with ProcessPoolExecutor(max_workers=min(workers, replications)) as pool:
            frames = list(pool.map(replicate, [prepared] * len(indices),
                                   [seed] * len(indices), indices))
    elif executor == "dask":
        frames = _run_on_dask(replicate, prepared, seed, indices, workers, dask_address)
    else:
        raise ValueError(f"executor must be serial, processes or dask (got {executor!r})")
    for index, frame in zip(indices, frames, strict=True):
        frame.insert(0, "replication", index)
    stacked = pd.concat(frames, ignore_index=True)
    return stacked.sort_values(["replication", "year", "metric"], kind="stable",
                               ignore_index=True)


def _run_on_dask(replicate: Replicate, prepared: Any, seed: int, indices: list[int],
                 workers: int, address: str | None) -> list[pd.DataFrame]:
    try:
        from dask.distributed import Client, LocalCluster
    except ImportError as error:  # pragma: no cover - depends on the environment
        raise RuntimeError(
            "the dask executor needs dask.distributed: pip install 'carefacility[dask]'"
        ) from error
    cluster = None
    if address is None:
        cluster = LocalCluster(n_workers=workers, threads_per_worker=1, host="127.0.0.1",
                               dashboard_address=None, processes=True)
        address = cluster.scheduler_address
    try:
        with Client(address) as client:
            shared = client.scatter(prepared, broadcast=True)
            futures = [client.submit(replicate, shared, seed, index, pure=False)
                       for index in indices]
            return client.gather(futures)
    finally:
        if cluster is not None:
            cluster.close()
