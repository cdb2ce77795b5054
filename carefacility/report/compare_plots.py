"""Charts of compared variants and sweeps.

Each function takes tidy tables and an optional ``ax``, draws on it and returns the
:class:`matplotlib.axes.Axes` (the styling, fonts and labels of
:mod:`carefacility.report.plots`); none calls ``plt.show()``.

* :func:`metric_by_year` — one KPI by year, a line per variant with its 95 % CI band;
* :func:`difference_by_year` — each variant minus the baseline, paired by replication, with
  the paired 95 % CI;
* :func:`sweep_chart` — one KPI in one year against the values of a grid field, a line per
  combination of the other fields, with 95 % CIs.
"""

from __future__ import annotations

import math
import re

import matplotlib.ticker
import numpy as np
import pandas as pd
from matplotlib.axes import Axes

from carefacility.report import plots
from carefacility.report.labels import Lang

__all__ = ["CHART_METRICS", "difference_by_year", "metric_by_year", "metric_title",
           "sweep_chart"]

CHART_METRICS = ("share_served_within_threshold", "wait_mean_days")
"""The KPIs charted by default: the service level and the mean wait of those admitted."""

_TITLES = {
    "share_served_within_threshold": {"en": "Applicants admitted within {days} days [%]",
                                      "zh": "{days}天内入住的申请人比例（%）"},
    "share_of_admissions_within_threshold": {"en": "Admissions within {days} days [%]",
                                             "zh": "{days}天内入住的入住者比例（%）"},
    "wait_mean_days": {"en": "Mean wait of those admitted [days]",
                       "zh": "入住者平均等待时间（天）"},
    "wait_p95_days": {"en": "95th percentile wait [days]", "zh": "第95百分位等待时间（天）"},
    "waiting_list_year_end": {"en": "Waiting list on 31 Dec [persons]",
                              "zh": "年末轮候人数（人）"},
    "occupancy": {"en": "Occupancy [%]", "zh": "入住率（%）"},
}
_TEXT = {
    "by_variant": {"en": "{metric}\nby variant (mean, 95 % CI)",
                   "zh": "{metric}\n各方案（均值，95%置信区间）"},
    "difference": {"en": "{metric}\ndifference from {baseline} (paired by replication, 95 % CI)",
                   "zh": "{metric}\n与{baseline}之差（按重复配对，95%置信区间）"},
    "sweep": {"en": "{metric}\nin {year} (mean, 95 % CI)",
              "zh": "{metric}\n{year}年（均值，95%置信区间）"},
}


def _is_share(unit: str, metric: str) -> bool:
    return str(unit).startswith("fraction") or metric.startswith(("share_", "occupancy"))


def metric_title(metric: str, unit: str = "", lang: Lang = "en") -> str:
    """A KPI's name as a chart shows it (``[%]`` for shares, the threshold's days filled in)."""
    found = re.search(r"threshold\s+([0-9.T]+)\s*days", str(unit))
    days = found.group(1) if found else None
    text = _TITLES.get(metric, {}).get(lang)
    if text is None:
        return f"{metric} [%]" if _is_share(unit, metric) else (
            f"{metric} [{unit}]" if unit else metric)
    return text.format(days=days if days is not None else "T")


def _unit(rows: pd.DataFrame) -> str:
    """The rows' unit; a threshold that differs between rows becomes ``T``."""
    units = list(dict.fromkeys(rows["unit"].astype(str))) if len(rows) else [""]
    if len(units) > 1:
        return re.sub(r"threshold\s+[0-9.]+\s*days", "threshold T days", units[0])
    return units[0]


def _scale(rows: pd.DataFrame, metric: str) -> float:
    unit = _unit(rows)
    return 100.0 if _is_share(unit, metric) else 1.0


def metric_by_year(kpis: pd.DataFrame, metric: str, *, variants: list[str] | None = None,
                   ax: Axes | None = None, lang: Lang = "en", title: str | None = None) -> Axes:
    """One KPI by year, a line per variant with its 95 % CI band.

    Parameters
    ----------
    kpis : pandas.DataFrame
        ``variant, year, metric, mean, ci_low, ci_high, unit`` (``CompareResult.kpis``, or a
        sweep's table).
    metric : str
        The KPI (``share_served_within_threshold`` is drawn in %).
    variants : list of str, optional
        Which variants, in order (default: all, in the table's order).
    ax : matplotlib.axes.Axes, optional
    lang : {"en", "zh"}
    title : str, optional

    Returns
    -------
    matplotlib.axes.Axes
    """
    ax = plots._axes(ax)
    rows = kpis[kpis["metric"] == metric]
    names = variants if variants is not None else list(dict.fromkeys(rows["variant"]))
    scale = _scale(rows, metric)
    unit = _unit(rows)
    for number, name in enumerate(names):
        part = rows[rows["variant"] == name].sort_values("year")
        if part.empty:
            continue
        colour = plots._SERIES_COLOURS[number % len(plots._SERIES_COLOURS)]
        years = part["year"].to_numpy()
        ax.fill_between(years, scale * part["ci_low"].to_numpy(float),
                        scale * part["ci_high"].to_numpy(float), color=colour, alpha=0.15,
                        linewidth=0)
        ax.plot(years, scale * part["mean"].to_numpy(float), color=colour, marker="o",
                markersize=3, linestyle="-" if number == 0 else "--", label=str(name))
    plots._year_axis(ax, lang)
    name = metric_title(metric, unit, lang)
    ax.set_ylabel(name)
    if scale == 100.0:
        ax.set_ylim(0, 105)
    if ax.get_lines():
        ax.legend(loc="best", fontsize="small", frameon=False)
    ax.set_title(title or _TEXT["by_variant"][lang].format(metric=name))
    return plots._set_fonts(ax, lang)


def difference_by_year(differences: pd.DataFrame, metric: str, *, ax: Axes | None = None,
                       lang: Lang = "en", title: str | None = None) -> Axes:
    """Each variant minus the baseline by year, with the paired 95 % CI, and the zero line.

    Parameters
    ----------
    differences : pandas.DataFrame
        ``variant, baseline, year, metric, mean_difference, ci_low, ci_high, unit``
        (``CompareResult.differences``).
    metric : str
    ax : matplotlib.axes.Axes, optional
    lang : {"en", "zh"}
    title : str, optional

    Returns
    -------
    matplotlib.axes.Axes
    """
    ax = plots._axes(ax)
    rows = differences[differences["metric"] == metric]
    scale = _scale(rows, metric)
    unit = _unit(rows)
    for number, name in enumerate(dict.fromkeys(rows["variant"])):
        part = rows[rows["variant"] == name].sort_values("year")
        colour = plots._SERIES_COLOURS[(number + 1) % len(plots._SERIES_COLOURS)]
        years = part["year"].to_numpy()
        ax.fill_between(years, scale * part["ci_low"].to_numpy(float),
                        scale * part["ci_high"].to_numpy(float), color=colour, alpha=0.2,
                        linewidth=0)
        ax.plot(years, scale * part["mean_difference"].to_numpy(float), color=colour,
                marker="o", markersize=3, label=str(name))
    ax.axhline(0.0, color="black", linewidth=0.8)
    plots._year_axis(ax, lang)
    name = metric_title(metric, unit, lang)
    ax.set_ylabel(name.replace("[%]", "[percentage points]") if lang == "en" else name)
    if ax.get_lines():
        ax.legend(loc="best", fontsize="small", frameon=False)
    baseline = str(rows["baseline"].iloc[0]) if len(rows) else ""
    ax.set_title(title or _TEXT["difference"][lang].format(metric=name, baseline=baseline))
    return plots._set_fonts(ax, lang)


def _as_number(text: str) -> float:
    try:
        return float(text)
    except (TypeError, ValueError):
        return math.nan


def sweep_chart(table: pd.DataFrame, metric: str, *, grid: list[str], year: int | None = None,
                ax: Axes | None = None, lang: Lang = "en", title: str | None = None) -> Axes:
    """One KPI in one year against the values of the first grid field, a line per combination
    of the other fields, with 95 % CIs as error bars.

    Parameters
    ----------
    table : pandas.DataFrame
        A sweep's table: the grid columns, then ``variant, year, metric, mean, ci_low,
        ci_high, unit``.
    metric : str
    grid : list of str
        The grid's columns, in order (the first is the x axis). Without any (a sweep of listed
        variants) the variants are the x axis.
    year : int, optional
        The year (default: the last).
    ax : matplotlib.axes.Axes, optional
    lang : {"en", "zh"}
    title : str, optional

    Returns
    -------
    matplotlib.axes.Axes
    """
    ax = plots._axes(ax, (7.5, 5.0))
    rows = table[table["metric"] == metric]
    if len(rows) and year is None:
        year = int(rows["year"].max())
    rows = rows[rows["year"] == year]
    scale = _scale(rows, metric)
    unit = _unit(rows)
    if grid:
        x_column, others = grid[0], grid[1:]
        gridded = rows[rows[x_column].astype(str) != ""]
        numbers = gridded[x_column].astype(str).map(_as_number)
        numeric = bool(len(numbers)) and bool(numbers.notna().all())
        order = list(dict.fromkeys(gridded[x_column].astype(str)))
        groups = (gridded.groupby(others, sort=False) if others
                  else [((), gridded)])
        for number, (key, part) in enumerate(groups):
            key = key if isinstance(key, tuple) else (key,)
            colour = plots._SERIES_COLOURS[number % len(plots._SERIES_COLOURS)]
            texts = part[x_column].astype(str)
            x = (texts.map(_as_number).to_numpy(float) if numeric
                 else np.array([order.index(text) for text in texts], dtype=float))
            sort = np.argsort(x, kind="stable")
            mean = scale * part["mean"].to_numpy(float)[sort]
            low = scale * part["ci_low"].to_numpy(float)[sort]
            high = scale * part["ci_high"].to_numpy(float)[sort]
            text = ", ".join(f"{path.split('.')[-1]}={value}"
                             for path, value in zip(others, key, strict=True)) or metric
            ax.errorbar(x[sort], mean, yerr=[np.maximum(mean - low, 0),
                                             np.maximum(high - mean, 0)],
                        color=colour, marker="o", markersize=4, capsize=3, label=text)
        if not numeric:
            ax.set_xticks(range(len(order)), order)
        ax.set_xlabel(x_column)
    else:
        names = list(dict.fromkeys(rows["variant"]))
        for number, name in enumerate(names):
            part = rows[rows["variant"] == name]
            mean = scale * float(part["mean"].iloc[0])
            low, high = scale * float(part["ci_low"].iloc[0]), scale * float(
                part["ci_high"].iloc[0])
            ax.errorbar([number], [mean], yerr=[[max(mean - low, 0)], [max(high - mean, 0)]],
                        color=plots._SERIES_COLOURS[0], marker="o", capsize=3)
        ax.set_xticks(range(len(names)), names, rotation=30, ha="right")
    name = metric_title(metric, unit, lang)
    ax.set_ylabel(name)
    ax.grid(axis="y", color="#dddddd", linewidth=0.6)
    ax.set_axisbelow(True)
    if scale == 100.0:
        ax.set_ylim(0, 105)
    else:
        ax.yaxis.set_major_formatter(matplotlib.ticker.StrMethodFormatter("{x:,.6g}"))
    if grid and len(grid) > 1 and ax.get_lines():
        ax.legend(loc="best", fontsize="small", frameon=False)
    ax.set_title(title or _TEXT["sweep"][lang].format(metric=name, year=year))
    return plots._set_fonts(ax, lang)
