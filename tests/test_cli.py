"""The command line: exit codes, messages, and what is (not) written."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
from click.testing import CliRunner

from carefacility.cli import main


def test_validate_ok(scenarios: Path) -> None:
    result = CliRunner().invoke(main, ["validate", str(scenarios / "jiading.yaml")])
    assert result.exit_code == 0
    assert "OK" in result.output


def test_validate_reports_every_problem_and_exits_2(write_scenario, minimal: str) -> None:
    path = write_scenario(minimal.replace("basis: resident", "basis: census")
                          .replace("tfr: 1.1", "tfr: -1"))
    result = CliRunner().invoke(main, ["validate", str(path)])
    assert result.exit_code == 2
    assert f"{path}:3:10: population.basis:" in result.output
    assert "population.fertility.tfr" in result.output
    assert "2 problems found; nothing was written." in result.output
    assert "Traceback" not in result.output


def test_project_bad_input_writes_nothing(write_scenario, minimal: str, tmp_path: Path) -> None:
    path = write_scenario(minimal.replace("horizon_year: 2030", "horizon_year: soon"))
    out = tmp_path / "out"
    result = CliRunner().invoke(main, ["project", str(path), "--out", str(out)])
    assert result.exit_code == 2
    assert "population.horizon_year" in result.output
    assert not out.exists()


def test_project_writes_tables_and_charts(write_scenario, minimal: str, tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = CliRunner().invoke(main, ["project", str(write_scenario(minimal)), "--out", str(out)])
    assert result.exit_code == 0, result.output
    for name in ("population.csv", "elderly_summary.csv", "population_components.csv",
                 "population_pyramid.png", "elderly_population.png"):
        assert (out / name).stat().st_size > 0, name
        assert f"wrote {out / name}" in result.output
    assert not list(out.glob("*.svg"))  # SVG only when asked for
    raw = (out / "elderly_summary.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # BOM: Excel and WPS read UTF-8
    summary = pd.read_csv(out / "elderly_summary.csv", encoding="utf-8-sig")
    assert list(summary.year) == list(range(2020, 2031))
    population = pd.read_csv(out / "population.csv", encoding="utf-8-sig")
    assert set(population.columns) == {"year", "zone", "age", "sex", "population"}
    assert population.age.max() == 100


def test_project_refuses_a_folder_with_other_files(write_scenario, minimal: str,
                                                   tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    (out / "notes.txt").write_text("mine", encoding="utf-8")
    args = ["project", str(write_scenario(minimal)), "--out", str(out)]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 2
    assert "--force" in result.output
    assert sorted(p.name for p in out.iterdir()) == ["notes.txt"]
    assert CliRunner().invoke(main, [*args, "--force"]).exit_code == 0
    assert (out / "notes.txt").read_text(encoding="utf-8") == "mine"
    # notes.txt is still foreign, so a rerun without --force is refused again
    assert CliRunner().invoke(main, args).exit_code == 2
    # while rerunning into a folder holding only carefacility's own outputs needs no --force
    own = ["project", args[1], "--out", str(tmp_path / "own")]
    assert CliRunner().invoke(main, own).exit_code == 0
    assert CliRunner().invoke(main, own).exit_code == 0


def test_schema_is_json() -> None:
    result = CliRunner().invoke(main, ["schema"])
    assert result.exit_code == 0
    assert json.loads(result.output)["title"] == "carefacility scenario"
