"""The public face: ``import carefacility as cf`` and the four functions a notebook needs."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

import carefacility as cf
from carefacility.base.errors import ScenarioError
from carefacility.runner.results import KPI_COLUMNS

ROOT = Path(__file__).resolve().parents[1]
XICHENG = ROOT / "scenarios" / "xicheng.yaml"


@pytest.fixture(scope="module")
def xicheng_result() -> cf.RunResult:
    return cf.run(XICHENG, replications=2, seed=11, executor="serial")


def test_public_names() -> None:
    for name in ("load_scenario", "project", "run", "write_report", "plots", "Scenario",
                 "RunResult", "PopulationProjection", "__version__"):
        assert name in cf.__all__
        assert getattr(cf, name) is not None
    with pytest.raises(AttributeError, match="no attribute 'simulate'"):
        cf.simulate  # noqa: B018


def test_import_is_light() -> None:
    # `import carefacility` and the command line's module (so `carefacility --help`) load none
    # of the heavy libraries; the pipeline's stages import scipy only in the functions using it
    # (benchmarks/bench_import.py times these imports)
    cases = {
        "carefacility": "[]",
        "carefacility.cli": "[]",
        "carefacility.population, carefacility.need, carefacility.queueing": "['pandas']",
    }
    for modules, expected in cases.items():
        code = (f"import sys, {modules}; "
                "print(sorted(m for m in ('pandas', 'scipy', 'matplotlib', 'simpy') "
                "if m in sys.modules))")
        out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                             check=True).stdout.strip()
        assert out == expected, modules


def test_load_and_project(tmp_path: Path) -> None:
    scenario = cf.load_scenario(XICHENG)
    assert isinstance(scenario, cf.Scenario)
    projection = cf.project(scenario)
    assert isinstance(projection, cf.PopulationProjection)
    assert {"year", "zone", "age", "sex", "population"} <= set(projection.population.columns)
    assert (projection.elderly["pop_60plus"] > 0).all()
    # a path works as well as a loaded scenario, and gives the same numbers
    again = cf.project(XICHENG)
    pd.testing.assert_frame_equal(again.elderly, projection.elderly)
    written = cf.write_report(projection, tmp_path / "population")
    assert {p.name for p in written} >= {"population.csv", "elderly_summary.csv"}


def test_run_returns_dataframes(xicheng_result: cf.RunResult) -> None:
    result = xicheng_result
    assert list(result.kpis.columns) == KPI_COLUMNS
    assert result.kpis["replications"].max() == 2  # fewer where a value is undefined
    assert result.scorecard is not None and len(result.scorecard)
    assert result.scenario is not None and result.scenario.name == result.metadata["scenario"]
    assert result.projection is not None
    wide = result.summary()
    assert len(wide) == result.kpis["year"].nunique()


def test_run_result_equals_the_command_line(xicheng_result: cf.RunResult,
                                            tmp_path: Path) -> None:
    # the CLI calls the same face: its kpis.csv (the golden copy) is this run's table
    written = cf.write_report(xicheng_result, tmp_path / "run")
    kpis = next(p for p in written if p.name == "kpis.csv")
    golden = ROOT / "tests" / "golden" / "xicheng" / "kpis.csv"
    assert kpis.read_bytes() == golden.read_bytes()
    assert any(p.name == "report.html" for p in written)


def test_run_needs_a_plan(write_scenario, minimal: str) -> None:
    path = write_scenario(minimal)
    with pytest.raises(ValueError, match="no `plan` and `simulation` sections"):
        cf.run(path, replications=1)


def test_bad_file_raises_located_error(write_scenario, minimal: str) -> None:
    path = write_scenario(minimal.replace("horizon_year: 2030", "horizon_year: soon"))
    with pytest.raises(ScenarioError, match=r"scenario.yaml:\d+:\d+: population.horizon_year"):
        cf.load_scenario(path)
