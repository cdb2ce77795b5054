"""Stays resampled from observed values (``StayDistribution(kind="empirical")``)."""

from __future__ import annotations

import numpy as np
import pytest
from des_helpers import ALL_GENERAL, assert_in_ci, per_replication, replicate

from carefacility.beds import BedSpec, StayDistribution
from carefacility.beds.engine_spec import STAY_KINDS
from carefacility.beds.stays import sample_residual_stays, sample_stays
from carefacility.queueing.erlang import erlang_b

BEDS = 10

# a skewed sample of observed stays [day]: many short, a few long (fixed, not random)
OBSERVED = np.array([0.05, 0.1, 0.1, 0.2, 0.3, 0.3, 0.4, 0.5, 0.8, 1.0, 1.5, 2.5, 4.0])


def test_mean_is_taken_from_the_samples():
    assert "empirical" in STAY_KINDS
    shared = StayDistribution("empirical", mean_days=99.0, values_days=OBSERVED)
    np.testing.assert_allclose(shared.mean_days, OBSERVED.mean())
    assert len(shared.values_days) == 4 and not shared.values_days[0].flags.writeable
    per_level = StayDistribution("empirical", values_days=[[1.0], [2.0, 4.0], OBSERVED, (5, 7)])
    np.testing.assert_allclose(per_level.mean_days, [1.0, 3.0, OBSERVED.mean(), 6.0])


@pytest.mark.parametrize(
    ("values", "message"),
    [
        (None, "required"),
        ([], "non-empty"),
        ([1.0, 0.0], "> 0"),
        ([1.0, np.inf], "finite"),
        ([[1.0], [2.0], [], [3.0]], r"values_days\[2\] must be a non-empty"),
        ([[1.0, 2.0], [3.0, 4.0]], "sequence of 4"),
    ],
)
def test_samples_are_validated(values, message):
    with pytest.raises(ValueError, match=message):
        StayDistribution("empirical", values_days=values)


def test_values_days_only_with_the_empirical_kind():
    with pytest.raises(ValueError, match="only used with kind='empirical'"):
        StayDistribution("gamma", 10.0, values_days=OBSERVED)


def test_draws_come_from_each_levels_sample():
    distribution = StayDistribution("empirical", values_days=[[1.0, 2.0], [10.0], [3.0], [4.0]])
    levels = np.repeat(np.arange(4), 2000)
    rng = np.random.default_rng(1)
    for draw in (sample_stays, sample_residual_stays):
        stays = draw(distribution, levels, rng)
        assert np.all(stays[levels == 1] <= 10.0) and np.all(stays[levels == 0] <= 2.0)
    stays = sample_stays(distribution, levels, rng)
    assert set(stays[levels == 0]) == {1.0, 2.0} and set(stays[levels == 1]) == {10.0}
    assert_in_ci(stays[levels == 0], 1.5, "mean of a uniform choice between 1 and 2")


def test_residual_mean_is_second_moment_over_twice_the_mean():
    distribution = StayDistribution("empirical", values_days=OBSERVED)
    residual = sample_residual_stays(
        distribution, np.zeros(20_000, dtype=np.int64), np.random.default_rng(7)
    )
    expected = np.mean(OBSERVED**2) / (2 * OBSERVED.mean())
    assert_in_ci(residual, expected, "mean equilibrium residual stay [day]")
    assert np.all((residual > 0) & (residual <= OBSERVED.max()))


def test_loss_system_blocking_is_erlang_b_with_the_empirical_mean():
    """Insensitivity: M/G/c/c blocking depends on the observed stays only through their mean,
    also with the residents at the start on their equilibrium residual stays."""
    distribution = StayDistribution("empirical", values_days=OBSERVED)
    load = 8.0
    rate = np.zeros((4, 1, 4))
    rate[:, 0, 0] = load / distribution.mean_days[0]
    spec = BedSpec(
        home_zone=[0],
        initial_capacity=[[BEDS, 0, 0]],
        arrival_rate_per_day=rate,
        eligible_bed_types=ALL_GENERAL,
        stay_distribution=distribution,
        max_waiting=0,
        initial_residents=np.array([[[7, 0, 0, 0], [0] * 4, [0] * 4]]),
    )
    results = replicate(spec, 12)
    blocking = per_replication(results, lambda r: r.blocked.sum() / r.arrivals.sum())
    assert_in_ci(blocking, erlang_b(BEDS, load), "blocking (empirical stays)")
