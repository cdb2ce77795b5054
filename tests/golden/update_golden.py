"""Regenerate the golden copies of a fixed-seed run (the deliberate update step).

Run from the repository root after an intended change of results::

    python tests/golden/update_golden.py

then review ``git diff tests/golden`` and say in the commit why the numbers moved.
``tests/test_golden.py`` compares a fresh run with these files byte for byte.
"""

from __future__ import annotations

import shutil
import sys
import tempfile
from pathlib import Path

from click.testing import CliRunner

from carefacility.cli import main

ROOT = Path(__file__).resolve().parents[2]
GOLDEN = Path(__file__).resolve().parent

CASES = {
    # name: (scenario file, replications, seed); serial executor (results do not depend on it)
    "xicheng": ("scenarios/xicheng.yaml", 2, 11),
}
FILES = ("kpis.csv", "scorecard.csv")


def run_case(name: str, out_dir: Path) -> Path:
    """Run one golden case through the command line into ``out_dir``; return the folder."""
    scenario, replications, seed = CASES[name]
    result = CliRunner().invoke(main, [
        "run", str(ROOT / scenario), "--out", str(out_dir), "--replications",
        str(replications), "--seed", str(seed), "--executor", "serial"])
    if result.exit_code != 0:
        raise RuntimeError(f"golden case {name} failed:\n{result.output}")
    return out_dir


def main_update() -> None:
    """Rewrite every golden file from a fresh run."""
    with tempfile.TemporaryDirectory() as tmp:
        for name in CASES:
            out = run_case(name, Path(tmp) / name)
            target = GOLDEN / name
            target.mkdir(exist_ok=True)
            for file in FILES:
                shutil.copyfile(out / file, target / file)
                print(f"updated {target / file}")


if __name__ == "__main__":
    sys.exit(main_update())
