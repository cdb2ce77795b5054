"""Tests for carefacility.queueing.analytic against textbook values and independent
implementations."""

from __future__ import annotations

import contextlib
import math
import warnings
from fractions import Fraction

import numpy as np
import pytest
import scipy.integrate
import scipy.linalg
import scipy.stats
from hypothesis import given, settings
from hypothesis import strategies as st

from carefacility.queueing.analytic import (
    ErlangAResult,
    MMcWaitResult,
    ctmc_expected_sojourn,
    ctmc_expected_time_to_absorption,
    ctmc_occupancy,
    ctmc_transition_probabilities,
    erlang_a,
    erlang_b,
    erlang_c,
    littles_law_L,
    mmc_wait,
    mminf_occupancy_pmf,
    mminf_occupancy_quantile,
    priority_mmc_waits,
    servers_for_blocking,
    servers_for_wait,
)

FAST = settings(max_examples=60, deadline=None)


# --------------------------------------------------------------------------------------------
# Independent reference implementations (exact rational arithmetic, small c only)
# --------------------------------------------------------------------------------------------


def exact_erlang_b(servers: int, offered_load: float) -> Fraction:
    load = Fraction(offered_load)
    terms = [load**k / math.factorial(k) for k in range(servers + 1)]
    return terms[-1] / sum(terms)


def exact_erlang_c(servers: int, offered_load: float) -> Fraction:
    load = Fraction(offered_load)
    waiting_term = load**servers / math.factorial(servers) * servers / (servers - load)
    idle_terms = sum(load**k / math.factorial(k) for k in range(servers))
    return waiting_term / (idle_terms + waiting_term)


@contextlib.contextmanager
def strict_numerics():
    """Turn every warning and floating-point overflow/invalid/division into an error."""
    with warnings.catch_warnings(), np.errstate(over="raise", invalid="raise", divide="raise"):
        warnings.simplefilter("error")
        yield


# --------------------------------------------------------------------------------------------
# Erlang B
# --------------------------------------------------------------------------------------------


def test_erlang_b_published_value():
    # Erlang B tables: 10 servers at 5 Erlang block 1.8385 % of arrivals.
    assert erlang_b(10, 5.0) == pytest.approx(0.018385, abs=1e-6)


@pytest.mark.parametrize(
    ("servers", "offered_load"),
    [(1, 0.5), (2, 1.5), (10, 5.0), (10, 12.3), (25, 20.0), (40, 3.25), (60, 80.0)],
)
def test_erlang_b_matches_exact_factorial_formula(servers, offered_load):
    expected = float(exact_erlang_b(servers, offered_load))
    assert erlang_b(servers, offered_load) == pytest.approx(expected, rel=1e-12)


def test_erlang_b_edge_cases():
    assert erlang_b(0, 3.0) == 1.0
    assert erlang_b(5, 0.0) == 0.0
    assert erlang_b(1, 1.0) == pytest.approx(0.5, rel=1e-15)


def test_erlang_b_vectorised_matches_scalar():
    loads = np.array([[0.0, 1.0, 7.5], [20.0, 50.0, 99.0]])
    result = erlang_b(30, loads)
    assert isinstance(result, np.ndarray)
    assert result.shape == loads.shape
    expected = np.array([[erlang_b(30, float(a)) for a in row] for row in loads])
    np.testing.assert_allclose(result, expected, rtol=1e-14)
    assert isinstance(erlang_b(30, 7.5), float)


@pytest.mark.parametrize(
    ("servers", "offered_load"),
    [(8000, 7900.0), (10_000, 9_500.0), (10_000, 10_400.0), (10_000, 50.0), (3000, 4000.0)],
)
def test_erlang_b_large_pools_match_poisson_ratio(servers, offered_load):
    # Independent form: B(c, A) = P(X = c) / P(X ≤ c) for X ~ Poisson(A), in scipy's log space.
    with strict_numerics():
        blocking = erlang_b(servers, offered_load)
    assert 0.0 <= blocking <= 1.0
    poisson = scipy.stats.poisson(offered_load)
    expected = math.exp(poisson.logpmf(servers) - poisson.logcdf(servers))
    assert blocking == pytest.approx(expected, rel=1e-9, abs=1e-300)


@FAST
@given(
    servers=st.integers(min_value=0, max_value=300),
    offered_load=st.floats(min_value=0.0, max_value=500.0),
)
def test_erlang_b_is_a_probability_and_decreases_in_servers(servers, offered_load):
    blocking = erlang_b(servers, offered_load)
    more_servers = erlang_b(servers + 1, offered_load)
    assert 0.0 <= more_servers <= blocking <= 1.0


@FAST
@given(
    servers=st.integers(min_value=1, max_value=300),
    offered_load=st.floats(min_value=0.0, max_value=500.0),
    extra_load=st.floats(min_value=0.0, max_value=50.0),
)
def test_erlang_b_increases_with_load(servers, offered_load, extra_load):
    assert erlang_b(servers, offered_load) <= erlang_b(servers, offered_load + extra_load)


def test_erlang_b_rejects_bad_arguments():
    with pytest.raises(ValueError, match="offered_load must be ≥ 0"):
        erlang_b(3, -1.0)
    with pytest.raises(ValueError, match="servers must be ≥ 0"):
        erlang_b(-1, 1.0)
    with pytest.raises(TypeError, match="servers must be an integer"):
        erlang_b(2.5, 1.0)


# --------------------------------------------------------------------------------------------
# Erlang C and M/M/c
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("servers", "offered_load"),
    [(1, 0.5), (2, 1.5), (3, 2.9), (10, 5.0), (10, 9.5), (30, 25.0), (50, 10.0)],
)
def test_erlang_c_matches_exact_direct_sum(servers, offered_load):
    expected = float(exact_erlang_c(servers, offered_load))
    assert erlang_c(servers, offered_load) == pytest.approx(expected, rel=1e-12)


def test_erlang_c_single_server_is_utilisation():
    assert erlang_c(1, 0.7) == pytest.approx(0.7, rel=1e-14)


def test_erlang_c_vectorised():
    loads = np.array([0.0, 2.0, 9.9])
    np.testing.assert_allclose(
        erlang_c(10, loads), [erlang_c(10, float(a)) for a in loads], rtol=1e-14
    )


def test_erlang_c_large_pool_is_finite_without_warnings():
    with strict_numerics():
        waiting = erlang_c(8000, 7900.0)
        result = mmc_wait(8000, 7900.0, 1.0)
    assert 0.0 < waiting < 1.0
    poisson = scipy.stats.poisson(7900.0)
    blocking = math.exp(poisson.logpmf(8000) - poisson.logcdf(8000))
    assert waiting == pytest.approx(blocking / (1 - 7900 / 8000 * (1 - blocking)), rel=1e-9)
    assert math.isfinite(result.mean_wait) and result.mean_wait > 0.0


@FAST
@given(
    servers=st.integers(min_value=1, max_value=300),
    fraction=st.floats(min_value=0.0, max_value=0.999),
)
def test_erlang_c_bounds(servers, fraction):
    load = fraction * servers
    waiting = erlang_c(servers, load)
    assert erlang_b(servers, load) <= waiting <= 1.0
    if servers > 1:
        assert erlang_c(servers, load) >= erlang_c(servers + 1, load)


def test_erlang_c_rejects_unstable_load():
    with pytest.raises(ValueError, match="offered_load must be < servers"):
        erlang_c(5, 5.0)
    with pytest.raises(ValueError, match="servers must be ≥ 1"):
        erlang_c(0, 0.0)


def test_mm1_wait_matches_textbook():
    result = mmc_wait(1, 0.8, 1.0)
    assert isinstance(result, MMcWaitResult)
    assert result.prob_wait == pytest.approx(0.8, rel=1e-14)
    assert result.mean_wait == pytest.approx(0.8 / (1.0 - 0.8), rel=1e-12)
    assert result.mean_queue_length == pytest.approx(0.8**2 / (1 - 0.8), rel=1e-12)
    assert result.utilisation == pytest.approx(0.8, rel=1e-14)


def test_mm2_wait_matches_hand_calculation():
    # λ = 1.5, μ = 1, c = 2: P0 = 1/7, C = 9/14, Wq = C / (2 - 1.5) = 9/7.
    result = mmc_wait(2, 1.5, 1.0)
    assert result.prob_wait == pytest.approx(9 / 14, rel=1e-13)
    assert result.mean_wait == pytest.approx(9 / 7, rel=1e-13)
    assert result.mean_queue_length == pytest.approx(1.5 * 9 / 7, rel=1e-13)


def test_mmc_wait_tail_and_quantile():
    result = mmc_wait(12, 10.0, 1.0)
    decay = 12.0 - 10.0
    assert result.wait_tail(0.0) == pytest.approx(result.prob_wait, rel=1e-15)
    assert result.wait_tail(-1.0) == 1.0
    assert result.wait_tail(0.7) == pytest.approx(result.prob_wait * math.exp(-decay * 0.7))
    # The tail integrates to the mean wait.
    integral, _ = scipy.integrate.quad(result.wait_tail, 0.0, np.inf)
    assert integral == pytest.approx(result.mean_wait, rel=1e-8)
    # Quantiles: zero inside the atom, the inverse of the tail outside it.
    assert result.wait_quantile(0.0) == 0.0
    assert result.wait_quantile(1.0 - result.prob_wait - 1e-9) == 0.0
    for level in (0.9, 0.95, 0.999):
        quantile = result.wait_quantile(level)
        assert quantile > 0.0
        assert result.wait_tail(quantile) == pytest.approx(1.0 - level, rel=1e-10)
    assert result.wait_quantile(1.0) == math.inf
    levels = np.linspace(0.0, 0.999, 50)
    quantiles = result.wait_quantile(levels)
    assert quantiles.shape == levels.shape
    assert np.all(np.diff(quantiles) >= 0.0)


def test_mmc_wait_quantile_rejects_bad_level():
    with pytest.raises(ValueError, match=r"probability must lie in \[0, 1\]"):
        mmc_wait(2, 1.0, 1.0).wait_quantile(1.5)


def test_mmc_wait_rejects_unstable_queue():
    with pytest.raises(ValueError, match="arrival_rate must be < servers \\* service_rate"):
        mmc_wait(3, 3.0, 1.0)


def test_mmc_wait_is_frozen():
    result = mmc_wait(2, 1.0, 1.0)
    with pytest.raises(AttributeError):
        result.mean_wait = 0.0  # type: ignore[misc]


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


# --------------------------------------------------------------------------------------------
# M/M/∞ and staffing searches
# --------------------------------------------------------------------------------------------


def test_mminf_pmf_matches_formula():
    load = 3.7
    expected = [math.exp(-load) * load**n / math.factorial(n) for n in range(15)]
    np.testing.assert_allclose(mminf_occupancy_pmf(load, np.arange(15)), expected, rtol=1e-12)
    assert mminf_occupancy_pmf(load, 2) == pytest.approx(expected[2], rel=1e-12)
    assert mminf_occupancy_pmf(0.0, 0) == 1.0


@pytest.mark.parametrize("load", [0.4, 5.0, 37.5, 900.0])
@pytest.mark.parametrize("level", [0.01, 0.5, 0.9, 0.999])
def test_mminf_quantile_matches_cumulative_search(load, level):
    occupancy = np.arange(0, int(load + 20 * math.sqrt(load) + 30))
    cumulative = np.cumsum(mminf_occupancy_pmf(load, occupancy))
    expected = int(np.argmax(cumulative >= level))
    assert mminf_occupancy_quantile(load, level) == expected


def test_mminf_quantile_edges():
    assert mminf_occupancy_quantile(5.0, 0.0) == 0
    assert mminf_occupancy_quantile(0.0, 0.99) == 0
    with pytest.raises(ValueError, match=r"probability must lie in \[0, 1\)"):
        mminf_occupancy_quantile(5.0, 1.0)


def test_servers_for_blocking_known_case():
    # B(9, 5) = 0.0375 > 0.02 ≥ B(10, 5) = 0.0184.
    assert servers_for_blocking(5.0, 0.02) == 10
    assert servers_for_blocking(5.0, 1.0) == 0
    with pytest.raises(ValueError, match=r"target must lie in \(0, 1\]"):
        servers_for_blocking(5.0, 0.0)


@FAST
@given(
    offered_load=st.floats(min_value=0.0, max_value=2000.0),
    target=st.floats(min_value=1e-6, max_value=1.0),
)
def test_servers_for_blocking_is_smallest(offered_load, target):
    servers = servers_for_blocking(offered_load, target)
    assert erlang_b(servers, offered_load) <= target
    if servers > 0:
        assert erlang_b(servers - 1, offered_load) > target


@FAST
@given(
    arrival_rate=st.floats(min_value=0.0, max_value=500.0),
    service_rate=st.floats(min_value=0.05, max_value=5.0),
    max_wait=st.floats(min_value=0.0, max_value=30.0),
    target_prob=st.floats(min_value=0.0, max_value=0.999),
)
def test_servers_for_wait_is_smallest(arrival_rate, service_rate, max_wait, target_prob):
    servers = servers_for_wait(arrival_rate, service_rate, max_wait, target_prob)
    assert servers >= 1
    result = mmc_wait(servers, arrival_rate, service_rate)
    assert 1.0 - result.wait_tail(max_wait) >= target_prob
    fewer = servers - 1
    if fewer >= 1 and fewer * service_rate > arrival_rate:
        assert 1.0 - mmc_wait(fewer, arrival_rate, service_rate).wait_tail(max_wait) < target_prob


def test_servers_for_wait_known_case():
    # λ = 1.5, μ = 1: c = 2 gives P(W = 0) = 5/14 ≈ 0.357; c = 3 gives 1 - C(3, 1.5) ≈ 0.763.
    assert servers_for_wait(1.5, 1.0, 0.0, 0.5) == 3
    assert servers_for_wait(1.5, 1.0, 0.0, 0.3) == 2


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


# --------------------------------------------------------------------------------------------
# Continuous-time Markov chains
# --------------------------------------------------------------------------------------------


def test_two_state_transition_probabilities_match_closed_form():
    up, down, time = 0.3, 1.7, 0.8
    generator = [[-up, up], [down, -down]]
    decay = math.exp(-(up + down) * time)
    expected = np.array(
        [[down + up * decay, up - up * decay], [down - down * decay, up + down * decay]]
    ) / (up + down)
    np.testing.assert_allclose(ctmc_transition_probabilities(generator, time), expected, rtol=1e-13)
    np.testing.assert_allclose(ctmc_transition_probabilities(generator, 0.0), np.eye(2))


@pytest.mark.parametrize(
    ("generator", "message"),
    [
        ([[-1.0, 1.0], [-0.5, 0.5]], r"generator\[1, 0\] = -0.5 is negative"),
        ([[-1.0, 0.5], [0.5, -0.5]], r"generator row 0 sums to -0.5"),
        ([[-1.0, 1.0, 0.0]], r"square matrix"),
        ([[-np.inf, np.inf], [0.0, 0.0]], r"finite"),
    ],
)
def test_generator_validation_messages(generator, message):
    with pytest.raises(ValueError, match=message):
        ctmc_transition_probabilities(generator, 1.0)


def test_transition_probabilities_reject_negative_time():
    with pytest.raises(ValueError, match="time must be ≥ 0"):
        ctmc_transition_probabilities([[0.0]], -1.0)


def test_sojourn_single_transient_state_is_reciprocal_rate():
    rate = 0.25
    generator = [[-rate, rate], [0.0, 0.0]]
    np.testing.assert_allclose(ctmc_expected_sojourn(generator, [1.0, 0.0]), [1 / rate])
    assert ctmc_expected_time_to_absorption(generator, [1.0, 0.0]) == pytest.approx(4.0)
    # Starting already absorbed half the time halves the expectation.
    assert ctmc_expected_time_to_absorption(generator, [0.5, 0.5]) == pytest.approx(2.0)


def test_sojourn_two_transient_states_solved_by_hand():
    # 0 → 1 at 1, 0 → dead at 1, 1 → 0 at 2, 1 → dead at 0.5.
    # -Q_TT = [[2, -1], [-2, 2.5]], det = 3, inverse = [[2.5, 1], [2, 2]] / 3.
    generator = [[-2.0, 1.0, 1.0], [2.0, -2.5, 0.5], [0.0, 0.0, 0.0]]
    np.testing.assert_allclose(
        ctmc_expected_sojourn(generator, [1.0, 0.0, 0.0]), [2.5 / 3, 1 / 3], rtol=1e-13
    )
    np.testing.assert_allclose(
        ctmc_expected_sojourn(generator, [0.0, 1.0, 0.0], transient_states=[0, 1]),
        [2 / 3, 2 / 3],
        rtol=1e-13,
    )
    np.testing.assert_allclose(
        ctmc_expected_sojourn(generator, [1.0, 0.0, 0.0], transient_states=[1, 0]),
        [1 / 3, 2.5 / 3],
        rtol=1e-13,
    )


def test_care_level_progression_time_to_death():
    # independent → partially_dependent → dependent → dementia → death, each with its own exit
    # rate and no way back: the expected lifetime is the sum of the mean sojourns.
    rates = [0.2, 0.35, 0.5, 0.8]
    generator = np.zeros((5, 5))
    for state, rate in enumerate(rates):
        generator[state, state] = -rate
        generator[state, state + 1] = rate
    start = [1.0, 0.0, 0.0, 0.0, 0.0]
    np.testing.assert_allclose(ctmc_expected_sojourn(generator, start), 1 / np.array(rates))
    assert ctmc_expected_time_to_absorption(generator, start) == pytest.approx(
        sum(1 / r for r in rates)
    )


def test_sojourn_rejects_trapped_states():
    # States 1 and 2 swap forever and never reach the absorbing state 3.
    generator = [
        [-1.0, 0.5, 0.0, 0.5],
        [0.0, -1.0, 1.0, 0.0],
        [0.0, 1.0, -1.0, 0.0],
        [0.0, 0.0, 0.0, 0.0],
    ]
    with pytest.raises(ValueError, match=r"states \[1, 2\] are treated as transient"):
        ctmc_expected_sojourn(generator, [1.0, 0.0, 0.0, 0.0])
    with pytest.raises(ValueError, match="initial_distribution must sum to 1"):
        ctmc_expected_sojourn(generator, [0.5, 0.0, 0.0, 0.0], transient_states=[0])


THREE_STATE = np.array([[-0.9, 0.6, 0.3], [0.2, -0.5, 0.3], [0.4, 0.1, -0.5]])


def test_occupancy_matches_numerical_quadrature():
    start = np.array([0.2, 0.5, 0.3])
    horizon = 3.7
    expected, _ = scipy.integrate.quad_vec(
        lambda s: start @ scipy.linalg.expm(THREE_STATE * s), 0.0, horizon, epsabs=1e-13
    )
    occupancy = ctmc_occupancy(THREE_STATE, start, horizon)
    np.testing.assert_allclose(occupancy, expected, rtol=1e-10)
    assert occupancy.sum() == pytest.approx(horizon, rel=1e-12)
    np.testing.assert_array_equal(ctmc_occupancy(THREE_STATE, start, 0.0), np.zeros(3))


def test_occupancy_of_transient_states_tends_to_sojourn():
    generator = [[-2.0, 1.0, 1.0], [2.0, -2.5, 0.5], [0.0, 0.0, 0.0]]
    start = [0.3, 0.7, 0.0]
    occupancy = ctmc_occupancy(generator, start, 200.0)
    np.testing.assert_allclose(occupancy[:2], ctmc_expected_sojourn(generator, start), rtol=1e-9)


@FAST
@given(
    rates=st.lists(st.floats(min_value=0.0, max_value=5.0), min_size=12, max_size=12),
    horizon=st.floats(min_value=0.0, max_value=20.0),
)
def test_random_chain_probabilities_and_occupancy_are_consistent(rates, horizon):
    generator = np.zeros((4, 4))
    generator[~np.eye(4, dtype=bool)] = rates
    generator -= np.diag(generator.sum(axis=1))
    transition = ctmc_transition_probabilities(generator, horizon)
    np.testing.assert_allclose(transition.sum(axis=1), 1.0, atol=1e-10)
    assert np.all(transition >= -1e-12)
    occupancy = ctmc_occupancy(generator, [0.25, 0.25, 0.25, 0.25], horizon)
    assert occupancy.sum() == pytest.approx(horizon, rel=1e-9, abs=1e-12)
    assert np.all(occupancy >= -1e-10)


# --------------------------------------------------------------------------------------------
# Little's law
# --------------------------------------------------------------------------------------------


def test_littles_law():
    assert littles_law_L(2.0, 3.5) == 7.0
    np.testing.assert_allclose(littles_law_L([1.0, 2.0], [10.0, 0.5]), [10.0, 1.0])
    fifo = mmc_wait(6, 5.0, 1.0)
    assert littles_law_L(5.0, fifo.mean_wait) == pytest.approx(fifo.mean_queue_length)
