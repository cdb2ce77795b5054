"""Staged output folders: a failed run leaves the previous outputs intact."""

from __future__ import annotations

from pathlib import Path

import pytest

from carefacility.report.output_folder import OutputFolderError, staged_output


def test_failure_mid_write_leaves_previous_outputs(tmp_path: Path) -> None:
    target = tmp_path / "run"
    with staged_output(target) as out:
        out.path("kpis.csv").write_text("old", encoding="utf-8")
    with pytest.raises(RuntimeError, match="interrupted"), staged_output(target) as out:
        out.path("kpis.csv").write_text("new, half-writ", encoding="utf-8")
        raise RuntimeError("interrupted")
    assert (target / "kpis.csv").read_text(encoding="utf-8") == "old"
    leftovers = [p.name for p in tmp_path.iterdir() if p.name != "run"]
    assert leftovers == []


def test_success_replaces_files(tmp_path: Path) -> None:
    target = tmp_path / "run"
    for text in ("first", "second"):
        with staged_output(target) as out:
            out.path("a.csv").write_text(text, encoding="utf-8")
    assert (target / "a.csv").read_text(encoding="utf-8") == "second"


def test_target_that_is_a_file(tmp_path: Path) -> None:
    target = tmp_path / "file"
    target.write_text("x", encoding="utf-8")
    with pytest.raises(OutputFolderError, match="not a folder"), staged_output(target):
        pass
