"""`carefacility compare` and `carefacility sweep`: outputs, located errors with nothing
written, and a sweep that resumes after Ctrl-C and kill -9."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

import carefacility as cf
from carefacility.cli import main

ROOT = Path(__file__).resolve().parents[1]
ERLANG_C = ROOT / "scenarios" / "textbook" / "erlang_c.yaml"
SHORT = ["--set", "simulation.years=2", "--set", "simulation.warmup_days=365"]
BEDS = "plan.care_homes[home].beds.general"


def test_compare_writes_the_folder(tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = CliRunner().invoke(main, ["compare", str(ERLANG_C), *SHORT, "--variant",
                                       f"more_beds:{BEDS}=770", "--replications", "3",
                                       "--executor", "serial", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "2 variants, 3 replications each of 2 years (seed 2), baseline erlang_c" in (
        result.output)
    differences = pd.read_csv(out / "differences.csv", encoding="utf-8-sig")
    beds = differences[(differences["metric"] == "beds")]
    assert (beds["mean_difference"] == 9).all()


@pytest.mark.parametrize(("arguments", "expected"), [
    ([str(ERLANG_C), "--set", "simulation.yeers=2"],
     ["--set simulation.yeers=2: simulation.yeers: unknown key 'yeers' (did you mean "
      "\"years\"?)", "1 problem found"]),
    (["--variant", f"more:{BEDS}=lots", "--variant", "nocolon", "--variant",
      "x:plan.care_homes[nohome].beds.general=1"],
     [f"--variant more:{BEDS}=lots: plan.care_homes[0].beds.general: Input should be a valid "
      "integer", "--variant nocolon: --variant: expected NAME:PATH=VALUE",
      "--variant x:plan.care_homes[nohome].beds.general=1: plan.care_homes[nohome]",
      "no item named 'nohome'; the items are named home", "3 problems found"]),
    (["--variant", "x:simulation.seed=3"], ["common to all variants"]),
    ([], ["give at least two variants"]),
    (["--variant", "longer:simulation.years=5"],
     ["carefacility compare: the variants must share simulation.start_date and "
      "simulation.years"]),
])
def test_compare_errors_are_located_and_nothing_is_written(tmp_path: Path, arguments: list,
                                                           expected: list) -> None:
    out = tmp_path / "out"
    result = CliRunner().invoke(main, ["compare", str(ERLANG_C), *SHORT, *arguments,
                                       "--out", str(out)])
    assert result.exit_code == 2, result.output
    for text in expected:
        assert text in result.output
    assert "Traceback" not in result.output
    assert not out.exists()


def test_sweep_writes_the_folder_and_resumes(tmp_path: Path) -> None:
    out = tmp_path / "out"
    arguments = ["sweep", str(ERLANG_C), *SHORT, "--grid", f"{BEDS}=755,770", "--grid",
                 "simulation.admitted_within_days=30,60", "--replications", "2",
                 "--executor", "serial", "--out", str(out)]
    first = CliRunner().invoke(main, arguments)
    assert first.exit_code == 0, first.output
    assert "4 variants (4 run, 0 read back), 2 replications each (seed 2)" in first.output
    table = pd.read_csv(out / "sweep.csv", encoding="utf-8-sig")
    assert list(table.columns[:3]) == [BEDS, "simulation.admitted_within_days", "variant"]
    assert len([p for p in (out / "variants").iterdir()]) == 4
    again = CliRunner().invoke(main, arguments)
    assert "4 variants (0 run, 4 read back)" in again.output


def test_a_sweep_file_on_the_command_line(tmp_path: Path) -> None:
    (tmp_path / "erlang_c.yaml").write_bytes(ERLANG_C.read_bytes())
    sweep = tmp_path / "sweep.yaml"
    sweep.write_text(textwrap.dedent(f"""\
        scenario: erlang_c.yaml
        out: results
        set:
          - simulation.years=2
          - simulation.warmup_days=365
        grid:
          {BEDS}: [755, 770]
        variants:
          - name: capped
            set:
              - simulation.max_waiting=50
        replications: 2
        seed: 4
        """), encoding="utf-8")
    result = CliRunner().invoke(main, ["sweep", str(sweep), "--executor", "serial"])
    assert result.exit_code == 0, result.output
    assert "3 variants (3 run, 0 read back), 2 replications each (seed 4)" in result.output
    assert (tmp_path / "results" / "variants" / "capped" / "variant.json").is_file()


@pytest.mark.parametrize(("arguments", "expected"), [
    (["--grid", f"{BEDS}=755,,770", "--grid", "simulation.years="],
     [f"--grid {BEDS}=755,,770: {BEDS}: an empty value",
      "--grid simulation.years=: simulation.years: no values after '='"]),
    (["--grid", f"{BEDS}=755,770", "--grid", f"{BEDS}=1"],
     [f"--grid {BEDS}=1: {BEDS}: {BEDS} is already swept"]),
    (["--grid", "plan.care_homes[home].beds.genral=1,2"],
     ["--grid plan.care_homes[home].beds.genral=1: plan.care_homes[0].beds.genral: unknown "
      "key 'genral' (did you mean \"general\"?)"]),
    (["--grid", f"{BEDS}=x,770", "--set", "simulation.max_waiting=-1"],
     [f"--grid {BEDS}=x: plan.care_homes[0].beds.general: Input should be a valid integer",
      "--set simulation.max_waiting=-1: simulation.max_waiting"]),
    ([], ["nothing to sweep: give --grid"]),
])
def test_sweep_errors_are_located_and_nothing_is_written(tmp_path: Path, arguments: list,
                                                         expected: list) -> None:
    out = tmp_path / "out"
    result = CliRunner().invoke(main, ["sweep", str(ERLANG_C), *SHORT, *arguments,
                                       "--out", str(out)])
    assert result.exit_code == 2, result.output
    for text in expected:
        assert text in result.output, result.output
    assert "Traceback" not in result.output
    assert not out.exists()


def test_a_bad_sweep_file_is_located_and_nothing_is_written(tmp_path: Path) -> None:
    sweep = tmp_path / "sweep.yaml"
    sweep.write_text("scenario: nowhere.yaml\ngrid: {a.b: []}\nout: out\n", encoding="utf-8")
    result = CliRunner().invoke(main, ["sweep", str(sweep)])
    assert result.exit_code == 2
    assert f"{sweep}:1:11: scenario: 'nowhere.yaml': no such file" in result.output
    assert f"{sweep}:2:13: grid.a.b: a list of at least one value" in result.output
    assert not (tmp_path / "out").exists()


def _stored(out: Path) -> list[str]:
    folder = out / "variants"
    return [p.name for p in folder.iterdir() if not p.name.startswith(".")] if (
        folder.is_dir()) else []


def _start_and_stop(arguments: list[str], out: Path, *, after: int, how: signal.Signals
                    ) -> subprocess.CompletedProcess | int:
    """Start the sweep in a process of its own; send ``how`` once ``after`` variants are
    stored; return its exit code."""
    process = subprocess.Popen([sys.executable, "-m", "carefacility.cli", *arguments],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 120
    while len(_stored(out)) < after and process.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)
    if process.poll() is None:
        os.kill(process.pid, how)
    _, error = process.communicate(timeout=120)
    return process.returncode, error


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")
def test_a_sweep_killed_midway_resumes_to_the_same_table(tmp_path: Path) -> None:
    """Ctrl-C (SIGINT), then kill -9 (SIGKILL) of the whole command with its worker pool,
    then a run to the end: the same table as an uninterrupted sweep, and only unfinished
    variants run again."""
    out = tmp_path / "out"
    grid = ["--grid", f"{BEDS}=752,761,770", "--grid", "simulation.admitted_within_days=30,60"]
    arguments = ["sweep", str(ERLANG_C), *SHORT, *grid, "--replications", "40", "--workers",
                 "2", "--quiet", "--out", str(out)]
    code, error = _start_and_stop(arguments, out, after=1, how=signal.SIGINT)
    if code != 0:  # it was stopped before the end (a fast machine may finish first)
        assert code == 130 and "interrupted: the variants that finished are stored" in error
    first = len(_stored(out))
    assert first >= 1
    code, _ = _start_and_stop(arguments, out, after=min(first + 1, 6), how=signal.SIGKILL)
    assert code in (0, -signal.SIGKILL)
    before = len(_stored(out))
    assert before >= first
    resumed = CliRunner().invoke(main, [*arguments[:-3], "--out", str(out)])
    assert resumed.exit_code == 0, resumed.output
    assert len(_stored(out)) == 6
    whole = cf.sweep(ERLANG_C, grid=[g for g in grid if g != "--grid"], overrides=SHORT[1::2],
                     replications=40, workers=2)
    table = pd.read_csv(out / "sweep.csv", encoding="utf-8-sig", dtype={BEDS: str,
                        "simulation.admitted_within_days": str})
    pd.testing.assert_frame_equal(table, whole.table, check_dtype=False)
    # the run to the end ran only what was not stored: read back `before` variants
    about = (out / "sweep.json").read_text(encoding="utf-8")
    assert f'"variants_read_back": {before}' in about
    assert f'"variants_run": {6 - before}' in about
