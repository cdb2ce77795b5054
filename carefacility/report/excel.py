"""The run's tables as one Excel workbook (``results.xlsx``) for the bureau.

The first sheets are wide grids a planner reads year by year
(:mod:`carefacility.report.workbook_grid`): the ``scorecard`` (targets × years, the simulated
mean coloured met / at risk / missed, then the 95 % confidence intervals), ``kpis_by_year``,
``population_by_year``, ``care_need_by_year`` and ``bed_demand_by_year``, with number formats
(percentages, thousands separators, one decimal for days), frozen panes, units in words, and
Chinese sheet names and headers under ``lang="zh"``. The long tables are in the CSV files
beside the workbook; on request (``long_sheets``) each follows as a sheet holding exactly the
values of its CSV file (dates as ISO text, as in the CSV), and the KPIs of every replication
only when asked for (:func:`carefacility.report.writer.write_report_files`). A table too long
for a workbook keeps only its header row. The last sheet, ``about``, says what each sheet is and
where each table is.

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
           "about_sheet": "about",
           "too_many": "too many rows for this workbook (only the header is here): use the "
                       "CSV file",
           "csv_only": "not in this workbook: the table is in its CSV file only "
                       "(--per-replication-sheet adds it)",
           "long_only": "in its CSV file (long format; --long-sheets adds it here)",
           "no_targets": "no targets in this run",
           "scorecard": "targets × years: simulated mean coloured by status (met, at risk, "
                        "missed at 95 %), then the 95 % confidence intervals",
           "kpis_by_year": "every KPI by year: mean and 95 % confidence interval over "
                           "replications",
           "population_by_year": "the projected population by year",
           "care_need_by_year": "elders by care level and year",
           "bed_demand_by_year": "applicants for a bed by care level and year"},
    "zh": {"sheet": "工作表", "csv": "CSV文件", "rows": "行数", "note": "说明",
           "about_sheet": "说明",
           "too_many": "行数过多，此处仅有表头，请使用CSV文件",
           "csv_only": "此表未收入本工作簿，仅见于CSV文件（--per-replication-sheet 可收入）",
           "long_only": "见CSV文件（长格式；--long-sheets 可收入本工作簿）",
           "no_targets": "本次运行没有规划目标",
           "scorecard": "目标×年份：模拟均值，颜色表示95%置信水平下的评估结果（达标、有风险、"
                        "未达标），其下为95%置信区间",
           "kpis_by_year": "各年度指标：各次模拟的均值与95%置信区间",
           "population_by_year": "各年预测人口",
           "care_need_by_year": "各年各照护等级老年人数",
           "bed_demand_by_year": "各年各照护等级的床位申请人数"},
}

EXTRA_SHEETS = ("kpis_by_replication",)
"""Long tables put in the workbook without ``long_sheets`` when not ``csv_only`` (the
per-replication KPIs, on request)."""


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
                   csv_only: Collection[str] = (), long_sheets: bool = False) -> list[str]:
    """Write the bureau's grids of ``tables`` to the workbook ``path`` (and, on request, the
    long tables), then the ``about`` sheet.

    The first sheets are the grids of :mod:`carefacility.report.workbook_grid`: the
    ``scorecard`` (targets × years, coloured by status), ``kpis_by_year``,
    ``population_by_year``, ``care_need_by_year`` and ``bed_demand_by_year``, with number
    formats, frozen panes, and names and headers in ``lang``. With ``long_sheets`` every table
    follows as its own sheet holding exactly its CSV file's values (the long scorecard as
    ``scorecard_table``); a table not asked for is in its CSV file only, and ``about`` says
    so. The workbook is written in openpyxl's write-only mode, row by row.

    Parameters
    ----------
    tables : dict of str to pandas.DataFrame
        Tables by name; the name is the stem of the CSV file holding the same table (``kpis``
        for ``kpis.csv``).
    path : pathlib.Path
        The ``.xlsx`` file to write.
    lang : {"en", "zh"}
        Language of the grids' sheet names and headers, and of the ``about`` sheet (the long
        tables' sheets keep their CSV names).
    max_rows : int
        Longer tables get only their header row and a note in ``about`` (at most
        :data:`EXCEL_MAX_ROWS` − 1 fit in a sheet at all).
    csv_only : collection of str
        Tables left out of the workbook even with ``long_sheets`` (``kpis_by_replication``
        unless asked for).
    long_sheets : bool
        Add every long table (except ``csv_only``) as a sheet. Without it the long tables are
        in their CSV files only, except ``kpis_by_replication`` when it is not ``csv_only``
        (the per-replication sheet on request).

    Returns
    -------
    list of str
        The sheet names, in order.
    """
    from openpyxl import Workbook

    from carefacility.report.workbook_grid import SHEET_NAMES, bureau_grids

    language = "zh" if lang == "zh" else "en"
    text = _ABOUT[language]
    tables = dict(tables)
    notes: dict[str, str] = {}
    if "scorecard" not in tables:
        tables["scorecard"] = pd.DataFrame(columns=SCORECARD_COLUMNS)
        notes["scorecard"] = text["no_targets"]
    tables = _ordered(tables)
    grids = bureau_grids(tables, language)  # type: ignore[arg-type]
    in_book = [table for table in tables if table not in csv_only
               and (long_sheets or table in EXTRA_SHEETS)]
    renamed = {table: (f"{table}_table" if table in SHEET_NAMES else table)
               for table in in_book}
    names = sheet_names([*(SHEET_NAMES[grid.key][language] for grid in grids),
                         *(renamed[table] for table in in_book), text["about_sheet"]])
    workbook = Workbook(write_only=True)
    about_rows = []
    for grid in grids:
        name = SHEET_NAMES[grid.key][language]
        _write_grid(workbook, names[name], grid)
        about_rows.append({text["sheet"]: names[name], text["csv"]: "",
                           text["rows"]: len(grid.rows), text["note"]: text[grid.key]})
    for table, frame in tables.items():
        sheet = names.get(renamed.get(table, ""), "")
        if table not in in_book:
            notes[table] = text["csv_only"] if table in csv_only else text["long_only"]
        else:
            if len(frame) > min(max_rows, EXCEL_MAX_ROWS - 1):
                notes[table] = text["too_many"]
                frame = frame.head(0)
            _write_sheet(workbook, sheet, frame)
        about_rows.append({text["sheet"]: sheet, text["csv"]: f"{table}.csv",
                           text["rows"]: len(tables[table]),
                           text["note"]: notes.get(table, "")})
    _write_sheet(workbook, names[text["about_sheet"]], pd.DataFrame(about_rows))
    workbook.save(path)
    return list(names.values())


def _write_grid(workbook: Any, name: str, grid: Any) -> None:
    """Append the sheet ``name`` holding a :class:`~carefacility.report.workbook_grid.Grid`:
    its cells with their number formats, fills and bold headers, panes frozen, columns
    sized; formula-like text is stored as text (:func:`_text_cell`)."""
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font, PatternFill
    from openpyxl.utils import get_column_letter

    sheet = workbook.create_sheet(name)
    sheet.freeze_panes = grid.freeze
    for index, width in enumerate(grid.widths, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width
    fills: dict[str, Any] = {}
    bold = Font(bold=True)
    for row in grid.rows:
        cells = []
        for spec in row:
            if spec is None:
                cells.append(None)
                continue
            value = _cell_value(spec.value)
            if isinstance(value, str) and _FORMULA_LIKE.match(value):
                cell = _text_cell(sheet, value)
            else:
                cell = WriteOnlyCell(sheet, value=value)
            if spec.number_format:
                cell.number_format = spec.number_format
            if spec.fill:
                if spec.fill not in fills:
                    fills[spec.fill] = PatternFill("solid", start_color=spec.fill,
                                                   end_color=spec.fill)
                cell.fill = fills[spec.fill]
            if spec.bold:
                cell.font = bold
            cells.append(cell)
        sheet.append(cells)


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
