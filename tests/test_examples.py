"""Every example scenario validates, and those with a plan run end to end."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from carefacility.runner.simulation import run
from carefacility.scenario.loader import load_scenario

EXAMPLES = sorted((Path(__file__).resolve().parents[1] / "scenarios").glob("*.yaml"))


@pytest.mark.parametrize("path", EXAMPLES, ids=[p.stem for p in EXAMPLES])
def test_example_runs(path: Path) -> None:
    scenario = load_scenario(path)
    if scenario.plan is None:
        pytest.skip("population-only scenario")
    result = run(scenario, replications=2, executor="serial")
    kpis = result.kpis.set_index(["year", "metric"])["mean"]
    years = sorted({year for year, _ in kpis.index})
    assert years[0] == scenario.spec.simulation.start_date.year
    assert all(kpis[(year, "applicants")] > 0 for year in years)
    assert all(np.isfinite(kpis[(year, "beds_per_1000_60plus")]) for year in years)
    assert all(0 <= kpis[(year, "nursing_share")] <= 1 for year in years)


def test_at_least_four_planned_places() -> None:
    planned = [p.stem for p in EXAMPLES if load_scenario(p).plan is not None]
    assert {"jiading", "xicheng", "county", "zhuji"} <= set(planned)
