"""Tests for carefacility.queueing.erlang_a against a dense linear solve, fixed truncations
and its limits (Erlang C, M/M/∞)."""

from __future__ import annotations

import math

import numpy as np
import pytest
import scipy.stats
from hypothesis import given
from hypothesis import strategies as st
from queueing_helpers import FAST, strict_numerics

from carefacility.queueing.erlang import mmc_wait
from carefacility.queueing.erlang_a import ErlangAResult, erlang_a

# --------------------------------------------------------------------------------------------
# Erlang-A


# --------------------------------------------------------------------------------------------


def brute_force_erlang_a(servers, arrival_rate, service_rate, abandonment_rate, states=600):
    """Stationary distribution of the truncated chain from a dense linear solve."""
    generator = np.zeros((states, states))
    for n in range(states - 1):
        generator[n, n + 1] = arrival_rate
    for n in range(1, states):
        generator[n, n - 1] = (
            min(n, servers) * service_rate + max(n - servers, 0) * abandonment_rate
        )
    generator -= np.diag(generator.sum(axis=1))
    system = np.vstack([generator.T, np.ones(states)])
    right = np.zeros(states + 1)
    right[-1] = 1.0
    stationary = np.linalg.lstsq(system, right, rcond=None)[0]
    occupancy = np.arange(states)
    return {
        "prob_wait": stationary[occupancy >= servers].sum(),
        "mean_queue_length": stationary @ np.maximum(occupancy - servers, 0),
        "utilisation": stationary @ np.minimum(occupancy, servers) / servers,
    }


@pytest.mark.parametrize(
    ("servers", "arrival_rate", "service_rate", "abandonment_rate"),
    [(5, 7.0, 1.0, 0.5), (3, 2.0, 1.0, 0.1), (10, 9.0, 1.2, 2.0), (1, 4.0, 1.0, 0.3)],
)
def test_erlang_a_matches_dense_linear_solve(servers, arrival_rate, service_rate, abandonment_rate):
    result = erlang_a(servers, arrival_rate, service_rate, abandonment_rate)
    expected = brute_force_erlang_a(servers, arrival_rate, service_rate, abandonment_rate)
    assert isinstance(result, ErlangAResult)
    for name, value in expected.items():
        assert getattr(result, name) == pytest.approx(value, rel=1e-9), name


@pytest.mark.parametrize(
    ("servers", "arrival_rate", "abandonment_rate"),
    [(10, 20.0, 0.01), (100, 90.0, 0.001), (5, 40.0, 0.004)],
)
def test_erlang_a_long_chains_match_fixed_truncation(servers, arrival_rate, abandonment_rate):
    # Heavily loaded, slowly abandoning queues put the bulk of the chain thousands of states
    # above c; compare with a plain sum over a fixed, generous number of states.
    states = np.arange(1, 60_000)
    death = np.minimum(states, servers) + np.maximum(states - servers, 0) * abandonment_rate
    log_weights = np.concatenate(([0.0], np.cumsum(np.log(arrival_rate / death))))
    weights = np.exp(log_weights - log_weights.max())
    weights /= weights.sum()
    occupancy = np.arange(60_000)
    assert weights[-1] == 0.0  # the fixed truncation really holds all the mass
    result = erlang_a(servers, arrival_rate, 1.0, abandonment_rate)
    assert result.prob_wait == pytest.approx(weights[occupancy >= servers].sum(), rel=1e-9)
    assert result.mean_queue_length == pytest.approx(
        weights @ np.maximum(occupancy - servers, 0), rel=1e-9
    )
    assert result.utilisation == pytest.approx(
        weights @ np.minimum(occupancy, servers) / servers, rel=1e-9
    )


@pytest.mark.parametrize(("servers", "arrival_rate"), [(1, 0.5), (10, 8.0), (50, 45.0)])
def test_erlang_a_tiny_abandonment_reproduces_erlang_c(servers, arrival_rate):
    result = erlang_a(servers, arrival_rate, 1.0, 1e-9)
    fifo = mmc_wait(servers, arrival_rate, 1.0)
    assert result.prob_wait == pytest.approx(fifo.prob_wait, rel=1e-6)
    assert result.mean_wait == pytest.approx(fifo.mean_wait, rel=1e-6)
    assert result.mean_queue_length == pytest.approx(fifo.mean_queue_length, rel=1e-6)
    assert result.prob_abandon < 1e-6


def test_erlang_a_zero_abandonment_is_mmc_and_needs_stability():
    result = erlang_a(4, 3.0, 1.0, 0.0)
    fifo = mmc_wait(4, 3.0, 1.0)
    assert result.prob_wait == fifo.prob_wait
    assert result.mean_wait == fifo.mean_wait
    assert result.prob_abandon == 0.0
    with pytest.raises(ValueError, match="with abandonment_rate=0 the queue is M/M/c"):
        erlang_a(4, 4.0, 1.0, 0.0)


@pytest.mark.parametrize(
    ("servers", "offered_load"), [(1, 0.3), (5, 3.0), (5, 9.0), (40, 55.0), (200, 180.0)]
)
def test_erlang_a_with_abandonment_equal_to_service_is_mminf(servers, offered_load):
    result = erlang_a(servers, offered_load * 0.5, 0.5, 0.5)
    poisson = scipy.stats.poisson(offered_load)
    assert result.prob_wait == pytest.approx(poisson.sf(servers - 1), rel=1e-10)
    occupancy = np.arange(0, int(offered_load + 40 * math.sqrt(offered_load) + 50))
    expected_queue = poisson.pmf(occupancy) @ np.maximum(occupancy - servers, 0)
    assert result.mean_queue_length == pytest.approx(expected_queue, rel=1e-9)


@pytest.mark.parametrize(
    ("servers", "arrival_rate", "service_rate", "abandonment_rate"),
    [(5, 7.0, 1.0, 0.5), (20, 15.0, 1.0, 0.05), (8000, 7900.0, 1.0, 0.5), (8000, 8500.0, 1.0, 0.1)],
)
def test_erlang_a_little_and_abandonment_identities(
    servers, arrival_rate, service_rate, abandonment_rate
):
    result = erlang_a(servers, arrival_rate, service_rate, abandonment_rate)
    # Little's law on the queue and the abandonment flow θ E[L_q] = λ P(abandon).
    assert result.mean_queue_length == pytest.approx(arrival_rate * result.mean_wait, rel=1e-12)
    assert result.prob_abandon == pytest.approx(
        abandonment_rate * result.mean_queue_length / arrival_rate, rel=1e-12
    )
    # Flow balance from independent sums: admissions λ(1 - P_ab) = departures c μ utilisation.
    assert result.throughput == pytest.approx(servers * service_rate * result.utilisation, rel=1e-9)
    for probability in (result.prob_wait, result.prob_abandon, result.utilisation):
        assert 0.0 <= probability <= 1.0


def test_erlang_a_large_pool_is_finite_without_warnings():
    with strict_numerics():
        result = erlang_a(10_000, 9_900.0, 1.0, 0.2)
    assert 0.0 < result.prob_wait < 1.0
    assert math.isfinite(result.mean_wait)


@FAST
@given(
    servers=st.integers(min_value=1, max_value=60),
    arrival_rate=st.floats(min_value=0.01, max_value=100.0),
    abandonment_rate=st.floats(min_value=0.01, max_value=10.0),
)
def test_erlang_a_flow_balance_and_monotonicity(servers, arrival_rate, abandonment_rate):
    result = erlang_a(servers, arrival_rate, 1.0, abandonment_rate)
    more_beds = erlang_a(servers + 1, arrival_rate, 1.0, abandonment_rate)
    assert result.throughput == pytest.approx(servers * result.utilisation, rel=1e-8)
    assert more_beds.prob_wait <= result.prob_wait * (1 + 1e-12)
    assert more_beds.mean_wait <= result.mean_wait * (1 + 1e-12)


def test_erlang_a_without_arrivals_is_empty():
    result = erlang_a(3, 0.0, 1.0, 1.0)
    assert result.prob_wait == 0.0 and result.mean_queue_length == 0.0


def test_erlang_a_refuses_unbounded_chain():
    with pytest.raises(ValueError, match="needs more than max_states=10000 states"):
        erlang_a(10, 20.0, 1.0, 1e-6, max_states=10_000)
