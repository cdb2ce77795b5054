"""Registered (户籍) populations: the base from published age bands, the derived net inflow.

Plans count their ratios ("beds per 1,000 elders") on registered elders, while the census counts
residents; a scenario may project both (``population:`` and ``registered_population:``). The
registered basis is built from what civil-affairs and ageing offices publish every year:

Base population
---------------
Registered elderly counts are published as cumulative counts (60+, 65+, 70+, 80+) with the
registered total at the year end, but not by single year of age or sex. The base is the place's
census table (a *reference structure*), reweighted with ``base_population.match_shares`` to the
published bands and rescaled with ``base_population.scale_to_total`` to the registered total:

1. :func:`band_shares` turns the cumulative counts into disjoint bands ``60-64, 65-69, 70-79,
   80+`` (DERIVED: 60-64 = 60+ − 65+, ...) as shares of the registered total;
2. :func:`~carefacility.population.inputs.match_band_shares` gives each band exactly its share
   (the chi-square closest structure; with one share per band and the rest ``0-59`` the
   solution is exact) and keeps the census structure inside each band, by sex and 5-year group;
3. the table is scaled to the registered total, so each band holds the published count to
   rounding; graduation to single years keeps every 5-year group's total.

What stays an ASSUMPTION: the census (resident) structure inside each band and below 60 (it
includes migrants, who are young) and the sex ratio inside each band.

Net inflow (registered migration)
---------------------------------
A registered population changes by births, deaths and net registration moves (户口迁入 − 迁出:
hukou transfers of graduates, workers and their families, elderly parents joining children).
:func:`net_inflow_from_totals` derives a default yearly net inflow from the published totals
up to the base year::

    net inflow = (P(last) − P(first)) / (last − first)  −  (births − deaths)

the mean yearly change of the published registered totals minus the natural change that the
scenario's own rates (fitted mortality, fertility) give the registered base population in the
first projection year (closed). The natural change of the first projection year stands in for
the years of the series: an ASSUMPTION (deaths rise and births fall over time, so the earlier
years' natural change was somewhat higher and the inflow is, if anything, overstated). The
inflow is spread over ages by the Rogers–Castro profile like any ``net_per_year``.

Shanghai (``scenarios/shanghai.yaml``): the registered total rose from 1442.97万 (2015) to
1478.09万 (2020), +70,240 a year; the registered base of the end of 2020 with Shanghai's
registered e0 of 2020 and the census TFR has 61,203 births and 146,558 deaths in 2021, so the
net inflow is 70,240 + 85,355 = 155,595 a year (the scenario writes 155,600).

:func:`elderly_cohort_residual` cross-checks the older ages: it survives the registered base
backwards with the scenario's mortality and compares the implied earlier 60+ with a published
earlier 60+; the difference is the net registration of those elders over the interval.

Only years up to the base year may be used (calibration); later published figures are for
back-tests.
"""

from __future__ import annotations

import dataclasses
import itertools
import math
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from carefacility.population.ages import N_AGES, OPEN_AGE, parse_age_group
from carefacility.population.inputs import PopulationInputs, TimePath, base_time
from carefacility.population.lifetable import projection_survival, single_year_mx
from carefacility.population.mortality_fit import rates_at
from carefacility.population.projection import _qx_to_mx, project_population

__all__ = [
    "CohortResidual",
    "NetInflowEstimate",
    "band_shares",
    "elderly_cohort_residual",
    "net_inflow_from_totals",
]


def band_shares(total: float, at_least: Mapping[int, float]) -> dict[str, float]:
    """Shares of the total in disjoint age bands from cumulative counts.

    Parameters
    ----------
    total : float
        The whole population [persons].
    at_least : mapping of int to float
        Persons aged at least each age, e.g. ``{60: 5_334_900, 65: 3_824_400, 70: 2_334_700,
        80: 825_300}`` [persons]; decreasing with age.

    Returns
    -------
    dict of str to float
        ``{"60-64": ..., "65-69": ..., "70-79": ..., "80+": ...}`` [fraction of ``total``]:
        the ``match_shares`` of a registered base.

    Raises
    ------
    ValueError
        If the counts do not decrease with age or exceed the total.

    Examples
    --------
    >>> band_shares(100, {60: 30, 80: 5})
    {'60-79': 0.25, '80+': 0.05}
    """
    ages = sorted(at_least)
    counts = [float(at_least[age]) for age in ages]
    if not ages or not (0 < total) or any(c < 0 for c in counts):
        raise ValueError("give a positive total and counts >= 0 by age")
    if counts[0] > total or any(b > a for a, b in itertools.pairwise(counts)):
        raise ValueError("cumulative counts must fall with age and not exceed the total")
    shares: dict[str, float] = {}
    for (age, count), following in zip(zip(ages, counts, strict=True),
                                       [*ages[1:], None], strict=True):
        if following is None:
            shares[f"{age}+"] = count / total
        else:
            shares[f"{age}-{following - 1}"] = (count - float(at_least[following])) / total
    return shares


@dataclass(frozen=True)
class NetInflowEstimate:
    """The derived net inflow of a registered population (:func:`net_inflow_from_totals`).

    Attributes
    ----------
    first_year, last_year : int
        The published totals used [calendar year, year end].
    total_change_per_year : float
        Mean yearly change of the published totals [persons per year].
    births, deaths : float
        Of the first projection year, closed, with the scenario's rates [persons].
    net_inflow_per_year : float
        ``total_change_per_year − (births − deaths)`` [persons per year].
    """

    first_year: int
    last_year: int
    total_change_per_year: float
    births: float
    deaths: float
    net_inflow_per_year: float


def _closed(inputs: PopulationInputs, years: int) -> PopulationInputs:
    base_year = inputs.base_date.year
    horizon = max(base_year + 1, math.ceil(base_time(inputs.base_date)) - 1 + years)
    return dataclasses.replace(
        inputs, horizon_year=horizon, migration_counts=None,
        net_migration=TimePath(np.array([float(base_year)]), np.array([0.0])))


def net_inflow_from_totals(inputs: PopulationInputs, totals: Mapping[int, float]
                           ) -> NetInflowEstimate:
    """Yearly net inflow of a registered population from its published totals.

    Parameters
    ----------
    inputs : PopulationInputs
        The registered population (its base, mortality and fertility; its migration is
        ignored).
    totals : mapping of int to float
        Published registered totals at the end of each year [persons], at least two years, none
        after the base date (later figures are for back-tests).

    Returns
    -------
    NetInflowEstimate

    Raises
    ------
    ValueError
        With fewer than two years, or a year after the base date.
    """
    years = sorted(totals)
    if len(years) < 2:
        raise ValueError("give the published totals of at least two years")
    if years[-1] + 1 > base_time(inputs.base_date) + 1e-9:
        raise ValueError(f"total of {years[-1]} is after the base date {inputs.base_date}: "
                         "calibrate with years up to the base only (later ones are for "
                         "back-tests)")
    change = (float(totals[years[-1]]) - float(totals[years[0]])) / (years[-1] - years[0])
    first = project_population(_closed(inputs, 1)).components
    step = first[first["step_start"] == first["step_start"].min()]
    births, deaths = float(step["births"].sum()), float(step["deaths"].sum())
    return NetInflowEstimate(years[0], years[-1], change, births, deaths,
                             change - (births - deaths))


@dataclass(frozen=True)
class CohortResidual:
    """Net registration of the elders of an earlier year, from a cohort comparison.

    Attributes
    ----------
    earlier_year : int
        Year end of the published earlier count.
    published_60plus : float
        Published persons aged 60+ at the end of ``earlier_year`` [persons].
    implied_60plus : float
        Persons aged 60+ then implied by surviving the base population aged ``60 + n`` and
        over backwards, closed [persons].
    net_per_year : float
        Net registration of that cohort per year, counted at the base date
        [persons per year]; positive: more registered elders came than left.
    """

    earlier_year: int
    published_60plus: float
    implied_60plus: float
    net_per_year: float


def elderly_cohort_residual(inputs: PopulationInputs, earlier_year: int,
                            published_60plus: float) -> CohortResidual:
    """Compare the base population's elders with a published earlier count of 60+.

    With ``n`` = base year − ``earlier_year``, the base population aged ``60 + n`` and over is
    survived backwards year by year with the scenario's death rates of each year (closed) to
    the persons aged 60+ at the end of ``earlier_year`` it implies. If the published count is
    smaller, registered elders were added (net) over the interval: the base's ``60 + n``-and-over
    are ``implied`` survivors scaled by ``published / implied`` plus the net registrations.

    Parameters
    ----------
    inputs : PopulationInputs
        A registered population whose base date is a year end (31 December).
    earlier_year : int
        An earlier year end with a published 60+ [calendar year].
    published_60plus : float
        That count [persons].

    Returns
    -------
    CohortResidual
    """
    end = base_time(inputs.base_date)
    n = round(end) - 1 - earlier_year
    if abs(end - round(end)) > 1e-9 or not 1 <= n <= 30:
        raise ValueError("the base must be a year-end count and the earlier year 1 to 30 "
                         "years before it")
    mortality = inputs.mortality
    mx_starts = np.array([parse_age_group(label)[0] for label in mortality.age_groups])
    values = (_qx_to_mx(mortality.values, mx_starts) if inputs.mortality_measure == "qx"
              else mortality.values)
    survival = []
    for k in range(n):  # year k runs from end - n + k to end - n + k + 1
        nmx = rates_at(values, mortality.keys, end - n + k + 0.5)
        survival.append(projection_survival(single_year_mx(nmx, mx_starts)))
    # the base by single year (the projection's graduation), on its own report date
    projected = project_population(_closed(inputs, 1)).population
    first = projected[projected["year"] == projected["year"].min()]
    single = first.groupby(["sex", "age"])["population"].sum()
    population = np.stack([single.loc[sex].reindex(range(N_AGES)).to_numpy(float)
                           for sex in ("male", "female")])
    # backwards, P_{t-1}(x) = P_t(x+1) / S(x). The open group 100+ cannot be split into the
    # survivors of 99 and of 100+: it is taken as stationary (P_{t-1}(100+) = P_t(100+), so
    # P_{t-1}(99) = P_t(100+) (1 - S_open) / S(99)); it is a few thousandths of the elders
    current = population
    for schedule in reversed(survival):
        ratio = schedule.survival_to_next  # (2, 100): x -> x + 1
        earlier = np.zeros_like(current)
        earlier[:, :OPEN_AGE - 1] = current[:, 1:OPEN_AGE] / ratio[:, :OPEN_AGE - 1]
        earlier[:, OPEN_AGE - 1] = (current[:, OPEN_AGE] * (1.0 - schedule.survival_open)
                                    / ratio[:, OPEN_AGE - 1])
        earlier[:, OPEN_AGE] = current[:, OPEN_AGE]
        current = earlier
    implied = float(current[:, 60:].sum())
    survivors = float(population[:, 60 + n:].sum())
    net = survivors * (1.0 - published_60plus / implied) / n
    return CohortResidual(earlier_year, float(published_60plus), implied, net)
