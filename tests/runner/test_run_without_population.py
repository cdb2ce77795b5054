"""A scenario without a population (arrivals and stays given) runs end to end: validate, run,
report, the Python API; its KPIs count no elders; a loss system matches Erlang B."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

import carefacility as cf
from carefacility.cli import main
from carefacility.queueing.erlang import erlang_b

MINIMAL_WITHOUT_POPULATION = """\
name: twenty beds, no population
description: M/M/20 with an empty start (a textbook case written as a scenario).
plan:
  care_homes:
    - {name: home, zone: all, beds: {general: 20}}
  starting_state:
    occupancy: 0.0
simulation:
  start_date: 2021-01-01
  years: 3
  replications: 4
  seed: 11
  arrivals:
    per_day: 0.05          # [applicants per day]
  stays:
    distribution: exponential
    mean_days: 100         # [days]
targets:
  - {id: beds_20, metric: beds, value: 20}
"""


@pytest.fixture
def no_population(write_scenario) -> Path:
    return write_scenario(MINIMAL_WITHOUT_POPULATION, name="no_population.yaml")


def test_validate_accepts_a_scenario_without_population(no_population: Path) -> None:
    result = CliRunner().invoke(main, ["validate", str(no_population)])
    assert result.exit_code == 0, result.output
    assert "OK (twenty beds, no population)" in result.output


def test_cli_run_writes_the_report(no_population: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = CliRunner().invoke(main, ["run", str(no_population), "--out", str(out),
                                       "--executor", "serial"])
    assert result.exit_code == 0, result.output
    for name in ("report.html", "kpis.csv", "kpis_by_replication.csv", "results.xlsx",
                 "bed_demand.csv", "analytic_cross_check.csv", "scorecard.csv",
                 "run_metadata.json", "beds_occupied_planned.png"):
        assert (out / name).stat().st_size > 0, name
    for name in ("population.csv", "elderly_summary.csv", "care_need.csv", "calibration.csv",
                 "elderly_population.png", "population_pyramid.png"):
        assert not (out / name).exists(), name
    kpis = pd.read_csv(out / "kpis.csv", encoding="utf-8-sig")
    assert not kpis["metric"].str.startswith(("pop_60plus", "beds_per_1000_60plus")).any()
    assert set(kpis["year"]) == {2021, 2022, 2023}
    applicants = kpis[kpis["metric"] == "applicants"]
    assert (applicants["replications"] == 4).all()
    applicants = applicants["mean"]
    assert applicants.mean() == pytest.approx(0.05 * 365, rel=0.35)
    metadata = json.loads((out / "run_metadata.json").read_text(encoding="utf-8"))
    assert metadata["population"] is False
    assert metadata["calibration"] == {"calibrated": False}
    html = (out / "report.html").read_text(encoding="utf-8")
    assert "twenty beds, no population" in html
    assert "Population basis" not in html
    # the report can be rebuilt from the folder
    rebuilt = CliRunner().invoke(main, ["report", str(out), "--force"])
    assert rebuilt.exit_code == 0, rebuilt.output


def test_project_refuses_a_scenario_without_population(no_population: Path,
                                                       tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = CliRunner().invoke(main, ["project", str(no_population), "--out", str(out)])
    assert result.exit_code == 2
    assert "no `population` section to project" in result.output
    assert not out.exists()


def test_python_api_without_population(no_population: Path, tmp_path: Path) -> None:
    scenario = cf.load_scenario(no_population)
    assert scenario.population is None and scenario.populations == {}
    assert scenario.demand_basis == "none"
    result = cf.run(scenario, replications=2, executor="serial")
    assert result.projection is None
    assert "pop_60plus" not in set(result.kpis["metric"])
    assert result.scorecard is not None and len(result.scorecard) == 3
    written = cf.write_report(result, tmp_path / "api_out")
    assert tmp_path / "api_out" / "report.html" in written
    with pytest.raises(ValueError, match="no `population` section"):
        cf.project(scenario)


def test_loss_system_matches_erlang_b(write_scenario) -> None:
    """max_waiting: 0 makes a loss system: the share turned away is Erlang B."""
    text = MINIMAL_WITHOUT_POPULATION.replace("general: 20", "general: 5").replace(
        "per_day: 0.05", "per_day: 1.0").replace("mean_days: 100", "mean_days: 5").replace(
        "years: 3", "years: 5").replace("  arrivals:", "  max_waiting: 0\n  arrivals:").replace(
        "targets:\n  - {id: beds_20, metric: beds, value: 20}\n", "")
    result = cf.run(write_scenario(text, name="erlang_b.yaml"), executor="serial")
    rows = result.per_replication.pivot_table(index=["replication", "year"], columns="metric",
                                              values="value")
    blocked = rows["blocked"].sum() / rows["applicants"].sum()
    assert blocked == pytest.approx(float(erlang_b(5, 5.0)), abs=0.03)
    assert rows["waiting_list_year_end"].max() == 0
