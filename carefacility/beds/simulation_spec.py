"""The ``simulation:`` section: how to simulate the plan, and demand, stays and patience given
directly (textbook cases).

The section says how the plan is simulated: the waiting rules (discipline, priority order,
placement, the longest waiting list) and, optionally, what the engine is given directly instead
of the care-need model — ``arrivals`` (applicants per day or year, with a linear trend),
``stays`` (lengths of stay from a distribution) and ``waiting_exits`` (the rates at which
waiting applicants withdraw or die). With ``arrivals`` and ``stays`` a scenario needs no
population: the textbook queues (Erlang B, C, A, priority, M(t)/G/∞) are written as files.
:func:`simulation_problems` checks the section against the plan
(:mod:`carefacility.beds.plan`) and :func:`direct_arrivals`, :func:`stay_distribution` and
:func:`waiting_exit_rates` turn it into the engine's arrays.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Annotated, Any, Literal

import numpy as np
from pydantic import AfterValidator, Discriminator, Field, Tag

from carefacility.base.errors import Problem, did_you_mean, format_path, name_list
from carefacility.base.section import Section
from carefacility.base.yaml_source import MAX_MAGNITUDE, YamlDocument
from carefacility.beds.engine_spec import DAYS_PER_YEAR, StayDistribution
from carefacility.beds.plan import (
    MAX_DAYS,
    Count,
    Fraction,
    PlanArrays,
    PlanSpec,
    StartingStateSpec,
)

__all__ = [
    "LEVEL_NAMES",
    "MAX_RATE",
    "ArrivalsSpec",
    "SimulationSpec",
    "StaysSpec",
    "WaitingExitsSpec",
    "arrival_zone_shares",
    "direct_arrivals",
    "levels_in_use",
    "simulation_problems",
    "stay_distribution",
    "waiting_exit_rates",
]

LEVEL_NAMES = ("independent", "partially_dependent", "dependent", "dementia")

Level = Literal["independent", "partially_dependent", "dependent", "dementia"]
MAX_RATE = 1e8
"""Largest rate a field takes, in its own unit (applicants a day or a year, exits a day or a
year): a whole nation's applicants are far fewer."""

NonNegative = Annotated[float, Field(ge=0, le=MAX_RATE, allow_inf_nan=False)]
Positive = Annotated[float, Field(gt=0, le=MAX_RATE, allow_inf_nan=False)]
Finite = Annotated[float, Field(ge=-MAX_RATE, le=MAX_RATE, allow_inf_nan=False)]
MIN_DAYS = 0.001
"""Shortest time a field in days takes (about a minute and a half): a shorter one is a unit
mistake, and would make the closed-form cross-checks overflow."""


def _at_least(minimum: float, what: str) -> AfterValidator:
    """A validator refusing positive values below ``minimum`` (zero is refused by ``gt=0``
    with pydantic's own message)."""

    def check(value: float) -> float:
        if value < minimum:
            raise ValueError(f"{value:g} is below {minimum:g} {what}; check the unit")
        return value

    return AfterValidator(check)


Days = Annotated[float, Field(gt=0, le=MAX_DAYS, allow_inf_nan=False),
                 _at_least(MIN_DAYS, "days")]
"""A positive time in days, from :data:`MIN_DAYS` to
:data:`~carefacility.beds.plan.MAX_DAYS` (100 years)."""


def _number_or_levels(value: Any) -> str:
    """Which member of a "number or level → number" union a value is (the tags contain "[" so
    that error locations leave them out)."""
    return "[by level]" if isinstance(value, dict) else "[number]"


NonNegativeByLevel = Annotated[
    Annotated[NonNegative, Tag("[number]")] | Annotated[dict[Level, NonNegative],
                                                        Tag("[by level]")],
    Discriminator(_number_or_levels)]
"""A number ≥ 0 for every care level, or a mapping level → number ≥ 0."""

DaysByLevel = Annotated[
    Annotated[Days, Tag("[number]")] | Annotated[dict[Level, Days], Tag("[by level]")],
    Discriminator(_number_or_levels)]
"""A time in days (> 0, at most 100 years) for every care level, or a mapping level → days."""

StayValues = Annotated[list[Days], Field(min_length=1, max_length=100_000)]

StayValuesByLevel = Annotated[
    Annotated[StayValues, Tag("[number]")] | Annotated[dict[Level, StayValues],
                                                       Tag("[by level]")],
    Discriminator(_number_or_levels)]
"""A list of observed stays for every care level, or a mapping level → list."""


def _distinct(values: list[str]) -> list[str]:
    if len(set(values)) != len(values):
        raise ValueError(f"bed types must not repeat (got {values})")
    return values


class ArrivalsSpec(Section):
    """Applicants for a bed given directly, instead of the care-need model's applicants.

    The rate at time ``t`` after ``simulation.start_date`` is ``rate + trend · t``, split over
    the care levels like the rate and over the zones by ``zone_shares``; arrivals are Poisson.
    """

    per_day: NonNegativeByLevel | None = Field(
        None, description="Applicants per day [1/day]: one number (all applicants, at "
        "`level`) or a mapping care level → applicants per day (levels not given: 0). Give "
        "per_day or per_year.")
    per_year: NonNegativeByLevel | None = Field(
        None, description="Applicants per year [1/year] (365 days), as per_day. Give per_day "
        "or per_year.")
    level: Level | None = Field(
        None, description="Care level of all applicants when the rate is one number; default "
        "independent.")
    trend_per_day_per_day: Finite | None = Field(
        None, description="Change of the total rate per day [1/day per day], with per_day: "
        "the rate t days after the start is per_day + trend_per_day_per_day · t. Default 0.")
    trend_per_year_per_year: Finite | None = Field(
        None, description="Change of the total rate per year [1/year per year], with "
        "per_year: the rate t years after the start is per_year + trend_per_year_per_year · t. "
        "Default 0.")
    zone_shares: dict[str, Fraction] | None = Field(
        None, description="Share of the applicants in each zone [fractions summing to 1]; "
        "zones not given get none. Default: the plan's zones' share_of_elderly, or all in the "
        "plan's only zone.")


class StaysSpec(Section):
    """Lengths of stay drawn from a distribution instead of the care-need chain: residents
    then never change care level, and every departure counts as a discharge."""

    distribution: Literal["exponential", "lognormal", "gamma", "deterministic",
                          "empirical"] = Field(
        description="Family of the length of stay: exponential, lognormal (give sigma), gamma "
        "(give shape), deterministic (every stay is the mean) or empirical (drawn from "
        "values_days).")
    mean_days: DaysByLevel | None = Field(
        None, description="Mean length of stay [days], at most 36,500: one number or a "
        "mapping care level → days. Required except for empirical.")
    sigma: Annotated[float, Field(ge=0, le=10, allow_inf_nan=False)] | None = Field(
        None, description="lognormal only: standard deviation of the logarithm of the stay "
        "[-], 0 to 10.")
    shape: Annotated[float, Field(gt=0, le=1e6, allow_inf_nan=False),
                     _at_least(1e-3, "(a shape k)")] | None = Field(
        None, description="gamma only: shape k [-], 0.001 to 10^6 (1 is exponential; the "
        "coefficient of variation is 1/√k).")
    values_days: StayValuesByLevel | None = Field(
        None, description="empirical only: observed stays [days], a list or a mapping care "
        "level → list; a stay is drawn from them with equal probability, and the mean is "
        "theirs (give no mean_days).")


class WaitingExitsSpec(Section):
    """Rates at which waiting applicants leave the list, replacing the care-need model's
    (withdrawal rates and life-table deaths). Rates not given are 0."""

    withdrawal_rate_per_day: NonNegativeByLevel | None = Field(
        None, description="Withdrawal rate of a waiting applicant [1/day]: one number or a "
        "mapping care level → rate (patience is exponential with mean 1/rate).")
    withdrawal_rate_per_year: NonNegativeByLevel | None = Field(
        None, description="Withdrawal rate [1/year], instead of withdrawal_rate_per_day.")
    death_rate_per_day: NonNegativeByLevel | None = Field(
        None, description="Death rate of a waiting applicant [1/day]: one number or a mapping "
        "care level → rate.")
    death_rate_per_year: NonNegativeByLevel | None = Field(
        None, description="Death rate [1/year], instead of death_rate_per_day.")


def _distinct_criteria(values: list[str]) -> list[str]:
    if len(set(values)) != len(values):
        raise ValueError("criteria must not repeat")
    return values


class SimulationSpec(Section):
    """How to simulate the plan."""

    start_date: dt.date = Field(description="First simulated day (e.g. 2021-01-01).")
    years: int = Field(ge=1, le=50, description="Years simulated.")
    replications: int = Field(20, ge=1, le=10_000, description="Independent replications.")
    seed: int = Field(0, ge=0, le=MAX_MAGNITUDE, description="Seed of the named random "
                      "streams (0 to 10^12).")
    waiting_discipline: Literal["fifo", "priority", "longest_wait"] = Field(
        "fifo", description="Who gets a freed bed: first come first served; priority for "
        "dependent, low-income (特困) and 80+ applicants; or the longest wait in any zone."
    )
    eligible_bed_types: dict[Literal["independent", "partially_dependent", "dependent",
                                     "dementia"],
                             Annotated[list[Literal["general", "nursing", "dementia"]],
                                       Field(min_length=1, max_length=3),
                                       AfterValidator(_distinct)]] | None = Field(
        None,
        description="Bed types each care level may be admitted to, preferred first; levels "
        "not given keep the default. Default (as homes admit in practice): independent and "
        "partially dependent → general, else nursing; dependent → nursing; dementia → "
        "dementia, then nursing (carefacility.beds.engine_spec). A rule that keeps "
        "nursing-type beds for dependent elders only, e.g. {independent: [general], "
        "partially_dependent: [general]}, must be stated here; the run then reports the "
        "default rule beside it (table eligibility_alternative).",
    )
    alternative_rule_replications: int = Field(
        5, ge=0, le=10_000, description="Replications of a second run under the other "
        "eligibility rule (the default if the scenario states another, else nursing-type "
        "beds for dependent levels only), same seed and random streams, reported in the table "
        "eligibility_alternative; at most the run's replications; 0 skips it."
    )
    overflow_to_general: bool = Field(
        True, description="Dependent and dementia applicants may take a general bed when no "
        "suitable bed is free (they then wait for a transfer)."
    )
    allow_other_zones: bool = Field(True, description="Applicants may go to other zones' "
                                    "homes when their own zone has no free bed.")
    admitted_within_days: float = Field(30.0, gt=0, le=MAX_DAYS, allow_inf_nan=False,
                                        description="T in 'share of applicants admitted "
                                        "within T days' [days], at most 36,500.")
    warmup_days: float = Field(0.0, ge=0, le=3650, allow_inf_nan=False,
                               description="Days simulated before the start with the first "
                               "year's demand (not reported) [days].")
    max_waiting: Count | None = Field(
        None, description="Longest waiting list [persons]: an applicant who finds no free bed "
        "and a full list is turned away (KPI blocked). 0 = a loss system (nobody waits, "
        "Erlang B). Omitted: no limit.")
    priority_order: Annotated[list[Literal["care_need", "low_income", "age_80plus"]],
                              Field(min_length=1, max_length=3),
                              AfterValidator(_distinct_criteria)] | None = Field(
        None, description="With waiting_discipline: priority, the criteria of the rank, most "
        "important first: care_need (dependent or dementia), low_income (特困), age_80plus. "
        "Default: all three in that order.")
    placement: Literal["zone_then_type", "type_then_zone"] = Field(
        "zone_then_type", description="Where an applicant looks for a free bed: every "
        "acceptable bed type in the own zone, then in other zones (zone_then_type); or the "
        "preferred type in the own zone then other zones, then the next type (type_then_zone).")
    arrivals: ArrivalsSpec | None = Field(
        None, description="Applicants given directly instead of the care-need model's "
        "(per_day or per_year, by level, with a linear trend). With `stays` too, the scenario "
        "needs no population.")
    stays: StaysSpec | None = Field(
        None, description="Lengths of stay from a distribution instead of the care-need "
        "chain (residents then keep their care level).")
    waiting_exits: WaitingExitsSpec | None = Field(
        None, description="Withdrawal and death rates of waiting applicants, replacing the "
        "care-need model's; rates not given are 0. Omitted: the care-need model's rates (0 "
        "without a population).")


# --------------------------------------------------------------------------------------------
# checks across sections, and the engine's arrays
# --------------------------------------------------------------------------------------------
def _by_level(value: float | Mapping[str, Any] | None, level: str | None = None
              ) -> np.ndarray:
    """A "number or level → number" field as ``(4,)`` by :data:`LEVEL_NAMES`: a mapping's
    levels not given are 0; one number holds for every level, or for ``level`` alone."""
    out = np.zeros(len(LEVEL_NAMES))
    if value is None:
        return out
    if isinstance(value, Mapping):
        for name, number in value.items():
            out[LEVEL_NAMES.index(name)] = float(number)
    elif level is not None:
        out[LEVEL_NAMES.index(level)] = float(value)
    else:
        out[:] = float(value)
    return out


def _arrival_rate_and_trend(arrivals: ArrivalsSpec) -> tuple[np.ndarray, float]:
    """Applicants per day at the start by level ``(4,)`` [1/day] and the trend of their total
    [1/day per day] (per-year figures converted with 365 days a year)."""
    per_year = arrivals.per_day is None
    value = arrivals.per_year if per_year else arrivals.per_day
    rate = _by_level(value, arrivals.level or "independent")
    if per_year:
        rate = rate / DAYS_PER_YEAR
    trend = 0.0
    if arrivals.trend_per_day_per_day is not None:
        trend = float(arrivals.trend_per_day_per_day)
    elif arrivals.trend_per_year_per_year is not None:
        trend = float(arrivals.trend_per_year_per_year) / DAYS_PER_YEAR**2
    return rate, trend


def _level_split(arrivals: ArrivalsSpec, rate: np.ndarray) -> np.ndarray:
    """How the trend of the total rate is shared over the levels: like the rate (all at
    ``level`` for one number; evenly over the four levels when every rate is 0)."""
    total = rate.sum()
    if total > 0:
        return rate / total
    value = arrivals.per_day if arrivals.per_day is not None else arrivals.per_year
    if isinstance(value, Mapping):
        return np.full(len(LEVEL_NAMES), 1.0 / len(LEVEL_NAMES))
    return _by_level(1.0, arrivals.level or "independent")


def arrival_zone_shares(arrivals: ArrivalsSpec, plan: PlanArrays) -> np.ndarray:
    """Share of the applicants in each plan zone [fractions summing to 1], shape (n_zones,).

    ``arrivals.zone_shares`` (normalised to sum to exactly 1), else the plan's
    ``share_of_elderly``, else all in the plan's only zone.

    Raises
    ------
    ValueError
        With several zones and no shares (:func:`simulation_problems` reports it located).
    """
    if arrivals.zone_shares is not None:
        shares = np.array([arrivals.zone_shares.get(zone, 0.0) for zone in plan.zones])
    elif plan.zone_shares is not None:
        shares = np.asarray(plan.zone_shares, dtype=float)
    elif len(plan.zones) == 1:
        shares = np.ones(1)
    else:
        raise ValueError("simulation.arrivals.zone_shares is needed with several zones")
    return shares / shares.sum()


def direct_arrivals(arrivals: ArrivalsSpec, zone_shares: np.ndarray, n_years: int
                    ) -> tuple[np.ndarray, np.ndarray]:
    """The engine's arrival arrays from ``simulation.arrivals``.

    Parameters
    ----------
    arrivals : ArrivalsSpec
    zone_shares : numpy.ndarray, shape (n_zones,)
        Share of the applicants in each zone (:func:`arrival_zone_shares`).
    n_years : int
        Model years of 365 days.

    Returns
    -------
    arrival_rate_per_day : numpy.ndarray, shape (n_years, n_zones, 4)
        Mean rate of each model year [1/day]: with rate ``r`` at the start and trend ``g``,
        year ``y``'s mean is ``r + g (365 y + 182.5)`` (the rate at the year's middle day).
    arrival_trend_per_day_per_day : numpy.ndarray, shape (n_years, n_zones, 4)
        ``g`` by zone and level, the same every year [1/day per day]: within year ``y`` the
        rate on day ``t`` is ``arrival_rate_per_day[y] + g (t - (365 y + 182.5))``.

    Notes
    -----
    Rates and trends are split over the levels alike (the trend of the total rate in
    proportion to the rates by level) and over the zones by ``zone_shares``. Per-year figures
    are converted with 365 days a year: ``per_year / 365`` [1/day] and
    ``trend_per_year_per_year / 365²`` [1/day per day].
    """
    rate, trend = _arrival_rate_and_trend(arrivals)
    trend_by_level = trend * _level_split(arrivals, rate)
    middle_days = DAYS_PER_YEAR * np.arange(n_years) + DAYS_PER_YEAR / 2
    yearly = rate[None, :] + trend_by_level[None, :] * middle_days[:, None]  # (years, 4)
    shares = np.asarray(zone_shares, dtype=float)
    rates = np.maximum(yearly[:, None, :] * shares[None, :, None], 0.0)
    trends = np.broadcast_to(trend_by_level[None, None, :] * shares[None, :, None],
                             rates.shape).copy()
    return rates, trends


def stay_distribution(stays: StaysSpec) -> StayDistribution:
    """The engine's length-of-stay distribution from ``simulation.stays``.

    Levels a mapping leaves out (which no applicant or resident has, see
    :func:`simulation_problems`) get the first level's figures.

    Parameters
    ----------
    stays : StaysSpec

    Returns
    -------
    StayDistribution
        ``kind`` = ``distribution``, ``mean_days`` by level [days] (for empirical, the mean
        of the values), ``gamma_shape`` = ``shape``, ``lognormal_sigma`` = ``sigma``, and for
        empirical ``values_days``: one array for every level, or a tuple of four arrays.
    """
    kwargs: dict[str, Any] = {}
    if stays.distribution == "empirical":
        assert stays.values_days is not None
        values = stays.values_days
        if isinstance(values, Mapping):
            first = next(iter(values.values()))
            per_level = tuple(np.asarray(values.get(level, first), dtype=float)
                              for level in LEVEL_NAMES)
            kwargs["values_days"] = per_level
            mean = np.array([array.mean() for array in per_level])
        else:
            kwargs["values_days"] = np.asarray(values, dtype=float)
            mean = np.full(len(LEVEL_NAMES), float(np.mean(values)))
    else:
        assert stays.mean_days is not None
        given = stays.mean_days
        if isinstance(given, Mapping):
            first = next(iter(given.values()))
            mean = np.array([float(given.get(level, first)) for level in LEVEL_NAMES])
        else:
            mean = np.full(len(LEVEL_NAMES), float(given))
    if stays.shape is not None:
        kwargs["gamma_shape"] = float(stays.shape)
    if stays.sigma is not None:
        kwargs["lognormal_sigma"] = float(stays.sigma)
    return StayDistribution(kind=stays.distribution, mean_days=mean, **kwargs)


def waiting_exit_rates(exits: WaitingExitsSpec) -> tuple[np.ndarray, np.ndarray]:
    """Withdrawal and death rates of waiting applicants by level ``(4,)`` [1/day] from
    ``simulation.waiting_exits`` (rates not given are 0; per-year rates / 365)."""
    def rate(per_day: Any, per_year: Any) -> np.ndarray:
        if per_day is not None:
            return _by_level(per_day)
        return _by_level(per_year) / DAYS_PER_YEAR

    return (rate(exits.withdrawal_rate_per_day, exits.withdrawal_rate_per_year),
            rate(exits.death_rate_per_day, exits.death_rate_per_year))


def levels_in_use(arrivals: ArrivalsSpec | None, state: StartingStateSpec | None,
                  need_used: bool) -> set[str]:
    """Care levels some applicant or resident can have: those that arrive (every level with
    the care-need model's applicants, ``arrivals`` None) and those of the starting residents
    and waiting list."""
    used: set[str] = set()
    if arrivals is None:
        used.update(LEVEL_NAMES)
    else:
        rate, trend = _arrival_rate_and_trend(arrivals)
        split = _level_split(arrivals, rate)
        used.update(level for level, r, s in zip(LEVEL_NAMES, rate, split, strict=True)
                    if r > 0 or (trend and s > 0))
    if state is not None:
        starting = state.census is not None or state.occupancy or state.observed is not None
        mixes = []
        if starting:
            mixes.append(state.resident_levels)
        if state.waiting_list_persons:
            mixes.append(state.waiting_list_levels or state.resident_levels)
        for mix in mixes:
            if mix is not None:
                used.update(level for level, share in mix.items() if share > 0)
            elif need_used:
                used.update(LEVEL_NAMES)
    return used


_SUB_SECTIONS: dict[str, type[Section]] = {
    "arrivals": ArrivalsSpec, "stays": StaysSpec, "waiting_exits": WaitingExitsSpec}


def _given(section: Section | Mapping[str, Any] | None) -> dict[str, Any]:
    """The fields a (sub-)section gives: a model's fields that are not None, or the file's
    keys with a value."""
    if isinstance(section, Mapping):
        items = section.items()
    elif isinstance(section, Section):
        items = iter(section)
    else:  # absent, or not a mapping (reported by pydantic)
        return {}
    return {key: value for key, value in items if value is not None}


def simulation_problems(simulation: SimulationSpec | Mapping[str, Any], plan: PlanSpec | None,
                        plan_arrays: PlanArrays | None, doc: YamlDocument, *,
                        need_used: bool) -> list[Problem]:
    """Located problems of ``simulation:`` that pydantic cannot see.

    Checks the priority order against the discipline; ``arrivals`` (one rate, its trend in
    the same unit, a total rate that stays ≥ 0, zone shares of the plan's zones summing to 1),
    ``stays`` (the fields of the chosen distribution, a stay for every level in use) and
    ``waiting_exits`` (one unit per rate); and that ``plan.starting_state.observed`` is not
    used with ``arrivals`` (it calibrates the application rate that arrivals replace).

    Parameters
    ----------
    simulation : SimulationSpec or mapping
        The validated section, or the file's mapping when the section has problems of its own:
        then which fields are given is checked on the file's keys, and the values of every
        sub-section valid on its own, so that all problems are reported at once.
    plan : PlanSpec or None
        The plan section (its starting state), None when absent or invalid.
    plan_arrays : PlanArrays or None
        The resolved plan (its zones), None when the plan has problems of its own.
    doc : YamlDocument
    need_used : bool
        Whether the care-need model is used (the scenario has a population).

    Returns
    -------
    list of Problem
    """
    problems: list[Problem] = []
    loc: tuple[str | int, ...] = ("simulation",)

    def at(location: tuple[str | int, ...], message: str, *, key: bool = False) -> None:
        problems.append(doc.problem(location, format_path(location), message, key=key))

    given = _given(simulation)
    valid: dict[str, Any] = {}
    for name, model in _SUB_SECTIONS.items():
        part = given.get(name)
        if isinstance(part, Section):
            valid[name] = part
        elif isinstance(part, Mapping):
            try:
                valid[name] = model.model_validate(part)
            except ValueError:
                pass
    discipline = given.get("waiting_discipline", "fifo")
    if "priority_order" in given and discipline in ("fifo", "longest_wait"):
        at((*loc, "priority_order"), "the priority order ranks applicants only with "
           f"waiting_discipline: priority (it is {discipline}); set the discipline to "
           "priority or remove priority_order")
    years = given.get("years")
    if not (isinstance(years, int) and not isinstance(years, bool) and 1 <= years <= 50):
        years = None
    state = plan.starting_state if plan is not None else None
    arrivals: ArrivalsSpec | None = valid.get("arrivals")
    if "arrivals" in given:
        problems += _arrival_structure_problems(_given(given["arrivals"]), doc)
        if arrivals is not None:
            problems += _arrival_value_problems(arrivals, years, plan_arrays, doc)
        if state is not None and state.observed is not None and need_used:
            at(("plan", "starting_state", "observed"), "observed residents calibrate the "
               "care-need model's application rate, which simulation.arrivals replaces; state "
               "the start with occupancy or census instead", key=True)
    if "stays" in given:
        problems += _stay_structure_problems(_given(given["stays"]), doc)
        stays: StaysSpec | None = valid.get("stays")
        if stays is not None and ("arrivals" not in given or arrivals is not None):
            problems += _stay_value_problems(stays, levels_in_use(arrivals, state, need_used),
                                             doc)
    exits = _given(given.get("waiting_exits"))
    for name in ("withdrawal_rate", "death_rate"):
        if f"{name}_per_day" in exits and f"{name}_per_year" in exits:
            at((*loc, "waiting_exits", f"{name}_per_year"), f"give {name}_per_day or "
               f"{name}_per_year, not both", key=True)
    return problems


def _arrival_structure_problems(given: Mapping[str, Any], doc: YamlDocument
                                ) -> list[Problem]:
    """Which fields ``simulation.arrivals`` gives: one rate, one trend in the rate's unit,
    ``level`` only with one number."""
    problems: list[Problem] = []
    loc: tuple[str | int, ...] = ("simulation", "arrivals")

    def at(location: tuple[str | int, ...], message: str) -> None:
        problems.append(doc.problem(location, format_path(location), message, key=True))

    units = [unit for unit in ("per_day", "per_year") if unit in given]
    if len(units) != 1:
        at((*loc, "per_year") if units else loc, "give per_day [applicants per day] or "
           "per_year [applicants per year], not both" if units else "give per_day "
           "[applicants per day] or per_year [applicants per year]")
    unit = units[0] if len(units) == 1 else None
    if unit is not None and "level" in given and isinstance(given[unit], Mapping):
        at((*loc, "level"), f"{unit} is given by level, so `level` (the level of one number) "
           "does not apply; remove it")
    trends = [name for name in ("trend_per_day_per_day", "trend_per_year_per_year")
              if name in given]
    if len(trends) == 2:
        at((*loc, "trend_per_year_per_year"), "give one trend, in the unit of the rate")
    elif trends and unit is not None and trends[0] != f"trend_{unit}_{unit}":
        at((*loc, trends[0]), f"the trend is in the rate's own unit: with {unit} give "
           f"trend_{unit}_{unit} [applicants {unit.replace('_', ' ')} per "
           f"{unit.removeprefix('per_')}]")
    shares = given.get("zone_shares")
    if isinstance(shares, Mapping) and all(
            isinstance(v, int | float) and not isinstance(v, bool) for v in shares.values()):
        total = float(sum(shares.values()))
        if not abs(total - 1.0) <= 0.005:
            location = (*loc, "zone_shares")
            problems.append(doc.problem(location, format_path(location),
                                        f"shares sum to {total:.3f}; they must sum to 1"))
    return problems


def _arrival_value_problems(arrivals: ArrivalsSpec, years: int | None,
                            plan: PlanArrays | None, doc: YamlDocument) -> list[Problem]:
    """The values of a valid ``simulation.arrivals``: a trend that can be split over the
    levels, a total rate ≥ 0 to the end, zone shares of plan zones summing to 1."""
    problems: list[Problem] = []
    loc: tuple[str | int, ...] = ("simulation", "arrivals")

    def at(location: tuple[str | int, ...], message: str, *, key: bool = False) -> None:
        problems.append(doc.problem(location, format_path(location), message, key=key))

    if (arrivals.per_day is None) == (arrivals.per_year is None):
        return problems  # reported by the structure check
    unit = "per_day" if arrivals.per_day is not None else "per_year"
    value = arrivals.per_day if arrivals.per_day is not None else arrivals.per_year
    trends = [name for name in ("trend_per_day_per_day", "trend_per_year_per_year")
              if getattr(arrivals, name) is not None]
    rate, trend = _arrival_rate_and_trend(arrivals)
    if trend and rate.sum() == 0 and isinstance(value, Mapping):
        at((*loc, trends[0]), f"every rate in {unit} is 0, so the trend cannot be split over "
           "the levels like the rate; give the level's rate as one number with `level`, or a "
           "small rate for each level that grows", key=True)
    end = rate.sum() + trend * DAYS_PER_YEAR * (years or 0)
    if trend < 0 and end < 0:
        scale = DAYS_PER_YEAR if unit == "per_year" else 1
        at((*loc, trends[0]), f"the total rate would fall to {end * scale:.6g} applicants "
           f"{unit.replace('_', ' ')} by the end of the {years} simulated years; a rate "
           "cannot be negative: reduce the decline or the years")
    shares = arrivals.zone_shares
    if plan is not None:
        if shares is not None:
            plan_zones = set(plan.zones)
            for zone in shares:
                if zone not in plan_zones:
                    at((*loc, "zone_shares", zone), f"zone {zone!r} is not a plan zone"
                       f"{did_you_mean(zone, plan.zones)}; zones: {name_list(plan.zones)}",
                       key=True)
        elif plan.zone_shares is None and len(plan.zones) > 1:
            at(loc, f"the plan has {len(plan.zones)} zones ({name_list(plan.zones)}) without "
               "share_of_elderly: give zone_shares (share of the applicants in each zone)",
               key=True)
    return problems


def _stay_structure_problems(given: Mapping[str, Any], doc: YamlDocument) -> list[Problem]:
    """Which fields ``simulation.stays`` gives for its distribution."""
    problems: list[Problem] = []
    loc: tuple[str | int, ...] = ("simulation", "stays")

    def at(location: tuple[str | int, ...], message: str) -> None:
        problems.append(doc.problem(location, format_path(location), message, key=True))

    kind = given.get("distribution")
    if kind not in ("exponential", "lognormal", "gamma", "deterministic", "empirical"):
        return problems  # missing or unknown: reported by pydantic
    if kind == "empirical":
        if "values_days" not in given:
            at(loc, "an empirical distribution draws from values_days: give the observed "
               "stays [days]")
        if "mean_days" in given:
            at((*loc, "mean_days"), "with an empirical distribution the mean is that of "
               "values_days; remove mean_days")
    else:
        if "mean_days" not in given:
            article = "an" if kind == "exponential" else "a"
            at(loc, f"{article} {kind} distribution needs mean_days (mean length of stay "
               "[days])")
        if "values_days" in given:
            at((*loc, "values_days"), "values_days is for distribution: empirical; remove "
               "it or change the distribution")
    for name, owner in (("sigma", "lognormal"), ("shape", "gamma")):
        if name in given and kind != owner:
            at((*loc, name), f"{name} is for distribution: {owner}; remove it")
        elif name not in given and kind == owner:
            what = ("standard deviation of the log stay [-]" if name == "sigma"
                    else "shape k [-]")
            at(loc, f"a {kind} distribution needs {name} ({what})")
    return problems


def _stay_value_problems(stays: StaysSpec, used: set[str], doc: YamlDocument
                         ) -> list[Problem]:
    """A stay for every care level in use when ``simulation.stays`` gives them by level."""
    problems: list[Problem] = []
    for name in ("mean_days", "values_days"):
        value = getattr(stays, name)
        if isinstance(value, Mapping):
            missing = [level for level in LEVEL_NAMES if level in used and level not in value]
            if missing:
                location = ("simulation", "stays", name)
                problems.append(doc.problem(location, format_path(location), (
                    f"no stay for {', '.join(missing)}, which applicants or residents have "
                    "(arrivals, resident_levels or waiting_list_levels); add "
                    f"{'it' if len(missing) == 1 else 'them'}")))
    return problems
