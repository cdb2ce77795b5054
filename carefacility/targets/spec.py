"""The ``targets:`` section: which KPI, which threshold, which years, and on which population
basis; every target is checked against the metrics carefacility can judge.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

from pydantic import Field

from carefacility.base.section import Section

__all__ = ["RENAMED_METRICS", "TARGET_METRICS", "TargetSpec", "target_problems"]

TARGET_METRICS: dict[str, tuple[str, str]] = {
    # metric: (default comparison, what it is)
    "beds": (">=", "care beds in total [beds]"),
    "beds.nursing": (">=", "nursing-type beds [beds]"),
    "beds.dementia": (">=", "dementia care beds [beds]"),
    "nursing_share": (">=", "nursing-type share of beds [fraction]"),
    "beds_per_1000_60plus": (">=", "beds per 1,000 persons aged 60+ [beds]"),
    "share_served_within_threshold": (
        ">=", "share of the year's applicants admitted within simulation.admitted_within_days "
        "(those who died, withdrew or were turned away count as not served) [fraction]"),
    "share_of_admissions_within_threshold": (
        ">=", "share of the year's admissions that waited at most "
        "simulation.admitted_within_days (admitted only: overstates the service level where "
        "applicants leave the list) [fraction]"),
    "p_wait": ("<=", "share of the year's applicants who found no free bed on arrival "
               "[fraction]"),
    "abandoned_share": ("<=", "share of the year's applicants who died or withdrew before "
                        "admission [fraction]"),
    "blocked_share": ("<=", "share of the year's applicants turned away by a full waiting "
                      "list (simulation.max_waiting) [fraction]"),
    "wait_p95_days": ("<=", "95th percentile wait of admissions [days]"),
    "wait_mean_days": ("<=", "mean wait of admissions [days]"),
    "waiting_list_year_end": ("<=", "persons waiting on 31 December"),
    "dependent_in_general_beds": ("<=", "dependent residents in general beds [persons]"),
    "day_centre.coverage_communities": (">=", "share of communities with a day-care centre"),
    "day_centre.coverage_elders": (">=", "share of elders with a day-care centre"),
    "meal_point.coverage_communities": (">=", "share of communities with a meal point"),
    "meal_point.coverage_elders": (">=", "share of elders with a meal point"),
    "day_centre.sites": (">=", "day-care centres open [centres]"),
    "meal_point.sites": (">=", "meal points open [meal points]"),
    "day_centre.turned_away_share": ("<=", "share of day-care visits turned away"),
    "meal_point.turned_away_share": ("<=", "share of meals not served"),
}

RENAMED_METRICS: dict[str, str] = {
    "share_admitted_within_threshold": (
        "share_admitted_within_threshold counted only those admitted and was renamed: use "
        "share_served_within_threshold (of all who applied, the service level as plans mean "
        "it) or share_of_admissions_within_threshold (admitted only)"),
}
"""Metric names that were renamed, with the message a scenario using them gets."""


class TargetSpec(Section):
    """One target of the plan, e.g. "nursing-type beds ≥ 55 % of beds from 2022"."""

    id: str = Field(min_length=1, description="Short unique name, e.g. nursing_share_2022.")
    label: str | None = Field(None, description="How the plan words it (shown on the "
                              "scorecard), e.g. 护理型床位占比不低于55%.")
    metric: str = Field(description="The KPI compared: " + ", ".join(TARGET_METRICS) + ".")
    comparison: Literal[">=", "<="] | None = Field(
        None, description="At least (>=) or at most (<=); default depends on the metric.")
    value: float = Field(description="The threshold, in the metric's unit (fractions as 0.55).")
    from_year: int | None = Field(None, description="First year the target applies "
                                  "(default: the simulation's first year).")
    to_year: int | None = Field(None, description="Last year it applies (default: the last "
                                "simulated year).")
    basis: Literal["registered", "resident"] | None = Field(
        None, description="For per-1,000-elders targets: which population the plan counts "
        "(户籍 registered or 常住 resident); the ratio is computed on that basis, which the "
        "scenario must project (population.basis, or registered_population).")


def target_problems(targets: list[TargetSpec], population_basis: str | Sequence[str],
                    first_year: int, last_year: int, services: set[str] | None = None
                    ) -> list[tuple[tuple[str | int, ...], str]]:
    """Problems pydantic cannot see: unknown metrics, years outside the run, a basis the
    scenario does not project.

    Parameters
    ----------
    targets : list of TargetSpec
    population_basis : str or sequence of str
        The population bases the scenario projects (``population.basis`` and, with a
        ``registered_population`` section, ``registered``).
    first_year, last_year : int
        The simulated years [calendar year].
    services : set of str, optional
        ``day_centre`` and/or ``meal_point`` when the scenario has them.

    Returns
    -------
    list of (path inside ``targets``, message)
    """
    import difflib

    bases = [population_basis] if isinstance(population_basis, str) else list(population_basis)
    problems: list[tuple[tuple[str | int, ...], str]] = []
    seen: set[str] = set()
    for index, target in enumerate(targets):
        if target.id in seen:
            problems.append(((index, "id"), f"target id {target.id!r} is used twice"))
        seen.add(target.id)
        if target.metric in RENAMED_METRICS:
            problems.append(((index, "metric"), RENAMED_METRICS[target.metric]))
        elif target.metric not in TARGET_METRICS:
            close = difflib.get_close_matches(target.metric, list(TARGET_METRICS), n=1)
            hint = f' (did you mean "{close[0]}"?)' if close else ""
            problems.append(((index, "metric"), f"unknown metric {target.metric!r}{hint}; "
                             f"allowed: {', '.join(TARGET_METRICS)}"))
        service = target.metric.split(".")[0]
        if service in {"day_centre", "meal_point"} and service not in (services or set()):
            problems.append(((index, "metric"), f"{target.metric} needs "
                             f"services.{service}s in the scenario"))
        start = target.from_year if target.from_year is not None else first_year
        end = target.to_year if target.to_year is not None else last_year
        outside = False
        for key, year in (("from_year", target.from_year), ("to_year", target.to_year)):
            if year is not None and not first_year <= year <= last_year:
                outside = True
                problems.append(((index, key), f"{year} is outside the simulated years "
                                 f"{first_year}-{last_year}"))
        if start > end and not outside:  # a year outside the run is the one problem
            problems.append(((index, "to_year"), f"to_year {end} is before from_year {start}"))
        if target.basis is not None and target.basis not in bases:
            fix = ("add a `registered_population:` section (the registered basis beside the "
                   "resident one)" if target.basis == "registered" else
                   "set population.basis: resident with the census population, and move the "
                   "registered one to `registered_population:`")
            problems.append(((index, "basis"), f"the target counts {target.basis} elders but "
                             f"the scenario projects only the {' and '.join(bases)} "
                             f"population; {fix}"))
        if (target.metric.endswith(("share", "_threshold")) or ".coverage" in target.metric
                or target.metric == "p_wait"):
            if not 0 <= target.value <= 1:
                problems.append(((index, "value"), f"{target.value:g} is a share; give a "
                                 "fraction between 0 and 1 (e.g. 0.55 for 55 %)"))
    return problems


