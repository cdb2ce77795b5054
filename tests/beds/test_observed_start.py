"""``plan.starting_state.observed``: what was seen at the start, with its date and source."""

from __future__ import annotations

import pytest

from carefacility.scenario.loader import load_scenario, validate_scenario

PLAN = """
plan:
  care_homes:
    - {name: home, zone: all, beds: {general: 100, nursing: 50}}
  build_schedule:
    - {date: 2020-07-01, home: home, open: {nursing: 50}}
    - {date: 2022-07-01, home: home, open: {general: 40}}
  starting_state:
    observed:
      residents:
        date: 2020-12-31
        total: 120
        source: civil-affairs statistics, end of 2020
      admissions:
        date: 2020-12-31
        per_year: 30
        source: civil-affairs statistics, 2020
simulation:
  start_date: 2021-01-01
  years: 3
"""


def test_observed_start_is_read(write_scenario, minimal: str) -> None:
    scenario = load_scenario(write_scenario(minimal + PLAN))
    state = scenario.spec.plan.starting_state
    assert state.occupancy is None and state.resident_levels is None
    assert state.observed.residents.total == 120
    assert state.observed.admissions.per_year == 30


@pytest.mark.parametrize(("old", "new", "field", "expected"), [
    # only figures up to the start may calibrate the base year
    ("date: 2020-12-31\n        total", "date: 2021-06-30\n        total",
     "plan.starting_state.observed.residents.date", "after simulation.start_date 2021-01-01"),
    ("date: 2020-12-31\n        per_year", "date: 2024-12-31\n        per_year",
     "plan.starting_state.observed.admissions.date", "only figures up to the start"),
    ("total: 120", "total: 120\n        occupancy: 0.5",
     "plan.starting_state.observed.residents", "exactly one of total, by_bed_type or occupancy"),
    ("        total: 120\n", "", "plan.starting_state.observed.residents", "got none"),
    # 200 beds at the start (the 2022 opening comes later)
    ("total: 120", "total: 201", "plan.starting_state.observed.residents.total",
     "201 residents but the plan has 200 beds in force on 2021-01-01"),
    ("total: 120", "by_bed_type: {general: 20, nursing: 101}",
     "plan.starting_state.observed.residents.by_bed_type.nursing",
     "101 residents in nursing beds but the plan has 100 nursing beds"),
    ("        source: civil-affairs statistics, end of 2020\n", "",
     "plan.starting_state.observed.residents.source", "required field is missing"),
])
def test_observed_start_errors_are_located(write_scenario, minimal: str, old: str, new: str,
                                           field: str, expected: str) -> None:
    assert old in PLAN
    path = write_scenario(minimal + PLAN.replace(old, new, 1))
    scenario, problems = validate_scenario(path)
    assert scenario is None
    matching = [str(p) for p in problems if p.field == field]
    assert matching, [str(p) for p in problems]
    assert expected in matching[0]
    assert int(matching[0].split(":")[1]) > minimal.count("\n")  # inside the plan section


def test_a_starting_state_needs_occupancy_or_observed(write_scenario, minimal: str) -> None:
    text = minimal + PLAN.split("    observed:")[0] + "    waiting_list_persons: 0\n" + (
        "simulation:" + PLAN.split("simulation:")[1])
    _, problems = validate_scenario(write_scenario(text))
    assert any(p.field == "plan.starting_state" and "give `occupancy`" in str(p)
               for p in problems), [str(p) for p in problems]
