"""The run's tables as one Excel workbook (``results.xlsx``), one sheet per table.

The first sheet is always ``scorecard`` (empty, with its columns, when the run has no targets),
then the KPIs, the cross-check, care need and demand, the population tables, and any other table
in the order given, and last an ``about`` sheet naming each sheet's CSV file. Every sheet holds
exactly the values of the CSV file of the same name written beside it (dates as ISO text, as in
the CSV), so the workbook and the CSVs never disagree; a table too long for a workbook keeps only
its header row, and ``about`` says so. A table left out on request (the KPIs of every
replication, unless asked for: :func:`carefacility.report.writer.write_report_files`) has no
sheet, and ``about`` says it is in its CSV file only.

Cells are data, never formulas: the workbook holds no formula at all, and a text cell starting
with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return (which Excel could run as a formula)
is stored as text with Excel's quote prefix, its text unchanged (the CSV file writes it with a
leading single quote, see :mod:`carefacility.report.output_folder`). Numbers stay numbers.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Collection
from pathlib import Path
from typing import Any

import numpy as np
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
           "csv_only": "not in this workbook: the table is in its CSV file only",
           "no_targets": "no targets in this run"},
    "zh": {"sheet": "工作表", "csv": "CSV文件", "rows": "行数", "note": "说明",
           "too_many": "行数过多，此处仅有表头，请使用CSV文件",
           "csv_only": "此表未收入本工作簿，仅见于CSV文件",
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
                   max_rows: int = WORKBOOK_MAX_ROWS,
                   csv_only: Collection[str] = ()) -> list[str]:
    """Write ``tables`` to the workbook ``path``, one sheet each, ``scorecard`` first.

    The workbook is written in openpyxl's write-only mode, row by row: about 40 % faster than
    :meth:`pandas.DataFrame.to_excel` for a district's tables, the same cells
    (``benchmarks/bench_report.py``).

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
    csv_only : collection of str
        Tables left out of the workbook (e.g. ``kpis_by_replication``): no sheet, and a row in
        ``about`` saying the table is in its CSV file only.

    Returns
    -------
    list of str
        The sheet names, in order.
    """
    from openpyxl import Workbook

    text = _ABOUT.get(lang, _ABOUT["en"])
    tables = dict(tables)
    notes: dict[str, str] = {}
    if "scorecard" not in tables:
        tables["scorecard"] = pd.DataFrame(columns=SCORECARD_COLUMNS)
        notes["scorecard"] = text["no_targets"]
    tables = _ordered(tables)
    names = sheet_names([*(table for table in tables if table not in csv_only), "about"])
    workbook = Workbook(write_only=True)
    about_rows = []
    for table, frame in tables.items():
        sheet = names.get(table, "")
        if table in csv_only:
            notes[table] = text["csv_only"]
        else:
            if len(frame) > min(max_rows, EXCEL_MAX_ROWS - 1):
                notes[table] = text["too_many"]
                frame = frame.head(0)
            _write_sheet(workbook, sheet, frame)
        about_rows.append({text["sheet"]: sheet, text["csv"]: f"{table}.csv",
                           text["rows"]: len(tables[table]),
                           text["note"]: notes.get(table, "")})
    _write_sheet(workbook, names["about"], pd.DataFrame(about_rows))
    workbook.save(path)
    return list(names.values())


_FORMULA_LIKE = re.compile(r"^[=+\-@\t\r]")


def _write_sheet(workbook: Any, name: str, frame: pd.DataFrame) -> None:
    """Append the sheet ``name`` holding ``frame`` (header row, then one row a record) to a
    write-only workbook: values as in the CSV file, header row frozen, columns sized."""
    sheet = workbook.create_sheet(name)
    sheet.freeze_panes = "A2"
    _size_columns(sheet, frame)  # a write-only sheet takes its layout before any row
    shown = _as_in_csv(frame)
    sheet.append(_row_cells(sheet, [_cell_value(column) for column in shown.columns]))
    columns = [_column_cells(sheet, shown.iloc[:, index]) for index in range(shown.shape[1])]
    for row in zip(*columns, strict=True):
        sheet.append(row)


def _text_cell(sheet: Any, value: str) -> Any:
    """A cell holding ``value`` as text that Excel never evaluates (not as a formula, quote
    prefix), for a text starting with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return."""
    from openpyxl.cell import WriteOnlyCell

    cell = WriteOnlyCell(sheet, value=value)
    cell.data_type = "s"
    cell.quotePrefix = True
    return cell


def _cell_value(value: Any) -> Any:
    """A table's value as the workbook holds it (as :meth:`pandas.DataFrame.to_excel` writes
    it): missing values as empty cells, infinities as the text ``inf``/``-inf``, numpy numbers
    as Python numbers, texts unchanged, anything else as its text."""
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, str):
        return value
    if isinstance(value, bool | np.bool_):
        return bool(value)
    if isinstance(value, int | np.integer):
        return int(value)
    if isinstance(value, float | np.floating):
        if math.isnan(value):
            return None
        return ("inf" if value > 0 else "-inf") if math.isinf(value) else float(value)
    return str(value)


def _column_cells(sheet: Any, values: pd.Series) -> list[Any]:
    """The cells of one column below its header: plain values, and a text cell with Excel's
    quote prefix for each formula-like text."""
    dtype = values.dtype
    if isinstance(dtype, np.dtype) and dtype.kind in "biu":
        return values.tolist()  # numpy bools and integers: never missing
    if isinstance(dtype, np.dtype) and dtype.kind == "f":
        numbers = values.to_numpy()
        cells = numbers.tolist()
        for index in np.flatnonzero(~np.isfinite(numbers)):
            cells[index] = _cell_value(numbers[index])
        return cells
    return _row_cells(sheet, [_cell_value(value) for value in values.to_numpy(dtype=object)])


def _row_cells(sheet: Any, values: list[Any]) -> list[Any]:
    """``values`` with each formula-like text made a text cell (:func:`_text_cell`)."""
    for index, value in enumerate(values):
        if isinstance(value, str) and _FORMULA_LIKE.match(value):
            values[index] = _text_cell(sheet, value)
    return values


def _size_columns(sheet: Any, frame: pd.DataFrame) -> None:
    """Size the columns to their content (header and first 200 rows, at most 48 wide)."""
    from openpyxl.utils import get_column_letter

    sample = frame.head(200)
    for index, column in enumerate(frame.columns, start=1):
        lengths = [len(str(column))] + [len(str(v)) for v in sample.iloc[:, index - 1].tolist()]
        sheet.column_dimensions[get_column_letter(index)].width = min(48, max(lengths) + 2)
