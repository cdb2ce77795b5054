"""Charts of the smallest sufficient plan (``carefacility optimize``).

:func:`planned_against_needed` draws, by year, the scenario's beds beside the beds each method
says are needed: the simulated smallest sufficient plan with its interval, and the analytic
methods (AFM, SIPP, lagged SIPP, the ratio) as lines, so the bureau sees what each would have
built. It draws on the style and helpers of :mod:`carefacility.report.plots` (fonts, axes,
year axis) and, like every chart of the package, takes data and ``ax=None`` and returns the
Axes.
"""

from __future__ import annotations

import matplotlib.ticker
import numpy as np
import pandas as pd
from matplotlib.axes import Axes

from carefacility.report.labels import Lang, label
from carefacility.report.plots import _axes, _set_fonts, _year_axis

__all__ = ["METHOD_STYLES", "chart_title", "planned_against_needed"]

METHOD_STYLES: dict[str, dict[str, object]] = {
    "afm": {"color": "#7f7f7f", "linestyle": "--"},
    "sipp": {"color": "#3b6ea8", "linestyle": ":"},
    "sipp_lagged": {"color": "#3b6ea8", "linestyle": "-."},
    "sipp_pooled": {"color": "#5b9bd5", "linestyle": ":"},
    "ratio": {"color": "#9c6b30", "linestyle": (0, (5, 1, 1, 1))},
}
"""Line style of each analytic method."""

_NAMES: dict[str, dict[str, str]] = {
    "simulation": {"en": "Smallest sufficient plan (simulated)",
                   "zh": "满足服务水平的最少床位（模拟）"},
    "afm": {"en": "Average flow model (AFM)", "zh": "平均流量模型（AFM）"},
    "sipp": {"en": "SIPP (Erlang C per year)", "zh": "逐年稳态排队（SIPP）"},
    "sipp_lagged": {"en": "SIPP on the lagged load", "zh": "滞后负荷的SIPP"},
    "sipp_pooled": {"en": "SIPP, zones pooled", "zh": "SIPP（各街镇合并）"},
    "ratio": {"en": "Ratio (beds per 1,000 aged 60+)", "zh": "每千名老年人床位数"},
    "planned": {"en": "Scenario's plan", "zh": "规划床位"},
    "title": {"en": "Planned against needed beds", "zh": "规划床位与所需床位"},
    "interval": {"en": "interval of the beds needed", "zh": "所需床位的区间"},
    "not_reached": {"en": "target not reached within the bounds",
                    "zh": "在搜索范围内未达到目标"},
}


def _name(key: str, lang: Lang) -> str:
    return _NAMES[key][lang]


def chart_title(bed_type: str = "all", lang: Lang = "en") -> str:
    """The default title of :func:`planned_against_needed` for a bed type (or ``"all"``)."""
    kind = label(bed_type, lang) if bed_type in ("general", "nursing", "dementia") else (
        label("all_beds", lang))
    return f"{_name('title', lang)}: {kind}"


def planned_against_needed(minimal_plan: pd.DataFrame, *, bed_type: str = "all",
                           zone: str = "all", methods: tuple[str, ...] | None = None,
                           ax: Axes | None = None, lang: Lang = "en",
                           title: str | None = None) -> Axes:
    """The scenario's beds against the beds each method needs, by year.

    Parameters
    ----------
    minimal_plan : pandas.DataFrame
        ``minimal_plan.csv``: ``year, zone, bed_type, beds_planned, beds_needed, ci_low,
        ci_high, method`` (and ``reached``).
    bed_type : str
        ``"all"`` (every type together) or one bed type.
    zone : str
        ``"all"`` or one zone.
    methods : tuple of str, optional
        The analytic methods to draw (default every one in the table).
    ax : matplotlib.axes.Axes, optional
    lang : {"en", "zh"}
    title : str, optional

    Returns
    -------
    matplotlib.axes.Axes

    Notes
    -----
    The simulated plan is drawn as a step (the beds in force from 1 January of each year) with
    markers, its interval of beds needed (``ci_low`` to ``ci_high``, where known) as error
    bars; a year whose target was not reached within the search's bounds is marked with an
    open marker. The scenario's plan is a black step, the analytic methods lines.
    """
    ax = _axes(ax, (8.0, 5.0))
    rows = minimal_plan[(minimal_plan["bed_type"] == bed_type)
                        & (minimal_plan["zone"] == zone)].sort_values("year", kind="stable")
    simulated = rows[rows["method"] == "simulation"]
    if not simulated.empty:
        years = simulated["year"].to_numpy(dtype=float)
        planned = simulated["beds_planned"].to_numpy(dtype=float)
        ax.step(years, planned, where="mid", color="black", linewidth=1.4,
                label=_name("planned", lang))
    present = list(dict.fromkeys(rows["method"]))
    chosen = [m for m in (methods or tuple(METHOD_STYLES)) if m in present
              and m in METHOD_STYLES]
    for method in chosen:
        part = rows[rows["method"] == method]
        ax.plot(part["year"].to_numpy(dtype=float), part["beds_needed"].to_numpy(dtype=float),
                linewidth=1.4, label=_name(method, lang), **METHOD_STYLES[method])
    if not simulated.empty:
        years = simulated["year"].to_numpy(dtype=float)
        needed = simulated["beds_needed"].to_numpy(dtype=float)
        colour = "#c0504d"
        ax.step(years, needed, where="mid", color=colour, linewidth=2.0,
                label=_name("simulation", lang))
        low = simulated["ci_low"].to_numpy(dtype=float)
        high = simulated["ci_high"].to_numpy(dtype=float)
        known = np.isfinite(low) | np.isfinite(high)
        if known.any():
            below = np.where(np.isfinite(low), np.maximum(needed - low, 0.0), 0.0)
            above = np.where(np.isfinite(high), np.maximum(high - needed, 0.0), 0.0)
            ax.errorbar(years[known], needed[known],
                        yerr=np.vstack([below[known], above[known]]), fmt="none",
                        ecolor=colour, elinewidth=1.0, capsize=3,
                        label=_name("interval", lang))
        reached = (simulated["reached"].map(lambda v: v is not False and v != "False"
                                            and v != 0).to_numpy(dtype=bool)
                   if "reached" in simulated.columns else np.ones(len(simulated), dtype=bool))
        ax.plot(years[reached], needed[reached], "o", color=colour, markersize=4)
        if (~reached).any():
            ax.plot(years[~reached], needed[~reached], "o", markerfacecolor="white",
                    markeredgecolor=colour, markersize=6, label=_name("not_reached", lang))
    _year_axis(ax, lang)
    ax.set_ylabel(label("beds", lang))
    ax.yaxis.set_major_formatter(matplotlib.ticker.StrMethodFormatter("{x:,.0f}"))
    ax.set_ylim(0, max(ax.get_ylim()[1] * 1.3, 1.0))
    ax.legend(loc="upper left", fontsize="small", frameon=False, ncols=2)
    ax.set_title(title or chart_title(bed_type, lang))
    return _set_fonts(ax, lang)
