"""Time :func:`carefacility.runner.prepare.prepare_run` on an idle and on a busy machine.

``prepare_run`` (population already projected) does everything deterministic a run needs:
care need, calibration, demand, the bed simulation's spec and the analytic cross-checks. Its
small numerical kernels (matrix exponentials of about 82 five-state care-level generators a
year, small solves) must not slow down when another process keeps a core busy: multithreaded
BLAS/LAPACK calls on tiny matrices spin-wait for a core that is not free.

For Xicheng, Jiading and Shanghai (``scenarios/*.yaml``) the script projects the population
once (not timed), warms ``prepare_run`` up, then times ``REPEATS`` calls idle and ``REPEATS``
calls with one busy-loop process (``while True: pass``) that the script starts before the call,
on the last CPU where the platform allows pinning, and stops after it; idle and busy calls
alternate, so that both meet the same load from outside. It prints the median and best
seconds of each.

Target: a busy machine must not multiply the cost, busy median ≤ ``TARGET_RATIO`` × idle
median; the script exits with status 1 if a scenario misses it.

Run from the repository root::

    python benchmarks/bench_prepare.py
    OPENBLAS_NUM_THREADS=1 python benchmarks/bench_prepare.py   # for comparison

The figures depend on what else the machine runs; "idle" means no busy loop of ours, and the
load average is printed. The CPU seconds (all threads of this process) tell the two causes of
a slowdown apart: a busy machine that only takes turns with us raises the wall-clock time, while
BLAS threads spin-waiting for a core raise the CPU time as well.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time
import warnings
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SCENARIOS = ("xicheng", "jiading", "shanghai")
REPEATS = 7
TARGET_RATIO = 1.5


def _busy_loop() -> subprocess.Popen:
    """Start a process spinning on one core (the last CPU if affinity can be set)."""
    process = subprocess.Popen([sys.executable, "-c", "while True: pass"])
    if hasattr(os, "sched_setaffinity") and (os.cpu_count() or 1) > 1:
        try:
            os.sched_setaffinity(process.pid, {max(os.sched_getaffinity(0))})
        except OSError:
            pass
    time.sleep(0.3)  # let it reach the loop
    return process


def _stop(process: subprocess.Popen) -> None:
    process.terminate()
    process.wait(timeout=10)


def _seconds(call, repeats: int = REPEATS) -> tuple[list[float], list[float]]:
    """Wall-clock and CPU seconds (all threads of this process) of ``repeats`` calls."""
    wall, cpu = [], []
    for _ in range(repeats):
        started, started_cpu = time.perf_counter(), time.process_time()
        call()
        wall.append(time.perf_counter() - started)
        cpu.append(time.process_time() - started_cpu)
    return wall, cpu


def main() -> int:
    import carefacility as cf
    from carefacility.runner.prepare import prepare_run

    threads = os.environ.get("OPENBLAS_NUM_THREADS", "default")
    load = f"{os.getloadavg()[0]:.1f}" if hasattr(os, "getloadavg") else "unknown"
    print(f"prepare_run seconds, median (best) of {REPEATS}; {os.cpu_count()} CPUs; "
          f"OPENBLAS_NUM_THREADS={threads}; load average before: {load}")
    print(f"{'scenario':<10} {'idle':>16} {'busy':>16} {'busy/idle':>10} "
          f"{'CPU s idle':>11} {'CPU s busy':>11}")
    failed = []
    for name in SCENARIOS:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            scenario = cf.load_scenario(ROOT / "scenarios" / f"{name}.yaml")
            projection = cf.project(scenario)

            def call(scenario=scenario, projection=projection) -> None:
                prepare_run(scenario, projection)

            call()  # warm-up: imports, caches of the libraries
            idle, idle_cpu, busy, busy_cpu = [], [], [], []
            for _ in range(REPEATS):  # alternated, so both see the same outside load
                wall, cpu = _seconds(call, 1)
                idle += wall
                idle_cpu += cpu
                busy_process = _busy_loop()
                try:
                    wall, cpu = _seconds(call, 1)
                finally:
                    _stop(busy_process)
                busy += wall
                busy_cpu += cpu
        ratio = statistics.median(busy) / statistics.median(idle)
        if ratio > TARGET_RATIO:
            failed.append(name)
        print(f"{name:<10} {statistics.median(idle):7.3f} ({min(idle):6.3f}) "
              f"{statistics.median(busy):7.3f} ({min(busy):6.3f}) {ratio:9.2f}x "
              f"{statistics.median(idle_cpu):11.3f} {statistics.median(busy_cpu):11.3f}")
    verdict = "missed by " + ", ".join(failed) if failed else "met"
    print(f"target: busy ≤ {TARGET_RATIO}x idle (median): {verdict}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
