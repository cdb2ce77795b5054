"""Scorecard statuses and shortfalls on hand-made results, and target validation."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from carefacility.queueing.erlang import mmc_wait
from carefacility.scenario.loader import validate_scenario
from carefacility.targets.scorecard import scorecard
from carefacility.targets.spec import TargetSpec


def kpis(rows: list[tuple[int, str, float, float, float]]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["year", "metric", "mean", "ci_low", "ci_high"]).assign(
        unit="-", replications=20)


BASE = [
    (2025, "beds", 8000, 8000, 8000), (2025, "beds.nursing", 1800, 1800, 1800),
    (2025, "nursing_share", 0.225, 0.225, 0.225), (2025, "pop_60plus", 200_000, 200_000,
                                                    200_000),
    (2025, "beds_per_1000_60plus", 40, 40, 40),
    (2025, "share_served_within_threshold", 0.93, 0.90, 0.96),
    (2025, "wait_p95_days", 40, 35, 45),
    (2026, "share_served_within_threshold", 0.80, 0.78, 0.82),
    (2026, "wait_p95_days", 20, 18, 22),
]


def test_statuses_met_missed_at_risk() -> None:
    targets = [TargetSpec(id="service", metric="share_served_within_threshold", value=0.95),
               TargetSpec(id="wait", metric="wait_p95_days", value=30)]
    card = scorecard(targets, kpis(BASE)).set_index(["target", "year"])
    assert card.loc[("service", 2025), "status"] == "at_risk"  # 0.90-0.96 straddles 0.95
    assert card.loc[("service", 2026), "status"] == "missed"   # 0.78-0.82 all below
    assert card.loc[("wait", 2025), "status"] == "missed"      # 35-45 days all above 30
    assert card.loc[("wait", 2026), "status"] == "met"         # 18-22 all below 30
    assert card.loc[("wait", 2026), "shortfall"] == 0
    assert card.loc[("wait", 2025), "shortfall"] == pytest.approx(10)


def test_ci_boundary_counts_as_met() -> None:
    rows = [(2025, "share_served_within_threshold", 0.97, 0.95, 0.99)]
    target = TargetSpec(id="s", metric="share_served_within_threshold", value=0.95)
    assert scorecard([target], kpis(rows)).status.tolist() == ["met"]
    rows = [(2025, "share_served_within_threshold", 0.96, 0.9499, 0.99)]
    assert scorecard([target], kpis(rows)).status.tolist() == ["at_risk"]


def test_shortfalls_in_planner_units() -> None:
    targets = [TargetSpec(id="total", metric="beds", value=8500),
               TargetSpec(id="nursing", metric="nursing_share", value=0.25),
               TargetSpec(id="ratio", metric="beds_per_1000_60plus", value=45, basis="resident")]
    card = scorecard(targets, kpis(BASE)).query("year == 2025").set_index("target")
    assert card.loc["total", "shortfall"] == 500 and card.loc["total", "status"] == "missed"
    assert card.loc["nursing", "shortfall"] == 0.25 * 8000 - 1800  # nursing beds to add
    assert card.loc["nursing", "shortfall_unit"] == "nursing beds"
    assert card.loc["ratio", "shortfall"] == 45 * 200 - 8000


def test_service_level_shortfall_is_the_pooled_erlang_c_bed_count() -> None:
    rows = [(2025, "beds", 100, 100, 100), (2025, "share_served_within_threshold",
                                            0.6, 0.55, 0.65)]
    cross = pd.DataFrame({"year": [2025], "arrival_rate_per_day": [0.1],
                          "mean_stay_days": [950.0]})
    target = TargetSpec(id="s", metric="share_served_within_threshold", value=0.95)
    card = scorecard([target], kpis(rows), cross_check=cross, threshold_days=30)
    needed = 100 + card.shortfall.iloc[0]
    ok = mmc_wait(int(needed), 0.1, 1 / 950)
    short = mmc_wait(int(needed) - 1, 0.1, 1 / 950)
    assert 1 - ok.wait_tail(30) >= 0.95 > 1 - short.wait_tail(30)


def test_no_data_years() -> None:
    rows = [(2025, "wait_p95_days", math.nan, math.nan, math.nan)]
    card = scorecard([TargetSpec(id="w", metric="wait_p95_days", value=30)], kpis(rows))
    assert card.status.tolist() == ["no data"]


TARGETS_PLAN = """
plan:
  care_homes:
    - {name: a, zone: all, beds: {general: 100, nursing: 50}}
  starting_state:
    occupancy: 0.5
    resident_levels: {independent: 1.0}
simulation:
  start_date: 2021-01-01
  years: 5
"""


@pytest.mark.parametrize(("target", "field", "expected"), [
    ("{id: a, metric: nursing_shar, value: 0.5}", "targets[0].metric",
     'did you mean "nursing_share"'),
    ("{id: a, metric: nursing_share, value: 55}", "targets[0].value", "give a fraction"),
    ("{id: a, metric: beds, value: 10, from_year: 2040}", "targets[0].from_year",
     "outside the simulated years 2021-2025"),
    ("{id: a, metric: beds_per_1000_60plus, value: 45, basis: registered}",
     "targets[0].basis", "the scenario projects only the resident population; add a "
     "`registered_population:` section"),
])
def test_bad_targets_are_located(write_scenario, minimal: str, target: str, field: str,
                                 expected: str) -> None:
    path = write_scenario(minimal + TARGETS_PLAN + f"targets:\n  - {target}\n")
    scenario, problems = validate_scenario(path)
    assert scenario is None
    matching = [str(p) for p in problems if p.field == field]
    assert matching and expected in matching[0], [str(p) for p in problems]


def test_site_count_target_shortfall_in_sites() -> None:
    rows = [(2025, "meal_point.sites", 2300, 2300, 2300)]
    target = TargetSpec(id="m", metric="meal_point.sites", value=2400)
    card = scorecard([target], kpis(rows))
    assert card.status.tolist() == ["missed"]
    assert card.shortfall.tolist() == [100] and card.shortfall_unit.tolist() == ["meal points"]


def test_decided_and_replications_to_decide() -> None:
    """At risk: n × (half-width / gap)² replications in all, from the 1/sqrt(n) law."""
    rows = [(2025, "share_served_within_threshold", 0.93, 0.90, 0.96),   # half 0.03, gap 0.02
            (2026, "share_served_within_threshold", 0.80, 0.78, 0.82),   # missed: decided
            (2027, "share_served_within_threshold", 0.95, 0.94, 0.96)]   # on the threshold
    target = TargetSpec(id="s", metric="share_served_within_threshold", value=0.95)
    card = scorecard([target], kpis(rows)).set_index("year")
    assert card["decided"].tolist() == [False, True, False]
    assert card["replications"].tolist() == [20, 20, 20]
    assert card.loc[2025, "replications_to_decide"] == math.ceil(20 * (0.03 / 0.02) ** 2)
    assert math.isnan(card.loc[2026, "replications_to_decide"])
    assert card.loc[2027, "replications_to_decide"] == math.inf
    # a share's interval cut at 1 still counts its full half-width
    rows = [(2025, "share_served_within_threshold", 0.99, 0.97, 1.0)]  # half 0.02 below
    target = TargetSpec(id="s", metric="share_served_within_threshold", value=0.98)
    card = scorecard([target], kpis(rows))
    assert card["replications_to_decide"].iloc[0] == math.ceil(20 * (0.02 / 0.01) ** 2)


def test_old_service_level_name_is_refused_with_the_two_new_ones() -> None:
    from carefacility.targets.spec import target_problems

    target = TargetSpec(id="s", metric="share_admitted_within_threshold", value=0.9)
    problems = target_problems([target], "resident", 2021, 2025)
    assert len(problems) == 1
    message = problems[0][1]
    assert "share_served_within_threshold" in message
    assert "share_of_admissions_within_threshold" in message
