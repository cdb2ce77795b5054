"""Helpers for the bed-simulation tests: small specs and confidence-interval checks.

Theory is taken from :mod:`carefacility.queueing`. Every statistical check compares the
mean of independent replications (or of a paired difference) with the theoretical value through a
Student-t confidence interval at ``CONFIDENCE``; seeds are fixed, so the outcome is deterministic.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
import scipy.stats

from carefacility.beds import BedSpec, InitialWaitingList, StayDistribution, simulate
from carefacility.beds.monitor import BedReplicationResult

CONFIDENCE = 0.999
"""Two-sided confidence level of every statistical check."""

ALL_GENERAL = ((0,), (0,), (0,), (0,))
"""Eligibility that sends every level to general beds (a single pool)."""


def single_pool_spec(
    beds: int,
    arrival_rate_per_day: float,
    mean_stay_days: float,
    *,
    kind: str = "exponential",
    gamma_shape: float = 1.0,
    n_years: int = 4,
    warmup_days: float = 0.0,
    max_waiting: int | None = None,
    level: int = 0,
    **extra,
) -> BedSpec:
    """One home, one zone, ``beds`` general beds, Poisson arrivals of one care level."""
    rate = np.zeros((n_years, 1, 4))
    rate[:, 0, level] = arrival_rate_per_day
    return BedSpec(
        home_zone=[0],
        initial_capacity=[[beds, 0, 0]],
        arrival_rate_per_day=rate,
        eligible_bed_types=ALL_GENERAL,
        stay_distribution=StayDistribution(kind, mean_stay_days, gamma_shape=gamma_shape),
        max_waiting=max_waiting,
        warmup_days=warmup_days,
        **extra,
    )


def replicate(spec: BedSpec, n_replications: int, seed: int = 2024) -> list[BedReplicationResult]:
    """Run replications ``0 .. n_replications - 1`` of ``spec``."""
    return [simulate(spec, seed, replication) for replication in range(n_replications)]


def confidence_interval(values: Sequence[float]) -> tuple[float, float]:
    """Student-t interval for the mean of independent replications at ``CONFIDENCE``."""
    sample = np.asarray(values, dtype=float)
    half = scipy.stats.t.ppf(0.5 + CONFIDENCE / 2, sample.size - 1) * sample.std(ddof=1)
    half /= np.sqrt(sample.size)
    return float(sample.mean() - half), float(sample.mean() + half)


def assert_in_ci(values: Sequence[float], expected: float, what: str) -> None:
    """Assert that ``expected`` lies in the replication confidence interval of the mean."""
    low, high = confidence_interval(values)
    assert low <= expected <= high, (
        f"{what}: theory {expected:.5g} outside the {CONFIDENCE:.1%} interval "
        f"[{low:.5g}, {high:.5g}] of the mean {np.mean(values):.5g} over {len(values)} runs"
    )


def per_replication(
    results: Sequence[BedReplicationResult], statistic: Callable[[BedReplicationResult], float]
) -> list[float]:
    """Apply ``statistic`` to each replication."""
    return [float(statistic(result)) for result in results]


def mixed_spec(**changes) -> BedSpec:
    """Two zones, three homes, all features switched on (CTMC residents, priority, plan)
    except band ageing; ``changes`` override fields."""
    generator = np.array(
        [[0, 0.01, 0.002, 0.002], [0.002, 0, 0.01, 0.004], [0, 0.002, 0, 0.004], [0, 0, 0.005, 0]]
    )
    np.fill_diagonal(generator, -generator.sum(axis=1))
    rate = np.full((3, 2, 4), 0.02)
    rate[:, :, 2] = 0.04
    fields = dict(
        home_zone=[0, 0, 1],
        initial_capacity=[[10, 5, 2], [8, 6, 0], [12, 4, 3]],
        arrival_rate_per_day=rate,
        share_80plus=0.5,
        share_low_income=0.1,
        capacity_changes=[(200.0, 0, 0, 1, 3), (400.0, 2, -1, 2, 4), (500.0, 1, 0, -1, 2)],
        overflow_to_general=True,
        discipline="priority",
        waiting_death_rate_per_day=0.001,
        withdrawal_rate_per_day=0.002,
        resident_generator_per_day=generator,
        resident_death_rate_per_day=[0.001, 0.002, 0.004, 0.004],
        discharge_rate_per_day=[0.003, 0.002, 0.001, 0.001],
        initial_residents=[
            [[1, 1, 1, 1], [0, 0, 2, 1], [0, 0, 0, 2]],
            [[1, 1, 1, 1], [0, 0, 2, 1], [0, 0, 0, 0]],
            [[1, 1, 1, 1], [0, 0, 2, 1], [0, 0, 0, 2]],
        ],
        initial_waiting_list=InitialWaitingList.from_counts([[3, 2, 4, 1], [1, 1, 2, 2]], 30.0),
        first_year=2025,
    )
    fields.update(changes)
    return BedSpec(**fields)
