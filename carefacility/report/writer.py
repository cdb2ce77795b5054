"""Writers of a run's outputs: CSV tables (UTF-8 with BOM), charts (PNG, and SVG when asked),
the self-contained ``report.html`` and the ``results.xlsx`` workbook.

A run folder can be written from a :class:`~carefacility.runner.results.RunResult`
(:func:`write_report`) or its report rebuilt later from the CSV and JSON files it holds, without
simulating again (:func:`rebuild_report`, ``carefacility report DIR``). Both go through
:func:`write_report_files` inside a staged write, so a failure leaves the folder as it was.

Importing this module does not import matplotlib or openpyxl: they are imported when the first
chart is drawn (:mod:`carefacility.report.plots`) and the workbook written
(:mod:`carefacility.report.excel`). Charts can be drawn on several forked processes
(``workers``), each drawing one chart at a time from the tables it needs and sending back its
PNG (and SVG), while this process writes the CSV files and the workbook; the files are the same
as when the charts are drawn here. ``carefacility run`` starts its drawing processes before the
run (:func:`start_chart_drawing`): they load matplotlib while the scenario loads, draw the
charts of the projection and the back-test while the replications run
(:meth:`ChartDrawing.draw_ahead`), and then the run's charts.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import multiprocessing
import os
import pickle
import re
import shutil
import sys
import tempfile
import threading
import warnings
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from carefacility.report import labels
from carefacility.report.excel import SHEET_ORDER, write_workbook
from carefacility.report.html import Chart, render_html
from carefacility.report.output_folder import (
    MANIFEST,
    DamagedFolderError,
    StagedOutput,
    restore_formulas,
    staged_output,
    write_chart,
    write_chart_files,
    write_csv,
)
from carefacility.runner.results import RunResult

if TYPE_CHECKING:
    from carefacility.population.projection import PopulationProjection
    from carefacility.report.labels import Lang
    from carefacility.scenario.loader import Scenario

__all__ = [
    "BACKTEST_CHART",
    "CONTEXT_FILE",
    "PER_REPLICATION_TABLE",
    "ChartDrawing",
    "read_run_folder",
    "rebuild_report",
    "scenario_assumptions",
    "scenario_summary",
    "service_utilisation_frame",
    "start_chart_drawing",
    "write_backtest_outputs",
    "write_population_outputs",
    "write_report",
    "write_report_files",
]

CONTEXT_FILE = "scenario_summary.json"
"""File of a run folder holding the report's title, scenario summary and assumption lines, so
that ``carefacility report`` can rebuild the report without the scenario file."""

PER_REPLICATION_TABLE = "kpis_by_replication"
"""The table of every replication's KPIs: always a CSV file, a sheet of ``results.xlsx`` only
when asked (``per_replication_sheet``)."""


def write_population_outputs(projection: PopulationProjection, out_dir: str | Path, *,
                             title: str, lang: Lang = "en", force: bool = False,
                             svg: bool = False) -> list[Path]:
    """Write the population projection's tables and charts into ``out_dir``.

    Files: ``population.csv`` (year, zone, age, sex, population), ``elderly_summary.csv``
    (every population basis, a ``basis`` column), ``population_components.csv`` (births,
    deaths and migration of each projection step), ``population_pyramid.png`` (base year
    against the horizon) and ``elderly_population.png`` (60+ and 80+ by year and basis), each
    chart also as ``.svg`` with ``svg``. Population, components and pyramid are those of the
    demand basis.

    Parameters
    ----------
    projection : PopulationProjection
    out_dir : str or pathlib.Path
    title : str
        Put before each chart's title.
    lang : {"en", "zh"}
    force : bool
        Write into a folder that holds files carefacility did not write.
    svg : bool
        Also save the charts as SVG. Without it, an SVG of the same chart that an earlier write
        left in the folder is removed.

    Returns
    -------
    list of pathlib.Path
        The files as they stand in ``out_dir`` after the write.
    """
    with staged_output(out_dir, force=force) as out:
        names = _write_projection(out, projection, title, lang, svg)
        final = [out.final_path(name) for name in names]
    return final


def _write_projection(out: StagedOutput, projection: PopulationProjection, title: str,
                      lang: Lang, svg: bool) -> list[str]:
    from carefacility.report import plots

    names = []
    for name, frame in _projection_tables(projection).items():
        write_csv(frame, out.path(f"{name}.csv"))
        names.append(f"{name}.csv")
    years = (projection.first_year, projection.last_year)
    ax = plots.population_pyramid(projection.population, years, lang=lang,
                                  title=f"{title}: {labels.label('pyramid', lang)}")
    names += write_chart(out, "population_pyramid", ax, svg=svg)
    ax = plots.elderly_trend(projection.elderly_by_basis(), lang=lang,
                             title=f"{title}: {labels.label('elderly', lang)}")
    names += write_chart(out, "elderly_population", ax, svg=svg)
    return names


def _projection_tables(projection: PopulationProjection) -> dict[str, pd.DataFrame]:
    # elderly_summary: every basis (a `basis` column); population and components: the demand
    # basis, the population the simulation serves
    return {"population": projection.population,
            "elderly_summary": projection.elderly_by_basis(),
            "population_components": projection.components}


# --------------------------------------------------------------------------------------------
# Scenario summary and assumptions (what the report says about the inputs)
# --------------------------------------------------------------------------------------------

def scenario_summary(scenario: Scenario) -> dict[str, Any]:
    """What the report shows about a scenario: name, description, population basis and dates,
    zones, homes, beds by type at the start and the end of the simulation, and the main
    simulation settings.

    Parameters
    ----------
    scenario : Scenario
        A loaded scenario (with or without ``plan`` and ``simulation`` sections).

    Returns
    -------
    dict
        JSON-serialisable; keys ``name, description``, with a population ``basis, base_date,
        horizon_year, report_date`` and, with a plan, ``zones, homes, beds_start``
        (``{date, general, nursing, dementia}`` [beds]), ``beds_end`` (``{year, ...}``: the
        last simulated year's end), ``waiting_discipline, admitted_within_days,
        starting_occupancy, waiting_list_persons, overflow_to_general``.
    """
    spec = scenario.spec
    population = spec.population
    summary: dict[str, Any] = {
        "name": spec.name,
        "description": " ".join(spec.description.split()),
    }
    if population is not None:
        summary |= {
            "basis": population.basis,
            "base_date": population.base_date.isoformat(),
            "horizon_year": population.horizon_year,
            "report_date": population.report_date,
        }
    plan, simulation = scenario.plan, spec.simulation
    if plan is not None:
        summary["zones"] = list(plan.zones)
        summary["homes"] = len(plan.home_names)
    if plan is not None and simulation is not None:
        start = simulation.start_date
        last_day = start + dt.timedelta(days=365 * simulation.years - 1)  # as the simulation
        for key, day, when in (("beds_start", start, {"date": start.isoformat()}),
                               ("beds_end", last_day,
                                {"year": start.year + simulation.years - 1})):
            beds = plan.capacity_at(day).sum(axis=0)
            summary[key] = when | {t: int(b) for t, b in zip(labels.BED_TYPES, beds,
                                                              strict=True)}
        summary["waiting_discipline"] = simulation.waiting_discipline
        if simulation.waiting_discipline == "priority":
            summary["priority_order"] = list(simulation.priority_order or
                                             ("care_need", "low_income", "age_80plus"))
        summary["admitted_within_days"] = simulation.admitted_within_days
        summary["overflow_to_general"] = simulation.overflow_to_general
        if spec.plan is not None:
            summary["starting_occupancy"] = spec.plan.starting_state.occupancy
            summary["waiting_list_persons"] = spec.plan.starting_state.waiting_list_persons
    return summary


_MARKER = re.compile(r"^[A-Z]{4,}\b")


def scenario_assumptions(source: Scenario | str | Path) -> list[str]:
    """The comments of a scenario file that say ASSUMPTION, as ``file:line: text`` lines.

    A comment paragraph (consecutive full-line comments, split at blank comment lines and at
    lines opening with a capitalised marker such as ``DERIVED`` or ``ASSUMPTION``) is listed
    when it contains the word ASSUMPTION (other than in "marked ASSUMPTION", which states the
    convention); a comment after a value is listed with its key.

    Parameters
    ----------
    source : Scenario or str or pathlib.Path
        The scenario or its file.

    Returns
    -------
    list of str
    """
    path = Path(source.file if hasattr(source, "file") else source)  # type: ignore[union-attr]
    lines = path.read_text(encoding="utf-8").splitlines()
    found: list[str] = []
    paragraph: list[str] = []
    first_line = 0

    def close() -> None:
        text = " ".join(paragraph).strip()
        # "every value is cited or marked ASSUMPTION" describes the convention, not an assumption
        if "ASSUMPTION" in text and text.count("ASSUMPTION") > text.count("marked ASSUMPTION"):
            found.append(f"{path.name}:{first_line}: {' '.join(text.split())}")
        paragraph.clear()

    for number, line in enumerate(lines, start=1):
        stripped = line.strip()
        if stripped.startswith("#"):
            text = stripped.lstrip("#").strip()
            if not text or _MARKER.match(text) or set(text) <= set("-=#*"):
                close()
                if not text or set(text) <= set("-=#*"):
                    continue
            if not paragraph:
                first_line = number
            paragraph.append(text)
            continue
        close()
        code, hash_sign, comment = _split_comment(line)
        if hash_sign and "ASSUMPTION" in comment:
            found.append(f"{path.name}:{number}: {code.strip()} — {comment.strip()}")
    close()
    return found


def _split_comment(line: str) -> tuple[str, str, str]:
    """``code, "#", comment`` of a YAML line (a ``#`` inside quotes is not a comment)."""
    quote = None
    for index, char in enumerate(line):
        if quote:
            if char == quote:
                quote = None
        elif char in "'\"":
            quote = char
        elif char == "#" and (index == 0 or line[index - 1].isspace()):
            return line[:index], "#", line[index + 1:]
    return line, "", ""


def service_utilisation_frame(kpis: pd.DataFrame, measure: str = "utilisation") -> pd.DataFrame:
    """Day-care and meal-point KPIs by zone as a tidy frame for
    :func:`carefacility.report.plots.service_utilisation`.

    Parameters
    ----------
    kpis : pandas.DataFrame
        Long KPI table with metrics ``<service>.<measure>.<zone>``, e.g.
        ``day_centre.utilisation.月坛`` [fraction].
    measure : str
        ``utilisation`` or another per-zone measure such as ``turned_away_share``.

    Returns
    -------
    pandas.DataFrame
        ``year, zone, service, mean, ci_low, ci_high`` (empty when there are no such KPIs).
    """
    pattern = re.compile(rf"^(day_centre|meal_point)\.{re.escape(measure)}\.(.+)$")
    parts = kpis["metric"].astype(str).str.extract(pattern)
    found = parts[0].notna().to_numpy()
    rows = kpis[found]
    return pd.DataFrame({
        "year": rows["year"].to_numpy(), "zone": parts[1].to_numpy()[found],
        "service": parts[0].to_numpy()[found], "mean": rows["mean"].to_numpy(),
        "ci_low": rows["ci_low"].to_numpy(), "ci_high": rows["ci_high"].to_numpy(),
    })


# --------------------------------------------------------------------------------------------
# The report: charts, report.html, results.xlsx
# --------------------------------------------------------------------------------------------

_CAPTIONS: dict[str, dict[str, str]] = {
    "scorecard_chart": {
        "en": "Each target by year: met, at risk (the 95 % CI straddles the target) or missed, "
              "with the simulated mean and its interval.",
        "zh": "各项目标分年度评估：达标、有风险（95%置信区间跨越目标）或未达标，"
              "并给出模拟均值及其区间。"},
    "beds_occupied_planned": {
        "en": "Occupied beds by type (line: mean over replications, band: 95 % CI) against "
              "the plan's beds (dashed steps). The black line is the pooled offered load: the "
              "beds that would be in use if nobody had to wait.",
        "zh": "各类床位的在住数（线：各次重复的均值；阴影：95%置信区间）"
              "与规划床位（虚线阶梯）对比。黑色实线为共享池的提供负荷：若无人等待时所需的在用床位。"},
    "waiting_times": {
        "en": "Waits of the applicants admitted in each year: median, 90th and 95th "
              "percentiles (band: 95 % CI over replications).",
        "zh": "各年入住者的等待时间：中位数、第90和第95百分位（阴影：95%置信区间）。"},
    "admitted_within_threshold": {
        "en": "Share of each year's admissions that waited at most the service-level time T.",
        "zh": "各年入住者中等待时间不超过服务水平时限T的比例。"},
    "occupancy_by_bed_type": {
        "en": "Time-average occupied beds over the beds in force, by bed type.",
        "zh": "各类床位的时间平均在住数占在用床位数的比例。"},
    "nursing_share": {
        "en": "Nursing-type beds as a share of all beds in the plan, against the target.",
        "zh": "规划中护理型床位占全部床位的比例与目标对比。"},
    "nursing_share_no_target": {
        "en": "Nursing-type beds as a share of all beds in the plan (the scenario sets no "
              "target for it).",
        "zh": "规划中护理型床位占全部床位的比例（情景未设此项目标）。"},
    "service_utilisation": {
        "en": "Mean utilisation of day-care centres and meal points by zone and year "
              "(confidence intervals in the KPI tables).",
        "zh": "各街镇日间照料中心和助餐点的年度平均使用率（置信区间见指标表）。"},
    "elderly_population": {
        "en": "Projected persons aged 60+ and 80+ and the 60+ share of the population.",
        "zh": "预测的60岁及以上、80岁及以上人口及60岁及以上人口占比。"},
    "population_pyramid": {
        "en": "Population by age and sex: the base year (bars) and the horizon (outline).",
        "zh": "分年龄、性别人口：基期（条形）与预测末年（轮廓线）。"},
    "backtest_chart": {
        "en": "Above: the place's published figures (points: filled for back-test years, never "
              "used to set an input; hollow for calibration years, up to the base year) and the "
              "projection of the same years (line). Below: the relative error of each figure.",
        "zh": "上图：本地公开发布的数字（点：实心为回测年份，从未用于设定输入；空心为校准年份，"
              "即基期及以前）与同年份的预测值（线）。下图：各数字的相对误差。"},
}

_CHART_TITLES = {
    "scorecard_chart": "scorecard", "beds_occupied_planned": "bed_demand",
    "waiting_times": "waiting_times", "occupancy_by_bed_type": "occupancy_title",
    "nursing_share": "nursing_share_title", "service_utilisation": "service_utilisation",
    "elderly_population": "elderly", "population_pyramid": "pyramid",
    "backtest_chart": "backtest",
}

BACKTEST_CHART = "backtest_chart"
"""File stem of the back-test chart (``backtest_chart.png``, and ``.svg`` when asked)."""

_CHART_TABLES: dict[str, tuple[str, ...]] = {
    "scorecard_chart": ("scorecard",),
    "beds_occupied_planned": ("kpis", "analytic_cross_check", "capacity_schedule"),
    "waiting_times": ("kpis",),
    "admitted_within_threshold": ("kpis", "scorecard"),
    "occupancy_by_bed_type": ("kpis",),
    "nursing_share": ("kpis", "scorecard"),
    "service_utilisation": ("kpis",),
    "elderly_population": ("elderly_summary",),
    "population_pyramid": ("population",),
    BACKTEST_CHART: ("backtest",),
}
"""The tables each chart is drawn from: all that a chart drawn on another process is sent."""


@dataclass(frozen=True)
class _ChartJob:
    """One chart to draw and save: its file stem, the tables it is drawn from (by CSV stem),
    the report's title and language, and whether to make its SVG too."""

    key: str
    tables: dict[str, pd.DataFrame]
    title: str
    lang: Lang
    svg: bool
    source: str = ""
    """The source line drawn under the chart (:func:`_source_line`)."""


_PROJECTION_CHARTS = ("elderly_population", "population_pyramid", BACKTEST_CHART)
"""Charts drawn from the projection alone (their source line names no replications)."""


def _source_line(key: str, title: str, lang: Lang,
                 metadata: dict[str, Any] | None = None) -> str:
    """The source line under a chart: the scenario, carefacility's version and what the chart
    rests on — the projection, or the simulation's replications and seed."""
    from carefacility._version import __version__

    place = f"{title}; " if title else ""
    place_zh = f"{title}；" if title else ""
    meta = metadata or {}
    if key in _PROJECTION_CHARTS or "replications" not in meta:
        return (f"来源：{place_zh}carefacility {__version__} 队列要素法人口预测" if lang == "zh"
                else f"Source: {place}cohort-component projection, carefacility {__version__}")
    replications, seed = meta.get("replications"), meta.get("seed")
    if lang == "zh":
        return (f"来源：{place_zh}carefacility {__version__} 模拟，重复{replications}次，"
                f"随机种子{seed}；均值及95%置信区间")
    return (f"Source: {place}carefacility {__version__} simulation, {replications} "
            f"replications, seed {seed}; means with 95 % CIs")


def _chart_jobs(tables: dict[str, pd.DataFrame], *, title: str, lang: Lang, svg: bool,
                metadata: dict[str, Any] | None = None) -> list[_ChartJob]:
    """Every chart the tables allow, in report order (the back-test's last), each with its
    source line (from the run's ``metadata``)."""
    kpis = tables["kpis"]
    metrics = set(kpis["metric"])
    scorecard = tables.get("scorecard")
    keys = []
    if scorecard is not None and not scorecard.empty:
        keys.append("scorecard_chart")
    if any(m.startswith("occupied_beds.") for m in metrics):
        keys.append("beds_occupied_planned")
    if any(m.startswith("wait_p") for m in metrics):
        keys.append("waiting_times")
    if "share_served_within_threshold" in metrics:
        keys.append("admitted_within_threshold")
    if any(m.startswith("occupancy.") for m in metrics):
        keys.append("occupancy_by_bed_type")
    if "nursing_share" in metrics:
        keys.append("nursing_share")
    if not service_utilisation_frame(kpis).empty:
        keys.append("service_utilisation")
    keys += _projection_chart_keys(tables)
    return [_ChartJob(key, {name: tables[name] for name in _CHART_TABLES[key] if name in tables},
                      title, lang, svg, _source_line(key, title, lang, metadata))
            for key in keys]


def _projection_chart_keys(tables: dict[str, pd.DataFrame]) -> list[str]:
    """The charts of the projection and the back-test that the tables allow, in report
    order."""
    keys = []
    elderly = tables.get("elderly_summary")
    if elderly is not None and not elderly.empty and (elderly["zone"] == "all").any():
        keys.append("elderly_population")
    population = tables.get("population")
    if population is not None and not population.empty:
        keys.append("population_pyramid")
    backtest = tables.get("backtest")
    if backtest is not None and not backtest.empty:
        keys.append(BACKTEST_CHART)
    return keys


def _caption(key: str, scorecard: pd.DataFrame | None, lang: Lang) -> str:
    """The caption of chart ``key``: of what it shows, a target only where there is one."""
    if key == "nursing_share" and _target_of(scorecard, "nursing_share")[0] is None:
        return _CAPTIONS["nursing_share_no_target"][lang]
    return _CAPTIONS[key][lang]


def _draw_chart(job: _ChartJob) -> Any:
    """Draw the chart of ``job``; its :class:`matplotlib.axes.Axes`."""
    from carefacility.report import plots

    key, tables, lang = job.key, job.tables, job.lang
    kpis, scorecard = tables.get("kpis"), tables.get("scorecard")
    if key == "scorecard_chart":
        return plots.scorecard_chart(scorecard, lang=lang)
    if key == "beds_occupied_planned":
        return plots.bed_demand_supply(kpis, tables.get("analytic_cross_check"), lang=lang,
                                       schedule=tables.get("capacity_schedule"))
    if key == "waiting_times":
        return plots.waiting_times(kpis, lang=lang)
    if key == "admitted_within_threshold":
        target, _ = _target_of(scorecard, "share_served_within_threshold")
        return plots.admitted_within_threshold(kpis, target=target, lang=lang)
    if key == "occupancy_by_bed_type":
        return plots.occupancy_by_type(kpis, lang=lang)
    if key == "nursing_share":
        target, comparison = _target_of(scorecard, "nursing_share")
        return plots.nursing_share(kpis, target=target, comparison=comparison, lang=lang)
    if key == "service_utilisation":
        return plots.service_utilisation(service_utilisation_frame(kpis), lang=lang)
    if key == "elderly_population":
        return plots.elderly_trend(tables["elderly_summary"], lang=lang,
                                   title=f"{job.title}: {labels.label('elderly', lang)}")
    if key == "population_pyramid":
        population = tables["population"]
        years = (int(population["year"].min()), int(population["year"].max()))
        return plots.population_pyramid(population, years, lang=lang,
                                        title=f"{job.title}: {labels.label('pyramid', lang)}")
    if key == BACKTEST_CHART:
        return plots.backtest_chart(tables["backtest"], lang=lang, title=(
            f"{job.title}: {labels.label('backtest', lang)}" if job.title else None))
    raise KeyError(f"no chart {key!r}")


def _render_chart(job: _ChartJob) -> tuple[bytes, bytes | None]:
    """Draw the chart of ``job``: its PNG and (when asked) SVG."""
    from carefacility.report import plots

    ax = _draw_chart(job)
    if job.source:
        plots.add_source_line(ax, job.source, job.lang)
    return plots.figure_images(ax, svg=job.svg)


def _render_chart_in_worker(job: _ChartJob
                            ) -> tuple[bytes, bytes | None, list[tuple[str, type[Warning]]]]:
    """:func:`_render_chart` on a worker process, with the warnings it raised (the parent
    raises them again: a worker's warnings would otherwise be lost or printed unfiltered)."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        png, svg = _render_chart(job)
    return png, svg, [(str(warning.message), warning.category) for warning in caught]


def _can_fork() -> bool:
    """Whether charts can be drawn on forked processes here: not where processes cannot be
    forked (Windows) or forking is unsafe (macOS), nor while other threads run (a forked copy
    of a threaded process can hang on a lock that one of them held). Forked workers start at
    once with everything this process has imported; spawned ones would import it all again,
    which costs more than the charts."""
    return ("fork" in multiprocessing.get_all_start_methods() and sys.platform != "darwin"
            and threading.active_count() == 1)


def _chart_pool(workers: int | None, charts: int) -> ProcessPoolExecutor | None:
    """Processes to draw ``charts`` charts on, or None to draw them in this process (fewer
    than two workers or charts, or :func:`_can_fork` says no)."""
    if workers is None or workers < 2 or charts < 2 or not _can_fork():
        return None
    return ProcessPoolExecutor(max_workers=min(workers, charts),
                               mp_context=multiprocessing.get_context("fork"))


def _render_charts(jobs: Sequence[_ChartJob], workers: int | None, *,
                   meanwhile: Callable[[], None]) -> list[tuple[bytes, bytes | None]]:
    """PNG and SVG (or None) of each chart of ``jobs``, in order; ``meanwhile`` runs in this
    process, while the charts are drawn on other processes (the drawing processes started by
    :func:`start_chart_drawing`, else :func:`_chart_pool`) or after they were drawn here. The
    images are the same either way."""
    drawing = _ACTIVE_DRAWING[0]
    if drawing is not None and drawing.usable:
        return drawing.render(jobs, meanwhile=meanwhile)
    pool = _chart_pool(workers, len(jobs))
    if pool is None:
        images = [_render_chart(job) for job in jobs]
        meanwhile()
        return images
    from carefacility.report import plots

    # matplotlib and the font lookup once, here: the forked workers inherit them (importing
    # matplotlib in every worker costs more CPU time, and no less wall time on 2 cores)
    plots.cjk_font_family()
    try:
        futures = [pool.submit(_render_chart_in_worker, job) for job in jobs]
        meanwhile()
        done = [future.result() for future in futures]
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
    for _, _, caught in done:
        for message, category in caught:
            warnings.warn(message, category, stacklevel=2)
    return [(png, svg) for png, svg, _ in done]


# --------------------------------------------------------------------------------------------
# Drawing processes started early: matplotlib loads while the scenario does, and the charts of
# the projection are drawn while the replications run
# --------------------------------------------------------------------------------------------

_CHART_COST_ORDER = ("population_pyramid", "scorecard_chart", BACKTEST_CHART,
                     "elderly_population", "service_utilisation", "beds_occupied_planned",
                     "admitted_within_threshold", "waiting_times", "occupancy_by_bed_type",
                     "nursing_share")
"""Charts from the costliest to draw to the cheapest (measured on Xicheng): the drawing
processes take them in this order, so that no process is left with a long one at the end."""

_DRAWING_NICENESS = 5
"""How much lower the drawing processes' scheduling priority is than this process's: on a
machine with fewer free cores than processes, the scenario's loading and the replications go
first and the charts take the CPU time left (nothing is lost: the charts are drawn as soon as a
core is free)."""

_ACTIVE_DRAWING: list[ChartDrawing | None] = [None]
"""The drawing processes :func:`_render_charts` uses, while they are open."""


def _same_table(first: pd.DataFrame, second: pd.DataFrame) -> bool:
    """Whether two tables hold the same values, columns, types and index (a chart drawn from
    one is then the chart drawn from the other)."""
    return (first.shape == second.shape and list(first.columns) == list(second.columns)
            and list(first.dtypes) == list(second.dtypes)
            and type(first.index) is type(second.index) and first.index.equals(second.index)
            and first.equals(second))


def _same_job(first: _ChartJob, second: _ChartJob) -> bool:
    return (first.key == second.key and first.title == second.title
            and first.lang == second.lang and first.svg == second.svg
            and first.source == second.source
            and first.tables.keys() == second.tables.keys()
            and all(_same_table(first.tables[name], second.tables[name])
                    for name in first.tables))


def _draw_charts_here(jobs: Any, done: Any, parent_pid: int) -> None:
    """The loop of a drawing process: take a chart job (a pickled :class:`_ChartJob` in a
    file), draw it, write its PNG (and SVG) beside the job's file and say so; stop at None.

    Messages are small (a number and a path); the tables and images go through files, so that
    neither side waits for the other to read a long message.
    """
    import signal

    from carefacility.runner.executors import exit_with_parent

    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle
    exit_with_parent(parent_pid)
    with contextlib.suppress(OSError):  # the parent's stages (loading, simulating) go first
        os.nice(_DRAWING_NICENESS)
    try:  # load matplotlib and the fonts now, while the parent loads the scenario
        from carefacility.report import plots

        plots.cjk_font_family()
    except Exception:  # the error shows when a chart is drawn
        pass
    while True:
        message = jobs.get()
        if message is None:
            return
        number, path = message
        try:
            job = pickle.loads(Path(path).read_bytes())
            png, svg, caught = _render_chart_in_worker(job)
            Path(f"{path}.png").write_bytes(png)
            if svg is not None:
                Path(f"{path}.svg").write_bytes(svg)
            done.put((number, None, caught))
        except Exception as error:  # the parent raises it
            try:
                pickle.dumps(error)
            except Exception:  # not picklable: its text
                error = RuntimeError(f"{type(error).__name__}: {error}")
            done.put((number, error, []))


class ChartDrawing:
    """Processes that draw the report's charts, started before the run so that matplotlib
    is loaded while the scenario loads, and the charts of the projection are drawn while the
    replications run (:meth:`draw_ahead`); :func:`write_report` then has the run's charts
    drawn on them too, while this process writes the tables and the workbook.

    Made by :func:`start_chart_drawing`; close it with :meth:`close`. A chart drawn ahead is
    used only when the report asks for the same chart from equal tables, with the same title,
    language and SVG option: the files are the same as when everything is drawn at the end.
    Should a drawing process die, the charts it had not delivered are drawn in this process.

    Parameters
    ----------
    workers : int
        Drawing processes to start (forked: Linux only, see :func:`start_chart_drawing`).
    """

    def __init__(self, workers: int) -> None:
        context = multiprocessing.get_context("fork")
        self._folder = Path(tempfile.mkdtemp(prefix="carefacility-charts-"))
        self._jobs = context.SimpleQueue()
        self._done = context.SimpleQueue()
        self._next = 0
        self._results: dict[int, tuple[bytes, bytes | None, list[Any]] | BaseException] = {}
        self._ahead: list[tuple[_ChartJob, int]] = []
        self._broken = False
        for stream in (sys.stdout, sys.stderr):  # nothing buffered is written twice
            with contextlib.suppress(Exception):
                stream.flush()
        self._processes = [context.Process(target=_draw_charts_here, daemon=True,
                                           args=(self._jobs, self._done, os.getpid()),
                                           name=f"carefacility-charts-{i}")
                           for i in range(workers)]
        for process in self._processes:
            process.start()
        _ACTIVE_DRAWING[0] = self

    @property
    def usable(self) -> bool:
        """Whether charts can still be drawn on the processes (open, none has died)."""
        return bool(self._processes) and not self._broken

    def submit(self, job: _ChartJob) -> int:
        """Queue a chart on the drawing processes; its number for :meth:`collect`."""
        number = self._next
        self._next += 1
        path = self._folder / f"chart-{number}"
        path.write_bytes(pickle.dumps(job, protocol=pickle.HIGHEST_PROTOCOL))
        self._jobs.put((number, str(path)))
        return number

    def draw_ahead(self, projection: PopulationProjection, scenario: Scenario | None = None,
                   *, title: str | None = None, lang: Lang = "en", svg: bool = False) -> None:
        """Start drawing the charts that depend only on the projection (and the back-test,
        when none of its figures needs the run): the population pyramid, the elderly
        population and the back-test chart, as the run's report will draw them.

        Parameters
        ----------
        projection : PopulationProjection
            The projection the run will use.
        scenario : Scenario, optional
            The scenario, for the back-test of its ``observed`` figures and the title.
        title : str, optional
            The report's title (default: the scenario's name).
        lang : {"en", "zh"}
        svg : bool
            As the report will be written.
        """
        if not self.usable:
            return
        title = title or (scenario.name if scenario is not None else "")
        tables: dict[str, pd.DataFrame] = dict(_projection_tables(projection))
        if scenario is not None and scenario.spec.observed:
            from carefacility.runner.backtest import scenario_backtest

            backtest = scenario_backtest(scenario, projection)
            if not backtest["projected"].isna().any():  # else the run fills some figures
                tables["backtest"] = backtest
        keys = _projection_chart_keys(tables)
        for key in sorted(keys, key=_CHART_COST_ORDER.index):
            job = _ChartJob(key, {name: tables[name] for name in _CHART_TABLES[key]},
                            title, lang, svg, _source_line(key, title, lang))
            self._ahead.append((job, self.submit(job)))

    def wait(self) -> None:
        """Wait until the charts drawn ahead are drawn (a benchmark's starting line)."""
        self.collect([number for _, number in self._ahead])

    def render(self, jobs: Sequence[_ChartJob], *, meanwhile: Callable[[], None]
               ) -> list[tuple[bytes, bytes | None]]:
        """PNG and SVG (or None) of each chart of ``jobs``, in order: those drawn ahead from
        the same tables are taken as they are, the others drawn on the processes while
        ``meanwhile`` runs here."""
        numbers: dict[int, int] = {}
        for index in sorted(range(len(jobs)), key=lambda i: _CHART_COST_ORDER.index(
                jobs[i].key) if jobs[i].key in _CHART_COST_ORDER else 0):
            job = jobs[index]
            ahead = next((number for drawn, number in self._ahead if _same_job(drawn, job)),
                         None)
            numbers[index] = ahead if ahead is not None else self.submit(job)
        meanwhile()
        results = self.collect([numbers[index] for index in range(len(jobs))])
        images = []
        for job, result in zip(jobs, results, strict=True):
            if result is None:  # its process died: draw it here
                images.append(_render_chart(job))
                continue
            if isinstance(result, BaseException):
                raise result
            png, vector, caught = result
            for message, category in caught:
                warnings.warn(message, category, stacklevel=3)
            images.append((png, vector))
        return images

    def collect(self, numbers: Sequence[int]
                ) -> list[tuple[bytes, bytes | None, list[Any]] | BaseException | None]:
        """The outcome of each submitted chart: ``(png, svg, warnings)``, the error it raised,
        or None when a drawing process died before delivering it."""
        from multiprocessing.connection import wait

        wanted = set(numbers)
        reader = self._done._reader  # to wait on it with the sentinels
        while not self._broken and not wanted <= self._results.keys():
            ready = wait([reader, *(process.sentinel for process in self._processes)])
            if reader in ready:
                number, error, caught = self._done.get()
                path = self._folder / f"chart-{number}"
                if error is not None:
                    self._results[number] = error
                else:
                    svg_path = Path(f"{path}.svg")
                    self._results[number] = (
                        Path(f"{path}.png").read_bytes(),
                        svg_path.read_bytes() if svg_path.exists() else None, caught)
            elif any(not process.is_alive() for process in self._processes):
                self._broken = True  # a process died: what it held is drawn here
        return [self._results.get(number) for number in numbers]

    def close(self) -> None:
        """Stop the drawing processes and remove their files (charts drawn ahead and not
        used are dropped)."""
        if _ACTIVE_DRAWING[0] is self:
            _ACTIVE_DRAWING[0] = None
        processes, self._processes = self._processes, []
        for process in processes:
            if process.is_alive():
                with contextlib.suppress(Exception):
                    self._jobs.put(None)
        for process in processes:  # a process still drawing (a chart not used) is stopped
            process.join(timeout=0.5)
            if process.is_alive():
                process.terminate()
                process.join(timeout=5)
        for queue in (self._jobs, self._done):
            with contextlib.suppress(Exception):
                queue.close()
        shutil.rmtree(self._folder, ignore_errors=True)

    def __enter__(self) -> ChartDrawing:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


class _NoDrawing:
    """What :func:`start_chart_drawing` returns when charts are drawn at the end instead."""

    usable = False

    def draw_ahead(self, *args: Any, **kwargs: Any) -> None:
        """Nothing to draw ahead."""

    def close(self) -> None:
        """Nothing to stop."""

    def __enter__(self) -> _NoDrawing:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


def start_chart_drawing(workers: int | None) -> ChartDrawing | _NoDrawing:
    """Start ``workers`` processes that draw the report's charts (see :class:`ChartDrawing`).

    Call it early (``carefacility run`` does, before loading the scenario), give the
    projection to :meth:`ChartDrawing.draw_ahead` as soon as it is made, and close it when the
    report is written (it works as a context manager). While it is open, every report
    written in this process (:func:`write_report`, :func:`rebuild_report`) draws its charts
    on these processes.

    Parameters
    ----------
    workers : int or None
        Processes to start; with fewer than 2, or where processes cannot be forked safely
        (Windows, macOS, or while other threads run: :func:`_can_fork`), none is started and
        the report draws its charts as it would without this.

    Returns
    -------
    ChartDrawing or an object with the same ``draw_ahead`` and ``close`` that does nothing
    """
    if workers is None or workers < 2 or not _can_fork():
        return _NoDrawing()
    return ChartDrawing(workers)


def _backtest_chart(out: StagedOutput, table: pd.DataFrame, *, title: str, lang: Lang,
                    svg: bool = False) -> tuple[list[str], Chart]:
    """Draw and save the back-test chart; its file names and the chart for the report."""
    job = _ChartJob(BACKTEST_CHART, {"backtest": table}, title, lang, svg,
                    _source_line(BACKTEST_CHART, title, lang))
    png, vector = _render_chart(job)
    chart = Chart(key=BACKTEST_CHART, title=labels.label("backtest", lang), png=png, svg=vector,
                  caption=_CAPTIONS[BACKTEST_CHART][lang])
    return write_chart_files(out, BACKTEST_CHART, png, vector), chart


def write_backtest_outputs(table: pd.DataFrame, out_dir: str | Path, *, title: str = "",
                           lang: Lang = "en", force: bool = False,
                           svg: bool = False) -> list[Path]:
    """Write the back-test table and chart into ``out_dir`` (a staged write).

    Files: ``backtest.csv`` (:data:`carefacility.targets.backtest.BACKTEST_COLUMNS`) and
    ``backtest_chart.png`` (and ``backtest_chart.svg`` with ``svg``).

    Parameters
    ----------
    table : pandas.DataFrame
        The back-test (:func:`carefacility.targets.backtest.backtest`), with rows.
    out_dir : str or pathlib.Path
    title : str
        The scenario's name, put before the chart's title.
    lang : {"en", "zh"}
    force : bool
        Write into a folder that holds files carefacility did not write.
    svg : bool
        Also save the chart as SVG. Without it, an SVG of the chart that an earlier write left
        in the folder is removed.

    Returns
    -------
    list of pathlib.Path
        The files as they stand in ``out_dir`` after the write.
    """
    with staged_output(out_dir, force=force) as out:
        write_csv(table, out.path("backtest.csv"))
        names = ["backtest.csv", *_backtest_chart(out, table, title=title, lang=lang,
                                                  svg=svg)[0]]
        final = [out.final_path(name) for name in names]
    return final


def _target_of(scorecard: pd.DataFrame | None, metric: str) -> tuple[float | None, str]:
    if scorecard is None or scorecard.empty or "metric" not in scorecard:
        return None, ">="
    rows = scorecard[scorecard["metric"] == metric]
    if rows.empty:
        return None, ">="
    return float(rows["threshold"].iloc[0]), str(rows["comparison"].iloc[0])


def _chart_title(key: str, kpis: pd.DataFrame, lang: Lang) -> str:
    if key == "admitted_within_threshold":
        days = labels.threshold_days(kpis)
        if days is not None:
            return labels.label("admitted_within_title", lang).format(days=f"{days:g}")
        return labels.label("admitted_share", lang)
    return labels.label(_CHART_TITLES[key], lang)


def write_report_files(out: StagedOutput, tables: dict[str, pd.DataFrame],
                       metadata: dict[str, Any], *, title: str, lang: Lang = "en",
                       assumptions: Sequence[str] = (),
                       summary: dict[str, Any] | None = None, svg: bool = False,
                       per_replication_sheet: bool = False,
                       workers: int | None = None, long_sheets: bool = False) -> list[str]:
    """Write the charts (PNG, and SVG when asked), ``report.html`` and ``results.xlsx`` into a
    staging folder.

    Parameters
    ----------
    out : StagedOutput
        The staging folder (from :func:`carefacility.report.output_folder.staged_output`).
    tables : dict of str to pandas.DataFrame
        The run's tables by CSV stem (``kpis`` required; ``scorecard``,
        ``kpis_by_replication``, ``analytic_cross_check``, ``care_need``, ``bed_demand``,
        ``elderly_summary``, ``population``, ``backtest``, ... used when present; a
        ``backtest`` with rows adds ``backtest_chart`` and the report's back-test section).
        The workbook shows them as the bureau's grids (:mod:`carefacility.report.excel`);
        with ``long_sheets`` every table becomes a sheet too (``kpis_by_replication`` only with
        ``per_replication_sheet``), so pass exactly the tables whose CSV files sit beside it.
    metadata : dict
        The run's metadata (``run_metadata.json``).
    title : str
        Report title (the scenario name).
    lang : {"en", "zh"}
        Language of headings, chart labels and the workbook's ``about`` sheet.
    assumptions : sequence of str
        Assumption lines shown in the report (e.g. :func:`scenario_assumptions`).
    summary : dict, optional
        :func:`scenario_summary` of the scenario.
    svg : bool
        Also save each chart as SVG, and embed the SVG in ``report.html``; by default the
        report embeds the PNG (150 dpi). Without it, an SVG of the same chart that an earlier
        write left in the folder is removed.
    per_replication_sheet : bool
        Put :data:`PER_REPLICATION_TABLE` into the workbook too (for Xicheng's defaults,
        23,700 rows that make the workbook five times slower to write); by default its
        ``about`` sheet says the table is in its CSV file only.
    long_sheets : bool
        Put every long table into the workbook as a sheet too, after the grids (by default
        they are in their CSV files only, and ``about`` says so).
    workers : int, optional
        Draw the charts on this many forked processes while this process writes the workbook
        (and, from :func:`write_report`, the CSV files); the files are the same. Where
        processes cannot be forked (Windows, macOS) or while other threads run, the charts are
        drawn here. By default (None) everything is done in this process.

    Returns
    -------
    list of str
        Names of the files written.

    Raises
    ------
    KeyError
        If ``tables`` has no ``kpis``.
    RuntimeError
        If ``lang="zh"`` and no Chinese font is installed.
    """
    return _write_report_files(out, tables, metadata, title=title, lang=lang,
                               assumptions=assumptions, summary=summary, svg=svg,
                               per_replication_sheet=per_replication_sheet, workers=workers,
                               long_sheets=long_sheets)


def _write_report_files(out: StagedOutput, tables: dict[str, pd.DataFrame],
                        metadata: dict[str, Any], *, title: str, lang: Lang,
                        assumptions: Sequence[str], summary: dict[str, Any] | None, svg: bool,
                        per_replication_sheet: bool, workers: int | None,
                        before_workbook: Callable[[], None] | None = None,
                        long_sheets: bool = False) -> list[str]:
    """:func:`write_report_files`; ``before_workbook`` (e.g. writing the CSV files) runs in
    this process just before the workbook is written, while the charts are drawn on other
    processes when there are ``workers``."""
    if "kpis" not in tables:
        raise KeyError("the report needs the `kpis` table (kpis.csv)")
    jobs = _chart_jobs(tables, title=title, lang=lang, svg=svg, metadata=metadata)
    csv_only = () if per_replication_sheet else (PER_REPLICATION_TABLE,)

    def workbook() -> None:
        if before_workbook is not None:
            before_workbook()
        write_workbook(tables, out.path("results.xlsx"), lang=lang, csv_only=csv_only,
                       long_sheets=long_sheets)

    images = _render_charts(jobs, workers, meanwhile=workbook)
    names: list[str] = []
    charts: list[Chart] = []
    history = None
    for job, (png, vector) in zip(jobs, images, strict=True):
        names += write_chart_files(out, job.key, png, vector)
        chart = Chart(key=job.key, title=_chart_title(job.key, tables["kpis"], lang), png=png,
                      svg=vector, caption=_caption(job.key, tables.get("scorecard"), lang))
        if job.key == BACKTEST_CHART:
            history = chart
        else:
            charts.append(chart)
    document = render_html(tables, metadata, title=title, lang=lang, assumptions=assumptions,
                           summary=summary, charts=charts, backtest_chart=history)
    out.path("report.html").write_text(document, encoding="utf-8")
    return [*names, "report.html", "results.xlsx"]


def _run_tables(result: RunResult, scorecard: pd.DataFrame | None,
                projection: PopulationProjection | None) -> dict[str, pd.DataFrame]:
    tables: dict[str, pd.DataFrame] = {}
    scorecard = scorecard if scorecard is not None else result.tables.get("scorecard")
    if scorecard is not None:
        tables["scorecard"] = scorecard
    tables["kpis"] = result.kpis
    tables["kpis_by_replication"] = result.per_replication
    for name, frame in result.tables.items():
        if name != "scorecard":
            tables[name] = frame
    if projection is not None:
        tables.update(_projection_tables(projection))
    ordered = {name: tables[name] for name in SHEET_ORDER if name in tables}
    return ordered | {name: frame for name, frame in tables.items() if name not in ordered}


def write_report(source: RunResult | str | Path, out_dir: str | Path | None = None, *,
                 lang: Lang = "en", title: str | None = None,
                 projection: PopulationProjection | None = None,
                 scenario: Scenario | None = None, scorecard: pd.DataFrame | None = None,
                 assumptions: Sequence[str] | None = None,
                 summary: dict[str, Any] | None = None, force: bool = False,
                 svg: bool = False, per_replication_sheet: bool = False,
                 workers: int | None = None, long_sheets: bool = False) -> list[Path]:
    """Write a run's folder with its report, or rebuild the report of an existing folder.

    With a :class:`~carefacility.runner.results.RunResult`, write into ``out_dir``, in one staged
    write: every table as CSV (``scorecard.csv`` when there is a scorecard, ``kpis.csv``,
    ``kpis_by_replication.csv``, the result's tables, and the projection's tables when
    ``projection`` is given), ``run_metadata.json``, :data:`CONTEXT_FILE`, the charts (PNG,
    and SVG with ``svg``), ``report.html`` and ``results.xlsx``
    (:func:`write_report_files`). With a folder, call :func:`rebuild_report`.

    Parameters
    ----------
    source : RunResult or str or pathlib.Path
        A run's result, or a folder written by an earlier run.
    out_dir : str or pathlib.Path, optional
        Output folder (required with a result; must be omitted or equal to ``source`` with a
        folder).
    lang : {"en", "zh"}
    title : str, optional
        Report title; by default the scenario's name.
    projection : PopulationProjection, optional
        The run's population projection (adds ``population.csv``,
        ``population_components.csv`` and the population pyramid).
    scenario : Scenario, optional
        The scenario: its summary and ASSUMPTION comments go into the report unless
        ``summary`` / ``assumptions`` are given.
    scorecard : pandas.DataFrame, optional
        The targets scorecard (:mod:`carefacility.targets.scorecard`); by default
        ``result.tables["scorecard"]`` when present.
    assumptions : sequence of str, optional
    summary : dict, optional
    force : bool
        Write into a folder that holds files carefacility did not write.
    svg : bool
        Also save the charts as SVG and embed the SVG in ``report.html`` (by default the
        report embeds the PNG).
    per_replication_sheet : bool
        Put ``kpis_by_replication`` into ``results.xlsx`` too (its CSV file is always written).
    workers : int, optional
        Draw the charts on this many processes while the workbook is written (by default
        everything is done in this process); the files are the same.
    long_sheets : bool
        Put every long table into ``results.xlsx`` too, after the bureau's grids.

    Returns
    -------
    list of pathlib.Path
        The files as they stand in the folder after the write.
    """
    if not isinstance(source, RunResult):
        if out_dir is not None and Path(out_dir).resolve() != Path(source).resolve():
            raise ValueError("rebuilding a report writes into its own folder; omit out_dir")
        return rebuild_report(source, lang=lang, force=force, svg=svg,
                              per_replication_sheet=per_replication_sheet, workers=workers,
                              long_sheets=long_sheets)
    if out_dir is None:
        raise ValueError("write_report(result, out_dir): the output folder is missing")
    result = source
    if scenario is not None:
        summary = summary if summary is not None else scenario_summary(scenario)
        assumptions = assumptions if assumptions is not None else scenario_assumptions(scenario)
    title = title or (summary or {}).get("name") or result.metadata.get("scenario", "")
    tables = _run_tables(result, scorecard, projection)
    context = {"title": title, "summary": summary or {}, "assumptions": list(assumptions or [])}
    with staged_output(out_dir, force=force) as out:

        def write_tables() -> None:
            for name, frame in tables.items():
                write_csv(frame, out.path(f"{name}.csv"))
            out.path("run_metadata.json").write_text(
                json.dumps(result.metadata, indent=2, ensure_ascii=False), encoding="utf-8")
            out.path(CONTEXT_FILE).write_text(
                json.dumps(context, indent=2, ensure_ascii=False, default=str),
                encoding="utf-8")

        names = [*(f"{name}.csv" for name in tables), "run_metadata.json", CONTEXT_FILE]
        names += _write_report_files(out, tables, result.metadata, title=title, lang=lang,
                                     assumptions=context["assumptions"], summary=summary,
                                     svg=svg, per_replication_sheet=per_replication_sheet,
                                     workers=workers, before_workbook=write_tables,
                                     long_sheets=long_sheets)
        final = [out.final_path(name) for name in names]
    return final


_TABLE_LAYOUT: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "kpis": (("year", "metric", "mean", "ci_low", "ci_high"),
             ("year", "mean", "ci_low", "ci_high", "replications")),
    "kpis_by_replication": (("replication", "year", "metric", "value"),
                            ("replication", "year", "value")),
    "scorecard": (("target", "year", "metric", "comparison", "threshold", "status"),
                  ("year", "threshold", "simulated_mean", "ci_low", "ci_high", "shortfall",
                   "replications", "replications_to_decide")),
    "analytic_cross_check": (("year", "beds", "offered_load_beds"),
                             ("year", "beds", "offered_load_beds", "beds_needed_p95",
                              "mean_wait_days", "share_served_within_threshold",
                              "transient_mean_beds")),
    "cross_check_pools": (("year", "kind", "is_combined", "share_served_within_threshold"),
                          ("year", "share_served_within_threshold")),
    "eligibility_alternative": (("year", "role", "eligible_bed_types", "metric", "mean",
                                 "ci_low", "ci_high", "unit"),
                                ("year", "mean", "ci_low", "ci_high")),
    "backtest": (("year", "basis", "metric", "observed", "projected", "relative_error", "use"),
                 ("year", "observed", "projected", "error", "relative_error")),
    "elderly_summary": (("year", "zone", "pop_60plus", "pop_80plus", "share_60plus"),
                        ("year", "pop_60plus", "pop_80plus", "share_60plus")),
    "population": (("year", "age", "sex", "population"), ("year", "age", "population")),
}
"""Columns the report reads from each stored table it uses, and which of the columns (when
present) must hold numbers; ``year`` must also have no blanks."""


def _read_csv(path: Path) -> pd.DataFrame:
    """A stored table, with the quotes that kept formula-like text inert taken off again.

    Raises
    ------
    DamagedFolderError
        If the file cannot be read, is not UTF-8 text, is empty or is not a table.
    """
    try:
        # only empty cells are missing values: a zone called "NA" stays a zone
        frame = pd.read_csv(path, encoding="utf-8-sig", keep_default_na=False, na_values=[""])
    except UnicodeDecodeError as error:
        raise DamagedFolderError(
            f"{path}: not UTF-8 text (byte {error.start}); not a table carefacility wrote"
        ) from error
    except pd.errors.EmptyDataError as error:
        raise DamagedFolderError(f"{path}: the file is empty (not even a header row)") from error
    except (pd.errors.ParserError, ValueError) as error:
        reason = " ".join(str(error).split())
        raise DamagedFolderError(f"{path}: not a readable CSV table ({reason})") from error
    except OSError as error:
        raise DamagedFolderError(
            f"{path}: cannot be read ({error.strerror or error})") from error
    if not isinstance(frame.index, pd.RangeIndex):  # pandas made the surplus an index
        raise DamagedFolderError(
            f"{path}: not a readable CSV table (a row has more fields than the header)")
    return restore_formulas(frame)


def _check_table(path: Path, frame: pd.DataFrame) -> None:
    """Raise :class:`DamagedFolderError` if a table the report reads lacks columns it needs or
    holds text where numbers belong."""
    stem = path.stem
    layout = _TABLE_LAYOUT.get(stem)
    if layout is None:
        return
    required, numeric = layout
    missing = [column for column in required if column not in frame.columns]
    if missing:
        raise DamagedFolderError(
            f"{path}: the columns {', '.join(missing)} are missing (found: "
            f"{', '.join(map(str, frame.columns[:12])) or 'none'})")
    if frame.columns.duplicated().any():
        raise DamagedFolderError(f"{path}: a column name is repeated")
    if frame.empty:
        if stem == "kpis":
            raise DamagedFolderError(
                f"{path}: the table has no rows: there is nothing to report")
        return
    for column in (c for c in numeric if c in frame.columns):
        values = frame[column]
        if pd.api.types.is_bool_dtype(values.dtype) or not pd.api.types.is_numeric_dtype(
                values.dtype):
            bad = pd.to_numeric(values, errors="coerce").isna() & values.notna()
            row = int(bad.to_numpy().nonzero()[0][0]) if bad.any() else 0
            raise DamagedFolderError(
                f"{path}: column {column} holds text where numbers belong (row {row + 2}: "
                f"{str(values.iloc[row])[:40]!r})")
    if "year" in numeric:
        blank = frame["year"].isna() | ~np.isfinite(frame["year"].to_numpy(dtype=float))
        if blank.any():
            raise DamagedFolderError(
                f"{path}: column year has a blank or not-finite value (row "
                f"{int(blank.to_numpy().nonzero()[0][0]) + 2})")
    if stem == "cross_check_pools" and not pd.api.types.is_bool_dtype(
            frame["is_combined"].dtype):
        raise DamagedFolderError(f"{path}: column is_combined must hold True or False")


def _read_json(path: Path) -> dict[str, Any]:
    """A JSON object stored in a run folder (empty when the file is missing).

    Raises
    ------
    DamagedFolderError
        If the file is not UTF-8, not JSON, or not a JSON object.
    """
    if not path.is_file():
        return {}
    try:
        value = json.loads(path.read_bytes().decode("utf-8-sig"))
    except UnicodeDecodeError as error:
        raise DamagedFolderError(f"{path}: not UTF-8 text (byte {error.start})") from error
    except json.JSONDecodeError as error:
        raise DamagedFolderError(
            f"{path}: not valid JSON ({error.msg} at line {error.lineno} column "
            f"{error.colno})") from error
    except (OSError, ValueError) as error:  # ValueError: e.g. nesting too deep
        raise DamagedFolderError(f"{path}: cannot be read ({error})") from error
    if not isinstance(value, dict):
        raise DamagedFolderError(
            f"{path}: holds a JSON {type(value).__name__}, not an object of named values")
    return value


def _check_context(path: Path, context: dict[str, Any]) -> None:
    """:data:`CONTEXT_FILE` holds a text ``title``, an object ``summary`` and a list of texts
    ``assumptions`` (each may be missing)."""
    problems = []
    if context.get("title") is not None and not isinstance(context["title"], str):
        problems.append("title is not a text")
    if context.get("summary") is not None and not isinstance(context["summary"], dict):
        problems.append("summary is not an object")
    assumptions = context.get("assumptions")
    if assumptions is not None and not (isinstance(assumptions, list)
                                        and all(isinstance(a, str) for a in assumptions)):
        problems.append("assumptions is not a list of texts")
    if problems:
        raise DamagedFolderError(f"{path}: {'; '.join(problems)}")


def read_run_folder(directory: str | Path
                    ) -> tuple[dict[str, pd.DataFrame], dict[str, Any], dict[str, Any]]:
    """The tables, metadata and report context stored in a run folder.

    Every file is checked as it is read; nothing in the folder is changed.

    Parameters
    ----------
    directory : str or pathlib.Path
        A folder written by ``carefacility run``.

    Returns
    -------
    tables : dict of str to pandas.DataFrame
        Every CSV file carefacility wrote there, by stem (``kpis`` for ``kpis.csv``), in
        workbook order, with the quote that kept formula-like text inert taken off
        (:func:`carefacility.report.output_folder.restore_formulas`).
    metadata : dict
        ``run_metadata.json`` (empty if missing).
    context : dict
        :data:`CONTEXT_FILE` (``title, summary, assumptions``; empty if missing).

    Raises
    ------
    DamagedFolderError
        With one line naming the file and what is wrong: the folder or its ``kpis.csv`` is
        missing; the manifest is not UTF-8 text; a CSV file is empty, not UTF-8 or not a table;
        a table the report reads lacks columns or holds text where numbers belong
        (``kpis.csv`` must also have rows); a JSON file is not a JSON object, or
        :data:`CONTEXT_FILE` has fields of the wrong kind.
    """
    directory = Path(directory)
    if not directory.is_dir():
        raise DamagedFolderError(f"{directory}: no such folder")
    if not (directory / "kpis.csv").is_file():
        raise DamagedFolderError(
            f"{directory}: no kpis.csv here; `carefacility report` rebuilds the report of a "
            "folder written by `carefacility run`")
    manifest = directory / MANIFEST
    ours: set[str] | None = None
    if manifest.is_file():
        try:
            ours = set(manifest.read_bytes().decode("utf-8").split("\n"))
        except UnicodeDecodeError as error:
            raise DamagedFolderError(
                f"{manifest}: the list of carefacility's files is not UTF-8 text (byte "
                f"{error.start})") from error
        except OSError as error:
            raise DamagedFolderError(
                f"{manifest}: cannot be read ({error.strerror or error})") from error
    stems = [p.stem for p in sorted(directory.glob("*.csv"))
             if p.is_file() and (ours is None or p.name in ours or p.name == "kpis.csv")]
    order = [s for s in SHEET_ORDER if s in stems] + [s for s in stems if s not in SHEET_ORDER]
    tables = {}
    for stem in order:
        path = directory / f"{stem}.csv"
        tables[stem] = _read_csv(path)
        _check_table(path, tables[stem])
    metadata = _read_json(directory / "run_metadata.json")
    context = _read_json(directory / CONTEXT_FILE)
    _check_context(directory / CONTEXT_FILE, context)
    return tables, metadata, context


def rebuild_report(directory: str | Path, *, lang: Lang = "en", force: bool = False,
                   svg: bool = False, per_replication_sheet: bool = False,
                   workers: int | None = None, long_sheets: bool = False) -> list[Path]:
    """Rebuild ``report.html``, ``results.xlsx`` and the charts of a run folder from its CSV and
    JSON files, without simulating again.

    The files are staged and replace the old ones only when all are written: a failure leaves
    the folder unchanged.

    Parameters
    ----------
    directory : str or pathlib.Path
        A folder written by ``carefacility run``.
    lang : {"en", "zh"}
    force : bool
        Write even if the folder holds files carefacility did not write.
    svg, per_replication_sheet, workers, long_sheets
        As for :func:`write_report_files`: the options decide, whatever the folder held (SVGs
        of an earlier write are removed without ``svg``).

    Returns
    -------
    list of pathlib.Path
        The files rewritten.

    Raises
    ------
    DamagedFolderError
        If a stored file is missing or damaged (:func:`read_run_folder`), or the stored tables
        cannot be drawn or reported; one line, and the folder is unchanged.
    OutputFolderError
        If the folder cannot be written (see
        :func:`carefacility.report.output_folder.staged_output`).
    RuntimeError
        If ``lang="zh"`` and no Chinese font is installed.
    """
    tables, metadata, context = read_run_folder(directory)
    title = str(context.get("title") or metadata.get("scenario")
                or Path(directory).resolve().name)
    with staged_output(directory, force=force) as out:
        try:
            names = write_report_files(out, tables, metadata, title=title, lang=lang,
                                       assumptions=context.get("assumptions") or [],
                                       summary=context.get("summary") or None, svg=svg,
                                       per_replication_sheet=per_replication_sheet,
                                       workers=workers, long_sheets=long_sheets)
        except (LookupError, ValueError, TypeError, AttributeError, ArithmeticError) as error:
            # the layout checks of read_run_folder passed, yet a table or a field of
            # scenario_summary.json is not as the report expects it
            reason = " ".join(f"{type(error).__name__}: {error}".split())
            raise DamagedFolderError(
                f"{directory}: the stored tables cannot be reported ({reason[:200]}); the "
                "folder is unchanged") from error
        final = [out.final_path(name) for name in names]
    return final
