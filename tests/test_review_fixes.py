"""Regressions for defects found in review: each failed (or crashed) before its fix."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from carefacility.population.projection import _qx_to_mx, project_population
from carefacility.runner.prepare import prepare_run
from carefacility.runner.replicate import replicate
from carefacility.runner.services import model_day
from carefacility.scenario.loader import load_scenario, validate_scenario

PLAN = """
plan:
  zones:
    - {name: north, share_of_elderly: 0.4}
    - {name: south, share_of_elderly: 0.6}
  care_homes:
    - {name: a, zone: north, beds: {general: 100, nursing: 50}}
  build_schedule:
    - {date: 2025-12-31, home: a, open: {general: 40}}
  starting_state:
    occupancy: 0.5
    resident_levels: {independent: 0.5, dependent: 0.3, dementia: 0.2}
    waiting_list_persons: 400
    waiting_list_mean_wait_days: 50
simulation:
  start_date: 2021-01-01
  years: 6
"""


def located(path: Path, field: str) -> str:
    scenario, problems = validate_scenario(path)
    assert scenario is None
    matching = [str(p) for p in problems if p.field == field]
    assert matching, [str(p) for p in problems]
    return matching[0]


def test_start_before_the_first_reported_year(write_scenario, minimal: str) -> None:
    text = minimal + PLAN.replace("start_date: 2021-01-01", "start_date: 2019-01-01")
    assert "before the first year the population is reported for (2020" in located(
        write_scenario(text), "simulation.start_date")


def test_step_on_31_december_counts_in_its_year(write_scenario, minimal: str) -> None:
    assert model_day(dt.date(2025, 12, 31), dt.date(2021, 1, 1)) == 5 * 365 - 1
    assert model_day(dt.date(2024, 12, 31), dt.date(2021, 1, 1)) == 4 * 365 - 1  # leap year
    prepared = prepare_run(load_scenario(write_scenario(minimal + PLAN)))
    assert prepared.capacity_year_end[4].tolist() == [140, 50, 0]  # 2025 includes the step


def test_starting_waits_are_mixed_across_zones_and_levels(write_scenario, minimal: str) -> None:
    spec = prepare_run(load_scenario(write_scenario(minimal + PLAN))).spec
    waiting = spec.initial_waiting_list
    frame = pd.DataFrame({"zone": waiting.zone, "level": waiting.level,
                          "waited": np.broadcast_to(waiting.waited_days, waiting.zone.shape)})
    assert frame.waited.mean() == pytest.approx(50, rel=1e-9)
    by_group = frame.groupby(["zone", "level"]).waited.mean()
    assert by_group.between(40, 60).all(), by_group


def test_single_named_zone_in_the_population(write_scenario, scenario_dir: Path,
                                             minimal: str) -> None:
    rows = ["zone,age_group,male,female"] + [
        f"west,{g},{m},{f}" for g, m, f in (("0-14", 1000, 950), ("15-59", 3000, 2900),
                                            ("60-79", 800, 850), ("80+", 100, 160))]
    (scenario_dir / "west.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    base = minimal.replace('''    inline:
      age_groups: ["0-14", "15-59", "60-79", "80+"]
      male: [1000, 3000, 800, 100]
      female: [950, 2900, 850, 160]''', "    csv: west.csv")
    plan = PLAN.replace("""  zones:
    - {name: north, share_of_elderly: 0.4}
    - {name: south, share_of_elderly: 0.6}
""", "").replace("zone: north", "zone: west")
    scenario = load_scenario(write_scenario(base + plan))
    assert set(project_population(scenario.population).elderly.zone) == {"west", "all"}
    frame = replicate(prepare_run(scenario), seed=1, replication=0)
    assert frame[frame.metric == "waiting_list_year_end"].value.iloc[0] >= 0


def test_sites_needed_when_no_site_is_open_yet(write_scenario, minimal: str) -> None:
    services = """services:
  meal_points:
    demand: {eligible_levels: [dependent], eligible_80plus: true, uptake: 0.3,
             attendance_probability: 0.8}
    sites:
      - {name: m, zone: south, capacity_per_day: 20, opens: 2024-01-01}
"""
    prepared = prepare_run(load_scenario(write_scenario(minimal + PLAN + services)))
    rows = prepared.service_rows.pivot(index="year", columns="metric", values="value")
    assert rows.loc[2021, "meal_point.sites"] == 0
    assert rows.loc[2021, "meal_point.sites_needed"] > 0
    assert rows.loc[2021, "meal_point.extra_sites_needed"] == rows.loc[
        2021, "meal_point.sites_needed"]


@pytest.mark.parametrize(("addition", "field", "expected"), [
    ("  eligible_bed_types: {independent: []}\n", "simulation.eligible_bed_types.independent",
     "at least 1 item"),
    ("  eligible_bed_types: {independent: [general, general]}\n",
     "simulation.eligible_bed_types.independent", "must not repeat"),
    ("services:\n  meal_points:\n    demand: {eligible_levels: [dependent], uptake: 0.1, "
     "attendance_probability: 0.5}\n    max_turned_away_share: 0\n",
     "services.meal_points.max_turned_away_share", "greater than 0"),
    ("targets:\n  - {id: m, metric: meal_point.turned_away_share, value: 0.01}\n",
     "targets[0].metric", "needs services.meal_points"),
])
def test_more_located_errors(write_scenario, minimal: str, addition: str, field: str,
                             expected: str) -> None:
    assert expected in located(write_scenario(minimal + PLAN + addition), field)


def test_occupancy_above_one_keeps_its_interval() -> None:
    from carefacility.runner.results import summarise_replications

    frame = pd.DataFrame({"replication": range(3), "year": 2021, "metric": "occupancy.general",
                          "value": [1.6, 1.7, 1.75],
                          "unit": "occupied / beds in force (above 1 while closed beds empty)"})
    row = summarise_replications(frame).iloc[0]
    assert row.ci_low < row["mean"] < row.ci_high


def test_qx_to_mx_recovers_constant_hazard_rates() -> None:
    starts = np.array([0, 1, 5, 10, 90, 95, 100])
    mx = np.array([0.005, 0.001, 0.0005, 0.2, 0.3, 0.5, 0.7])
    widths = np.diff(starts)
    qx = np.append(1 - np.exp(-mx[:-1] * widths), 1.0)
    assert _qx_to_mx(qx, starts)[:-1] == pytest.approx(mx[:-1], rel=1e-9)
