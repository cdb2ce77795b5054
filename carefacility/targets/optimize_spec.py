"""The ``optimize:`` and ``costs:`` sections: how `carefacility optimize` searches for the
smallest sufficient plan, and what beds and waiting cost.

Both sections are optional. ``optimize:`` states the search's confidence, indifference zones,
replications, the years searched, the largest build rate and whether beds may be closed, and
the demographic variants of a robust search::

    optimize:
      confidence: 0.95              # one-sided, per candidate and constraint
      indifference_zone: 0.005      # shares: 0.5 percentage points
      replications: 10              # first stage of the sequential test
      max_replications: 80
      years: 2021-2030
      max_beds_built_per_year: 800
      robust:
        - {name: migration_low, set: ["population.migration.net_per_year=0"]}

``costs:`` gives the cost of a bed-year, of a new bed and of a day waited; with it the command
writes ``plan_costs.csv`` (the scenario's plan, the smallest sufficient one and each analytic
method's). There are no default costs: a scenario that has none writes no costs.

:func:`optimize_problems` checks what a field model cannot: the years against the simulated
years, the replications against each other.
"""

from __future__ import annotations

import re
from typing import Annotated, Literal

from pydantic import Field, field_validator

from carefacility.base.section import Section

__all__ = [
    "DEFAULT_INDIFFERENCE_ZONE",
    "DEFAULT_INDIFFERENCE_ZONE_DAYS",
    "DEFAULT_INDIFFERENCE_ZONE_PERSONS",
    "CostsSpec",
    "OptimizeSpec",
    "RobustVariantSpec",
    "optimize_problems",
    "parse_years",
]

DEFAULT_INDIFFERENCE_ZONE = 0.005
"""Indifference zone of share targets [fraction]: ASSUMPTION, half a percentage point — about
what one bed changes the service level of a pool of a few hundred beds at 95 % within 30 days
(Erlang C: 761 beds, load 730, 0.4 points a bed), so the search does not spend replications
telling apart plans that differ by less than a bed."""

DEFAULT_INDIFFERENCE_ZONE_DAYS = 1.0
"""Indifference zone of wait targets (``wait_p95_days``, ``wait_mean_days``) [days]:
ASSUMPTION, one day."""

DEFAULT_INDIFFERENCE_ZONE_PERSONS = 5.0
"""Indifference zone of ``waiting_list_year_end`` targets [persons]: ASSUMPTION."""

_YEARS = re.compile(r"^\s*(\d{4})\s*(?:-|–|\.\.)\s*(\d{4})\s*$")

Money = Annotated[float, Field(ge=0, le=1e12, allow_inf_nan=False)]
BedType = Literal["general", "nursing", "dementia"]


def parse_years(value: str | int | list[int]) -> tuple[int, int]:
    """``"2021-2030"``, ``2025`` or ``[2021, 2030]`` as (first, last).

    Raises
    ------
    ValueError
        For any other form, or a last year before the first.
    """
    if isinstance(value, bool):
        raise ValueError(f"{value!r} is not a year range; write e.g. 2021-2030")
    if isinstance(value, int):
        return value, value
    if isinstance(value, list):
        if not value or not all(isinstance(v, int) and not isinstance(v, bool)
                                for v in value):
            raise ValueError(f"{value!r}: give whole years, e.g. [2021, 2030] or 2021-2030")
        first, last = min(value), max(value)
    else:
        text = str(value).strip()
        if text.isdigit() and len(text) == 4:
            return int(text), int(text)
        match = _YEARS.match(text)
        if match is None:
            raise ValueError(f"{value!r} is not a year range; write FIRST-LAST, e.g. 2021-2030")
        first, last = int(match[1]), int(match[2])
    if last < first:
        raise ValueError(f"{value!r}: the last year {last} is before the first {first}")
    return first, last


class RobustVariantSpec(Section):
    """A demographic variant the robust plan must also satisfy, as overrides of the scenario."""

    name: str = Field(min_length=1, max_length=80,
                      description="Short name of the variant, e.g. migration_low.")
    set: list[str] = Field(min_length=1, description="Overrides PATH=VALUE applied to the "
                           "scenario for this variant (as `--set`), e.g. "
                           "population.migration.net_per_year=0.")
    source: str = Field("", description="Why this variant: its source, or ASSUMPTION with the "
                        "reason.")


class OptimizeSpec(Section):
    """How `carefacility optimize` searches for the smallest sufficient plan."""

    confidence: float = Field(
        0.95, ge=0.5, le=0.999, allow_inf_nan=False,
        description="Confidence of each decision of the sequential test [fraction, one-sided]: "
        "a candidate plan is accepted when the lower confidence bound of its service level is "
        "at least the target minus the indifference zone.")
    indifference_zone: float = Field(
        DEFAULT_INDIFFERENCE_ZONE, gt=0, le=0.2, allow_inf_nan=False,
        description="Indifference zone of share targets [fraction]: service levels closer to "
        "the target than this are not told apart (default 0.005, an ASSUMPTION).")
    indifference_zone_days: float = Field(
        DEFAULT_INDIFFERENCE_ZONE_DAYS, gt=0, le=365, allow_inf_nan=False,
        description="Indifference zone of wait targets (wait_p95_days, wait_mean_days) [days] "
        "(default 1, an ASSUMPTION).")
    indifference_zone_persons: float = Field(
        DEFAULT_INDIFFERENCE_ZONE_PERSONS, gt=0, le=1e6, allow_inf_nan=False,
        description="Indifference zone of waiting_list_year_end targets [persons] (default 5, "
        "an ASSUMPTION).")
    replications: int = Field(
        10, ge=2, le=10_000, description="Replications of the first stage of the sequential "
        "test of each candidate; later stages double them up to max_replications.")
    max_replications: int = Field(
        40, ge=2, le=100_000, description="Most replications of one candidate; a candidate "
        "still undecided then counts as not sufficient (the plan errs towards more beds).")
    verification_replications: int = Field(
        20, ge=2, le=100_000, description="Fresh replications (indices not used by the search) "
        "of the final plan, of the plan with one bed fewer of each type, of the scenario's own "
        "plan and of each analytic method's plan: the figures of optimize_summary.csv.")
    years: str | int | list[int] | None = Field(
        None, description="Plan years to optimise, FIRST-LAST (e.g. 2021-2030); default every "
        "simulated year. Earlier years keep the scenario's plan; the simulation stops after "
        "the last.")
    max_beds_built_per_year: int | None = Field(
        None, ge=0, le=10_000_000, description="Most beds added in one year, all zones and "
        "types together [beds per year]; default no limit.")
    allow_closures: bool = Field(
        False, description="Let the plan have fewer beds than are built at the start, and "
        "fewer in a year than in the year before (beds close as their residents leave). "
        "Default false: built beds are a floor and capacity only grows.")
    upper_bound_margin: float = Field(
        1.5, ge=1.0, le=10.0, allow_inf_nan=False,
        description="The search looks no higher than the largest analytic answer (AFM, SIPP, "
        "lagged SIPP) times this [-] (default 1.5, an ASSUMPTION); a target not met there is "
        "reported as not reachable within the bounds.")
    mortality_band: bool = Field(
        True, description="With --robust: also size against the projection with every death "
        "rate 10 % lower and 10 % higher (the band of the population charts, an ASSUMPTION).")
    robust: list[RobustVariantSpec] = Field(
        default_factory=list, description="With --robust: further demographic variants "
        "(e.g. migration high and low) as override sets; the robust plan meets the service "
        "level in every variant (per year and type, the most beds any variant needs).")

    @field_validator("years")
    @classmethod
    def _years(cls, value: str | int | list[int] | None) -> str | int | list[int] | None:
        if value is not None:
            parse_years(value)
        return value

    @property
    def year_range(self) -> tuple[int, int] | None:
        """``years`` as (first, last), or None for every simulated year."""
        return None if self.years is None else parse_years(self.years)


class CostsSpec(Section):
    """What beds and waiting cost, for ``plan_costs.csv``; no defaults (give a source)."""

    currency: str = Field("CNY", min_length=1, max_length=12,
                          description="Unit of money of the costs, e.g. CNY or 万元.")
    per_bed_year: Money | dict[BedType, Money] = Field(
        0.0, description="Running cost of one bed in force for a year [currency per bed-year]; "
        "one figure, or one per bed type {general: ..., nursing: ..., dementia: ...}.")
    per_new_bed: Money | dict[BedType, Money] = Field(
        0.0, description="One-off cost of opening a bed [currency per bed]; one figure or one "
        "per bed type.")
    per_day_waited: Money = Field(
        0.0, description="Cost of one applicant waiting one day [currency per person-day] "
        "(e.g. care paid for at home meanwhile).")
    source: str = Field("", description="Where the figures come from, or ASSUMPTION with the "
                        "reason.")

    def by_type(self, field: Literal["per_bed_year", "per_new_bed"]) -> tuple[float, ...]:
        """The cost for each bed type (general, nursing, dementia)."""
        value = getattr(self, field)
        if isinstance(value, dict):
            return tuple(float(value.get(name, 0.0)) for name in ("general", "nursing",
                                                                 "dementia"))
        return (float(value),) * 3


def optimize_problems(spec: OptimizeSpec, first_year: int, last_year: int
                      ) -> list[tuple[tuple[str | int, ...], str]]:
    """Problems of the ``optimize:`` section a field model cannot see.

    Parameters
    ----------
    spec : OptimizeSpec
    first_year, last_year : int
        The simulated years [calendar year].

    Returns
    -------
    list of (path inside ``optimize``, message)
    """
    problems: list[tuple[tuple[str | int, ...], str]] = []
    if spec.year_range is not None:
        first, last = spec.year_range
        outside = [year for year in (first, last) if not first_year <= year <= last_year]
        if outside:
            problems.append((("years",), f"{outside[0]} is outside the simulated years "
                             f"{first_year}-{last_year}"))
    if spec.max_replications < spec.replications:
        problems.append((("max_replications",), f"{spec.max_replications} is fewer than "
                         f"optimize.replications ({spec.replications}); give at least as many"))
    names = [variant.name for variant in spec.robust]
    for index, name in enumerate(names):
        if name in names[:index]:
            problems.append((("robust", index, "name"), f"variant name {name!r} is used twice"))
    return problems
