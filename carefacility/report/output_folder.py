"""Writing a run's output folder safely.

Files are written into a hidden staging folder beside the target and moved into place only when
every file has been written, so an interrupted or failed run never leaves a half-written file and
never damages the previous outputs. Writing into a folder that holds files carefacility did not
write needs ``force=True``.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pandas as pd

__all__ = ["MANIFEST", "OutputFolderError", "StagedOutput", "staged_output", "write_csv"]

MANIFEST = ".carefacility-outputs"
"""File inside every output folder listing the files carefacility wrote there."""


class OutputFolderError(Exception):
    """The output folder cannot be used as asked (e.g. it holds other files)."""


def write_csv(frame: pd.DataFrame, path: Path) -> None:
    """Write a table as UTF-8 with a byte-order mark, so Excel and WPS open it correctly."""
    frame.to_csv(path, index=False, encoding="utf-8-sig", lineterminator="\n")


class StagedOutput:
    """A staging folder whose files replace the target's files on success."""

    def __init__(self, staging: Path, target: Path):
        self.staging = staging
        self.target = target

    def path(self, name: str) -> Path:
        """Where to write the output file ``name`` while staging."""
        return self.staging / name

    def final_path(self, name: str) -> Path:
        """Where ``name`` will be after the run succeeds."""
        return self.target / name


def _foreign_files(target: Path) -> list[str]:
    if not target.exists():
        return []
    manifest = target / MANIFEST
    ours = set(manifest.read_text(encoding="utf-8").split("\n")) if manifest.is_file() else set()
    ours.add(MANIFEST)
    return sorted(p.name for p in target.iterdir() if p.name not in ours)


@contextlib.contextmanager
def staged_output(target: str | Path, *, force: bool = False) -> Iterator[StagedOutput]:
    """Stage a run's outputs and publish them only if the block finishes without error.

    Parameters
    ----------
    target : str or pathlib.Path
        The output folder; created if missing.
    force : bool
        Allow writing into a folder that holds files carefacility did not write there.

    Raises
    ------
    OutputFolderError
        If ``target`` is a file, or holds other files and ``force`` is false.
    """
    target = Path(target)
    if target.exists() and not target.is_dir():
        raise OutputFolderError(f"{target}: exists and is not a folder")
    foreign = _foreign_files(target)
    if foreign and not force:
        shown = ", ".join(foreign[:5]) + (" ..." if len(foreign) > 5 else "")
        raise OutputFolderError(
            f"{target}: the folder holds files carefacility did not write ({shown}); "
            "choose an empty or new folder, or pass --force to write into it anyway"
        )
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{target.name}.staging-", dir=target.parent))
    try:
        yield StagedOutput(staging, target)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    target.mkdir(exist_ok=True)
    names = sorted(p.name for p in staging.iterdir())
    previous = target / MANIFEST
    listed = set(previous.read_text(encoding="utf-8").split("\n")) if previous.is_file() else set()
    (staging / MANIFEST).write_text("\n".join(sorted(listed | set(names))), encoding="utf-8")
    for name in [*names, MANIFEST]:
        os.replace(staging / name, target / name)
    shutil.rmtree(staging, ignore_errors=True)
