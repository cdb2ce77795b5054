"""Projected need, checked by hand on still chains and against the population it carries."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from carefacility.need.levels import LEVELS, prevalence_array
from carefacility.need.prevalence import base_prevalence
from carefacility.need.projection import project_need
from carefacility.need.spec import NeedSpec, default_need_spec
from carefacility.population.lifetable import single_year_life_table


def _still_spec(prevalence: dict | None = None) -> NeedSpec:
    """No transitions, equal death rates at every level."""
    extra = {} if prevalence is None else {"prevalence": prevalence}
    return NeedSpec(transitions={"method": "rates_only", "rates": []},
                    mortality_relative_risk={}, **extra)


def _population(years: range, zones: tuple[str, ...], seed: int = 1) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    rows = [(y, z, a, s, float(rng.integers(0, 5000)))
            for y in years for z in zones for a in range(55, 101) for s in ("male", "female")]
    return pd.DataFrame(rows, columns=["year", "zone", "age", "sex", "population"])


def test_still_chain_gives_base_prevalence_times_population(mx_single: np.ndarray) -> None:
    flat = {"age_groups": ["60+"],
            "male": {"partially_dependent": [0.2], "dependent": [0.05], "dementia": [0.1]},
            "female": {"partially_dependent": [0.25], "dependent": [0.06],
                       "dementia": [0.12]}}
    spec = _still_spec(flat)
    population = _population(range(2020, 2026), ("a", "b"))
    need = project_need(population, spec, mx_single)
    expected = prevalence_array(spec.prevalence)[:, 0, :]  # [2, 4]
    pop60 = population[population["age"] >= 60].set_index(["year", "zone", "age", "sex"])
    merged = need.join(pop60, on=["year", "zone", "age", "sex"])
    share = expected[merged["sex"].map({"male": 0, "female": 1}).to_numpy(),
                     merged["level"].map(LEVELS.index).to_numpy()]
    np.testing.assert_allclose(merged["persons"], share * merged["population"], rtol=1e-12)


def test_still_chain_carries_cohorts_unchanged(mx_single: np.ndarray) -> None:
    spec = _still_spec()  # the default age-varying prevalence, no transitions, equal RRs
    population = _population(range(2020, 2031), ("a",))
    need = project_need(population, spec, mx_single)
    persons = need.set_index(["year", "zone", "sex", "age", "level"])["persons"]
    base = base_prevalence(spec)
    pop = population.set_index(["year", "zone", "sex", "age"])["population"]
    for year in (2020, 2024, 2030):
        for s, sex in enumerate(("male", "female")):
            for age in (60, 63, 75, 90, 100):
                cohort_age = max(age - (year - 2020), 60) if age < 100 else None
                if cohort_age is None:
                    continue
                for k, level in enumerate(LEVELS):
                    assert persons[(year, "a", sex, age, level)] == pytest.approx(
                        base[s, cohort_age - 60, k] * pop[(year, "a", sex, age)], rel=1e-12)


def test_persons_by_level_sum_to_the_population(mx_single: np.ndarray) -> None:
    population = _population(range(2020, 2031), ("a", "b", "c"))
    need = project_need(population, default_need_spec(), mx_single)
    total = need.groupby(["year", "zone"])["persons"].sum()
    expected = population[population["age"] >= 60].groupby(["year", "zone"])["population"].sum()
    np.testing.assert_allclose(total.to_numpy(), expected.loc[total.index].to_numpy(),
                               rtol=1e-12)
    assert need["persons"].min() >= 0


def test_stationary_population_keeps_its_need(mx_single: np.ndarray) -> None:
    """With a constant life-table population the 60+ level shares stay within 5 % (relative)
    of the base year over 20 years: the chain does not drift to another prevalence."""
    table = single_year_life_table(mx_single)
    person_years = np.concatenate([table.Lx[:, 60:100], table.Tx[:, 100:101]], axis=1)
    rows = [(y, "z", a, sex, person_years[s, a - 60] * 1e6) for y in range(2020, 2041)
            for s, sex in enumerate(("male", "female")) for a in range(60, 101)]
    population = pd.DataFrame(rows, columns=["year", "zone", "age", "sex", "population"])
    need = project_need(population, default_need_spec(), mx_single)
    shares = need.groupby(["year", "level"])["persons"].sum().unstack()[list(LEVELS)]
    shares = shares.div(shares.sum(axis=1), axis=0)
    np.testing.assert_allclose(shares.loc[2040], shares.loc[2020], rtol=0.05)


def test_bad_population_is_refused(mx_single: np.ndarray) -> None:
    population = _population(range(2020, 2023), ("a",))
    with pytest.raises(ValueError, match="consecutive"):
        project_need(population[population["year"] != 2021], default_need_spec(), mx_single)
    broken = population.copy()
    broken.loc[broken.index[-1], "population"] = -1.0
    with pytest.raises(ValueError, match="≥ 0"):
        project_need(broken, default_need_spec(), mx_single)
