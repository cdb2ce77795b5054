"""`carefacility report` on a damaged folder: one line naming the file and what is wrong (a
DamagedFolderError, exit code 2 on the command line), never a traceback, and the folder is left
exactly as it was."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

from carefacility.cli import main
from carefacility.report.output_folder import (
    MANIFEST,
    DamagedFolderError,
    OutputFolderError,
)
from carefacility.report.writer import CONTEXT_FILE, read_run_folder, rebuild_report, write_report
from carefacility.runner.results import RunResult


def _result() -> RunResult:
    kpis = pd.DataFrame({"year": [2021, 2022, 2021, 2022],
                         "metric": ["beds", "beds", "wait_mean_days", "wait_mean_days"],
                         "mean": [10.0, 12.0, 3.0, 4.0], "ci_low": [9.0, 11.0, 2.0, 3.0],
                         "ci_high": [11.0, 13.0, 4.0, 5.0], "unit": ["beds", "beds", "days",
                                                                     "days"],
                         "replications": 2})
    per_replication = pd.DataFrame({"replication": [0, 1], "year": [2021, 2021],
                                    "metric": ["beds", "beds"], "value": [9.5, 10.5],
                                    "unit": ["beds", "beds"]})
    scorecard = pd.DataFrame({
        "target": ["beds"], "label": ["Beds ≥ 10"], "year": [2021], "metric": ["beds"],
        "comparison": [">="], "threshold": [10.0], "simulated_mean": [10.0],
        "ci_low": [9.0], "ci_high": [11.0], "status": ["at_risk"], "shortfall": [0.0],
        "shortfall_unit": ["beds"]})
    return RunResult(per_replication=per_replication, kpis=kpis,
                     metadata={"scenario": "small", "seed": 3, "replications": 2},
                     tables={"scorecard": scorecard})


@pytest.fixture(scope="module")
def written(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("damaged") / "run"
    write_report(_result(), out, summary={"name": "small", "zones": ["a"]},
                 assumptions=["s.yaml:1: ASSUMPTION: none"])
    return out


@pytest.fixture
def folder(written: Path, tmp_path: Path) -> Path:
    """A fresh copy of the written folder, alone in its parent."""
    copy = tmp_path / "parent" / "run"
    copy.mkdir(parents=True)
    for path in written.iterdir():
        (copy / path.name).write_bytes(path.read_bytes())
    return copy


def _state(folder: Path) -> dict[str, str]:
    """Hashes of everything in the folder's parent (a staging folder would show here)."""
    return {str(p.relative_to(folder.parent)): hashlib.sha256(p.read_bytes()).hexdigest()
            if p.is_file() else "folder" for p in sorted(folder.parent.rglob("*"))}


def _write(name: str, content: str | bytes) -> Callable[[Path], None]:
    def damage(folder: Path) -> None:
        path = folder / name
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
    return damage


def _remove(name: str) -> Callable[[Path], None]:
    return lambda folder: (folder / name).unlink()


DAMAGES = {
    "kpis missing columns": (_write("kpis.csv", "year,metric\n2021,beds\n"),
                             r"kpis\.csv: the columns mean, ci_low, ci_high are missing"),
    "kpis garbage bytes": (_write("kpis.csv", b"\x89PNG\r\n\x1a\n\x00\xff\xfe garbage"),
                           r"kpis\.csv: not UTF-8 text"),
    "kpis garbage text": (_write("kpis.csv", "Lorem ipsum dolor sit amet\n\n"),
                          r"kpis\.csv: the columns year, metric, mean, ci_low, ci_high"),
    "kpis ragged rows": (_write("kpis.csv", "year,metric,mean,ci_low,ci_high\n"
                                            "2021,beds,1,2,3,4,5,6\n"),
                         r"kpis\.csv: not a readable CSV table \(a row has more fields"),
    "kpis text in numbers": (_write("kpis.csv", "year,metric,mean,ci_low,ci_high\n"
                                                "2021,beds,1.0,0.5,1.5\n2022,beds,many,0,2\n"),
                             r"kpis\.csv: column mean holds text where numbers belong \(row 3"),
    "kpis blank year": (_write("kpis.csv", "year,metric,mean,ci_low,ci_high\n"
                                           ",beds,1.0,0.5,1.5\n"),
                        r"kpis\.csv: column year has a blank"),
    "kpis header only": (_write("kpis.csv", "year,metric,mean,ci_low,ci_high,unit\n"),
                         r"kpis\.csv: the table has no rows"),
    "kpis empty file": (_write("kpis.csv", b""), r"kpis\.csv: the file is empty"),
    "kpis missing": (_remove("kpis.csv"), "no kpis.csv here"),
    "scorecard empty file": (_write("scorecard.csv", b""), r"scorecard\.csv: the file is empty"),
    "scorecard missing columns": (_write("scorecard.csv", "target,label\nbeds,Beds\n"),
                                  r"scorecard\.csv: the columns year, metric"),
    "per replication not utf8": (_write("kpis_by_replication.csv", "replication,year\n1,é\n"
                                        .encode("latin-1")),
                                 r"kpis_by_replication\.csv: not UTF-8 text"),
    "metadata not json": (_write("run_metadata.json", '{"seed": 3,'),
                          r"run_metadata\.json: not valid JSON \(Expecting"),
    "metadata a list": (_write("run_metadata.json", "[1, 2]"),
                        r"run_metadata\.json: holds a JSON list"),
    "metadata not utf8": (_write("run_metadata.json", b'{"scenario": "\xff"}'),
                          r"run_metadata\.json: not UTF-8 text"),
    "summary not json": (_write(CONTEXT_FILE, "title: small"),
                         rf"{CONTEXT_FILE}: not valid JSON"),
    "summary wrong kinds": (_write(CONTEXT_FILE, json.dumps(
        {"title": ["x"], "summary": "text", "assumptions": [1, 2]})),
        rf"{CONTEXT_FILE}: title is not a text; summary is not an object; assumptions is not"),
    "summary fields the report cannot use": (_write(CONTEXT_FILE, json.dumps(
        {"title": "small", "summary": {"name": "small", "zones": 5}})),
        r"the stored tables cannot be reported \(TypeError"),
    "manifest not utf8": (_write(MANIFEST, b"kpis.csv\n\xff\xfescorecard.csv"),
                          rf"{MANIFEST}: the list of carefacility's files is not UTF-8"),
}


@pytest.mark.parametrize("case", sorted(DAMAGES))
def test_damaged_folder_is_one_line_and_left_unchanged(folder: Path, case: str) -> None:
    damage, words = DAMAGES[case]
    damage(folder)
    before = _state(folder)
    with pytest.raises(DamagedFolderError, match=words) as caught:
        rebuild_report(folder)
    message = str(caught.value)
    assert "\n" not in message and str(folder) in message
    assert isinstance(caught.value, OutputFolderError)
    assert _state(folder) == before


@pytest.mark.parametrize("case", ["kpis garbage bytes", "metadata a list", "kpis missing",
                                  "summary fields the report cannot use"])
def test_cli_report_of_a_damaged_folder_is_bad_input(folder: Path, case: str) -> None:
    damage, _ = DAMAGES[case]
    damage(folder)
    before = _state(folder)
    outcome = CliRunner().invoke(main, ["report", str(folder)])
    assert outcome.exit_code == 2, outcome.output
    assert "Traceback" not in outcome.output
    assert len(outcome.output.strip().splitlines()) == 1
    assert _state(folder) == before


def test_folder_that_does_not_exist(tmp_path: Path) -> None:
    with pytest.raises(DamagedFolderError, match="no such folder"):
        read_run_folder(tmp_path / "nowhere")


def test_undamaged_folder_still_rebuilds(folder: Path) -> None:
    tables, metadata, context = read_run_folder(folder)
    assert set(tables) == {"scorecard", "kpis", "kpis_by_replication"}
    assert metadata["seed"] == 3 and context["title"] == "small"
    written = rebuild_report(folder)
    assert {p.name for p in written} >= {"report.html", "results.xlsx"}


def test_optional_files_may_be_missing(folder: Path) -> None:
    for name in ("run_metadata.json", CONTEXT_FILE, "scorecard.csv", "kpis_by_replication.csv"):
        (folder / name).unlink()
    rebuild_report(folder)
    html = (folder / "report.html").read_text(encoding="utf-8")
    assert "<title>run — " in html  # no title stored: the folder's name
