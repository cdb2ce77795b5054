"""The plan section: zones, homes, the build schedule and their located errors."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest

from carefacility.scenario.loader import load_scenario, validate_scenario

PLAN = """
plan:
  zones:
    - {name: north, share_of_elderly: 0.4}
    - {name: south, share_of_elderly: 0.6}
  care_homes:
    - {name: first, zone: north, beds: {general: 100, nursing: 50}}
    - {name: small, zone: south, beds: {general: 20, nursing: 10, dementia: 5}, count: 3}
  build_schedule:
    - {date: 2023-01-01, home: first, convert: {from_type: general, to_type: nursing, beds: 30}}
    - {date: 2024-07-01, home: small, open: {nursing: 10}}
    - {date: 2025-01-01, home: first, close: {general: 20}}
  starting_state:
    occupancy: 0.9
    resident_levels: {independent: 0.3, partially_dependent: 0.3, dependent: 0.3, dementia: 0.1}
    waiting_list_persons: 50
simulation:
  start_date: 2021-01-01
  years: 10
"""


def test_plan_arrays(write_scenario, minimal: str) -> None:
    plan = load_scenario(write_scenario(minimal + PLAN)).plan
    assert plan is not None
    assert plan.zones == ("north", "south")
    assert plan.home_names == ("first", "small-1", "small-2", "small-3")
    assert list(plan.home_zone) == [0, 1, 1, 1]
    assert plan.initial_capacity.sum(axis=0).tolist() == [160, 80, 15]
    assert plan.capacity_at(dt.date(2022, 12, 31))[0].tolist() == [100, 50, 0]
    assert plan.capacity_at(dt.date(2023, 1, 1))[0].tolist() == [70, 80, 0]
    final = plan.capacity_at(dt.date(2030, 1, 1))
    assert final[0].tolist() == [50, 80, 0]
    assert final[1:, 1].tolist() == [20, 20, 20]


@pytest.mark.parametrize(("old", "new", "field", "expected"), [
    ("zone: north, beds", "zone: east, beds", "plan.care_homes[0].zone",
     "zone 'east' is not defined; defined zones: north, south"),
    ("close: {general: 20}", "close: {general: 80}", "plan.build_schedule[2]",
     "would have -10 general beds"),
    ("home: small, open", "home: big, open", "plan.build_schedule[1].home",
     "home 'big' is not among plan.care_homes"),
    ("share_of_elderly: 0.6", "share_of_elderly: 0.7", "plan.zones",
     "share_of_elderly sums to 1.100"),
    ("dementia: 0.1}", "dementia: 0.2}", "plan.starting_state.resident_levels",
     "shares sum to 1.100"),
    ("name: small,", "name: first,", "plan.care_homes[1].name", "used twice"),
    ("occupancy: 0.9", "occupancy: 1.2", "plan.starting_state.occupancy",
     "less than or equal to 1"),
    ("beds: {general: 100, nursing: 50}", "beds: {general: 100, nursing: -5}",
     "plan.care_homes[0].beds.nursing", "greater than or equal to 0"),
])
def test_plan_errors_are_located(write_scenario, minimal: str, old: str, new: str, field: str,
                                 expected: str) -> None:
    assert old in PLAN
    path = write_scenario(minimal + PLAN.replace(old, new))
    scenario, problems = validate_scenario(path)
    assert scenario is None
    matching = [str(p) for p in problems if p.field == field]
    assert matching, [str(p) for p in problems]
    assert expected in matching[0]
    assert matching[0].startswith(f"{path}:")
    line = int(matching[0].split(":")[1])
    assert line > minimal.count("\n")  # located inside the plan section


def test_plan_needs_simulation(write_scenario, minimal: str) -> None:
    text = minimal + PLAN.split("simulation:")[0]
    _, problems = validate_scenario(write_scenario(text))
    assert any("needs a `simulation` section" in str(p) for p in problems)


def test_zones_from_population(write_scenario, scenario_dir, minimal: str) -> None:
    rows = ["zone,age_group,male,female"] + [
        f"{zone},{group},100,100" for zone in ("north", "south")
        for group in ("0-14", "15-59", "60-79", "80+")]
    (scenario_dir / "zones.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    base = minimal.replace('''    inline:
      age_groups: ["0-14", "15-59", "60-79", "80+"]
      male: [1000, 3000, 800, 100]
      female: [950, 2900, 850, 160]''', "    csv: zones.csv")
    plan = PLAN.replace("""  zones:
    - {name: north, share_of_elderly: 0.4}
    - {name: south, share_of_elderly: 0.6}
""", "")
    scenario = load_scenario(write_scenario(base + plan))
    assert scenario.plan is not None and scenario.plan.zones == ("north", "south")
    assert scenario.plan.zone_shares is None
    assert np.array_equal(scenario.plan.home_zone, [0, 1, 1, 1])


@pytest.mark.parametrize(("need", "field", "expected"), [
    ("need:\n  bed_application_rate_per_year: {dependent: -0.01}\n",
     "need.bed_application_rate_per_year.dependent", "greater than or equal to 0"),
    ("need:\n  low_income_share: 1.5\n", "need.low_income_share", "less than or equal to 1"),
    ("need:\n  definiton: census_self_care\n", "need.definiton", 'did you mean "definition"'),
])
def test_need_errors_are_located_before_any_simulation(write_scenario, minimal: str, need: str,
                                                       field: str, expected: str) -> None:
    path = write_scenario(minimal + PLAN + need)
    scenario, problems = validate_scenario(path)
    assert scenario is None
    matching = [str(p) for p in problems if p.field == field]
    assert matching and expected in matching[0], [str(p) for p in problems]
    assert int(matching[0].split(":")[1]) > (minimal + PLAN).count("\n")
