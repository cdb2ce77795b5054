"""Time the imports a user waits for before the command line does anything.

Each figure is the best of ``REPEATS`` fresh interpreters (a new subprocess each time, so no
module is cached in memory; the operating system's file cache is warm after the first):

* ``import carefacility``, ``import carefacility.api`` and ``import carefacility.cli``: the
  seconds of the ``import`` statement alone, measured inside the subprocess;
* ``carefacility --help``: the wall-clock seconds of the whole command, interpreter start-up
  included (the console script next to this interpreter, else ``python -c`` calling
  ``carefacility.cli.main`` as the console script does).

Target: the command line's import ≤ ``TARGET_SECONDS`` — ``import carefacility.cli``,
``carefacility --help``, and ``import carefacility.api``, which ``carefacility run`` and
``carefacility project`` import before their work. The script exits with status 1 if one is
over. ``python -X importtime -c "import carefacility.api"`` shows where the time goes.

Run from the repository root::

    python benchmarks/bench_import.py
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
REPEATS = 5
TARGET_SECONDS = 0.8
MODULES = ("carefacility", "carefacility.api", "carefacility.cli")
HEAVY = ("pandas", "scipy", "matplotlib", "simpy")


def import_seconds(module: str, repeats: int = REPEATS) -> tuple[float, list[str]]:
    """Best seconds of ``import module`` in a fresh interpreter, and the heavy libraries it
    loaded."""
    code = ("import sys, time; started = time.perf_counter(); "
            f"import {module}; seconds = time.perf_counter() - started; "
            f"print(seconds, *sorted(m for m in {HEAVY!r} if m in sys.modules))")
    best, heavy = float("inf"), []
    for _ in range(repeats):
        out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                             check=True, cwd=ROOT).stdout.split()
        best, heavy = min(best, float(out[0])), out[1:]
    return best, heavy


def help_command() -> list[str]:
    """``carefacility --help``: the console script beside this interpreter, or its equivalent."""
    script = Path(sys.executable).with_name("carefacility")
    if script.is_file() and os.access(script, os.X_OK):
        return [str(script), "--help"]
    return [sys.executable, "-c", "import sys; from carefacility.cli import main; "
            "sys.exit(main())", "--help"]


def command_seconds(command: list[str], repeats: int = REPEATS) -> float:
    """Best wall-clock seconds of running ``command`` to its end."""
    best = float("inf")
    for _ in range(repeats):
        started = time.perf_counter()
        subprocess.run(command, capture_output=True, check=True, cwd=ROOT)
        best = min(best, time.perf_counter() - started)
    return best


def main() -> int:
    print(f"best of {REPEATS} fresh interpreters; target ≤ {TARGET_SECONDS} s")
    missed = []
    for module in MODULES:
        seconds, heavy = import_seconds(module)
        targeted = module != "carefacility"
        if targeted and seconds > TARGET_SECONDS:
            missed.append(module)
        mark = ("over target" if seconds > TARGET_SECONDS else "ok") if targeted else ""
        print(f"import {module:<18} {seconds:6.3f} s  {mark:<11} loads: "
              f"{', '.join(heavy) or 'none of ' + ', '.join(HEAVY)}")
    seconds = command_seconds(help_command())
    if seconds > TARGET_SECONDS:
        missed.append("carefacility --help")
    print(f"{'carefacility --help':<25} {seconds:6.3f} s  "
          f"{'over target' if seconds > TARGET_SECONDS else 'ok'} (whole command)")
    print(f"target: {'missed by ' + ', '.join(missed) if missed else 'met'}")
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
