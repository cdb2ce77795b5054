"""A sweep's output folder: every variant stored as it finishes, the sweep's tables at the end.

Layout of ``DIR`` (``carefacility sweep ... --out DIR``)::

    DIR/sweep.json                 the design: base scenario and its sha256, grid, variants,
                                   overrides, seed, replications, version; how many ran
    DIR/variants/<variant_id>/     one folder per finished variant:
        variant.json               what produced it (its key: scenario and table sha256,
                                   overrides, seed, replications, version) and its label
        kpis_by_replication.csv    replication, year, metric, value, unit
        kpis.csv                   year, metric, mean, ci_low, ci_high, unit, replications
        scorecard.csv              with targets
    DIR/sweep.csv                  one column per grid path, variant, year, metric, mean,
                                   ci_low, ci_high, unit, replications
    DIR/sweep_scorecard.csv        the grid columns, variant, and each variant's scorecard
    DIR/sweep_<metric>.png         the KPI in the last year against the first grid field

A variant's folder is written as ``variants/.<id>.tmp-<pid>-<random>``, its files synced to the
disk, and renamed to ``variants/<id>`` when complete (a rename is atomic on one file system), so
a folder named ``<id>`` is always whole (its ``variant.json`` also holds each table's row count,
checked when it is read back); a variant stored before with another key is replaced the same way.
What a killed sweep leaves (``.tmp-`` and ``.old-`` folders) is deleted when the sweep runs
again. The folder is opened with the output-folder rules
(:func:`carefacility.report.output_folder.staged_output`: it may not hold other files unless
``force``), and the tables at the end are published in one staged write, the stored variants
kept.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import shutil
from pathlib import Path
from typing import Any

import pandas as pd

from carefacility.report.labels import Lang
from carefacility.report.output_folder import (
    restore_formulas,
    staged_output,
    write_chart,
    write_csv,
)
from carefacility.runner.sweep import SweepResult, VariantOutcome

__all__ = ["SWEEP_JSON", "VARIANTS_FOLDER", "FolderStore", "open_sweep_folder",
           "write_sweep_outputs"]

VARIANTS_FOLDER = "variants"
"""The folder of the stored variants inside a sweep's output folder."""

SWEEP_JSON = "sweep.json"
"""The sweep's design and summary."""

_ABOUT = "variant.json"
_PER_REPLICATION = "kpis_by_replication.csv"
_KPIS = "kpis.csv"
_SCORECARD = "scorecard.csv"
_LEFTOVER = re.compile(r"^\..+\.(tmp|old)-(\d+)-[0-9a-f]+$")


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OSError):
        return True
    return True


# pandas 3 reads every float back exactly by default (and deprecates the option); pandas 2
# needs the round-trip parser for that
_EXACT_FLOATS = {"float_precision": "round_trip"} if int(pd.__version__.split(".")[0]) < 3 else {}


def _sync(path: Path) -> None:
    """Ask the system to put ``path`` (a file, or a folder's entries) on the disk, so that a
    renamed variant's folder survives a crash of the machine whole; where it cannot (a file
    system or platform without it), nothing happens."""
    try:
        descriptor = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(descriptor)
    except OSError:
        pass
    finally:
        os.close(descriptor)


def _read_table(path: Path) -> pd.DataFrame:
    """A stored table read back exactly (every float as written, formula quotes removed)."""
    frame = pd.read_csv(path, encoding="utf-8-sig", keep_default_na=False, na_values=[""],
                        **_EXACT_FLOATS)  # type: ignore[arg-type]
    return restore_formulas(frame)


class FolderStore:
    """The variants of a sweep in ``<out_dir>/variants/<variant_id>/``
    (:class:`carefacility.runner.sweep.SweepStore`).

    Parameters
    ----------
    out_dir : str or pathlib.Path
        The sweep's output folder (:func:`open_sweep_folder` makes it ready).
    """

    def __init__(self, out_dir: str | Path) -> None:
        self.out_dir = Path(out_dir)
        self.folder = self.out_dir / VARIANTS_FOLDER

    def _about(self, variant_id: str) -> dict[str, Any] | None:
        try:
            about = json.loads((self.folder / variant_id / _ABOUT).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        return about if isinstance(about, dict) else None

    def holds(self, variant_id: str, key: dict[str, Any]) -> bool:
        """Whether ``variants/<variant_id>`` holds the variant with this key (its JSON says
        so and its tables are there)."""
        about = self._about(variant_id)
        folder = self.folder / variant_id
        return (about is not None and about.get("key") == key
                and (folder / _PER_REPLICATION).is_file() and (folder / _KPIS).is_file())

    def load(self, variant_id: str, key: dict[str, Any]) -> VariantOutcome | None:
        """The stored variant if its key equals ``key`` and its tables can be read, else
        None (the sweep runs it again)."""
        about = self._about(variant_id)
        if about is None or about.get("key") != key:
            return None
        folder = self.folder / variant_id
        try:
            per_replication = _read_table(folder / _PER_REPLICATION)
            kpis = _read_table(folder / _KPIS)
            card = _read_table(folder / _SCORECARD) if about.get("scorecard") else None
        except (OSError, ValueError, pd.errors.ParserError, pd.errors.EmptyDataError):
            return None
        rows = {_PER_REPLICATION: len(per_replication), _KPIS: len(kpis)}
        if card is not None:
            rows[_SCORECARD] = len(card)
        if about.get("rows") != rows:  # a table cut short (a crash before it reached the disk)
            return None
        return VariantOutcome(per_replication=per_replication, kpis=kpis, scorecard=card,
                              about=about)

    def save(self, variant_id: str, outcome: VariantOutcome) -> None:
        """Write the variant into a new folder, then rename it to ``variants/<variant_id>``
        (replacing a stored variant of another key)."""
        self.folder.mkdir(parents=True, exist_ok=True)
        temporary = self.folder / f".{variant_id}.tmp-{os.getpid()}-{secrets.token_hex(4)}"
        temporary.mkdir()
        try:
            tables = {_PER_REPLICATION: outcome.per_replication, _KPIS: outcome.kpis}
            if outcome.scorecard is not None:
                tables[_SCORECARD] = outcome.scorecard
            for name, frame in tables.items():
                write_csv(frame, temporary / name)
            about = {**outcome.about, "scorecard": outcome.scorecard is not None,
                     "rows": {name: len(frame) for name, frame in tables.items()}}
            (temporary / _ABOUT).write_text(json.dumps(about, indent=2, ensure_ascii=False,
                                                       default=str), encoding="utf-8")
            for name in [*tables, _ABOUT]:
                _sync(temporary / name)
            final = self.folder / variant_id
            old = None
            if os.path.lexists(final):
                old = self.folder / f".{variant_id}.old-{os.getpid()}-{secrets.token_hex(4)}"
                os.replace(final, old)
            os.replace(temporary, final)
        except BaseException:
            shutil.rmtree(temporary, ignore_errors=True)
            raise
        _sync(self.folder)
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)

    def clean(self) -> None:
        """Delete what interrupted writes left (``.tmp-`` and ``.old-`` folders of processes
        that are no longer running)."""
        if not self.folder.is_dir():
            return
        for entry in self.folder.iterdir():
            found = _LEFTOVER.match(entry.name)
            if found and not _alive(int(found.group(2))):
                shutil.rmtree(entry, ignore_errors=True)


def open_sweep_folder(out_dir: str | Path, *, about: dict[str, Any], force: bool = False
                      ) -> FolderStore:
    """Make a sweep's output folder ready: ``sweep.json`` (the design) and ``variants/`` are
    written in one staged write (:func:`~carefacility.report.output_folder.staged_output`:
    the folder may not hold other files unless ``force``), the stored variants kept, and what
    an interrupted sweep left is deleted.

    Returns
    -------
    FolderStore
    """
    out_dir = Path(out_dir)
    with staged_output(out_dir, force=force) as out:
        out.path(SWEEP_JSON).write_text(json.dumps({**about, "finished": False}, indent=2,
                                                   ensure_ascii=False, default=str),
                                        encoding="utf-8")
        if not (out_dir / VARIANTS_FOLDER).is_dir():
            out.path(VARIANTS_FOLDER).mkdir()
    store = FolderStore(out_dir)
    store.clean()
    return store


def write_sweep_outputs(result: SweepResult, out_dir: str | Path, *, lang: Lang = "en",
                        force: bool = False, svg: bool = False,
                        metrics: tuple[str, ...] | None = None) -> list[Path]:
    """Write a sweep's tables, ``sweep.json`` and charts into its output folder (the stored
    variants stay).

    Parameters
    ----------
    result : SweepResult
    out_dir : str or pathlib.Path
    lang : {"en", "zh"}
    force : bool
    svg : bool
        Also save each chart as SVG.
    metrics : tuple of str, optional
        The KPIs to chart (default
        :data:`carefacility.report.compare_plots.CHART_METRICS`).

    Returns
    -------
    list of pathlib.Path
        The files written (the variants' folders not counted).
    """
    from carefacility.report import compare_plots

    metrics = metrics if metrics is not None else compare_plots.CHART_METRICS
    grid = [axis.path for axis in result.design.axes]
    with staged_output(out_dir, force=force) as out:
        write_csv(result.table, out.path("sweep.csv"))
        write_csv(result.scorecard, out.path("sweep_scorecard.csv"))
        out.path(SWEEP_JSON).write_text(json.dumps({**result.metadata, "finished": True},
                                                   indent=2, ensure_ascii=False, default=str),
                                        encoding="utf-8")
        names = ["sweep.csv", "sweep_scorecard.csv", SWEEP_JSON]
        known = set(result.table["metric"])
        for metric in metrics:
            if metric in known:
                ax = compare_plots.sweep_chart(result.table, metric, grid=grid, lang=lang)
                names += write_chart(out, f"sweep_{metric}", ax, svg=svg)
        final = [out.final_path(name) for name in names]
    return final
