"""The run's tables as one Excel workbook (``results.xlsx``), one sheet per table.

The first sheet is always ``scorecard`` (empty, with its columns, when the run has no targets),
then the KPIs, the cross-check, care need and demand, the population tables, and any other table
in the order given, and last an ``about`` sheet naming each sheet's CSV file. Every sheet holds
exactly the values of the CSV file of the same name written beside it (dates as ISO text, as in
the CSV), so the workbook and the CSVs never disagree; a table too long for a workbook keeps only
its header row, and ``about`` says so.

Cells are data, never formulas: the workbook holds no formula at all, and a text cell starting
with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return (which Excel could run as a formula)
is stored as text with Excel's quote prefix, its text unchanged (the CSV file writes it with a
leading single quote, see :mod:`carefacility.report.output_folder`). Numbers stay numbers.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import Any

import pandas as pd

__all__ = ["EXCEL_MAX_ROWS", "SCORECARD_COLUMNS", "SHEET_ORDER", "WORKBOOK_MAX_ROWS",
           "sheet_names", "write_workbook"]

SHEET_ORDER = ("scorecard", "kpis", "kpis_by_replication", "analytic_cross_check", "care_need",
               "bed_demand", "elderly_summary", "population", "population_components")
"""Tables in the order they appear in the workbook; others follow in the order given."""

SCORECARD_COLUMNS = ["target", "label", "year", "metric", "comparison", "threshold",
                     "simulated_mean", "ci_low", "ci_high", "status", "shortfall",
                     "shortfall_unit"]
"""Columns of the targets scorecard (:mod:`carefacility.targets.scorecard`)."""

EXCEL_MAX_ROWS = 1_048_576
"""Rows of an Excel sheet, header included."""

WORKBOOK_MAX_ROWS = 200_000
"""Tables longer than this (e.g. the KPIs of hundreds of replications) get a header-only sheet
and a note in ``about`` pointing to their CSV file: writing them would take minutes and make a
workbook too large to open comfortably."""

_INVALID = re.compile(r"[\[\]:*?/\\]")

_ABOUT = {
    "en": {"sheet": "sheet", "csv": "CSV file", "rows": "rows", "note": "note",
           "too_many": "too many rows for this workbook (only the header is here): use the "
                       "CSV file",
           "no_targets": "no targets in this run"},
    "zh": {"sheet": "工作表", "csv": "CSV文件", "rows": "行数", "note": "说明",
           "too_many": "行数过多，此处仅有表头，请使用CSV文件",
           "no_targets": "本次运行没有规划目标"},
}


def sheet_names(tables: list[str]) -> dict[str, str]:
    """Excel sheet name of each table: at most 31 characters, no ``[]:*?/\\``, unique."""
    names: dict[str, str] = {}
    used: set[str] = set()
    for table in tables:
        base = _INVALID.sub("_", table)[:31] or "sheet"
        name, number = base, 2
        while name.lower() in used:
            suffix = f"~{number}"
            name, number = base[: 31 - len(suffix)] + suffix, number + 1
        used.add(name.lower())
        names[table] = name
    return names


def _ordered(tables: dict[str, pd.DataFrame]) -> dict[str, pd.DataFrame]:
    first = {name: tables[name] for name in SHEET_ORDER if name in tables}
    return first | {name: frame for name, frame in tables.items() if name not in first}


def _as_in_csv(frame: pd.DataFrame) -> pd.DataFrame:
    """Dates and times as the ISO text the CSV holds; everything else unchanged."""
    out = frame.copy()
    for column in out.columns:
        values = out[column]
        if pd.api.types.is_datetime64_any_dtype(values):
            out[column] = values.astype(str).where(values.notna())
        elif values.dtype == object and values.map(
                lambda v: isinstance(v, dt.date | dt.time)).any():
            out[column] = values.map(lambda v: v.isoformat() if isinstance(
                v, dt.date | dt.time) else v)
    return out


def write_workbook(tables: dict[str, pd.DataFrame], path: Path, *, lang: str = "en",
                   max_rows: int = WORKBOOK_MAX_ROWS) -> list[str]:
    """Write ``tables`` to the workbook ``path``, one sheet each, ``scorecard`` first.

    Parameters
    ----------
    tables : dict of str to pandas.DataFrame
        Tables by name; the name is the stem of the CSV file holding the same table (``kpis``
        for ``kpis.csv``).
    path : pathlib.Path
        The ``.xlsx`` file to write.
    lang : {"en", "zh"}
        Language of the ``about`` sheet (sheet names stay as the CSV names).
    max_rows : int
        Longer tables get only their header row and a note in ``about`` (at most
        :data:`EXCEL_MAX_ROWS` − 1 fit in a sheet at all).

    Returns
    -------
    list of str
        The sheet names, in order.
    """
    text = _ABOUT.get(lang, _ABOUT["en"])
    tables = dict(tables)
    notes: dict[str, str] = {}
    if "scorecard" not in tables:
        tables["scorecard"] = pd.DataFrame(columns=SCORECARD_COLUMNS)
        notes["scorecard"] = text["no_targets"]
    tables = _ordered(tables)
    names = sheet_names([*tables, "about"])
    about_rows = []
    with pd.ExcelWriter(path, engine="openpyxl") as writer:
        for table, frame in tables.items():
            sheet = names[table]
            if len(frame) > min(max_rows, EXCEL_MAX_ROWS - 1):
                notes[table] = text["too_many"]
                frame = frame.head(0)
            shown = _as_in_csv(frame)
            shown.to_excel(writer, sheet_name=sheet, index=False)
            _text_not_formulas(writer.sheets[sheet], shown)
            _tidy_sheet(writer.sheets[sheet], frame)
            about_rows.append({text["sheet"]: sheet, text["csv"]: f"{table}.csv",
                               text["rows"]: len(tables[table]),
                               text["note"]: notes.get(table, "")})
        about = pd.DataFrame(about_rows)
        about.to_excel(writer, sheet_name=names["about"], index=False)
        _text_not_formulas(writer.sheets[names["about"]], about)
        _tidy_sheet(writer.sheets[names["about"]], about)
    return list(names.values())


_FORMULA_LIKE = re.compile(r"^[=+\-@\t\r]")


def _as_text(cell: Any) -> None:
    """Store ``cell`` as text that Excel never evaluates (not as a formula, quote prefix)."""
    cell.data_type = "s"
    cell.quotePrefix = True


def _text_not_formulas(sheet: Any, frame: pd.DataFrame) -> None:
    """Make every formula-like text of ``frame``, written to ``sheet`` from cell A1 with its
    header row, a text cell (openpyxl would store a text starting with ``=`` as a formula)."""
    for index, column in enumerate(frame.columns, start=1):
        if isinstance(column, str) and _FORMULA_LIKE.match(column):
            _as_text(sheet.cell(row=1, column=index))
        values = frame.iloc[:, index - 1]
        if pd.api.types.is_numeric_dtype(values.dtype) or pd.api.types.is_bool_dtype(
                values.dtype):
            continue
        hits = values.map(lambda v: isinstance(v, str) and _FORMULA_LIKE.match(v) is not None)
        for row in hits.to_numpy(dtype=bool).nonzero()[0]:
            _as_text(sheet.cell(row=int(row) + 2, column=index))


def _tidy_sheet(sheet: Any, frame: pd.DataFrame) -> None:
    """Freeze the header row and size the columns to their content."""
    from openpyxl.utils import get_column_letter

    sheet.freeze_panes = "A2"
    sample = frame.head(200)
    for index, column in enumerate(frame.columns, start=1):
        lengths = [len(str(column))] + [len(str(v)) for v in sample[column].tolist()]
        sheet.column_dimensions[get_column_letter(index)].width = min(48, max(lengths) + 2)
