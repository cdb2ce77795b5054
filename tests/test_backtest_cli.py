"""`carefacility backtest`, `cf.backtest` and the back-test in `carefacility run`'s folder."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
from click.testing import CliRunner

import carefacility as cf
from carefacility.cli import main
from carefacility.targets.backtest import BACKTEST_COLUMNS

ROOT = Path(__file__).resolve().parents[1]

OBSERVED = """\
observed:
  - {year: 2020, basis: resident, metric: total, value: 9900, source: "census <b>day</b>"}
  - {year: 2022, basis: resident, metric: pop_60plus, value: 1700, source: "a release"}
  - {year: 2023, basis: resident, metric: deaths, value: 80, source: "a communiqué"}
"""


def test_public_face_returns_a_dataframe(write_scenario, minimal: str) -> None:
    assert "backtest" in cf.__all__
    table = cf.backtest(write_scenario(minimal + OBSERVED))
    assert isinstance(table, pd.DataFrame)
    assert list(table.columns) == BACKTEST_COLUMNS
    assert list(table["use"]) == ["calibration", "backtest", "backtest"]
    assert table["projected"].notna().all()
    # a scenario without observations gives an empty table with the same columns
    empty = cf.backtest(write_scenario(minimal, "plain.yaml"))
    assert empty.empty and list(empty.columns) == BACKTEST_COLUMNS


def test_cli_writes_the_table_and_the_chart(write_scenario, minimal: str,
                                            tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = CliRunner().invoke(main, ["backtest", str(write_scenario(minimal + OBSERVED)),
                                       "--out", str(out)])
    assert result.exit_code == 0, result.output
    for name in ("backtest.csv", "backtest_chart.png"):
        assert (out / name).stat().st_size > 0, name
        assert f"wrote {out / name}" in result.output
    assert not (out / "backtest_chart.svg").exists()  # SVG only when asked for
    assert "backtest: 2, mean absolute relative error" in result.output
    raw = (out / "backtest.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    table = pd.read_csv(out / "backtest.csv", encoding="utf-8-sig")
    assert list(table.columns) == BACKTEST_COLUMNS
    assert list(table["year"]) == [2020, 2022, 2023]
    assert table.loc[0, "source"] == "census <b>day</b>"


def test_cli_bad_file_exits_2_and_writes_nothing(write_scenario, minimal: str,
                                                 tmp_path: Path) -> None:
    out = tmp_path / "out"
    bad = OBSERVED.replace("basis: resident, metric: pop_60plus",
                           "basis: registered, metric: pop_60plus")
    path = write_scenario(minimal + bad)
    result = CliRunner().invoke(main, ["backtest", str(path), "--out", str(out)])
    assert result.exit_code == 2
    assert f"{path}:" in result.output and "observed[1].basis" in result.output
    assert "nothing was written" in result.output
    assert not out.exists()
    # no observations at all: bad input too
    result = CliRunner().invoke(main, ["backtest", str(write_scenario(minimal, "plain.yaml")),
                                       "--out", str(out)])
    assert result.exit_code == 2
    assert "no `observed` section" in result.output
    assert not out.exists()


def test_run_folder_and_report_hold_the_back_test(tmp_path: Path) -> None:
    result = cf.run(ROOT / "scenarios" / "xicheng.yaml", replications=1, seed=3,
                    executor="serial")
    assert "backtest" in result.tables
    written = {path.name for path in cf.write_report(result, tmp_path / "run")}
    assert {"backtest.csv", "backtest_chart.png"} <= written
    document = (tmp_path / "run" / "report.html").read_text(encoding="utf-8")
    assert '<section id="backtest">' in document
    # rebuilt from the folder alone (`carefacility report`), the section stays
    from carefacility.report.writer import rebuild_report

    rebuilt = rebuild_report(tmp_path / "run", svg=True)
    assert "backtest_chart.svg" in {path.name for path in rebuilt}
    document = (tmp_path / "run" / "report.html").read_text(encoding="utf-8")
    assert '<section id="backtest">' in document
    assert "calibration" in document
