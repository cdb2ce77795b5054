"""Tests for carefacility.queueing.priority against the conservation law and Cobham's M/G/1
formula."""

from __future__ import annotations

import numpy as np
import pytest

from carefacility.queueing.erlang import mmc_wait
from carefacility.queueing.priority import priority_mmc_waits

# --------------------------------------------------------------------------------------------
# Non-preemptive priority M/M/c


# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("servers", "arrival_rates", "service_rate"),
    [(1, [0.2, 0.3, 0.1], 1.0), (4, [1.0, 0.5, 2.0], 1.1), (50, [10.0, 20.0, 15.0, 3.0], 1.0)],
)
def test_priority_waits_obey_conservation_law(servers, arrival_rates, service_rate):
    waits = priority_mmc_waits(servers, arrival_rates, service_rate)
    fifo = mmc_wait(servers, sum(arrival_rates), service_rate)
    average = np.dot(arrival_rates, waits) / sum(arrival_rates)
    assert average == pytest.approx(fifo.mean_wait, rel=1e-12)
    assert np.all(np.diff(waits) > 0.0)


def test_priority_single_server_is_cobham():
    arrival_rates = np.array([0.1, 0.25, 0.3])
    service_rate = 1.3
    # M/G/1 Cobham: W_k = W0 / ((1 - σ_{k-1})(1 - σ_k)), W0 = Σ λ_i E[S²] / 2, E[S²] = 2/μ².
    residual = arrival_rates.sum() * (2 / service_rate**2) / 2
    loads = np.cumsum(arrival_rates / service_rate)
    expected = [residual / ((1 - (loads[k - 1] if k else 0.0)) * (1 - loads[k])) for k in range(3)]
    np.testing.assert_allclose(
        priority_mmc_waits(1, arrival_rates, service_rate), expected, rtol=1e-12
    )


def test_priority_single_class_is_fifo():
    waits = priority_mmc_waits(7, [5.5], 1.0)
    assert waits.shape == (1,)
    assert waits[0] == pytest.approx(mmc_wait(7, 5.5, 1.0).mean_wait, rel=1e-13)


def test_priority_rejects_unstable_or_empty():
    with pytest.raises(ValueError, match="total arrival rate must be <"):
        priority_mmc_waits(2, [1.0, 1.0], 1.0)
    with pytest.raises(ValueError, match="non-empty 1-D sequence"):
        priority_mmc_waits(2, [], 1.0)
    with pytest.raises(ValueError, match="arrival_rates must be ≥ 0"):
        priority_mmc_waits(2, [1.0, -0.1], 1.0)
