"""Replications, seeds and executors.

A replication is a plain function ``replicate(prepared, seed, replication) -> DataFrame`` of the
deterministic inputs (``prepared``), the run's seed and the replication index; its random numbers
come only from :func:`carefacility.base.streams.stream` keyed by ``(seed, replication, name)``. So
the numbers do not depend on where or in which order replications run: serially, in local processes
(the default) or on a Dask cluster give identical results.

Workers of the local process pool end when the process that started them dies, even by
``kill -9`` (:func:`exit_with_parent`, their initializer): on Linux the kernel sends them
SIGTERM (``prctl(PR_SET_PDEATHSIG)``), and everywhere a daemon thread in each worker checks
once a second that its parent is still the same process and ends the worker if not.

A Dask scheduler address is checked before anything runs (:func:`check_dask_address`), and a
scheduler that does not answer within :data:`DASK_CONNECT_TIMEOUT_SECONDS` gives a
:class:`DaskAddressError` naming the address, never a hang or a traceback from deep inside
``distributed``.
"""

from __future__ import annotations

import ctypes
import os
import re
import signal
import sys
import threading
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass
from typing import Any, Literal

import pandas as pd

__all__ = ["DASK_CONNECT_TIMEOUT_SECONDS", "Batch", "DaskAddressError", "Executor", "OnResult",
           "check_dask_address", "check_dask_scheduler", "default_workers", "exit_with_parent",
           "run_batches", "run_replications", "stack_by_batch", "watch_parent"]

Executor = Literal["serial", "processes", "dask"]
Replicate = Callable[[Any, int, int], pd.DataFrame]
OnResult = Callable[[int, int, pd.DataFrame], None]
"""``on_result(batch_number, replication, frame)`` of :func:`run_batches`."""
Tick = Callable[[int, pd.DataFrame], None]

DASK_CONNECT_TIMEOUT_SECONDS = 5.0
"""How long to wait for a Dask scheduler to answer before giving up [s]."""

PARENT_POLL_SECONDS = 1.0
"""How often a pool worker checks that the process that started it is alive [s]."""

_PR_SET_PDEATHSIG = 1  # from <linux/prctl.h>

_DASK_SCHEMES = ("tcp", "tls", "ws", "wss", "ucx")
_HOST = r"(?:\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?)"
_DASK_ADDRESS = re.compile(rf"^(?:(?P<scheme>[A-Za-z]+)://)?(?P<host>{_HOST}):(?P<port>\d{{1,5}})$")
_DASK_HINT = ("start one with `dask scheduler` (and workers with `dask worker ADDRESS`), or omit "
              "--dask-address for a local cluster")


class DaskAddressError(ValueError):
    """A Dask scheduler address that is malformed, or where no scheduler answers."""


def check_dask_address(address: str) -> str:
    """Check the form of a Dask scheduler address; return it without surrounding blanks.

    Parameters
    ----------
    address : str
        ``[SCHEME://]HOST:PORT``: scheme ``tcp`` (the default), ``tls``, ``ws``, ``wss`` or
        ``ucx``; an IPv6 host in brackets (``tcp://[::1]:8786``); port 1–65535.

    Returns
    -------
    str

    Raises
    ------
    DaskAddressError
        Naming the address and the expected form.
    """
    text = str(address).strip()
    match = _DASK_ADDRESS.match(text)
    expected = ("expected tcp://HOST:PORT, e.g. tcp://10.0.0.5:8786 "
                "(an IPv6 host in brackets: tcp://[::1]:8786)")
    if match is None:
        raise DaskAddressError(f"{address!r} is not a Dask scheduler address: {expected}")
    scheme = (match["scheme"] or "tcp").lower()
    if scheme not in _DASK_SCHEMES:
        raise DaskAddressError(f"{address!r}: unknown scheme {scheme!r} (allowed: "
                               f"{', '.join(_DASK_SCHEMES)}); {expected}")
    if not 1 <= int(match["port"]) <= 65535:
        raise DaskAddressError(f"{address!r}: port {match['port']} is not in 1-65535; "
                               f"{expected}")
    return text


def check_dask_scheduler(address: str, timeout: float = DASK_CONNECT_TIMEOUT_SECONDS) -> str:
    """Check the form of a Dask scheduler address and that a scheduler answers there.

    Parameters
    ----------
    address : str
        ``[SCHEME://]HOST:PORT`` (:func:`check_dask_address`).
    timeout : float
        Seconds to wait for the scheduler [s].

    Returns
    -------
    str
        The address without surrounding blanks.

    Raises
    ------
    DaskAddressError
        When the address is malformed or nothing answers as a scheduler within ``timeout``.
    RuntimeError
        When dask.distributed is not installed.
    """
    address = check_dask_address(address)
    client_class = _dask_client_class()
    _dask_client(client_class, address, timeout).close()
    return address


def _dask_client_class() -> Any:
    try:
        from dask.distributed import Client
    except ImportError as error:  # pragma: no cover - depends on the environment
        raise RuntimeError(
            "the dask executor needs dask.distributed: pip install 'carefacility[dask]'"
        ) from error
    return Client


def watch_parent(parent_pid: int, interval: float = PARENT_POLL_SECONDS) -> threading.Thread:
    """End this process (``os._exit``) as soon as its parent is no longer ``parent_pid``.

    A daemon thread checks ``os.getppid()`` every ``interval`` seconds: when the parent dies
    the process is handed to another (init or a subreaper), so the parent id changes. Works
    wherever ``os.getppid`` does (Linux, macOS, Windows since Python 3.2).

    Parameters
    ----------
    parent_pid : int
        The process id of the parent to outlive no longer.
    interval : float
        Seconds between checks.

    Returns
    -------
    threading.Thread
        The started daemon thread.
    """

    def watch() -> None:
        while True:
            if os.getppid() != parent_pid:
                os._exit(1)
            time.sleep(interval)

    thread = threading.Thread(target=watch, name="carefacility-parent-watch", daemon=True)
    thread.start()
    return thread


def _set_parent_death_signal(signal_number: int = signal.SIGTERM) -> bool:
    """Ask Linux to send ``signal_number`` to this process when its parent dies; True if set.

    Note: Linux sends it when the *thread* that forked this process ends; the process pool is
    created and shut down by one call of :func:`run_replications`, whose thread is alive all
    that time.
    """
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(None, use_errno=True)  # the process's own symbols: libc's prctl
        return libc.prctl(_PR_SET_PDEATHSIG, int(signal_number), 0, 0, 0) == 0
    except (OSError, AttributeError):  # pragma: no cover - no libc or no prctl
        return False


def exit_with_parent(parent_pid: int) -> None:
    """Initializer of pool workers: make this worker end when ``parent_pid`` dies.

    Sets the Linux parent-death signal (SIGTERM) where available, and starts
    :func:`watch_parent` everywhere. A parent already gone ends the worker at once.

    Parameters
    ----------
    parent_pid : int
        The process id of the process that creates the pool.
    """
    _set_parent_death_signal()
    if os.getppid() != parent_pid:  # the parent died before the signal was armed
        os._exit(1)
    watch_parent(parent_pid)


def default_workers() -> int:
    """Worker processes to use by default: the CPUs this process may run on."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not Linux
        return max(1, os.cpu_count() or 1)


def run_replications(replicate: Replicate, prepared: Any, *, replications: int, seed: int,
                     executor: Executor = "processes", workers: int | None = None,
                     dask_address: str | None = None,
                     order: list[int] | None = None, first: int = 0,
                     on_done: Callable[[], None] | None = None) -> pd.DataFrame:
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
        Worker processes; default :func:`default_workers`. Pool workers end when this process
        dies (:func:`exit_with_parent`).
    dask_address : str, optional
        ``[SCHEME://]HOST:PORT`` of a Dask scheduler (:func:`check_dask_address`).
    order : list of int, optional
        The order to run replications in (a permutation of ``range(replications)``); results
        never depend on it — tests use it to show that.
    first : int
        Index of the first replication (≥ 0): replications ``first .. first + replications - 1``
        run, so more replications can be added to a run later with the same results as one
        larger run (``carefacility run --until-decided``).
    on_done : callable, optional
        Called with no argument as each replication finishes (a progress bar's tick).

    Returns
    -------
    pandas.DataFrame
        ``replication, year, metric, value, unit``, sorted by replication.

    Raises
    ------
    DaskAddressError
        With ``executor="dask"``, when ``dask_address`` is malformed or no scheduler answers
        there within :data:`DASK_CONNECT_TIMEOUT_SECONDS`.
    """
    if replications < 1:
        raise ValueError(f"replications must be >= 1 (got {replications})")
    if first < 0:
        raise ValueError(f"first must be >= 0 (got {first})")
    indices = list(range(replications)) if order is None else list(order)
    if sorted(indices) != list(range(replications)):
        raise ValueError("order must be a permutation of range(replications)")
    batch = Batch(prepared, [first + index for index in indices])
    (stacked,) = run_batches(replicate, [batch], seed=seed, executor=executor,
                             workers=workers, dask_address=dask_address, on_done=on_done)
    return stacked


@dataclass(frozen=True)
class Batch:
    """Replications of one set of prepared inputs.

    Attributes
    ----------
    prepared : object
        The deterministic inputs of these replications (picklable).
    indices : list of int
        The replication indices to run, in the order to submit them.
    """

    prepared: Any
    indices: list[int]


def run_batches(replicate: Replicate, batches: list[Batch], *, seed: int,
                executor: Executor = "processes", workers: int | None = None,
                dask_address: str | None = None,
                on_done: Callable[[], None] | None = None,
                on_result: OnResult | None = None) -> list[pd.DataFrame]:
    """Run the replications of several batches together, on one pool of workers.

    All batches' replications are submitted at once, in order (the first batch's first), so
    that no worker idles between batches (a run's replications and the smaller run of the
    other eligibility rule share one pool). Each worker receives each batch's prepared inputs
    once (at its start), not once per replication.

    Parameters
    ----------
    replicate : callable
        As for :func:`run_replications`.
    batches : list of Batch
        What to run.
    seed : int
        The run's seed (≥ 0).
    executor, workers, dask_address
        As for :func:`run_replications`.
    on_done : callable, optional
        Called with no argument as each replication finishes.
    on_result : callable, optional
        Called as each replication finishes, in this process, with the batch's number (its
        position in ``batches``), the replication index and its result (``year, metric,
        value, unit``; read it, do not change it), before ``on_done``. A caller can thus
        keep a batch's results as soon as all its replications are in (a sweep stores each
        variant as it finishes); whatever it raises stops the run and propagates.

    Returns
    -------
    list of pandas.DataFrame
        One per batch: ``replication, year, metric, value, unit``, sorted by replication.
    """
    if seed < 0:
        raise ValueError(f"seed must be >= 0 (got {seed})")
    jobs = [(number, index) for number, batch in enumerate(batches) for index in batch.indices]
    if not jobs:
        raise ValueError("no replications to run")
    workers = workers or default_workers()
    tick = _reporter(jobs, on_done, on_result)
    if executor == "serial" or (executor == "processes" and (workers == 1 or len(jobs) == 1)):
        frames = []
        for position, (number, index) in enumerate(jobs):
            frames.append(replicate(batches[number].prepared, seed, index))
            tick(position, frames[-1])
    elif executor == "processes":
        frames = _run_on_processes(replicate, batches, seed, jobs, workers, tick)
    elif executor == "dask":
        frames = _run_on_dask(replicate, batches, seed, jobs, workers, dask_address, tick)
    else:
        raise ValueError(f"executor must be serial, processes or dask (got {executor!r})")
    return stack_by_batch(jobs, frames, len(batches))


def stack_by_batch(jobs: list[tuple[int, int]], frames: list[pd.DataFrame],
                   n_batches: int) -> list[pd.DataFrame]:
    """The frames of ``jobs`` (``(batch, replication)`` pairs, in the order of ``frames``) as
    one table per batch: ``replication`` first, sorted by replication, year and metric."""
    stacked = []
    for number in range(n_batches):
        mine = [(index, frame) for (batch, index), frame in zip(jobs, frames, strict=True)
                if batch == number]
        for index, frame in mine:
            frame.insert(0, "replication", index)
        joined = pd.concat([frame for _, frame in mine], ignore_index=True)
        stacked.append(joined.sort_values(["replication", "year", "metric"], kind="stable",
                                          ignore_index=True))
    return stacked


def _reporter(jobs: list[tuple[int, int]], on_done: Callable[[], None] | None,
              on_result: OnResult | None) -> Tick:
    """What to call when the job at ``position`` of ``jobs`` finished with ``frame``."""

    def tick(position: int, frame: pd.DataFrame) -> None:
        if on_result is not None:
            number, index = jobs[position]
            on_result(number, index, frame)
        if on_done is not None:
            on_done()

    return tick


# what a pool worker was given at its start: the replicate function and each batch's inputs
_WORKER_INPUTS: dict[str, Any] = {}


def _start_worker(parent_pid: int, replicate: Replicate, prepared: list[Any]) -> None:
    """Initializer of pool workers: keep the inputs, and end with the parent."""
    exit_with_parent(parent_pid)
    _WORKER_INPUTS["replicate"] = replicate
    _WORKER_INPUTS["prepared"] = prepared


def _replicate_in_worker(seed: int, batch: int, replication: int) -> pd.DataFrame:
    """One replication of batch ``batch`` in a pool worker (inputs from :func:`_start_worker`)."""
    replicate = _WORKER_INPUTS["replicate"]
    return replicate(_WORKER_INPUTS["prepared"][batch], seed, replication)


def _run_on_processes(replicate: Replicate, batches: list[Batch], seed: int,
                      jobs: list[tuple[int, int]], workers: int,
                      tick: Tick) -> list[pd.DataFrame]:
    prepared = [batch.prepared for batch in batches]
    frames: list[pd.DataFrame | None] = [None] * len(jobs)
    with ProcessPoolExecutor(max_workers=min(workers, len(jobs)), initializer=_start_worker,
                             initargs=(os.getpid(), replicate, prepared)) as pool:
        futures = {pool.submit(_replicate_in_worker, seed, number, index): position
                   for position, (number, index) in enumerate(jobs)}
        try:
            for future in as_completed(futures):
                position = futures[future]
                frames[position] = future.result()
                tick(position, frames[position])
        except BaseException:
            for future in futures:
                future.cancel()
            raise
    return frames  # type: ignore[return-value]


def _run_on_dask(replicate: Replicate, batches: list[Batch], seed: int,
                 jobs: list[tuple[int, int]], workers: int, address: str | None,
                 tick: Tick) -> list[pd.DataFrame]:
    client_class = _dask_client_class()
    from dask.distributed import LocalCluster
    from dask.distributed import as_completed as dask_completed

    cluster = None
    if address is None:
        cluster = LocalCluster(n_workers=min(workers, len(jobs)), threads_per_worker=1,
                               host="127.0.0.1", dashboard_address=None, processes=True)
        address = cluster.scheduler_address
    else:
        address = check_dask_address(address)
    try:
        with _dask_client(client_class, address) as client:
            shared = [client.scatter(batch.prepared, broadcast=True) for batch in batches]
            futures = [client.submit(replicate, shared[number], seed, index, pure=False)
                       for number, index in jobs]
            position = {future.key: i for i, future in enumerate(futures)}
            frames: list[pd.DataFrame | None] = [None] * len(jobs)
            for future in dask_completed(futures):
                done = position[future.key]
                frames[done] = future.result()
                tick(done, frames[done])
            return frames  # type: ignore[return-value]
    finally:
        if cluster is not None:
            cluster.close()


def _dask_client(client_class: Any, address: str,
                 timeout: float = DASK_CONNECT_TIMEOUT_SECONDS) -> Any:
    """A connected ``distributed.Client``, or a :class:`DaskAddressError` naming the address."""
    try:
        return client_class(address, timeout=timeout)
    except (OSError, TimeoutError) as error:
        raise DaskAddressError(f"no Dask scheduler answered at {address} within {timeout:g} s; "
                               f"{_DASK_HINT}") from error
    except Exception as error:  # anything else answered there, but not as a scheduler
        reason = str(error).splitlines()[0] if str(error) else type(error).__name__
        raise DaskAddressError(f"could not connect to a Dask scheduler at {address} "
                               f"({reason}); {_DASK_HINT}") from error
