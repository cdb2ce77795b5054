"""Care need: prevalence by age, a care-level Markov chain, projected need and bed demand.

Everything here is plain numpy/pandas on a validated :class:`~carefacility.need.spec.NeedSpec`.

Model
-----
People aged 60+ are in one of the care levels :data:`LEVELS` or dead. Level changes follow a
continuous-time Markov chain whose generator is constant within each single year of age
(:func:`care_level_generator`). Level death rates are tied to the population's life table: at
each age and sex ``mx_l = mx · RR_l / Σ_k p_k RR_k`` (ratios from :func:`relative_risks`), so the
prevalence-weighted mean of the level rates is the life table's ``mx`` (``p`` is the smoothed
prevalence curve, :func:`prevalence_curve`).

With ``transitions.method = "prevalence_consistent"`` the onset rates (independent → partially
dependent, partially dependent → dependent, any level → dementia) are solved at each age so that a
cohort following the chain keeps the prevalence curve: the chain reproduces the base-year age
pattern instead of drifting to its own equilibrium, and need changes through the age structure and
mortality. For the cohort equation of level ``l``,
``dp_l/da = Σ_k p_k q_kl - p_l Σ_k q_lk - p_l (mx_l - mx)``, solved for the unknown rates in the
order dementia, dependent, partially dependent, using ``p`` and ``dp/da`` at mid-year of age.

Ages are single years 60..99 and the open group 100+ (index 40), as in the population projection.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd
import scipy.linalg

from carefacility.need.spec import (
    LEVELS,
    SEX_KEYS,
    NeedSpec,
    check_need_spec,
    prevalence_array,
)
from carefacility.population.ages import parse_age_group
from carefacility.population.lifetable import single_year_life_table
from carefacility.queueing.analytic import ctmc_expected_sojourn

__all__ = [
    "AGES",
    "DAYS_PER_YEAR",
    "LEVELS",
    "STATES",
    "BedDemand",
    "ResidentDynamics",
    "base_prevalence",
    "bed_demand",
    "care_level_generator",
    "level_death_rates",
    "open_age_mx",
    "prevalence_curve",
    "project_need",
    "relative_risks",
    "resident_dynamics",
    "transition_probabilities",
]

STATES: tuple[str, ...] = (*LEVELS, "dead")
"""States of the care-level chain: the four levels and death (absorbing, index 4)."""

AGES = np.arange(60, 101)
"""Single ages of the need model [years]; 100 stands for the open group 100+."""

DAYS_PER_YEAR = 365
"""Days in a model year, as in the bed simulation [day]."""

_N = len(LEVELS)
_DEAD = _N
_FLOOR = 1e-12
_BAND_80 = 80


# --------------------------------------------------------------------------------------------
# prevalence by single age
# --------------------------------------------------------------------------------------------
def _groups(spec: NeedSpec) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Starts, last ages (inclusive; 10**6 for the open group) and midpoints of the groups."""
    parsed = [parse_age_group(label) for label in spec.prevalence.age_groups]  # end exclusive
    starts = np.array([start for start, _ in parsed], dtype=float)
    ends = np.array([1e6 if end is None else end - 1 for _, end in parsed], dtype=float)
    mids = np.array([start + 2.5 if end is None else (start + end) / 2
                     for start, end in parsed])
    return starts, ends, mids


def base_prevalence(spec: NeedSpec, ages: np.ndarray = AGES) -> np.ndarray:
    """Prevalence of each level at single ages: the value of the age group holding the age.

    Parameters
    ----------
    spec : NeedSpec
    ages : array_like of int
        Ages ≥ 60 [years].

    Returns
    -------
    numpy.ndarray, shape (2, n_ages, 4)
        Sexes (male, female) × ages × :data:`LEVELS` [fraction]; rows sum to 1.
    """
    check_need_spec(spec)
    starts, ends, _ = _groups(spec)
    ages = np.asarray(ages)
    index = np.searchsorted(starts, ages, side="right") - 1
    if np.any(index < 0) or np.any(ages > ends[index]):
        raise ValueError(f"ages must lie in the prevalence age groups (got {ages.tolist()})")
    return prevalence_array(spec.prevalence)[:, index, :]


def prevalence_curve(spec: NeedSpec, ages: np.ndarray) -> np.ndarray:
    """Smoothed prevalence curve: additive log-ratios interpolated linearly between midpoints.

    ``log(p_l / p_independent)`` is interpolated linearly in age between the age-group
    midpoints (``start + 2.5`` for the open group) and extrapolated linearly with the slope of
    the first and last segments; the result is mapped back to shares, so it is always a
    distribution. Levels at 0 are floored at 1e-12 on the log scale.

    Parameters
    ----------
    spec : NeedSpec
    ages : array_like of float
        Ages (fractional allowed) [years].

    Returns
    -------
    numpy.ndarray, shape (2, n_ages, 4)
        [fraction]; rows sum to 1.
    """
    check_need_spec(spec)
    _, _, mids = _groups(spec)
    shares = np.maximum(prevalence_array(spec.prevalence), _FLOOR)  # [2, G, 4]
    ratios = np.log(shares[..., 1:] / shares[..., :1])  # [2, G, 3]
    ages = np.asarray(ages, dtype=float)
    if mids.size == 1:
        values = np.repeat(ratios, ages.size, axis=1)
    else:
        segment = np.clip(np.searchsorted(mids, ages, side="right") - 1, 0, mids.size - 2)
        fraction = (ages - mids[segment]) / (mids[segment + 1] - mids[segment])
        left, right = ratios[:, segment, :], ratios[:, segment + 1, :]
        values = left + (right - left) * fraction[None, :, None]
    expo = np.exp(np.concatenate([np.zeros((*values.shape[:2], 1)), values], axis=-1))
    return expo / expo.sum(axis=-1, keepdims=True)


# --------------------------------------------------------------------------------------------
# mortality and the generator
# --------------------------------------------------------------------------------------------
def open_age_mx(mx_single: np.ndarray) -> np.ndarray:
    """Death rates at ages 60..99 and of the open group 100+ from single-year rates.

    Parameters
    ----------
    mx_single : array_like, shape (..., A), A ≥ 101
        Central death rates at ages 0..A-2 and the open group A-1+ [per person-year]. With
        ``A > 101`` the 100+ rate is ``l(100) / T(100)`` of the single-year life table;
        with ``A = 101`` entry 100 is taken as the 100+ rate.

    Returns
    -------
    numpy.ndarray, shape (..., 41)
        [per person-year].
    """
    mx = np.asarray(mx_single, dtype=float)
    if mx.ndim < 1 or mx.shape[-1] < 101 or not np.all(np.isfinite(mx)) or np.any(mx < 0):
        raise ValueError(
            f"mx_single must be finite, ≥ 0, with ages 0..100+ on its last axis (got shape "
            f"{mx.shape})")
    if mx.shape[-1] == 101:
        return mx[..., 60:101].copy()
    table = single_year_life_table(mx)
    open_rate = table.lx[..., 100] / table.Tx[..., 100]
    return np.concatenate([mx[..., 60:100], open_rate[..., None]], axis=-1)


def _mx_by_sex(mx_single: np.ndarray) -> np.ndarray:
    mx = open_age_mx(mx_single)
    if mx.shape[:-1] != (2,):
        raise ValueError(f"mx_single must have shape (2, A) for (male, female) (got "
                         f"{np.shape(mx_single)})")
    return mx


def level_death_rates(spec: NeedSpec, mx_single: np.ndarray) -> np.ndarray:
    """Death rates by level tied to the life table: ``mx · RR_l / Σ_k p_k RR_k``.

    Parameters
    ----------
    spec : NeedSpec
    mx_single : array_like, shape (2, A)
        Single-year death rates of males and females, ages 0..A-1 (last open) [per
        person-year].

    Returns
    -------
    numpy.ndarray, shape (2, 41, 4)
        [per person-year] at ages 60..99, 100+; the weights ``p`` are
        ``prevalence_curve(spec, AGES + 0.5)``.
    """
    mx = _mx_by_sex(mx_single)
    weights = prevalence_curve(spec, AGES + 0.5)
    ratio = relative_risks(spec, weights)
    return mx[..., None] * ratio / (weights * ratio).sum(axis=-1, keepdims=True)


def relative_risks(spec: NeedSpec, prevalence: np.ndarray) -> np.ndarray:
    """Death-rate ratios of the levels relative to independent at each age [ratio].

    With ``dementia_mortality_basis = "adl_mix"`` the dementia ratio is
    ``RR_dementia × Σ_l p_l RR_l / Σ_l p_l`` over the three ADL levels: people with dementia have
    the ADL mix of people without it (the independence assumption of the prevalence) and
    ``RR_dementia`` on top; with ``"independent"`` it is ``RR_dementia`` itself.

    Parameters
    ----------
    spec : NeedSpec
    prevalence : numpy.ndarray, shape (..., 4)
        Level shares at each age [fraction].

    Returns
    -------
    numpy.ndarray, shape (..., 4)
    """
    base = spec.mortality_relative_risk.as_array()
    ratio = np.broadcast_to(base, prevalence.shape).copy()
    if spec.dementia_mortality_basis == "adl_mix":
        adl = prevalence[..., :3]
        mix = (adl * base[:3]).sum(axis=-1) / np.maximum(adl.sum(axis=-1), _FLOOR)
        ratio[..., 3] = base[3] * mix
    return ratio


def _fixed_rates(spec: NeedSpec) -> np.ndarray:
    """Rates given in ``transitions.rates`` at each sex and single age, ``[2, 41, 4, 4]``."""
    rates = np.zeros((2, AGES.size, _N, _N))
    for rate in spec.transitions.rates:
        start, end = parse_age_group(rate.age_group)
        stop = 100 if end is None else min(end - 1, 100)  # inclusive
        ages = (AGES >= start) & (AGES <= stop)
        sexes = [0, 1] if rate.sex == "both" else [SEX_KEYS.index(rate.sex)]
        i, j = LEVELS.index(rate.from_level), LEVELS.index(rate.to_level)
        for s in sexes:
            rates[s, ages, i, j] = rate.rate_per_year
    return rates


def _solve_onsets(spec: NeedSpec, fixed: np.ndarray, level_mx: np.ndarray, mx: np.ndarray
                  ) -> np.ndarray:
    """Add the prevalence-consistent onset rates to ``fixed`` (see the module notes)."""
    start = prevalence_curve(spec, AGES)
    end = prevalence_curve(spec, AGES + 1.0)
    end[:, -1] = start[:, -1]  # the open group 100+ keeps its distribution
    p = 0.5 * (start + end)
    dp = end - start
    excess = level_mx - mx[..., None]  # mx_l - mx, [2, 41, 4]
    out_fixed = fixed.sum(axis=-1)  # fixed exits by level

    def inflow(level: int) -> np.ndarray:
        return np.einsum("sak,sak->sa", p, fixed[..., level])

    ind, P, D, M = range(_N)  # level indices
    dementia = (dp[..., M] - inflow(M) + p[..., M] * (out_fixed[..., M] + excess[..., M])) / (
        1.0 - p[..., M])
    dependent = (dp[..., D] - inflow(D) + p[..., D] * (out_fixed[..., D] + dementia
                                                        + excess[..., D])) / p[..., P]
    partial = (dp[..., P] - inflow(P) + p[..., P] * (out_fixed[..., P] + dependent + dementia
                                                      + excess[..., P])) / p[..., ind]
    solved = {"dementia onset": dementia, "partially_dependent → dependent": dependent,
              "independent → partially_dependent": partial}
    for name, values in solved.items():
        if np.any(values < 0):
            ages = sorted({int(a) for a in AGES[np.nonzero(values < 0)[1]]})
            warnings.warn(
                f"{name} rate solved negative at ages {ages}; set to 0 there (the prevalence "
                f"falls with age faster than recovery and mortality can explain)",
                RuntimeWarning, stacklevel=3)
    rates = fixed.copy()
    rates[..., ind, P] += np.maximum(partial, 0.0)
    rates[..., P, D] += np.maximum(dependent, 0.0)
    for level in (ind, P, D):
        rates[..., level, M] += np.maximum(dementia, 0.0)
    return rates


def care_level_generator(spec: NeedSpec, mx_single: np.ndarray) -> np.ndarray:
    """Generator of the care-level chain at each sex and single age 60..100+.

    Parameters
    ----------
    spec : NeedSpec
    mx_single : array_like, shape (2, A)
        Single-year death rates of males and females [per person-year] (e.g. from
        :func:`carefacility.population.lifetable.single_year_mx`, ``A = 131``).

    Returns
    -------
    numpy.ndarray, shape (2, 41, 5, 5)
        ``Q[sex, age, i, j]`` [per year] over :data:`STATES`; rows sum to 0, death absorbing.
        Constant over each year of age ``[a, a + 1)``.
    """
    check_need_spec(spec)
    mx = _mx_by_sex(mx_single)
    level_mx = level_death_rates(spec, mx_single)
    fixed = _fixed_rates(spec)
    if spec.transitions.method == "prevalence_consistent":
        rates = _solve_onsets(spec, fixed, level_mx, mx)
    else:
        rates = fixed
    generator = np.zeros((2, AGES.size, _N + 1, _N + 1))
    generator[..., :_N, :_N] = rates
    generator[..., :_N, _DEAD] = level_mx
    diagonal = np.arange(_N + 1)
    generator[..., diagonal, diagonal] = 0.0
    generator[..., diagonal, diagonal] = -generator.sum(axis=-1)
    return generator


def transition_probabilities(generator: np.ndarray, years: float = 1.0) -> np.ndarray:
    """``expm(Q t)`` for every matrix of a stack of generators [probability]."""
    return scipy.linalg.expm(np.asarray(generator, dtype=float) * years)


# --------------------------------------------------------------------------------------------
# projected need
# --------------------------------------------------------------------------------------------
def _population_array(population: pd.DataFrame) -> tuple[np.ndarray, np.ndarray, list]:
    required = {"year", "zone", "age", "sex", "population"}
    missing = required - set(population.columns)
    if missing:
        raise ValueError(f"population is missing columns {sorted(missing)}; it needs "
                         f"{sorted(required)}")
    frame = population[population["age"] >= 60]
    if frame.empty:
        raise ValueError("population has no rows at ages 60+")
    if frame["age"].max() > 100 or np.any(frame["age"] != np.round(frame["age"])):
        raise ValueError("population ages must be whole years with 100 = 100+")
    bad_sex = set(frame["sex"]) - set(SEX_KEYS)
    if bad_sex:
        raise ValueError(f"population sex must be male or female (got {sorted(bad_sex)})")
    if np.any(frame["population"] < 0) or not np.all(np.isfinite(frame["population"])):
        raise ValueError("population counts must be finite and ≥ 0")
    years = np.sort(frame["year"].unique())
    if years.size > 1 and np.any(np.diff(years) != 1):
        raise ValueError(f"population years must be consecutive (got {years.tolist()})")
    zones = list(dict.fromkeys(frame["zone"]))
    array = np.zeros((years.size, len(zones), 2, AGES.size))
    y = np.searchsorted(years, frame["year"].to_numpy())
    z = pd.Index(zones).get_indexer(frame["zone"])
    s = pd.Index(SEX_KEYS).get_indexer(frame["sex"])
    a = frame["age"].to_numpy(int) - 60
    np.add.at(array, (y, z, s, a), frame["population"].to_numpy(float))
    return array, years, zones


def project_need(population: pd.DataFrame, spec: NeedSpec, mx_single: np.ndarray
                 ) -> pd.DataFrame:
    """Persons by care level, carrying each cohort's level distribution with the chain.

    Year 0 applies :func:`base_prevalence` to the population. Each later year, the level
    distribution of the survivors of each cohort (age ``a`` in year ``t`` → ``a + 1`` in
    ``t + 1``; 99 and 100+ merge into 100+) is ``shares · expm(Q(a))`` restricted to the living
    and renormalised, and is applied to the next year's population at that age, so persons by
    level always sum to the population (migrants take the shares of their cohort). New entrants
    at age 60 take the base prevalence at 60 (the 60-64 group value).

    Parameters
    ----------
    population : pandas.DataFrame
        Columns ``year, zone, age, sex, population`` [persons]; consecutive years; ages
        0..100 (100 = 100+; ages below 60 ignored); sex ``male`` / ``female``.
    spec : NeedSpec
    mx_single : array_like, shape (2, A) or (n_years - 1, 2, A) or (n_years, 2, A)
        Single-year death rates [per person-year]: one schedule, or one per projection step
        (step ``t`` → ``t + 1`` uses entry ``t``).

    Returns
    -------
    pandas.DataFrame
        Columns ``year, zone, age, sex, level, persons`` [persons].
    """
    check_need_spec(spec)
    pop, years, zones = _population_array(population)
    mx = np.asarray(mx_single, dtype=float)
    n_steps = years.size - 1
    if mx.ndim == 2:
        schedules = [mx] * n_steps
        generators = [care_level_generator(spec, mx)] if n_steps else []
        steps = [transition_probabilities(generators[0])] * n_steps if n_steps else []
    elif mx.ndim == 3 and mx.shape[0] >= n_steps:
        schedules = [mx[t] for t in range(n_steps)]
        steps = [transition_probabilities(care_level_generator(spec, m)) for m in schedules]
    else:
        raise ValueError(f"mx_single must have shape (2, A) or (n_steps >= {n_steps}, 2, A) "
                         f"(got {mx.shape})")
    base = base_prevalence(spec)  # [2, 41, 4]
    shares = np.broadcast_to(base, (len(zones), *base.shape)).copy()
    persons = np.zeros((*pop.shape, _N))
    for t in range(years.size):
        persons[t] = pop[t][..., None] * shares
        if t == n_steps:
            break
        survivors = np.einsum("zsal,salm->zsam", persons[t], steps[t][..., :_N, :_N])
        moved = np.zeros_like(survivors)
        moved[:, :, 1:] = survivors[:, :, :-1]
        moved[:, :, -1] += survivors[:, :, -1]
        total = moved.sum(axis=-1, keepdims=True)
        with np.errstate(invalid="ignore", divide="ignore"):
            shares = np.where(total > 0, moved / total, base[None])
        shares[:, :, 0] = base[None, :, 0]
    index = pd.MultiIndex.from_product([years, zones, list(SEX_KEYS), AGES, list(LEVELS)],
                                       names=["year", "zone", "sex", "age", "level"])
    frame = pd.DataFrame({"persons": persons.reshape(-1)}, index=index).reset_index()
    return frame[["year", "zone", "age", "sex", "level", "persons"]]


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
    """Application rate at ages 60..100+ and levels, ``[41, 4]`` [per person-year]."""
    under = spec.bed_application_rate_per_year.as_array()
    over_spec = spec.bed_application_rate_80plus_per_year
    over = under if over_spec is None else over_spec.as_array()
    return np.where((AGES >= _BAND_80)[:, None], over[None, :], under[None, :])


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
    application = np.stack([spec.bed_application_rate_per_year.as_array(),
                            _application_rates(spec)[-1]])  # [band, 4]
    applicant_weight = band_weight * application
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
