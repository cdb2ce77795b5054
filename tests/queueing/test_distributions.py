"""carefacility.queueing.distributions gives scipy.stats' numbers bit for bit, edge cases
included, and the Poisson law and t quantile satisfy their defining identities."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from carefacility.queueing.distributions import (
    poisson_logpmf,
    poisson_pmf,
    poisson_ppf,
    poisson_sf,
    student_t_ppf,
)

RNG = np.random.default_rng(20240101)


def _same(got, expected) -> None:
    """Equal bit for bit (NaN where NaN), with the same shape and scalar-ness."""
    assert np.shape(got) == np.shape(expected)
    assert np.ndim(got) == np.ndim(expected)
    np.testing.assert_array_equal(np.asarray(got), np.asarray(expected), strict=True)


def _means(size: int) -> np.ndarray:
    """Means over many magnitudes, with zeros."""
    means = np.exp(RNG.uniform(math.log(1e-4), math.log(2e6), size))
    means[::17] = 0.0
    return means


def _edge_counts() -> np.ndarray:
    return np.array([-np.inf, -3.0, -1.0, -0.5, -0.0, 0.0, 0.5, 1.0, 2.0, 7.5, 40.0, 1e6,
                     np.inf, np.nan])


@pytest.mark.filterwarnings("ignore:invalid value encountered:RuntimeWarning")  # k = inf
@pytest.mark.parametrize(("ours", "theirs"), [
    (poisson_pmf, stats.poisson.pmf),
    (poisson_logpmf, stats.poisson.logpmf),
    (poisson_sf, stats.poisson.sf),
])
def test_poisson_functions_equal_scipy_stats(ours, theirs) -> None:
    means = _means(4000)
    counts = np.floor(RNG.uniform(0, 3, means.size) * means)  # around the means
    counts[::5] = RNG.integers(0, 50, counts[::5].size)
    _same(ours(counts, means), theirs(counts, means))
    # integer counts, 2-D broadcasting, scalars, edge values, bad means
    grid = np.arange(0, 60).reshape(-1, 1)
    _same(ours(grid, means[:40]), theirs(grid, means[:40]))
    _same(ours(3, 2.5), theirs(3, 2.5))
    _same(ours(0, 0.0), theirs(0, 0.0))
    for mean in (0.0, 0.3, 12.0, 5e5):
        _same(ours(_edge_counts(), mean), theirs(_edge_counts(), mean))
    bad = np.array([-1.0, np.nan, 2.0])
    _same(ours(np.array([1.0, 1.0, 1.0]), bad), theirs(np.array([1.0, 1.0, 1.0]), bad))
    _same(ours(np.array([], dtype=float), 3.0), theirs(np.array([], dtype=float), 3.0))


def test_poisson_ppf_equals_scipy_stats() -> None:
    means = _means(3000)
    levels = RNG.uniform(0, 1, means.size)
    levels[::7] = np.array([0.5, 0.9, 0.95, 0.99, 0.999, 1e-9, 1 - 1e-12])[
        np.arange(levels[::7].size) % 7]
    _same(poisson_ppf(levels, means), stats.poisson.ppf(levels, means))
    for level in (0.0, 1.0, -0.1, 1.1, np.nan, 0.95):
        for mean in (0.0, 2.0, 1e4, -1.0):
            _same(poisson_ppf(level, mean), stats.poisson.ppf(level, mean))


def test_student_t_ppf_equals_scipy_stats() -> None:
    df = np.concatenate([np.arange(1, 400), RNG.uniform(0.01, 1e6, 500)])
    _same(student_t_ppf(0.975, df), stats.t.ppf(0.975, df))
    levels = RNG.uniform(0, 1, df.size)
    _same(student_t_ppf(levels, df), stats.t.ppf(levels, df))
    for level in (0.0, 1.0, 0.5, 1.5, np.nan):
        for freedom in (1, 4.5, 0, -2, np.inf):
            _same(student_t_ppf(level, freedom), stats.t.ppf(level, freedom))


def test_poisson_identities() -> None:
    """The pmf sums to 1, the survival function is the tail sum, and the quantile is the
    smallest count whose cumulative probability reaches the level."""
    for mean in (0.7, 9.0, 250.0):
        counts = np.arange(0, int(mean + 40 * math.sqrt(mean) + 40))
        pmf = poisson_pmf(counts, mean)
        assert math.isclose(pmf.sum(), 1.0, rel_tol=1e-12)
        np.testing.assert_allclose(np.exp(poisson_logpmf(counts, mean)), pmf, rtol=1e-12)
        tail = 1.0 - np.cumsum(pmf)
        np.testing.assert_allclose(poisson_sf(counts, mean)[:30], tail[:30], atol=1e-12)
        for level in (0.05, 0.5, 0.95):
            n = int(poisson_ppf(level, mean))
            assert pmf[: n + 1].sum() >= level - 1e-12
            assert n == 0 or pmf[:n].sum() < level


def test_t_quantile_inverts_the_cdf() -> None:
    for df in (1, 3, 19, 200):
        x = float(student_t_ppf(0.975, df))
        assert math.isclose(stats.t.cdf(x, df), 0.975, rel_tol=1e-12)
    assert float(student_t_ppf(0.975, 1)) == pytest.approx(12.706204736174703, rel=1e-14)
