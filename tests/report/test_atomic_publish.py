"""All-or-nothing publishing of an output folder: a failure at any step of the switch leaves the
folder exactly as the previous run left it, leftovers of a killed run are resolved at the next
write, and a full disk is a clear error."""

from __future__ import annotations

import errno
import hashlib
import os
import shutil
from pathlib import Path

import pandas as pd
import pytest

from carefacility.report import writer as report
from carefacility.report.output_folder import MANIFEST, OutputFolderError, staged_output
from carefacility.runner.results import RunResult

OLD = {"kpis.csv": "old kpis", "results.xlsx": "old workbook", "report.html": "old report"}
NEW = {"kpis.csv": "new kpis", "results.xlsx": "new workbook", "report.html": "new report",
       "extra.csv": "a file only the new run writes"}


def _hashes(folder: Path) -> dict[str, str]:
    """SHA-256 of every file under ``folder`` by relative path (hidden files included)."""
    return {str(path.relative_to(folder)): hashlib.sha256(path.read_bytes()).hexdigest()
            for path in sorted(folder.rglob("*")) if path.is_file()}


def _write(target: Path, files: dict[str, str], **kwargs) -> None:
    with staged_output(target, **kwargs) as out:
        for name, text in files.items():
            out.path(name).write_text(text, encoding="utf-8")


def _others(target: Path) -> list[str]:
    """What lies beside ``target`` (staging or backup folders would be here)."""
    return sorted(p.name for p in target.parent.iterdir() if p.name != target.name)


def _inside_leftovers(target: Path) -> list[str]:
    return sorted(p.name for p in target.iterdir()
                  if p.name.startswith((".carefacility-staging", ".carefacility-backup",
                                        ".carefacility-trash")))


class _FailAt:
    """Replace ``module.name`` by a wrapper that raises ``error`` at the listed calls."""

    def __init__(self, monkeypatch, module, name: str, calls: set[int],
                 error: BaseException | None = None):
        self.real = getattr(module, name)
        self.calls = calls
        self.count = 0
        self.error = error or OSError(errno.EIO, "injected failure")
        monkeypatch.setattr(module, name, self)

    def __call__(self, *args, **kwargs):
        self.count += 1
        if self.count in self.calls:
            raise self.error
        return self.real(*args, **kwargs)


def _write_failing(target: Path, monkeypatch, name: str, calls: set[int], module=os,
                   error: BaseException | None = None, **kwargs) -> _FailAt:
    """Stage NEW and fail ``module.name`` at ``calls`` while publishing it."""
    with monkeypatch.context() as patch, staged_output(target, **kwargs) as out:
        for file, text in NEW.items():
            out.path(file).write_text(text, encoding="utf-8")
        failing = _FailAt(patch, module, name, calls, error)
    return failing


def _count_calls(target: Path, monkeypatch, name: str, module=os) -> int:
    """How often publishing NEW calls ``module.name`` (on a copy of ``target``)."""
    probe = target.parent / "probe" / target.name
    shutil.copytree(target, probe)
    failing = _write_failing(probe, monkeypatch, name, set(), module=module)
    shutil.rmtree(probe.parent)
    return failing.count


# --------------------------------------------------------------------------------------------
# Swap mode: the new folder is built beside the target and switched by renames
# --------------------------------------------------------------------------------------------

def test_publish_builds_a_sibling_and_keeps_files_not_rewritten(tmp_path: Path) -> None:
    target = tmp_path / "run"
    _write(target, OLD | {"population.csv": "from an earlier projection"})
    inode = (target / "population.csv").stat().st_ino
    seen = {}
    with staged_output(target) as out:
        seen["staging"] = out.staging
        for name, text in NEW.items():
            out.path(name).write_text(text, encoding="utf-8")
    assert seen["staging"].parent == tmp_path  # a sibling: same file system, not /tmp
    assert seen["staging"].name.startswith(".run.staging-")
    for name, text in NEW.items():
        assert (target / name).read_text(encoding="utf-8") == text
    assert (target / "population.csv").read_text(encoding="utf-8") == (
        "from an earlier projection")
    assert (target / "population.csv").stat().st_ino == inode  # carried by hard link
    listed = set((target / MANIFEST).read_text(encoding="utf-8").split("\n"))
    assert listed == {*NEW, "population.csv"}
    assert _others(target) == []


def test_new_folder_gets_normal_permissions(tmp_path: Path) -> None:
    target = tmp_path / "run"
    reference = tmp_path / "made_by_mkdir"
    reference.mkdir()
    _write(target, NEW)
    assert target.stat().st_mode == reference.stat().st_mode  # not mkdtemp's 0o700


@pytest.mark.parametrize("call", [1, 2])
def test_failed_rename_leaves_the_previous_run(tmp_path: Path, monkeypatch, call: int) -> None:
    target = tmp_path / "run"
    _write(target, OLD)
    before = _hashes(target)
    assert _count_calls(target, monkeypatch, "replace") == 2  # target → backup → target
    with pytest.raises(OutputFolderError, match="left as it was") as caught:
        _write_failing(target, monkeypatch, "replace", {call})
    assert "\n" not in str(caught.value)
    assert _hashes(target) == before
    assert _others(target) == []


def test_failed_rename_and_failed_restore_are_repaired_by_the_next_write(
        tmp_path: Path, monkeypatch) -> None:
    target = tmp_path / "run"
    _write(target, OLD)
    before = _hashes(target)
    with pytest.raises(OutputFolderError, match="could not be put back"):
        _write_failing(target, monkeypatch, "replace", {2, 3})
    assert not target.exists()
    [backup] = _others(target)
    assert backup.startswith(".run.backup-")
    # the next write finds the target missing and its backup there: it puts the backup back
    with pytest.raises(RuntimeError, match="stop"), staged_output(target):
        raise RuntimeError("stop")
    assert _hashes(target) == before
    assert _others(target) == []


def test_failed_deletion_of_the_backup_keeps_the_new_run(tmp_path: Path,
                                                         monkeypatch) -> None:
    """The switch is done once the new folder has the target's name: a backup that cannot be
    deleted is only a leftover, deleted by the next write."""
    target = tmp_path / "run"
    _write(target, OLD)
    with pytest.warns(RuntimeWarning, match="could not be deleted"):
        _write_failing(target, monkeypatch, "rmtree", {1}, module=shutil)
    assert {n: (target / n).read_text(encoding="utf-8") for n in NEW} == NEW
    assert [name.split("-")[0] for name in _others(target)] == [".run.backup"]
    _write(target, {"kpis.csv": "third"})
    assert _others(target) == []
    assert (target / "extra.csv").read_text(encoding="utf-8") == NEW["extra.csv"]


def test_a_file_never_replaces_a_folder(tmp_path: Path) -> None:
    target = tmp_path / "run"
    _write(target, OLD)
    (target / "results.xlsx").unlink()
    (target / "results.xlsx").mkdir()  # e.g. someone unpacked the workbook there
    (target / "results.xlsx" / "sheet1.xml").write_text("<x/>", encoding="utf-8")
    before = _hashes(target)
    with pytest.raises(OutputFolderError, match=r"results\.xlsx: is a folder"):
        _write(target, NEW)
    assert _hashes(target) == before
    assert _others(target) == []


def test_foreign_files_and_folders_are_kept_with_force(tmp_path: Path) -> None:
    target = tmp_path / "run"
    _write(target, OLD)
    (target / "notes.txt").write_text("mine", encoding="utf-8")
    (target / "drafts").mkdir()
    (target / "drafts" / "a.md").write_text("draft", encoding="utf-8")
    with pytest.raises(OutputFolderError, match="--force"):
        _write(target, NEW)
    _write(target, NEW, force=True)
    assert (target / "notes.txt").read_text(encoding="utf-8") == "mine"
    assert (target / "drafts" / "a.md").read_text(encoding="utf-8") == "draft"
    assert "notes.txt" not in (target / MANIFEST).read_text(encoding="utf-8").split("\n")
    with pytest.raises(OutputFolderError, match=r"notes\.txt"):  # still foreign next time
        _write(target, NEW)


def test_symlinked_target_stays_a_link(tmp_path: Path) -> None:
    real = tmp_path / "real"
    _write(real, OLD)
    link = tmp_path / "link"
    link.symlink_to(real, target_is_directory=True)
    _write(link, NEW)
    assert link.is_symlink()
    assert (real / "kpis.csv").read_text(encoding="utf-8") == NEW["kpis.csv"]


# --------------------------------------------------------------------------------------------
# Leftovers of a killed run
# --------------------------------------------------------------------------------------------

def _leave(folder: Path, files: dict[str, str]) -> None:
    folder.mkdir()
    for name, text in files.items():
        (folder / name).write_text(text, encoding="utf-8")


def test_leftovers_of_a_killed_run_are_cleaned(tmp_path: Path) -> None:
    target = tmp_path / "run"
    _write(target, OLD)
    # killed while writing (an older version's name without a process id) and after the
    # switch, before the backup was deleted (a process id that is not running)
    _leave(tmp_path / ".run.staging-k2j4_x9", {"kpis.csv": "half-writ"})
    _leave(tmp_path / ".run.backup-999999999-0a1b2c", OLD)
    (tmp_path / ".other.staging-abc").mkdir()  # another target's: not ours to touch
    _write(target, NEW)
    assert _others(target) == [".other.staging-abc"]
    assert {n: (target / n).read_text(encoding="utf-8") for n in NEW} == NEW


def test_backup_of_a_run_killed_between_the_renames_is_restored(tmp_path: Path) -> None:
    target = tmp_path / "run"
    _write(target, OLD)
    before = _hashes(target)
    target.rename(tmp_path / ".run.backup-999999999-0a1b2c")  # killed after the first rename
    _leave(tmp_path / ".run.staging-999999999-d3e4f5", NEW)  # ... before the second
    with pytest.raises(RuntimeError, match="stop"), staged_output(target):
        raise RuntimeError("stop")
    assert _hashes(target) == before
    assert _others(target) == []


def test_leftovers_of_a_running_process_are_left_alone(tmp_path: Path) -> None:
    if os.name != "posix":
        pytest.skip("process ids are checked on POSIX only")
    target = tmp_path / "run"
    _write(target, OLD)
    running = f".run.staging-{os.getppid()}-a1b2c3"
    (tmp_path / running).mkdir()
    _write(target, NEW)
    assert _others(target) == [running]


# --------------------------------------------------------------------------------------------
# In-place mode: a mount point or a folder whose parent is not writable
# --------------------------------------------------------------------------------------------

@pytest.fixture
def mount_point(tmp_path: Path, monkeypatch) -> Path:
    """``tmp_path / "run"`` written once with OLD, then seen (as any folder named ``run``) as a
    mount point."""
    target = tmp_path / "run"
    _write(target, OLD)
    real_ismount = os.path.ismount
    monkeypatch.setattr(os.path, "ismount",
                        lambda path: Path(path).name == "run" or real_ismount(path))
    return target


def test_mount_point_is_published_in_place(mount_point: Path) -> None:
    target = mount_point
    inode = target.stat().st_ino
    seen = {}
    with staged_output(target) as out:
        seen["staging"] = out.staging
        for name, text in NEW.items():
            out.path(name).write_text(text, encoding="utf-8")
    assert seen["staging"].parent == target  # on the mounted file system
    assert target.stat().st_ino == inode  # never renamed
    assert {n: (target / n).read_text(encoding="utf-8") for n in NEW} == NEW
    assert set((target / MANIFEST).read_text(encoding="utf-8").split("\n")) == set(NEW)
    assert _others(target) == [] and _inside_leftovers(target) == []


def test_in_place_failure_at_every_step_leaves_the_previous_run(mount_point: Path,
                                                                monkeypatch) -> None:
    target = mount_point
    before = _hashes(target)
    calls = _count_calls(target, monkeypatch, "replace")
    # extra.csv: 1 move; 3 old files and the manifest: 2 moves each; the commit: 1
    assert calls == 1 + 2 * 4 + 1
    for call in range(1, calls + 1):
        with pytest.raises(OutputFolderError, match="left as it was"):
            _write_failing(target, monkeypatch, "replace", {call})
        assert _hashes(target) == before, call
        assert _others(target) == [] and _inside_leftovers(target) == [], call


def test_in_place_run_killed_mid_switch_is_rolled_back(mount_point: Path,
                                                       monkeypatch) -> None:
    target = mount_point
    before = _hashes(target)
    with pytest.raises(SystemExit):  # stands for kill -9: no roll-back runs
        _write_failing(target, monkeypatch, "replace", {5}, error=SystemExit(9))
    assert _hashes(target) != before  # half switched: new kpis.csv, report.html moved away
    assert [n.split("-")[1] for n in _inside_leftovers(target)] == ["backup"]
    with pytest.raises(RuntimeError, match="stop"), staged_output(target):
        raise RuntimeError("stop")
    assert _hashes(target) == before
    assert _inside_leftovers(target) == []


def test_rename_refused_as_busy_falls_back_to_in_place(tmp_path: Path, monkeypatch) -> None:
    """A bind mount that os.path.ismount does not see: renaming it fails with EBUSY."""
    target = tmp_path / "run"
    _write(target, OLD)
    _write_failing(target, monkeypatch, "replace", {1},
                   error=OSError(errno.EBUSY, "Device or resource busy"))
    assert {n: (target / n).read_text(encoding="utf-8") for n in NEW} == NEW
    assert _others(target) == [] and _inside_leftovers(target) == []


def test_parent_not_writable_publishes_in_place(tmp_path: Path, monkeypatch) -> None:
    target = tmp_path / "run"
    _write(target, OLD)
    real_access = os.access
    monkeypatch.setattr(os, "access", lambda path, mode, **kw: (
        False if Path(path) == tmp_path else real_access(path, mode, **kw)))
    _write(target, NEW)
    assert {n: (target / n).read_text(encoding="utf-8") for n in NEW} == NEW
    assert _others(target) == [] and _inside_leftovers(target) == []


# --------------------------------------------------------------------------------------------
# Files a run removes (the SVG of a chart now written as PNG only)
# --------------------------------------------------------------------------------------------

def _write_removing(target: Path, monkeypatch, calls: set[int], **kwargs) -> _FailAt:
    """Stage NEW, remove chart.svg, and fail ``os.replace`` at ``calls`` while publishing."""
    with monkeypatch.context() as patch, staged_output(target, **kwargs) as out:
        for name, text in NEW.items():
            out.path(name).write_text(text, encoding="utf-8")
        out.remove("chart.svg")
        failing = _FailAt(patch, os, "replace", calls)
    return failing


def test_removed_files_go_with_the_publication_and_only_carefacility_s(
        tmp_path: Path) -> None:
    target = tmp_path / "run"
    _write(target, OLD | {"chart.svg": "an earlier run's chart"})
    (target / "mine.svg").write_text("the user's own", encoding="utf-8")
    with staged_output(target, force=True) as out:
        for name, text in NEW.items():
            out.path(name).write_text(text, encoding="utf-8")
        for name in ("chart.svg", "mine.svg", "kpis.csv", "absent.svg"):
            out.remove(name)
        assert (target / "chart.svg").exists()  # nothing changes before the publication
    assert not (target / "chart.svg").exists()
    assert (target / "mine.svg").read_text(encoding="utf-8") == "the user's own"  # not ours
    assert (target / "kpis.csv").read_text(encoding="utf-8") == "new kpis"  # written again
    listed = set((target / MANIFEST).read_text(encoding="utf-8").split("\n"))
    assert listed == set(NEW)
    assert _others(target) == []


def test_a_failed_publication_keeps_the_file_to_remove(tmp_path: Path, monkeypatch) -> None:
    target = tmp_path / "run"
    _write(target, OLD | {"chart.svg": "an earlier run's chart"})
    before = _hashes(target)
    with pytest.raises(OutputFolderError, match="left as it was"):
        _write_removing(target, monkeypatch, {2})  # the second rename (staging to target)
    assert _hashes(target) == before and _others(target) == []
    _write_removing(target, monkeypatch, set())
    assert not (target / "chart.svg").exists()


def test_in_place_removal_fails_safely_at_every_step(mount_point: Path, monkeypatch) -> None:
    target = mount_point
    _write(target, {"chart.svg": "an earlier run's chart"})
    before = _hashes(target)
    probe = target.parent / "probe" / target.name
    shutil.copytree(target, probe)
    calls = _write_removing(probe, monkeypatch, set()).count
    assert not (probe / "chart.svg").exists()
    assert set((probe / MANIFEST).read_text(encoding="utf-8").split("\n")) == set(NEW)
    shutil.rmtree(probe.parent)
    # extra.csv: 1 move; 3 old files and the manifest: 2 moves each; chart.svg: 1 move (into
    # the backup); the commit: 1
    assert calls == 1 + 2 * 4 + 1 + 1
    for call in range(1, calls + 1):
        with pytest.raises(OutputFolderError, match="left as it was"):
            _write_removing(target, monkeypatch, {call})
        assert _hashes(target) == before, call
        assert _others(target) == [] and _inside_leftovers(target) == [], call


# --------------------------------------------------------------------------------------------
# Full disk and denied writes
# --------------------------------------------------------------------------------------------

def _tiny_result() -> RunResult:
    kpis = pd.DataFrame({"year": [2021, 2022], "metric": ["beds", "beds"],
                         "mean": [10.0, 12.0], "ci_low": [9.0, 11.0], "ci_high": [11.0, 13.0],
                         "unit": ["beds", "beds"], "replications": [2, 2]})
    per_replication = pd.DataFrame({"replication": [0, 1, 0, 1], "year": [2021, 2021, 2022, 2022],
                                    "metric": "beds", "value": [9.5, 10.5, 11.5, 12.5],
                                    "unit": "beds"})
    return RunResult(per_replication=per_replication, kpis=kpis,
                     metadata={"scenario": "tiny", "seed": 1, "replications": 2})


def test_disk_full_while_writing_the_report_leaves_the_previous_run(tmp_path: Path,
                                                                   monkeypatch) -> None:
    target = tmp_path / "run"
    report.write_report(_tiny_result(), target)
    before = _hashes(target)

    def disk_full(tables, path, **kwargs):
        Path(path).write_bytes(b"PK\x03\x04 half")
        raise OSError(errno.ENOSPC, "No space left on device", str(path))

    monkeypatch.setattr(report, "write_workbook", disk_full)
    with pytest.raises(OutputFolderError, match="no space left") as caught:
        report.write_report(_tiny_result(), target)
    assert "\n" not in str(caught.value) and str(target) in str(caught.value)
    assert _hashes(target) == before
    assert _others(target) == []


def test_disk_full_while_carrying_old_files_leaves_the_previous_run(tmp_path: Path,
                                                                   monkeypatch) -> None:
    target = tmp_path / "run"
    _write(target, OLD | {"population.csv": "kept"})
    before = _hashes(target)
    full = OSError(errno.ENOSPC, "No space left on device")
    with monkeypatch.context() as patch, pytest.raises(OutputFolderError, match="no space"):
        with staged_output(target) as out:
            out.path("kpis.csv").write_text("new", encoding="utf-8")
            _FailAt(patch, os, "link", {1}, full)  # no hard links here, and no room to copy
            _FailAt(patch, shutil, "copy2", {1}, full)
    assert _hashes(target) == before
    assert _others(target) == []


@pytest.mark.parametrize("code, words", [(errno.EACCES, "permission denied"),
                                         (errno.EROFS, "read-only")])
def test_denied_write_is_a_clear_error(tmp_path: Path, code: int, words: str) -> None:
    target = tmp_path / "run"
    _write(target, OLD)
    before = _hashes(target)
    with pytest.raises(OutputFolderError, match=words), staged_output(target) as out:
        raise OSError(code, os.strerror(code), str(out.path("kpis.csv")))
    assert _hashes(target) == before
    assert _others(target) == []


def test_other_errors_of_the_block_pass_through(tmp_path: Path) -> None:
    target = tmp_path / "run"
    with pytest.raises(OSError, match="disk full") as caught, staged_output(target):
        raise OSError("disk full")  # no errno: not a condition the folder can explain
    assert not isinstance(caught.value, OutputFolderError)
    assert not target.exists() and _others(target) == []


def test_manifest_lists_only_files_that_exist(tmp_path: Path) -> None:
    target = tmp_path / "run"
    _write(target, OLD)
    (target / "report.html").unlink()
    _write(target, {"kpis.csv": "again"})
    listed = (target / MANIFEST).read_text(encoding="utf-8").split("\n")
    assert listed == ["kpis.csv", "results.xlsx"]
