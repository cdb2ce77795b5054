"""Charts. Every matplotlib import of the package lives here.

Each function takes tidy data and an optional ``ax``, draws on it and returns the
:class:`matplotlib.axes.Axes`; none calls ``plt.show()``. Without ``ax`` a new
:class:`~matplotlib.figure.Figure` is made outside pyplot, so nothing changes the caller's
backend or figure list. Labels come in English (``lang="en"``)
or Chinese (``lang="zh"``), from :mod:`carefacility.report.labels`.
"""

from __future__ import annotations

import io
import re
from pathlib import Path

import matplotlib
import matplotlib.ticker
import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from carefacility.report.fonts import CJK as _CJK
from carefacility.report.fonts import MissingCJKFontWarning, cjk_font_family
from carefacility.report.fonts import apply_chart_fonts as _set_fonts
from carefacility.report.kpi_names import is_share_metric
from carefacility.report.labels import (
    BED_TYPES,
    LABELS,
    Lang,
    label,
    status_label,
    threshold_days,
)

__all__ = [
    "BED_TYPES",
    "PNG_DPI",
    "STATUS_COLOURS",
    "Lang",
    "MissingCJKFontWarning",
    "add_source_line",
    "admitted_within_threshold",
    "backtest_chart",
    "bed_demand_supply",
    "cjk_font_family",
    "elderly_trend",
    "figure_images",
    "format_value",
    "is_share_metric",
    "label",
    "nursing_share",
    "occupancy_by_type",
    "population_pyramid",
    "save_figure",
    "scorecard_chart",
    "service_utilisation",
    "status_label",
    "threshold_days",
    "waiting_times",
]

STATUS_COLOURS = {"met": "#b7dfb9", "at_risk": "#fde3a7", "missed": "#f4b6b1"}
"""Cell colours of scorecard statuses (the status word is always written too)."""

_BED_COLOURS = {"general": "#3b6ea8", "nursing": "#c0504d", "dementia": "#7d5ba6"}


# the fonts (a Chinese font ships with the package) are chosen in carefacility.report.fonts;
# every chart function ends with _set_fonts(ax, lang)


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
        [persons]; with a ``basis`` column (``elderly_summary.csv`` of a scenario with two
        population bases) each basis is drawn, the first solid and the other dashed.
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
    rows = summary[summary["zone"] == zone].sort_values("year", kind="stable")
    # one set of lines per population basis (elderly_summary.csv has a `basis` column): the
    # first basis (the demand basis) solid, another dashed
    if "basis" in rows.columns:
        bases = list(dict.fromkeys(rows["basis"].astype(str)))
        groups = [(basis, rows[rows["basis"].astype(str) == basis]) for basis in bases]
    else:
        groups = [("", rows)]
    named = len(groups) > 1
    share = ax.twinx()
    for number, (basis, part) in enumerate(groups):
        years = part["year"].to_numpy()
        style = "-" if number == 0 else "--"
        suffix = f" ({label(basis, lang)})" if named else ""
        for column, colour in (("pop_60plus", "#3b6ea8"), ("pop_80plus", "#c0504d")):
            ax.plot(years, part[column].to_numpy(), marker="o", markersize=3, color=colour,
                    linestyle=style, label=label(column, lang) + suffix)
            if {f"{column}_low", f"{column}_high"} <= set(part.columns):
                ax.fill_between(years, part[f"{column}_low"].to_numpy(dtype=float),
                                part[f"{column}_high"].to_numpy(dtype=float), color=colour,
                                alpha=0.18 if number == 0 else 0.09, linewidth=0,
                                label=f"{label(column, lang)}{suffix}: {label('range', lang)}")
        share.plot(years, 100 * part["share_60plus"].to_numpy(), color="grey",
                   linestyle=":" if number == 0 else "-.",
                   label=label("share_60plus", lang) + suffix)
    ax.set_xlabel(label("year", lang))
    ax.set_ylabel(label("persons", lang))
    ax.set_ylim(bottom=0)
    ax.yaxis.set_major_formatter(matplotlib.ticker.StrMethodFormatter("{x:,.0f}"))
    share.set_ylabel(label("share_60plus", lang))
    share.set_ylim(0, max(5.0, float(np.nanmax(100 * rows["share_60plus"])) * 1.2))
    lines = ax.get_legend_handles_labels()
    more = share.get_legend_handles_labels()
    ax.legend(lines[0] + more[0], lines[1] + more[1], loc="upper left", frameon=False,
              fontsize="small")
    ax.set_title(title or label("elderly", lang))
    return _set_fonts(ax, lang)


def _kpi(kpis: pd.DataFrame, metric: str) -> pd.DataFrame:
    """Rows of one KPI, by year: ``mean, ci_low, ci_high`` (empty when the metric is absent)."""
    rows = kpis[kpis["metric"] == metric]
    frame = rows.set_index("year")[["mean", "ci_low", "ci_high"]].astype(float)
    return frame.sort_index()


def _has_values(frame: pd.DataFrame) -> bool:
    return not frame.empty and bool(frame["mean"].notna().any())


def _line_with_band(ax: Axes, frame: pd.DataFrame, *, colour: str, text: str,
                    scale: float = 1.0, linestyle: str = "-", marker: str = "o") -> None:
    years = frame.index.to_numpy()
    ax.fill_between(years, scale * frame["ci_low"].to_numpy(), scale * frame["ci_high"].to_numpy(),
                    color=colour, alpha=0.2, linewidth=0)
    ax.plot(years, scale * frame["mean"].to_numpy(), color=colour, linestyle=linestyle,
            marker=marker, markersize=3, label=text)


def _year_axis(ax: Axes, lang: Lang) -> None:
    ax.set_xlabel(label("year", lang))
    ax.xaxis.set_major_locator(matplotlib.ticker.MaxNLocator(integer=True))
    ax.grid(axis="y", color="#dddddd", linewidth=0.6)
    ax.set_axisbelow(True)


def _headroom(ax: Axes, factor: float = 1.3, minimum: float = 1.0) -> None:
    """Start the y axis at 0 and leave room above the data for the legend; the top is at least
    ``minimum`` (so an all-zero series still gets readable ticks)."""
    top = ax.get_ylim()[1]
    ax.set_ylim(0, max(top * factor, minimum))


def _year_position(dates: pd.Series) -> np.ndarray:
    """Where a date lies on a chart's year axis, on which year ``y`` is drawn at ``y`` and runs
    from ``y − 0.5`` (1 January) to ``y + 0.5`` (31 December, end of day)."""
    days = pd.to_datetime(dates)
    length = np.where(days.dt.is_leap_year, 366.0, 365.0)
    return days.dt.year.to_numpy() - 0.5 + (days.dt.day_of_year.to_numpy() - 1) / length


def bed_demand_supply(kpis: pd.DataFrame, cross_check: pd.DataFrame | None = None, *,
                      bed_types: tuple[str, ...] = BED_TYPES, ax: Axes | None = None,
                      lang: Lang = "en", title: str | None = None,
                      schedule: pd.DataFrame | None = None) -> Axes:
    """Occupied beds (mean and 95 % CI) against the planned beds, by bed type.

    Each bed type gets its colour: occupied beds (the year's time average, drawn at the
    middle of the year) as a line with a shaded confidence band, the plan's beds as a dashed
    step. With ``schedule`` each step is drawn on its date (a year runs from ``y − 0.5`` on 1
    January to ``y + 0.5`` on 31 December); without it, the beds in force at year end are drawn
    as a step at each year's end. With ``cross_check`` the pooled offered load (beds that would
    be in use if nobody waited) and all planned beds are drawn in black: where the load passes
    the beds, the plan cannot keep up even as one pool. Bed types with neither beds nor
    residents are left out.

    Parameters
    ----------
    kpis : pandas.DataFrame
        Long KPI table (``year, metric, mean, ci_low, ci_high``) with ``occupied_beds.<type>``
        [beds] and ``beds``, ``beds.nursing``, ``beds.dementia`` [beds].
    cross_check : pandas.DataFrame, optional
        The run's ``analytic_cross_check`` table (``year, beds, offered_load_beds``).
    bed_types : tuple of str
        Bed types to draw.
    schedule : pandas.DataFrame, optional
        The run's ``capacity_schedule`` (``date, bed_type, beds``: beds in force from each
        date, :func:`carefacility.runner.prepare.capacity_schedule`).
    ax : matplotlib.axes.Axes, optional
    lang : {"en", "zh"}
    title : str, optional

    Returns
    -------
    matplotlib.axes.Axes
    """
    ax = _axes(ax, (8.0, 5.0))
    years = sorted(kpis["year"].unique()) if not kpis.empty else []
    end = (years[-1] + 0.5) if years else None
    steps = _dated_steps(schedule, end) if schedule is not None and not schedule.empty \
        else None
    total = _kpi(kpis, "beds")
    planned = {"nursing": _kpi(kpis, "beds.nursing"), "dementia": _kpi(kpis, "beds.dementia")}
    if not total.empty:  # general beds are the beds that are neither nursing nor dementia
        general = total["mean"].copy()
        for typed in ("nursing", "dementia"):
            general -= planned[typed]["mean"].reindex(total.index).fillna(0.0)
        planned["general"] = general.to_frame("mean")
    for bed_type in bed_types:
        occupied = _kpi(kpis, f"occupied_beds.{bed_type}")
        beds = planned.get(bed_type, pd.DataFrame(columns=["mean"]))
        if not ((_has_values(occupied) and occupied["mean"].abs().sum() > 0)
                or (not beds.empty and beds["mean"].abs().sum() > 0)):
            continue
        colour = _BED_COLOURS.get(bed_type, "grey")
        name = label(bed_type, lang) if bed_type in LABELS else bed_type
        if _has_values(occupied):
            _line_with_band(ax, occupied, colour=colour,
                            text=f"{name}: {label('occupied', lang)}")
        text = f"{name}: {label('planned', lang)}"
        if steps is not None and bed_type in steps:
            x, y = steps[bed_type]
            ax.step(x, y, where="post", color=colour, linestyle="--", linewidth=1.3, label=text)
        elif not beds.empty:  # year-end beds, from the end of the year before
            ax.step(np.r_[beds.index[0] - 0.5, beds.index.to_numpy() + 0.5],
                    np.r_[beds["mean"].to_numpy()[:1], beds["mean"].to_numpy()], where="pre",
                    color=colour, linestyle="--", linewidth=1.3, label=text)
    if cross_check is not None and not cross_check.empty:
        check = cross_check.sort_values("year")
        text = f"{label('all_beds', lang)}: {label('planned', lang)}"
        if steps is not None and "all" in steps:
            x, y = steps["all"]
            ax.step(x, y, where="post", color="black", linestyle="--", linewidth=1.3,
                    label=text)
        else:
            beds_all = check["beds"].to_numpy(dtype=float)
            ax.step(np.r_[check["year"].to_numpy()[:1] - 0.5, check["year"].to_numpy() + 0.5],
                    np.r_[beds_all[:1], beds_all], where="pre", color="black",
                    linestyle="--", linewidth=1.3, label=text)
        ax.plot(check["year"].to_numpy(), check["offered_load_beds"].to_numpy(dtype=float),
                color="black", linewidth=1.6, label=label("offered_load", lang))
    _year_axis(ax, lang)
    ax.set_ylabel(label("beds", lang))
    ax.yaxis.set_major_formatter(matplotlib.ticker.StrMethodFormatter("{x:,.0f}"))
    _headroom(ax, 1.45)
    ax.legend(loc="upper left", fontsize="small", frameon=False, ncols=2)
    ax.set_title(title or label("bed_demand", lang))
    return _set_fonts(ax, lang)


def _dated_steps(schedule: pd.DataFrame, end: float | None
                 ) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """The beds in force by type (and ``all``) as step points on the year axis: each date's
    beds from its position on, held to ``end``."""
    out = {}
    table = schedule.assign(x=_year_position(schedule["date"]))
    wide = table.pivot_table(index="x", columns="bed_type", values="beds", aggfunc="last")
    wide = wide.sort_index().ffill().fillna(0.0)
    wide["all"] = wide.sum(axis=1)
    for column in wide.columns:
        x = wide.index.to_numpy(dtype=float)
        y = wide[column].to_numpy(dtype=float)
        if end is not None and x[-1] < end:
            x, y = np.r_[x, end], np.r_[y, y[-1]]
        out[str(column)] = (x, y)
    return out


def waiting_times(kpis: pd.DataFrame, *, quantiles: tuple[str, ...] = ("p50", "p90", "p95"),
                  ax: Axes | None = None, lang: Lang = "en", title: str | None = None) -> Axes:
    """Waits of the applicants admitted in each year: quantiles with their 95 % CIs.

    Parameters
    ----------
    kpis : pandas.DataFrame
        Long KPI table with ``wait_p50_days``, ``wait_p90_days``, ``wait_p95_days`` [days].
        Years without admissions (undefined quantiles) are gaps.
    quantiles : tuple of str
        Which of ``p50``, ``p90``, ``p95`` to draw.
    ax : matplotlib.axes.Axes, optional
    lang : {"en", "zh"}
    title : str, optional

    Returns
    -------
    matplotlib.axes.Axes
    """
    ax = _axes(ax)
    colours = {"p50": "#3b6ea8", "p90": "#e08a2c", "p95": "#c0504d"}
    for quantile in quantiles:
        frame = _kpi(kpis, f"wait_{quantile}_days")
        if _has_values(frame):
            _line_with_band(ax, frame, colour=colours.get(quantile, "grey"),
                            text=label(quantile, lang))
    _year_axis(ax, lang)
    ax.set_ylabel(label("wait_days", lang))
    ax.yaxis.set_major_formatter(matplotlib.ticker.StrMethodFormatter("{x:,.0f}"))
    _headroom(ax, 1.15, minimum=10.0)
    if ax.get_lines():
        ax.legend(loc="upper left", fontsize="small", frameon=False)
    ax.set_title(title or label("waiting_times", lang))
    return _set_fonts(ax, lang)


def admitted_within_threshold(kpis: pd.DataFrame, *, days: float | None = None,
                              target: float | None = None, ax: Axes | None = None,
                              lang: Lang = "en", title: str | None = None) -> Axes:
    """Share of each year's applicants admitted within T days, with its 95 % CI (those who
    died, withdrew or were turned away count as not admitted in time).

    Parameters
    ----------
    kpis : pandas.DataFrame
        Long KPI table with ``share_served_within_threshold`` [fraction].
    days : float, optional
        T [days]; by default read from the KPI's unit.
    target : float, optional
        A service-level target [fraction] drawn as a horizontal line.
    ax : matplotlib.axes.Axes, optional
    lang : {"en", "zh"}
    title : str, optional

    Returns
    -------
    matplotlib.axes.Axes
    """
    ax = _axes(ax)
    days = days if days is not None else threshold_days(kpis)
    frame = _kpi(kpis, "share_served_within_threshold")
    if _has_values(frame):
        _line_with_band(ax, frame, colour="#3b6ea8", text=label("simulated", lang),
                        scale=100.0)
    if target is not None:
        ax.axhline(100 * target, color="black", linestyle=":", linewidth=1.2,
                   label=f"{label('target', lang)} {100 * target:.0f} %")
    _year_axis(ax, lang)
    if days is None:
        ax.set_ylabel(label("admitted_share", lang))
        heading = label("admitted_share", lang)
    else:
        ax.set_ylabel(label("admitted_within", lang).format(days=f"{days:g}"))
        heading = label("admitted_within_title", lang).format(days=f"{days:g}")
    ax.set_ylim(0, 105)
    if ax.get_lines():
        ax.legend(loc="lower left", fontsize="small", frameon=False)
    ax.set_title(title or heading)
    return _set_fonts(ax, lang)


def occupancy_by_type(kpis: pd.DataFrame, *, bed_types: tuple[str, ...] = BED_TYPES,
                      ax: Axes | None = None, lang: Lang = "en",
                      title: str | None = None) -> Axes:
    """Occupancy of each bed type (time-average occupied / beds in force), with 95 % CIs.

    Parameters
    ----------
    kpis : pandas.DataFrame
        Long KPI table with ``occupancy.<type>`` [fraction]; types without beds (all NaN)
        are left out.
    bed_types : tuple of str
    ax : matplotlib.axes.Axes, optional
    lang : {"en", "zh"}
    title : str, optional

    Returns
    -------
    matplotlib.axes.Axes
    """
    ax = _axes(ax)
    for bed_type in bed_types:
        frame = _kpi(kpis, f"occupancy.{bed_type}")
        if _has_values(frame):
            _line_with_band(ax, frame, colour=_BED_COLOURS.get(bed_type, "grey"),
                            text=label(bed_type, lang) if bed_type in LABELS else bed_type,
                            scale=100.0)
    ax.axhline(100, color="#888888", linewidth=0.8)
    _year_axis(ax, lang)
    ax.set_ylabel(label("occupancy", lang))
    ax.set_ylim(0, 118)
    ax.set_yticks(range(0, 101, 20))
    if ax.get_lines():
        ax.legend(loc="upper left", fontsize="small", frameon=False, ncols=3)
    ax.set_title(title or label("occupancy_title", lang))
    return _set_fonts(ax, lang)


def nursing_share(kpis: pd.DataFrame, *, target: float | None = None, comparison: str = ">=",
                  ax: Axes | None = None, lang: Lang = "en", title: str | None = None) -> Axes:
    """The plan's nursing-type share of beds by year against a target line.

    Parameters
    ----------
    kpis : pandas.DataFrame
        Long KPI table with ``nursing_share`` [fraction of beds].
    target : float, optional
        Target share [fraction], e.g. 0.55 for "nursing-type beds ≥ 55 %".
    comparison : {">=", "<="}
        How the target reads (shown in the legend).
    ax : matplotlib.axes.Axes, optional
    lang : {"en", "zh"}
    title : str, optional

    Returns
    -------
    matplotlib.axes.Axes
    """
    ax = _axes(ax)
    frame = _kpi(kpis, "nursing_share")
    if _has_values(frame):
        _line_with_band(ax, frame, colour=_BED_COLOURS["nursing"],
                        text=label("planned_share", lang), scale=100.0)
    if target is not None:
        sign = {">=": "≥", "<=": "≤"}.get(comparison, comparison)
        ax.axhline(100 * target, color="black", linestyle=":", linewidth=1.4,
                   label=f"{label('target', lang)} {sign} {100 * target:g} %")
    _year_axis(ax, lang)
    ax.set_ylabel(label("nursing_share", lang))
    ax.set_ylim(0, 105)
    if ax.get_lines():
        ax.legend(loc="upper left", fontsize="small", frameon=False)
    ax.set_title(title or label("nursing_share_title", lang))
    return _set_fonts(ax, lang)


def service_utilisation(utilisation: pd.DataFrame, *, service: str | None = None,
                        year: int | None = None, ax: Axes | None = None, lang: Lang = "en",
                        title: str | None = None) -> Axes:
    """Day-care and meal-point utilisation as a heatmap: zones (rows) by year (columns).

    Each cell is coloured by the mean utilisation and carries it as a number, so the chart can
    be read without colour; the 95 % CIs are in the report's tables.

    Parameters
    ----------
    utilisation : pandas.DataFrame
        Tidy: ``year, zone, service, mean, ci_low, ci_high`` with ``mean`` [fraction of
        capacity] and ``service`` e.g. ``day_centre`` or ``meal_point``.
    service : str, optional
        Draw one service; by default every service, rows labelled ``service · zone``.
    year : int, optional
        Draw one year only (one column).
    ax : matplotlib.axes.Axes, optional
    lang : {"en", "zh"}
    title : str, optional

    Returns
    -------
    matplotlib.axes.Axes
    """
    data = utilisation if service is None else utilisation[utilisation["service"] == service]
    if year is not None:
        data = data[data["year"] == year]
    several = data["service"].nunique() > 1

    def row_name(row_service: str, zone: str) -> str:
        service_name = label(row_service, lang) if row_service in LABELS else row_service
        return f"{service_name} · {zone}" if several else str(zone)

    table = data.assign(row=[row_name(s, z) for s, z in zip(data["service"], data["zone"],
                                                            strict=True)])
    order = list(dict.fromkeys(table.sort_values(["service", "zone"])["row"]))
    grid = table.pivot_table(index="row", columns="year", values="mean", aggfunc="mean")
    grid = grid.reindex(order)
    years = [int(y) for y in grid.columns]
    height = max(2.5, 0.38 * len(order) + 1.8)
    ax = _axes(ax, (max(6.0, 0.5 * len(years) + 3.5), height))
    values = 100 * grid.to_numpy(dtype=float)
    image = ax.imshow(np.ma.masked_invalid(values), cmap="YlOrRd", vmin=0,
                      vmax=max(100.0, float(np.nanmax(values)) if np.isfinite(values).any()
                               else 100.0), aspect="auto")
    ax.set_xticks(range(len(years)), [str(y) for y in years])
    ax.set_yticks(range(len(order)), order)
    if len(years) > 20:
        ax.tick_params(axis="x", labelrotation=90)
    small = 8 if len(years) > 8 else 9
    for (i, j), value in np.ndenumerate(values):
        text = "–" if not np.isfinite(value) else f"{value:.0f}"
        colour = "white" if np.isfinite(value) and value > 70 else "black"
        ax.text(j, i, text, ha="center", va="center", fontsize=small, color=colour)
    bar = ax.get_figure().colorbar(image, ax=ax, shrink=0.9)
    bar.set_label(label("utilisation", lang))
    ax.set_xlabel(label("year", lang))
    ax.set_ylabel(label("zone", lang))
    heading = label("service_utilisation", lang)
    if service is not None and service in LABELS:
        heading = f"{label(service, lang)}: {heading}"
    ax.set_title(title or heading)
    return _set_fonts(ax, lang)


def _wrap(text: str, width: int) -> str:
    """Wrap ``text`` at ``width`` characters (Chinese characters count double); runs of Latin
    letters and digits are not split."""
    lines, line, size = [], "", 0
    for token in re.findall(r"\s+|[^\s\u2e80-\u9fff\uf900-\ufaff\uff00-\uffef]+|.", text):
        step = sum(2 if _CJK.match(char) else 1 for char in token)
        if size + step > width and line.strip():
            lines.append(line.rstrip())
            line, size = "", 0
            if token.isspace():
                continue
        line += token
        size += step
    return "\n".join([*lines, line.rstrip()]) or text


def format_value(value: float, metric: str) -> str:
    """A KPI value as planners read it: shares as percentages, counts with thousands commas."""
    value = float(value)
    if not np.isfinite(value):
        return "–"
    if is_share_metric(metric):
        return f"{round(100 * value, 1) + 0.0:.1f} %"
    if abs(value) >= 100:
        return f"{value:,.0f}"
    return f"{value:,.1f}"


def scorecard_chart(scorecard: pd.DataFrame, *, ax: Axes | None = None, lang: Lang = "en",
                    title: str | None = None) -> Axes:
    """The target scorecard as a coloured table: one row per target, one column per year.

    Each cell names the status (met / at risk / missed / no data) in words and gives the
    simulated mean (and its 95 % CI when the cells are wide enough), so the chart reads without
    colour. Years a target does not cover are left blank.

    Parameters
    ----------
    scorecard : pandas.DataFrame
        Columns ``target, label, year, metric, status, simulated_mean`` (the scorecard of
        :mod:`carefacility.targets.scorecard`).
    ax : matplotlib.axes.Axes, optional
    lang : {"en", "zh"}
    title : str, optional

    Returns
    -------
    matplotlib.axes.Axes
    """
    from matplotlib.patches import Rectangle

    targets = list(dict.fromkeys(scorecard["target"]))
    years = sorted({int(y) for y in scorecard["year"]})
    names = {}
    for target in targets:
        first = scorecard[scorecard["target"] == target].iloc[0]
        text = str(first["label"]) if "label" in scorecard and pd.notna(first["label"]) else str(
            target)
        names[target] = _wrap(text, 30)
    lines = max([name.count("\n") + 1 for name in names.values()] or [1])
    widest = max([len(line) + sum(bool(_CJK.match(c)) for c in line)
                  for name in names.values() for line in name.split("\n")] or [10])
    label_width = 0.3 + 0.075 * widest  # [in] at 9 pt
    # cells as wide as the interval needs; with many years narrower, to fit a page (11.5 in)
    cell = 1.05 if len(years) <= 8 else max(0.55, min(1.05, (11.5 - label_width) / len(years)))
    with_ci = cell >= 1.0
    row_height = max(0.75 if with_ci else 0.6, 0.22 * lines + 0.2)
    ax = _axes(ax, (label_width + cell * len(years) + 0.3,
                    max(2.0, row_height * len(targets) + 1.2)))
    for i, target in enumerate(targets):
        rows = scorecard[scorecard["target"] == target]
        for _, row in rows.iterrows():
            j = years.index(int(row["year"]))
            status = str(row["status"]).replace(" ", "_")
            ax.add_patch(Rectangle((j - 0.5, i - 0.5), 1, 1,
                                   facecolor=STATUS_COLOURS.get(status, "#e6e6e6"),
                                   edgecolor="white", linewidth=2))
            metric = str(row["metric"])
            text = f"{status_label(status, lang)}\n{format_value(row['simulated_mean'], metric)}"
            low, high = row.get("ci_low", np.nan), row.get("ci_high", np.nan)
            if pd.notna(low) and pd.notna(high) and high > low and with_ci:
                text += f"\n[{format_value(low, metric)}, {format_value(high, metric)}]"
            ax.text(j, i, text, ha="center", va="center", fontsize=9 if with_ci else 8,
                    linespacing=1.3)
    ax.set_xlim(-0.5, len(years) - 0.5)
    ax.set_ylim(len(targets) - 0.5, -0.5)
    ax.set_xticks(range(len(years)), [str(y) for y in years])
    ax.xaxis.tick_top()
    ax.set_yticks(range(len(targets)), [names[t] for t in targets], fontsize=9)
    ax.tick_params(length=0, labelsize=9)
    for spine in ax.spines.values():
        spine.set_visible(False)
    ax.set_title(title or label("scorecard", lang), pad=24)
    return _set_fonts(ax, lang)


_SERIES_COLOURS = ("#3b6ea8", "#c0504d", "#7d5ba6", "#e08a2c", "#4a9a6a", "#8c6d31",
                   "#d16ba5", "#555555")


def _series_name(metric: str, basis: str, lang: Lang) -> str:
    name = label(metric, lang) if metric in LABELS else metric
    if basis not in ("registered", "resident"):
        return name
    return f"{name}（{label(basis, lang)}）" if lang == "zh" else f"{name} ({label(basis, lang)})"


def backtest_chart(backtest: pd.DataFrame, *, axes: tuple[Axes, Axes] | None = None,
                   lang: Lang = "en", title: str | None = None) -> Axes:
    """Observed figures of the place against the projection, and the relative errors.

    Two panels sharing the year axis. Above: each series (metric and population basis) as its
    observed figures (points: filled for back-test years, never used to fit the model; hollow
    for calibration years, up to the base year) and the projected figures of the same years
    joined by a line; the value axis is logarithmic when the figures span more than a factor
    of ten, so that totals, the very old and deaths read on one chart. Below: the relative
    error of each observation, (projected − observed) / observed [%].

    Parameters
    ----------
    backtest : pandas.DataFrame
        The back-test table (:func:`carefacility.targets.backtest.backtest`): ``year, basis,
        metric, observed, projected, relative_error, use`` [persons or beds, fraction].
        Rows without a projected figure show only their observed point.
    axes : tuple of two matplotlib.axes.Axes, optional
        The upper and lower panel; by default a new figure with both.
    lang : {"en", "zh"}
    title : str, optional

    Returns
    -------
    matplotlib.axes.Axes
        The upper panel (the lower is the second Axes of its figure).
    """
    from matplotlib.lines import Line2D

    if axes is None:
        figure = Figure(figsize=(9.0, 7.0), layout="constrained")
        top, bottom = figure.subplots(2, 1, sharex=True, height_ratios=(3, 2))
    else:
        top, bottom = axes
    data = backtest.assign(basis=backtest["basis"].fillna("").astype(str))
    series = list(dict.fromkeys(zip(data["metric"], data["basis"], strict=True)))
    width = 0.5 / max(len(series), 1)
    for index, (metric, basis) in enumerate(series):
        colour = _SERIES_COLOURS[index % len(_SERIES_COLOURS)]
        rows = data[(data["metric"] == metric) & (data["basis"] == basis)].sort_values("year")
        years = rows["year"].to_numpy(dtype=float)
        projected = rows["projected"].to_numpy(dtype=float)
        shown = np.isfinite(projected)
        top.plot(years[shown], projected[shown], color=colour, linewidth=1.4, marker="x",
                 markersize=5, label=_series_name(metric, basis, lang))
        calibration = (rows["use"] == "calibration").to_numpy()
        for mask, face in ((~calibration, colour), (calibration, "white")):
            top.scatter(years[mask], rows["observed"].to_numpy(dtype=float)[mask], s=36,
                        facecolors=face, edgecolors=colour, linewidths=1.4, zorder=3)
            errors = 100 * rows["relative_error"].to_numpy(dtype=float)
            keep = mask & np.isfinite(errors)
            offset = (index - (len(series) - 1) / 2) * width
            bottom.scatter(years[keep] + offset, errors[keep], s=36, facecolors=face,
                           edgecolors=colour, linewidths=1.4, zorder=3)
    values = np.concatenate([data["observed"].to_numpy(dtype=float),
                             data["projected"].to_numpy(dtype=float)])
    values = values[np.isfinite(values) & (values > 0)]
    if values.size and values.max() > 10 * values.min():
        top.set_yscale("log")
        top.yaxis.set_minor_formatter(matplotlib.ticker.NullFormatter())
    top.yaxis.set_major_formatter(matplotlib.ticker.StrMethodFormatter("{x:,.0f}"))
    top.set_ylabel(label("persons_or_beds", lang))
    top.grid(axis="y", color="#dddddd", linewidth=0.6)
    top.set_axisbelow(True)
    handles, names = top.get_legend_handles_labels()
    handles += [Line2D([], [], color="grey", marker="o", linestyle="", markersize=6),
                Line2D([], [], color="grey", marker="o", linestyle="", markersize=6,
                       markerfacecolor="white"),
                Line2D([], [], color="grey", marker="x", linestyle="-", markersize=5)]
    names += [label("observed_backtest", lang), label("observed_calibration", lang),
              label("projected", lang)]
    top.legend(handles, names, loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False,
               fontsize="small")
    top.set_title(title or label("backtest", lang))
    bottom.axhline(0, color="black", linewidth=0.8)
    errors = np.abs(100 * data["relative_error"].to_numpy(dtype=float))
    errors = errors[np.isfinite(errors)]
    limit = max(1.0, 1.15 * float(errors.max())) if errors.size else 1.0
    bottom.set_ylim(-limit, limit)
    bottom.set_ylabel(label("relative_error", lang))
    bottom.yaxis.set_major_formatter(matplotlib.ticker.StrMethodFormatter("{x:+.0f} %"))
    _year_axis(bottom, lang)
    return _set_fonts(top, lang)


PNG_DPI = 150
"""Resolution of the PNG charts [dots per inch]."""


def add_source_line(ax: Axes, text: str, lang: Lang = "en") -> Axes:
    """Write ``text`` (where the figures come from) in small grey type at the foot of the
    figure of ``ax``, in the chart's fonts; the figure grows by the line's height, and the
    constrained layout keeps room for it (it is the figure's ``supxlabel``)."""
    figure = ax.get_figure()
    width, height = figure.get_size_inches()
    figure.set_size_inches(width, height + 0.2)  # [in] one line of 7 pt type
    figure.supxlabel(_wrap(text, 150), x=0.01, ha="left", fontsize=7, color="#5b6673")
    return _set_fonts(ax, lang)


def figure_images(ax: Axes, *, svg: bool = False) -> tuple[bytes, bytes | None]:
    """The figure of ``ax`` as a PNG image (:data:`PNG_DPI`) and, with ``svg``, an SVG document.

    The PNG depends only on the figure (matplotlib writes no date into it): the same chart drawn
    twice, in this process or another, gives the same bytes. The SVG holds the time it was made.

    Parameters
    ----------
    ax : matplotlib.axes.Axes
        Any axes of the figure.
    svg : bool
        Also make the SVG (about as long again as the PNG).

    Returns
    -------
    png : bytes
    svg : bytes or None
        ``None`` unless ``svg``.
    """
    figure = ax.get_figure()
    if matplotlib.rcParams["axes.unicode_minus"] and cjk_font_family():
        figure.set_layout_engine("constrained")
    png = io.BytesIO()
    figure.savefig(png, dpi=PNG_DPI, format="png")
    if not svg:
        return png.getvalue(), None
    vector = io.BytesIO()
    figure.savefig(vector, format="svg")
    return png.getvalue(), vector.getvalue()


def save_figure(ax: Axes, stem: Path, *, svg: bool = False) -> list[Path]:
    """Save the figure of ``ax`` as ``stem.png`` (:data:`PNG_DPI`) and, with ``svg``, as
    ``stem.svg`` (:func:`figure_images`).

    Returns
    -------
    list of pathlib.Path
        The files written, the PNG first.
    """
    png, vector = figure_images(ax, svg=svg)
    paths = [stem.with_suffix(".png")]
    paths[0].write_bytes(png)
    if vector is not None:
        paths.append(stem.with_suffix(".svg"))
        paths[1].write_bytes(vector)
    return paths
