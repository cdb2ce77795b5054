"""Cohort-component population projection: single years of age, both sexes, annual steps, zones.

Arrays have the axes ``[year, zone, sex, age]`` with sex ``(male, female)`` and ages 0..99 and
100+ (``N_AGES = 101``). The projection is vectorised over zones, sexes and ages; the only loop
is over years.

Timing of one annual step from ``t`` to ``t + 1`` (all of it also holds for
:func:`carefacility.population.leslie.leslie_matrix`):

1. **Survival.** People aged ``x`` at ``t`` are aged ``x + 1`` at ``t + 1`` with probability
   ``survival_to_next[x]``; age 99 moves into 100+; the open group 100+ stays with probability
   ``survival_open``. Deaths are counted age by age as ``P * (1 - S)``.
2. **Births.** ``B = sum_x asfr[x] * (F[x](t) + F~[x](t+1)) / 2``: women's exposure at each age is
   the mean of the women aged ``x`` at the start of the year and the *survivors* aged ``x`` at its
   end (before migration). Births are split by the sex ratio at birth (male share
   ``srb / (1 + srb)``); a share ``birth_survival`` is alive at the end of the year, aged 0, the
   rest are counted as deaths.
3. **Migration.** Net migrants, given by age at the *end* of the year, are added last. They do not
   die, give birth or appear in the exposure in the year they arrive (they do from the next year).
   If net out-migration exceeds the people present at some age, that age is set to zero and the
   excess is reported in ``out_migration_shortfall``; ``net_migration`` reports the migration
   that actually happened, so that ``P(t+1) = P(t) + births - deaths + net_migration`` holds
   exactly for every year, zone and sex.

Population ``[t]`` is the state at the base date plus ``t`` years; the base date is whatever the
base population's reference date is (census 1 November, year-end registered counts, mid-year
estimates) and the caller states it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from carefacility.population.ages import N_AGES, OPEN_AGE, SEXES
from carefacility.population.lifetable import SurvivalSchedule

__all__ = [
    "ProjectionArrays",
    "elderly_summary",
    "project",
    "project_step",
    "to_tidy",
]


@dataclass(frozen=True)
class ProjectionArrays:
    """Result of :func:`project`.

    Attributes
    ----------
    population : ndarray, shape (T + 1, Z, 2, 101)
        Population at the base date and after each year [persons].
    births : ndarray, shape (T, Z, 2)
        Births during each year, by sex of the child [persons].
    deaths : ndarray, shape (T, Z, 2)
        Deaths during each year (of the people present at the start and of the year's births)
        [persons].
    net_migration : ndarray, shape (T, Z, 2)
        Net migration that took place during each year [persons].
    out_migration_shortfall : ndarray, shape (T, Z, 2)
        Requested net out-migrants who could not leave because their age group was empty
        [persons], ``>= 0``: requested net migration = ``net_migration - shortfall``.
    """

    population: np.ndarray
    births: np.ndarray
    deaths: np.ndarray
    net_migration: np.ndarray
    out_migration_shortfall: np.ndarray

    @property
    def n_years(self) -> int:
        """Number of projected years ``T``."""
        return self.births.shape[0]


def _check_inputs(
    base_population: np.ndarray,
    survival: SurvivalSchedule,
    asfr: np.ndarray,
    srb: np.ndarray,
    net_migration: np.ndarray | None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    population = np.asarray(base_population, dtype=np.float64)
    if population.ndim != 3 or population.shape[1:] != (2, N_AGES):
        raise ValueError(
            f"base_population must have shape (zones, 2, {N_AGES}), got {population.shape}"
        )
    if not np.all(np.isfinite(population)) or np.any(population < 0):
        raise ValueError("base_population must be finite and >= 0 [persons]")
    n_zones = population.shape[0]
    if not isinstance(survival, SurvivalSchedule):
        raise TypeError("survival must be a SurvivalSchedule (see projection_survival)")
    if len(survival.shape) != 2 or survival.shape[1] != 2:
        raise ValueError(f"survival must have leading shape (years, 2), got {survival.shape}")
    if survival.survival_to_next.shape[-1] != OPEN_AGE:
        raise ValueError(f"survival_to_next must cover ages 0..{OPEN_AGE - 1}")
    n_years = survival.shape[0]
    asfr = np.asarray(asfr, dtype=np.float64)
    if asfr.shape not in ((n_years, N_AGES), (n_years, n_zones, N_AGES)):
        raise ValueError(
            f"asfr must have shape ({n_years}, {N_AGES}) or ({n_years}, {n_zones}, {N_AGES}), "
            f"got {asfr.shape}"
        )
    if not np.all(np.isfinite(asfr)) or np.any(asfr < 0):
        raise ValueError("asfr must be finite and >= 0 [births per woman-year]")
    if np.any(asfr[..., 0] != 0):
        raise ValueError("asfr at age 0 must be 0 (births are timed within the year)")
    srb = np.asarray(srb, dtype=np.float64)
    if srb.shape != (n_years,):
        raise ValueError(f"srb must have shape ({n_years},), got {srb.shape}")
    if not np.all(np.isfinite(srb)) or np.any(srb <= 0):
        raise ValueError("srb must be finite and > 0 [males per female birth]")
    if net_migration is None:
        migration = np.zeros((n_years, n_zones, 2, N_AGES))
    else:
        migration = np.asarray(net_migration, dtype=np.float64)
        try:
            migration = np.broadcast_to(migration, (n_years, n_zones, 2, N_AGES))
        except ValueError:
            raise ValueError(
                f"net_migration must have shape ({n_years}, {n_zones}, 2, {N_AGES}), "
                f"got {migration.shape}"
            ) from None
        if not np.all(np.isfinite(migration)):
            raise ValueError("net_migration must be finite [persons]")
    return population, asfr, srb, migration


def project_step(
    population: np.ndarray,
    survival_to_next: np.ndarray,
    survival_open: np.ndarray,
    birth_survival: np.ndarray,
    asfr: np.ndarray,
    srb: float,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """One closed-population step (survival and births, no migration).

    Parameters
    ----------
    population : ndarray, shape (Z, 2, 101)
        Population at the start of the year [persons].
    survival_to_next : ndarray, shape (2, 100)
    survival_open : ndarray, shape (2,)
    birth_survival : ndarray, shape (2,)
        Survival ratios of the year (see :class:`SurvivalSchedule`).
    asfr : ndarray, shape (101,) or (Z, 101)
        Fertility rates [births per woman-year].
    srb : float
        Sex ratio at birth [males per female].

    Returns
    -------
    survivors : ndarray, shape (Z, 2, 101)
        Population at the end of the year before migration [persons].
    births : ndarray, shape (Z, 2)
        Births by sex [persons].
    deaths : ndarray, shape (Z, 2)
        Deaths by sex [persons].
    """
    survivors = np.empty_like(population)
    survivors[..., 1:] = population[..., :OPEN_AGE] * survival_to_next
    survivors[..., OPEN_AGE] += population[..., OPEN_AGE] * survival_open
    deaths = np.sum(population[..., :OPEN_AGE] * (1.0 - survival_to_next), axis=-1)
    deaths += population[..., OPEN_AGE] * (1.0 - survival_open)
    survivors[..., 0] = 0.0
    exposure = 0.5 * (population[:, 1, :] + survivors[:, 1, :])
    total_births = np.sum(exposure * asfr, axis=-1)  # (Z,)
    male_share = srb / (1.0 + srb)
    births = total_births[:, None] * np.array([male_share, 1.0 - male_share])
    survivors[..., 0] = births * birth_survival
    deaths += births * (1.0 - birth_survival)
    return survivors, births, deaths


def project(
    base_population: np.ndarray,
    survival: SurvivalSchedule,
    asfr: np.ndarray,
    srb: np.ndarray | Sequence[float],
    net_migration: np.ndarray | None = None,
) -> ProjectionArrays:
    """Project a population by single year of age and sex, for several zones at once.

    Parameters
    ----------
    base_population : array_like, shape (Z, 2, 101)
        Population at the base date by zone, sex (male, female) and age 0..99, 100+ [persons].
    survival : SurvivalSchedule
        Survival ratios of each projected year and sex, leading shape ``(T, 2)``; from
        :func:`~carefacility.population.lifetable.projection_survival` applied to death rates of
        shape ``(T, 2, 131)`` (or ``.repeat(T)`` of a ``(2,)`` schedule).
    asfr : array_like, shape (T, 101) or (T, Z, 101)
        Age-specific fertility rates by mother's age of each year [births per woman-year];
        zero at age 0.
    srb : array_like, shape (T,)
        Sex ratio at birth of each year [males per female].
    net_migration : array_like, shape (T, Z, 2, 101), optional
        Net migrants during each year by zone, sex and age at the end of the year [persons];
        negative for net out-migration. Broadcastable shapes (e.g. ``(T, 1, 2, 101)``) are
        accepted. ``None`` for a closed population.

    Returns
    -------
    ProjectionArrays
        Population ``(T + 1, Z, 2, 101)``, births, deaths, net migration and out-migration
        shortfall ``(T, Z, 2)``.

    Notes
    -----
    See the module docstring for the timing of survival, births and migration. The accounting
    identity ``population[t+1].sum(-1) == population[t].sum(-1) + births[t] - deaths[t]
    + net_migration[t]`` holds to rounding. Negative populations are never produced: net
    out-migration beyond the people present at an age is clipped at zero and reported in
    ``out_migration_shortfall``.
    """
    population, asfr, srb, migration = _check_inputs(
        base_population, survival, asfr, srb, net_migration
    )
    n_years = survival.shape[0]
    n_zones = population.shape[0]
    out_population = np.empty((n_years + 1, n_zones, 2, N_AGES))
    out_births = np.empty((n_years, n_zones, 2))
    out_deaths = np.empty((n_years, n_zones, 2))
    out_migration = np.empty((n_years, n_zones, 2))
    out_shortfall = np.zeros((n_years, n_zones, 2))
    out_population[0] = population
    for year in range(n_years):
        survivors, year_births, year_deaths = project_step(
            out_population[year],
            survival.survival_to_next[year],
            survival.survival_open[year],
            survival.birth_survival[year],
            asfr[year],
            float(srb[year]),
        )
        after = survivors + migration[year]
        negative = after < 0
        if negative.any():
            shortfall = np.where(negative, -after, 0.0)
            after = np.where(negative, 0.0, after)
            out_shortfall[year] = shortfall.sum(axis=-1)
            out_migration[year] = migration[year].sum(axis=-1) + out_shortfall[year]
        else:
            out_migration[year] = migration[year].sum(axis=-1)
        out_population[year + 1] = after
        out_births[year] = year_births
        out_deaths[year] = year_deaths
    return ProjectionArrays(
        population=out_population,
        births=out_births,
        deaths=out_deaths,
        net_migration=out_migration,
        out_migration_shortfall=out_shortfall,
    )


def elderly_summary(population: np.ndarray) -> dict[str, np.ndarray]:
    """Elderly counts, shares and dependency ratios, both sexes together.

    Parameters
    ----------
    population : array_like, shape (..., 2, 101)
        Population by sex and age 0..99, 100+ [persons], e.g. ``ProjectionArrays.population``
        of shape ``(T + 1, Z, 2, 101)``.

    Returns
    -------
    dict of str to ndarray, each of shape (...)
        ``total``, ``pop_15_59``, ``pop_15_64``, ``pop_60plus``, ``pop_65plus``, ``pop_80plus``
        [persons]; ``share_60plus``, ``share_65plus``, ``share_80plus`` [fraction of total];
        ``old_age_dependency_ratio`` = ``pop_65plus / pop_15_64`` and
        ``old_age_dependency_ratio_60`` = ``pop_60plus / pop_15_59`` [fraction, not percent].
        A ratio with a zero denominator is ``nan``.
    """
    population = np.asarray(population, dtype=np.float64)
    if population.shape[-2:] != (2, N_AGES):
        raise ValueError(f"population must end with axes (2, {N_AGES}), got {population.shape}")
    by_age = population.sum(axis=-2)
    cumulative = np.concatenate(
        [np.zeros((*by_age.shape[:-1], 1)), np.cumsum(by_age, axis=-1)], axis=-1
    )

    def between(first: int, last_exclusive: int) -> np.ndarray:
        return cumulative[..., last_exclusive] - cumulative[..., first]

    total = cumulative[..., N_AGES]
    result = {
        "total": total,
        "pop_15_59": between(15, 60),
        "pop_15_64": between(15, 65),
        "pop_60plus": between(60, N_AGES),
        "pop_65plus": between(65, N_AGES),
        "pop_80plus": between(80, N_AGES),
    }

    def ratio(numerator: np.ndarray, denominator: np.ndarray) -> np.ndarray:
        out = np.full(np.shape(numerator), np.nan)
        return np.divide(numerator, denominator, out=out, where=denominator > 0)

    for name in ("60plus", "65plus", "80plus"):
        result[f"share_{name}"] = ratio(result[f"pop_{name}"], total)
    result["old_age_dependency_ratio"] = ratio(result["pop_65plus"], result["pop_15_64"])
    result["old_age_dependency_ratio_60"] = ratio(result["pop_60plus"], result["pop_15_59"])
    return result


def to_tidy(
    arrays: ProjectionArrays | np.ndarray,
    years: Sequence[int] | np.ndarray,
    zone_names: Sequence[str],
) -> pd.DataFrame:
    """Population as a tidy table.

    Parameters
    ----------
    arrays : ProjectionArrays or ndarray of shape (T + 1, Z, 2, 101)
        Projection result or population array [persons].
    years : sequence of int, length T + 1
        Label of each state (e.g. base year, base year + 1, ...).
    zone_names : sequence of str, length Z
        Zone names.

    Returns
    -------
    pandas.DataFrame
        Columns ``year`` (int), ``zone`` (str), ``age`` (int 0..100, 100 meaning 100+), ``sex``
        (``"male"``/``"female"``), ``population`` [persons]; rows ordered by year, zone, sex, age.
    """
    population = arrays.population if isinstance(arrays, ProjectionArrays) else arrays
    population = np.asarray(population, dtype=np.float64)
    if population.ndim != 4 or population.shape[2:] != (2, N_AGES):
        raise ValueError(
            f"population must have shape (T+1, Z, 2, {N_AGES}), got {population.shape}"
        )
    n_states, n_zones = population.shape[:2]
    years = np.asarray(years)
    zones = np.asarray(list(zone_names), dtype=object)
    if years.shape != (n_states,):
        raise ValueError(f"years must have {n_states} entries, got {years.shape}")
    if zones.shape != (n_zones,):
        raise ValueError(f"zone_names must have {n_zones} entries, got {zones.shape}")
    per_zone = 2 * N_AGES
    return pd.DataFrame(
        {
            "year": np.repeat(years.astype(np.int64), n_zones * per_zone),
            "zone": np.tile(np.repeat(zones, per_zone), n_states).astype(str),
            "age": np.tile(np.arange(N_AGES, dtype=np.int64), n_states * n_zones * 2),
            "sex": np.tile(np.repeat(np.array(SEXES), N_AGES), n_states * n_zones),
            "population": population.reshape(-1),
        }
    )
