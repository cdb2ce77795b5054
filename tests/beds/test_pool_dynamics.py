"""Little's law on every pool, CTMC residents, a flat stationary start, and monotonicity."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
import scipy.stats
from des_helpers import assert_in_ci, replicate, single_pool_spec

from carefacility.beds import BedSpec, StayDistribution, simulate
from carefacility.queueing.ctmc import ctmc_expected_sojourn
from carefacility.queueing.erlang import erlang_b

MEAN_STAY_BY_LEVEL = np.array([20.0, 20.0, 30.0, 30.0])  # general levels, nursing levels


def test_littles_law_holds_on_every_home_and_bed_type():
    """Mean occupied beds of each (home, type) = its admission rate × mean stay."""
    rate = np.zeros((3, 2, 4))
    rate[:, 0] = [0.5, 0.4, 0.5, 0.1]
    rate[:, 1] = [0.6, 0.2, 0.4, 0.2]
    spec = BedSpec(
        home_zone=[0, 0, 1, 1],
        initial_capacity=[[6, 4, 0], [4, 5, 0], [5, 5, 0], [8, 3, 0]],
        arrival_rate_per_day=rate,
        stay_distribution=StayDistribution("gamma", MEAN_STAY_BY_LEVEL, gamma_shape=2.0),
        eligible_bed_types=((0,), (0,), (1,), (1,)),
        withdrawal_rate_per_day=0.01,
        warmup_days=200.0,
    )
    results = replicate(spec, 12)
    mean_stay_by_type = [20.0, 30.0]
    checks = 0
    for home in range(spec.n_homes):
        for bed_type in (0, 1):
            occupied = [r.mean_occupied_beds_by_home[:, home, bed_type].mean() for r in results]
            little = [
                r.admissions_by_home[:, home, bed_type].mean() / 365 * mean_stay_by_type[bed_type]
                for r in results
            ]
            difference = np.subtract(occupied, little)
            assert_in_ci(
                difference, 0.0, f"L - λW at home {home}, {('general', 'nursing')[bed_type]}"
            )
            checks += 1
    assert checks == 8
    # the per-home monitors add up to the per-type ones
    for r in results:
        np.testing.assert_allclose(r.mean_occupied_beds_by_home.sum(axis=1), r.mean_occupied_beds)


def _resident_ctmc():
    generator = np.array(
        [
            [0.0, 0.02, 0.005, 0.005],
            [0.01, 0.0, 0.02, 0.01],
            [0.0, 0.005, 0.0, 0.01],
            [0.0, 0.0, 0.01, 0.0],
        ]
    )
    np.fill_diagonal(generator, -generator.sum(axis=1))
    death = np.array([0.002, 0.004, 0.01, 0.008])
    discharge = np.array([0.01, 0.006, 0.002, 0.001])
    return generator, death, discharge


def test_ctmc_residents_obey_littles_law_and_exit_probabilities():
    """With level changes: occupancy = Σ admissions by level × expected time to absorption."""
    generator, death, discharge = _resident_ctmc()
    rate = np.zeros((4, 1, 4))
    rate[:, 0] = [0.4, 0.3, 0.2, 0.1]
    spec = BedSpec(
        home_zone=[0],
        initial_capacity=[[2_000, 0, 0]],  # never full: an infinite-server system
        arrival_rate_per_day=rate,
        eligible_bed_types=((0,), (0,), (0,), (0,)),
        resident_generator_per_day=generator,
        resident_death_rate_per_day=death,
        discharge_rate_per_day=discharge,
        warmup_days=1_000.0,
    )
    # absorbing chain: levels 0-3 plus "gone"
    full = np.zeros((5, 5))
    full[:4, :4] = generator
    full[:4, 4] = death + discharge
    full[np.arange(4), np.arange(4)] -= death + discharge
    sojourn = np.array([ctmc_expected_sojourn(full, np.eye(5)[level])[:4] for level in range(4)])
    time_in_care = sojourn.sum(axis=1)  # [day] by level at admission
    death_probability = sojourn @ death  # P(exit by death | level at admission)

    results = replicate(spec, 10)
    difference = [
        r.mean_occupied_beds[:, 0].mean() - (r.admissions.mean(axis=0) / 365) @ time_in_care
        for r in results
    ]
    assert_in_ci(difference, 0.0, "occupied beds - Σ λ_l E[T_l]")
    # level mix of residents: time-weighted occupancy by level is not monitored, but the
    # number of level changes per resident-day is: Σ_l (time in l) × (rate out of l to levels)
    change_rate = -np.diag(generator)
    changes = [
        r.level_changes.mean() - (r.admissions.mean(axis=0) @ sojourn) @ change_rate
        for r in results
    ]
    assert all(r.blocked.sum() == 0 and r.waiting_at_year_end.sum() == 0 for r in results)
    assert_in_ci(changes, 0.0, "level changes per year - Σ admissions × E[changes]")
    deaths = [
        r.deaths_in_care.sum() - r.admissions.sum(axis=0) @ death_probability for r in results
    ]
    assert_in_ci(deaths, 0.0, "deaths in care - Σ admissions × P(death)")


@pytest.mark.parametrize("kind", ["exponential", "deterministic"])
def test_stationary_start_gives_flat_occupancy(kind):
    """Loss system started with Erlang-stationary residents (equilibrium residual stays).

    Deterministic stays check the residual-life draw: full stays instead would keep the
    starting residents about half a stay longer and raise year 0 visibly.
    """
    beds, arrival_rate, mean_stay, n_years = 50, 0.75, 60.0, 5
    load = arrival_rate * mean_stay
    stationary_mean = load * (1 - erlang_b(beds, load))
    weights = scipy.stats.poisson.pmf(np.arange(beds + 1), load)
    weights /= weights.sum()
    yearly = []
    for replication in range(20):
        start_rng = np.random.default_rng([99, replication])
        occupied = int(start_rng.choice(beds + 1, p=weights))
        spec = single_pool_spec(
            beds,
            arrival_rate,
            mean_stay,
            kind=kind,
            max_waiting=0,
            n_years=n_years,
            initial_residents=np.array([[[occupied, 0, 0, 0], [0] * 4, [0] * 4]]),
        )
        yearly.append(simulate(spec, 5, replication).mean_occupied_beds[:, 0])
    yearly = np.array(yearly)
    for year in range(n_years):
        assert_in_ci(yearly[:, year], stationary_mean, f"mean occupied beds in year {year}")
    slopes = [np.polyfit(np.arange(n_years), row, 1)[0] for row in yearly]
    assert_in_ci(slopes, 0.0, "trend of yearly mean occupancy [beds/year]")


def test_more_beds_never_lengthen_the_mean_wait_under_common_random_numbers():
    """FIFO with stays drawn per applicant at arrival: waits fall pathwise with more beds.

    Arrivals stop in the last year so every applicant is admitted in both runs; the sets of
    admitted applicants are then the same and the comparison is exact, not statistical.
    """
    for seed in range(5):
        waits = []
        for beds in (9, 10, 12):
            rate = np.zeros((3, 1, 4))
            rate[:2, 0, 0] = 8.5
            spec = single_pool_spec(beds, 0.0, 1.0, n_years=3, withdrawal_rate_per_day=0.0)
            spec = replace(spec, arrival_rate_per_day=rate)
            result = simulate(spec, seed, 0)
            assert result.waiting_at_year_end[-1].sum() == 0
            waits.append(result.admitted_wait_days)
        assert waits[0].size == waits[1].size == waits[2].size
        assert waits[0].sum() >= waits[1].sum() >= waits[2].sum()
        assert waits[0].mean() > waits[2].mean()
