import time

import numpy as np
import pandas as pd
import pytest
from wpp_inputs import FERTILITY_STARTS, WPP_PASFR_2023

from carefacility.population import (
    N_AGES,
    ProjectionArrays,
    apply_mortality_improvement,
    asfr_from_tfr,
    elderly_summary,
    project,
    projection_survival,
    to_tidy,
)


def random_inputs(rng, mx_single, n_zones=7, n_years=12, migration_scale=50.0):
    """Non-trivial inputs: improving mortality, varying TFR and SRB, mixed-sign migration."""
    years = np.arange(n_years)[:, None, None]
    mx = apply_mortality_improvement(mx_single[None], rng.uniform(0.0, 0.03), years)
    survival = projection_survival(mx)
    asfr = asfr_from_tfr(rng.uniform(0.8, 2.2, n_years), WPP_PASFR_2023, FERTILITY_STARTS)
    srb = rng.uniform(1.03, 1.15, n_years)
    base = rng.uniform(0, 2000, size=(n_zones, 2, N_AGES))
    migration = rng.normal(0, migration_scale, size=(n_years, n_zones, 2, N_AGES))
    return base, survival, asfr, srb, migration


def assert_identity(result: ProjectionArrays, rtol=1e-9):
    population = result.population.sum(axis=-1)  # (T+1, Z, 2)
    expected = population[:-1] + result.births - result.deaths + result.net_migration
    scale = np.maximum(population[1:], 1.0)
    assert np.max(np.abs(population[1:] - expected) / scale) < rtol


def test_accounting_identity_with_negative_migration(mx_single_2020):
    rng = np.random.default_rng(2024)
    base, survival, asfr, srb, migration = random_inputs(rng, mx_single_2020)
    migration[:, 0] -= 400.0  # zone 0 empties: clipping happens
    result = project(base, survival, asfr, srb, migration)
    assert result.population.shape == (13, 7, 2, N_AGES)
    assert result.births.shape == result.deaths.shape == result.net_migration.shape == (12, 7, 2)
    assert np.all(result.population >= 0)
    assert np.all(result.births >= 0) and np.all(result.births[:, 1:] > 0)
    assert np.all(result.deaths[:, 1:] > 0)
    assert result.out_migration_shortfall[:, 0].sum() > 0
    assert_identity(result)
    # realised migration = requested + shortfall
    requested = migration.sum(axis=-1)
    np.testing.assert_allclose(
        result.net_migration, requested + result.out_migration_shortfall, rtol=1e-12, atol=1e-9
    )


def test_identity_without_clipping_uses_requested_migration(mx_single_2020):
    rng = np.random.default_rng(5)
    base, survival, asfr, srb, migration = random_inputs(rng, mx_single_2020, migration_scale=5)
    base += 1000.0  # large enough that nobody is clipped
    result = project(base, survival, asfr, srb, migration)
    assert np.all(result.out_migration_shortfall == 0)
    np.testing.assert_allclose(result.net_migration, migration.sum(-1), rtol=1e-12)
    assert_identity(result)


def test_one_step_by_hand(mx_single_2020):
    """Survival, birth timing and migration of one year, computed age by age."""
    survival = projection_survival(mx_single_2020)
    asfr = asfr_from_tfr(1.4, WPP_PASFR_2023, FERTILITY_STARTS)
    rng = np.random.default_rng(11)
    base = rng.uniform(100, 1000, size=(1, 2, N_AGES))
    migration = rng.normal(0, 10, size=(1, 1, 2, N_AGES))
    srb = 1.12
    result = project(base, survival.repeat(1), asfr[None], np.array([srb]), migration)

    s_next, s_open, s_birth = (
        survival.survival_to_next,
        survival.survival_open,
        survival.birth_survival,
    )
    survivors = np.zeros((2, N_AGES))
    deaths = np.zeros(2)
    for sex in range(2):
        for age in range(100):
            survivors[sex, age + 1] += base[0, sex, age] * s_next[sex, age]
            deaths[sex] += base[0, sex, age] * (1 - s_next[sex, age])
        survivors[sex, 100] += base[0, sex, 100] * s_open[sex]
        deaths[sex] += base[0, sex, 100] * (1 - s_open[sex])
    total_births = sum(
        asfr[age] * (base[0, 1, age] + survivors[1, age]) / 2 for age in range(N_AGES)
    )
    births = total_births * np.array([srb / (1 + srb), 1 / (1 + srb)])
    survivors[:, 0] = births * s_birth
    deaths += births * (1 - s_birth)
    expected = survivors + migration[0, 0]

    np.testing.assert_allclose(result.population[1, 0], expected, rtol=1e-12)
    np.testing.assert_allclose(result.births[0, 0], births, rtol=1e-12)
    np.testing.assert_allclose(result.deaths[0, 0], deaths, rtol=1e-12)


def test_migrants_arrive_at_year_end_and_then_age(mx_single_2020):
    survival = projection_survival(mx_single_2020).repeat(2)
    asfr = np.zeros((2, N_AGES))
    base = np.full((1, 2, N_AGES), 100.0)
    migration = np.zeros((2, 1, 2, N_AGES))
    migration[0, 0, 1, 30] = 50.0  # 50 women aged 30 at the end of year 1
    closed = project(base, survival, asfr, np.ones(2))
    opened = project(base, survival, asfr, np.ones(2), migration)
    difference = opened.population - closed.population
    assert difference[1, 0, 1, 30] == pytest.approx(50.0, rel=1e-14)  # no mortality on arrival
    assert np.count_nonzero(difference[1]) == 1
    s = survival.survival_to_next[1, 1, 30]
    assert difference[2, 0, 1, 31] == pytest.approx(50.0 * s, rel=1e-12)
    np.testing.assert_allclose(opened.deaths[0], closed.deaths[0], rtol=1e-14)


def test_clipping_reports_the_shortfall(mx_single_2020):
    survival = projection_survival(mx_single_2020).repeat(1)
    base = np.full((2, 2, N_AGES), 10.0)
    migration = np.zeros((1, 2, 2, N_AGES))
    migration[0, 1, 0, 40] = -100.0  # 100 men aged 40 to leave zone 1, only ~10 are there
    result = project(base, survival, np.zeros((1, N_AGES)), np.ones(1), migration)
    survivors = 10.0 * survival.survival_to_next[0, 0, 39]
    assert result.population[1, 1, 0, 40] == 0.0
    assert result.out_migration_shortfall[0, 1, 0] == pytest.approx(100.0 - survivors)
    assert result.net_migration[0, 1, 0] == pytest.approx(-survivors)
    assert result.out_migration_shortfall[0, 0].sum() == 0
    assert_identity(result)


def test_inputs_are_checked(mx_single_2020):
    survival = projection_survival(mx_single_2020).repeat(2)
    base = np.ones((1, 2, N_AGES))
    asfr = np.zeros((2, N_AGES))
    with pytest.raises(ValueError, match="base_population must have shape"):
        project(base[0], survival, asfr, np.ones(2))
    with pytest.raises(ValueError, match="age 0 must be 0"):
        project(base, survival, asfr + 0.01, np.ones(2))
    with pytest.raises(ValueError, match="srb must have shape"):
        project(base, survival, asfr, np.ones(3))
    with pytest.raises(ValueError, match="net_migration must have shape"):
        project(base, survival, asfr, np.ones(2), np.zeros((2, 3, 2, N_AGES)))
    with pytest.raises(TypeError, match="SurvivalSchedule"):
        project(base, survival.as_array(), asfr, np.ones(2))


def test_one_hundred_zones_fifty_years_is_fast(mx_single_2020):
    rng = np.random.default_rng(0)
    base, survival, asfr, srb, migration = random_inputs(rng, mx_single_2020, 100, 50)
    project(base, survival, asfr, srb, migration)  # warm-up
    start = time.perf_counter()
    result = project(base, survival, asfr, srb, migration)
    elapsed = time.perf_counter() - start
    assert result.population.shape == (51, 100, 2, N_AGES)
    assert elapsed < 1.0


def test_elderly_summary_known_population():
    population = np.ones((3, 2, N_AGES))  # one person per sex and age, 3 zones
    population[2] = 0.0
    summary = elderly_summary(population)
    assert summary["total"][0] == 202
    assert summary["pop_60plus"][0] == 82 and summary["pop_65plus"][0] == 72
    assert summary["pop_80plus"][0] == 42
    assert summary["pop_15_64"][0] == 100 and summary["pop_15_59"][0] == 90
    assert summary["share_60plus"][0] == pytest.approx(82 / 202)
    assert summary["old_age_dependency_ratio"][0] == pytest.approx(0.72)
    assert summary["old_age_dependency_ratio_60"][0] == pytest.approx(82 / 90)
    assert np.isnan(summary["share_65plus"][2]) and np.isnan(summary["old_age_dependency_ratio"][2])


def test_elderly_summary_of_a_projection(mx_single_2020):
    rng = np.random.default_rng(3)
    base, survival, asfr, srb, _ = random_inputs(rng, mx_single_2020, 4, 5)
    result = project(base, survival, asfr, srb, None)
    summary = elderly_summary(result.population)
    assert summary["pop_65plus"].shape == (6, 4)
    np.testing.assert_allclose(summary["total"], result.population.sum(axis=(-2, -1)))
    np.testing.assert_allclose(
        summary["pop_80plus"], result.population[..., 80:].sum(axis=(-2, -1)), rtol=1e-12
    )


def test_to_tidy(mx_single_2020):
    rng = np.random.default_rng(9)
    base, survival, asfr, srb, migration = random_inputs(rng, mx_single_2020, 3, 2)
    result = project(base, survival, asfr, srb, migration)
    table = to_tidy(result, [2020, 2021, 2022], ["嘉定", "Xicheng", "Zhuji"])
    assert list(table.columns) == ["year", "zone", "age", "sex", "population"]
    assert len(table) == 3 * 3 * 2 * N_AGES
    assert table["age"].min() == 0 and table["age"].max() == 100
    row = table[
        (table["year"] == 2021)
        & (table["zone"] == "Zhuji")
        & (table["sex"] == "female")
        & (table["age"] == 100)
    ]
    assert row["population"].item() == result.population[1, 2, 1, 100]
    totals = table.groupby(["year", "zone"], sort=False)["population"].sum()
    np.testing.assert_allclose(totals.to_numpy(), result.population.sum(axis=(-2, -1)).ravel())
    assert isinstance(table, pd.DataFrame)
    with pytest.raises(ValueError, match="years must have 3 entries"):
        to_tidy(result.population, [2020, 2021], ["a", "b", "c"])
