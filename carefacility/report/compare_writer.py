"""The output folder of ``carefacility compare``: variants side by side, their paired
differences, their scorecards and charts.

Files (CSV in UTF-8 with a byte-order mark, so that Excel and WPS open them):

* ``variants.csv`` — ``variant, year, metric, mean, ci_low, ci_high, unit, replications``:
  every KPI of every variant with its 95 % CI over replications;
* ``differences.csv`` — ``variant, baseline, year, metric, mean_difference, ci_low, ci_high,
  replications, unit``: each variant minus the baseline (the first variant), the difference
  taken replication by replication (the variants share their random numbers) and its own 95 %
  t-interval;
* ``scorecards.csv`` — a row per target and year; per variant its status
  (``status.<variant>``) and simulated mean (``mean.<variant>``);
* ``kpis_by_replication.csv`` — ``variant, replication, year, metric, value, unit``;
* ``variants.json`` — each variant's file, overrides and scenario name, the seed, the
  replications, the carefacility version;
* ``compare_<metric>.png`` — the KPI by year per variant with CI bands, and
  ``difference_<metric>.png`` — each variant's paired difference from the baseline.

The write is staged (:func:`carefacility.report.output_folder.staged_output`): a failure leaves
an earlier folder as it was, and a folder holding other files is refused unless ``force``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pandas as pd

from carefacility.report.labels import Lang
from carefacility.report.output_folder import staged_output, write_chart, write_csv
from carefacility.runner.variants import CompareResult

__all__ = ["COMPARE_TABLES", "write_compare_outputs"]

COMPARE_TABLES = ("variants", "differences", "scorecards", "kpis_by_replication")
"""The tables of a compare folder (``<name>.csv``)."""


def _per_replication(result: CompareResult) -> pd.DataFrame:
    parts = [run.per_replication.assign(variant=name) for name, run in result.results.items()]
    frame = pd.concat(parts, ignore_index=True)
    return frame[["variant", "replication", "year", "metric", "value", "unit"]]


def _about(result: CompareResult) -> dict[str, Any]:
    """What ``variants.json`` holds."""
    return {**result.metadata, "tables": {name: f"{name}.csv" for name in COMPARE_TABLES}}


def write_compare_outputs(result: CompareResult, out_dir: str | Path, *, lang: Lang = "en",
                          force: bool = False, svg: bool = False,
                          metrics: tuple[str, ...] | None = None) -> list[Path]:
    """Write a comparison's tables, ``variants.json`` and charts into ``out_dir``.

    Parameters
    ----------
    result : CompareResult
        What :func:`carefacility.compare` returned.
    out_dir : str or pathlib.Path
        The output folder (created if missing).
    lang : {"en", "zh"}
        Language of the charts.
    force : bool
        Write into a folder that holds files carefacility did not write.
    svg : bool
        Also save each chart as SVG.
    metrics : tuple of str, optional
        The KPIs to chart (default :data:`carefacility.report.compare_plots.CHART_METRICS`);
        a KPI the variants lack is skipped.

    Returns
    -------
    list of pathlib.Path
        The files as they stand in ``out_dir`` after the write.
    """
    from carefacility.report import compare_plots

    metrics = metrics if metrics is not None else compare_plots.CHART_METRICS
    tables = {"variants": result.kpis, "differences": result.differences,
              "scorecards": result.scorecards,
              "kpis_by_replication": _per_replication(result)}
    with staged_output(out_dir, force=force) as out:
        names = []
        for name, frame in tables.items():
            write_csv(frame, out.path(f"{name}.csv"))
            names.append(f"{name}.csv")
        out.path("variants.json").write_text(
            json.dumps(_about(result), indent=2, ensure_ascii=False, default=str),
            encoding="utf-8")
        names.append("variants.json")
        known = set(result.kpis["metric"])
        for metric in metrics:
            if metric not in known:
                continue
            names += write_chart(out, f"compare_{metric}", compare_plots.metric_by_year(
                result.kpis, metric, variants=[v.name for v in result.variants], lang=lang),
                svg=svg)
            if len(result.variants) > 1:
                names += write_chart(out, f"difference_{metric}",
                                     compare_plots.difference_by_year(
                                         result.differences, metric, lang=lang), svg=svg)
        final = [out.final_path(name) for name in names]
    return final
