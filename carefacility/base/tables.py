"""Read the CSV tables a scenario refers to, with every problem located by line and column.

Tables are UTF-8 (a byte-order mark is fine, so files saved by Excel or WPS read as they are),
comma-separated, with one header row. Lines starting with ``#`` are comments — keep the source of
the figures there.

Messages quote at most a table's column names and its short cells (labels and numbers, see
:func:`quote_cell`); a longer cell, or one with other characters, is described by its length
only, so that no content line of a file (``csv: /etc/passwd``) is ever echoed.
"""

from __future__ import annotations

import csv
import io
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from carefacility.base.errors import Problem, did_you_mean

__all__ = ["MAX_TABLE_BYTES", "Table", "quote_cell", "read_table"]

MAX_TABLE_BYTES = 50_000_000
"""Largest CSV table accepted [bytes]."""

_SAFE_CELL = re.compile(r"^[\w .,+\-%()]{0,24}$")
"""Cells quoted in messages: short text of letters (any script), digits and a few signs."""


def quote_cell(text: str) -> str:
    """A table cell as a message shows it: quoted when it is a short label or number
    (``'85+'``, ``'abc'``), otherwise only its length (``a cell of 31 characters``).

    Parameters
    ----------
    text : str
        The cell (or header name) as read.

    Returns
    -------
    str
    """
    if _SAFE_CELL.match(text):
        return repr(text)
    return f"a cell of {len(text)} characters"


@dataclass(frozen=True)
class Table:
    """A CSV table as text cells, with the file position of each row and cell.

    Attributes
    ----------
    file : str
        Path of the CSV file.
    columns : tuple of str
        Header names, stripped.
    rows : tuple of dict
        One ``{column: cell text}`` per data row.
    lines : tuple of int
        1-based line number of each row in the file.
    cell_columns : tuple of dict
        1-based character column of each cell in its line.
    """

    file: str
    columns: tuple[str, ...]
    rows: tuple[dict[str, str], ...]
    lines: tuple[int, ...]
    cell_columns: tuple[dict[str, int], ...]

    def problem(self, row: int, column: str | None, message: str) -> Problem:
        """A problem located at data row ``row`` (0-based) and ``column``.

        Any cell of the row that :func:`quote_cell` would not quote is taken out of
        ``message`` (described by its length), whoever wrote the message.
        """
        line = self.lines[row]
        char = self.cell_columns[row].get(column, 1) if column else 1
        for cell in self.rows[row].values():
            if cell and not _SAFE_CELL.match(cell):
                described = quote_cell(cell)
                message = message.replace(repr(cell), described).replace(f'"{cell}"',
                                                                         described)
                if len(cell) >= 8:
                    message = message.replace(cell, described)
        return Problem(self.file, line, char, column or "(row)", message)

    def number(self, row: int, column: str, problems: list[Problem], *,
               minimum: float | None = None, maximum: float | None = None) -> float:
        """Parse the cell as a finite number within bounds; record a problem and return NaN."""
        text = self.rows[row].get(column, "").strip()
        if text == "":
            problems.append(self.problem(row, column, "empty cell; a number is required"))
            return math.nan
        try:
            value = float(text.replace("_", ""))
        except ValueError:
            problems.append(self.problem(row, column, f"{quote_cell(text)} is not a number"))
            return math.nan
        if not math.isfinite(value):
            problems.append(self.problem(row, column,
                                         f"{quote_cell(text)} is not a finite number"))
            return math.nan
        if minimum is not None and value < minimum:
            problems.append(self.problem(row, column,
                                         f"{value:g} is below the minimum {minimum:g}"))
        if maximum is not None and value > maximum:
            problems.append(self.problem(row, column,
                                         f"{value:g} is above the maximum {maximum:g}"))
        return value


def _cell_columns(raw_line: str, cells: Sequence[str], names: Sequence[str]) -> dict[str, int]:
    """Approximate 1-based start column of each cell (exact for unquoted cells)."""
    columns: dict[str, int] = {}
    position = 1
    search_from = 0
    for name, cell in zip(names, cells, strict=False):
        found = raw_line.find(cell, search_from) if cell else -1
        if found >= 0:
            position = found + 1
            search_from = found + len(cell)
        columns[name] = position
        if found >= 0:
            position = search_from + 2
    return columns


def read_table(path: Path, shown_as: str, *, required: Sequence[str],
               optional: Sequence[str] = ()) -> tuple[Table | None, list[Problem]]:
    """Read a CSV table and check its header.

    Parameters
    ----------
    path : pathlib.Path
        Where the file is.
    shown_as : str
        The path as the user should see it in messages.
    required, optional : sequence of str
        Columns that must / may appear; any other column is a problem.

    Returns
    -------
    (Table or None, list of Problem)
    """
    if not path.is_file():
        return None, [Problem(shown_as, 0, 0, "(file)", "CSV file does not exist")]
    size = path.stat().st_size
    if size > MAX_TABLE_BYTES:
        return None, [Problem(shown_as, 0, 0, "(file)",
                              f"file is {size:,} bytes; at most {MAX_TABLE_BYTES:,} are accepted")]
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError as error:
        return None, [Problem(shown_as, 0, 0, "(file)",
                              f"not UTF-8 text (byte {error.start}); save it as CSV UTF-8")]
    problems: list[Problem] = []
    raw_lines = text.splitlines()
    content = [(number, line) for number, line in enumerate(raw_lines, start=1)
               if line.strip() and not line.lstrip().startswith("#")]
    if not content:
        return None, [Problem(shown_as, 1, 1, "(file)", "no header row and no data")]
    try:
        parsed = [next(csv.reader(io.StringIO(line))) for _, line in content]
    except csv.Error as error:
        return None, [Problem(shown_as, 0, 0, "(file)", f"malformed CSV: {error}")]
    header_line, _ = content[0]
    header = [name.strip() for name in parsed[0]]
    allowed = list(required) + list(optional)
    for index, name in enumerate(header):
        if name not in allowed:
            shown = quote_cell(name)
            field = name if shown == repr(name) and name else f"(column {index + 1})"
            hint = did_you_mean(name, allowed) if shown == repr(name) else ""
            problems.append(Problem(shown_as, header_line, index + 1, field,
                                    f"unknown column {shown}{hint}; "
                                    f"allowed: {', '.join(allowed)}"))
    if len(set(header)) != len(header):
        problems.append(Problem(shown_as, header_line, 1, "(header)", "a column name repeats"))
    for name in required:
        if name not in header:
            problems.append(Problem(shown_as, header_line, 1, name,
                                    f"required column {name!r} is missing; "
                                    f"header must contain {', '.join(required)}"))
    rows: list[dict[str, str]] = []
    lines: list[int] = []
    cell_columns: list[dict[str, int]] = []
    for (number, raw), cells in zip(content[1:], parsed[1:], strict=True):
        if len(cells) != len(header):
            problems.append(Problem(shown_as, number, 1, "(row)",
                                    f"{len(cells)} cells; the header has {len(header)}"))
            continue
        rows.append({name: cell.strip() for name, cell in zip(header, cells, strict=True)})
        lines.append(number)
        cell_columns.append(_cell_columns(raw, cells, header))
    if not rows and not problems:
        problems.append(Problem(shown_as, header_line, 1, "(file)", "the table has no data rows"))
    table = Table(shown_as, tuple(header), tuple(rows), tuple(lines), tuple(cell_columns))
    return table, problems
