"""A pool kept open for many rounds gives what run_batches gives, on every executor."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from carefacility.base.streams import stream
from carefacility.runner.batch_session import BatchSession
from carefacility.runner.executors import Batch, DaskAddressError, run_batches


def noisy(prepared: float, seed: int, replication: int) -> pd.DataFrame:
    """A replication drawing from its named stream."""
    draw = stream(seed, replication, "test").normal(size=2)
    return pd.DataFrame({"year": [0, 1], "metric": "x", "value": prepared + draw, "unit": "-"})


BATCHES = [Batch(1.0, [0, 1, 2]), Batch(10.0, [3, 4])]


@pytest.mark.parametrize("executor", ["serial", "processes"])
def test_rounds_on_one_pool_equal_run_batches(executor: str) -> None:
    expected = run_batches(noisy, BATCHES, seed=7, executor="serial")
    ticks = []
    with BatchSession(executor, workers=2) as session:
        for _round in range(3):  # the same pool, round after round
            found = session.run(noisy, BATCHES, seed=7, on_done=lambda: ticks.append(1))
            for one, other in zip(found, expected, strict=True):
                pd.testing.assert_frame_equal(one, other)
    assert len(ticks) == 15
    assert session._pool is None  # closed


def test_dask_local_cluster_equals_serial() -> None:
    pytest.importorskip("dask.distributed")
    expected = run_batches(noisy, BATCHES, seed=7, executor="serial")
    with BatchSession("dask", workers=2) as session:
        for _round in range(2):
            found = session.run(noisy, BATCHES, seed=7)
            for one, other in zip(found, expected, strict=True):
                pd.testing.assert_frame_equal(one, other)


def test_bad_arguments() -> None:
    with pytest.raises(ValueError, match="executor must be"):
        BatchSession("threads")  # type: ignore[arg-type]
    with pytest.raises(DaskAddressError):
        BatchSession("dask", dask_address="not an address")
    with BatchSession("serial") as session, pytest.raises(ValueError, match="no replications"):
        session.run(noisy, [Batch(1.0, [])], seed=1)
    assert np.isfinite(noisy(0.0, 1, 0)["value"]).all()
