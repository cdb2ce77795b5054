"""Replications give the same numbers whatever the executor and order."""

from __future__ import annotations

import pandas as pd
import pytest

from carefacility.base.streams import stream
from carefacility.runner.executors import run_replications


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
