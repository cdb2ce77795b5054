"""``carefacility init``: the starting scenario validates at once, says its sources, and the
tables it names ship with the package."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from click.testing import CliRunner

from carefacility.cli import main
from carefacility.scenario.loader import load_scenario
from carefacility.scenario.template import (
    NATIONAL_TABLES,
    TemplateOptions,
    render_template,
    write_template,
)

REPO = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("options", [
    TemplateOptions(name="某某区", total_population=450_000, share_60plus=0.26),
    TemplateOptions(name="East county", total_population=120_000, share_60plus=0.31,
                    basis="resident", base_date=dt.date(2020, 11, 1), horizon_year=2030,
                    beds=0, nursing_share=0.0, zones=("东街道", "西街道", "南镇"),
                    services=False, targets=False),
    TemplateOptions(name="Big city", total_population=20_000_000, share_60plus=0.2,
                    beds=150_000, nursing_share=1.0, zones=("a", "b")),
])
def test_the_template_validates_and_keeps_the_options(tmp_path: Path,
                                                      options: TemplateOptions) -> None:
    written = write_template(tmp_path / "place", options)
    scenario = load_scenario(written[0])
    assert scenario.name == options.name
    assert scenario.spec.population.basis == options.basis
    assert scenario.spec.population.horizon_year == options.horizon_year
    assert int(scenario.plan.initial_capacity.sum()) == options.beds
    assert int(scenario.plan.initial_capacity[:, 1].sum()) == round(options.beds
                                                                   * options.nursing_share)
    zones = options.zones or ("all",)
    assert tuple(scenario.plan.zones) == zones
    assert (scenario.spec.services is not None) == options.services
    assert bool(scenario.spec.targets) == options.targets
    # the base population is the national structure scaled to the total, 60+ share matched
    table = scenario.population.base_population
    total = float(table.values.sum())
    assert total == pytest.approx(options.total_population, rel=1e-9)
    old = [index for index, group in enumerate(table.age_groups)
           if int(group.rstrip("+").split("-")[0]) >= 60]
    assert float(table.values[..., old].sum()) / total == pytest.approx(options.share_60plus,
                                                                         abs=1e-9)


def test_every_value_says_its_source_or_assumption() -> None:
    text = render_template(TemplateOptions(name="x", total_population=10_000,
                                           share_60plus=0.2, zones=("a",)))
    for needed in ("ASSUMPTION", "REPLACE", "WPP 2024", "7th census"):
        assert needed in text
    assert "national" in text and "汪斌" in text


def test_the_shipped_tables_are_the_examples_tables() -> None:
    for name in NATIONAL_TABLES:
        shipped = REPO / "carefacility" / "data" / "national" / name
        assert shipped.read_bytes() == (REPO / "scenarios" / "data" / name).read_bytes()


def test_census_csv_is_copied_and_used(tmp_path: Path) -> None:
    census = REPO / "scenarios" / "data" / "jiading_census2020.csv"
    written = write_template(tmp_path / "place", TemplateOptions(
        name="Jiading again", total_population=0, share_60plus=0.0, basis="resident",
        base_date=dt.date(2020, 11, 1), census_csv=census))
    assert (tmp_path / "place" / "data" / "census.csv").read_bytes() == census.read_bytes()
    assert not (tmp_path / "place" / "data" / NATIONAL_TABLES[0]).exists()
    scenario = load_scenario(written[0])
    assert float(scenario.population.base_population.values.sum()) > 1_000_000


def test_bad_options_are_all_reported_and_nothing_is_written(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, [
        "init", str(tmp_path / "place"), "--name", "x", "--total-population", "5",
        "--share-60plus", "26", "--horizon-year", "2020", "--zones", "a,a",
        "--nursing-share", "1.5"])
    assert result.exit_code == 2
    for option in ("--total-population: 5", "--share-60plus: 26.0", "--horizon-year: 2020",
                   "--zones: 'a,a'", "--nursing-share: 1.5"):
        assert option in result.output
    assert not (tmp_path / "place").exists()


def test_missing_totals_are_named(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["init", str(tmp_path / "p"), "--name", "x"])
    assert result.exit_code == 2
    assert "--total-population and --share-60plus: needed" in result.output


def test_init_does_not_overwrite_without_force(tmp_path: Path) -> None:
    arguments = ["init", str(tmp_path / "p"), "--name", "x", "--total-population", "50000",
                 "--share-60plus", "0.2"]
    assert CliRunner().invoke(main, arguments).exit_code == 0
    again = CliRunner().invoke(main, arguments)
    assert again.exit_code == 2 and "exists; use --force" in again.output
    assert CliRunner().invoke(main, [*arguments, "--force"]).exit_code == 0


def test_a_year_outside_the_run_is_one_problem(tmp_path: Path) -> None:
    written = write_template(tmp_path / "p", TemplateOptions(
        name="x", total_population=50_000, share_60plus=0.2))
    result = CliRunner().invoke(main, ["validate", str(written[0]), "--set",
                                       "simulation.years=3"])
    assert result.exit_code == 2
    assert "targets[0].from_year: 2025 is outside the simulated years 2021-2023" in \
        result.output
    assert "before from_year" not in result.output and "1 problem found" in result.output


def test_the_template_runs(tmp_path: Path) -> None:
    arguments = ["init", str(tmp_path / "p"), "--name", "某某区", "--total-population",
                 "300000", "--share-60plus", "0.25", "--zones", "东,西", "--beds", "2000"]
    assert CliRunner().invoke(main, arguments).exit_code == 0
    result = CliRunner().invoke(main, [
        "run", str(tmp_path / "p" / "scenario.yaml"), "--out", str(tmp_path / "out"),
        "--executor", "serial", "-q", "--set", "simulation.replications=2",
        "--set", "simulation.years=6"])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "out" / "scorecard.csv").is_file()
