"""Population projection of a scenario: from :class:`PopulationInputs` to tidy tables.

This module turns the inputs as sources publish them (5-year groups, abridged death rates by
period, a TFR path with an age pattern, a yearly migration total) into the single-year arrays of
the cohort-component engine (:mod:`carefacility.population`), runs it, and reports the population
on the scenario's report date of each calendar year.

Timing
------
The engine steps one year at a time from the base date (e.g. census day, 1 November 2020). The
rates of a step are those of its midpoint: death rates are interpolated log-linearly between the
midpoints of their periods (a WPP period "2020-2025" runs 1 July 2020 - 30 June 2025) and held
flat outside, then lowered by the improvement rate beyond the last period; TFR, sex ratio at birth
and the net migration total are interpolated linearly between the years given (a year ``Y``
meaning 1 January of ``Y``); tables by year (fertility age patterns, ASFR, migration counts by
age) use the latest year at or before the step's midpoint, else the first. The population on a
report date (31 December or 1 July) is interpolated linearly between the two projection steps
around it.
"""

from __future__ import annotations

import datetime as dt
import itertools
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd

from carefacility.population.ages import N_AGES, OPEN_AGE, SEXES, parse_age_group
from carefacility.population.cohort_component import elderly_summary, project
from carefacility.population.fertility import asfr_from_tfr
from carefacility.population.graduation import graduate_counts
from carefacility.population.inputs import (
    GroupedTable,
    PopulationInputs,
    base_time,
    decimal_year,
)
from carefacility.population.lifetable import (
    projection_survival,
    single_year_mx,
    stationary_tail_weights,
)
from carefacility.population.migration import distribute_net_migration, rogers_castro_profile

__all__ = [
    "MORTALITY_SENSITIVITY",
    "PopulationProjection",
    "anniversary",
    "default_demand_basis",
    "project_population",
    "project_populations",
    "report_times",
    "with_mortality_range",
]

MORTALITY_SENSITIVITY = 0.10
"""Relative change of every death rate in the low/high variants of :func:`with_mortality_range`.
An ASSUMPTION used only to show sensitivity: the elderly of the next decades are already born,
so their number depends on mortality (and migration), not on fertility."""


@dataclass(frozen=True)
class PopulationProjection:
    """Result of :func:`project_population`.

    Attributes
    ----------
    population : pandas.DataFrame
        ``year, zone, age, sex, population`` on each year's report date [persons]; ``age`` 100
        stands for 100+.
    elderly : pandas.DataFrame
        Per year and zone (and ``"all"`` for the whole area): ``total``, ``pop_60plus``,
        ``pop_65plus``, ``pop_80plus`` [persons], their shares of the total, and
        ``old_age_dependency_ratio`` (65+ per person aged 15-64).
    components : pandas.DataFrame
        Per projection step (one year from ``step_start``), zone and sex:
        ``population_start, births, deaths, net_migration, population_end`` [persons]; they
        satisfy ``population_end = population_start + births - deaths + net_migration``.
    basis : str
        ``registered`` or ``resident``.
    base_date : datetime.date
    report_date : str
        ``year_end`` or ``mid_year``.
    other_bases : mapping of str to PopulationProjection
        The projections of the scenario's other population bases, by basis (e.g. the
        registered population beside the resident one that makes the demand); empty for a
        scenario with one population. See :func:`project_populations`.
    """

    population: pd.DataFrame
    elderly: pd.DataFrame
    components: pd.DataFrame
    basis: str
    base_date: dt.date
    report_date: str
    mx_single: np.ndarray | None = None
    """Single-year death rates ages 0..130 in force from each reported year to the next,
    shape (years, 2, 131) [per person-year]; the care-need model uses them."""
    other_bases: Mapping[str, PopulationProjection] = field(default_factory=dict)

    @property
    def first_year(self) -> int:
        """First reported year."""
        return int(self.elderly["year"].min())

    @property
    def last_year(self) -> int:
        """Last reported year."""
        return int(self.elderly["year"].max())

    @property
    def bases(self) -> tuple[str, ...]:
        """Every basis projected: this projection's first, then :attr:`other_bases`."""
        return (self.basis, *(b for b in self.other_bases if b != self.basis))

    def for_basis(self, basis: str) -> PopulationProjection:
        """The projection of one basis (``registered`` or ``resident``).

        Raises
        ------
        KeyError
            If the scenario has no population of that basis.
        """
        if basis == self.basis:
            return self
        if basis not in self.other_bases:
            raise KeyError(f"no {basis} population was projected (bases: "
                           f"{', '.join(self.bases)}); add a `registered_population:` section "
                           "or set population.basis")
        return self.other_bases[basis]

    def summary(self) -> pd.DataFrame:
        """The whole area's elderly figures by year (one row a year)."""
        rows = self.elderly[self.elderly["zone"] == "all"]
        return rows.drop(columns="zone").set_index("year")

    def elderly_by_basis(self) -> pd.DataFrame:
        """:attr:`elderly` of every basis in one table, with a ``basis`` column after
        ``zone`` (this projection's basis first): the ``elderly_summary.csv`` table."""
        frames = []
        for basis in self.bases:
            frame = self.for_basis(basis).elderly.copy()
            frame.insert(2, "basis", basis)
            frames.append(frame)
        return pd.concat(frames, ignore_index=True)


def report_times(base_date: dt.date, horizon_year: int, report_date: str
                 ) -> tuple[np.ndarray, np.ndarray]:
    """Years reported and their decimal times.

    Returns
    -------
    years : numpy.ndarray of int
        Calendar years whose report date is on or after the base date, up to the horizon.
    times : numpy.ndarray of float
        Decimal year of each report date (31 Dec 24:00 = next 1 Jan, or 1 July). A base date
        of 31 December is the year-end count of that year
        (:func:`~carefacility.population.inputs.base_time`), reported as that year.
    """
    start = base_time(base_date)
    years, times = [], []
    for year in range(base_date.year, horizon_year + 1):
        when = dt.date(year + 1, 1, 1) if report_date == "year_end" else dt.date(year, 7, 1)
        time = decimal_year(when)
        if time >= start - 1e-9:
            years.append(year)
            times.append(time)
    return np.asarray(years, dtype=int), np.asarray(times)


def _starts(labels: tuple[str, ...]) -> np.ndarray:
    return np.array([parse_age_group(label)[0] for label in labels])


def _table_at(table: GroupedTable, time: float) -> np.ndarray:
    """The slice of a table in force at ``time``: the latest key at or before it (else first)."""
    if table.keys.size == 1 or np.isnan(table.keys[0]):
        return table.values[0]
    index = int(np.searchsorted(table.keys, time, side="right")) - 1
    return table.values[max(index, 0)]


def _qx_to_mx(qx: np.ndarray, starts: np.ndarray) -> np.ndarray:
    """Central death rates from probabilities of dying by age group.

    Closed groups: a constant hazard within the group, ``m = -ln(1 - q) / n`` (``a = n / 2``
    would cap ``m`` at ``2 / n`` and understate old-age mortality). The open group's ``q = 1``
    says nothing about its rate, so it continues the log-linear (Gompertz) slope of the last two
    closed groups to the open group's assumed midpoint, 5 years above its start.
    """
    widths = np.diff(starts).astype(float)
    closed = -np.log1p(-np.minimum(qx[..., :-1], 1 - 1e-12)) / widths
    mids = starts[:-1] + widths / 2
    if closed.shape[-1] >= 2:
        slope = np.log(closed[..., -1] / closed[..., -2]) / (mids[-1] - mids[-2])
    else:
        slope = np.zeros(closed.shape[:-1])
    open_mx = closed[..., -1] * np.exp(slope * (starts[-1] + 5 - mids[-1]))
    return np.concatenate([closed, open_mx[..., None]], axis=-1)


def _mortality_at(inputs: PopulationInputs, times: np.ndarray) -> np.ndarray:
    """Grouped death rates nMx at each time [per person-year], shape (T, 2, G)."""
    table = inputs.mortality
    values = table.values
    groups = table.age_groups
    if inputs.mortality_measure == "qx":
        values = _qx_to_mx(values, _starts(groups))
    logs = np.log(np.maximum(values, 1e-12))
    if table.keys.size == 1 or np.isnan(table.keys[0]):
        out = np.repeat(logs[:1], times.size, axis=0)
        last_key = times[0]
    else:
        flat = logs.reshape(logs.shape[0], -1)
        out = np.stack([np.interp(times, table.keys, flat[:, j]) for j in range(flat.shape[1])],
                       axis=-1).reshape((times.size, *logs.shape[1:]))
        last_key = table.keys[-1]
    rate = inputs.mortality_improvement_rate_per_year
    if rate:
        years_beyond = np.maximum(times - last_key, 0.0)
        out = out + years_beyond[:, None, None] * math.log1p(-rate)
    return np.exp(out)


def _asfr_at(inputs: PopulationInputs, times: np.ndarray) -> np.ndarray:
    """Single-year ASFR for each step [births per woman per year], shape (T, 101)."""
    rows = []
    for time in times:
        if inputs.asfr is not None:
            grouped = _table_at(inputs.asfr, time)
            starts = _starts(inputs.asfr.age_groups)
            tfr = float(np.sum(grouped) * 5)
            pattern = 100 * grouped / max(np.sum(grouped), 1e-300)
        else:
            assert inputs.tfr is not None and inputs.fertility_pattern is not None
            starts = _starts(inputs.fertility_pattern.age_groups)
            pattern = _table_at(inputs.fertility_pattern, time)
            pattern = 100 * pattern / pattern.sum()
            tfr = float(inputs.tfr.at(time))
        rows.append(asfr_from_tfr(tfr, pattern, starts))
    return np.asarray(rows)


def _migration_at(inputs: PopulationInputs, times: np.ndarray, zone_shares: np.ndarray
                  ) -> np.ndarray:
    """Net migrants per step by zone, sex and single age [persons], shape (T, Z, 2, 101)."""
    profile = rogers_castro_profile(np.arange(N_AGES, dtype=float))
    if inputs.migration_counts is not None:
        # each group's count is spread over its ages in proportion to the Rogers-Castro profile
        table = inputs.migration_counts
        starts = _starts(table.age_groups)
        bounds = np.append(starts, N_AGES)
        spread = np.zeros((len(starts), N_AGES))
        for index, (first, stop) in enumerate(itertools.pairwise(bounds)):
            spread[index, first:stop] = profile[first:stop] / profile[first:stop].sum()
        per_step = np.stack([_table_at(table, time) @ spread for time in times])
    else:
        totals = inputs.net_migration.at(times)
        per_step = distribute_net_migration(totals, profile, profile,
                                            inputs.migration_share_male)
    return per_step[:, None] * zone_shares[None, :, None, None]


def project_population(inputs: PopulationInputs) -> PopulationProjection:
    """Project a population from its scenario inputs.

    Parameters
    ----------
    inputs : PopulationInputs
        From :func:`carefacility.load_scenario` (``scenario.population``) or built by hand.

    Returns
    -------
    PopulationProjection
    """
    years, report = report_times(inputs.base_date, inputs.horizon_year, inputs.report_date)
    start = base_time(inputs.base_date)
    n_steps = max(1, math.ceil(report[-1] - start - 1e-9))
    mid_times = start + np.arange(n_steps) + 0.5

    nmx = _mortality_at(inputs, np.concatenate([[start], mid_times]))
    mx_starts = _starts(inputs.mortality.age_groups)
    mx_single = single_year_mx(nmx, mx_starts)
    survival = projection_survival(mx_single[1:])

    base = inputs.base_population
    base_starts = _starts(base.age_groups)
    open_start = int(base_starts[-1])
    if open_start < OPEN_AGE:
        weights = np.stack([stationary_tail_weights(mx_single[0, s], open_start)
                            for s in range(2)])[None]
    else:
        weights = None
    base_single = graduate_counts(base.values, base_starts, open_start,
                                  open_tail_weights=weights)
    zone_totals = base_single.sum(axis=(1, 2))
    zone_shares = zone_totals / max(zone_totals.sum(), 1e-300)

    result = project(
        base_single,
        survival,
        _asfr_at(inputs, mid_times),
        inputs.sex_ratio_at_birth.at(mid_times),
        _migration_at(inputs, mid_times, zone_shares),
    )
    population = result.population  # (T+1, Z, 2, 101)

    offsets = report - start
    lower = np.clip(np.floor(offsets + 1e-9).astype(int), 0, n_steps)
    upper = np.minimum(lower + 1, n_steps)
    fraction = np.clip(offsets - lower, 0.0, 1.0)[:, None, None, None]
    at_report = (1 - fraction) * population[lower] + fraction * population[upper]

    zones = list(inputs.zones)
    tidy = _tidy(at_report, years, zones)
    elderly = _elderly_table(at_report, years, zones)
    components = _components(result, inputs.base_date, zones)
    # rates of the projection step that contains the middle of each reported year's next year
    step = np.clip(np.floor(offsets + 0.5).astype(int), 0, n_steps - 1)
    return PopulationProjection(tidy, elderly, components, inputs.basis, inputs.base_date,
                                inputs.report_date, mx_single=mx_single[1:][step])


def default_demand_basis(bases: Sequence[str], chosen: str | None = None) -> str:
    """The basis whose elders make the demand for beds and services.

    Parameters
    ----------
    bases : sequence of str
        The bases a scenario projects, the primary (``population:``) first.
    chosen : str, optional
        ``population.demand_basis`` when the file sets it.

    Returns
    -------
    str
        ``chosen`` if given; else ``resident`` when it is among the bases (elders need care
        where they live); else the primary basis.
    """
    if chosen is not None:
        return chosen
    return "resident" if "resident" in bases else bases[0]


def project_populations(populations: Mapping[str, PopulationInputs],
                        demand_basis: str | None = None, *, mortality_range: bool = False
                        ) -> PopulationProjection:
    """Project every population basis of a scenario, each with its own inputs.

    Parameters
    ----------
    populations : mapping of str to PopulationInputs
        Inputs by basis (``scenario.populations``), the primary first.
    demand_basis : str, optional
        The basis that makes the demand (default: :func:`default_demand_basis`).
    mortality_range : bool
        Add the sensitivity range of :func:`with_mortality_range` to every basis.

    Returns
    -------
    PopulationProjection
        The demand basis's projection; the other bases' projections are in its
        ``other_bases``.

    Raises
    ------
    KeyError
        If ``demand_basis`` is not among the bases.
    """
    bases = list(populations)
    if not bases:
        raise ValueError("no population to project")
    basis = default_demand_basis(bases, demand_basis)
    if basis not in populations:
        raise KeyError(f"demand basis {basis!r} is not projected (bases: {', '.join(bases)})")
    projected = {}
    for name, inputs in populations.items():
        projection = project_population(inputs)
        if mortality_range:
            projection = with_mortality_range(inputs, projection)
        projected[name] = projection
    others = {name: projected[name] for name in bases if name != basis}
    return replace(projected[basis], other_bases=others)


def anniversary(date: dt.date, years: int) -> dt.date:
    """``date`` plus whole years (29 February falls back to 28 February)."""
    try:
        return date.replace(year=date.year + years)
    except ValueError:
        return date.replace(year=date.year + years, day=28)


def _tidy(population: np.ndarray, years: np.ndarray, zones: list[str]) -> pd.DataFrame:
    _n_years, _n_zones = population.shape[:2]
    index = pd.MultiIndex.from_product(
        [years, zones, list(SEXES), np.arange(N_AGES)], names=["year", "zone", "sex", "age"]
    )
    frame = pd.DataFrame({"population": population.reshape(-1)}, index=index).reset_index()
    return frame[["year", "zone", "age", "sex", "population"]]


def _elderly_table(population: np.ndarray, years: np.ndarray, zones: list[str]) -> pd.DataFrame:
    frames = []
    labelled = [(population, zones)]
    if list(zones) != ["all"]:
        labelled.append((population.sum(axis=1, keepdims=True), ["all"]))
    for array, names in labelled:
        summary = elderly_summary(array)
        for z, zone in enumerate(names):
            frame = pd.DataFrame({key: np.asarray(value)[:, z] for key, value in summary.items()})
            frame.insert(0, "zone", zone)
            frame.insert(0, "year", years)
            frames.append(frame)
    return pd.concat(frames, ignore_index=True)


def _components(result: object, base_date: dt.date, zones: list[str]) -> pd.DataFrame:
    population = result.population  # type: ignore[attr-defined]
    births = result.births  # type: ignore[attr-defined]
    deaths = result.deaths  # type: ignore[attr-defined]
    migration = result.net_migration  # type: ignore[attr-defined]
    n_steps, _n_zones = births.shape[:2]
    starts = [anniversary(base_date, k) for k in range(n_steps)]
    index = pd.MultiIndex.from_product([starts, zones, list(SEXES)],
                                       names=["step_start", "zone", "sex"])
    totals = population.sum(axis=-1)
    return pd.DataFrame({
        "population_start": totals[:-1].reshape(-1),
        "births": births.reshape(-1),
        "deaths": deaths.reshape(-1),
        "net_migration": migration.reshape(-1),
        "population_end": totals[1:].reshape(-1),
    }, index=index).reset_index()


def with_mortality_range(inputs: PopulationInputs, projection: PopulationProjection, *,
                         relative_change: float = MORTALITY_SENSITIVITY
                         ) -> PopulationProjection:
    """Add a sensitivity range to the elderly table: death rates ``± relative_change``.

    The projection itself is deterministic. The range shows how much the numbers aged 60+ and
    80+ depend on mortality: ``*_low`` uses death rates ``× (1 + relative_change)``, ``*_high``
    ``× (1 − relative_change)`` (everything else unchanged). It is a sensitivity band, not a
    confidence interval.

    Returns
    -------
    PopulationProjection
        ``projection`` with ``pop_60plus_low/high`` and ``pop_80plus_low/high`` columns in
        ``elderly``.
    """
    import dataclasses

    variants = {}
    for name, factor in (("low", 1 + relative_change), ("high", 1 - relative_change)):
        table = inputs.mortality
        scaled = (np.minimum(table.values * factor, 1.0) if inputs.mortality_measure == "qx"
                  else table.values * factor)
        if inputs.mortality_measure == "qx":
            scaled[..., -1] = 1.0
        variant = dataclasses.replace(
            inputs, mortality=GroupedTable(table.age_groups, table.keys, scaled))
        variants[name] = project_population(variant).elderly.set_index(["year", "zone"])
    elderly = projection.elderly.set_index(["year", "zone"])
    for column in ("pop_60plus", "pop_80plus"):
        for name, frame in variants.items():
            elderly[f"{column}_{name}"] = frame[column]
    return dataclasses.replace(projection, elderly=elderly.reset_index())
