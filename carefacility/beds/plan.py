"""The plan: zones, care homes with typed beds, the build schedule and the state at the start.

The ``plan:`` section of a scenario says what exists and what will be built:

* **zones** (sub-districts and towns, 街镇) and their share of the elderly — or, when the base
  population is given by zone, the zones of the projection;
* **care homes** (养老机构), each in a zone, with general, nursing-type (护理型) and dementia
  (认知障碍) beds; ``count`` lets one entry stand for several identical homes;
* a **build schedule**: beds opened, closed or converted (general → nursing) at a date;
* the **starting state**: how full the homes are (``occupancy``, or a ``census`` of residents
  by home and bed type), the care levels of their residents, the waiting list, and what was
  observed up to the start (``observed``: residents, admissions, each with its date and
  source), to which the run calibrates the base year's demand
  (:mod:`carefacility.need.calibration`).

:func:`resolve_plan` checks the section against the rest of the scenario and turns it into
arrays: capacity by home and bed type at the start, dated capacity changes, and the capacity
trajectory, refusing a schedule that would drive any capacity below zero.

The ``simulation:`` section (waiting rules; demand, stays and patience given directly) is
:mod:`carefacility.beds.simulation_spec`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Annotated, Literal

import numpy as np
from pydantic import Field

from carefacility.base.errors import Problem, did_you_mean, format_path, name_list
from carefacility.base.section import Section
from carefacility.base.yaml_source import YamlDocument

__all__ = [
    "BED_TYPE_NAMES",
    "MAX_COUNT",
    "MAX_DAYS",
    "MAX_PERSONS",
    "BedsByType",
    "BuildStep",
    "CareHomeSpec",
    "CensusEntry",
    "ObservedAdmissions",
    "ObservedResidents",
    "ObservedSpec",
    "PlanArrays",
    "PlanSpec",
    "StartingStateSpec",
    "ZoneSpec",
    "resolve_plan",
]

BED_TYPE_NAMES = ("general", "nursing", "dementia")

MAX_COUNT = 10_000_000
"""Largest count of beds (per home and type), residents or waiting applicants a field takes:
the largest care homes hold a few thousand beds. The beds of a whole plan (every home at the
start and every bed its schedule opens) are bounded by it too: China has about 5 million."""

MAX_PERSONS = 1e10
"""Largest count of persons (or persons a year) an observation takes."""

MAX_DAYS = 36_500
"""Longest time a field in days takes (100 years)."""

Count = Annotated[int, Field(ge=0, le=MAX_COUNT)]
"""A whole count of beds or persons, 0 to :data:`MAX_COUNT`."""
Fraction = Annotated[float, Field(ge=0, le=1, allow_inf_nan=False)]


class BedsByType(Section):
    """Beds by type [beds]."""

    general: Count = Field(0, description="General care beds (养老床位, not nursing-type) [beds].")
    nursing: Count = Field(0, description="Nursing-type beds (护理型床位) [beds].")
    dementia: Count = Field(0, description="Dementia care beds (认知障碍床位) [beds].")

    def as_array(self) -> np.ndarray:
        """Beds as ``[general, nursing, dementia]``."""
        return np.array([self.general, self.nursing, self.dementia], dtype=np.int64)


class ZoneSpec(Section):
    """A zone (sub-district or town, 街镇)."""

    name: str = Field(min_length=1, description="Zone name, as used by care homes.")
    share_of_elderly: Fraction | None = Field(
        None,
        description="Share of the area's elderly living in the zone [fraction]; required when "
        "the base population is not given by zone. Shares must sum to 1.",
    )


class CareHomeSpec(Section):
    """A care home (养老机构), or ``count`` identical ones."""

    name: str = Field(min_length=1, description="Unique name (used by the build schedule).")
    zone: str = Field(min_length=1, description="Zone the home is in.")
    beds: BedsByType = Field(description="Beds of each home at the start [beds].")
    count: int = Field(1, ge=1, le=1000, description="Number of identical homes this entry "
                       "stands for (named name-1, name-2, ...).")


class ConvertSpec(Section):
    """Beds converted from one type to another (e.g. general → nursing)."""

    from_type: Literal["general", "nursing", "dementia"] = Field(description="Type converted.")
    to_type: Literal["general", "nursing", "dementia"] = Field(description="New type.")
    beds: int = Field(gt=0, le=MAX_COUNT, description="Beds converted [beds].")


class BuildStep(Section):
    """One dated change of a home's beds. Converted beds keep their residents; closing beds
    never evicts anyone (occupied beds close as their residents leave)."""

    date: dt.date = Field(description="Day the change takes effect.")
    home: str = Field(min_length=1, description="Name of the care home (each of a `count` "
                      "group changes alike).")
    open: BedsByType | None = Field(None, description="Beds opened [beds].")
    close: BedsByType | None = Field(None, description="Beds closed [beds].")
    convert: ConvertSpec | None = Field(None, description="Beds converted.")


class ObservedResidents(Section):
    """Residents of the care homes counted on one day (a stock)."""

    date: dt.date = Field(description="Day the figure refers to; on or before "
                          "simulation.start_date (only data up to the start may calibrate).")
    source: str = Field(min_length=1, description="Where the figure is published (document, "
                        "table, date), or 'ASSUMPTION: ...' with the reason.")
    total: float | None = Field(None, gt=0, le=MAX_PERSONS, allow_inf_nan=False,
                                description="Residents in the plan's care homes [persons].")
    by_bed_type: BedsByType | None = Field(None, description="Residents by bed type "
                                           "[persons], where known.")
    occupancy: Fraction | None = Field(None, description="Occupied share of the beds [fraction]"
                                       "; applied to the beds in force at the start.")

    def count(self, beds_at_start: np.ndarray) -> float:
        """Residents this figure stands for, given the beds by type at the start [persons]."""
        if self.total is not None:
            return float(self.total)
        if self.by_bed_type is not None:
            return float(self.by_bed_type.as_array().sum())
        assert self.occupancy is not None
        return float(self.occupancy * np.asarray(beds_at_start).sum())


class ObservedAdmissions(Section):
    """Admissions to the care homes over twelve months (a flow)."""

    date: dt.date = Field(description="Last day of the twelve months counted; on or before "
                          "simulation.start_date.")
    source: str = Field(min_length=1, description="Where the figure is published, or "
                        "'ASSUMPTION: ...' with the reason.")
    per_year: float = Field(gt=0, le=MAX_PERSONS, allow_inf_nan=False,
                            description="Admissions in the twelve months [persons per year].")


class ObservedSpec(Section):
    """What was observed at the start; the base year is calibrated to it."""

    residents: ObservedResidents = Field(description="Residents on a day: give exactly one of "
                                         "total, by_bed_type or occupancy.")
    admissions: ObservedAdmissions | None = Field(
        None, description="Admissions of a year, where known; then the discharge rate is "
        "fitted too.")


class CensusEntry(Section):
    """Residents of one care home (or of each home of a ``count`` entry) at the start."""

    home: str = Field(min_length=1, description="Name of the care home (plan.care_homes); an "
                      "entry with `count: k` gives these residents to each of its k homes.")
    general: Count = Field(0, description="Residents in general beds [persons].")
    nursing: Count = Field(0, description="Residents in nursing-type beds [persons].")
    dementia: Count = Field(0, description="Residents in dementia beds [persons].")

    def as_array(self) -> np.ndarray:
        """Residents as ``[general, nursing, dementia]`` [persons]."""
        return np.array([self.general, self.nursing, self.dementia], dtype=np.int64)


class StartingStateSpec(Section):
    """Residents and waiting list on the first simulated day."""

    occupancy: Fraction | None = Field(
        None,
        description="Share of beds occupied at the start [fraction]; cite the source (e.g. the "
        "civil-affairs statistics) or label it an assumption. Omitted: taken from `observed` "
        "(its residents by bed type, total or occupancy over the beds at the start) or "
        "`census`."
    )
    census: list[CensusEntry] | None = Field(
        None,
        description="Residents at the start by care home and bed type [persons]: a list of "
        "{home, general, nursing, dementia}; homes not listed start empty, and a census of "
        "zeros (or `census: []`) is an empty start. Instead of `occupancy` and `observed`. "
        "Their care levels follow `resident_levels`."
    )
    resident_levels: dict[Literal["independent", "partially_dependent", "dependent",
                                  "dementia"], Fraction] | None = Field(
        None,
        description="Care-level mix of current residents [fractions summing to 1]. Dependent "
        "and dementia residents fill nursing and dementia beds first. Omitted: the "
        "stationary mix of the base year's (calibrated) demand, DERIVED at run time "
        "(applicants by level × the expected time spent at each level in care); without a "
        "population (simulation.arrivals and simulation.stays), the first year's applicants "
        "by level × their mean stay (all independent when there are none)."
    )
    observed: ObservedSpec | None = Field(
        None,
        description="Residents (and admissions) observed up to the start, with sources: the "
        "bed application rate is scaled so that the base year holds these residents "
        "(carefacility.need.calibration). Omitted: the need defaults are used unscaled."
    )
    waiting_list_persons: Count = Field(0, description="Applicants waiting at the start.")
    waiting_list_levels: dict[Literal["independent", "partially_dependent", "dependent",
                                      "dementia"], Fraction] | None = Field(
        None, description="Care-level mix of the waiting list [fractions summing to 1]; "
        "default: the resident mix."
    )
    waiting_list_mean_wait_days: float = Field(
        0.0, ge=0, le=MAX_DAYS, allow_inf_nan=False, description="Mean time already waited "
        "by those on the list [days], at most 36,500; the waits are spread evenly from 0 to "
        "twice this mean."
    )


class PlanSpec(Section):
    """The plan: zones, care homes, build schedule, starting state."""

    zones: list[ZoneSpec] | None = Field(
        None, description="Zones with their elderly shares; omit when the base population "
        "CSV has a zone column (its zones are used)."
    )
    care_homes: list[CareHomeSpec] = Field(min_length=1, description="Care homes.")
    build_schedule: list[BuildStep] = Field(default_factory=list,
                                            description="Dated bed changes.")
    starting_state: StartingStateSpec



@dataclass(frozen=True)
class PlanArrays:
    """The plan as arrays (one row per home after expanding ``count``).

    Attributes
    ----------
    zones : tuple of str
    zone_shares : numpy.ndarray or None
        Elderly share of each zone when given in the plan.
    home_names : tuple of str
    home_zone : numpy.ndarray of int, shape (n_homes,)
    initial_capacity : numpy.ndarray of int, shape (n_homes, 3)
    capacity_changes : list of tuple
        ``(date, home, from_type, to_type, beds)`` with -1 for "none" (open/close).
    census_residents : numpy.ndarray of int, shape (n_homes, 3), or None
        Residents at the start by home and bed type [persons] from
        ``starting_state.census`` (homes not listed: 0); None without a census.
    """

    zones: tuple[str, ...]
    zone_shares: np.ndarray | None
    home_names: tuple[str, ...]
    home_zone: np.ndarray
    initial_capacity: np.ndarray
    capacity_changes: tuple[tuple[dt.date, int, int, int, int], ...]
    census_residents: np.ndarray | None = None

    def capacity_at(self, date: dt.date) -> np.ndarray:
        """Beds by home and type in force on ``date`` (changes dated that day included)."""
        capacity = self.initial_capacity.copy()
        for when, home, source, target, beds in self.capacity_changes:
            if when > date:
                break
            if source >= 0:
                capacity[home, source] -= beds
            if target >= 0:
                capacity[home, target] += beds
        return capacity


def _share_problem(shares: dict[str, float] | None, doc: YamlDocument,
                   location: tuple[str | int, ...]) -> list[Problem]:
    if shares is None:
        return []
    total = sum(shares.values())
    if abs(total - 1.0) > 0.005:
        return [doc.problem(location, format_path(location),
                            f"shares sum to {total:.3f}; they must sum to 1")]
    return []


def resolve_plan(plan: PlanSpec, population_zones: Sequence[str],
                 doc: YamlDocument, start_date: dt.date | None = None, *,
                 shares_required: bool = True
                 ) -> tuple[PlanArrays | None, list[Problem]]:
    """Check the plan against the population's zones and turn it into arrays.

    Parameters
    ----------
    plan : PlanSpec
    population_zones : sequence of str
        Zones of the base population (``("all",)`` when it has none).
    doc : YamlDocument
        For error positions.
    start_date : datetime.date, optional
        ``simulation.start_date``: observations of the starting state must refer to it or an
        earlier day, and cannot count more residents than the beds in force then.
    shares_required : bool
        Whether zones need ``share_of_elderly`` (a scenario with a population but without
        zones in it); without a population they may all be left out (the applicants' zones
        then come from ``simulation.arrivals.zone_shares``).

    Returns
    -------
    (PlanArrays or None, list of Problem)
    """
    problems: list[Problem] = []
    loc: tuple[str | int, ...] = ("plan",)

    def at(location: tuple[str | int, ...], message: str) -> None:
        problems.append(doc.problem(location, format_path(location), message))

    by_zone = tuple(population_zones) != ("all",)
    shares: np.ndarray | None = None
    if plan.zones is None:
        if not by_zone:
            zones: tuple[str, ...] = ("all",)
        else:
            zones = tuple(population_zones)
    else:
        zones = tuple(zone.name for zone in plan.zones)
        if len(set(zones)) != len(zones):
            at((*loc, "zones"), "zone names must be unique")
        if by_zone:
            if set(zones) != set(population_zones):
                at((*loc, "zones"), "with a base population by zone, plan zones must be the "
                   f"same zones ({name_list(population_zones)}); got {name_list(zones)}")
            for index, zone in enumerate(plan.zones):
                if zone.share_of_elderly is not None:
                    at((*loc, "zones", index, "share_of_elderly"), "the base population is "
                       "given by zone, so each zone's elderly come from the projection; remove "
                       "share_of_elderly")
            zones = tuple(population_zones)
        else:
            missing = [i for i, zone in enumerate(plan.zones) if zone.share_of_elderly is None]
            if not shares_required and len(missing) == len(plan.zones):
                missing = []  # no shares at all: the applicants' zone shares are given instead
            elif not shares_required and missing:
                at((*loc, "zones"), "give share_of_elderly for every zone or for none")
                missing = []
            for index in missing:
                at((*loc, "zones", index), "share_of_elderly is required (the base population "
                   "has no zones to take it from)")
            if all(zone.share_of_elderly is not None for zone in plan.zones):
                shares = np.array([zone.share_of_elderly for zone in plan.zones], dtype=float)
                if abs(shares.sum() - 1.0) > 0.005:
                    at((*loc, "zones"), f"share_of_elderly sums to {shares.sum():.3f}; "
                       "shares must sum to 1")

    names: list[str] = []
    home_zone: list[int] = []
    capacity: list[np.ndarray] = []
    groups: dict[str, list[int]] = {}
    zone_index = {zone: index for index, zone in reversed(list(enumerate(zones)))}
    for index, home in enumerate(plan.care_homes):
        where = (*loc, "care_homes", index)
        if home.name in groups:
            at((*where, "name"), f"home name {home.name!r} is used twice; names must be unique")
            continue
        if home.zone not in zone_index:
            at((*where, "zone"), f"zone {home.zone!r} is not defined"
               f"{did_you_mean(home.zone, zones)}; defined zones: {name_list(zones)}")
            continue
        members = []
        beds = home.beds.as_array()
        for copy in range(home.count):
            members.append(len(names))
            names.append(home.name if home.count == 1 else f"{home.name}-{copy + 1}")
            home_zone.append(zone_index[home.zone])
            capacity.append(beds)
        groups[home.name] = members

    state = plan.starting_state
    problems += _share_problem(state.resident_levels, doc, (*loc, "starting_state",
                                                            "resident_levels"))
    problems += _share_problem(state.waiting_list_levels, doc, (*loc, "starting_state",
                                                                "waiting_list_levels"))

    changes: list[tuple[dt.date, int, int, int, int, int]] = []
    for index, step in enumerate(plan.build_schedule):
        where = (*loc, "build_schedule", index)
        if step.home not in groups:
            at((*where, "home"), f"home {step.home!r} is not among plan.care_homes"
               f"{did_you_mean(step.home, groups)}")
            continue
        actions = [step.open, step.close, step.convert]
        if sum(action is not None for action in actions) != 1:
            at(where, "give exactly one of open, close or convert")
            continue
        for home in groups[step.home]:
            if step.open is not None:
                for t, beds in enumerate(step.open.as_array()):
                    if beds:
                        changes.append((step.date, index, home, -1, t, int(beds)))
            elif step.close is not None:
                for t, beds in enumerate(step.close.as_array()):
                    if beds:
                        changes.append((step.date, index, home, t, -1, int(beds)))
            elif step.convert is not None:
                source = BED_TYPE_NAMES.index(step.convert.from_type)
                target = BED_TYPE_NAMES.index(step.convert.to_type)
                if source == target:
                    at((*where, "convert"), "from_type and to_type must differ")
                    break
                changes.append((step.date, index, home, source, target, step.convert.beds))
    changes.sort(key=lambda change: (change[0], change[1]))
    planned = sum(int(beds.sum()) for beds in capacity) + sum(
        beds for _, _, _, source, _, beds in changes if source < 0)
    if planned > MAX_COUNT:
        at((*loc, "care_homes"), f"the plan has {planned:,} beds in all (every home at the "
           f"start, each `count` times, and the beds the build schedule opens); at most "
           f"{MAX_COUNT:,} are accepted (China has about 5 million)")
    if names:
        running = np.array(capacity, dtype=np.int64)
        reported: set[tuple[int, int, int]] = set()
        for when, index, home, source, target, beds in changes:
            if source >= 0:
                running[home, source] -= beds
                if running[home, source] < 0 and (index, home, source) not in reported:
                    reported.add((index, home, source))
                    at((*loc, "build_schedule", index),
                       f"on {when} home {names[home]!r} would have "
                       f"{running[home, source]} {BED_TYPE_NAMES[source]} beds; a schedule "
                       "cannot close or convert more beds than the home has")
            if target >= 0:
                running[home, target] += beds
    beds_at_start = None
    home_beds_at_start = np.array(capacity, dtype=np.int64).reshape(-1, 3)
    for when, _index, home, source, target, beds in changes:
        if start_date is not None and when <= start_date:
            if source >= 0:
                home_beds_at_start[home, source] -= beds
            if target >= 0:
                home_beds_at_start[home, target] += beds
    if names and start_date is not None:
        beds_at_start = home_beds_at_start.sum(axis=0)
    problems += _starting_state_problems(state, start_date, beds_at_start, doc)
    census, census_problems = _census_residents(state, groups, names, home_beds_at_start,
                                                start_date, doc)
    problems += census_problems
    if problems:
        return None, problems
    return PlanArrays(
        zones=zones,
        zone_shares=shares,
        home_names=tuple(names),
        home_zone=np.asarray(home_zone, dtype=np.int64),
        initial_capacity=np.asarray(capacity, dtype=np.int64).reshape(-1, 3),
        capacity_changes=tuple((when, home, source, target, beds)
                               for when, _index, home, source, target, beds in changes),
        census_residents=census,
    ), []


def _census_residents(state: StartingStateSpec, groups: Mapping[str, list[int]],
                      names: Sequence[str], beds_at_start: np.ndarray,
                      start_date: dt.date | None, doc: YamlDocument
                      ) -> tuple[np.ndarray | None, list[Problem]]:
    """Residents by home and bed type from ``starting_state.census``, checked against the
    homes' beds in force at the start; located problems."""
    if state.census is None:
        return None, []
    problems: list[Problem] = []
    loc: tuple[str | int, ...] = ("plan", "starting_state", "census")
    residents = np.zeros((len(names), 3), dtype=np.int64)
    seen: dict[str, int] = {}
    when = f" in force on {start_date}" if start_date is not None else ""
    for index, entry in enumerate(state.census):
        where = (*loc, index)
        if entry.home not in groups:
            path = (*where, "home")
            problems.append(doc.problem(path, format_path(path), (
                f"home {entry.home!r} is not among plan.care_homes"
                f"{did_you_mean(entry.home, groups)}; homes: {name_list(groups)}")))
            continue
        if entry.home in seen:
            path = (*where, "home")
            problems.append(doc.problem(path, format_path(path), (
                f"home {entry.home!r} is listed twice (census[{seen[entry.home]}] too); list "
                "each home once")))
            continue
        seen[entry.home] = index
        counts = entry.as_array()
        for home in groups[entry.home]:
            residents[home] = counts
        home = groups[entry.home][0]
        for t, name in enumerate(BED_TYPE_NAMES):
            if counts[t] > beds_at_start[home, t]:
                path = (*where, name)
                copies = len(groups[entry.home])
                homes = (f"each of the {copies} homes {entry.home!r} has" if copies > 1
                         else f"home {entry.home!r} has")
                problems.append(doc.problem(path, format_path(path), (
                    f"{counts[t]} residents in {name} beds but {homes} "
                    f"{beds_at_start[home, t]} {name} beds{when}")))
    return (None, problems) if problems else (residents, [])


def _starting_state_problems(state: StartingStateSpec, start_date: dt.date | None,
                             beds_at_start: np.ndarray | None,
                             doc: YamlDocument) -> list[Problem]:
    """Located problems of ``plan.starting_state``: occupancy or observed given, one figure
    per observation, no date after the start, no more residents than beds."""
    problems: list[Problem] = []
    loc: tuple[str | int, ...] = ("plan", "starting_state")

    def at(location: tuple[str | int, ...], message: str) -> None:
        problems.append(doc.problem(location, format_path(location), message))

    observed = state.observed
    if state.census is not None:
        others = [name for name in ("occupancy", "observed") if getattr(state, name) is not None]
        if others:
            location = (*loc, "census")
            problems.append(doc.problem(location, format_path(location), (
                "the census states the residents at the start: give it without "
                f"{' and '.join(others)} (remove {' and '.join(others)} or the census)"),
                key=True))
    if observed is None:
        if state.occupancy is None and state.census is None:
            at(loc, "give `occupancy` (share of beds occupied at the start), `census` "
               "(residents by home and bed type) or `observed` (residents counted up to the "
               "start, with their source)")
        return problems
    residents = observed.residents
    where = (*loc, "observed", "residents")
    given = [name for name in ("total", "by_bed_type", "occupancy")
             if getattr(residents, name) is not None]
    if len(given) != 1:
        at(where, "give exactly one of total, by_bed_type or occupancy (got "
           f"{', '.join(given) if given else 'none'})")
    if start_date is not None:
        for location, when in (((*where, "date"), residents.date),
                               ((*loc, "observed", "admissions", "date"),
                                None if observed.admissions is None
                                else observed.admissions.date)):
            if when is not None and when > start_date:
                at(location, f"{when} is after simulation.start_date {start_date}; only "
                   "figures up to the start may calibrate the base year (a later figure is "
                   "what the simulation should predict, not an input)")
    if beds_at_start is not None and len(given) == 1:
        beds = beds_at_start.sum()
        if residents.by_bed_type is not None:
            counts = residents.by_bed_type.as_array()
            for t, name in enumerate(BED_TYPE_NAMES):
                if counts[t] > beds_at_start[t]:
                    at((*where, "by_bed_type", name),
                       f"{counts[t]} residents in {name} beds but the plan has "
                       f"{beds_at_start[t]} {name} beds in force on {start_date}")
        elif residents.total is not None and residents.total > beds:
            at((*where, "total"), f"{residents.total:g} residents but the plan has {beds} "
               f"beds in force on {start_date}")
        elif residents.count(beds_at_start) <= 0:
            at(where, f"no residents: the plan has no beds in force on {start_date}")
    return problems
