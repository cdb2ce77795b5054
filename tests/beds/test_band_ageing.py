"""Residents turning 80 inside the model (``BedSpec.band_ageing_rate_per_day``).

Band ageing is one more competing exponential event of the resident CTMC: band 0 → band 1 at
rate ``a[level]``. Checked against the phase-type mean stay, the closed-cohort CTMC solved with
a matrix exponential, and — at rate 0 — bit-for-bit against runs of the model before ageing.
"""

from __future__ import annotations

from dataclasses import fields

import numpy as np
import pytest
import scipy.linalg
from des_helpers import ALL_GENERAL, assert_in_ci, mixed_spec, per_replication, replicate

from carefacility.beds import BedSpec, simulate
from carefacility.beds.engine import BedSimulation
from carefacility.beds.monitor import BedReplicationResult

PER_YEAR = 1 / 365.0


def _assert_same(first: BedReplicationResult, second: BedReplicationResult) -> None:
    for item in fields(BedReplicationResult):
        np.testing.assert_array_equal(
            getattr(first, item.name), getattr(second, item.name), err_msg=item.name
        )


# ---------------------------------------------------------------------- (1) mean stay
@pytest.mark.parametrize("ageing_per_year", [0.0, 1.0])
def test_mean_stay_of_residents_admitted_under_80_is_phase_type(ageing_per_year):
    """Death only (d0 under 80, d1 at 80+) plus ageing a: E[S] = 1/(a+d0) + a/(a+d0) · 1/d1.

    One cohort of Poisson arrivals in year 0, all under 80, unlimited beds; everyone has died
    long before the horizon, so the occupied bed-days of all years are the sum of their stays.
    """
    a, d0, d1 = ageing_per_year * PER_YEAR, 0.5 * PER_YEAR, 2.0 * PER_YEAR
    n_years = 40
    rate = np.zeros((n_years, 1, 4))
    rate[0, 0, 0] = 5.0
    spec = BedSpec(
        home_zone=[0],
        initial_capacity=[[5_000, 0, 0]],
        arrival_rate_per_day=rate,
        share_80plus=0.0,
        eligible_bed_types=ALL_GENERAL,
        resident_death_rate_per_day=[[d0] * 4, [d1] * 4],
        band_ageing_rate_per_day=a,
    )
    results = replicate(spec, 20)
    assert all(r.occupied_at_year_end[-1].sum() == 0 for r in results)
    assert all(r.blocked.sum() == 0 and r.discharges.sum() == 0 for r in results)
    mean_stay = per_replication(
        results, lambda r: r.mean_occupied_beds.sum() * 365 / r.admissions.sum()
    )
    expected = 1 / (a + d0) + a / (a + d0) / d1
    assert_in_ci(mean_stay, expected, f"mean stay [day] with ageing {ageing_per_year}/year")
    if a > 0:  # the check has power: the stay without ageing is twice as long
        assert max(mean_stay) < 0.75 / d0


# ---------------------------------------------------------------------- (2) rate 0
def test_zero_ageing_reproduces_the_model_without_ageing_exactly():
    default = simulate(mixed_spec(), 42, 1)
    for zero in (0.0, np.zeros(4)):
        _assert_same(default, simulate(mixed_spec(band_ageing_rate_per_day=zero), 42, 1))
    # Pinned from the engine before band ageing existed (same spec, seed and replication).
    assert default.admissions.tolist() == [[18, 11, 34, 22], [21, 17, 37, 16], [12, 14, 26, 14]]
    assert default.deaths_in_care.tolist() == [[2, 4, 28, 19], [2, 3, 27, 20], [4, 4, 30, 28]]
    assert default.discharges.tolist() == [[2, 5, 6, 9], [2, 7, 6, 7], [4, 6, 3, 4]]
    assert default.level_changes.tolist() == [115, 129, 105]
    assert default.transfers.tolist() == [[0, 35, 13], [0, 30, 10], [0, 37, 8]]
    assert default.admitted_wait_days.sum() == pytest.approx(770.03950496996, rel=1e-12)
    assert default.mean_occupied_beds.sum() == pytest.approx(127.59633052504604, rel=1e-12)


def test_ageing_changes_the_run_and_keeps_reproducibility_and_accounting():
    spec = mixed_spec(
        resident_death_rate_per_day=[[0.001, 0.002, 0.004, 0.004], [0.002, 0.004, 0.008, 0.008]],
        band_ageing_rate_per_day=[0.002, 0.002, 0.003, 0.003],
    )
    first, again = simulate(spec, 42, 1), simulate(spec, 42, 1)
    _assert_same(first, again)
    assert first.deaths_in_care.sum() > simulate(mixed_spec(), 42, 1).deaths_in_care.sum()
    residents_in = spec.initial_residents.sum() + first.admissions.sum()
    residents_out = first.deaths_in_care.sum() + first.discharges.sum()
    assert residents_in - residents_out == first.occupied_at_year_end[-1].sum()


# ---------------------------------------------------------------------- (3) closed cohort
_GENERATOR = np.array(
    [
        [[0, 0.3, 0.1, 0.05], [0.1, 0, 0.3, 0.1], [0, 0.1, 0, 0.1], [0, 0, 0.2, 0]],
        [[0, 0.5, 0.2, 0.1], [0.05, 0, 0.5, 0.2], [0, 0.05, 0, 0.2], [0, 0, 0.3, 0]],
    ]
)
for _band in range(2):
    np.fill_diagonal(_GENERATOR[_band], -_GENERATOR[_band].sum(axis=1))
_DEATH = np.array([[0.05, 0.10, 0.25, 0.20], [0.15, 0.25, 0.50, 0.45]])
_DISCHARGE = np.array([0.10, 0.05, 0.02, 0.02])
_AGEING = np.array([0.15, 0.20, 0.30, 0.25])
_COHORT = np.array([400, 300, 200, 100])  # residents at day 0 by level, all under 80
_TIMES_YEARS = (0.5, 1.5, 3.0, 6.0)


def _cohort_chain() -> np.ndarray:
    """Transient generator over (band, level) [1/year]; exits (death, discharge) leave it."""
    chain = np.zeros((8, 8))
    chain[:4, :4] = _GENERATOR[0]
    chain[4:, 4:] = _GENERATOR[1]
    chain[range(4), range(4, 8)] = _AGEING
    chain[range(4), range(4)] -= _AGEING + _DEATH[0] + _DISCHARGE
    chain[range(4, 8), range(4, 8)] -= _DEATH[1] + _DISCHARGE
    return chain


def _snapshots(spec: BedSpec, seed: int, replication: int) -> list[tuple[int, int]]:
    """(residents, residents in band 1) at each of ``_TIMES_YEARS``."""
    simulation = BedSimulation(spec, seed, replication, keep_residents=True)
    seen: dict[float, tuple[int, int]] = {}

    def record(_now: float, day: float) -> None:
        people = [p for home in simulation.residents_by_home for p in home.values()]
        seen[day] = (len(people), sum(p.age_band for p in people))

    calendar = simulation.calendar
    for years in _TIMES_YEARS:
        day = years * 365
        calendar.schedule(day - calendar.now, record, day)
    simulation.run()
    return [seen[years * 365] for years in _TIMES_YEARS]


def test_share_aged_80plus_in_a_closed_cohort_follows_the_ctmc():
    """No arrivals: the share of residents in band 1 at time t is p1(t) / (p0(t) + p1(t)) with
    p(t) = p(0) exp(Q t); the share still in care is p0(t) + p1(t)."""
    n_years = 7
    spec = BedSpec(
        home_zone=[0],
        initial_capacity=[[_COHORT.sum(), 0, 0]],
        arrival_rate_per_day=np.zeros((n_years, 1, 4)),
        share_80plus=0.0,
        eligible_bed_types=ALL_GENERAL,
        resident_generator_per_day=_GENERATOR * PER_YEAR,
        resident_death_rate_per_day=_DEATH * PER_YEAR,
        discharge_rate_per_day=_DISCHARGE * PER_YEAR,
        band_ageing_rate_per_day=_AGEING * PER_YEAR,
        initial_residents=[[_COHORT, [0] * 4, [0] * 4]],
    )
    runs = [_snapshots(spec, 2024, replication) for replication in range(16)]
    start = np.concatenate([_COHORT / _COHORT.sum(), np.zeros(4)])
    chain = _cohort_chain()
    for k, years in enumerate(_TIMES_YEARS):
        p = start @ scipy.linalg.expm(chain * years)
        alive, old = p.sum(), p[4:].sum()
        share_old = [n_old / n for n, n_old in (run[k] for run in runs)]
        share_alive = [n / _COHORT.sum() for n, _ in (run[k] for run in runs)]
        assert_in_ci(share_old, old / alive, f"share aged 80+ at {years} years")
        assert_in_ci(share_alive, alive, f"share of the cohort in care at {years} years")
    assert runs[0][-1][1] > 0.5 * runs[0][-1][0]  # most survivors have turned 80 by year 6


def test_band_ageing_rate_is_validated():
    base = dict(
        home_zone=[0], initial_capacity=[[1, 0, 0]], arrival_rate_per_day=np.ones((1, 1, 4))
    )
    spec = BedSpec(**base, band_ageing_rate_per_day=0.1)
    assert spec.band_ageing_rate_per_day.tolist() == [0.1] * 4
    with pytest.raises(ValueError, match="read-only"):
        spec.band_ageing_rate_per_day[0] = 1.0
    for value, message in (
        (-0.1, r"band_ageing_rate_per_day\[0\] must be ≥ 0"),
        ([0.1, 0.1, -1.0, 0.1], r"band_ageing_rate_per_day\[2\] must be ≥ 0"),
        ([0.1, np.inf, 0.1, 0.1], r"band_ageing_rate_per_day must be finite"),
        (np.nan, r"band_ageing_rate_per_day must be finite"),
        ([0.1, 0.1], r"band_ageing_rate_per_day must be a scalar or have shape \(4,\)"),
        ([[0.1] * 4] * 2, r"band_ageing_rate_per_day must be a scalar or have shape \(4,\)"),
        ("fast", r"band_ageing_rate_per_day must be numeric"),
    ):
        with pytest.raises(ValueError, match=message):
            BedSpec(**base, band_ageing_rate_per_day=value)
