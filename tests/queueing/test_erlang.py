"""Tests for carefacility.queueing.erlang (Erlang B and C, M/M/c waits, server sizing) against
textbook values and independent implementations."""

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np
import pytest
import scipy.integrate
import scipy.stats
from hypothesis import given
from hypothesis import strategies as st
from queueing_helpers import FAST, strict_numerics

from carefacility.queueing.erlang import (
    MMcWaitResult,
    erlang_b,
    erlang_c,
    mmc_wait,
    servers_for_blocking,
    servers_for_wait,
)

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
# Staffing searches


# --------------------------------------------------------------------------------------------


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
