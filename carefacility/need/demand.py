"""What the need stage hands to the bed simulation: applicants for care beds by year, zone
and level (:func:`bed_demand`), and the daily rates of residents and waiting applicants
(:func:`resident_dynamics`).

Rates are per day, with :data:`DAYS_PER_YEAR` days in a model year as in the bed simulation;
ages 80+ form the second age band.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from carefacility.need.chain import care_level_generator
from carefacility.need.levels import LEVELS
from carefacility.need.prevalence import AGES, prevalence_curve
from carefacility.need.spec import NeedSpec, check_need_spec
from carefacility.population.lifetable import single_year_life_table
from carefacility.queueing.ctmc import ctmc_expected_sojourn

__all__ = [
    "DAYS_PER_YEAR",
    "BedDemand",
    "ResidentDynamics",
    "bed_demand",
    "resident_dynamics",
]

DAYS_PER_YEAR = 365
"""Days in a model year, as in the bed simulation [day]."""

_N = len(LEVELS)
_BAND_80 = 80
_BAND_65 = 65


# --------------------------------------------------------------------------------------------
# bed demand
# --------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class BedDemand:
    """Applicants for care beds by year, zone and level (input of the bed simulation).

    Attributes
    ----------
    years : numpy.ndarray of int
        Calendar years; model year ``k`` is ``years[k]``.
    zones : tuple
        Zone labels, index order of the zone axis.
    arrival_rate_per_day : numpy.ndarray, shape (n_years, n_zones, 4)
        Applicants per day by level: persons at the level × application rate / 365 [1/day].
    share_80plus : numpy.ndarray, shape (n_years, n_zones, 4)
        Share of applicants aged 80+ [fraction] (0 where there are no applicants).
    share_low_income : numpy.ndarray, shape (n_years, n_zones, 4)
        Share of applicants who are low-income (特困) [fraction].
    frame : pandas.DataFrame
        Tidy: ``year, zone, level, persons, applicants_per_year, arrival_rate_per_day,
        share_80plus, share_low_income``.
    """

    years: np.ndarray
    zones: tuple
    arrival_rate_per_day: np.ndarray
    share_80plus: np.ndarray
    share_low_income: np.ndarray
    frame: pd.DataFrame

    def summary(self) -> pd.DataFrame:
        """Applicants per year by year and level, all zones together [persons per year]."""
        return self.frame.pivot_table(index="year", columns="level",
                                      values="applicants_per_year", aggfunc="sum")[list(LEVELS)]


def _application_rates(spec: NeedSpec) -> np.ndarray:
    """Application rate at ages 60..100+ and levels, ``[41, 4]`` [per person-year]: the
    60-64 rates below 65, the 80+ rates from 80, ``bed_application_rate_per_year`` between
    (and wherever the other two are None)."""
    under = spec.bed_application_rate_per_year.as_array()
    over_spec = spec.bed_application_rate_80plus_per_year
    over = under if over_spec is None else over_spec.as_array()
    young_spec = spec.bed_application_rate_60_64_per_year
    young = under if young_spec is None else young_spec.as_array()
    rates = np.where((AGES >= _BAND_80)[:, None], over[None, :], under[None, :])
    return np.where((AGES < _BAND_65)[:, None], young[None, :], rates)


def bed_demand(need_frame: pd.DataFrame, spec: NeedSpec,
               years: np.ndarray | list[int] | None = None) -> BedDemand:
    """Applicants per day by year, zone and level from projected need.

    Parameters
    ----------
    need_frame : pandas.DataFrame
        Columns ``year, zone, age, sex, level, persons`` (as from :func:`project_need`;
        ages 60..100, sex is summed over).
    spec : NeedSpec
    years : sequence of int, optional
        Years to keep, in order; default every year of ``need_frame``.

    Returns
    -------
    BedDemand
        The arrival rates use the persons on each year's date for the whole year.
    """
    check_need_spec(spec)
    required = {"year", "zone", "age", "level", "persons"}
    missing = required - set(need_frame.columns)
    if missing:
        raise ValueError(f"need_frame is missing columns {sorted(missing)}")
    unknown = set(need_frame["level"]) - set(LEVELS)
    if unknown:
        raise ValueError(f"need_frame has unknown levels {sorted(unknown)}; allowed {LEVELS}")
    all_years = np.sort(need_frame["year"].unique())
    chosen = all_years if years is None else np.asarray(list(years))
    absent = set(chosen.tolist()) - set(all_years.tolist())
    if absent:
        raise ValueError(f"years {sorted(absent)} are not in need_frame")
    zones = tuple(dict.fromkeys(need_frame["zone"]))
    frame = need_frame[need_frame["year"].isin(chosen)]
    ages = frame["age"].to_numpy()
    if np.any((ages < 60) | (ages > 100)):
        raise ValueError("need_frame ages must lie in 60..100")
    persons = np.zeros((chosen.size, len(zones), AGES.size, _N))
    y = pd.Index(chosen).get_indexer(frame["year"])
    z = pd.Index(zones).get_indexer(frame["zone"])
    a = ages.astype(int) - 60
    lv = pd.Index(LEVELS).get_indexer(frame["level"])
    np.add.at(persons, (y, z, a, lv), frame["persons"].to_numpy(float))
    applicants = persons * _application_rates(spec)[None, None]
    per_year = applicants.sum(axis=2)
    old = applicants[:, :, AGES >= _BAND_80].sum(axis=2)
    with np.errstate(invalid="ignore", divide="ignore"):
        share_80 = np.where(per_year > 0, old / per_year, 0.0)
    rate_per_day = per_year / DAYS_PER_YEAR
    low_income = np.full(rate_per_day.shape, spec.low_income_share)
    index = pd.MultiIndex.from_product([chosen, zones, list(LEVELS)],
                                       names=["year", "zone", "level"])
    tidy = pd.DataFrame({
        "persons": persons.sum(axis=2).reshape(-1),
        "applicants_per_year": per_year.reshape(-1),
        "arrival_rate_per_day": rate_per_day.reshape(-1),
        "share_80plus": share_80.reshape(-1),
        "share_low_income": low_income.reshape(-1),
    }, index=index).reset_index()
    return BedDemand(chosen, zones, rate_per_day, share_80, low_income, tidy)


# --------------------------------------------------------------------------------------------
# residents and waiting applicants
# --------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class ResidentDynamics:
    """Daily rates for people in beds and on the waiting list, by age band.

    Age bands: 0 = 60-79, 1 = 80+. Rates are averaged over the ages and sexes of a band with
    weights ``L(a) · p_l(a)``: the stationary population of the life table (person-years lived
    at age ``a``) times the smoothed prevalence of the level the rate leaves, i.e. the
    age-sex mix of people at that level in a stationary elderly population. ASSUMPTION: people
    in beds and on the list change level and die as people at their level in the community
    (no Chinese care-home survival data was found).

    Attributes
    ----------
    resident_generator_per_day : numpy.ndarray, shape (2, 4, 4)
        Level-change generator of residents [1/day]; rows sum to 0.
    resident_death_rate_per_day : numpy.ndarray, shape (2, 4)
        [1/day].
    discharge_rate_per_day : numpy.ndarray, shape (4,)
        Leaving alive [1/day] (``resident_discharge_rate_per_year / 365``).
    waiting_death_rate_per_day : numpy.ndarray, shape (2, 4)
        Death of waiting applicants [1/day] (the level death rates of the band).
    waiting_death_rate_60plus_per_day : numpy.ndarray, shape (4,)
        The same over both bands, weighted by applicants (weights × application rate) [1/day].
    waiting_withdrawal_rate_per_day : numpy.ndarray, shape (4,)
        [1/day].
    band_ageing_rate_per_day : numpy.ndarray, shape (4,)
        Rate at which people of each level aged 60-79 turn 80 [1/day]: in the stationary
        population, ``l(80) p_l(80) / Σ_{a=60}^{79} L(a) p_l(a + ½)``. A bed simulation that
        keeps the band fixed at admission overstates the stays of people admitted under 80.
    expected_length_of_stay_days : numpy.ndarray, shape (2, 4)
        Mean stay of a resident admitted at each band and level, until death or discharge,
        with level changes and ageing from band 0 into band 1 [day].
    """

    resident_generator_per_day: np.ndarray
    resident_death_rate_per_day: np.ndarray
    discharge_rate_per_day: np.ndarray
    waiting_death_rate_per_day: np.ndarray
    waiting_death_rate_60plus_per_day: np.ndarray
    waiting_withdrawal_rate_per_day: np.ndarray
    band_ageing_rate_per_day: np.ndarray
    expected_length_of_stay_days: np.ndarray


def resident_dynamics(spec: NeedSpec, mx_single: np.ndarray) -> ResidentDynamics:
    """Band-averaged daily level-change, death, discharge and withdrawal rates.

    Parameters
    ----------
    spec : NeedSpec
    mx_single : array_like, shape (2, A), A > 101
        Single-year death rates of males and females [per person-year].

    Returns
    -------
    ResidentDynamics
    """
    generator = care_level_generator(spec, mx_single)  # [2, 41, 5, 5]
    table = single_year_life_table(np.asarray(mx_single, dtype=float))
    person_years = np.concatenate([table.Lx[..., 60:100], table.Tx[..., 100:101]], axis=-1)
    weights = person_years[..., None] * prevalence_curve(spec, AGES + 0.5)  # [2, 41, 4]
    bands = [AGES < _BAND_80, AGES >= _BAND_80]
    rates_by_band = np.zeros((2, _N, _N + 1))
    band_weight = np.zeros((2, _N))
    for b, in_band in enumerate(bands):
        w = weights[:, in_band, :]  # [2, n, 4]
        band_weight[b] = w.sum(axis=(0, 1))
        rates_by_band[b] = np.einsum("sal,salm->lm", w, generator[:, in_band, :_N, :]) / (
            band_weight[b][:, None])
    level_change = rates_by_band[:, :, :_N].copy()
    idx = np.arange(_N)
    level_change[:, idx, idx] = 0.0
    level_change[:, idx, idx] = -level_change.sum(axis=-1)
    death = rates_by_band[:, :, _N]
    discharge = spec.resident_discharge_rate_per_year.as_array()
    by_age = weights.sum(axis=0) * _application_rates(spec)  # [41, 4]
    applicant_weight = np.stack([by_age[in_band].sum(axis=0) for in_band in bands])
    with np.errstate(invalid="ignore", divide="ignore"):
        waiting_60plus = np.where(applicant_weight.sum(axis=0) > 0,
                                  (death * applicant_weight).sum(axis=0)
                                  / applicant_weight.sum(axis=0), death.mean(axis=0))
    at_80 = table.lx[..., 80][:, None] * prevalence_curve(spec, np.array([80.0]))[:, 0, :]
    ageing = at_80.sum(axis=0) / band_weight[0]
    # chain over (band, level) and one exit state: level changes, ageing, death + discharge
    size = 2 * _N
    chain = np.zeros((size + 1, size + 1))
    for b in range(2):
        block = slice(b * _N, (b + 1) * _N)
        chain[block, block] = level_change[b]
        chain[block, size] = death[b] + discharge
    chain[idx, _N + idx] = ageing
    chain[np.arange(size), np.arange(size)] = 0.0
    chain[np.arange(size), np.arange(size)] = -chain[:size].sum(axis=-1)
    stay = np.zeros((2, _N))
    for b in range(2):
        for level in range(_N):
            start = np.zeros(size + 1)
            start[b * _N + level] = 1.0
            stay[b, level] = ctmc_expected_sojourn(chain, start, list(range(size))).sum()
    return ResidentDynamics(
        resident_generator_per_day=level_change / DAYS_PER_YEAR,
        resident_death_rate_per_day=death / DAYS_PER_YEAR,
        discharge_rate_per_day=discharge / DAYS_PER_YEAR,
        waiting_death_rate_per_day=death / DAYS_PER_YEAR,
        waiting_death_rate_60plus_per_day=waiting_60plus / DAYS_PER_YEAR,
        waiting_withdrawal_rate_per_day=(
            spec.waiting_withdrawal_rate_per_year.as_array() / DAYS_PER_YEAR),
        band_ageing_rate_per_day=ageing / DAYS_PER_YEAR,
        expected_length_of_stay_days=stay * DAYS_PER_YEAR,
    )
