"""Writing a run's output folder safely: nothing lost, nothing injected.

Publishing is all or nothing
----------------------------
A run's files are written into a staging folder and published only when every file has been
written, so a failed, interrupted or killed run never leaves a half-written file or a folder that
mixes two runs.

*Swap mode* (the usual case). The staging folder is a sibling of the target (same parent, so the
same file system: never the system's temporary folder) named ``.<target>.staging-<pid>-<id>``. When
the block ends, the files of the previous run that this run does not rewrite nor remove
(:meth:`StagedOutput.remove`; and, with ``force``, the other files of the folder) are carried into
it by hard link (a copy where links are not possible), with the manifest (:data:`MANIFEST`) listing
carefacility's files. Then three steps switch the folders: the target is renamed
``.<target>.backup-<pid>-<id>``, the staging folder is renamed to the target, and the backup is
deleted. If the second rename fails, the backup is renamed back: the folder is exactly the previous
run's. The target is missing only between the two renames. The published folder is a new directory:
it gets the old one's permission bits, and belongs to the user who wrote it.

*In-place mode* (the fallback). A target that cannot be renamed — a mount point (detected with
:func:`os.path.ismount`, or when renaming it fails with ``EBUSY`` or ``EXDEV``) or a folder whose
parent is not writable while the folder is — is published file by file: the run is staged in
``<target>/.carefacility-staging-<pid>-<id>`` (inside the target, so on its file system), each
replaced or removed file is first moved into ``<target>/.carefacility-backup-<pid>-<id>`` whose
journal lists the files being switched, and the backup is renamed ``.carefacility-trash-...`` once
every file is in place (the commit). A failure before the commit moves every old file back and
removes the new ones: the folder is again exactly the previous run's.

Leftovers of a killed run are recognised by these names and resolved at the next write to the
same target: staging and trash folders are deleted; a sibling backup is put back when the target
is missing (the kill came between the two renames) and deleted otherwise; an in-place backup is
rolled back from its journal. Folders of a process that is still running are left alone
(``<pid>`` is checked on POSIX); two runs writing one folder at the same time are not supported.

Pre-flight
----------
:func:`check_output_folder` tells before any simulation whether the folder can be written: it
can be created, its parent (or, in-place, the folder itself) is writable, it holds no files
carefacility did not write (unless ``force``), and the free space is at least the estimate
(:func:`estimate_output_bytes`) plus :data:`SPACE_MARGIN_BYTES`. :func:`staged_output` runs the
same check (with no estimate) before staging. A full disk (``ENOSPC``, ``EDQUOT``), a read-only
file system (``EROFS``) or a permission error (``EACCES``, ``EPERM``) met while writing becomes an
:class:`OutputFolderError` with a one-line message; the folder is left as it was.

Cells are data, never formulas
------------------------------
A text cell that starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return could be run
as a formula by a spreadsheet (CSV injection). :func:`write_csv` writes such a cell with one
single quote ``'`` put before it (``=HYPERLINK(...)`` becomes ``'=HYPERLINK(...)``, ``-2+3``
becomes ``'-2+3``), except a lone ``-`` or ``+``, the tables' "no unit" mark, which cannot
compute anything; a text that already starts with quotes followed by one of those characters gets
one more quote, so :func:`restore_formulas` (used when ``carefacility report``
reads the CSV files back) gives back exactly the original text. Numbers, negative ones included,
are never touched. The workbook (:mod:`carefacility.report.excel`) keeps the original text and
stores such cells as text with Excel's quote prefix.
"""

from __future__ import annotations

import contextlib
import csv
import errno
import json
import os
import re
import secrets
import shutil
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:  # pandas is imported when a table is written: the CLI imports this at start
    import pandas as pd

__all__ = [
    "FORMULA_PREFIXES",
    "MANIFEST",
    "SPACE_MARGIN_BYTES",
    "DamagedFolderError",
    "OutputFolderError",
    "StagedOutput",
    "check_output_folder",
    "estimate_output_bytes",
    "neutralise_formulas",
    "neutralise_text",
    "restore_formulas",
    "restore_text",
    "staged_output",
    "write_chart",
    "write_chart_files",
    "write_csv",
]

MANIFEST = ".carefacility-outputs"
"""File inside every output folder listing the files carefacility wrote there."""

SPACE_MARGIN_BYTES = 8 * 2**20
"""Free space asked for beyond the estimate of the outputs [bytes] (8 MiB)."""

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
"""First characters that make a spreadsheet read a text cell as a formula."""

_NEEDS_QUOTE = re.compile(r"^'*[=+\-@\t\r]")
_QUOTED = re.compile(r"^'+[=+\-@\t\r]")
_LONE_SIGNS = ("+", "-")

_INSIDE = re.compile(r"^\.carefacility-(staging|backup|trash)-(?:(\d+)-)?[A-Za-z0-9_]+$")
"""Names of the in-place staging, backup and trash folders inside a target."""

_JOURNAL = "journal.json"
"""File of an in-place backup folder: the names being switched and which of them existed."""

_FIXED_BYTES = 8 * 2**20
_BYTES_PER_KPI_ROW = 256
_BYTES_PER_REPLICATION_ROW = 128
_BYTES_PER_POPULATION_ROW = 64


class OutputFolderError(Exception):
    """The output folder cannot be used as asked (it holds other files, cannot be created or
    written, the disk is full, ...); the message is one line."""


class DamagedFolderError(OutputFolderError):
    """A run folder's stored files cannot be read back (``carefacility report``): the message
    names the file and what is wrong with it."""


# --------------------------------------------------------------------------------------------
# Cells are data, never formulas
# --------------------------------------------------------------------------------------------

def neutralise_text(value: str) -> str:
    """``value`` as a CSV cell that no spreadsheet runs as a formula.

    A text starting with one of :data:`FORMULA_PREFIXES`, possibly after single quotes, gets one
    more single quote in front, except a lone ``-`` or ``+`` (no formula); any other text is
    returned as it is.

    Parameters
    ----------
    value : str

    Returns
    -------
    str

    Examples
    --------
    >>> neutralise_text("=SUM(A1)"), neutralise_text("-2+3"), neutralise_text("a-b")
    ("'=SUM(A1)", "'-2+3", 'a-b')
    """
    return "'" + value if _NEEDS_QUOTE.match(value) and value not in _LONE_SIGNS else value


def restore_text(value: str) -> str:
    """The inverse of :func:`neutralise_text`: drop the quote put before a formula-like text."""
    return value[1:] if _QUOTED.match(value) else value


def _is_text_column(values: pd.Series) -> bool:
    import pandas as pd

    dtype = values.dtype
    return pd.api.types.is_object_dtype(dtype) or isinstance(
        dtype, pd.StringDtype | pd.CategoricalDtype)


def _texts(values: pd.Series) -> list[str]:
    """The distinct texts of a column (few for the tables' repeated names and units)."""
    import pandas as pd

    try:
        distinct = pd.unique(values.to_numpy(dtype=object))
    except TypeError:  # unhashable cells
        distinct = values.to_numpy(dtype=object)
    return [value for value in distinct if isinstance(value, str)]


def _convert_text(frame: pd.DataFrame, convert: Callable[[str], str], first: str
                  ) -> pd.DataFrame:
    """``frame`` with ``convert`` applied to its text cells and column names (only texts
    starting with one of ``first`` can change); the frame itself when that changes nothing.
    Numeric columns are never looked at."""
    out = frame
    for position in range(frame.shape[1]):
        values = frame.iloc[:, position]
        if not _is_text_column(values):
            continue
        changes = {text: convert(text) for text in _texts(values) if text[:1] in first}
        changes = {text: new for text, new in changes.items() if new != text}
        if not changes:
            continue
        cells = values.to_numpy(dtype=object, copy=True)
        for index in values.isin(list(changes)).to_numpy(dtype=bool).nonzero()[0]:
            cells[index] = changes[cells[index]]
        out = frame.copy() if out is frame else out
        out.isetitem(position, cells)
    names = [convert(c) if isinstance(c, str) else c for c in frame.columns]
    if names != list(frame.columns):
        out = out.copy() if out is frame else out
        out.columns = names
    return out


def neutralise_formulas(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with every text cell and column name passed through :func:`neutralise_text`.

    Parameters
    ----------
    frame : pandas.DataFrame

    Returns
    -------
    pandas.DataFrame
        A copy when anything changed, else ``frame`` itself; numeric columns unchanged.
    """
    return _convert_text(frame, neutralise_text, "'=+-@\t\r")


def restore_formulas(frame: pd.DataFrame) -> pd.DataFrame:
    """The inverse of :func:`neutralise_formulas` (for tables read back from CSV files)."""
    return _convert_text(frame, restore_text, "'")


def _has_carriage_return(frame: pd.DataFrame) -> bool:
    return any(isinstance(c, str) and "\r" in c for c in frame.columns) or any(
        "\r" in text for position in range(frame.shape[1])
        if _is_text_column(frame.iloc[:, position]) for text in _texts(frame.iloc[:, position]))


def write_chart_files(out: StagedOutput, stem: str, png: bytes, svg: bytes | None
                      ) -> list[str]:
    """Write ``stem.png`` and, when given, ``stem.svg`` into a staging folder; without an SVG,
    one that an earlier write left in the folder is removed with the publication (it would
    show another run). Returns the file names written."""
    out.path(f"{stem}.png").write_bytes(png)
    if svg is None:
        out.remove(f"{stem}.svg")
        return [f"{stem}.png"]
    out.path(f"{stem}.svg").write_bytes(svg)
    return [f"{stem}.png", f"{stem}.svg"]


def write_chart(out: StagedOutput, stem: str, ax: Any, *, svg: bool = False) -> list[str]:
    """Save the chart of ``ax`` into a staging folder (:func:`write_chart_files` of
    :func:`carefacility.report.plots.figure_images`). Returns the file names written."""
    from carefacility.report import plots

    return write_chart_files(out, stem, *plots.figure_images(ax, svg=svg))


def write_csv(frame: pd.DataFrame, path: Path) -> None:
    """Write a table as UTF-8 with a byte-order mark, so Excel and WPS open it correctly.

    Text cells that a spreadsheet would run as formulas are written with a leading single quote
    (:func:`neutralise_formulas`); :func:`restore_formulas` undoes it. Rows end with ``\n``; a
    table with a carriage return inside a text has all its texts quoted (the CSV writer would
    leave that one unquoted, breaking the row).
    """
    frame = neutralise_formulas(frame)
    quoting = csv.QUOTE_NONNUMERIC if _has_carriage_return(frame) else csv.QUOTE_MINIMAL
    frame.to_csv(path, index=False, encoding="utf-8-sig", lineterminator="\n", quoting=quoting)


# --------------------------------------------------------------------------------------------
# Pre-flight
# --------------------------------------------------------------------------------------------

def estimate_output_bytes(n_years: int, n_metrics: int = 200, n_replications: int = 1, *,
                          population_rows: int = 0) -> int:
    """A generous estimate of the size of a run's output folder [bytes].

    The rule: 8 MiB for the charts (PNG, and SVG when asked), ``report.html`` and the small files,
    plus 256 bytes for each KPI row (``n_years × n_metrics``: ``kpis.csv``, its sheet, its rows in
    the report and the other per-metric tables), 128 bytes for each row of ``kpis_by_replication``
    (``n_years × n_metrics × n_replications``, CSV and sheet) and 64 bytes for each population row
    (CSV and sheet). A run of Xicheng (15 years, 79 metrics, 2 replications, 3,232 population rows)
    writes 2.9 MB, estimated at 9.0 MB.

    Parameters
    ----------
    n_years : int
        Simulated years.
    n_metrics : int
        KPIs a year (the metric count is known only after the run; 200 is generous for a
        scenario with a few zones).
    n_replications : int
        Replications (with ``--until-decided``, the cap).
    population_rows : int
        Rows of ``population.csv``: projected years × zones × 101 ages × 2 sexes; 0 without a
        projection.

    Returns
    -------
    int
    """
    kpi_rows = max(0, n_years) * max(0, n_metrics)
    return (_FIXED_BYTES + kpi_rows * _BYTES_PER_KPI_ROW
            + kpi_rows * max(0, n_replications) * _BYTES_PER_REPLICATION_ROW
            + max(0, population_rows) * _BYTES_PER_POPULATION_ROW)


def _megabytes(size: float) -> str:
    return f"{size / 1e6:,.1f} MB"


def _nearest_existing(path: Path) -> Path:
    path = Path(os.path.abspath(path))
    while not path.exists() and path != path.parent:
        path = path.parent
    return path


def _real(target: Path) -> Path:
    """The folder to rename: a symbolic link to a folder is followed (the link stays)."""
    return Path(os.path.realpath(target)) if target.is_symlink() else Path(
        os.path.abspath(target))


def _writable(path: Path) -> bool:
    return os.access(path, os.W_OK | os.X_OK)


def _read_manifest(folder: Path) -> set[str]:
    """Names listed in ``folder``'s manifest (empty without one)."""
    manifest = folder / MANIFEST
    if not manifest.is_file():
        return set()
    try:
        text = manifest.read_bytes().decode("utf-8")
    except UnicodeDecodeError as error:
        raise OutputFolderError(
            f"{manifest}: the list of carefacility's files is not UTF-8 text (byte "
            f"{error.start}); delete it and pass --force, or choose another folder") from error
    except OSError as error:
        raise OutputFolderError(f"{manifest}: cannot be read ({error.strerror})") from error
    return {name for name in text.split("\n") if name}


def _journal_names(folder: Path) -> set[str]:
    """Names that leftover in-place backups of ``folder`` were switching (not foreign)."""
    names: set[str] = set()
    for entry in _entries(folder):
        found = _INSIDE.match(entry.name)
        if found and found.group(1) == "backup":
            with contextlib.suppress(OSError, ValueError, TypeError):
                names |= set(json.loads((entry / _JOURNAL).read_text(encoding="utf-8"))["names"])
    return names


def _entries(folder: Path) -> list[Path]:
    try:
        return sorted(folder.iterdir())
    except OSError:
        return []


def _foreign_files(target: Path, *, force: bool = False) -> list[str]:
    """Entries of ``target`` that carefacility did not write (a damaged manifest is an error
    unless ``force``, which treats every entry as foreign)."""
    if not target.is_dir():
        return []
    try:
        ours = _read_manifest(target)
    except OutputFolderError:
        if not force:
            raise
        ours = set()
    ours |= {MANIFEST} | _journal_names(target)
    return sorted(p.name for p in _entries(target)
                  if p.name not in ours and not _INSIDE.match(p.name))


Mode = Literal["swap", "in_place"]


def _mode(target: Path, real: Path) -> Mode:
    """How ``target`` can be published, or an :class:`OutputFolderError` saying why it cannot
    be written at all."""
    if not real.exists():
        ancestor = _nearest_existing(real.parent)
        if not ancestor.is_dir():
            raise OutputFolderError(f"{target}: cannot create the folder: {ancestor} is a file")
        if not _writable(ancestor):
            raise OutputFolderError(
                f"{target}: cannot create the folder: {ancestor} is not writable")
        return "swap"
    if not os.path.ismount(real) and _writable(real.parent):
        return "swap"
    if not _writable(real):
        raise OutputFolderError(f"{target}: the folder is not writable")
    return "in_place"


def check_output_folder(target: str | Path, *, force: bool = False,
                        estimated_bytes: int = 0) -> None:
    """Check, before any simulation, that a run's outputs can be written into ``target``.

    Parameters
    ----------
    target : str or pathlib.Path
        The output folder (it need not exist).
    force : bool
        Allow a folder holding files carefacility did not write there.
    estimated_bytes : int
        Expected size of the outputs (:func:`estimate_output_bytes`); the device must have this
        much free space plus :data:`SPACE_MARGIN_BYTES`.

    Raises
    ------
    OutputFolderError
        With a one-line message, if ``target`` is a file, cannot be created (an ancestor is a
        file or is not writable), is not writable (neither its parent, to switch folders, nor
        itself, to switch files), holds other files and ``force`` is false, its manifest is not
        UTF-8 text (unless ``force``), or the free space is too small.
    """
    target = Path(target)
    real = _real(target)
    if real.exists() and not real.is_dir():
        raise OutputFolderError(f"{target}: exists and is not a folder")
    foreign = _foreign_files(real, force=force)
    if foreign and not force:
        shown = ", ".join(foreign[:5]) + (" ..." if len(foreign) > 5 else "")
        raise OutputFolderError(
            f"{target}: the folder holds files carefacility did not write ({shown}); "
            "choose an empty or new folder, or pass --force to write into it anyway")
    _mode(target, real)
    try:
        free = shutil.disk_usage(_nearest_existing(real)).free
    except OSError:  # no statvfs here: the writes will tell
        return
    needed = max(0, int(estimated_bytes)) + SPACE_MARGIN_BYTES
    if free < needed:
        raise OutputFolderError(
            f"{target}: not enough free space: {_megabytes(free)} free, {_megabytes(needed)} "
            f"needed ({_megabytes(max(0, int(estimated_bytes)))} of outputs and a "
            f"{_megabytes(SPACE_MARGIN_BYTES)} margin)")


# --------------------------------------------------------------------------------------------
# Staging and publishing
# --------------------------------------------------------------------------------------------

class StagedOutput:
    """A staging folder whose files replace the target's files on success.

    Attributes
    ----------
    staging : pathlib.Path
        Where the run's files are written.
    target : pathlib.Path
        The output folder, as given.
    removed : set of str
        Files of the target to remove on success (:meth:`remove`).
    """

    def __init__(self, staging: Path, target: Path):
        self.staging = staging
        self.target = target
        self.removed: set[str] = set()

    def path(self, name: str) -> Path:
        """Where to write the output file ``name`` while staging."""
        return self.staging / name

    def remove(self, name: str) -> None:
        """Remove the target's file ``name`` with the publication (in the same switch: a
        failure keeps it) if carefacility wrote it (the manifest lists it) and this run does
        not write it again; e.g. the SVG of a chart now written as PNG only, which would
        otherwise show an earlier run. Files carefacility did not write are never removed."""
        self.removed.add(name)

    def final_path(self, name: str) -> Path:
        """Where ``name`` will be after the run succeeds."""
        return self.target / name


def _sibling_pattern(name: str) -> re.Pattern[str]:
    return re.compile(rf"^\.{re.escape(name)}\.(staging|backup)-(?:(\d+)-)?[A-Za-z0-9_]+$")


def _alive(pid: str | None) -> bool:
    """Whether the process that made a leftover is still running (never for this process,
    whose own leftovers are stale; unknown, so stale, off POSIX)."""
    if not pid or int(pid) == os.getpid() or os.name != "posix":
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    except (OSError, OverflowError):
        return False
    return True


def _remove(path: Path) -> None:
    """Delete a file, link or folder; raises :class:`OSError` when it cannot."""
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path)
    elif os.path.lexists(path):
        os.remove(path)


def _discard(path: Path) -> None:
    """Delete ``path`` if possible (clean-up after a failure: never raises)."""
    with contextlib.suppress(OSError):
        _remove(path)


def _new_folder(parent: Path, prefix: str) -> Path:
    """Create a new empty folder ``parent/<prefix><random>`` (default permissions)."""
    while True:
        path = parent / f"{prefix}{secrets.token_hex(6)}"
        try:
            os.mkdir(path)
        except FileExistsError:
            continue
        return path


def _new_name(parent: Path, prefix: str) -> Path:
    while True:
        path = parent / f"{prefix}{secrets.token_hex(6)}"
        if not os.path.lexists(path):
            return path


def _roll_back_in_place(real: Path, backup: Path) -> None:
    """Put back the files an in-place switch moved into ``backup`` and remove the new files
    it placed, using the backup's journal; then delete the backup. Raises :class:`OSError`."""
    try:
        journal = json.loads((backup / _JOURNAL).read_text(encoding="utf-8"))
        names, existed = list(journal["names"]), set(journal["existed"])
    except (OSError, ValueError, TypeError, KeyError):
        # written before any file moved: without it, nothing but old files can be here
        names = [p.name for p in _entries(backup) if p.name != _JOURNAL]
        existed = set(names)
    for name in names:
        if os.path.lexists(backup / name):
            if (real / name).is_dir() and not (real / name).is_symlink():
                shutil.rmtree(real / name)
            os.replace(backup / name, real / name)
        elif name not in existed and os.path.lexists(real / name):
            _remove(real / name)
    shutil.rmtree(backup)


def _recover(target: Path, real: Path) -> None:
    """Resolve the leftovers of interrupted writes to ``target`` (see the module's text)."""
    try:
        pattern = _sibling_pattern(real.name)
        backups = []
        for entry in _entries(real.parent):
            found = pattern.match(entry.name)
            if not found or _alive(found.group(2)):
                continue
            if found.group(1) == "staging":
                _remove(entry)
            else:
                backups.append(entry)
        backups.sort(key=lambda p: p.stat().st_mtime, reverse=True)
        if backups and not os.path.lexists(real):
            os.replace(backups.pop(0), real)  # killed between the two renames
        for entry in backups:
            _remove(entry)
        if real.is_dir():
            for entry in _entries(real):
                found = _INSIDE.match(entry.name)
                if not found or _alive(found.group(2)):
                    continue
                if found.group(1) == "backup":
                    _roll_back_in_place(real, entry)
                else:
                    _remove(entry)
    except OSError as error:
        where = error.filename or real
        raise OutputFolderError(
            f"{target}: cannot clean up what an interrupted run left ({where}: "
            f"{error.strerror or error}); remove it by hand and run again") from error


_FULL = {errno.ENOSPC, getattr(errno, "EDQUOT", errno.ENOSPC)}
_DENIED = {errno.EACCES, errno.EPERM}


def _folder_error(error: OSError, target: Path, real: Path) -> OutputFolderError | None:
    """A one-line :class:`OutputFolderError` for a full disk, a read-only file system or a
    permission error met while writing ``target`` (``None`` for any other error)."""
    kept = "the folder is left as it was"
    if error.errno in _FULL:
        return OutputFolderError(
            f"{target}: no space left on the device while writing the outputs; {kept} "
            "(free some space and run again)")
    if error.errno == errno.EROFS:
        return OutputFolderError(f"{target}: the file system is read-only; {kept}")
    if error.errno in _DENIED:
        name = error.filename
        if name is None or os.path.abspath(name).startswith(str(real.parent)):
            return OutputFolderError(
                f"{target}: permission denied writing {name or 'the outputs'}; {kept}")
    return None


def _link_or_copy(source: str | Path, destination: str | Path) -> None:
    try:
        os.link(source, destination)
    except OSError:
        shutil.copy2(source, destination)


def _carry(entry: Path, destination: Path) -> None:
    """Put ``entry`` of the old folder into the new one (hard links where possible)."""
    if entry.is_symlink():
        os.symlink(os.readlink(entry), destination)
    elif entry.is_dir():
        shutil.copytree(entry, destination, symlinks=True, copy_function=_link_or_copy)
    else:
        _link_or_copy(entry, destination)


def _check_kinds(target: Path, real: Path, staging: Path, names: list[str]) -> None:
    """A file may not replace a folder (or a folder a file): its contents would be lost."""
    for name in names:
        old = real / name
        if not os.path.lexists(old):
            continue
        old_dir = old.is_dir() and not old.is_symlink()
        if old_dir != (staging / name).is_dir():
            what = "a folder" if old_dir else "a file"
            raise OutputFolderError(
                f"{target / name}: is {what} where carefacility writes "
                f"{'a file' if old_dir else 'a folder'}; move it away and run again "
                "(the folder is left as it was)")


def _removable(real: Path, removed: set[str], names: list[str]) -> list[str]:
    """The files of ``removed`` (:meth:`StagedOutput.remove`) to remove from ``real``: those
    there, listed in its manifest (carefacility's) and not written again."""
    if not removed or not real.is_dir():
        return []
    try:
        ours = _read_manifest(real)
    except OutputFolderError:  # damaged, and written with force: nothing is known to be ours
        return []
    return sorted(name for name in removed - set(names) if name in ours and (
        (real / name).is_symlink() or (real / name).is_file()))


def _manifest_text(real: Path, names: set[str], present: set[str], force: bool) -> str:
    try:
        listed = _read_manifest(real) if real.is_dir() else set()
    except OutputFolderError:
        if not force:
            raise
        listed = set()
    return "\n".join(sorted((listed & present) | names))


def _publish_swap(staging: Path, target: Path, real: Path, names: list[str],
                  force: bool, removed: set[str]) -> None:
    _check_kinds(target, real, staging, names)
    if real.is_dir():
        with contextlib.suppress(OSError):
            shutil.copymode(real, staging)
        gone = set(_removable(real, removed, names))
        for entry in _entries(real):
            if entry.name not in names and entry.name not in gone and entry.name != MANIFEST \
                    and not _INSIDE.match(entry.name):
                _carry(entry, staging / entry.name)
    present = {p.name for p in _entries(staging)}
    (staging / MANIFEST).write_text(_manifest_text(real, set(names), present, force),
                                    encoding="utf-8")
    if not os.path.lexists(real):
        try:
            os.replace(staging, real)
        except OSError as error:
            raise OutputFolderError(f"{target}: cannot put the new outputs in place "
                                    f"({error.strerror or error}); nothing was written") from error
        return
    backup = _new_name(real.parent, f".{real.name}.backup-{os.getpid()}-")
    try:
        os.replace(real, backup)
    except OSError as error:
        if error.errno in (errno.EBUSY, errno.EXDEV) and _writable(real):
            _publish_copied_in_place(staging, target, real, names, force, removed)
            return
        raise OutputFolderError(
            f"{target}: cannot switch to the new outputs (renaming the folder failed: "
            f"{error.strerror or error}); the folder is left as it was") from error
    try:
        os.replace(staging, real)
    except OSError as error:
        try:
            os.replace(backup, real)
        except OSError as second:
            raise OutputFolderError(
                f"{target}: switching to the new outputs failed ({error.strerror or error}) "
                f"and the previous outputs could not be put back: they are in {backup} (the "
                "next write to this folder restores them)") from second
        raise OutputFolderError(
            f"{target}: cannot switch to the new outputs ({error.strerror or error}); the "
            "folder is left as it was") from error
    try:
        shutil.rmtree(backup)
    except OSError as error:
        warnings.warn(f"{backup}: the previous outputs could not be deleted "
                      f"({error.strerror or error}); the next write to {target} deletes them",
                      RuntimeWarning, stacklevel=4)


def _publish_copied_in_place(sibling: Path, target: Path, real: Path, names: list[str],
                             force: bool, removed: set[str]) -> None:
    """In-place publishing of a run staged beside a target that turned out not to be
    renamable (a mount point): copy its new files into the target's file system first."""
    staging = _new_folder(real, f".carefacility-staging-{os.getpid()}-")
    try:
        for name in names:
            source = sibling / name
            if source.is_dir():
                shutil.copytree(source, staging / name, symlinks=True)
            else:
                shutil.copy2(source, staging / name)
        _publish_in_place(staging, target, real, names, force, removed)
    finally:
        _discard(staging)


def _publish_in_place(staging: Path, target: Path, real: Path, names: list[str],
                      force: bool, removed: set[str]) -> None:
    _check_kinds(target, real, staging, names)
    gone = _removable(real, removed, names)
    present = ({p.name for p in _entries(real)} - set(gone)) | set(names)
    (staging / MANIFEST).write_text(_manifest_text(real, set(names), present, force),
                                    encoding="utf-8")
    order = [*names, *gone, MANIFEST]  # a removed file is moved into the backup, no more
    backup = _new_folder(real, f".carefacility-backup-{os.getpid()}-")
    try:
        existed = [name for name in order if os.path.lexists(real / name)]
        (backup / _JOURNAL).write_text(json.dumps({"names": order, "existed": existed}),
                                       encoding="utf-8")
        for name in order:
            if os.path.lexists(real / name):
                os.replace(real / name, backup / name)
            if name not in gone:
                os.replace(staging / name, real / name)
        trash = _new_name(real, f".carefacility-trash-{os.getpid()}-")
        os.replace(backup, trash)  # the commit: from here on the new run stands
    except OSError as error:
        try:
            _roll_back_in_place(real, backup)
        except OSError as second:
            raise OutputFolderError(
                f"{target}: switching to the new outputs failed ({error.strerror or error}) "
                f"and the previous outputs could not all be put back: they are in {backup} "
                "(the next write to this folder restores them)") from second
        converted = _folder_error(error, target, real)
        raise converted or OutputFolderError(
            f"{target}: cannot switch to the new outputs ({error.strerror or error}); the "
            "folder is left as it was") from error
    try:
        shutil.rmtree(trash)
    except OSError as error:
        warnings.warn(f"{trash}: the previous outputs could not be deleted "
                      f"({error.strerror or error}); the next write to {target} deletes them",
                      RuntimeWarning, stacklevel=4)


@contextlib.contextmanager
def staged_output(target: str | Path, *, force: bool = False) -> Iterator[StagedOutput]:
    """Stage a run's outputs and publish them, all or nothing, if the block finishes without
    error.

    Leftovers of interrupted writes to ``target`` are resolved first, then
    :func:`check_output_folder` runs; the files written in the block then replace the target's
    files of the same names in one switch (swap or in-place mode, see the module's text), the
    target's other files staying as they were, except those the block removes
    (:meth:`StagedOutput.remove`). On any failure the folder is exactly as before
    and no staging folder is left.

    Parameters
    ----------
    target : str or pathlib.Path
        The output folder; created if missing.
    force : bool
        Allow writing into a folder that holds files carefacility did not write there.

    Yields
    ------
    StagedOutput
        Where to write the files (:meth:`StagedOutput.path`).

    Raises
    ------
    OutputFolderError
        If ``target`` cannot be used (:func:`check_output_folder`), a file would replace a
        folder of the same name, the disk filled up or a write was denied (``ENOSPC``,
        ``EDQUOT``, ``EROFS``, ``EACCES``, ``EPERM``), or the switch failed; the message is
        one line. Other errors raised in the block propagate unchanged (after the clean-up).
    """
    target = Path(target)
    real = _real(target)
    if real.exists() and not real.is_dir():
        raise OutputFolderError(f"{target}: exists and is not a folder")
    _recover(target, real)
    check_output_folder(target, force=force)
    swap = _mode(target, real) == "swap"
    try:
        if swap:
            real.parent.mkdir(parents=True, exist_ok=True)
            staging = _new_folder(real.parent, f".{real.name}.staging-{os.getpid()}-")
        else:
            staging = _new_folder(real, f".carefacility-staging-{os.getpid()}-")
    except OSError as error:
        raise _folder_error(error, target, real) or OutputFolderError(
            f"{target}: cannot create a staging folder ({error.strerror or error})") from error
    try:
        output = StagedOutput(staging, target)
        try:
            yield output
        except OSError as error:
            converted = _folder_error(error, target, real)
            if converted is None:
                raise
            raise converted from error
        names = sorted(p.name for p in _entries(staging) if p.name != MANIFEST)
        try:
            if swap:
                _publish_swap(staging, target, real, names, force, output.removed)
            else:
                _publish_in_place(staging, target, real, names, force, output.removed)
        except OSError as error:
            raise _folder_error(error, target, real) or OutputFolderError(
                f"{target}: cannot prepare the new outputs ({error.strerror or error}); the "
                "folder is left as it was") from error
    finally:
        _discard(staging)
