"""A run calibrated to its observed start: the base year gives the observed residents back, and
the eligibility rule is reported beside the other one."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from carefacility.runner.eligibility import ELIGIBILITY_COLUMNS
from carefacility.runner.prepare import prepare_run
from carefacility.runner.simulation import run
from carefacility.scenario.loader import load_scenario

PLAN = """
plan:
  care_homes:
    - {name: home, zone: all, beds: {general: 500, nursing: 400, dementia: 50}}
  starting_state:
    observed:
      residents:
        date: 2020-12-31
        total: 600
        source: test figure
simulation:
  start_date: 2021-01-01
  years: 3
  replications: 8
  seed: 5
  alternative_rule_replications: 4
"""


def _text(minimal: str, plan: str = PLAN) -> str:
    # 100 times the minimal population: a district-sized demand
    return minimal.replace("horizon_year: 2030", "horizon_year: 2024").replace(
        "male: [1000, 3000, 800, 100]", "male: [100000, 300000, 80000, 10000]").replace(
        "female: [950, 2900, 850, 160]", "female: [95000, 290000, 85000, 16000]") + plan


def _occupied(result, year: int) -> np.ndarray:
    rows = result.per_replication
    rows = rows[(rows["year"] == year) & rows["metric"].str.startswith("occupied_beds.")]
    return rows.groupby("replication")["value"].sum().to_numpy()


def _ci(values: np.ndarray) -> tuple[float, float]:
    half = stats.t.ppf(0.975, values.size - 1) * values.std(ddof=1) / np.sqrt(values.size)
    return float(values.mean() - half), float(values.mean() + half)


def test_base_year_gives_the_observed_residents_back(write_scenario, minimal: str) -> None:
    scenario = load_scenario(write_scenario(_text(minimal)))
    result = run(scenario, executor="serial")
    low, high = _ci(_occupied(result, 2021))
    assert low <= 600 <= high, (low, high)
    table = result.tables["calibration"].set_index("quantity")
    multiplier = table.loc["application_rate_multiplier", "value"]
    assert multiplier != pytest.approx(1.0, abs=0.01)
    assert table.loc["model_residents_stationary", "value"] == pytest.approx(600, rel=1e-9)
    assert abs(table.loc["model_relative_error", "value"]) < 0.01
    assert result.metadata["calibration"]["application_rate_multiplier"] == pytest.approx(
        multiplier, rel=1e-6)
    # the starting state is the observation: 600 residents on day 0, the stationary mix
    prepared = prepare_run(scenario)
    # (each bed type rounds its own share: at most one person off per type)
    assert abs(prepared.spec.initial_residents.sum() - 600) <= 2
    mix = prepared.spec.initial_residents.sum(axis=(0, 1)) / prepared.spec.initial_residents.sum()
    stationary = table.loc[[f"stationary_level_mix.{level}" for level in (
        "independent", "partially_dependent", "dependent", "dementia")], "value"].to_numpy()
    np.testing.assert_allclose(mix, stationary, atol=2 / 600)
    # the multiplier scales every application rate of the bed demand
    uncalibrated = load_scenario(write_scenario(_text(minimal).replace(
        "    observed:\n      residents:\n        date: 2020-12-31\n        total: 600\n"
        "        source: test figure\n", "    occupancy: 0.5\n"), "plain.yaml"))
    plain = prepare_run(uncalibrated).spec.arrival_rate_per_day
    np.testing.assert_allclose(prepared.spec.arrival_rate_per_day, plain * multiplier)


def test_observed_admissions_fit_the_discharge_rate(write_scenario, minimal: str) -> None:
    plan = PLAN.replace("        source: test figure\n", "        source: test figure\n"
                        "      admissions: {date: 2020-12-31, per_year: 160, source: test}\n")
    scenario = load_scenario(write_scenario(_text(minimal, plan)))
    result = run(scenario, executor="serial")
    calibration = result.metadata["calibration"]
    assert calibration["discharge_rate_multiplier"] != pytest.approx(1.0, abs=0.01)
    low, high = _ci(_occupied(result, 2021))
    assert low <= 600 <= high, (low, high)
    # the base year's applicants are the observed admissions (beds stand free)
    spec = prepare_run(scenario).spec
    assert spec.arrival_rate_per_day[0].sum() * 365 == pytest.approx(160, rel=1e-9)
    assert spec.discharge_rate_per_day == pytest.approx(
        0.14 / 365 * calibration["discharge_rate_multiplier"], rel=1e-5)


def test_eligibility_alternative_shows_nursing_beds_empty_beside_a_queue(
        write_scenario, minimal: str) -> None:
    # few general beds, many nursing-type beds, and the strict rule stated by the scenario
    plan = PLAN.replace("general: 500, nursing: 400", "general: 250, nursing: 650").replace(
        "  alternative_rule_replications: 4\n", "  alternative_rule_replications: 4\n"
        "  eligible_bed_types: {independent: [general], partially_dependent: [general]}\n")
    result = run(load_scenario(write_scenario(_text(minimal, plan))), executor="serial",
                 replications=4)
    table = result.tables["eligibility_alternative"]
    assert list(table.columns) == ELIGIBILITY_COLUMNS
    assert set(table["role"]) == {"scenario", "alternative", "difference"}
    assert set(table.loc[table["role"] == "scenario", "rule"]) == {"nursing_for_dependent"}
    assert set(table.loc[table["role"] == "alternative", "rule"]) == {"practice"}
    last = table[table["year"] == 2023].set_index(["metric", "role"])
    queue = last.loc[("waiting_list_year_end", "scenario"), "mean"]
    assert queue > 50  # general beds full, a queue beside nursing-type beds
    assert last.loc[("occupancy.nursing", "scenario"), "mean"] < 0.6
    assert last.loc[("waiting_list_year_end", "alternative"), "mean"] < queue / 5
    assert last.loc[("occupancy.nursing", "alternative"), "mean"] > last.loc[
        ("occupancy.nursing", "scenario"), "mean"]
    # the scenario rows are the run's own figures
    kpis = result.kpis.set_index(["year", "metric"])
    assert last.loc[("waiting_list_year_end", "scenario"), "mean"] == pytest.approx(
        kpis.loc[(2023, "waiting_list_year_end"), "mean"])
    # common random numbers: both rules see the same applicants in each replication
    paired = table[(table["role"] == "difference") & (table["metric"] == "admissions")]
    assert isinstance(paired, pd.DataFrame) and len(paired) == 3


def test_no_alternative_when_asked_for_none(write_scenario, minimal: str) -> None:
    plan = PLAN.replace("alternative_rule_replications: 4", "alternative_rule_replications: 0")
    result = run(load_scenario(write_scenario(_text(minimal, plan))), executor="serial",
                 replications=2)
    assert "eligibility_alternative" not in result.tables
