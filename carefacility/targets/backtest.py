"""The ``observed:`` section and the back-test: how the projection (and the plan) reproduce
what was published about the place.

A scenario may list observed figures, each with its year, the population it counts, the
metric, the value and where it was published::

    observed:
      - {year: 2021, basis: resident, metric: deaths, value: 139000,
         source: "2021年上海市国民经济和社会发展统计公报"}

:func:`backtest` puts each one beside the projected figure of the same year and population:
the error (projected − observed) and the relative error (error / observed).

What is compared, and when
--------------------------
* Stocks (``total``, ``pop_60plus``, ``pop_65plus``, ``pop_70plus``, ``pop_80plus``
  [persons]) are compared on the projection's report date of their year (31 December with
  ``report_date: year_end``, 1 July with ``mid_year``): an observed stock is read as a count on
  that date. Registered (户籍) counts are year-end counts; a census count (1 November) is
  compared on 31 December of the census year, two months later.
* ``deaths`` [persons] are the deaths of the calendar year. The projection steps one year at a
  time from its base date (e.g. census day, 1 November), so the deaths of calendar year ``Y`` are
  the sum over steps of each step's deaths times the share of the step that falls in ``Y``
  (deaths spread evenly within a step): for a 1 November base, 10/12 of the step that starts on
  1 November ``Y − 1`` and 2/12 of the step that starts on 1 November ``Y``. Only years the
  steps cover whole can be compared.
* ``beds`` [beds] are the plan's beds in force on 31 December (the ``beds`` KPI of a run);
  ``residents_year_end`` [persons] the simulated care-home residents on 31 December (mean over
  replications), known only after a run (``carefacility run``; ``carefacility backtest`` leaves
  it blank). Both need the ``plan`` and ``simulation`` sections and a simulated year; their
  ``basis`` is not used.

Calibration and back-test
-------------------------
An observation of a year up to the base year of its population (``population.base_date``'s
year) is classed ``calibration``: the inputs may have been fitted to it (a census count the
base population is). Later years are ``backtest``: never used to set an input, so their error
is an honest test of the projection. A row may say ``use: calibration`` when an input was taken
from it although it is later (e.g. the plan's starting beds); it can never be promoted to
``backtest``.

Each observation is compared with the projection of its basis: ``PopulationProjection.basis``,
or one of its ``other_bases`` (a scenario with ``registered_population:`` beside
``population:``); a table with a ``basis`` column (rows per basis) contributes the rows of the
observation's basis.
"""

from __future__ import annotations

import datetime as dt
import difflib
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import pandas as pd
from pydantic import Field

from carefacility.base.section import Section
from carefacility.beds.plan import PlanArrays
from carefacility.population.inputs import base_time
from carefacility.population.projection import PopulationProjection, anniversary, report_times

__all__ = [
    "BACKTEST_COLUMNS",
    "OBSERVED_METRICS",
    "ComparableYears",
    "ObservationSpec",
    "backtest",
    "calendar_year_total",
    "comparable_years",
    "observation_bases",
    "observation_problems",
    "observation_use",
]

OBSERVED_METRICS: dict[str, tuple[str, str]] = {
    # metric: (what it is compared with, what it is)
    "total": ("population", "persons of all ages on the report date [persons]"),
    "pop_60plus": ("population", "persons aged 60+ on the report date [persons]"),
    "pop_65plus": ("population", "persons aged 65+ on the report date [persons]"),
    "pop_70plus": ("population", "persons aged 70+ on the report date [persons]"),
    "pop_80plus": ("population", "persons aged 80+ on the report date [persons]"),
    "deaths": ("deaths", "deaths in the calendar year [persons]"),
    "beds": ("plan", "care beds in force on 31 December [beds]"),
    "residents_year_end": ("simulation", "care-home residents on 31 December, simulated "
                                         "[persons]"),
}
"""The metrics an observation may give, with the kind of figure each is compared with."""

_FROM_AGE = {"total": 0, "pop_60plus": 60, "pop_65plus": 65, "pop_70plus": 70,
             "pop_80plus": 80}
"""First age of each stock, to count it from the single-year population when the elderly
summary has no such column."""

BACKTEST_COLUMNS = ["year", "basis", "metric", "observed", "projected", "error",
                    "relative_error", "use", "source"]
"""Columns of the back-test table (``backtest.csv``)."""

Use = Literal["calibration", "backtest"]


class ObservationSpec(Section):
    """One published figure of the place, e.g. "registered persons aged 60+ at the end of 2022:
    553.66万"."""

    year: int = Field(description="Year of the figure: the stock on the report date of that "
                      "year (31 December with report_date: year_end), or the flow of the "
                      "calendar year (deaths).")
    basis: Literal["registered", "resident"] | None = Field(
        None, description="Which population the figure counts: registered (户籍) or resident "
        "(常住). Required for population figures; the scenario must project that basis.")
    metric: str = Field(description="What the figure is: " + ", ".join(OBSERVED_METRICS) + ".")
    value: float = Field(gt=0, description="The published figure [persons or beds] (万 "
                         "converted: 553.66万 = 5536600).")
    source: str = Field(min_length=1, description="Where it was published: title, issuing "
                        "body, date, and the address of the page read.")
    use: Literal["calibration"] | None = Field(
        None, description="`calibration` when a scenario input was taken from this figure "
        "although it is later than the base year; by default the base year decides.")


@dataclass(frozen=True)
class ComparableYears:
    """The years in which one population basis can be compared.

    Attributes
    ----------
    base_year : int
        Year of the population's base date: observations up to it are ``calibration``.
    population : tuple of int
        First and last year with a report date in the projection (stocks).
    deaths : tuple of int or None
        First and last calendar year the projection's steps cover whole (``None``: none).
    """

    base_year: int
    population: tuple[int, int]
    deaths: tuple[int, int] | None


def comparable_years(base_date: dt.date, horizon_year: int, report_date: str
                     ) -> ComparableYears:
    """The years a projection from ``base_date`` to ``horizon_year`` can be compared in.

    The steps are those of :func:`carefacility.population.projection.project_population`:
    whole years from the base date until the last report date is reached.
    """
    years, times = report_times(base_date, horizon_year, report_date)
    if years.size == 0:
        return ComparableYears(base_date.year, (base_date.year, base_date.year - 1), None)
    start = base_time(base_date)
    steps = max(1, math.ceil(times[-1] - start - 1e-9))
    end = base_time(anniversary(base_date, steps))
    first, last = math.ceil(start - 1e-9), math.floor(end + 1e-9) - 1
    return ComparableYears(base_date.year, (int(years[0]), int(years[-1])),
                           (first, last) if first <= last else None)


def observation_bases(population: Any, registered: Any = None) -> dict[str, ComparableYears]:
    """The population bases a scenario projects, with the years each can be compared in.

    Parameters
    ----------
    population : PopulationSpec
        The scenario's ``population`` section (``basis``, ``base_date``, ``horizon_year``,
        ``report_date``).
    registered : object, optional
        The scenario's ``registered_population`` section, when it carries a registered basis
        beside a resident one; its ``base_date``, ``horizon_year`` and ``report_date`` are used
        when it has them, the main population's otherwise.

    Returns
    -------
    dict of str to ComparableYears
    """
    bases = {population.basis: comparable_years(population.base_date, population.horizon_year,
                                                population.report_date)}
    if registered is not None and "registered" not in bases:
        bases["registered"] = comparable_years(
            getattr(registered, "base_date", None) or population.base_date,
            getattr(registered, "horizon_year", None) or population.horizon_year,
            getattr(registered, "report_date", None) or population.report_date)
    return bases


_BASIS_NAMES = {"registered": "registered (户籍)", "resident": "resident (常住)"}


def observation_problems(observed: Sequence[ObservationSpec],
                         bases: Mapping[str, ComparableYears],
                         simulated: tuple[int, int] | None = None
                         ) -> list[tuple[tuple[str | int, ...], str]]:
    """Problems pydantic cannot see: unknown metrics, a basis the scenario does not project,
    years outside the projection (or the simulation), figures given twice.

    Parameters
    ----------
    observed : sequence of ObservationSpec
    bases : mapping of str to ComparableYears
        The bases the scenario projects (:func:`observation_bases`).
    simulated : tuple of int, optional
        First and last simulated year; ``None`` without ``plan`` and ``simulation`` sections.

    Returns
    -------
    list of (path inside ``observed``, message)
    """
    problems: list[tuple[tuple[str | int, ...], str]] = []
    seen: dict[tuple[int, str | None, str], int] = {}
    projected = ", ".join(_BASIS_NAMES[basis] for basis in bases) or "none"
    for index, row in enumerate(observed):
        kind = OBSERVED_METRICS.get(row.metric, ("", ""))[0]
        if not kind:
            close = difflib.get_close_matches(row.metric, list(OBSERVED_METRICS), n=1)
            hint = f' (did you mean "{close[0]}"?)' if close else ""
            problems.append(((index, "metric"), f"unknown metric {row.metric!r}{hint}; "
                             f"allowed: {', '.join(OBSERVED_METRICS)}"))
            continue
        if kind in ("population", "deaths"):
            if row.basis is None:
                problems.append(((index,), f"say which population the {row.metric} figure "
                                 "counts: basis: registered (户籍) or resident (常住)"))
                continue
            if row.basis not in bases:
                problems.append(((index, "basis"), f"the scenario projects no "
                                 f"{_BASIS_NAMES[row.basis]} population to compare with (it "
                                 f"projects: {projected})"))
                continue
            years = bases[row.basis]
            span = years.population if kind == "population" else years.deaths
            if span is None or not span[0] <= row.year <= span[1]:
                shown = "none" if span is None else f"{span[0]}-{span[1]}"
                if kind == "population":
                    message = (f"{row.year} is outside the projection's years "
                               f"({row.basis}: {shown})")
                else:
                    message = (f"{row.year}: deaths are compared only in calendar years the "
                               f"projection's yearly steps from the base date cover whole "
                               f"({row.basis}: {shown})")
                problems.append(((index, "year"), message))
        elif simulated is None:
            problems.append(((index, "metric"), f"{row.metric} is compared with the plan: add "
                             "`plan` and `simulation` sections"))
        elif not simulated[0] <= row.year <= simulated[1]:
            problems.append(((index, "year"), f"{row.year} is outside the simulated years "
                             f"{simulated[0]}-{simulated[1]}"))
        basis = row.basis if kind in ("population", "deaths") else None
        key = (row.year, basis, row.metric)
        if key in seen:
            problems.append(((index,), f"{row.metric} of {row.year}"
                             + (f" ({basis})" if basis else "")
                             + f" is already given at observed[{seen[key]}]; give each figure "
                             "once"))
        else:
            seen[key] = index
    return problems


def observation_use(year: int, base_year: int, use: str | None = None) -> Use:
    """``calibration`` for a year up to the base year (or when the row says so), else
    ``backtest``."""
    return "calibration" if use == "calibration" or year <= base_year else "backtest"


def _held_bases(projection: PopulationProjection) -> set[str]:
    """The bases a projection holds: its own, its ``other_bases``, and the values of a
    ``basis`` column of its ``elderly`` table."""
    held = {projection.basis, *getattr(projection, "other_bases", {})}
    if "basis" in projection.elderly.columns:
        held |= set(projection.elderly["basis"])
    return held


def _of_basis(projection: PopulationProjection, table: str, basis: str) -> pd.DataFrame:
    """One of the projection's tables (``elderly``, ``population``, ``components``) for
    ``basis``: from the projection of that basis (``other_bases``), and within it the rows of
    ``basis`` when the table has a ``basis`` column (all rows otherwise; none when the
    projection is of another basis)."""
    projection = getattr(projection, "other_bases", {}).get(basis, projection)
    frame: pd.DataFrame = getattr(projection, table)
    if "basis" in frame.columns:
        return frame[frame["basis"] == basis]
    return frame if basis == projection.basis else frame.head(0)


def _stock(projection: PopulationProjection, metric: str, basis: str, year: int) -> float:
    elderly = _of_basis(projection, "elderly", basis)
    rows = elderly[(elderly["zone"] == "all") & (elderly["year"] == year)]
    if metric in rows.columns:
        return float(rows[metric].sum()) if len(rows) else math.nan
    population = _of_basis(projection, "population", basis)
    rows = population[(population["year"] == year) & (population["age"] >= _FROM_AGE[metric])]
    return float(rows["population"].sum()) if len(rows) else math.nan


def calendar_year_total(components: pd.DataFrame, column: str, year: int) -> float:
    """A flow of the projection (e.g. ``deaths``) in calendar year ``year`` [persons].

    Each step runs one year from ``step_start`` to its anniversary (a step dated 31 December
    starts at its end, 24:00, as a year-end base does:
    :func:`~carefacility.population.inputs.base_time`); its flow is spread evenly over the
    step and the share that falls in ``year`` is counted.

    Parameters
    ----------
    components : pandas.DataFrame
        ``step_start`` (dates or ISO text) and ``column``, any number of rows per step (zones,
        sexes): they are summed.
    column : str
    year : int

    Returns
    -------
    float
        ``nan`` when the steps do not cover the whole year.
    """
    if components.empty:
        return math.nan
    by_step = components.groupby(pd.to_datetime(components["step_start"]))[column].sum()
    total = covered = 0.0
    for start, value in by_step.items():
        begin = start.date()
        t0, t1 = base_time(begin), base_time(anniversary(begin, 1))
        overlap = max(0.0, min(t1, year + 1.0) - max(t0, float(year)))
        total += float(value) * overlap / (t1 - t0)
        covered += overlap
    return total if covered >= 1.0 - 1e-9 else math.nan


def _kpi_mean(kpis: pd.DataFrame | None, metric: str, year: int) -> float:
    if kpis is None or kpis.empty:
        return math.nan
    rows = kpis[(kpis["metric"] == metric) & (kpis["year"] == year)]
    return float(rows["mean"].iloc[0]) if len(rows) else math.nan


def _projected(row: ObservationSpec, projection: PopulationProjection, plan: PlanArrays | None,
               kpis: pd.DataFrame | None) -> float:
    kind = OBSERVED_METRICS[row.metric][0]
    if kind == "population":
        return _stock(projection, row.metric, str(row.basis), row.year)
    if kind == "deaths":
        components = _of_basis(projection, "components", str(row.basis))
        return calendar_year_total(components, "deaths", row.year)
    if kind == "plan":
        value = _kpi_mean(kpis, "beds", row.year)
        if math.isnan(value) and plan is not None:
            value = float(plan.capacity_at(dt.date(row.year, 12, 31)).sum())
        return value
    return _kpi_mean(kpis, row.metric, row.year)


def backtest(observed: Sequence[ObservationSpec], projection: PopulationProjection, *,
             bases: Mapping[str, ComparableYears] | None = None, plan: PlanArrays | None = None,
             kpis: pd.DataFrame | None = None) -> pd.DataFrame:
    """Each observation beside the projected figure of its year and population.

    Parameters
    ----------
    observed : sequence of ObservationSpec
        The scenario's ``observed`` section (validated: every metric known, every basis
        projected).
    projection : PopulationProjection
        The scenario's projection: its own basis and its ``other_bases`` (or rows per basis in
        a ``basis`` column).
    bases : mapping of str to ComparableYears, optional
        Base year of each basis (:func:`observation_bases`); by default the projection's base
        date's year for every basis.
    plan : PlanArrays, optional
        The plan, for ``beds`` when ``kpis`` has none.
    kpis : pandas.DataFrame, optional
        A run's KPIs (``year, metric, mean, ...``): ``beds`` and ``residents_year_end``.

    Returns
    -------
    pandas.DataFrame
        :data:`BACKTEST_COLUMNS`: ``year``, ``basis`` (empty for plan figures), ``metric``,
        ``observed`` and ``projected`` [persons or beds], ``error`` = projected − observed
        [same unit], ``relative_error`` = error / observed [fraction], ``use`` (``calibration``
        or ``backtest``), ``source``. ``projected`` is ``nan`` when the figure needs a run and
        none was given. Rows by metric, basis and year.

    Raises
    ------
    ValueError
        If an observation names an unknown metric, or a basis the projection does not hold.
    """
    bases = bases or {}
    held = _held_bases(projection)
    rows = []
    for row in observed:
        if row.metric not in OBSERVED_METRICS:
            raise ValueError(f"unknown metric {row.metric!r}; allowed: "
                             f"{', '.join(OBSERVED_METRICS)}")
        kind = OBSERVED_METRICS[row.metric][0]
        on_population = kind in ("population", "deaths")
        if on_population and row.basis not in held:
            raise ValueError(f"{row.metric} of {row.year}: the projection holds no "
                             f"{row.basis} population (it holds: {', '.join(sorted(held))})")
        basis = row.basis if on_population else None
        base_year = (bases[basis].base_year if basis in bases else
                     projection.base_date.year)
        projected = _projected(row, projection, plan, kpis)
        error = projected - row.value
        rows.append({"year": row.year, "basis": basis or "", "metric": row.metric,
                     "observed": row.value, "projected": projected, "error": error,
                     "relative_error": error / row.value,
                     "use": observation_use(row.year, base_year, row.use),
                     "source": row.source})
    table = pd.DataFrame(rows, columns=BACKTEST_COLUMNS)
    if table.empty:
        return table
    order = {metric: index for index, metric in enumerate(OBSERVED_METRICS)}
    table = table.assign(_order=table["metric"].map(order)).sort_values(
        ["_order", "basis", "year"], kind="stable").drop(columns="_order")
    table["projected"] = table["projected"].astype(float)
    table.loc[~np.isfinite(table["projected"]), ["error", "relative_error"]] = np.nan
    return table.reset_index(drop=True)
