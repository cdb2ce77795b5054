"""Turn the validated population section into arrays, reading and checking its tables.

Everything here runs before any model: a table with a gap in its age groups, a negative count, a
probability above 1, years out of order or a missing file is reported with its location, together
with every other problem, and nothing is computed.
"""

from __future__ import annotations

import datetime as dt
import itertools
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from carefacility.base.errors import Problem, format_path, name_list
from carefacility.base.files import input_file
from carefacility.base.tables import Table, quote_cell, read_table
from carefacility.base.yaml_source import YamlDocument
from carefacility.population import spec as models
from carefacility.population.ages import check_age_groups, parse_age_group
from carefacility.population.mortality_fit import E0_RANGE, fit_periods_to_e0
from carefacility.population.spec import (
    BasePopulationSpec,
    FertilitySpec,
    GroupedBySex,
    MigrationSpec,
    MortalityFitSpec,
    MortalitySpec,
    PopulationSpec,
)

__all__ = [
    "POPULATION_SECTIONS",
    "GroupedTable",
    "PopulationInputs",
    "TimePath",
    "base_time",
    "check_age_groups_for",
    "check_population_sections",
    "decimal_year",
    "match_band_shares",
    "resolve_population",
]

SEXES = ("male", "female")
Location = tuple[str | int, ...]

YEAR_RANGE = (1900, 2300)
"""Calendar years a ``{year: value}`` path of a population section may name."""

MAX_BIRTHS_SHARE = 0.10
"""Births a year can add, as a share of the base population, in the check that net
out-migration does not empty a population (a crude birth rate of 100 per 1,000, beyond any
population's: the check never refuses an outflow births could make up for)."""

POPULATION_SECTIONS = ("population", "registered_population")
"""Keys of the population sections of a scenario file: the primary one (any basis) and the
optional second one for the registered (户籍) basis."""


@dataclass(frozen=True)
class TimePath:
    """A quantity given at some calendar years: linear in between, flat outside.

    Attributes
    ----------
    years : numpy.ndarray
        Increasing decimal years.
    values : numpy.ndarray
        Values at those years.
    """

    years: np.ndarray
    values: np.ndarray

    def at(self, year: float | np.ndarray) -> np.ndarray:
        """Value at decimal ``year`` (linear interpolation, constant extrapolation)."""
        return np.interp(year, self.years, self.values)


@dataclass(frozen=True)
class GroupedTable:
    """Values by key (period midpoint or year), sex and age group.

    Attributes
    ----------
    age_groups : tuple of str
        Age group labels, ordered.
    keys : numpy.ndarray
        Decimal year of each slice (period midpoint or year); ``nan`` for a single timeless table.
    values : numpy.ndarray
        Shape (keys, 2, groups) for tables by sex, (keys, groups) otherwise.
    """

    age_groups: tuple[str, ...]
    keys: np.ndarray
    values: np.ndarray


@dataclass(frozen=True)
class PopulationInputs:
    """Population inputs as arrays (see :class:`carefacility.scenario.loader.PopulationSpec`).

    Notebook users can build one directly and hand it to
    :func:`carefacility.population.projection.project_population`.
    """

    basis: str
    base_date: dt.date
    horizon_year: int
    report_date: str
    zones: tuple[str, ...]
    base_population: GroupedTable
    """values: persons, shape (zones, 2, groups); keys unused."""
    mortality_measure: str
    mortality: GroupedTable
    """values: (periods, 2, groups); keys: period midpoints [decimal year]."""
    mortality_improvement_rate_per_year: float
    tfr: TimePath | None
    fertility_pattern: GroupedTable | None
    """values: percent, shape (years, groups); keys: years (nan when timeless)."""
    asfr: GroupedTable | None
    """values: births per woman per year, shape (years, groups)."""
    sex_ratio_at_birth: TimePath
    net_migration: TimePath
    migration_share_male: float
    migration_counts: GroupedTable | None
    """values: net migrants per year, shape (years, 2, groups)."""


def check_age_groups_for(labels: Sequence[str], *, whole_life: bool) -> list[str]:
    """Problems with a sequence of age group labels.

    Parameters
    ----------
    labels : sequence of str
        ``"0"``, ``"1-4"``, ``"85+"`` ... in order.
    whole_life : bool
        True for tables that must cover every age: they start at 0 and end with an open group.
        False for fertility patterns: contiguous groups, no open group.

    Returns
    -------
    list of str
        Empty when the labels are fine.
    """
    labels = [str(label) for label in labels]
    if whole_life:
        problems = check_age_groups(labels)
        if problems:
            return problems
        start, end = parse_age_group(labels[-1])
        if end is not None:
            problems.append(f'the last group must be open, like "85+" (got "{labels[-1]}")')
        elif start > 100:
            problems.append("the open group must start at age 100 or below")
        return problems
    # a fertility pattern starts above age 0: check it as the tail of a whole-life sequence
    try:
        first = parse_age_group(labels[0])[0] if labels else 0
    except ValueError as error:
        return [str(error)]
    lead = [f"0-{first - 1}"] if first > 0 else []
    problems = check_age_groups([*lead, *labels])
    if not problems and labels and parse_age_group(labels[-1])[1] is None:
        problems.append("a fertility age pattern has no open group")
    if not problems:
        widths = {end - start for start, end in map(parse_age_group, labels) if end is not None}
        if widths != {5}:
            problems.append('fertility is given by 5-year age groups ("15-19", "20-24", ...)')
    return problems


_PERIOD = re.compile(r"^\s*(\d{4})\s*-\s*(\d{4})\s*$")


class _Resolver:
    """Collects problems while reading one population section (``population`` or
    ``registered_population``: ``section`` is the first part of every location)."""

    def __init__(self, doc: YamlDocument, base_dir: Path, section: str = "population", *,
                 allow_outside: bool = False):
        self.doc = doc
        self.base_dir = base_dir
        self.section = section
        self.allow_outside = allow_outside
        self.problems: list[Problem] = []

    def at(self, location: Location, message: str, *, key: bool = False) -> None:
        self.problems.append(self.doc.problem(location, format_path(location), message, key=key))

    def table(self, location: Location, relative: str, required: Sequence[str],
              optional: Sequence[str] = ()) -> Table | None:
        path, refused = input_file(self.base_dir, relative, allow_outside=self.allow_outside)
        if path is None:
            self.at(location, refused or "refused")
            return None
        shown = str(Path(self.doc.file).parent / relative)
        if not path.is_file():
            self.at(location, f"CSV file {relative!r} not found (looked for {path}); "
                              "paths are relative to the scenario file")
            return None
        table, problems = read_table(path, shown, required=required, optional=optional)
        self.problems.extend(problems)
        return None if problems else table

    def time_path(self, location: Location, value: float | dict[int, float], base_year: float,
                  *, minimum: float, maximum: float, unit: str) -> TimePath:
        if isinstance(value, dict):
            years = list(value)
            if not years:
                self.at(location, "empty {year: value} mapping; give a number or at least one year")
                return TimePath(np.array([base_year]), np.array([math.nan]))
            for previous, current in itertools.pairwise(years):
                if current <= previous:
                    self.at((*location, current),
                            f"years out of order: {current} after {previous}; list years "
                            "in increasing order", key=True)
            values = [value[year] for year in years]
        else:
            years, values = [base_year], [value]
        for year, number in zip(years, values, strict=True):
            where = (*location, year) if isinstance(value, dict) else location
            if isinstance(value, dict) and not YEAR_RANGE[0] <= year <= YEAR_RANGE[1]:
                self.at(where, f"year {year} is outside {YEAR_RANGE[0]} to {YEAR_RANGE[1]}; "
                               "give calendar years", key=True)
            if not (math.isfinite(number) and minimum <= number <= maximum):
                self.at(where, f"{number:g} is outside the allowed range "
                               f"{minimum:g} to {maximum:g} {unit}")
        return TimePath(np.asarray(years, dtype=float), np.asarray(values, dtype=float))

    def groups(self, location: Location, labels: Sequence[str], *, whole_life: bool,
               table: Table | None = None, rows: Sequence[int] = ()) -> bool:
        messages = check_age_groups_for(labels, whole_life=whole_life)
        for message in messages:
            if table is not None and rows:
                self.problems.append(table.problem(rows[0], "age_group", message))
            else:
                self.at(location, message)
        return not messages

    def by_sex_inline(self, location: Location, inline: GroupedBySex, *, minimum: float,
                      maximum: float, unit: str, whole_life: bool = True) -> np.ndarray | None:
        ok = self.groups((*location, "age_groups"), inline.age_groups, whole_life=whole_life)
        n_groups = len(inline.age_groups)
        out = np.zeros((2, n_groups))
        for s, sex in enumerate(SEXES):
            values = getattr(inline, sex)
            if len(values) != n_groups:
                self.at((*location, sex), f"{len(values)} values for {n_groups} age groups; "
                                          "give one value per age group")
                ok = False
                continue
            for index, number in enumerate(values):
                if not (math.isfinite(number) and minimum <= number <= maximum):
                    self.at((*location, sex, index),
                            f"{number:g} is outside the allowed range {minimum:g} to "
                            f"{maximum:g} {unit} (age group {inline.age_groups[index]!r})")
                    ok = False
            out[s] = values
        return out if ok else None

    def grouped_csv(self, location: Location, relative: str, *, key_column: str | None,
                    value_columns: Sequence[str], minimum: float, maximum: float,
                    whole_life: bool) -> tuple[list[Any], tuple[str, ...], np.ndarray] | None:
        """Read ``[key,] age_group, <value columns>``: returns keys, groups, values[K, V, G]."""
        optional = [key_column] if key_column else []
        table = self.table(location, relative, ["age_group", *value_columns], optional)
        if table is None:
            return None
        has_key = key_column is not None and key_column in table.columns
        blocks: dict[str, list[int]] = {}
        for row_index, row in enumerate(table.rows):
            key = row.get(key_column, "") if has_key else ""
            if has_key and key == "":
                self.problems.append(table.problem(row_index, key_column, "empty cell"))
                continue
            blocks.setdefault(key, []).append(row_index)
        count_before = len(self.problems)
        groups: tuple[str, ...] | None = None
        arrays = []
        for key, rows in blocks.items():
            labels = tuple(table.rows[r]["age_group"] for r in rows)
            if not self.groups(location, labels, whole_life=whole_life, table=table, rows=rows):
                continue
            if groups is None:
                groups = labels
            elif labels != groups:
                self.problems.append(table.problem(
                    rows[0], "age_group",
                    f"age groups for {key_column} {key!r} differ from the first block's; "
                    "every block must use the same groups"))
                continue
            block = np.array([[table.number(r, column, self.problems, minimum=minimum,
                                            maximum=maximum) for r in rows]
                              for column in value_columns])
            arrays.append(block)
        if len(self.problems) > count_before or groups is None:
            return None
        return list(blocks), groups, np.stack(arrays)


def decimal_year(date: dt.date) -> float:
    start = dt.date(date.year, 1, 1)
    days = (dt.date(date.year + 1, 1, 1) - start).days
    return date.year + (date - start).days / days


def base_time(base_date: dt.date) -> float:
    """Decimal year of a base population's reference moment.

    A base date of 31 December is a year-end count (年末, 24:00, as registered counts are
    published): the moment of 1 January 00:00 of the next year, the same as the ``year_end``
    report date of that year, so the year's reported population is the base itself. Any other
    date is its start (00:00, as the census standard time of 1 November 2020).

    Parameters
    ----------
    base_date : datetime.date

    Returns
    -------
    float
        [decimal year]
    """
    if (base_date.month, base_date.day) == (12, 31):
        return float(base_date.year + 1)
    return decimal_year(base_date)


def _key_years(resolver: _Resolver, location: Location, keys: list[str], kind: str,
               csv_name: str) -> np.ndarray | None:
    """Parse period labels ("2020-2025" → midpoint 2023.0) or years, in increasing order."""
    if keys == [""]:
        return np.array([math.nan])
    years: list[float] = []
    for key in keys:
        if kind == "period":
            match = _PERIOD.match(key)
            if not match or int(match.group(2)) <= int(match.group(1)):
                resolver.at(location, f"in {csv_name}: period {quote_cell(key)} is not like "
                                      '"2020-2025"')
                return None
            start, end = int(match.group(1)), int(match.group(2))
            # WPP periods run from 1 July of the first year to 30 June of the last
            years.append((start + end) / 2 + 0.5)
        else:
            try:
                years.append(float(int(key)))
            except ValueError:
                resolver.at(location, f"in {csv_name}: year {quote_cell(key)} is not a whole "
                                      "year")
                return None
    if any(b <= a for a, b in itertools.pairwise(years)):
        resolver.at(location, f"in {csv_name}: {kind}s out of order "
                              f"({name_list(quote_cell(key) for key in keys)}); "
                              "list them in increasing order")
        return None
    return np.asarray(years)


def match_band_shares(counts: np.ndarray, age_groups: Sequence[str],
                      shares: dict[str, float]) -> np.ndarray:
    """Reweight counts by age group so that age bands have the given shares of the total.

    The labels' boundaries cut the ages into disjoint bands (``{"0-14", "60+", "65+"}`` gives
    0-14, 15-59, 60-64, 65+). Band shares ``x`` closest to the table's own shares ``r`` in the
    chi-square sense (minimise ``sum (x - r)^2 / r``) subject to ``sum x = 1`` and the given
    shares are found from the KKT linear system; each band's counts (all zones and both sexes)
    are then scaled by ``x / r``, so the structure inside a band is kept.

    Parameters
    ----------
    counts : numpy.ndarray, shape (..., groups)
    age_groups : sequence of str
        The table's group labels; every cut must fall on a group boundary.
    shares : dict of str to float
        ``{"60+": 0.187, ...}`` [fraction of the total].

    Raises
    ------
    ValueError
        If a label is not understood or does not fall on the table's boundaries, or the shares
        are contradictory or would need a negative band.
    """
    starts = [parse_age_group(label)[0] for label in age_groups]
    bounds: list[tuple[int, float]] = []
    for label in shares:
        start, end = parse_age_group(label)
        bounds.append((start, math.inf if end is None else end))
    cuts = sorted({0, *[b for pair in bounds for b in pair if b != math.inf]})
    for cut in cuts:
        if cut not in starts and cut != 0:
            raise ValueError(f"age {cut} is not a boundary of the table's groups "
                             f"({', '.join(age_groups)}); use bands that follow them")
    band_of_group = np.searchsorted(cuts, starts, side="right") - 1
    n_bands = len(cuts)
    group_totals = counts.reshape(-1, counts.shape[-1]).sum(axis=0)
    total = group_totals.sum()
    reference = np.bincount(band_of_group, weights=group_totals, minlength=n_bands) / total
    if np.any(reference <= 0):
        raise ValueError("the table has no people in some age band; cannot reweight it")
    rows = [np.ones(n_bands)]
    targets = [1.0]
    for (start, end), share in zip(bounds, shares.values(), strict=True):
        band_starts = np.asarray(cuts, dtype=float)
        rows.append(((band_starts >= start) & (band_starts < end)).astype(float))
        targets.append(share)
    a = np.asarray(rows)
    if np.linalg.matrix_rank(a) < len(rows):
        raise ValueError("the shares repeat or contradict each other")
    # minimise sum (x - r)^2 / r  s.t.  A x = b:  x = r + R A^T (A R A^T)^-1 (b - A r)
    weight = np.diag(reference)
    correction = weight @ a.T @ np.linalg.solve(a @ weight @ a.T, np.asarray(targets) - a @
                                                reference)
    band_shares = reference + correction
    if np.any(band_shares <= 0):
        raise ValueError("these shares would leave an age band empty or negative; check them")
    factor = (band_shares / reference)[band_of_group]
    return counts * factor


def _base_population(r: _Resolver, base: BasePopulationSpec
                     ) -> tuple[tuple[str, ...], GroupedTable | None]:
    base_loc: Location = (r.section, "base_population")
    zones: tuple[str, ...] = ("all",)
    base_table: GroupedTable | None = None
    if (base.csv is None) == (base.inline is None):
        r.at(base_loc, "give exactly one of `csv` or `inline`")
    elif base.inline is not None:
        values = r.by_sex_inline((*base_loc, "inline"), base.inline, minimum=0, maximum=1e10,
                                 unit="persons")
        if values is not None:
            base_table = GroupedTable(tuple(base.inline.age_groups), np.array([math.nan]),
                                      values[None])
    else:
        read = r.grouped_csv((*base_loc, "csv"), base.csv or "", key_column="zone",
                             value_columns=SEXES, minimum=0, maximum=1e10, whole_life=True)
        if read is not None:
            keys, groups, values = read
            zones = tuple(keys) if keys != [""] else ("all",)
            if keys != [""] and "all" in keys:
                r.at((*base_loc, "csv"), 'zone name "all" is reserved for the whole area; '
                     "rename that zone")
            base_table = GroupedTable(groups, np.full(len(zones), math.nan), values)
    if base_table is not None and base.match_shares:
        try:
            values = match_band_shares(base_table.values, base_table.age_groups,
                                       base.match_shares)
        except ValueError as error:
            r.at((*base_loc, "match_shares"), str(error))
        else:
            base_table = GroupedTable(base_table.age_groups, base_table.keys, values)
    if base_table is not None and base.scale_to_total is not None:
        total = base_table.values.sum()
        if total <= 0:
            r.at(base_loc, "cannot scale a base population of 0 persons")
        else:
            base_table = GroupedTable(base_table.age_groups, base_table.keys,
                                      base_table.values * (base.scale_to_total / total))
    return zones, base_table


def _mortality(r: _Resolver, mort: MortalitySpec) -> GroupedTable | None:
    mort_loc: Location = (r.section, "mortality")
    maximum = 1.0 if mort.measure == "qx" else 5.0
    unit = "(a probability)" if mort.measure == "qx" else "deaths per person-year"
    mortality: GroupedTable | None = None
    span: tuple[int, int] | None = None  # first and last calendar year of the periods
    if (mort.csv is None) == (mort.inline is None):
        r.at(mort_loc, "give exactly one of `csv` or `inline`")
    elif mort.inline is not None:
        values = r.by_sex_inline((*mort_loc, "inline"), mort.inline, minimum=0, maximum=maximum,
                                 unit=unit)
        if values is not None:
            mortality = GroupedTable(tuple(mort.inline.age_groups), np.array([math.nan]),
                                     values[None])
    else:
        read = r.grouped_csv((*mort_loc, "csv"), mort.csv or "", key_column="period",
                             value_columns=SEXES, minimum=0, maximum=maximum, whole_life=True)
        if read is not None:
            keys, groups, values = read
            years = _key_years(r, (*mort_loc, "csv"), keys, "period", mort.csv or "")
            if years is not None:
                mortality = GroupedTable(groups, years, values)
                if keys != [""]:
                    span = (int(_PERIOD.match(keys[0]).group(1)),  # type: ignore[union-attr]
                            int(_PERIOD.match(keys[-1]).group(2)))  # type: ignore[union-attr]
    if mortality is not None and mort.measure == "qx":
        open_q = mortality.values[..., -1]
        if not np.allclose(open_q, 1.0):
            r.at((*mort_loc, "measure"), "with qx the open age group's value must be 1 "
                                         "(everybody dies in the open group eventually)")
    if mort.fit_e0 is not None:
        targets = _fit_targets(r, mort, mortality, span)
        if targets is not None and mortality is not None:
            mortality = _fitted_mortality(r, mort.fit_e0, mortality, *targets)
    return mortality


def _fit_targets(r: _Resolver, mort: MortalitySpec, mortality: GroupedTable | None,
                 span: tuple[int, int] | None) -> tuple[list[int], np.ndarray] | None:
    """Check ``mortality.fit_e0``; return its years and e0 (years, 2) when all is well."""
    fit = mort.fit_e0
    assert fit is not None
    loc: Location = (r.section, "mortality", "fit_e0")
    count_before = len(r.problems)
    if fit.method is None:
        r.at(loc, "`method` is required: brass_logit or proportional_hazards", key=True)
    if fit.source is None or not fit.source.strip():
        r.at((*loc, "source") if fit.source is not None else loc,
             "`source` is required: say where the life expectancies come from (publisher, "
             "year, page or URL)", key=fit.source is None)
    if mort.measure != "nMx":
        r.at((*loc[:-1], "measure"), "fit_e0 moves central death rates: give the standard as "
                                     "nMx (measure: nMx)")
    single = fit.year is not None or fit.male is not None or fit.female is not None
    entries: list[tuple[int | None, Location, float | None, float | None]] = []
    if fit.path is not None and single:
        r.at(loc, "give either `year` with `male` and `female`, or `path`, not both")
    elif fit.path is not None:
        if not fit.path:
            r.at((*loc, "path"), "empty path; give at least one {year: {male: ..., female: ...}}")
        years = list(fit.path)
        for previous, current in itertools.pairwise(years):
            if current <= previous:
                r.at((*loc, "path", current), f"years out of order: {current} after "
                                              f"{previous}; list years in increasing order",
                     key=True)
        entries = [(year, (*loc, "path", year), e0.male, e0.female)
                   for year, e0 in fit.path.items()]
    elif not single:
        r.at(loc, "give `year` with `male` and `female` (the published e0 by sex), or `path`")
    else:
        if fit.year is None:
            r.at(loc, "`year` is required: the calendar year of the life expectancies", key=True)
        entries = [(fit.year, loc, fit.male, fit.female)]
    timeless = mortality is not None and np.isnan(mortality.keys[0])
    if timeless and len(entries) > 1:
        r.at((*loc, "path"), "an e0 path needs a table by period (a `period` column); with one "
                             "table give `year` with `male` and `female`")
    for year, where, male, female in entries:
        for sex, value in zip(SEXES, (male, female), strict=True):
            if value is None:
                r.at(where, f"`{sex}` is missing: give the life expectancy at birth of "
                            f"{sex}s [years]", key=True)
            elif not (math.isfinite(value) and E0_RANGE[0] <= value <= E0_RANGE[1]):
                r.at((*where, sex), f"e0 {value:g} is outside the allowed range "
                                    f"{E0_RANGE[0]:g} to {E0_RANGE[1]:g} years")
        if year is not None and span is not None and not span[0] <= year <= span[1]:
            where_year = (*loc, "year") if where == loc else where
            r.at(where_year, f"year {year} is outside the table's periods ({span[0]}-"
                             f"{span[1]}); give an e0 of a year the standard covers",
                 key=where != loc)
    if len(r.problems) > count_before or not entries:
        return None
    years_out = [int(year) for year, *_ in entries if year is not None]
    e0 = np.array([[male, female] for _, _, male, female in entries], dtype=float)
    return years_out, e0


def _fitted_mortality(r: _Resolver, fit: MortalityFitSpec, mortality: GroupedTable,
                      years: list[int], e0: np.ndarray) -> GroupedTable | None:
    """The standard table with its rates replaced by the rates fitted to ``e0``."""
    starts = [parse_age_group(label)[0] for label in mortality.age_groups]
    if np.any(mortality.values <= 0):
        r.at((r.section, "mortality", "fit_e0"), "the standard has a death rate of 0; "
             "a relational fit needs rates above 0 at every age")
        return None
    try:
        fitted = fit_periods_to_e0(mortality.values, mortality.keys, starts, years, e0,
                                   method=fit.method or "brass_logit")
    except ValueError as error:
        r.at((r.section, "mortality", "fit_e0"), str(error))
        return None
    return GroupedTable(mortality.age_groups, mortality.keys, fitted.nmx)


def _fertility(r: _Resolver, fert: FertilitySpec, base_year: int
               ) -> tuple[TimePath | None, GroupedTable | None, GroupedTable | None]:
    fert_loc: Location = (r.section, "fertility")
    tfr = pattern = asfr = None
    has_tfr_route = fert.tfr is not None or fert.age_pattern is not None or (
        fert.age_pattern_csv is not None)
    if fert.asfr_csv is not None and has_tfr_route:
        r.at(fert_loc, "give either `asfr_csv` or `tfr` with an age pattern, not both")
    elif fert.asfr_csv is not None:
        read = r.grouped_csv((*fert_loc, "asfr_csv"), fert.asfr_csv, key_column="year",
                             value_columns=("asfr",), minimum=0, maximum=1.0, whole_life=False)
        if read is not None:
            keys, groups, values = read
            years = _key_years(r, (*fert_loc, "asfr_csv"), keys, "year", fert.asfr_csv)
            if years is not None:
                asfr = GroupedTable(groups, years, values[:, 0])
        return tfr, pattern, asfr
    if fert.tfr is None:
        r.at(fert_loc, "`tfr` is required (or give `asfr_csv`)", key=True)
    else:
        tfr = r.time_path((*fert_loc, "tfr"), fert.tfr, base_year, minimum=0, maximum=10,
                          unit="children per woman")
    if (fert.age_pattern is None) == (fert.age_pattern_csv is None):
        r.at(fert_loc, "give exactly one of `age_pattern` or `age_pattern_csv`")
    elif fert.age_pattern is not None:
        ap = fert.age_pattern
        ok = r.groups((*fert_loc, "age_pattern", "age_groups"), ap.age_groups, whole_life=False)
        if len(ap.percent) != len(ap.age_groups):
            r.at((*fert_loc, "age_pattern", "percent"),
                 f"{len(ap.percent)} values for {len(ap.age_groups)} age groups")
            ok = False
        if ok:
            pattern = GroupedTable(tuple(ap.age_groups), np.array([math.nan]),
                                   np.asarray(ap.percent, dtype=float)[None])
    else:
        csv_name = fert.age_pattern_csv or ""
        read = r.grouped_csv((*fert_loc, "age_pattern_csv"), csv_name, key_column="year",
                             value_columns=("percent",), minimum=0, maximum=100,
                             whole_life=False)
        if read is not None:
            keys, groups, values = read
            years = _key_years(r, (*fert_loc, "age_pattern_csv"), keys, "year", csv_name)
            if years is not None:
                pattern = GroupedTable(groups, years, values[:, 0])
    if pattern is not None:
        sums = pattern.values.sum(axis=-1)
        if np.any(np.abs(sums - 100.0) > 0.5):
            r.at((*fert_loc, "age_pattern" if fert.age_pattern else "age_pattern_csv"),
                 "the age pattern must sum to 100 percent (sums: "
                 f"{', '.join(f'{s:.2f}' for s in np.atleast_1d(sums))})")
    return tfr, pattern, asfr


def _migration(r: _Resolver, mig: MigrationSpec, base_year: int
               ) -> tuple[TimePath, GroupedTable | None]:
    mig_loc: Location = (r.section, "migration")
    migration_counts = None
    net = r.time_path((*mig_loc, "net_per_year"), mig.net_per_year, base_year, minimum=-1e9,
                      maximum=1e9, unit="persons per year")
    if mig.counts_csv is not None:
        if mig.net_per_year != 0.0:
            r.at(mig_loc, "give either `net_per_year` or `counts_csv`, not both")
        read = r.grouped_csv((*mig_loc, "counts_csv"), mig.counts_csv, key_column="year",
                             value_columns=SEXES, minimum=-1e9, maximum=1e9, whole_life=True)
        if read is not None:
            keys, groups, values = read
            years = _key_years(r, (*mig_loc, "counts_csv"), keys, "year", mig.counts_csv)
            if years is not None:
                migration_counts = GroupedTable(groups, years, values)
    return net, migration_counts


def _emptying_migration(r: _Resolver, spec: PopulationSpec, base_table: GroupedTable,
                        net: TimePath, counts: GroupedTable | None) -> None:
    """Refuse net out-migration that would empty the population (a located problem).

    The outflow of any projected year must not exceed the base population, and the outflow
    added up from the base date must not exceed the base population plus the most births
    could add (:data:`MAX_BIRTHS_SHARE` of it a year, deaths ignored): otherwise the
    projection would run out of people and clip every age at zero.
    """
    population = float(base_table.values.sum())
    start = base_time(spec.base_date)
    steps = max(1, math.ceil(spec.horizon_year + 1 - start - 1e-9))
    times = start + np.arange(steps) + 0.5
    if counts is not None:
        totals = counts.values.reshape(len(counts.keys), -1).sum(axis=1)
        flows = (np.full(steps, totals[0]) if np.isnan(counts.keys[0])
                 else np.interp(times, counts.keys, totals))
        where: Location = (r.section, "migration", "counts_csv")
    else:
        flows = net.at(times)
        where = (r.section, "migration", "net_per_year")
    outflow = np.maximum(-np.asarray(flows, dtype=float), 0.0)
    if not np.any(outflow > 0):
        return
    years = np.floor(times).astype(int)
    unit = "persons a year"
    over = np.flatnonzero(outflow > population)
    if over.size:
        step = int(over[0])
        when = "in the first year" if step == 0 else f"in {years[step]}"
        r.at(where, f"net out-migration of {outflow[step]:,.0f} {unit} {when} is "
                    f"more than the whole base population ({population:,.0f} persons): the "
                    "projection would be emptied in one year; check the sign and the size "
                    "(persons a year, not per 1,000)")
        return
    allowance = population * (1.0 + MAX_BIRTHS_SHARE * (np.arange(steps) + 1))
    over = np.flatnonzero(np.cumsum(outflow) > allowance)
    if over.size:
        step = int(over[0])
        r.at(where, f"net out-migration adds up to {np.cumsum(outflow)[step]:,.0f} persons by "
                    f"{years[step]}, more than the base population ({population:,.0f}) and "
                    "all the births it could have: the projection would run out of people; "
                    "check the sign and the size (persons a year, not per 1,000)")


_SECTION_CHECKS = {
    "base_population": ("BasePopulationSpec", lambda r, spec, year: _base_population(r, spec)),
    "mortality": ("MortalitySpec", lambda r, spec, year: _mortality(r, spec)),
    "fertility": ("FertilitySpec", _fertility),
    "migration": ("MigrationSpec", _migration),
}


def check_population_sections(data: Any, doc: YamlDocument, base_dir: Path, *,
                              allow_outside: bool = False) -> list[Problem]:
    """Check the tables of every population sub-section that is valid on its own.

    Used when the scenario as a whole failed validation, so that table problems are reported
    together with the structural ones. ``allow_outside`` is the scenario's
    ``allow_files_outside`` (see :func:`carefacility.base.files.input_file`).
    """

    if not isinstance(data, dict):
        return []
    problems: list[Problem] = []
    for section in POPULATION_SECTIONS:
        population = data.get(section)
        if not isinstance(population, dict):
            continue
        base_year = 2000
        try:
            base_year = dt.date.fromisoformat(str(population.get("base_date"))).year
        except ValueError:
            pass
        r = _Resolver(doc, base_dir, section, allow_outside=allow_outside)
        for key, (model_name, check) in _SECTION_CHECKS.items():
            if key not in population:
                continue
            try:
                spec = getattr(models, model_name).model_validate(population[key])
            except ValueError:
                continue
            check(r, spec, base_year)
        problems.extend(r.problems)
    return problems


def resolve_population(spec: PopulationSpec, doc: YamlDocument, base_dir: Path, *,
                       section: str = "population", allow_outside: bool = False
                       ) -> tuple[PopulationInputs | None, list[Problem]]:
    """Read and check every table of a population section.

    Parameters
    ----------
    spec : PopulationSpec
        The validated section.
    doc : YamlDocument
        The scenario document (for error positions).
    base_dir : pathlib.Path
        Folder that CSV paths are relative to.
    section : str
        The section's key in the file (``population`` or ``registered_population``); problems
        are located under it.
    allow_outside : bool
        The scenario's ``allow_files_outside``: CSV paths may then be absolute or lead out of
        ``base_dir`` (refused otherwise, :func:`carefacility.base.files.input_file`).

    Returns
    -------
    (PopulationInputs or None, list of Problem)
    """
    r = _Resolver(doc, base_dir, section, allow_outside=allow_outside)
    base_year = spec.base_date.year
    if not (base_year + 1 <= spec.horizon_year <= base_year + 100):
        r.at((section, "horizon_year"),
             f"{spec.horizon_year} must be 1 to 100 years after the base date's year {base_year}")
    zones, base_table = _base_population(r, spec.base_population)
    mortality = _mortality(r, spec.mortality)
    tfr, pattern, asfr = _fertility(r, spec.fertility, base_year)
    srb = r.time_path((section, "sex_ratio_at_birth"), spec.sex_ratio_at_birth, base_year,
                      minimum=0.8, maximum=1.4, unit="male births per female birth")
    net, migration_counts = _migration(r, spec.migration, base_year)
    if not r.problems and base_table is not None:
        _emptying_migration(r, spec, base_table, net, migration_counts)
    if r.problems or base_table is None or mortality is None:
        return None, r.problems
    return PopulationInputs(
        basis=spec.basis,
        base_date=spec.base_date,
        horizon_year=spec.horizon_year,
        report_date=spec.report_date,
        zones=zones,
        base_population=base_table,
        mortality_measure=spec.mortality.measure,
        mortality=mortality,
        mortality_improvement_rate_per_year=spec.mortality.improvement_rate_per_year,
        tfr=tfr,
        fertility_pattern=pattern,
        asfr=asfr,
        sex_ratio_at_birth=srb,
        net_migration=net,
        migration_share_male=spec.migration.share_male,
        migration_counts=migration_counts,
    ), []
