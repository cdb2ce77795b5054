"""The output folder of ``carefacility optimize``: the smallest sufficient plan beside the
analytic methods, the service levels that show it, costs and charts.

Files (CSV in UTF-8 with a byte-order mark, so that Excel and WPS open them):

* ``minimal_plan.csv`` — per year, zone and bed type, the scenario's beds and the beds each
  method needs (:data:`carefacility.runner.optimize.MINIMAL_PLAN_COLUMNS`; README, "The
  smallest sufficient plan");
* ``optimize_summary.csv`` — per target, year and group of applicants, the KPI with its 95 % CI
  at the plan, with one bed fewer of each type, at the scenario's plan and at each method's plan
  (:data:`carefacility.runner.optimize.SUMMARY_COLUMNS`);
* ``plan_costs.csv`` — with ``costs:`` in the scenario: each plan's beds, new beds, waiting
  and their costs by year and in total;
* ``minimal_sites.csv`` — with services: day-care centres and meal points needed (analytic);
* ``optimize_search.csv`` — every decision of the search (year, bed type, beds, decision,
  replications);
* ``optimize_metadata.json`` — seed, confidence, indifference zones, replications, the groups
  each bed type is sized for, warnings, time by stage;
* ``planned_vs_needed.png`` (all beds) and ``planned_vs_needed_<type>.png`` (each bed type,
  with several) — :func:`carefacility.report.plan_plots.planned_against_needed`.

The write is staged (:func:`carefacility.report.output_folder.staged_output`): a failure leaves
an earlier folder as it was, and a folder holding other files is refused unless ``force``.
"""

from __future__ import annotations

import json
from pathlib import Path

from carefacility.report.labels import Lang
from carefacility.report.output_folder import staged_output, write_chart, write_csv
from carefacility.runner.optimize import OptimizeResult

__all__ = ["METADATA_FILE", "OPTIMIZE_TABLES", "write_optimize_outputs"]

OPTIMIZE_TABLES = ("minimal_plan", "optimize_summary", "plan_costs", "minimal_sites",
                   "optimize_search")
"""The tables of an optimize folder (``<name>.csv``; costs and sites only when present)."""

METADATA_FILE = "optimize_metadata.json"


def write_optimize_outputs(result: OptimizeResult, out_dir: str | Path, *, lang: Lang = "en",
                           force: bool = False, svg: bool = False,
                           title: str | None = None) -> list[Path]:
    """Write an optimisation's tables, metadata and charts into ``out_dir``.

    Parameters
    ----------
    result : OptimizeResult
        What :func:`carefacility.optimize` returned.
    out_dir : str or pathlib.Path
        The output folder (created if missing).
    lang : {"en", "zh"}
        Language of the charts.
    force : bool
        Write into a folder that holds files carefacility did not write.
    svg : bool
        Also save each chart as SVG.
    title : str, optional
        Put before each chart's title (default: the scenario's name).

    Returns
    -------
    list of pathlib.Path
        The files as they stand in ``out_dir`` after the write.
    """
    from carefacility.report import plan_plots

    name = title if title is not None else (result.scenario.name if result.scenario else "")
    tables = {"minimal_plan": result.minimal_plan, "optimize_summary": result.summary,
              "plan_costs": result.plan_costs, "minimal_sites": result.minimal_sites,
              "optimize_search": result.search_log}
    with staged_output(out_dir, force=force) as out:
        names = []
        for table, frame in tables.items():
            if frame is None:
                out.remove(f"{table}.csv")
                continue
            write_csv(frame, out.path(f"{table}.csv"))
            names.append(f"{table}.csv")
        about = {**result.metadata, "warnings": list(result.messages),
                 "tables": [f"{table}.csv" for table, frame in tables.items()
                            if frame is not None]}
        out.path(METADATA_FILE).write_text(
            json.dumps(about, indent=2, ensure_ascii=False, default=str), encoding="utf-8")
        names.append(METADATA_FILE)
        plan = result.minimal_plan
        prefix = f"{name}: " if name else ""
        names += write_chart(out, "planned_vs_needed", plan_plots.planned_against_needed(
            plan, lang=lang, title=prefix + plan_plots.chart_title("all", lang)), svg=svg)
        types = [t for t in dict.fromkeys(plan.loc[plan["method"] == "simulation", "bed_type"])
                 if t != "all"]
        for bed_type in types if len(types) > 1 else []:
            names += write_chart(out, f"planned_vs_needed_{bed_type}",
                            plan_plots.planned_against_needed(
                                plan, bed_type=bed_type, lang=lang,
                                title=prefix + plan_plots.chart_title(bed_type, lang)), svg=svg)
        final = [out.final_path(file) for file in names]
    return final
