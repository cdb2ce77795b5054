"""Projected need: persons by care level in each year, zone, age and sex of a population
projection, each cohort carrying its level distribution along the care-level chain
(:mod:`carefacility.need.chain`)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from carefacility.need.chain import care_level_generator, transition_probabilities
from carefacility.need.levels import LEVELS, SEX_KEYS
from carefacility.need.prevalence import AGES, base_prevalence
from carefacility.need.spec import NeedSpec, check_need_spec

__all__ = ["project_need"]

_N = len(LEVELS)


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
        step = transition_probabilities(care_level_generator(spec, mx)) if n_steps else None
        steps = [step] * n_steps
    elif mx.ndim == 3 and mx.shape[0] >= n_steps:
        # every year's generators in one batched exponential, shape (n_steps, 2, 41, 5, 5)
        generators = [care_level_generator(spec, mx[t]) for t in range(n_steps)]
        steps = list(transition_probabilities(np.stack(generators))) if n_steps else []
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
