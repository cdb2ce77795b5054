"""Time writing a run's report: ``write_report`` of Xicheng with its options, and its parts.

What it measures, on a RunResult of ``scenarios/xicheng.yaml`` with the scenario's defaults
(made here with ``cf.run``, or read from a pickle with ``--result``):

1. ``write_report`` into a new folder, each time in a fresh Python process (as the command line
   does it, so the imports of matplotlib, openpyxl and jinja2 are counted), best of
   ``--repeat``: with the defaults (PNG charts, no per-replication sheet, serial); with
   ``svg=True, per_replication_sheet=True`` (what every run wrote before); with
   ``workers=2`` (charts drawn on two forked processes while the workbook is written); and as
   ``carefacility run`` writes it: two drawing processes started before, which loaded
   matplotlib and drew the projection's charts (pyramid, elderly, back-test) before the timer
   starts, as they do while the scenario loads and the replications run
   (:func:`carefacility.report.writer.start_chart_drawing`).
2. The parts of a serial write, in this process, after one warm-up: importing the report
   modules (in a fresh process), drawing the charts, saving them as PNG and as SVG, the
   workbook without and with the per-replication sheet, ``report.html`` and the CSV files,
   each with its share of the default write (PNG, workbook without that sheet, HTML, CSV,
   drawing, imports) and of the write with both options.

When the result is made here, the run's own time is printed too, with the report's share of
run + report (the target of the issue: at most 10 %, and a whole default run of Xicheng at
most 6 s wall on 2 cores).

Run: ``python benchmarks/bench_report.py [--result xicheng.pkl] [--repeat 3]``
(``--save-result FILE`` pickles the result made here for later runs).
"""

from __future__ import annotations

import argparse
import io
import pickle
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SCENARIO = ROOT / "scenarios" / "xicheng.yaml"

CONFIGURATIONS = {
    "defaults": {},
    "svg + per-replication sheet": {"svg": True, "per_replication_sheet": True},
    "workers=2": {"workers": 2},
    "as carefacility run": {"drawing": 2},
}
"""Keyword arguments of ``carefacility.write_report`` timed in a fresh process; ``drawing``:
start that many drawing processes and draw the projection's charts ahead first, untimed (as
``carefacility run`` does before and during the replications,
:func:`carefacility.report.writer.start_chart_drawing`)."""

_CHILD = """
import ast, pickle, sys, time
import carefacility as cf
from carefacility.report.writer import start_chart_drawing
result = pickle.load(open(sys.argv[1], "rb"))
options = ast.literal_eval(sys.argv[3])
drawing = start_chart_drawing(options.pop("drawing", None))
drawing.draw_ahead(result.projection, result.scenario)
if drawing.usable:
    drawing.wait()
loaded = time.perf_counter()
cf.write_report(result, sys.argv[2], **options)
print(time.perf_counter() - loaded)
drawing.close()
"""
"""A fresh process: load the result, then time ``cf.write_report`` (its imports included)."""


def _fresh_write(result_file: Path, options: dict, repeat: int) -> float:
    """Best time of ``write_report(**options)`` in a fresh process [s]."""
    best = float("inf")
    for _ in range(repeat):
        with tempfile.TemporaryDirectory() as folder:
            out = subprocess.run(
                [sys.executable, "-c", _CHILD, str(result_file), str(Path(folder) / "run"),
                 repr(options)], capture_output=True, text=True, check=True, cwd=ROOT)
        best = min(best, float(out.stdout.strip().splitlines()[-1]))
    return best


def _import_seconds(repeat: int) -> float:
    """Best time of importing the report's modules (writer, plots with matplotlib, openpyxl,
    jinja2) in a fresh process that has imported carefacility's runner already [s]."""
    code = ("import time, carefacility.runner.results, carefacility.population.projection\n"
            "started = time.perf_counter()\n"
            "import carefacility.report.writer, carefacility.report.plots, openpyxl\n"
            "print(time.perf_counter() - started)")
    return min(float(subprocess.run([sys.executable, "-c", code], capture_output=True,
                                    text=True, check=True).stdout) for _ in range(repeat))


def _parts(result, repeat: int) -> dict[str, float]:
    """Seconds of each part of a serial write (best of ``repeat``, warm)."""
    from carefacility.report import excel, plots, writer
    from carefacility.report.html import Chart, render_html
    from carefacility.report.output_folder import write_csv

    tables = writer._run_tables(result, None, result.projection)
    jobs = writer._chart_jobs(tables, title=result.metadata.get("scenario", ""), lang="en",
                              svg=False)
    best: dict[str, float] = {}

    def keep(name: str, seconds: float) -> None:
        best[name] = min(best.get(name, float("inf")), seconds)

    with tempfile.TemporaryDirectory() as folder:
        folder = Path(folder)
        for _ in range(repeat + 1):  # the first round warms up (imports, font cache)
            started = time.perf_counter()
            figures = [writer._draw_chart(job) for job in jobs]
            keep("draw", time.perf_counter() - started)
            started = time.perf_counter()
            images = [plots.figure_images(ax)[0] for ax in figures]
            keep("png", time.perf_counter() - started)
            started = time.perf_counter()
            for ax in figures:
                ax.get_figure().savefig(io.BytesIO(), format="svg")
            keep("svg", time.perf_counter() - started)
            started = time.perf_counter()
            excel.write_workbook(tables, folder / "a.xlsx",
                                 csv_only=(writer.PER_REPLICATION_TABLE,))
            keep("workbook", time.perf_counter() - started)
            started = time.perf_counter()
            excel.write_workbook(tables, folder / "b.xlsx")
            keep("workbook with per-replication sheet", time.perf_counter() - started)
            charts = [Chart(key=job.key, title=job.key, png=png)
                      for job, png in zip(jobs, images, strict=True)]
            started = time.perf_counter()
            render_html(tables, result.metadata, title="Xicheng", charts=charts[:-1],
                        backtest_chart=charts[-1])
            keep("html", time.perf_counter() - started)
            started = time.perf_counter()
            for name, frame in tables.items():
                write_csv(frame, folder / f"{name}.csv")
            keep("csv", time.perf_counter() - started)
    best["import"] = _import_seconds(repeat)
    return best


def _shares(parts: dict[str, float], names: tuple[str, ...]) -> str:
    total = sum(parts[name] for name in names)
    return f"{total:5.2f} s: " + ", ".join(
        f"{name} {parts[name]:.2f} s ({parts[name] / total:.0%})" for name in names)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--result", type=Path, help="a pickled RunResult of Xicheng")
    parser.add_argument("--save-result", type=Path, help="pickle the result made here")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)

    run_seconds = None
    if args.result is not None:
        with args.result.open("rb") as handle:
            result = pickle.load(handle)
    else:
        import carefacility as cf

        started = time.perf_counter()
        result = cf.run(cf.load_scenario(SCENARIO))
        run_seconds = time.perf_counter() - started
        print(f"cf.run(xicheng) with its defaults: {run_seconds:.2f} s "
              f"({result.metadata.get('replications')} replications)")
        if args.save_result is not None:
            with args.save_result.open("wb") as handle:
                pickle.dump(result, handle)
    rows = len(result.per_replication)
    print(f"per-replication KPIs: {rows:,} rows; KPIs: {len(result.kpis):,} rows")

    with tempfile.TemporaryDirectory() as folder:
        result_file = Path(folder) / "result.pkl"
        with result_file.open("wb") as handle:
            pickle.dump(result, handle)
        print(f"\nwrite_report in a fresh process (imports included), best of {args.repeat}:")
        timings = {}
        for name, options in CONFIGURATIONS.items():
            timings[name] = _fresh_write(result_file, options, args.repeat)
            print(f"  {name:<30} {timings[name]:6.2f} s")

    parts = _parts(result, args.repeat)
    print(f"\nparts of a serial write (this process, warm; imports in a fresh process), best "
          f"of {args.repeat}:")
    print("  defaults:                     "
          + _shares(parts, ("import", "draw", "png", "workbook", "html", "csv")))
    both = dict(parts, workbook=parts["workbook with per-replication sheet"])
    print("  svg + per-replication sheet:  "
          + _shares(both, ("import", "draw", "png", "svg", "workbook", "html", "csv")))
    if run_seconds is not None:
        report = timings["defaults"]
        ahead = timings["as carefacility run"]
        print(f"\nreport share of run + report (defaults, serial): "
              f"{report / (run_seconds + report):.0%} (target <= 10 %); with workers=2: "
              f"{timings['workers=2'] / (run_seconds + timings['workers=2']):.0%}; as "
              f"carefacility run (drawing processes, projection's charts ahead): "
              f"{ahead / (run_seconds + ahead):.0%}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
