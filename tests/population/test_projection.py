"""Population projection of scenarios: accounting, report dates, and the WPP 2024 check."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from carefacility.population.projection import project_population, report_times
from carefacility.scenario.loader import load_scenario

DATA = Path(__file__).resolve().parents[1] / "data"


@pytest.fixture(scope="module")
def china(request) -> pd.DataFrame:
    root = Path(request.config.rootpath)
    scenario = load_scenario(root / "scenarios" / "china.yaml")
    return project_population(scenario.population).summary()


def test_china_matches_wpp2024_medium_variant(china: pd.DataFrame) -> None:
    """Fed the WPP 2024 inputs, the engine reproduces the WPP 2024 medium variant.

    WPP projects with its own (unpublished here) migration age pattern and 5x5 method, so the
    two differ slightly; the README of the reference data quotes about 0.6 % on 60+ and 1.3 % on
    80+ to 2050 for a plain 5-year projection. We hold ourselves to 1 % on total, 60+ and 80+.
    """
    wpp = pd.read_csv(DATA / "china_wpp2024_aged_pop_medium.csv", comment="#").set_index("year")
    for year in (2025, 2030, 2035, 2040, 2045, 2050):
        for ours, theirs in (("total", "total_thousands"), ("pop_60plus", "pop60plus_thousands"),
                             ("pop_80plus", "pop80plus_thousands")):
            relative = china.loc[year, ours] / (wpp.loc[year, theirs] * 1000) - 1
            assert abs(relative) < 0.01, (year, ours, relative)


def test_first_year_is_the_base_population(china: pd.DataFrame) -> None:
    # base date 1 July 2020 and report date mid-year: 2020 is the input itself
    assert china.loc[2020, "total"] == pytest.approx(1_426_106_092, rel=1e-6)


def test_accounting_identity_in_components(scenarios: Path) -> None:
    projection = project_population(load_scenario(scenarios / "jiading.yaml").population)
    c = projection.components
    balance = c.population_start + c.births - c.deaths + c.net_migration - c.population_end
    assert np.max(np.abs(balance)) < 1e-6 * c.population_start.max()
    assert (c.deaths > 0).all() and (c.births > 0).all()


def test_report_dates_year_end_from_census_day() -> None:
    years, times = report_times(dt.date(2020, 11, 1), 2023, "year_end")
    assert list(years) == [2020, 2021, 2022, 2023]
    assert times[0] == pytest.approx(2021.0)


def test_year_end_is_interpolated_between_steps(scenarios: Path) -> None:
    """31 Dec 2020 lies 61 days after census day: between step 0 and step 1."""
    scenario = load_scenario(scenarios / "xicheng.yaml")
    projection = project_population(scenario.population)
    c = projection.components.groupby("step_start")[["population_start", "population_end"]].sum()
    first = c.iloc[0]
    fraction = (dt.date(2021, 1, 1) - dt.date(2020, 11, 1)).days / 366  # 2020 is a leap year
    expected = first.population_start + fraction * (first.population_end - first.population_start)
    assert projection.summary().loc[2020, "total"] == pytest.approx(expected, rel=1e-12)


def test_zones_are_projected_together(write_scenario, scenario_dir: Path, minimal: str) -> None:
    """Two zones with the same structure in ratio 1:3 stay in that ratio (closed population)."""
    rows = ["zone,age_group,male,female"]
    for zone, factor in (("north", 1), ("south", 3)):
        for group, male, female in (("0-14", 100, 90), ("15-59", 300, 290), ("60-79", 80, 85),
                                    ("80+", 10, 16)):
            rows.append(f"{zone},{group},{male * factor},{female * factor}")
    (scenario_dir / "zones.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    text = minimal.replace(
        '''    inline:
      age_groups: ["0-14", "15-59", "60-79", "80+"]
      male: [1000, 3000, 800, 100]
      female: [950, 2900, 850, 160]''', "    csv: zones.csv")
    projection = project_population(load_scenario(write_scenario(text)).population)
    elderly = projection.elderly.set_index(["year", "zone"])
    for year in (2021, 2025, 2030):
        north, south = elderly.loc[(year, "north")], elderly.loc[(year, "south")]
        assert south.pop_60plus == pytest.approx(3 * north.pop_60plus, rel=1e-12)
        assert elderly.loc[(year, "all")].pop_80plus == pytest.approx(
            north.pop_80plus + south.pop_80plus, rel=1e-12)


def test_net_migration_is_added(write_scenario, minimal: str) -> None:
    closed = project_population(load_scenario(write_scenario(minimal)).population)
    text = minimal.replace("sex_ratio_at_birth: 1.1", "sex_ratio_at_birth: 1.1\n"
                           "  migration:\n    net_per_year: 100")
    open_ = project_population(load_scenario(write_scenario(text, "m.yaml")).population)
    migrants = open_.components.groupby("step_start").net_migration.sum()
    assert migrants.to_numpy() == pytest.approx(100.0)
    assert closed.components.net_migration.abs().max() == 0


def test_mortality_improvement_lowers_deaths(write_scenario, minimal: str) -> None:
    base = project_population(load_scenario(write_scenario(minimal)).population)
    text = minimal.replace("measure: nMx", "measure: nMx\n    improvement_rate_per_year: 0.02")
    better = project_population(load_scenario(write_scenario(text, "i.yaml")).population)
    # the WPP table ends in 2095-2100, so improvement only acts beyond 2098: identical here
    assert better.components.deaths.sum() == pytest.approx(base.components.deaths.sum())
    single = minimal.replace("csv: data/china_wpp2024_nmx.csv", """inline:
      age_groups: ["0", "1-59", "60-84", "85+"]
      male: [0.005, 0.002, 0.03, 0.15]
      female: [0.004, 0.001, 0.02, 0.12]""")
    flat = project_population(load_scenario(write_scenario(single, "s.yaml")).population)
    improving = project_population(load_scenario(write_scenario(
        single.replace("measure: nMx", "measure: nMx\n    improvement_rate_per_year: 0.02"),
        "t.yaml")).population)
    assert improving.components.deaths.sum() < flat.components.deaths.sum()


def test_asfr_table_equals_tfr_with_pattern(write_scenario, scenario_dir: Path,
                                            minimal: str) -> None:
    """ASFR by 5-year group is the same input as TFR = 5·ΣASFR with pattern ∝ ASFR."""
    percent = [3, 25, 37, 22, 9, 3, 1]
    groups = ["15-19", "20-24", "25-29", "30-34", "35-39", "40-44", "45-49"]
    rows = [f"{g},{1.1 * p / 100 / 5}" for g, p in zip(groups, percent, strict=True)]
    (scenario_dir / "asfr.csv").write_text("age_group,asfr\n" + "\n".join(rows) + "\n",
                                           encoding="utf-8")
    text = minimal.replace("""    tfr: 1.1
    age_pattern:
      age_groups: ["15-19", "20-24", "25-29", "30-34", "35-39", "40-44", "45-49"]
      percent: [3, 25, 37, 22, 9, 3, 1]""", "    asfr_csv: asfr.csv")
    by_asfr = project_population(load_scenario(write_scenario(text, "a.yaml")).population)
    by_tfr = project_population(load_scenario(write_scenario(minimal)).population)
    assert by_asfr.components.births.to_numpy() == pytest.approx(
        by_tfr.components.births.to_numpy(), rel=1e-12)


def test_migration_counts_by_age(write_scenario, scenario_dir: Path, minimal: str) -> None:
    (scenario_dir / "mig.csv").write_text(
        "year,age_group,male,female\n2020,0-59,50,40\n2020,60+,5,5\n"
        "2025,0-59,10,10\n2025,60+,0,0\n", encoding="utf-8")
    text = minimal.replace("sex_ratio_at_birth: 1.1", "sex_ratio_at_birth: 1.1\n"
                           "  migration:\n    counts_csv: mig.csv")
    projection = project_population(load_scenario(write_scenario(text)).population)
    per_step = projection.components.groupby("step_start").net_migration.sum()
    # steps before 2025 use the 2020 row (100 net), later ones the 2025 row (20 net)
    assert per_step.iloc[0] == pytest.approx(100.0)
    assert per_step.iloc[-1] == pytest.approx(20.0)


def test_qx_input_is_converted(write_scenario, scenario_dir: Path, minimal: str) -> None:
    (scenario_dir / "qx.csv").write_text(
        "age_group,male,female\n0,0.006,0.005\n1-59,0.08,0.05\n60-79,0.45,0.35\n80+,1,1\n",
        encoding="utf-8")
    text = minimal.replace("measure: nMx", "measure: qx").replace(
        "data/china_wpp2024_nmx.csv", "qx.csv")
    projection = project_population(load_scenario(write_scenario(text)).population)
    assert (projection.components.deaths > 0).all()
    assert projection.summary().pop_80plus.iloc[-1] > 0


def test_base_date_on_29_february(write_scenario, minimal: str) -> None:
    text = minimal.replace("base_date: 2020-11-01", "base_date: 2020-02-29")
    projection = project_population(load_scenario(write_scenario(text)).population)
    assert projection.components.step_start.iloc[-1].month == 2
    assert projection.first_year == 2020


def test_mortality_range_brackets_the_projection(scenarios: Path) -> None:
    from carefacility.population.projection import with_mortality_range

    inputs = load_scenario(scenarios / "xicheng.yaml").population
    ranged = with_mortality_range(inputs, project_population(inputs)).summary()
    later = ranged.loc[2025:]
    for column in ("pop_60plus", "pop_80plus"):
        assert (later[f"{column}_low"] < later[column]).all()
        assert (later[column] < later[f"{column}_high"]).all()
    # the base population itself is not affected by future mortality beyond 2 months
    first = ranged.loc[2020]
    assert first.pop_60plus_low == pytest.approx(first.pop_60plus, rel=2e-3)
