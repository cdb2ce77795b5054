"""Charts. Every matplotlib import of the package lives here.

Each function takes tidy data and an optional ``ax``, draws on it and returns the
:class:`matplotlib.axes.Axes`; none calls ``plt.show()``. Without ``ax`` a new
:class:`~matplotlib.figure.Figure` is made outside pyplot, so nothing changes the caller's
backend or figure list. Labels come in English (``lang="en"``)
or Chinese (``lang="zh"``).
"""

from __future__ import annotations

import contextlib
import functools
import logging
import re
import subprocess
from pathlib import Path
from typing import Literal

import matplotlib
import matplotlib.ticker
import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure

# CJK fonts often ship only a "medium" weight; matplotlib uses it and logs that it had to.
logging.getLogger("matplotlib.font_manager").addFilter(
    lambda record: "Failed to find font weight" not in record.getMessage()
)

__all__ = [
    "BED_TYPES",
    "STATUS_COLOURS",
    "Lang",
    "admitted_within_threshold",
    "bed_demand_supply",
    "cjk_font_family",
    "elderly_trend",
    "label",
    "nursing_share",
    "occupancy_by_type",
    "population_pyramid",
    "save_figure",
    "scorecard_chart",
    "service_utilisation",
    "status_label",
    "waiting_times",
]

Lang = Literal["en", "zh"]

_LABELS: dict[str, dict[str, str]] = {
    "male": {"en": "Male", "zh": "男"},
    "female": {"en": "Female", "zh": "女"},
    "age": {"en": "Age [years]", "zh": "年龄（岁）"},
    "persons": {"en": "Persons", "zh": "人数"},
    "year": {"en": "Year", "zh": "年份"},
    "pyramid": {"en": "Population pyramid", "zh": "人口金字塔"},
    "elderly": {"en": "Elderly population", "zh": "老年人口"},
    "pop_60plus": {"en": "Aged 60+", "zh": "60岁及以上"},
    "pop_80plus": {"en": "Aged 80+", "zh": "80岁及以上"},
    "share_60plus": {"en": "60+ share of total [%]", "zh": "60岁及以上占比（%）"},
    "range": {"en": "range", "zh": "区间"},
    "beds": {"en": "Beds", "zh": "床位（张）"},
    "bed_demand": {"en": "Occupied and planned beds", "zh": "在住床位与规划床位"},
    "general": {"en": "General beds", "zh": "普通床位"},
    "nursing": {"en": "Nursing-type beds", "zh": "护理型床位"},
    "dementia": {"en": "Dementia beds", "zh": "认知障碍床位"},
    "all_beds": {"en": "All beds", "zh": "全部床位"},
    "occupied": {"en": "occupied (mean, 95 % CI)", "zh": "在住（均值，95%置信区间）"},
    "planned": {"en": "planned", "zh": "规划"},
    "offered_load": {"en": "Beds in use if nobody waited (offered load)",
                     "zh": "无人等待时的在用床位（提供负荷）"},
    "wait_days": {"en": "Wait [days]", "zh": "等待时间（天）"},
    "waiting_times": {"en": "Waits of those admitted (mean, 95 % CI)",
                      "zh": "入住者的等待时间（均值，95%置信区间）"},
    "p50": {"en": "Median", "zh": "中位数"},
    "p90": {"en": "90th percentile", "zh": "第90百分位"},
    "p95": {"en": "95th percentile", "zh": "第95百分位"},
    "admitted_within": {"en": "Admitted within {days} days [%]", "zh": "{days}天内入住的比例（%）"},
    "admitted_within_title": {"en": "Share admitted within {days} days (mean, 95 % CI)",
                              "zh": "{days}天内入住的比例（均值，95%置信区间）"},
    "admitted_share": {"en": "Admitted in time [%]", "zh": "及时入住的比例（%）"},
    "occupancy": {"en": "Occupancy [%]", "zh": "入住率（%）"},
    "occupancy_title": {"en": "Occupancy by bed type (mean, 95 % CI)",
                        "zh": "各类床位入住率（均值，95%置信区间）"},
    "nursing_share": {"en": "Nursing-type share of beds [%]", "zh": "护理型床位占比（%）"},
    "nursing_share_title": {"en": "Nursing-type share of beds", "zh": "护理型床位占比"},
    "planned_share": {"en": "Plan", "zh": "规划"},
    "target": {"en": "Target", "zh": "目标"},
    "utilisation": {"en": "Utilisation [%]", "zh": "使用率（%）"},
    "service_utilisation": {"en": "Utilisation by zone (mean)", "zh": "各街镇使用率（均值）"},
    "day_centre": {"en": "Day-care centres", "zh": "日间照料中心"},
    "meal_point": {"en": "Meal points", "zh": "助餐点"},
    "zone": {"en": "Zone", "zh": "街镇"},
    "scorecard": {"en": "Plan targets against the simulation", "zh": "规划目标与模拟结果对照"},
    "target_col": {"en": "Target", "zh": "目标"},
    "met": {"en": "met", "zh": "达标"},
    "at_risk": {"en": "at risk", "zh": "有风险"},
    "missed": {"en": "missed", "zh": "未达标"},
    "no_data": {"en": "no data", "zh": "无数据"},
}

BED_TYPES = ("general", "nursing", "dementia")
"""Bed types in the order the KPIs and charts use."""

STATUS_COLOURS = {"met": "#b7dfb9", "at_risk": "#fde3a7", "missed": "#f4b6b1"}
"""Cell colours of scorecard statuses (the status word is always written too)."""

_BED_COLOURS = {"general": "#3b6ea8", "nursing": "#c0504d", "dementia": "#7d5ba6"}


def label(key: str, lang: Lang = "en") -> str:
    """The chart label ``key`` in ``lang``."""
    return _LABELS[key][lang]


def status_label(status: str, lang: Lang = "en") -> str:
    """The word for a scorecard status (``met``, ``at_risk``, ``missed``) in ``lang``."""
    return _LABELS[status][lang] if status in ("met", "at_risk", "missed") else str(status)


_CJK_FAMILIES = ("Noto Sans CJK SC", "Noto Sans CJK JP", "Source Han Sans SC",
                 "WenQuanYi Zen Hei", "WenQuanYi Micro Hei", "SimHei", "Microsoft YaHei",
                 "PingFang SC")
_CJK = re.compile(r"[\u2e80-\u9fff\uf900-\ufaff\uff00-\uffef]")


@functools.cache
def cjk_font_family() -> str | None:
    """Name of an installed font that has Chinese glyphs, or ``None``.

    Looks in matplotlib's font list first, then asks fontconfig (``fc-list :lang=zh``) for font
    files matplotlib has not indexed yet (e.g. installed after its cache was built).
    """
    from matplotlib import font_manager

    def known() -> str | None:
        names = {font.name for font in font_manager.fontManager.ttflist}
        return next((name for name in _CJK_FAMILIES if name in names), None)

    found = known()
    if found:
        return found
    try:
        listing = subprocess.run(["fc-list", ":lang=zh", "file"], capture_output=True,
                                 text=True, timeout=20, check=False).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    for line in listing.splitlines():
        path = line.split(":")[0].strip()
        if path:
            with contextlib.suppress(Exception):
                font_manager.fontManager.addfont(path)
    return known()


def _set_fonts(ax: Axes, lang: Lang) -> Axes:
    """Give every text of the figure a CJK fallback font when any of it is Chinese.

    Raises
    ------
    RuntimeError
        If Chinese text is drawn and no CJK font is installed (no empty boxes, ever).
    """
    from matplotlib.text import Text

    figure = ax.get_figure()
    texts = [t for t in figure.findobj(Text) if isinstance(t, Text)]
    if lang != "zh" and not any(_CJK.search(t.get_text()) for t in texts):
        return ax
    family = cjk_font_family()
    if family is None:
        raise RuntimeError(
            "no Chinese (CJK) font is installed, so Chinese labels would show as empty boxes; "
            "install one (Debian/Ubuntu: `apt-get install fonts-noto-cjk` or "
            "`fonts-wqy-zenhei`; Windows and macOS have one already) and rerun"
        )
    for text in texts:
        text.set_fontfamily(["DejaVu Sans", family])
    return ax


def _axes(ax: Axes | None, size: tuple[float, float] = (7.0, 5.0)) -> Axes:
    if ax is not None:
        return ax
    figure = Figure(figsize=size, layout="constrained")
    return figure.add_subplot()


def population_pyramid(population: pd.DataFrame, years: tuple[int, ...], *,
                       zone: str | None = None, ax: Axes | None = None,
                       lang: Lang = "en", title: str | None = None) -> Axes:
    """Population by single year of age and sex, bars for the first year, outlines after.

    Parameters
    ----------
    population : pandas.DataFrame
        Tidy projection: columns ``year, zone, age, sex, population`` [persons].
    years : tuple of int
        Years to draw; the first as filled bars, the others as step outlines.
    zone : str, optional
        Draw one zone; by default all zones summed.
    ax : matplotlib.axes.Axes, optional
    lang : {"en", "zh"}
    title : str, optional

    Returns
    -------
    matplotlib.axes.Axes
    """
    ax = _axes(ax, (7.0, 6.0))
    data = population if zone is None else population[population["zone"] == zone]
    table = data.groupby(["year", "sex", "age"], observed=True)["population"].sum()
    colours = {"male": "#3b6ea8", "female": "#c0504d"}
    for index, year in enumerate(years):
        for sex, sign in (("male", -1.0), ("female", 1.0)):
            values = table.loc[(year, sex)].sort_index()
            ages = values.index.to_numpy()
            if index == 0:
                ax.barh(ages, sign * values.to_numpy(), height=1.0, color=colours[sex],
                        alpha=0.55, label=f"{label(sex, lang)} {year}")
            else:
                ax.step(sign * values.to_numpy(), ages, where="mid", color=colours[sex],
                        linewidth=1.2, linestyle="--" if index > 1 else "-",
                        label=f"{label(sex, lang)} {year}")
    limit = max(abs(v) for v in ax.get_xlim())
    ax.set_xlim(-limit, limit)
    ticks = [t for t in ax.get_xticks() if abs(t) <= limit]
    ax.set_xticks(ticks, [f"{abs(t):,.0f}" for t in ticks])
    ax.axvline(0, color="black", linewidth=0.6)
    ax.set_xlabel(label("persons", lang))
    ax.set_ylabel(label("age", lang))
    ax.set_ylim(-0.5, 100.5)
    ax.set_title(title or label("pyramid", lang))
    ax.legend(loc="upper right", fontsize="small", frameon=False)
    return _set_fonts(ax, lang)


def elderly_trend(summary: pd.DataFrame, *, zone: str = "all", ax: Axes | None = None,
                  lang: Lang = "en", title: str | None = None) -> Axes:
    """Persons aged 60+ and 80+ by year, with the 60+ share on a second axis.

    The projection is deterministic; when ``summary`` also has ``pop_60plus_low`` and
    ``pop_60plus_high`` (or the ``pop_80plus`` pair), e.g. from variant projections, the range
    between them is shaded.

    Parameters
    ----------
    summary : pandas.DataFrame
        Columns ``year, zone, pop_60plus, pop_80plus, share_60plus`` [persons, fraction], and
        optionally ``pop_60plus_low, pop_60plus_high, pop_80plus_low, pop_80plus_high``
        [persons].
    zone : str
        Which zone's rows to draw (``"all"`` is the whole area).
    ax : matplotlib.axes.Axes, optional
    lang : {"en", "zh"}
    title : str, optional

    Returns
    -------
    matplotlib.axes.Axes
    """
    ax = _axes(ax)
    rows = summary[summary["zone"] == zone].sort_values("year")
    years = rows["year"].to_numpy()
    for column, colour in (("pop_60plus", "#3b6ea8"), ("pop_80plus", "#c0504d")):
        ax.plot(years, rows[column].to_numpy(), marker="o", markersize=3, color=colour,
                label=label(column, lang))
        if {f"{column}_low", f"{column}_high"} <= set(rows.columns):
            ax.fill_between(years, rows[f"{column}_low"].to_numpy(dtype=float),
                            rows[f"{column}_high"].to_numpy(dtype=float), color=colour,
                            alpha=0.18, linewidth=0,
                            label=f"{label(column, lang)}: {label('range', lang)}")
    ax.set_xlabel(label("year", lang))
    ax.set_ylabel(label("persons", lang))
    ax.set_ylim(bottom=0)
    ax.yaxis.set_major_formatter(matplotlib.ticker.StrMethodFormatter("{x:,.0f}"))
    share = ax.twinx()
    share.plot(years, 100 * rows["share_60plus"].to_numpy(), color="grey", linestyle=":",
               label=label("share_60plus", lang))
    share.set_ylabel(label("share_60plus", lang))
    share.set_ylim(0, max(5.0, float(np.nanmax(100 * rows["share_60plus"])) * 1.2))
    lines = ax.get_legend_handles_labels()
    more = share.get_legend_handles_labels()
    ax.legend(lines[0] + more[0], lines[1] + more[1], loc="upper left", frameon=False,
              fontsize="small")
    ax.set_title(title or label("elderly", lang))
    return _set_fonts(ax, lang)


def save_figure(ax: Axes, stem: Path) -> list[Path]:
    """Save the figure of ``ax`` as ``stem.png`` (150 dpi) and ``stem.svg``; return the paths."""
    figure = ax.get_figure()
    if matplotlib.rcParams["axes.unicode_minus"] and cjk_font_family():
        figure.set_layout_engine("constrained")
    paths = [stem.with_suffix(".png"), stem.with_suffix(".svg")]
    figure.savefig(paths[0], dpi=150)
    figure.savefig(paths[1])
    return paths
