"""Replications give the same numbers whatever the executor and order."""

from __future__ import annotations

import pandas as pd
import pytest

from carefacility.base.streams import stream
from carefacility.runner.executors import Batch, run_batches, run_replications


def noisy_replication(prepared: dict, seed: int, replication: int) -> pd.DataFrame:
    """A stand-in model: Poisson counts from two named streams."""
    arrivals = stream(seed, replication, "arrivals").poisson(prepared["rate"], size=3)
    stays = stream(seed, replication, "stays").exponential(30.0, size=3)
    return pd.DataFrame({"year": [2021, 2022, 2023] * 2,
                         "metric": ["admissions"] * 3 + ["stay_days"] * 3,
                         "value": [*arrivals.tolist(), *stays.tolist()],
                         "unit": ["persons"] * 3 + ["days"] * 3})


PREPARED = {"rate": 100.0}


def test_serial_process_and_order_give_identical_results() -> None:
    serial = run_replications(noisy_replication, PREPARED, replications=4, seed=11,
                              executor="serial")
    shuffled = run_replications(noisy_replication, PREPARED, replications=4, seed=11,
                                executor="serial", order=[3, 1, 0, 2])
    pooled = run_replications(noisy_replication, PREPARED, replications=4, seed=11,
                              executor="processes", workers=2)
    pd.testing.assert_frame_equal(serial, shuffled)
    pd.testing.assert_frame_equal(serial, pooled)
    assert serial.replication.nunique() == 4


def test_seeds_and_replications_differ() -> None:
    a = run_replications(noisy_replication, PREPARED, replications=2, seed=1, executor="serial")
    b = run_replications(noisy_replication, PREPARED, replications=2, seed=2, executor="serial")
    assert not a.value.equals(b.value)
    first, second = (a[a.replication == r].value.to_numpy() for r in (0, 1))
    assert (first != second).any()


def test_dask_local_cluster_gives_identical_results() -> None:
    pytest.importorskip("dask.distributed")
    import sys

    import cloudpickle

    cloudpickle.register_pickle_by_value(sys.modules[__name__])
    serial = run_replications(noisy_replication, PREPARED, replications=3, seed=5,
                              executor="serial")
    on_dask = run_replications(noisy_replication, PREPARED, replications=3, seed=5,
                               executor="dask", workers=2)
    pd.testing.assert_frame_equal(serial, on_dask)


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"replications": 0}, "replications must be >= 1"),
    ({"seed": -1}, "seed must be >= 0"),
    ({"order": [0, 0]}, "permutation"),
    ({"executor": "cloud"}, "executor must be"),
])
def test_bad_arguments(kwargs: dict, message: str) -> None:
    arguments = {"replications": 2, "seed": 0, "executor": "serial", **kwargs}
    with pytest.raises(ValueError, match=message):
        run_replications(noisy_replication, PREPARED, **arguments)


@pytest.mark.parametrize("executor", ["serial", "processes"])
def test_batches_share_a_pool_and_equal_separate_runs(executor: str) -> None:
    other = {"rate": 5.0}
    ticks: list[int] = []
    main, second = run_batches(
        noisy_replication, [Batch(PREPARED, [0, 1, 2]), Batch(other, [0, 1])], seed=3,
        executor=executor, workers=2, on_done=lambda: ticks.append(1))
    pd.testing.assert_frame_equal(main, run_replications(
        noisy_replication, PREPARED, replications=3, seed=3, executor="serial"))
    pd.testing.assert_frame_equal(second, run_replications(
        noisy_replication, other, replications=2, seed=3, executor="serial"))
    assert len(ticks) == 5  # one tick per replication, wherever it ran


def test_dask_batches_tick_once_per_replication() -> None:
    pytest.importorskip("dask.distributed")
    import sys

    import cloudpickle

    cloudpickle.register_pickle_by_value(sys.modules[__name__])
    ticks: list[int] = []
    (on_dask,) = run_batches(noisy_replication, [Batch(PREPARED, [0, 1, 2])], seed=5,
                             executor="dask", workers=2, on_done=lambda: ticks.append(1))
    pd.testing.assert_frame_equal(on_dask, run_replications(
        noisy_replication, PREPARED, replications=3, seed=5, executor="serial"))
    assert len(ticks) == 3


@pytest.mark.parametrize("executor", ["serial", "processes"])
def test_on_result_gets_every_replication_with_its_batch(executor: str) -> None:
    seen: list[tuple[int, int]] = []
    frames: dict[tuple[int, int], pd.DataFrame] = {}

    def keep(number: int, replication: int, frame: pd.DataFrame) -> None:
        seen.append((number, replication))
        frames[(number, replication)] = frame.copy()

    first, second = run_batches(noisy_replication, [Batch(PREPARED, [0, 1]),
                                                    Batch({"rate": 5.0}, [4])], seed=3,
                                executor=executor, workers=2, on_result=keep)
    assert sorted(seen) == [(0, 0), (0, 1), (1, 4)]
    # what on_result saw is what the batch's table holds for that replication
    rows = first[first["replication"] == 1].drop(columns="replication").reset_index(drop=True)
    pd.testing.assert_frame_equal(rows, frames[(0, 1)].sort_values(
        ["year", "metric"], kind="stable", ignore_index=True))
    assert (second["replication"] == 4).all()


def test_an_error_in_on_result_stops_the_run() -> None:
    def stop(number: int, replication: int, frame: pd.DataFrame) -> None:
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        run_batches(noisy_replication, [Batch(PREPARED, [0, 1, 2, 3])], seed=3,
                    executor="processes", workers=2, on_result=stop)
