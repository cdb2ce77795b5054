"""The example scenarios' starting states: observed up to the start, with sources; Shanghai's
stock at the start is the end-2021 stock, not the end-2022 one."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from carefacility.scenario.loader import load_scenario

SCENARIOS = Path(__file__).resolve().parents[2] / "scenarios"
WITH_PLAN = ["xicheng", "jiading", "county", "zhuji", "shanghai"]


@pytest.mark.parametrize("name", WITH_PLAN)
def test_every_plan_states_its_observed_start(name: str) -> None:
    scenario = load_scenario(SCENARIOS / f"{name}.yaml")
    state = scenario.spec.plan.starting_state
    observed = state.observed
    assert observed is not None, f"{name}: no plan.starting_state.observed"
    assert observed.residents.date <= scenario.spec.simulation.start_date
    assert len(observed.residents.source) > 20
    # a local figure is cited, or the national one is labelled an assumption
    assert "ASSUMPTION" in observed.residents.source or "secondary" in observed.residents.source


def test_xicheng_uses_beijing_2016_not_2024() -> None:
    observed = load_scenario(SCENARIOS / "xicheng.yaml").spec.plan.starting_state.observed
    assert observed.residents.occupancy == 0.53
    assert observed.residents.date == dt.date(2016, 12, 31)


def test_shanghai_starts_with_the_end_2021_stock() -> None:
    plan = load_scenario(SCENARIOS / "shanghai.yaml").plan
    # DERIVED: end-2022 163,600 (published) minus the 2022 work plan's 5,000 new beds
    assert plan.capacity_at(dt.date(2022, 1, 1)).sum() == 158_600
    assert plan.capacity_at(dt.date(2022, 12, 31)).sum() == 163_600
    assert plan.capacity_at(dt.date(2025, 12, 31)).sum() == 178_000
