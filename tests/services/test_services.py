"""Services in a scenario: located errors, demand from need, KPIs alongside the beds."""

from __future__ import annotations

import numpy as np
import pytest

from carefacility.runner.prepare import prepare_run
from carefacility.runner.replicate import replicate
from carefacility.scenario.loader import load_scenario, validate_scenario

PLAN = """
plan:
  zones:
    - {name: north, share_of_elderly: 0.4}
    - {name: south, share_of_elderly: 0.6}
  care_homes:
    - {name: a, zone: north, beds: {general: 30, nursing: 20}}
  starting_state:
    occupancy: 0.5
    resident_levels: {independent: 1.0}
simulation:
  start_date: 2021-01-04
  years: 3
services:
  day_centres:
    demand: {eligible_levels: [partially_dependent], uptake: 0.05, attendance_probability: 0.6}
    open_weekdays: [mon, tue, wed, thu, fri]
    sites:
      - {name: dc, zone: north, capacity_per_day: 3, count: 2}
  meal_points:
    demand: {eligible_levels: [dependent], eligible_80plus: true, uptake: 0.2,
             attendance_probability: 0.5}
    sites:
      - {name: mp, zone: south, capacity_per_day: 20, opens: 2022-01-03}
"""


@pytest.fixture
def text(minimal: str) -> str:
    return minimal.replace("male: [1000, 3000, 800, 100]", "male: [10000, 30000, 8000, 1000]"
                           ).replace("female: [950, 2900, 850, 160]",
                                     "female: [9500, 29000, 8500, 1600]") + PLAN


@pytest.mark.parametrize(("old", "new", "field", "expected"), [
    ("zone: north, capacity_per_day: 3", "zone: east, capacity_per_day: 3",
     "services.day_centres.sites[0].zone", "zone 'east' is not defined"),
    ("capacity_per_day: 3", "capacity_per_day: -3",
     "services.day_centres.sites[0].capacity_per_day", "greater than or equal to 0"),
    ("attendance_probability: 0.6", "attendance_probability: 1.6",
     "services.day_centres.demand.attendance_probability", "less than or equal to 1"),
    ("opens: 2022-01-03", "opens: 2022-01-03, closes: 2021-06-01",
     "services.meal_points.sites[0].closes", "is not after opens"),
])
def test_service_errors_are_located(write_scenario, text: str, old: str, new: str, field: str,
                                    expected: str) -> None:
    path = write_scenario(text.replace(old, new))
    scenario, problems = validate_scenario(path)
    assert scenario is None
    matching = [str(p) for p in problems if p.field == field]
    assert matching and expected in matching[0], [str(p) for p in problems]


def test_service_kpis(write_scenario, text: str) -> None:
    prepared = prepare_run(load_scenario(write_scenario(text)))
    kpi = replicate(prepared, seed=2, replication=0).pivot(index="year", columns="metric",
                                                           values="value")
    # the day centres are in the north only: half the zones, 40 % of the elders covered
    assert kpi["day_centre.coverage_communities"].tolist() == [0.5, 0.5, 0.5]
    assert kpi["day_centre.coverage_elders"].to_numpy() == pytest.approx(0.4)
    # the meal point opens in year 2 (2022-01-03 is day 364 of model year 0: open at its end)
    assert kpi["meal_point.sites"].tolist() == [1, 1, 1]
    # every visit is served or lost
    for kind in ("day_centre", "meal_point"):
        demand, served = kpi[f"{kind}.demand"], kpi[f"{kind}.served"]
        lost = kpi[f"{kind}.turned_away_share"] * demand
        assert (served + lost).to_numpy() == pytest.approx(demand.to_numpy())
    # day centres: capacity 6 a day on weekdays only
    assert (kpi["day_centre.served"] <= 6 * 261).all()
    assert (kpi["day_centre.utilisation"] <= 1).all()
    # the expected demand is need x uptake x attendance
    spec = prepared.services[0]
    assert spec.expected_users_per_day.shape == (3, 2)
    assert np.all(spec.expected_users_per_day[:, 0] / spec.expected_users_per_day[:, 1]
                  == pytest.approx(0.4 / 0.6))
