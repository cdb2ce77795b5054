"""A scenario with thousands of care homes validates in linear time, its messages stay short.

The timing itself is measured by ``benchmarks/bench_validate_size.py`` (2,500, 5,000 and 25,000
homes); here a 5,000-home file must validate at all, and one whose census names 625 homes that
do not exist must give 625 located messages of bounded length (no list of every home in each).
"""

from __future__ import annotations

from pathlib import Path

from carefacility.base.errors import MAX_SUGGESTION_NAMES, did_you_mean, name_list
from carefacility.scenario.loader import validate_scenario

HEADER = """\
name: many homes
plan:
  zones:
"""


def many_homes(homes: int, zones: int = 20, *, broken: bool = False) -> str:
    """A queue scenario (no population) with ``homes`` homes, a census of every eighth."""
    lines = [HEADER]
    lines += [f"    - {{name: z{zone}}}\n" for zone in range(zones)]
    lines.append("  care_homes:\n")
    lines += [f"    - {{name: h{home}, zone: z{home % zones}, beds: {{general: 30, "
              "nursing: 20}}\n" for home in range(homes)]
    lines.append("  build_schedule:\n")
    lines += [f"    - {{date: 2022-07-01, home: h{home}, open: {{nursing: 5}}}}\n"
              for home in range(0, homes, 20)]
    lines.append("  starting_state:\n    census:\n")
    lines += [f"      - {{home: {'x' if broken else 'h'}{home}, general: 20, nursing: 15}}\n"
              for home in range(0, homes, 8)]
    lines.append("simulation:\n  start_date: 2021-01-01\n  years: 2\n"
                 "  arrivals: {per_day: 10, zone_shares: {z0: 1}}\n"
                 "  stays: {distribution: exponential, mean_days: 700}\n")
    return "".join(lines)


def test_five_thousand_homes_validate(tmp_path: Path) -> None:
    path = tmp_path / "homes.yaml"
    path.write_text(many_homes(5_000), encoding="utf-8")
    scenario, problems = validate_scenario(path)
    assert problems == []
    assert scenario is not None and scenario.plan is not None
    assert len(scenario.plan.home_names) == 5_000
    assert scenario.plan.census_residents is not None
    assert scenario.plan.census_residents.sum() == 625 * 35


def test_five_thousand_homes_with_wrong_names_give_short_messages(tmp_path: Path) -> None:
    path = tmp_path / "homes.yaml"
    path.write_text(many_homes(5_000, broken=True), encoding="utf-8")
    scenario, problems = validate_scenario(path)
    assert scenario is None
    assert len(problems) == 625
    assert all(problem.field.startswith("plan.starting_state.census[") for problem in problems)
    assert all(len(problem.message) < 300 for problem in problems)
    assert "(5,000 in all)" in problems[0].message


def test_name_lists_are_cut() -> None:
    names = [f"home{index}" for index in range(100)]
    assert name_list(names) == ", ".join(names[:12]) + ", ... (100 in all)"
    assert name_list(names[:3]) == "home0, home1, home2"
    assert name_list(iter(names)) == name_list(names)


def test_did_you_mean_skips_very_long_lists() -> None:
    assert did_you_mean("home1x", ["home1", "other"]) == ' (did you mean "home1"?)'
    many = [f"home{index}" for index in range(MAX_SUGGESTION_NAMES + 1)]
    assert did_you_mean("home1x", many) == ""
