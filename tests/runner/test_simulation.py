"""The orchestrated run: starting state, capacity timeline, accounting identities, seeds."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from carefacility.cli import main
from carefacility.runner.prepare import initial_residents, prepare_run
from carefacility.runner.replicate import replicate
from carefacility.runner.simulation import run
from carefacility.scenario.loader import load_scenario

PLAN = """
plan:
  zones:
    - {name: north, share_of_elderly: 0.4}
    - {name: south, share_of_elderly: 0.6}
  care_homes:
    - {name: a, zone: north, beds: {general: 30, nursing: 20, dementia: 5}, count: 3}
    - {name: b, zone: south, beds: {general: 40, nursing: 10}, count: 2}
  build_schedule:
    - {date: 2023-01-01, home: a, convert: {from_type: general, to_type: nursing, beds: 10}}
    - {date: 2024-07-02, home: b, open: {nursing: 20}}
  starting_state:
    occupancy: 0.8
    resident_levels: {independent: 0.4, partially_dependent: 0.3, dependent: 0.2, dementia: 0.1}
    waiting_list_persons: 40
    waiting_list_mean_wait_days: 50
simulation:
  start_date: 2021-01-01
  years: 6
  replications: 3
  seed: 7
"""


@pytest.fixture
def scenario(write_scenario, minimal: str):
    text = minimal.replace("horizon_year: 2030", "horizon_year: 2027").replace(
        "male: [1000, 3000, 800, 100]", "male: [100000, 300000, 80000, 10000]").replace(
        "female: [950, 2900, 850, 160]", "female: [95000, 290000, 85000, 16000]")
    return load_scenario(write_scenario(text + PLAN))


def test_initial_residents_fill_beds_by_need() -> None:
    capacity = np.array([[10, 10, 4], [20, 0, 0]])
    residents = initial_residents(capacity, 0.5, {"independent": 0.5, "partially_dependent":
                                                  0.2, "dependent": 0.2, "dementia": 0.1})
    assert residents.sum(axis=2).tolist() == [[5, 5, 2], [10, 0, 0]]
    # 22 residents by the mix (11, 4.4, 4.4, 2.2), largest remainder: first tie wins
    assert residents.sum(axis=(0, 1)).tolist() == [11, 5, 4, 2]
    assert residents[0, 2].tolist() == [0, 0, 0, 2]  # dementia beds take dementia first
    assert residents[0, 1].tolist() == [0, 1, 4, 0]  # nursing: dependent, then partially


def test_capacity_timeline(scenario) -> None:
    prepared = prepare_run(scenario)
    assert prepared.capacity_year_end[0].tolist() == [170, 80, 15]
    assert prepared.capacity_year_end[2].tolist() == [140, 110, 15]  # 3 homes convert 10 each
    # two homes open 20 nursing beds on day 547 (2024-07-02 is 1278 days after the start)
    day = (dt.date(2024, 7, 2) - dt.date(2021, 1, 1)).days
    year, offset = divmod(day, 365)
    assert prepared.capacity_mean[year, 1] == pytest.approx(110 + 40 * (365 - offset) / 365)
    assert prepared.capacity_year_end[year].tolist() == [140, 150, 15]


def test_accounting_identities_every_year(scenario) -> None:
    frame = replicate(prepare_run(scenario), seed=3, replication=0)
    kpi = frame.pivot(index="year", columns="metric", values="value")
    residents = kpi["residents_year_end"].to_numpy()
    start = 0.8 * np.array([[30, 20, 5]] * 3 + [[40, 10, 0]] * 2)
    flows = (kpi["admissions"] - kpi["deaths_in_care"] - kpi["discharges"]).to_numpy()
    expected = np.concatenate([[np.rint(start).sum()], residents[:-1]]) + flows
    assert residents == pytest.approx(expected)
    waiting = kpi["waiting_list_year_end"].to_numpy()
    flows = (kpi["applicants"] - kpi["admissions"] - kpi["deaths_while_waiting"]
             - kpi["withdrawals"] - kpi["blocked"]).to_numpy()
    assert waiting == pytest.approx(np.concatenate([[40], waiting[:-1]]) + flows)
    # beds never hold more residents than exist
    assert (kpi["occupancy.nursing"] <= 1.0 + 1e-12).all()


def test_same_seed_same_results_any_executor(scenario) -> None:
    serial = run(scenario, replications=3, executor="serial")
    pooled = run(scenario, replications=3, executor="processes", workers=2)
    pd.testing.assert_frame_equal(serial.per_replication, pooled.per_replication)
    pd.testing.assert_frame_equal(serial.kpis, pooled.kpis)
    other = run(scenario, replications=3, seed=8, executor="serial")
    assert not other.per_replication.value.equals(serial.per_replication.value)


def test_dask_gives_the_same_numbers(scenario) -> None:
    pytest.importorskip("dask.distributed")
    serial = run(scenario, replications=2, executor="serial")
    on_dask = run(scenario, replications=2, executor="dask", workers=2)
    pd.testing.assert_frame_equal(serial.per_replication, on_dask.per_replication)


def test_kpis_carry_confidence_intervals(scenario) -> None:
    result = run(scenario, replications=3, executor="serial")
    kpis = result.kpis
    assert {"year", "metric", "mean", "ci_low", "ci_high", "unit"} <= set(kpis.columns)
    assert (kpis.ci_low <= kpis["mean"] + 1e-9).all()
    assert (kpis["mean"] <= kpis.ci_high + 1e-9).all()
    admissions = kpis[kpis.metric == "admissions"]
    assert (admissions.ci_high > admissions.ci_low).all()
    beds = kpis[kpis.metric == "beds"]
    assert (beds.ci_high == beds.ci_low).all()  # plan arithmetic: no uncertainty


def test_cli_run_writes_kpis(scenario, tmp_path: Path) -> None:
    out = tmp_path / "run"
    result = CliRunner().invoke(main, ["run", str(scenario.file), "--out", str(out),
                                       "--replications", "2", "--executor", "serial"])
    assert result.exit_code == 0, result.output
    kpis = pd.read_csv(out / "kpis.csv", encoding="utf-8-sig")
    assert {"beds_per_1000_60plus", "nursing_share", "wait_p95_days",
            "share_served_within_threshold", "share_of_admissions_within_threshold", "p_wait",
            "abandoned_share", "blocked_share", "occupancy.nursing"} <= set(kpis.metric)
    for name in ("kpis_by_replication.csv", "care_need.csv", "bed_demand.csv",
                 "run_metadata.json", "population.csv", "elderly_population.png"):
        assert (out / name).exists(), name


def test_cli_run_without_plan(write_scenario, minimal: str, tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["run", str(write_scenario(minimal)), "--out",
                                       str(tmp_path / "x")])
    assert result.exit_code == 2
    assert "no `plan` and `simulation` sections" in result.output


def test_eligible_bed_types_from_the_scenario(write_scenario, minimal: str) -> None:
    text = minimal.replace("horizon_year: 2030", "horizon_year: 2027") + PLAN + (
        "  eligible_bed_types:\n    partially_dependent: [general]\n")
    spec = prepare_run(load_scenario(write_scenario(text))).spec
    # levels not given keep the default (anyone may take a nursing-type bed)
    assert spec.eligible_bed_types == ((0, 1), (0,), (1,), (2, 1))
    default = prepare_run(load_scenario(write_scenario(text.replace(
        "  eligible_bed_types:\n    partially_dependent: [general]\n", "")))).spec
    assert default.eligible_bed_types == ((0, 1), (0, 1), (1,), (2, 1))


def test_other_rule_on_the_shared_pool_equals_its_own_run(scenario) -> None:
    from carefacility.runner.eligibility import eligibility_alternative

    serial = run(scenario, replications=3, executor="serial")
    pooled = run(scenario, replications=3, executor="processes", workers=2)
    table = serial.tables["eligibility_alternative"]
    pd.testing.assert_frame_equal(table, pooled.tables["eligibility_alternative"])
    own = eligibility_alternative(
        prepare_run(scenario, serial.projection), serial.per_replication,
        seed=serial.metadata["seed"],
        replications=min(scenario.spec.simulation.alternative_rule_replications, 3),
        executor="serial")
    pd.testing.assert_frame_equal(table, own)


def test_stages_are_timed_and_a_prepared_run_is_not_prepared_again(scenario,
                                                                   monkeypatch) -> None:
    from carefacility.base.progress import Progress

    first = run(scenario, replications=2, executor="serial")
    stages = first.metadata["stage_seconds"]
    assert list(stages) == ["prepare", "replications", "summary"]
    assert all(value >= 0 for value in stages.values())
    prepared = prepare_run(scenario, first.projection)

    def refuse(*_args: object, **_kwargs: object) -> None:
        raise AssertionError("prepared twice")

    monkeypatch.setattr("carefacility.runner.simulation.prepare_run", refuse)
    progress = Progress()
    again = run(scenario, replications=2, executor="serial", projection=first.projection,
                prepared=prepared, progress=progress)
    pd.testing.assert_frame_equal(first.kpis, again.kpis)
    assert "prepare" not in progress.seconds


def test_cli_run_prints_its_time_by_stage_or_nothing_when_quiet(scenario,
                                                                 tmp_path: Path) -> None:
    arguments = ["run", str(scenario.file), "--replications", "2", "--executor", "serial"]
    loud = CliRunner().invoke(main, [*arguments, "--out", str(tmp_path / "a")])
    assert loud.exit_code == 0, loud.output
    stage_line = loud.stdout.splitlines()[1]
    for stage in ("load", "project", "prepare", "replications", "summary", "report"):
        assert f"{stage} " in stage_line
    quiet = CliRunner().invoke(main, [*arguments, "--out", str(tmp_path / "b"), "--quiet"])
    assert quiet.exit_code == 0
    assert quiet.output == ""
    assert (tmp_path / "b" / "report.html").exists()


def test_cli_run_svg_and_per_replication_sheet_on_request(scenario, tmp_path: Path) -> None:
    arguments = ["run", str(scenario.file), "--replications", "2", "--executor", "serial",
                 "--quiet"]
    plain = tmp_path / "plain"
    assert CliRunner().invoke(main, [*arguments, "--out", str(plain)]).exit_code == 0
    assert not list(plain.glob("*.svg"))
    assert "kpis_by_replication" not in pd.ExcelFile(plain / "results.xlsx").sheet_names
    full = tmp_path / "full"
    result = CliRunner().invoke(main, [*arguments, "--out", str(full), "--svg",
                                       "--per-replication-sheet"])
    assert result.exit_code == 0, result.output
    assert {p.stem for p in full.glob("*.svg")} == {p.stem for p in full.glob("*.png")}
    sheet = pd.read_excel(full / "results.xlsx", sheet_name="kpis_by_replication")
    assert len(sheet) == len(pd.read_csv(full / "kpis_by_replication.csv",
                                         encoding="utf-8-sig"))
