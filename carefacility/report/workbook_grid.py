"""The bureau's sheets of ``results.xlsx``: targets × years and years as columns.

A planner reads a plan year by year, so the workbook's first sheets are wide grids rather than
the long tables of the CSV files:

* ``scorecard`` — one row per target, one column per year: the simulated mean, coloured by
  status (met green, at risk amber, missed red), then the same grid of 95 % confidence
  intervals, and a legend;
* ``kpis_by_year`` — one block of three rows per KPI (mean, 95 % CI low, 95 % CI high), years as
  columns, the KPI's name and unit in words;
* ``population_by_year``, ``care_need_by_year``, ``bed_demand_by_year`` — the deterministic
  tables, years as columns.

Numbers stay numbers, with formats: shares as percentages (``0.0%``), counts with thousands
separators, days with one decimal. Headers and sheet names are Chinese under ``lang="zh"``.
This module builds the grids as plain data (:class:`Grid`); :mod:`carefacility.report.excel`
writes them.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from carefacility.report.kpi_names import PARTS, is_fraction, kpi_name, number_format, unit_name
from carefacility.report.labels import Lang, status_label

__all__ = ["STATUS_FILLS", "Grid", "GridCell", "bureau_grids", "format_interval",
           "kpi_grid", "scorecard_grid", "wide_grid"]

STATUS_FILLS = {"met": "C6EFCE", "at_risk": "FFEB9C", "missed": "FFC7CE", "no data": "EDEDED"}
"""Cell colour of each status (Excel's own "good", "neutral" and "bad" fills)."""

HEADER_FILL = "DDEBF7"


@dataclass(frozen=True)
class GridCell:
    """One cell: its value (a number stays a number), number format, fill colour, boldness."""

    value: Any
    number_format: str | None = None
    fill: str | None = None
    bold: bool = False


@dataclass
class Grid:
    """A sheet as rows of cells.

    Attributes
    ----------
    key : str
        The sheet's key (``scorecard``, ``kpis_by_year`` ...); its name in a language is
        :data:`SHEET_NAMES`.
    rows : list of list of GridCell
        The rows, top to bottom (``None`` cells are empty).
    freeze : str
        The top-left cell that is not frozen (``"C2"``: two columns and one row frozen).
    widths : list of float
        Column widths [characters].
    """

    key: str
    rows: list[list[GridCell | None]] = field(default_factory=list)
    freeze: str = "A2"
    widths: list[float] = field(default_factory=list)


SHEET_NAMES: dict[str, dict[str, str]] = {
    "scorecard": {"en": "scorecard", "zh": "目标评估"},
    "kpis_by_year": {"en": "kpis_by_year", "zh": "年度指标"},
    "population_by_year": {"en": "population_by_year", "zh": "人口"},
    "care_need_by_year": {"en": "care_need_by_year", "zh": "照护需求"},
    "bed_demand_by_year": {"en": "bed_demand_by_year", "zh": "床位需求"},
}
"""Sheet name of each grid by language."""

_TEXT: dict[str, dict[str, str]] = {
    "target": {"en": "Target", "zh": "目标"},
    "requirement": {"en": "Requirement", "zh": "要求"},
    "mean_block": {"en": "Simulated mean (colour: status at 95 %)",
                   "zh": "模拟均值（颜色：95%置信水平下的评估结果）"},
    "ci_block": {"en": "95 % confidence interval over replications",
                 "zh": "各次模拟的95%置信区间"},
    "legend": {"en": "Legend", "zh": "图例"},
    "met": {"en": "met: the whole interval meets the target",
            "zh": "达标：整个置信区间满足目标"},
    "at_risk": {"en": "at risk: the interval straddles the target (more replications may "
                      "settle it)", "zh": "有风险：置信区间跨越目标值（增加模拟次数可能判定）"},
    "missed": {"en": "missed: the whole interval misses the target",
               "zh": "未达标：整个置信区间未满足目标"},
    "no data": {"en": "blank: the target does not apply that year",
                "zh": "空白：该年不适用此目标"},
    "kpi": {"en": "Indicator", "zh": "指标"},
    "unit": {"en": "Unit", "zh": "单位"},
    "statistic": {"en": "Statistic", "zh": "统计量"},
    "code": {"en": "KPI code (kpis.csv)", "zh": "指标代码（kpis.csv）"},
    "mean": {"en": "mean", "zh": "均值"},
    "ci_low": {"en": "95 % CI low", "zh": "95%置信区间下限"},
    "ci_high": {"en": "95 % CI high", "zh": "95%置信区间上限"},
    "zone": {"en": "Zone", "zh": "街镇"},
    "basis": {"en": "Basis", "zh": "口径"},
    "measure": {"en": "Measure", "zh": "项目"},
    "level": {"en": "Care level", "zh": "照护等级"},
    "persons": {"en": "persons", "zh": "人"},
    "share": {"en": "fraction", "zh": "比例"},
    "per_year": {"en": "persons per year", "zh": "人/年"},
    "per_day": {"en": "persons per day", "zh": "人/天"},
}

_MEASURES: dict[str, tuple[str, str]] = {
    "total": ("Total population", "总人口"),
    "pop_15_59": ("Aged 15-59", "15-59岁"),
    "pop_15_64": ("Aged 15-64", "15-64岁"),
    "pop_60plus": ("Aged 60+", "60岁及以上"),
    "pop_65plus": ("Aged 65+", "65岁及以上"),
    "pop_80plus": ("Aged 80+", "80岁及以上"),
    "share_60plus": ("Share aged 60+", "60岁及以上占比"),
    "share_65plus": ("Share aged 65+", "65岁及以上占比"),
    "share_80plus": ("Share aged 80+", "80岁及以上占比"),
    "old_age_dependency_ratio": ("Old-age dependency ratio (65+ / 15-64)",
                                 "老年抚养比（65岁及以上/15-64岁）"),
    "old_age_dependency_ratio_60": ("Old-age dependency ratio (60+ / 15-59)",
                                    "老年抚养比（60岁及以上/15-59岁）"),
    "pop_60plus_low": ("Aged 60+, death rates 10 % higher", "60岁及以上（死亡率高10%）"),
    "pop_60plus_high": ("Aged 60+, death rates 10 % lower", "60岁及以上（死亡率低10%）"),
    "pop_80plus_low": ("Aged 80+, death rates 10 % higher", "80岁及以上（死亡率高10%）"),
    "pop_80plus_high": ("Aged 80+, death rates 10 % lower", "80岁及以上（死亡率低10%）"),
    "persons": ("Persons", "人数"),
    "applicants_per_year": ("Applicants for a bed per year", "每年床位申请人数"),
    "arrival_rate_per_day": ("Applicants per day", "每天申请人数"),
    "share_low_income": ("Share low-income (特困)", "特困老人占比"),
}


POPULATION_MEASURES = ("total", "pop_15_59", "pop_15_64", "pop_60plus", "pop_65plus",
                       "pop_80plus", "share_60plus", "share_65plus", "share_80plus",
                       "old_age_dependency_ratio", "old_age_dependency_ratio_60",
                       "pop_60plus_low", "pop_60plus_high", "pop_80plus_low", "pop_80plus_high")
"""Rows of ``population_by_year`` (columns of ``elderly_summary.csv``)."""


def _text(key: str, lang: Lang) -> str:
    return _TEXT[key][lang]


def _plain(value: float) -> float:
    """``value`` without a negative zero (``-0.0`` and tiny negatives from rounding print as
    ``-0.0``)."""
    return value + 0.0 if value != 0 else 0.0


def format_interval(low: float, high: float, unit: str) -> str:
    """A 95 % confidence interval as text in the KPI's number format: ``94.1 % – 96.0 %``,
    ``4,466 – 4,512``; never ``-0.0``; empty when unknown."""
    if any(not isinstance(v, int | float) or math.isnan(v) for v in (low, high)):
        return ""
    style = number_format(unit)

    def one(value: float) -> str:
        # rounding first, then adding 0.0, turns -0.0 (and tiny negatives) into 0.0
        if style == "0.0%":
            return f"{round(100 * value, 1) + 0.0:.1f} %"
        if style == "#,##0.0":
            return f"{round(value, 1) + 0.0:,.1f}"
        if style == "0.00":
            return f"{round(value, 2) + 0.0:.2f}"
        return f"{round(value) + 0.0:,.0f}"

    return f"{one(low)} – {one(high)}"


def _requirement(comparison: str, threshold: float, unit: str) -> str:
    sign = "≥" if comparison == ">=" else "≤"
    if is_fraction(unit):
        return f"{sign} {round(100 * threshold, 1) + 0.0:g} %"
    return f"{sign} {threshold:,.10g}"


def _header(values: Sequence[Any]) -> list[GridCell | None]:
    return [GridCell(value, fill=HEADER_FILL, bold=True) for value in values]


def _units_of(kpis: pd.DataFrame | None) -> dict[str, str]:
    if kpis is None or kpis.empty or "unit" not in kpis:
        return {}
    return dict(zip(kpis["metric"], kpis["unit"], strict=False))


def scorecard_grid(scorecard: pd.DataFrame | None, kpis: pd.DataFrame | None,
                   lang: Lang = "en") -> Grid:
    """Targets × years: the simulated mean coloured by status, then the 95 % intervals.

    Parameters
    ----------
    scorecard : pandas.DataFrame or None
        The long scorecard (:func:`carefacility.targets.scorecard.scorecard`); an empty grid
        with its header when None or empty.
    kpis : pandas.DataFrame or None
        The run's KPIs, for the units (number formats) of the targets' metrics.
    lang : {"en", "zh"}
    """
    units = _units_of(kpis)
    grid = Grid("scorecard", freeze="C3")
    years = sorted(scorecard["year"].unique().tolist()) if scorecard is not None and len(
        scorecard) else []
    head = [_text("target", lang), _text("requirement", lang), *years]
    grid.rows.append([GridCell(_text("mean_block", lang), bold=True)])
    grid.rows.append(_header(head))
    intervals: list[list[GridCell | None]] = []
    if years:
        for target, rows in scorecard.groupby("target", sort=False):
            first = rows.iloc[0]
            unit = units.get(str(first["metric"]), "")
            label = first["label"] if isinstance(first["label"], str) and first["label"] \
                else str(target)
            requirement = _requirement(str(first["comparison"]), float(first["threshold"]),
                                       unit)
            by_year = {int(row.year): row for row in rows.itertuples(index=False)}
            means: list[GridCell | None] = [GridCell(label), GridCell(requirement)]
            ranges: list[GridCell | None] = [GridCell(label), GridCell(requirement)]
            for year in years:
                row = by_year.get(int(year))
                if row is None:
                    means.append(GridCell(None, fill=STATUS_FILLS["no data"]))
                    ranges.append(None)
                    continue
                status = str(row.status)
                mean = float(row.simulated_mean)
                means.append(GridCell(None if math.isnan(mean) else _plain(mean),
                                      number_format(unit), STATUS_FILLS.get(status)))
                ranges.append(GridCell(format_interval(float(row.ci_low), float(row.ci_high),
                                                       unit)))
            grid.rows.append(means)
            intervals.append(ranges)
    grid.rows.append([])
    grid.rows.append([GridCell(_text("ci_block", lang), bold=True)])
    grid.rows.append(_header(head))
    grid.rows += intervals
    grid.rows.append([])
    grid.rows.append([GridCell(_text("legend", lang), bold=True)])
    for status in ("met", "at_risk", "missed"):
        grid.rows.append([GridCell(status_label(status, lang), fill=STATUS_FILLS[status]),
                          GridCell(_text(status, lang))])
    grid.rows.append([GridCell(None, fill=STATUS_FILLS["no data"]),
                      GridCell(_text("no data", lang))])
    grid.widths = [44, 14, *[16] * len(years)]
    return grid


def _metric_order(metrics: Sequence[str]) -> list[str]:
    """Beds and service levels first, then the rest as they come."""
    first = ("beds", "nursing_share", "beds_per_1000_60plus", "pop_60plus", "occupied_beds",
             "occupancy", "share_served_within_threshold", "p_wait", "wait_mean_days",
             "wait_p95_days", "waiting_list_year_end", "applicants", "admissions")
    rank = {name: index for index, name in enumerate(first)}
    return sorted(dict.fromkeys(metrics),
                  key=lambda m: (rank.get(m.split(".")[0], len(first)), m))


def kpi_grid(kpis: pd.DataFrame, lang: Lang = "en") -> Grid:
    """KPIs by year: per KPI the mean and its 95 % interval, years as columns."""
    grid = Grid("kpis_by_year", freeze="D2")
    years = sorted(kpis["year"].unique().tolist())
    grid.rows.append(_header([_text("kpi", lang), _text("unit", lang),
                              _text("statistic", lang), *years, _text("code", lang)]))
    indexed = kpis.set_index(["metric", "year"])
    units = _units_of(kpis)
    for metric in _metric_order(kpis["metric"].tolist()):
        unit = units.get(metric, "")
        style = number_format(unit)
        rows = indexed.loc[metric]
        for column, statistic in (("mean", "mean"), ("ci_low", "ci_low"),
                                  ("ci_high", "ci_high")):
            if column not in rows:
                continue
            values: list[GridCell | None] = [
                GridCell(kpi_name(metric, lang) if column == "mean" else None,
                         bold=column == "mean"),
                GridCell(unit_name(unit, lang) if column == "mean" else None),
                GridCell(_text(statistic, lang))]
            for year in years:
                value = rows[column].get(year, math.nan) if year in rows.index else math.nan
                values.append(GridCell(None if pd.isna(value) else _plain(float(value)),
                                       style))
            values.append(GridCell(metric if column == "mean" else None))
            grid.rows.append(values)
    grid.widths = [46, 26, 16, *[12] * len(years), 34]
    return grid


def _measure_name(measure: str, lang: Lang) -> str:
    names = _MEASURES.get(measure)
    return (names[0] if lang == "en" else names[1]) if names else measure


def _part_name(value: Any, lang: Lang) -> Any:
    names = PARTS.get(str(value))
    return (names[0] if lang == "en" else names[1]) if names else value


def wide_grid(key: str, frame: pd.DataFrame | None, index: Sequence[str],
              measures: Sequence[str], lang: Lang = "en") -> Grid | None:
    """A long table with a ``year`` column turned wide: one row per ``index`` value and
    measure, one column per year (None without the table).

    Shares (``share_*``) are shown as percentages, the rest with thousands separators.
    """
    if frame is None or frame.empty or "year" not in frame:
        return None
    measures = [measure for measure in measures if measure in frame]
    index = [column for column in index if column in frame]
    years = sorted(frame["year"].unique().tolist())
    grid = Grid(key, freeze=f"{chr(ord('A') + len(index) + 1)}2")
    grid.rows.append(_header([*(_text(column, lang) for column in index),
                              _text("measure", lang), *years]))
    groups = frame.groupby(index, sort=False) if index else [((), frame)]
    for keys, rows in groups:
        keys = keys if isinstance(keys, tuple) else (keys,)
        by_year = rows.set_index("year")
        for measure in measures:
            share = measure.startswith("share") or "ratio" in measure
            style = "0.0%" if share else ("#,##0.000" if measure.endswith("per_day")
                                          else "#,##0")
            values: list[GridCell | None] = [GridCell(_part_name(value, lang))
                                              for value in keys]
            values.append(GridCell(_measure_name(measure, lang)))
            for year in years:
                value = by_year[measure].get(year, math.nan) if year in by_year.index \
                    else math.nan
                values.append(GridCell(None if pd.isna(value) else _plain(float(value)),
                                       style))
            grid.rows.append(values)
    grid.widths = [14] * len(index) + [34] + [12] * len(years)
    return grid


def bureau_grids(tables: dict[str, pd.DataFrame], lang: Lang = "en") -> list[Grid]:
    """Every bureau sheet the tables allow, in order: scorecard, KPIs, population, care need,
    bed demand."""
    grids = [scorecard_grid(tables.get("scorecard"), tables.get("kpis"), lang)]
    kpis = tables.get("kpis")
    if kpis is not None and not kpis.empty and {"year", "metric", "mean"} <= set(kpis):
        grids.append(kpi_grid(tables["kpis"], lang))
    for grid in (
        wide_grid("population_by_year", tables.get("elderly_summary"), ["zone", "basis"],
                  POPULATION_MEASURES, lang),
        wide_grid("care_need_by_year", tables.get("care_need"), ["zone", "level"],
                  ["persons"], lang),
        wide_grid("bed_demand_by_year", tables.get("bed_demand"), ["zone", "level"],
                  ["persons", "applicants_per_year", "share_80plus", "share_low_income"],
                  lang),
    ):
        if grid is not None:
            grids.append(grid)
    return grids
