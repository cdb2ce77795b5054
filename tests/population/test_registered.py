"""The registered (户籍) basis: a base from published bands, the derived net inflow, the
year-end base date, and the demographic checks on a registered population."""

from __future__ import annotations

import dataclasses
import datetime as dt
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from carefacility.population import leslie_matrix, project, stable_population
from carefacility.population.inputs import (
    GroupedTable,
    TimePath,
    base_time,
    match_band_shares,
)
from carefacility.population.lifetable import projection_survival, single_year_mx
from carefacility.population.projection import (
    _asfr_at,
    _mortality_at,
    project_population,
    project_populations,
    report_times,
)
from carefacility.population.registered import (
    band_shares,
    elderly_cohort_residual,
    net_inflow_from_totals,
)
from carefacility.scenario.loader import load_scenario

ROOT = Path(__file__).resolve().parents[2]
PUBLISHED = ROOT / "scenarios" / "data" / "shanghai_registered_elderly_2011_2020.csv"
WAN = 10_000  # 1万 persons


@pytest.fixture(scope="module")
def published() -> pd.DataFrame:
    """Shanghai's published registered series (万 persons, year end), up to 2020."""
    return pd.read_csv(PUBLISHED, comment="#").set_index("year_end")


@pytest.fixture(scope="module")
def shanghai():
    return load_scenario(ROOT / "scenarios" / "shanghai.yaml")


def test_band_shares_from_cumulative_counts() -> None:
    shares = band_shares(1000, {60: 300, 65: 200, 70: 120, 80: 40})
    assert shares == pytest.approx({"60-64": 0.1, "65-69": 0.08, "70-79": 0.08, "80+": 0.04})
    with pytest.raises(ValueError, match="fall with age"):
        band_shares(1000, {60: 300, 65: 400})
    with pytest.raises(ValueError, match="fall with age"):
        band_shares(100, {60: 300})


def test_match_shares_takes_disjoint_bands() -> None:
    """Bands 60-64, 65-69, 70-79, 80+ (with 0-59 the rest) are hit exactly; the structure
    inside each band (groups, sexes, zones) is kept."""
    groups = ["0-59", "60-64", "65-69", "70-74", "75-79", "80-84", "85+"]
    rng = np.random.default_rng(3)
    counts = rng.uniform(100, 1000, size=(2, 2, len(groups)))  # zones, sexes, groups
    wanted = {"60-64": 0.10, "65-69": 0.09, "70-79": 0.11, "80+": 0.05}
    out = match_band_shares(counts, groups, wanted)
    total = out.sum()
    by_group = out.sum(axis=(0, 1)) / total
    assert by_group[1] == pytest.approx(0.10, abs=1e-12)
    assert by_group[2] == pytest.approx(0.09, abs=1e-12)
    assert by_group[3] + by_group[4] == pytest.approx(0.11, abs=1e-12)
    assert by_group[5] + by_group[6] == pytest.approx(0.05, abs=1e-12)
    assert total == pytest.approx(counts.sum(), rel=1e-12)
    ratio = out / counts  # one factor per band
    np.testing.assert_allclose(ratio[..., 3], ratio[0, 0, 4])
    np.testing.assert_allclose(ratio[..., 5], ratio[0, 0, 6])


def test_registered_base_reproduces_the_published_2020_bands(shanghai, published) -> None:
    """60+, 65+, 70+, 80+ and the total of the end of 2020 are the published counts (to the
    published rounding of 100 persons: here within a few persons)."""
    projection = project_population(shanghai.populations["registered"])
    assert projection.basis == "registered"
    rows = projection.population[projection.population["year"] == 2020]
    by_age = rows.groupby("age")["population"].sum()
    row = published.loc[2020]
    for start, column in ((60, "pop60plus_10k"), (65, "pop65plus_10k"),
                          (70, "pop70plus_10k"), (80, "pop80plus_10k")):
        assert by_age.loc[start:].sum() == pytest.approx(row[column] * WAN, abs=5), start
    assert by_age.sum() == pytest.approx(row["hukou_total_10k"] * WAN, abs=5)
    summary = projection.summary().loc[2020]
    assert summary.pop_60plus == pytest.approx(5_334_900, abs=5)
    assert summary.pop_80plus == pytest.approx(825_300, abs=5)


def test_scenario_shares_are_the_derived_bands(published) -> None:
    """The match_shares written in shanghai.yaml are band_shares of the published counts."""
    text = yaml.safe_load((ROOT / "scenarios" / "shanghai.yaml").read_text(encoding="utf-8"))
    base = text["registered_population"]["base_population"]
    row = published.loc[2020]
    derived = band_shares(row["hukou_total_10k"] * WAN, {
        60: row["pop60plus_10k"] * WAN, 65: row["pop65plus_10k"] * WAN,
        70: row["pop70plus_10k"] * WAN, 80: row["pop80plus_10k"] * WAN})
    assert base["match_shares"] == pytest.approx(derived, abs=1e-9)
    assert base["scale_to_total"] == pytest.approx(row["hukou_total_10k"] * WAN)


def test_year_end_base_date_is_that_years_count() -> None:
    assert base_time(dt.date(2020, 12, 31)) == 2021.0
    assert base_time(dt.date(2020, 11, 1)) == pytest.approx(2020 + 305 / 366)
    years, times = report_times(dt.date(2020, 12, 31), 2023, "year_end")
    assert list(years) == [2020, 2021, 2022, 2023]
    assert times[0] == 2021.0
    years, _ = report_times(dt.date(2020, 12, 31), 2023, "mid_year")
    assert list(years) == [2021, 2022, 2023]


def test_net_inflow_default_is_derived_from_the_published_totals(shanghai, published) -> None:
    inputs = shanghai.populations["registered"]
    totals = {year: published.loc[year, "hukou_total_10k"] * WAN for year in (2015, 2020)}
    estimate = net_inflow_from_totals(inputs, totals)
    assert estimate.total_change_per_year == pytest.approx((1478.09 - 1442.97) * WAN / 5)
    assert estimate.net_inflow_per_year == pytest.approx(
        estimate.total_change_per_year - estimate.births + estimate.deaths)
    assert estimate.deaths > estimate.births  # an old registered population: natural decrease
    # the scenario's default is this figure, rounded to 100 persons
    assert float(inputs.net_migration.at(2021.5)) == pytest.approx(
        estimate.net_inflow_per_year, abs=50)
    # with it, the first projection year changes by the published mean yearly change
    components = project_population(inputs).components
    first = components[components.step_start == components.step_start.min()]
    change = (first.population_end - first.population_start).sum()
    assert change == pytest.approx(estimate.total_change_per_year, abs=60)


def test_net_inflow_refuses_years_after_the_base(shanghai) -> None:
    with pytest.raises(ValueError, match="back-tests"):
        net_inflow_from_totals(shanghai.populations["registered"],
                               {2020: 14_780_900, 2021: 14_953_400})
    with pytest.raises(ValueError, match="two years"):
        net_inflow_from_totals(shanghai.populations["registered"], {2020: 14_780_900})


def test_cohort_residual_is_zero_for_a_closed_population(shanghai) -> None:
    """Project a registered base closed for 5 years; use the result as a new base: the cohort
    comparison with the original 60+ finds (almost) no net registration."""
    closed = dataclasses.replace(
        shanghai.populations["registered"], base_date=dt.date(2015, 12, 31), horizon_year=2020,
        net_migration=TimePath(np.array([2015.0]), np.array([0.0])))
    projection = project_population(closed)
    start = projection.summary().loc[2015, "pop_60plus"]
    end = projection.population[projection.population.year == 2020]
    table = end.pivot_table(index="age", columns="sex", values="population", aggfunc="sum")
    labels = (*tuple(str(age) for age in range(100)), "100+")
    base = GroupedTable(labels, np.array([np.nan]),
                        table[["male", "female"]].to_numpy().T[None])
    rebased = dataclasses.replace(closed, base_date=dt.date(2020, 12, 31), horizon_year=2025,
                                  base_population=base)
    residual = elderly_cohort_residual(rebased, 2015, start)
    assert residual.implied_60plus == pytest.approx(start, rel=2e-4)
    assert abs(residual.net_per_year) < 2e-4 * start
    # and a published count below the implied one means net registration of elders
    assert elderly_cohort_residual(rebased, 2015, 0.95 * start).net_per_year > 0


def test_accounting_identity_per_basis_with_migration(scenarios: Path) -> None:
    """P(t+1) = P(t) + births - deaths + net migration in every basis, with migration."""
    for name, bases in (("shanghai", {"resident", "registered"}),
                        ("xicheng", {"resident", "registered"}), ("jiading", {"resident"})):
        scenario = load_scenario(scenarios / f"{name}.yaml")
        projection = project_populations(scenario.populations, scenario.demand_basis)
        assert set(projection.bases) == bases
        for basis in bases:
            c = projection.for_basis(basis).components
            balance = (c.population_start + c.births - c.deaths + c.net_migration
                       - c.population_end)
            assert np.max(np.abs(balance)) < 1e-6 * c.population_start.max(), (name, basis)
            net = c.groupby("step_start").net_migration.sum()
            expected = scenario.populations[basis].net_migration.values[0]
            # out-migration beyond the people of an age (the oldest) is clipped at zero
            assert net.to_numpy() == pytest.approx(expected, rel=2e-3), (name, basis)
    migrating = [("shanghai", "registered"), ("xicheng", "resident"), ("jiading", "resident")]
    for name, basis in migrating:
        scenario = load_scenario(scenarios / f"{name}.yaml")
        assert scenario.populations[basis].net_migration.values[0] != 0, (name, basis)


def test_closed_registered_population_converges_to_the_stable_population(shanghai) -> None:
    """The registered base, closed, with constant rates (its fitted 2020 mortality, TFR 0.63)
    converges to the stable structure and growth of its Leslie matrix."""
    inputs = dataclasses.replace(shanghai.populations["registered"],
                                 net_migration=TimePath(np.array([2020.0]), np.array([0.0])))
    time = np.array([2021.5])
    nmx = _mortality_at(inputs, time)[0]
    starts = [int(label.split("-")[0].rstrip("+")) for label in inputs.mortality.age_groups]
    survival = projection_survival(single_year_mx(nmx, starts))
    asfr = _asfr_at(inputs, time)[0]
    srb = float(inputs.sex_ratio_at_birth.at(2021.5))
    growth, structure = stable_population(leslie_matrix(survival, asfr, srb))
    assert 0.95 < growth < 0.99  # TFR 0.63: a shrinking population

    base = project_population(inputs).population
    base = base[base.year == 2020].pivot_table(index="sex", columns="age",
                                                values="population", aggfunc="sum")
    start = base.loc[["male", "female"]].to_numpy()[None]  # (1 zone, 2, 101)
    n_years = 700
    result = project(start, survival.repeat(n_years), np.tile(asfr, (n_years, 1)),
                     np.full(n_years, srb))
    totals = result.population[:, 0].sum(axis=(-2, -1))
    final = result.population[-1, 0].reshape(-1) / totals[-1]
    np.testing.assert_allclose(final, structure, atol=1e-8)
    assert totals[-1] / totals[-2] == pytest.approx(growth, abs=1e-9)
