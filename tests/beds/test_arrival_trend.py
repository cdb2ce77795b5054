"""Arrival rates that change linearly within a model year (``arrival_trend_per_day_per_day``)."""

from __future__ import annotations

import re

import numpy as np
import pytest
from des_helpers import ALL_GENERAL, assert_in_ci

from carefacility.base.streams import stream
from carefacility.beds import BedSpec, StayDistribution, simulate
from carefacility.beds.arrivals import draw_arrivals, linear_inverse_cdf
from carefacility.beds.engine_spec import DAYS_PER_YEAR

YEAR = float(DAYS_PER_YEAR)
HALF = YEAR / 2

# year 1 of a one-zone spec: mean rate [1/day] and slope [1/day²] per level; the rates at the
# ends of the year are (start, end) = (0.175, 3.825), (0, 2), (2, 0) and constant 1.5
MEAN = np.array([2.0, 1.0, 1.0, 1.5])
TREND = np.array([0.01, 1 / HALF, -1 / HALF, 0.0])


def trend_spec(trend=TREND, n_years: int = 2) -> BedSpec:
    rate = np.broadcast_to(MEAN, (n_years, 1, 4))
    return BedSpec(
        home_zone=[0],
        initial_capacity=[[10, 0, 0]],
        arrival_rate_per_day=rate,
        arrival_trend_per_day_per_day=np.broadcast_to(trend, (n_years, 1, 4)),
        eligible_bed_types=ALL_GENERAL,
    )


def draw_year_1(spec: BedSpec, replication: int, seed: int = 2024):
    return draw_arrivals(
        spec,
        seed,
        replication,
        "year-1",
        1,
        YEAR,
        2 * YEAR,
        trend_per_day_per_day=spec.arrival_trend_per_day_per_day[1],
    )


def test_inverse_cdf_of_the_linear_density():
    u = np.linspace(0.0, 1.0, 11)[:-1]
    ones = np.ones_like(u)
    assert linear_inverse_cdf(u, 3 * ones, 3 * ones).tobytes() == u.tobytes()
    np.testing.assert_allclose(linear_inverse_cdf(u, 0 * ones, 2 * ones), np.sqrt(u))
    np.testing.assert_allclose(linear_inverse_cdf(u, 2 * ones, 0 * ones), 1 - np.sqrt(1 - u))
    a, b = 0.5, 4.0
    x = linear_inverse_cdf(u, a * ones, b * ones)
    np.testing.assert_allclose((a * x + (b - a) * x**2 / 2) / ((a + b) / 2), u, atol=1e-15)


def test_a_constant_rate_keeps_the_former_draws_exactly():
    """Counts from the same Poisson call whatever the slope; constant cells keep
    ``start + u × length`` bit for bit."""
    flat, sloped = trend_spec(0.0), trend_spec()
    for replication in range(3):
        rng = stream(2024, replication, "arrivals.year-1")
        counts = rng.poisson(MEAN * YEAR)
        expected = np.sort(YEAR + rng.uniform(size=counts.sum()) * YEAR)
        batch = draw_year_1(flat, replication)
        assert batch.arrival_day.tobytes() == expected.tobytes()
        other = draw_year_1(sloped, replication)
        np.testing.assert_array_equal(np.bincount(other.level, minlength=4), counts)
        constant = 3  # the level without a trend
        assert (
            other.arrival_day[other.level == constant].tobytes()
            == batch.arrival_day[batch.level == constant].tobytes()
        )
        assert not np.array_equal(other.arrival_day, batch.arrival_day)


def test_counts_and_mean_arrival_time_follow_the_linear_rate():
    spec = trend_spec()
    batches = [draw_year_1(spec, replication) for replication in range(60)]
    start, end = MEAN - TREND * HALF, MEAN + TREND * HALF
    mean_offset = YEAR * (start + 2 * end) / (3 * (start + end))
    for level in range(4):
        counts = [np.sum(b.level == level) for b in batches]
        assert_in_ci(counts, MEAN[level] * YEAR, f"arrivals in year 1, level {level}")
        offsets = [(b.arrival_day[b.level == level] - YEAR).mean() for b in batches]
        assert_in_ci(offsets, mean_offset[level], f"mean arrival day in year 1, level {level}")
        first_half = [np.sum((b.level == level) & (b.arrival_day < YEAR + HALF)) for b in batches]
        expected = start[level] * HALF + (end[level] - start[level]) * YEAR / 8
        assert_in_ci(first_half, expected, f"arrivals in the first half-year, level {level}")
    assert all(np.all((b.arrival_day >= YEAR) & (b.arrival_day < 2 * YEAR)) for b in batches)


@pytest.mark.parametrize(
    ("slope", "where"),
    [(0.02, "start of year 0 (zone 0, level 2)"), (-0.02, "end of year 0 (zone 0, level 2)")],
)
def test_rates_must_stay_non_negative_at_both_ends_of_every_year(slope, where):
    with pytest.raises(ValueError, match=re.escape(where) + ".*must be ≥ 0"):
        trend_spec([0.0, 0.0, slope, 0.0])  # level 2: mean 1 per day


def test_trend_must_broadcast_to_the_rates():
    spec = trend_spec(0.0)
    with pytest.raises(ValueError, match="arrival_trend_per_day_per_day must be a scalar"):
        BedSpec(
            home_zone=spec.home_zone,
            initial_capacity=spec.initial_capacity,
            arrival_rate_per_day=spec.arrival_rate_per_day,
            arrival_trend_per_day_per_day=np.zeros(3),
        )


def test_infinite_server_occupancy_follows_the_linear_rate():
    """M(t)/M/∞ from empty: λ(t) = 2 + 0.001 t, mean stay 900 days, so the mean occupancy is
    m(t) = (a/μ)(1 - e^{-μt}) + b (t/μ - (1 - e^{-μt})/μ²)."""
    a, b, mean_stay = 2.0, 0.001, 900.0
    n_years = 20
    mid_year = YEAR * np.arange(n_years) + HALF
    rate = np.zeros((n_years, 1, 4))
    rate[:, 0, 0] = a + b * mid_year
    trend = np.zeros((n_years, 1, 4))
    trend[:, 0, 0] = b
    spec = BedSpec(
        home_zone=[0],
        initial_capacity=[[20_000, 0, 0]],  # never full: m(20 years) ≈ 7,560
        arrival_rate_per_day=rate,
        arrival_trend_per_day_per_day=trend,
        eligible_bed_types=ALL_GENERAL,
        stay_distribution=StayDistribution("exponential", mean_stay),
    )
    results = [simulate(spec, 2024, replication) for replication in range(16)]
    mu = 1 / mean_stay

    def occupancy(t: float) -> float:
        decay = 1 - np.exp(-mu * t)
        return (a / mu) * decay + b * (t / mu - decay / mu**2)

    for year in (9, 19):
        assert_in_ci(
            [r.occupied_at_year_end[year, 0] for r in results],
            occupancy((year + 1) * YEAR),
            f"occupied beds at the end of year {year}",
        )
    total = a * n_years * YEAR + b * (n_years * YEAR) ** 2 / 2
    assert_in_ci([r.arrivals.sum() for r in results], total, "arrivals over 20 years")
    assert all(r.blocked.sum() == 0 and r.mean_waiting.max() == 0 for r in results)


def test_a_rate_falling_to_zero_at_the_horizon_is_accepted_despite_rounding():
    """mean - (mean / 182.5) × 182.5 may round below 0; the spec, the year's times and the
    run-on (at the rate of the horizon, here 0) must still work."""
    means = np.linspace(0.1, 10.0, 1000)
    mean = means[np.argmax(means - (means / HALF) * HALF < 0)]
    assert mean + (-mean / HALF) * HALF < 0  # the rounding case
    rate = np.zeros((2, 1, 4))
    rate[:, 0, 0] = mean
    trend = np.zeros((2, 1, 4))
    trend[:, 0, 0] = mean / HALF  # year 0: rises from 0 ...
    trend[1, 0, 0] = -mean / HALF  # ... year 1: falls to 0 at the horizon
    spec = BedSpec(
        home_zone=[0],
        initial_capacity=[[3, 0, 0]],
        arrival_rate_per_day=rate,
        arrival_trend_per_day_per_day=trend,
        eligible_bed_types=ALL_GENERAL,
        stay_distribution=StayDistribution("exponential", 2.0),
        warmup_days=50.0,
        run_on_days=100.0,
    )
    result = simulate(spec, 3, 0)
    assert result.arrivals.sum() > 0
    np.testing.assert_array_equal(
        result.arrivals,
        result.cohort_admitted
        + result.cohort_abandoned
        + result.blocked
        + result.cohort_still_waiting,
    )
