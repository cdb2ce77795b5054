"""A pool of workers kept open for many small rounds of replications.

:func:`carefacility.runner.executors.run_batches` starts its workers (a process pool, or a Dask
cluster) for each call, which is right for a run. A search (:mod:`carefacility.runner.optimize`)
calls it a hundred times with a few replications each: starting a process pool costs about as
much as ten replications of a district's year (measured on 2 cores: 0.2–0.5 s a call), a local
Dask cluster more than a second. :class:`BatchSession` opens the workers once and runs every
round on them, with the same results: a replication is ``replicate(inputs, seed, index)`` on its
named random streams, wherever and in whatever order it runs.

The process pool's workers end with the process that started them
(:func:`carefacility.runner.executors.exit_with_parent`); a Dask address is checked when the
session opens (:func:`carefacility.runner.executors.check_dask_scheduler`), and without one a
local cluster on 127.0.0.1 is started for the session and stopped when it closes.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor, as_completed
from types import TracebackType
from typing import Any

import pandas as pd

from carefacility.runner.executors import (
    DASK_CONNECT_TIMEOUT_SECONDS,
    Batch,
    DaskAddressError,
    Executor,
    check_dask_address,
    default_workers,
    exit_with_parent,
    stack_by_batch,
)

__all__ = ["BatchSession"]

Replicate = Callable[[Any, int, int], pd.DataFrame]


class BatchSession:
    """Workers opened once, for many calls of :meth:`run`.

    Parameters
    ----------
    executor : {"serial", "processes", "dask"}
        Where replications run.
    workers : int, optional
        Worker processes (default :func:`~carefacility.runner.executors.default_workers`).
    dask_address : str, optional
        ``[SCHEME://]HOST:PORT`` of a Dask scheduler; default a local cluster.

    Use it as a context manager; the workers are started at the first :meth:`run` that needs
    more than one.
    """

    def __init__(self, executor: Executor = "processes", workers: int | None = None,
                 dask_address: str | None = None) -> None:
        if executor not in ("serial", "processes", "dask"):
            raise ValueError(f"executor must be serial, processes or dask (got {executor!r})")
        self.executor = executor
        self.workers = workers or default_workers()
        self.dask_address = (check_dask_address(dask_address) if dask_address is not None
                             else None)
        self._pool: ProcessPoolExecutor | None = None
        self._client: Any = None
        self._cluster: Any = None

    def __enter__(self) -> BatchSession:
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        self.close()

    def close(self) -> None:
        """Stop the workers (a local Dask cluster too)."""
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None
        if self._client is not None:
            self._client.close()
            self._client = None
        if self._cluster is not None:
            self._cluster.close()
            self._cluster = None

    def run(self, replicate: Replicate, batches: list[Batch], *, seed: int,
            on_done: Callable[[], None] | None = None) -> list[pd.DataFrame]:
        """Run every batch's replications; as
        :func:`~carefacility.runner.executors.run_batches` returns them (one frame per batch:
        ``replication, year, metric, value, unit``, sorted by replication)."""
        if seed < 0:
            raise ValueError(f"seed must be >= 0 (got {seed})")
        jobs = [(number, index) for number, batch in enumerate(batches)
                for index in batch.indices]
        if not jobs:
            raise ValueError("no replications to run")
        tick = on_done if on_done is not None else (lambda: None)
        if self.executor == "serial" or (self.executor == "processes" and self.workers == 1):
            frames = []
            for number, index in jobs:
                frames.append(replicate(batches[number].prepared, seed, index))
                tick()
        elif self.executor == "processes":
            frames = self._on_processes(replicate, batches, seed, jobs, tick)
        else:
            frames = self._on_dask(replicate, batches, seed, jobs, tick)
        return stack_by_batch(jobs, frames, len(batches))

    def _on_processes(self, replicate: Replicate, batches: list[Batch], seed: int,
                      jobs: list[tuple[int, int]], tick: Callable[[], None]
                      ) -> list[pd.DataFrame]:
        if self._pool is None:
            self._pool = ProcessPoolExecutor(max_workers=self.workers,
                                             initializer=exit_with_parent,
                                             initargs=(os.getpid(),))
        frames: list[pd.DataFrame | None] = [None] * len(jobs)
        futures = {self._pool.submit(replicate, batches[number].prepared, seed, index): position
                   for position, (number, index) in enumerate(jobs)}
        try:
            for future in as_completed(futures):
                frames[futures[future]] = future.result()
                tick()
        except BaseException:
            for future in futures:
                future.cancel()
            raise
        return frames  # type: ignore[return-value]

    def _on_dask(self, replicate: Replicate, batches: list[Batch], seed: int,
                 jobs: list[tuple[int, int]], tick: Callable[[], None]) -> list[pd.DataFrame]:
        if self._client is None:
            self._client = self._connect()
        from dask.distributed import as_completed as dask_completed

        futures = [self._client.submit(replicate, batches[number].prepared, seed, index,
                                       pure=False)
                   for number, index in jobs]
        position = {future.key: i for i, future in enumerate(futures)}
        frames: list[pd.DataFrame | None] = [None] * len(jobs)
        for future in dask_completed(futures):
            frames[position[future.key]] = future.result()
            tick()
        return frames  # type: ignore[return-value]

    def _connect(self) -> Any:
        try:
            from dask.distributed import Client, LocalCluster
        except ImportError as error:  # pragma: no cover - depends on the environment
            raise RuntimeError("the dask executor needs dask.distributed: pip install "
                               "'carefacility[dask]'") from error
        address = self.dask_address
        if address is None:
            self._cluster = LocalCluster(n_workers=self.workers, threads_per_worker=1,
                                         host="127.0.0.1", dashboard_address=None,
                                         processes=True)
            address = self._cluster.scheduler_address
        try:
            return Client(address, timeout=DASK_CONNECT_TIMEOUT_SECONDS)
        except (OSError, TimeoutError) as error:
            raise DaskAddressError(f"no Dask scheduler answered at {address} within "
                                   f"{DASK_CONNECT_TIMEOUT_SECONDS:g} s") from error
