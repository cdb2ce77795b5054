"""`carefacility optimize`: the folder, the printed plan, clear answers at the edges (a target
out of reach is a warning with the best plan, exit 0; no service-level target, a bad --years or
--set is exit 2 with nothing written)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

from carefacility.cli import main

ROOT = Path(__file__).resolve().parents[1]
ERLANG_C = ROOT / "scenarios" / "textbook" / "erlang_c.yaml"
# the textbook M/M/c queue made quick: short stays (λ = 4 a day, 10 days: a load of 40),
# one year after a warm-up of ten stays, from 20 beds and a full start
QUICK = ["--set", "simulation.years=1", "--set", "simulation.warmup_days=100",
         "--set", "simulation.arrivals.per_day=4", "--set", "simulation.stays.mean_days=10",
         "--set", "simulation.admitted_within_days=2",
         "--set", "plan.care_homes[home].beds.general=20",
         "--set", "plan.starting_state.census=[{home: home, general: 20}]",
         "--set", "targets[within_30].value=0.9",
         "--set", "optimize={indifference_zone: 0.02, replications: 6, max_replications: 12, "
                  "verification_replications: 6}"]


def test_optimize_writes_the_folder_and_prints_the_plan(tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = CliRunner().invoke(main, ["optimize", str(ERLANG_C), *QUICK, "--executor",
                                       "serial", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "smallest sufficient plan 2021-2021 (seed 2, 95 % confidence" in result.output
    assert "sipp_lagged" in result.output
    plan = pd.read_csv(out / "minimal_plan.csv", encoding="utf-8-sig")
    row = plan[(plan["method"] == "simulation") & (plan["bed_type"] == "general")].iloc[0]
    assert row["beds_planned"] == 20 and 40 < row["beds_needed"] < 60
    for name in ("optimize_summary.csv", "optimize_search.csv", "optimize_metadata.json",
                 "planned_vs_needed.png"):
        assert (out / name).exists(), name


def test_a_target_out_of_reach_is_a_warning_with_the_best_plan(tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = CliRunner().invoke(main, ["optimize", str(ERLANG_C), *QUICK, "--set",
                                       "optimize.max_beds_built_per_year=5", "--executor",
                                       "serial", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "warning: demand outruns optimize.max_beds_built_per_year in 2021" in result.output
    assert "best plan within the bound: 25 general" in result.output
    assert (out / "minimal_plan.csv").exists()


@pytest.mark.parametrize(("arguments", "expected"), [
    (["--set", "targets[within_30].metric=beds", "--set", "targets[within_30].value=100"],
     "sizes the plan for its service-level targets, and the scenario has none"),
    (["--years", "2021-2050"], "--years 2021-2050: 2050 is outside the simulated years"),
    (["--years", "soon"], "--years: 'soon' is not a year range"),
    (["--set", "optimize.confidense=0.9"],
     "optimize.confidense: unknown key 'confidense' (did you mean \"confidence\"?)"),
    (["--set", "optimize.years=2040-2041"], "optimize.years: 2040 is outside the simulated"),
])
def test_bad_input_is_exit_2_with_nothing_written(tmp_path: Path, arguments: list[str],
                                                  expected: str) -> None:
    out = tmp_path / "out"
    result = CliRunner().invoke(main, ["optimize", str(ERLANG_C), *QUICK, *arguments,
                                       "--executor", "serial", "--out", str(out)])
    assert result.exit_code == 2, result.output
    assert expected in result.output
    assert not out.exists()
