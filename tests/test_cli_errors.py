"""Errors are messages, never tracebacks (unless --debug); Dask addresses are checked before any
work; pool workers end when the process that started them is killed."""

from __future__ import annotations

import errno
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from carefacility.base.errors import Problem, ScenarioError
from carefacility.cli import main

ROOT = Path(__file__).resolve().parents[1]
ERLANG_B = ROOT / "scenarios" / "textbook" / "erlang_b.yaml"


def boom(*_args: object, **_kwargs: object) -> None:
    raise RuntimeError("boom: something broke\nsecond line of the message")


@pytest.fixture
def no_simulation(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Make any simulation fail loudly; the list records that it was reached."""
    reached: list[str] = []

    def refuse(*_args: object, **_kwargs: object) -> None:
        reached.append("simulation")
        raise AssertionError("the simulation was reached")

    monkeypatch.setattr("carefacility.api._run", refuse)
    monkeypatch.setattr("carefacility.runner.simulation.run_batches", refuse)
    return reached


# ---------------------------------------------------------------- messages, not tracebacks

def test_an_unexpected_error_is_one_line_with_a_hint(monkeypatch, write_scenario,
                                                     minimal: str, tmp_path: Path) -> None:
    monkeypatch.setattr("carefacility.api.project", boom)
    args = ["project", str(write_scenario(minimal)), "--out", str(tmp_path / "out")]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 1
    assert "Traceback" not in result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "RuntimeError: boom: something broke" in lines[0]
    assert "second line" not in lines[0]
    assert "--debug" in lines[0]


def test_debug_shows_the_traceback(monkeypatch, write_scenario, minimal: str,
                                   tmp_path: Path) -> None:
    monkeypatch.setattr("carefacility.api.project", boom)
    args = ["--debug", "project", str(write_scenario(minimal)), "--out", str(tmp_path / "out")]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 1
    assert "Traceback (most recent call last)" in result.stderr
    assert "RuntimeError: boom: something broke" in result.stderr
    assert "second line of the message" in result.stderr
    # the environment variable does the same
    result = CliRunner().invoke(main, args[1:], env={"CAREFACILITY_DEBUG": "1"})
    assert "Traceback (most recent call last)" in result.stderr


def test_a_value_error_is_bad_input(monkeypatch, write_scenario, minimal: str,
                                    tmp_path: Path) -> None:
    def bad(*_args: object, **_kwargs: object) -> None:
        raise ValueError("scenario.yaml: targets count registered elders but ...")

    monkeypatch.setattr("carefacility.api.project", bad)
    result = CliRunner().invoke(main, ["project", str(write_scenario(minimal)), "--out",
                                       str(tmp_path / "out")])
    assert result.exit_code == 2
    assert "targets count registered elders" in result.stderr
    assert "Traceback" not in result.output


def test_a_scenario_error_keeps_its_located_report(monkeypatch, write_scenario, minimal: str,
                                                   tmp_path: Path) -> None:
    def located(*_args: object, **_kwargs: object) -> None:
        raise ScenarioError([Problem("data/table.csv", 3, 7, "value", "given -1, allowed ≥ 0")])

    monkeypatch.setattr("carefacility.api.project", located)
    result = CliRunner().invoke(main, ["project", str(write_scenario(minimal)), "--out",
                                       str(tmp_path / "out")])
    assert result.exit_code == 2
    assert "data/table.csv:3:7: value: given -1, allowed ≥ 0" in result.stderr
    assert "1 problem found; nothing was written." in result.stderr
    assert "carefacility: error" not in result.stderr


@pytest.mark.parametrize(("code", "reason"), [(errno.ENOSPC, "No space left on device"),
                                              (errno.EACCES, "Permission denied")])
def test_an_os_error_while_writing_is_a_message(monkeypatch, tmp_path: Path, code: int,
                                                reason: str) -> None:
    out = tmp_path / "out"

    def fail(*_args: object, **_kwargs: object) -> None:
        raise OSError(code, reason, str(out / "kpis_by_replication.csv"))

    monkeypatch.setattr("carefacility.api.write_report", fail)
    result = CliRunner().invoke(main, ["run", str(ERLANG_B), "--out", str(out),
                                       "--replications", "2", "--executor", "serial"])
    assert result.exit_code == 1
    assert "Traceback" not in result.output
    line = result.stderr.strip()
    assert "\n" not in line
    assert f"{out / 'kpis_by_replication.csv'}: {reason}" in line


def test_a_missing_scenario_file_is_still_a_message(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["run", str(tmp_path / "nowhere.yaml"), "--out",
                                       str(tmp_path / "out")])
    assert result.exit_code in (1, 2)
    assert "Traceback" not in result.output
    assert "nowhere.yaml" in result.output


# ---------------------------------------------------------------- Dask addresses

@pytest.mark.parametrize("address", ["tcp://::::", "notaurl", "http://10.0.0.5:8786",
                                     "tcp://10.0.0.5:99999"])
@pytest.mark.parametrize("executor", ["dask", "processes"])
def test_a_malformed_dask_address_stops_before_any_work(address: str, executor: str,
                                                        tmp_path: Path,
                                                        no_simulation: list[str]) -> None:
    out = tmp_path / "out"
    result = CliRunner().invoke(main, ["run", str(ERLANG_B), "--out", str(out), "--executor",
                                       executor, "--dask-address", address])
    assert result.exit_code == 2, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("--dask-address: ")
    assert repr(address) in lines[0]
    assert "tcp://HOST:PORT" in lines[0]
    assert no_simulation == []
    assert not out.exists()


def test_an_unreachable_dask_scheduler_is_a_message(tmp_path: Path,
                                                    no_simulation: list[str]) -> None:
    pytest.importorskip("dask.distributed")
    out = tmp_path / "out"
    started = time.perf_counter()
    result = CliRunner().invoke(main, ["run", str(ERLANG_B), "--out", str(out), "--executor",
                                       "dask", "--dask-address", "tcp://127.0.0.1:1"])
    assert time.perf_counter() - started < 60
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "no Dask scheduler answered at tcp://127.0.0.1:1 within 5 s" in lines[0]
    assert "dask scheduler" in lines[0] and "omit --dask-address" in lines[0]
    assert no_simulation == []
    assert not out.exists()


def test_run_replications_names_an_unreachable_scheduler() -> None:
    pytest.importorskip("dask.distributed")
    from carefacility.runner.executors import DaskAddressError, run_replications

    unreachable = r"no Dask scheduler answered at tcp://127\.0\.0\.1:1 within 5 s"
    with pytest.raises(DaskAddressError, match=unreachable):
        run_replications(boom, {}, replications=2, seed=0, executor="dask",
                         dask_address="tcp://127.0.0.1:1")
    with pytest.raises(DaskAddressError, match="is not a Dask scheduler address"):
        run_replications(boom, {}, replications=2, seed=0, executor="dask",
                         dask_address="notaurl")


# ---------------------------------------------------------------- workers end with the parent

POOL_SCRIPT = """\
import os, sys, time
from pathlib import Path

from carefacility.runner.executors import run_replications


def slow(folder, seed, replication):
    Path(folder, f"worker-{replication}").write_text(str(os.getpid()))
    time.sleep(120)


if __name__ == "__main__":
    run_replications(slow, sys.argv[1], replications=2, seed=0, executor="processes",
                     workers=2)
"""

# the parent starts a child that arms one of the two mechanisms, then waits to be killed
CHILD_SCRIPT = """\
import os, subprocess, sys, time
from pathlib import Path

child = '''
import os, sys, time
from pathlib import Path
from carefacility.runner import executors
if sys.argv[2] == "signal":
    assert executors._set_parent_death_signal()
else:
    executors.watch_parent(os.getppid(), interval=0.2)
Path(sys.argv[1], "worker-0").write_text(str(os.getpid()))
time.sleep(120)
'''
subprocess.Popen([sys.executable, "-c", child, sys.argv[1], sys.argv[2]])
time.sleep(120)
"""


def _alive(pid: int) -> bool:
    """Whether ``pid`` runs (a zombie, dead and waiting for its new parent, does not)."""
    if Path("/proc/self").exists():
        try:
            return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
        except (OSError, IndexError):
            return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # pragma: no cover - someone else's process took the pid
        return False
    return True


def _children(pid: int) -> set[int]:
    """Child processes of ``pid`` from /proc (Linux), else empty."""
    found: set[int] = set()
    for path in Path(f"/proc/{pid}/task").glob("*/children"):
        try:
            found |= {int(child) for child in path.read_text().split()}
        except OSError:
            continue
    return found


def _kill_parent_and_wait(script: str, folder: Path, workers: int, *args: str) -> list[int]:
    """Start ``script``; once its workers wrote their pids, kill -9 it; return those pids."""
    path = folder / "script.py"
    path.write_text(textwrap.dedent(script), encoding="utf-8")
    environment = {**os.environ,
                   "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])}
    parent = subprocess.Popen([sys.executable, str(path), str(folder), *args], env=environment)
    pids: list[int] = []
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            files = sorted(folder.glob("worker-*"))
            texts = [file.read_text() for file in files]
            if len(files) == workers and all(texts):
                pids = [int(text) for text in texts]
                break
            assert parent.poll() is None, "the script ended before its workers started"
            time.sleep(0.05)
        assert pids, "the workers did not start within 60 s"
        if Path("/proc/self").exists() and script is POOL_SCRIPT:
            assert set(pids) <= _children(parent.pid), "the workers are not the pool's"
        os.kill(parent.pid, signal.SIGKILL)
        parent.wait(timeout=10)
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline and any(_alive(pid) for pid in pids):
            time.sleep(0.05)
        return [pid for pid in pids if _alive(pid)]
    finally:
        if parent.poll() is None:
            parent.kill()
            parent.wait()
        for pid in pids:  # never leave a stray worker behind, even when the test fails
            if _alive(pid):
                os.kill(pid, signal.SIGKILL)


@pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="kill -9 needs POSIX signals")
def test_pool_workers_end_when_the_main_process_is_killed(tmp_path: Path) -> None:
    survivors = _kill_parent_and_wait(POOL_SCRIPT, tmp_path, 2)
    assert survivors == [], f"workers {survivors} still alive 5 s after kill -9 of their parent"


@pytest.mark.skipif(not sys.platform.startswith("linux"),
                    reason="the parent-death signal (prctl) is Linux only")
def test_the_parent_death_signal_alone_ends_the_worker(tmp_path: Path) -> None:
    assert _kill_parent_and_wait(CHILD_SCRIPT, tmp_path, 1, "signal") == []


@pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="kill -9 needs POSIX signals")
def test_the_parent_watch_alone_ends_the_worker(tmp_path: Path) -> None:
    assert _kill_parent_and_wait(CHILD_SCRIPT, tmp_path, 1, "watch") == []
