"""The estimate before a run: it counts the engine's events, grows linearly with replications
and beds, and `carefacility run` stops a run too large to start without --yes before
simulating anything."""

from __future__ import annotations

import math
from pathlib import Path

import pytest
from click.testing import CliRunner

import carefacility as cf
from carefacility.beds.engine import BedSimulation
from carefacility.cli import main
from carefacility.runner import estimate as est
from carefacility.runner.prepare import prepare_run
from carefacility.runner.replicate import replicate
from carefacility.scenario.loader import load_scenario

ROOT = Path(__file__).resolve().parents[2]
TEXTBOOK = ROOT / "scenarios" / "textbook"

SCENARIO = """\
name: "{beds} beds, no population"
plan:
  care_homes:
    - {{name: home, zone: all, beds: {{general: {beds}}}}}
  starting_state:
    occupancy: 0.88
simulation:
  start_date: 2021-01-01
  years: {years}
  replications: 20
  seed: 1
  warmup_days: {warmup}
  alternative_rule_replications: 0
  max_waiting: 0
  arrivals: {{per_day: {per_day}}}
  stays: {{distribution: lognormal, mean_days: 900, sigma: 1.0}}
"""


def scenario_text(beds: int, *, years: int = 10, warmup: int = 1800) -> str:
    """The Erlang B textbook case (scenarios/textbook/erlang_b.yaml) with ``beds`` beds and
    demand in proportion (offered load 0.9 × beds), started 88 % full."""
    return SCENARIO.format(beds=beds, years=years, warmup=warmup, per_day=beds / 1000)


@pytest.fixture
def write(tmp_path: Path):
    def write(text: str, name: str = "scenario.yaml") -> Path:
        path = tmp_path / name
        path.write_text(text, encoding="utf-8")
        return path

    return write


@pytest.fixture
def no_simulation(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Make any simulation fail loudly; the list records that it was reached."""
    reached: list[str] = []

    def refuse(*_args: object, **_kwargs: object) -> None:
        reached.append("simulation")
        raise RuntimeError("the simulation was reached")

    monkeypatch.setattr("carefacility.api._run", refuse)
    monkeypatch.setattr("carefacility.runner.simulation.run_batches", refuse)
    return reached


def scheduled_events(spec, _monkeypatch: pytest.MonkeyPatch | None = None) -> int:
    """Events the engine schedules in one replication (the calendar counts them as SimPy's
    ``Environment.schedule`` calls would, less the stop event SimPy schedules twice)."""
    simulation = BedSimulation(spec, seed=1, replication=0)
    simulation.run()
    return simulation.calendar.scheduled_events


@pytest.mark.parametrize("name", ["erlang_b.yaml", "erlang_c.yaml", "priority.yaml"])
def test_events_match_the_engine(name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    prepared = prepare_run(load_scenario(TEXTBOOK / name))
    predicted = est.replication_events(prepared)["total"]
    actual = scheduled_events(prepared.spec, monkeypatch)
    assert predicted == pytest.approx(actual, rel=0.15), (predicted, actual)


def test_events_match_the_engine_with_a_population(monkeypatch: pytest.MonkeyPatch) -> None:
    prepared = prepare_run(load_scenario(ROOT / "scenarios" / "county.yaml"))
    predicted = est.replication_events(prepared)["total"]
    actual = scheduled_events(prepared.spec, monkeypatch)
    assert predicted == pytest.approx(actual, rel=0.15), (predicted, actual)


def test_kpi_rows_are_those_written() -> None:
    scenario = load_scenario(TEXTBOOK / "erlang_b.yaml")  # no population: fewer KPIs
    result = cf.run(scenario, replications=1, executor="serial")
    assert est.kpi_rows_per_replication(prepare_run(scenario)) == len(result.per_replication)
    scenario = load_scenario(ROOT / "scenarios" / "county.yaml")  # a population and a service
    prepared = prepare_run(scenario)
    rows = len(replicate(prepared, 1, 0))
    assert est.kpi_rows_per_replication(prepared) == rows
    assert rows <= scenario.spec.simulation.years * est.KPIS_PER_YEAR_UPPER


def test_estimate_grows_linearly_with_replications() -> None:
    prepared = prepare_run(load_scenario(TEXTBOOK / "erlang_b.yaml"))
    runs = [est.estimate_run(prepared, n, 1) for n in (100, 200, 300)]
    assert runs[1].events == pytest.approx(2 * runs[0].events, abs=1)
    assert runs[2].events == pytest.approx(3 * runs[0].events, abs=1)
    assert runs[1].kpi_rows == 2 * runs[0].kpi_rows
    step = runs[1].seconds - runs[0].seconds
    assert step > 0
    assert runs[2].seconds - runs[1].seconds == pytest.approx(step)
    assert runs[2].output_bytes - runs[1].output_bytes == \
        runs[1].output_bytes - runs[0].output_bytes > 0
    assert runs[0].peak_bytes < runs[1].peak_bytes < runs[2].peak_bytes
    # with workers, replications run side by side: the time drops, the memory grows
    parallel = est.estimate_run(prepared, 200, 2)
    assert parallel.parallel == min(2, est.default_workers())
    if parallel.parallel == 2:
        assert parallel.seconds < runs[1].seconds
        assert parallel.peak_bytes > runs[1].peak_bytes


def test_estimate_grows_linearly_with_beds(write) -> None:
    estimates = []
    for beds in (1_000, 2_000, 4_000):
        prepared = prepare_run(load_scenario(write(scenario_text(beds), f"beds{beds}.yaml")))
        estimates.append(est.estimate_run(prepared, 10, 1))
    events = [estimate.events_per_replication for estimate in estimates]
    assert events[1] == pytest.approx(2 * events[0], rel=0.01)
    assert events[2] == pytest.approx(4 * events[0], rel=0.01)
    seconds = [estimate.seconds_per_replication - est.SECONDS_PER_REPLICATION
               for estimate in estimates]
    assert seconds[2] == pytest.approx(4 * seconds[0], rel=0.01)
    memory = [estimate.replication_bytes for estimate in estimates]
    assert memory[1] == pytest.approx(2 * memory[0], rel=0.01)
    assert memory[2] == pytest.approx(4 * memory[0], rel=0.01)


def test_needs_confirmation() -> None:
    small = est.RunEstimate(events=10, seconds=5.0, peak_bytes=2**28, text="")
    slow = est.RunEstimate(events=10, seconds=3600.0, peak_bytes=2**28, text="")
    assert est.needs_confirmation(small, available_bytes=2**34) is None
    assert not est.should_print(small)
    assert "15 min" in (est.needs_confirmation(slow, available_bytes=2**34) or "")
    assert est.should_print(slow)
    assert "memory" in (est.needs_confirmation(small, available_bytes=2**27) or "")
    available = est.available_memory_bytes()
    assert available is None or available > 0


def test_ten_million_beds_stop_before_simulating(write, tmp_path: Path,
                                                 no_simulation: list[str]) -> None:
    path = write(scenario_text(10_000_000, years=2))
    out = tmp_path / "out"
    result = CliRunner().invoke(main, ["run", str(path), "--out", str(out), "--workers", "1"])
    assert result.exit_code == 2, result.output
    assert "not started" in result.output
    assert "--yes" in result.output
    assert "replications of ≈" in result.output and "peak memory" in result.output
    assert "Traceback" not in result.output
    assert no_simulation == []
    assert not out.exists()


def test_ten_thousand_replications_stop_before_simulating(write, tmp_path: Path,
                                                          no_simulation: list[str]) -> None:
    path = write(scenario_text(5_000))
    out = tmp_path / "out"
    args = ["run", str(path), "--out", str(out), "--replications", "10000", "--workers", "1"]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 2, result.output
    assert "not started: it would take more than 15 min" in result.output
    assert "10,000 replications" in result.output
    assert len(result.stderr.strip().splitlines()) == 1
    assert no_simulation == []
    assert not out.exists()

    # --yes starts it: the estimate is printed and the simulation reached
    result = CliRunner().invoke(main, [*args, "--yes"])
    assert no_simulation == ["simulation"]
    assert result.exit_code == 1
    assert "estimate: about" in result.output
    assert "the simulation was reached" in result.output


def test_a_small_run_prints_no_estimate(tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = CliRunner().invoke(main, ["run", str(TEXTBOOK / "erlang_b.yaml"), "--out",
                                       str(out), "--replications", "2", "--executor", "serial"])
    assert result.exit_code == 0, result.output
    assert "estimate:" not in result.output
    assert (out / "kpis.csv").is_file()


def test_estimate_through_the_api() -> None:
    estimate = cf.api.estimate(TEXTBOOK / "erlang_b.yaml", replications=10, workers=1)
    assert estimate.replications == 10
    assert estimate.seconds > 0 and estimate.peak_bytes > est.PROCESS_BYTES
    assert math.isclose(estimate.events, 10 * estimate.events_per_replication, abs_tol=1)
    decided = cf.api.estimate(TEXTBOOK / "erlang_b.yaml", replications=10, workers=1,
                              until_decided=True)
    assert decided.replications == 400  # the cap: the most that can run
    remote = cf.api.estimate(TEXTBOOK / "erlang_b.yaml", replications=10, workers=8,
                             executor="dask", dask_address="tcp://10.0.0.5:8786")
    assert remote.parallel == 8


def test_workbook_row_limit_agrees_with_the_report() -> None:
    from carefacility.report.excel import WORKBOOK_MAX_ROWS as REPORT_LIMIT
    from carefacility.runner.estimate import WORKBOOK_MAX_ROWS

    assert WORKBOOK_MAX_ROWS == REPORT_LIMIT


def test_the_per_replication_sheet_costs_its_rows() -> None:
    prepared = prepare_run(load_scenario(TEXTBOOK / "erlang_b.yaml"))
    without = est.estimate_run(prepared, 100, 1)
    with_sheet = est.estimate_run(prepared, 100, 1, per_replication_sheet=True)
    rows = without.kpi_rows
    assert 0 < rows <= est.WORKBOOK_MAX_ROWS
    assert with_sheet.seconds - without.seconds == pytest.approx(rows * est.REPORT_SECONDS[1])
    assert with_sheet.peak_bytes >= without.peak_bytes
    # a table too long for the workbook is left out of it (its header only): no extra cost
    many = est.estimate_run(prepared, 10_000, 1)
    assert many.kpi_rows > est.WORKBOOK_MAX_ROWS
    assert est.estimate_run(prepared, 10_000, 1, per_replication_sheet=True).seconds == \
        pytest.approx(many.seconds)
