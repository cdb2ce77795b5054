"""Tests for carefacility.queueing.transient (the M(t)/M/∞ system in transient) against numerical
quadrature, the closed forms of constant and linear rates, and a Monte Carlo simulation."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
import scipy.integrate
from hypothesis import given
from hypothesis import strategies as st
from queueing_helpers import FAST, strict_numerics

from carefacility.queueing.transient import (
    DAYS_PER_MODEL_YEAR,
    mt_infinite_server_mean,
    mt_infinite_server_occupancy,
    mt_infinite_server_year_average,
    transient_occupancy_by_year,
)

YEAR = DAYS_PER_MODEL_YEAR

# --------------------------------------------------------------------------------------------
# Independent reference: the defining integrals, by adaptive quadrature


# --------------------------------------------------------------------------------------------


def rate_at(t: float, means, slopes) -> float:
    """λ(t) exactly as the simulator defines it [1/day]."""
    year = min(int(t // YEAR), len(means) - 1)
    return means[year] + slopes[year] * (t - (YEAR * year + YEAR / 2))


def hazard(t: float, service_rates) -> float:
    """∫₀ᵗ μ(s) ds for a departure rate constant within each model year [-]."""
    total = 0.0
    for year, mu in enumerate(service_rates):
        overlap = min(t, YEAR * (year + 1)) - YEAR * year
        if overlap > 0:
            total += mu * overlap
    return total


def reference_mean(t: float, means, slopes, stays, census: float, warmup: float = 0.0) -> float:
    """n0 exp(-∫₋ᵂᵗ μ) + ∫₋ᵂᵗ λ(s) exp(-∫ₛᵗ μ) ds by scipy.integrate.quad [persons], with a
    warm-up of W days at year 0's mean rate and departure rate before t = 0."""
    service_rates = [1.0 / s for s in stays]
    total_hazard = hazard(t, service_rates)
    if warmup > 0:
        mu0 = service_rates[0]
        warm, _ = scipy.integrate.quad(
            lambda s: means[0] * math.exp(-(total_hazard - mu0 * s)), -warmup, 0.0,
            epsabs=1e-13, epsrel=1e-12)
        census_left = census * math.exp(-mu0 * warmup)
        return warm + reference_mean(t, means, slopes, stays, census_left)

    def integrand(s: float) -> float:
        return rate_at(s, means, slopes) * math.exp(-(total_hazard - hazard(s, service_rates)))

    breaks = [YEAR * k for k in range(1, len(means)) if YEAR * k < t]
    value = 0.0
    edges = [0.0, *breaks, t]
    for lower, upper in itertools.pairwise(edges):
        piece, _ = scipy.integrate.quad(integrand, lower, upper, epsabs=1e-13, epsrel=1e-12,
                                        limit=200)
        value += piece
    return census * math.exp(-total_hazard) + value


def random_pieces(rng: np.random.Generator, years: int):
    means = rng.uniform(0.0, 5.0, size=years)
    # slopes keeping the rate ≥ 0 within each year
    slopes = rng.uniform(-1.0, 1.0, size=years) * means / (YEAR / 2)
    return means, slopes


# --------------------------------------------------------------------------------------------
# Mean occupancy


# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("seed", range(6))
def test_mean_matches_quadrature_for_random_pieces(seed):
    rng = np.random.default_rng(seed)
    years = int(rng.integers(1, 6))
    means, slopes = random_pieces(rng, years)
    stay = float(rng.uniform(20.0, 1500.0))
    census = float(rng.uniform(0.0, 800.0))
    times = np.sort(rng.uniform(0.0, YEAR * years, size=7))
    times = np.concatenate((times, [0.0, YEAR * years], YEAR * np.arange(1, years)))
    expected = [reference_mean(t, means, slopes, [stay] * years, census) for t in times]
    got = mt_infinite_server_mean(times, means, stay, arrival_trend_per_day_per_day=slopes,
                                  initial_census=census)
    np.testing.assert_allclose(got, expected, rtol=1e-9, atol=1e-9)


@pytest.mark.parametrize("seed", range(4))
def test_mean_matches_quadrature_with_a_stay_per_year(seed):
    rng = np.random.default_rng(100 + seed)
    years = 4
    means, slopes = random_pieces(rng, years)
    stays = rng.uniform(30.0, 900.0, size=years)
    census = 250.0
    times = np.linspace(0.0, YEAR * years, 13)
    expected = [reference_mean(t, means, slopes, stays, census) for t in times]
    got = mt_infinite_server_mean(times, means, stays, arrival_trend_per_day_per_day=slopes,
                                  initial_census=census)
    np.testing.assert_allclose(got, expected, rtol=1e-9, atol=1e-9)


@given(
    rate=st.floats(0.0, 50.0),
    stay=st.floats(0.5, 20000.0),
    fraction=st.floats(0.0, 1.0),
    years=st.integers(1, 40),
)
@FAST
def test_constant_rate_is_the_textbook_fill_curve(rate, stay, fraction, years):
    # M/M/∞ from empty with a constant rate: m(t) = (λ/μ)(1 - e^{-μt}).
    t = fraction * YEAR * years
    expected = rate * stay * -math.expm1(-t / stay)
    with strict_numerics():
        got = mt_infinite_server_mean(t, [rate] * years, stay)
    assert isinstance(got, float)
    assert got == pytest.approx(expected, rel=1e-12, abs=1e-12)


@pytest.mark.parametrize(("intercept", "slope", "stay"),
                         [(2.0, 0.001, 400.0), (10.0, 0.004, 1000.0), (0.5, 0.0002, 60.0)])
def test_linear_rate_lags_the_offered_load_by_b_over_mu_squared(intercept, slope, stay):
    # λ(t) = a + b t throughout: year y's mean is a + b (365 y + 182.5) and its slope b. From
    # empty, m(t) = (a + b t)/μ - b/μ² - (a/μ - b/μ²) e^{-μt}; the offered load is λ(t)/μ.
    years = 30
    mu = 1.0 / stay
    means = intercept + slope * (YEAR * np.arange(years) + YEAR / 2)
    times = np.linspace(0.0, YEAR * years, 61)
    result = mt_infinite_server_occupancy(times, means, stay,
                                          arrival_trend_per_day_per_day=slope)
    exact = ((intercept + slope * times) / mu - slope / mu**2
             - (intercept / mu - slope / mu**2) * np.exp(-mu * times))
    np.testing.assert_allclose(result.mean_persons, exact, rtol=1e-11, atol=1e-9)
    np.testing.assert_allclose(result.offered_load_persons, (intercept + slope * times) / mu,
                               rtol=1e-12)
    # the lag behind the offered load tends to b/μ² as the start is forgotten
    lag = result.offered_load_persons - result.mean_persons
    residual = np.abs(lag - slope / mu**2)
    assert np.all(np.diff(residual) <= 1e-9)
    assert residual[-1] < 1e-4 * slope / mu**2


@given(census=st.floats(0.0, 5000.0), stay=st.floats(1.0, 5000.0), t=st.floats(0.0, 3 * YEAR))
@FAST
def test_starting_census_decays_exponentially(census, stay, t):
    # No arrivals: each of n0 residents is still present with p = e^{-t/S}.
    p = math.exp(-t / stay)
    with strict_numerics():
        fixed = mt_infinite_server_occupancy(t, [0.0] * 3, stay, initial_census=census)
        poisson = mt_infinite_server_occupancy(t, [0.0] * 3, stay, initial_census=census,
                                               initial_census_is_poisson=True)
    assert float(fixed.mean_persons) == pytest.approx(census * p, rel=1e-12, abs=1e-300)
    assert float(fixed.from_initial_census_persons) == float(fixed.mean_persons)
    assert float(fixed.from_arrivals_persons) == 0.0
    assert float(fixed.variance_persons_sq) == pytest.approx(census * p * (1 - p), rel=1e-10,
                                                              abs=1e-12)
    assert float(poisson.variance_persons_sq) == pytest.approx(census * p, rel=1e-12,
                                                                abs=1e-300)


def test_starting_census_and_arrivals_add_up():
    means, slopes, stay, census = [3.0, 3.5], [0.001, -0.002], 250.0, 900.0
    times = np.array([0.0, 10.0, 400.0, 730.0])
    both = mt_infinite_server_occupancy(times, means, stay, arrival_trend_per_day_per_day=slopes,
                                        initial_census=census)
    empty = mt_infinite_server_mean(times, means, stay, arrival_trend_per_day_per_day=slopes)
    np.testing.assert_allclose(both.from_arrivals_persons, empty, rtol=1e-14)
    np.testing.assert_allclose(both.from_initial_census_persons,
                               census * np.exp(-times / stay), rtol=1e-14)
    p = np.exp(-times / stay)
    np.testing.assert_allclose(both.variance_persons_sq, empty + census * p * (1 - p),
                               rtol=1e-14)
    assert both.mean_persons[0] == census


def test_stationary_start_stays_stationary():
    # A Poisson start at the stationary load with a constant rate: m(t) = λ/μ, Var = λ/μ.
    rate, stay = 4.0, 300.0
    times = np.linspace(0.0, 5 * YEAR, 11)
    result = mt_infinite_server_occupancy(times, [rate] * 5, stay, initial_census=rate * stay,
                                          initial_census_is_poisson=True)
    np.testing.assert_allclose(result.mean_persons, rate * stay, rtol=1e-13)
    np.testing.assert_allclose(result.variance_persons_sq, rate * stay, rtol=1e-13)


def test_mean_and_variance_match_a_monte_carlo_simulation():
    # Simulate the model directly: non-homogeneous Poisson arrivals by thinning, exponential
    # stays, and a fixed starting census; count those present at t.
    rng = np.random.default_rng(20240611)
    means, slopes, stay, census = [0.6, 0.9], [0.0015, 0.001], 120.0, 50
    t = 600.0  # in the second of the two model years
    peak = max(m + abs(b) * YEAR / 2 for m, b in zip(means, slopes, strict=True))
    replications = 4000
    counts = rng.poisson(peak * t, size=replications)
    rep = np.repeat(np.arange(replications), counts)
    arrival = rng.uniform(0.0, t, size=rep.size)
    rates = np.array([rate_at(s, means, slopes) for s in arrival])
    kept = rng.uniform(size=rep.size) * peak < rates
    present = kept & (arrival + rng.exponential(stay, size=rep.size) > t)
    from_arrivals = np.bincount(rep[present], minlength=replications)
    survivors = rng.binomial(census, math.exp(-t / stay), size=replications)
    number = from_arrivals + survivors
    result = mt_infinite_server_occupancy(t, means, stay, arrival_trend_per_day_per_day=slopes,
                                          initial_census=census)
    mean, variance = float(result.mean_persons), float(result.variance_persons_sq)
    standard_error = math.sqrt(variance / replications)
    assert abs(number.mean() - mean) < 4 * standard_error
    # the sample variance of ~4000 draws is within ~10 % of the true one
    assert number.var(ddof=1) == pytest.approx(variance, rel=0.1)


@pytest.mark.parametrize("warmup", [30.0, 365.0, 1000.0])
def test_warmup_matches_quadrature(warmup):
    rng = np.random.default_rng(7)
    means, slopes = random_pieces(rng, 3)
    stays, census = [150.0, 300.0, 80.0], 120.0
    times = np.linspace(0.0, 3 * YEAR, 10)
    expected = [reference_mean(t, means, slopes, stays, census, warmup) for t in times]
    got = mt_infinite_server_mean(times, means, stays, arrival_trend_per_day_per_day=slopes,
                                  initial_census=census, warmup_days=warmup)
    np.testing.assert_allclose(got, expected, rtol=1e-9, atol=1e-9)


def test_warmup_with_a_constant_rate_relaxes_towards_the_load():
    # Constant λ, census n0 at -W: m(t) = λS + (n0 - λS) e^{-(t + W)/S}; the census part is
    # n0 e^{-(t+W)/S} and the variance m_arr + n0 p (1 - p).
    rate, stay, census, warmup = 2.0, 200.0, 100.0, 90.0
    times = np.array([0.0, 50.0, 365.0])
    p = np.exp(-(times + warmup) / stay)
    result = mt_infinite_server_occupancy(times, [rate], stay, initial_census=census,
                                          warmup_days=warmup)
    np.testing.assert_allclose(result.mean_persons, rate * stay + (census - rate * stay) * p,
                               rtol=1e-13)
    np.testing.assert_allclose(result.from_initial_census_persons, census * p, rtol=1e-13)
    np.testing.assert_allclose(result.variance_persons_sq,
                               rate * stay * (1 - p) + census * p * (1 - p), rtol=1e-13)


# --------------------------------------------------------------------------------------------
# Year averages and the per-year table


# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("seed", range(3))
def test_year_average_matches_quadrature_of_the_mean(seed):
    rng = np.random.default_rng(200 + seed)
    years = 3
    means, slopes = random_pieces(rng, years)
    stays = rng.uniform(15.0, 2000.0, size=years)
    census = 400.0
    expected = [
        scipy.integrate.quad(lambda t: reference_mean(t, means, slopes, stays, census),
                             YEAR * y, YEAR * (y + 1), epsabs=1e-10, epsrel=1e-10)[0] / YEAR
        for y in range(years)
    ]
    got = mt_infinite_server_year_average(means, stays, arrival_trend_per_day_per_day=slopes,
                                          initial_census=census)
    np.testing.assert_allclose(got, expected, rtol=1e-8)


def test_year_average_of_a_very_long_stay_is_the_arrivals_so_far():
    # μ → 0: nobody leaves; with rate λ from empty, the year-0 average is λ · 365 / 2.
    got = mt_infinite_server_year_average([2.0, 2.0], 1e12)
    np.testing.assert_allclose(got, [2.0 * YEAR / 2, 2.0 * YEAR * 1.5], rtol=1e-9)


def test_by_year_splits_lag_and_starting_census():
    rate, stay, years = 3.0, 500.0, 6
    load = rate * stay
    labels = np.arange(2025, 2025 + years)
    # Constant rate, start at the stationary load: no lag, no starting-census effect.
    steady = transient_occupancy_by_year(labels, [rate] * years, stay, initial_census=load)
    np.testing.assert_allclose(steady["transient_mean_beds"], load, rtol=1e-13)
    np.testing.assert_allclose(steady[["lag_beds", "starting_census_effect_beds"]], 0.0,
                               atol=1e-9)
    # Constant rate, empty start: the whole deficit is the starting census; the year average of
    # -A e^{-μt} over year y is -A e^{-μ 365 y} (1 - e^{-μ 365}) / (μ 365).
    empty = transient_occupancy_by_year(labels, [rate] * years, stay)
    mu = 1.0 / stay
    y = np.arange(years)
    deficit = -load * np.exp(-mu * YEAR * y) * -math.expm1(-mu * YEAR) / (mu * YEAR)
    np.testing.assert_allclose(empty["starting_census_effect_beds"], deficit, rtol=1e-12)
    np.testing.assert_allclose(empty["lag_beds"], 0.0, atol=1e-9)
    np.testing.assert_allclose(empty["stationary_load_beds"], load)
    assert list(empty["year"]) == list(labels)
    np.testing.assert_allclose(empty["year_end_mean_beds"],
                               load * -np.expm1(-mu * YEAR * (y + 1)), rtol=1e-12)


def test_by_year_lag_of_growing_demand_tends_to_b_over_mu_squared():
    # λ(t) = a + b t from a start at the stationary load a/μ: the lag builds up to -b/μ².
    intercept, slope, stay, years = 5.0, 0.002, 300.0, 20
    means = intercept + slope * (YEAR * np.arange(years) + YEAR / 2)
    table = transient_occupancy_by_year(np.arange(years), means, stay,
                                        arrival_trend_per_day_per_day=slope,
                                        initial_census=intercept * stay)
    assert table["starting_census_effect_beds"].abs().max() < 1e-9
    assert table["lag_beds"].iloc[-1] == pytest.approx(-slope * stay**2, rel=1e-6)
    assert np.all(np.diff(table["lag_beds"]) < 0)  # the lag grows towards its limit


def test_by_year_with_a_warmup_at_the_stationary_load_has_no_census_effect():
    # A warm-up at year 0's mean rate from a census at its stationary load stays there.
    rate, stay = 2.5, 700.0
    table = transient_occupancy_by_year([0, 1, 2], [rate] * 3, stay, initial_census=rate * stay,
                                        warmup_days=180.0)
    np.testing.assert_allclose(table["transient_mean_beds"], rate * stay, rtol=1e-13)
    np.testing.assert_allclose(table[["lag_beds", "starting_census_effect_beds"]], 0.0,
                               atol=1e-9)


# --------------------------------------------------------------------------------------------
# Argument checks


# --------------------------------------------------------------------------------------------


def test_rejects_bad_arguments():
    with pytest.raises(ValueError, match="times_days must lie in"):
        mt_infinite_server_mean(2 * YEAR + 1, [1.0, 1.0], 10.0)
    with pytest.raises(ValueError, match="times_days must lie in"):
        mt_infinite_server_mean([-1.0], [1.0], 10.0)
    with pytest.raises(ValueError, match="negative"):
        mt_infinite_server_mean(1.0, [1.0], 10.0, arrival_trend_per_day_per_day=0.01)
    with pytest.raises(ValueError, match="mean_stay_days must be > 0"):
        mt_infinite_server_mean(1.0, [1.0], 0.0)
    with pytest.raises(ValueError, match="one value per model year"):
        mt_infinite_server_mean(1.0, [1.0, 2.0], [10.0, 10.0, 10.0])
    with pytest.raises(ValueError, match="initial_census must be ≥ 0"):
        mt_infinite_server_mean(1.0, [1.0], 10.0, initial_census=-1.0)
    with pytest.raises(ValueError, match="non-empty 1-D"):
        mt_infinite_server_mean(1.0, [], 10.0)
    with pytest.raises(ValueError, match="warmup_days must be ≥ 0"):
        mt_infinite_server_mean(1.0, [1.0], 10.0, warmup_days=-5.0)
    with pytest.raises(ValueError, match="years must label"):
        transient_occupancy_by_year([2025], [1.0, 1.0], 10.0)
