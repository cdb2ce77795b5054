"""The pre-flight check of an output folder, run before any simulation: every reason the outputs
could not be written is one line of OutputFolderError, and the check changes nothing."""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import NamedTuple

import pytest

from carefacility.report.output_folder import (
    MANIFEST,
    SPACE_MARGIN_BYTES,
    OutputFolderError,
    check_output_folder,
    estimate_output_bytes,
    staged_output,
)


def _ours(target: Path, *names: str) -> None:
    """A folder as carefacility leaves it: the files and the manifest listing them."""
    with staged_output(target) as out:
        for name in names:
            out.path(name).write_text(name, encoding="utf-8")


def _check_fails(target: Path, words: str, **kwargs) -> str:
    with pytest.raises(OutputFolderError, match=words) as caught:
        check_output_folder(target, **kwargs)
    message = str(caught.value)
    assert "\n" not in message and str(target) in message
    return message


def _deny(monkeypatch, *denied: Path) -> None:
    """``os.access`` says no for ``denied`` (root passes every chmod, so patch the check)."""
    real_access = os.access
    monkeypatch.setattr(os, "access", lambda path, mode, **kw: (
        False if Path(path) in denied else real_access(path, mode, **kw)))


def test_new_folder_in_a_writable_place_passes(tmp_path: Path) -> None:
    check_output_folder(tmp_path / "a" / "b" / "run")
    assert list(tmp_path.iterdir()) == []  # the check creates nothing


def test_folder_of_an_earlier_run_passes(tmp_path: Path) -> None:
    _ours(tmp_path / "run", "kpis.csv")
    check_output_folder(tmp_path / "run", estimated_bytes=1000)


def test_target_that_is_a_file(tmp_path: Path) -> None:
    (tmp_path / "run").write_text("x", encoding="utf-8")
    _check_fails(tmp_path / "run", "not a folder")


def test_ancestor_that_is_a_file(tmp_path: Path) -> None:
    (tmp_path / "a").write_text("x", encoding="utf-8")
    _check_fails(tmp_path / "a" / "run", r"cannot create the folder: .* is a file")


def test_parent_not_writable_for_a_new_folder(tmp_path: Path, monkeypatch) -> None:
    _deny(monkeypatch, tmp_path)
    message = _check_fails(tmp_path / "new" / "run", "cannot create the folder")
    assert f"{tmp_path} is not writable" in message
    assert list(tmp_path.iterdir()) == []


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0,
                    reason="chmod does not bind root (covered with a patched os.access)")
def test_parent_not_writable_by_chmod(tmp_path: Path) -> None:
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o555)
    try:
        _check_fails(locked / "run", "not writable")
    finally:
        locked.chmod(0o755)


def test_existing_folder_with_parent_not_writable_is_written_in_place(tmp_path: Path,
                                                                      monkeypatch) -> None:
    _ours(tmp_path / "run", "kpis.csv")
    _deny(monkeypatch, tmp_path)
    check_output_folder(tmp_path / "run")  # in-place mode: the folder itself is writable


def test_existing_folder_not_writable_at_all(tmp_path: Path, monkeypatch) -> None:
    _ours(tmp_path / "run", "kpis.csv")
    _deny(monkeypatch, tmp_path, tmp_path / "run")
    _check_fails(tmp_path / "run", "not writable")
    with pytest.raises(OutputFolderError, match="not writable"), \
            staged_output(tmp_path / "run") as out:  # pragma: no cover - never entered
        out.path("kpis.csv").write_text("new", encoding="utf-8")
    assert (tmp_path / "run" / "kpis.csv").read_text(encoding="utf-8") == "kpis.csv"


def test_mount_point_that_is_not_writable(tmp_path: Path, monkeypatch) -> None:
    target = tmp_path / "run"
    _ours(target, "kpis.csv")
    monkeypatch.setattr(os.path, "ismount", lambda path: Path(path) == target)
    check_output_folder(target)  # writable: published in place
    _deny(monkeypatch, target)
    _check_fails(target, "not writable")


def test_foreign_files_need_force(tmp_path: Path) -> None:
    target = tmp_path / "run"
    _ours(target, "kpis.csv")
    for name in ("notes.txt", "b.txt", "c.txt", "d.txt", "e.txt", "f.txt"):
        (target / name).write_text("mine", encoding="utf-8")
    message = _check_fails(target, "--force")
    assert "b.txt, c.txt, d.txt, e.txt, f.txt ..." in message and "kpis.csv" not in message
    check_output_folder(target, force=True)


def test_folder_without_manifest_is_foreign(tmp_path: Path) -> None:
    (tmp_path / "kpis.csv").write_text("someone else's", encoding="utf-8")
    _check_fails(tmp_path, r"kpis\.csv")


def test_manifest_that_is_not_utf8(tmp_path: Path) -> None:
    target = tmp_path / "run"
    _ours(target, "kpis.csv")
    (target / MANIFEST).write_bytes(b"kpis.csv\n\xff\xfe")
    _check_fails(target, "not UTF-8")
    check_output_folder(target, force=True)
    with staged_output(target, force=True) as out:  # force: the old list is dropped
        out.path("report.html").write_text("r", encoding="utf-8")
    assert (target / MANIFEST).read_text(encoding="utf-8") == "report.html"


class _Usage(NamedTuple):
    total: int
    used: int
    free: int


def test_not_enough_free_space(tmp_path: Path, monkeypatch) -> None:
    seen = []

    def usage(path):
        seen.append(Path(path))
        return _Usage(10**9, 10**9 - 20 * 2**20, 20 * 2**20)  # 20 MiB free

    monkeypatch.setattr(shutil, "disk_usage", usage)
    target = tmp_path / "new" / "run"
    check_output_folder(target, estimated_bytes=10 * 2**20)
    assert seen == [tmp_path]  # the nearest folder that exists
    message = _check_fails(target, "not enough free space", estimated_bytes=15 * 2**20)
    assert "21.0 MB free" in message and "24.1 MB needed" in message
    # the margin alone: a write with no estimate still needs SPACE_MARGIN_BYTES
    monkeypatch.setattr(shutil, "disk_usage",
                        lambda path: _Usage(10**9, 10**9, SPACE_MARGIN_BYTES - 1))
    _check_fails(target, "not enough free space")
    with pytest.raises(OutputFolderError, match="not enough free space"), \
            staged_output(target):  # pragma: no cover - never entered
        pass
    assert not (tmp_path / "new").exists()


def test_estimate_of_the_outputs() -> None:
    fixed = estimate_output_bytes(0, 0, 0)
    assert fixed == 8 * 2**20
    # Xicheng: 15 years, 79 metrics, 2 replications, 3,232 population rows wrote 2.9 MB
    xicheng = estimate_output_bytes(15, 79, 2, population_rows=3232)
    assert 2.9e6 < xicheng < 12e6
    assert estimate_output_bytes(30, 200, 400) == fixed + 30 * 200 * (256 + 400 * 128)
    assert estimate_output_bytes(-1, -5, -2) == fixed
