"""Candidate plans for the search of the smallest sufficient plan: beds by year, zone and bed
type turned into a bed simulation, and its service levels by group of applicants.

A candidate plan is an array ``capacity[year, zone, bed_type]`` of whole beds: the beds in
force during each model year, opened (or closed) on 1 January of the year (model day
``365 y``). :func:`plan_spec` turns it into a :class:`~carefacility.beds.BedSpec` built from
the scenario's own (:func:`merged_spec`): the same applicants, stays, rules and starting
residents, with the homes of each zone merged into one home (in the simulation an applicant
takes a free bed in any home of the zone already, so this changes only which home a resident
is in) and the build schedule replaced by the candidate's. Beds above the candidate's in year 0
(only when closures are allowed) close on day 0 as their residents leave.

Groups of applicants
--------------------
The plan's service levels are over all applicants, but bed types are sized one by one: each
bed type is sized for the applicants whose preferred bed it is (:func:`sizing_groups`): the
first type they accept (``BedSpec.acceptable_bed_types``) among the types the plan uses —
under the default rule general beds for independent and partially dependent applicants,
nursing-type beds for dependent, dementia beds for dementia applicants (nursing-type beds
when the plan has no dementia beds). :func:`replicate_groups` reports every service-level KPI
of each group (``<metric>|<bed type>``) and of all applicants (``<metric>|all``).

A group's share served within ``T`` (and share of admissions within ``T``) counts only
admissions *to a bed of its own type*: "95 % of dependent applicants get a nursing-type bed
within 30 days". Counted so, a type's beds are what serve its group: without it, general beds
would serve dependent applicants too (``overflow_to_general``: a dependent applicant takes a
free general bed and waits there for a transfer) and the nursing-type beds would seem hardly
needed while general beds have room. These shares are counted by the year of admission (the
all-applicant share follows each year's applicants to their outcome; the two differ only by
those who apply in the last ``T`` days of a year and are admitted in the next). The other
KPIs (P(wait), waits, abandoned and blocked shares, the waiting list) count any bed.

Because every KPI over all applicants is a weighted mean (or, for the 95th percentile wait, a
mixture) of the groups', and a group served in time in its own type is served in time, a plan
whose every group meets a target meets it over all applicants too.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from carefacility.beds import BedSpec, InitialWaitingList, simulate
from carefacility.beds.engine_spec import BED_TYPES, DAYS_PER_YEAR
from carefacility.runner.structure_check import capacity_by_home_at_year_end

__all__ = [
    "ALL",
    "CandidateInputs",
    "SizingGroups",
    "capacity_at_year_start",
    "merged_spec",
    "plan_spec",
    "replicate_groups",
    "sizing_groups",
    "used_bed_types",
    "zone_spec",
]

ALL = "all"
"""The group of all applicants (and the zone / bed type of totals)."""

_WAITING_METRIC = "waiting_person_days"


@dataclass(frozen=True)
class SizingGroups:
    """Which applicants each searched bed type is sized for.

    Attributes
    ----------
    types : tuple of int
        The bed types searched (those the plan uses), in index order.
    levels : dict of int to tuple of int
        For each searched type, the care levels whose preferred bed it is (may be empty).
    """

    types: tuple[int, ...]
    levels: dict[int, tuple[int, ...]]

    def name(self, bed_type: int) -> str:
        """The group's name: its bed type's."""
        return BED_TYPES[bed_type]


def used_bed_types(spec: BedSpec) -> tuple[int, ...]:
    """Bed types with beds at any time of the plan (general alone when it has none)."""
    capacity = capacity_by_home_at_year_end(spec).sum(axis=1)  # (years, types)
    used = tuple(t for t in range(len(BED_TYPES))
                 if capacity[:, t].max() > 0 or spec.initial_capacity[:, t].sum() > 0)
    return used or (0,)


def sizing_groups(spec: BedSpec, types: tuple[int, ...]) -> SizingGroups:
    """Each level's preferred bed type among ``types`` (see the module notes)."""
    levels: dict[int, list[int]] = {t: [] for t in types}
    for level in range(spec.arrival_rate_per_day.shape[2]):
        preferred = next((t for t in spec.acceptable_bed_types(level) if t in types), None)
        if preferred is not None:
            levels[preferred].append(level)
    return SizingGroups(types=tuple(types), levels={t: tuple(v) for t, v in levels.items()})


def capacity_at_year_start(spec: BedSpec) -> np.ndarray:
    """Beds in force on 1 January of each model year (changes dated up to day ``365 y``, that
    day included), by zone and type, shape (years, zones, 3) [beds]."""
    capacity = spec.initial_capacity.astype(np.int64).copy()
    changes = spec.capacity_changes[np.argsort(spec.capacity_changes[:, 0], kind="stable")]
    out = np.zeros((spec.n_years, spec.n_zones, len(BED_TYPES)), dtype=np.int64)
    index = 0
    for year in range(spec.n_years):
        while index < len(changes) and changes[index, 0] <= year * DAYS_PER_YEAR:
            _day, home, source, target, beds = (int(v) for v in changes[index])
            if source >= 0:
                capacity[home, source] -= beds
            if target >= 0:
                capacity[home, target] += beds
            index += 1
        for zone in range(spec.n_zones):
            out[year, zone] = capacity[spec.home_zone == zone].sum(axis=0)
    return out


def merged_spec(spec: BedSpec) -> BedSpec:
    """The spec with one home per zone (home ``z`` in zone ``z``): the beds in force at day 0
    and the starting residents summed over each zone's homes, no build schedule."""
    zones = spec.n_zones
    capacity = np.zeros((zones, len(BED_TYPES)), dtype=np.int64)
    residents = np.zeros((zones, *spec.initial_residents.shape[1:]), dtype=np.int64)
    for zone in range(zones):
        mine = spec.home_zone == zone
        capacity[zone] = spec.initial_capacity[mine].sum(axis=0)
        residents[zone] = spec.initial_residents[mine].sum(axis=0)
    return replace(spec, home_zone=np.arange(zones), initial_capacity=capacity,
                   initial_residents=residents, capacity_changes=())


def zone_spec(spec: BedSpec, zone: int) -> BedSpec:
    """The merged spec of one zone alone (its applicants, residents and waiting list), as a
    spec with one zone and one home: with no placement outside the own zone, zones are
    separate systems."""
    merged = merged_spec(spec)

    def one(array: np.ndarray) -> np.ndarray:
        full = np.broadcast_to(array, spec.arrival_rate_per_day.shape)
        return np.array(full[:, zone:zone + 1])

    waiting = spec.initial_waiting_list
    if waiting is not None:
        mine = waiting.zone == zone
        waiting = InitialWaitingList(
            zone=np.zeros(int(mine.sum()), dtype=np.int64), level=waiting.level[mine],
            waited_days=waiting.waited_days[mine],
            age_80plus=None if waiting.age_80plus is None else waiting.age_80plus[mine],
            low_income=None if waiting.low_income is None else waiting.low_income[mine])
    return replace(
        merged, home_zone=np.zeros(1, dtype=np.int64),
        initial_capacity=merged.initial_capacity[zone:zone + 1],
        initial_residents=merged.initial_residents[zone:zone + 1],
        arrival_rate_per_day=one(spec.arrival_rate_per_day),
        share_80plus=one(spec.share_80plus), share_low_income=one(spec.share_low_income),
        arrival_trend_per_day_per_day=one(spec.arrival_trend_per_day_per_day),
        initial_waiting_list=waiting)


def plan_spec(base: BedSpec, capacity: np.ndarray) -> BedSpec:
    """The simulation of a candidate plan.

    Parameters
    ----------
    base : BedSpec
        A merged spec (:func:`merged_spec` or :func:`zone_spec`: home ``z`` is zone ``z``).
    capacity : numpy.ndarray of int, shape (years, zones, 3)
        Beds in force during each model year [beds]; ``years`` may be fewer than the base's
        (the simulation then stops after them, its run-on at the last year's beds).

    Returns
    -------
    BedSpec
    """
    capacity = np.asarray(capacity, dtype=np.int64)
    years = capacity.shape[0]
    residents = base.initial_residents.sum(axis=2)  # (zones, 3)
    initial = np.maximum(capacity[0], residents)
    changes: list[tuple[float, int, int, int, int]] = []
    for zone, bed_type in zip(*np.nonzero(initial > capacity[0]), strict=True):
        changes.append((0.0, int(zone), int(bed_type), -1,
                        int(initial[zone, bed_type] - capacity[0, zone, bed_type])))
    for year in range(1, years):
        delta = capacity[year] - capacity[year - 1]
        for zone, bed_type in zip(*np.nonzero(delta), strict=True):
            beds = int(delta[zone, bed_type])
            changes.append((float(year * DAYS_PER_YEAR), int(zone),
                            -1 if beds > 0 else int(bed_type), int(bed_type) if beds > 0 else -1,
                            abs(beds)))

    def cut(array: np.ndarray) -> np.ndarray:
        return np.array(np.broadcast_to(array, base.arrival_rate_per_day.shape)[:years])

    return replace(base, initial_capacity=initial, capacity_changes=changes,
                   arrival_rate_per_day=base.arrival_rate_per_day[:years],
                   share_80plus=cut(base.share_80plus),
                   share_low_income=cut(base.share_low_income),
                   arrival_trend_per_day_per_day=cut(base.arrival_trend_per_day_per_day))


@dataclass(frozen=True)
class CandidateInputs:
    """What a worker needs to simulate one candidate plan.

    Attributes
    ----------
    spec : BedSpec
        The candidate's simulation (:func:`plan_spec`).
    groups : dict of str to tuple of int
        Levels of each group of applicants, by name (bed type names).
    metrics : tuple of str
        The service-level KPIs to report (:data:`carefacility.targets.service_levels
        .CAPACITY_METRICS`).
    """

    spec: BedSpec
    groups: dict[str, tuple[int, ...]]
    metrics: tuple[str, ...]


def _group_values(result: object, levels: tuple[int, ...], metric: str, n_years: int,
                  threshold: float, bed_type: int | None = None) -> np.ndarray:
    """One KPI of the applicants of ``levels`` by year (NaN where not defined); with a
    ``bed_type`` the shares served in time count admissions to beds of that type only."""
    r = result
    level_index = list(levels)
    with np.errstate(invalid="ignore", divide="ignore"):
        if bed_type is not None and metric in ("share_served_within_threshold",
                                               "share_of_admissions_within_threshold"):
            chosen = np.isin(r.admitted_level, level_index)
            years = r.admitted_year[chosen]
            in_time = (r.admitted_wait_days[chosen] <= threshold) & (
                r.admitted_bed_type[chosen] == bed_type)
            count = np.bincount(years, weights=in_time, minlength=n_years)[:n_years]
            if metric == "share_served_within_threshold":
                base = r.arrivals[:, level_index].sum(axis=1).astype(float)
            else:
                base = np.bincount(years, minlength=n_years)[:n_years].astype(float)
            return np.where(base > 0, count / np.maximum(base, 1), np.nan)
        if metric in ("share_served_within_threshold", "p_wait", "abandoned_share",
                      "blocked_share"):
            count = {"share_served_within_threshold": r.cohort_served_within_threshold,
                     "p_wait": r.cohort_waited, "abandoned_share": r.cohort_abandoned,
                     "blocked_share": r.blocked}[metric][:, level_index].sum(axis=1)
            applied = r.arrivals[:, level_index].sum(axis=1).astype(float)
            return np.where(applied > 0, count / np.maximum(applied, 1), np.nan)
        if metric == "waiting_list_year_end":
            return r.waiting_at_year_end[:, level_index].sum(axis=1).astype(float)
        chosen = np.isin(r.admitted_level, level_index)
        waits = r.admitted_wait_days[chosen]
        years = r.admitted_year[chosen]
        out = np.full(n_years, np.nan)
        for year in range(n_years):
            mine = waits[years == year]
            if mine.size == 0:
                continue
            if metric == "share_of_admissions_within_threshold":
                out[year] = float(np.mean(mine <= threshold))
            elif metric == "wait_mean_days":
                out[year] = float(mine.mean())
            elif metric == "wait_p95_days":
                out[year] = float(np.quantile(mine, 0.95))
        return out


def replicate_groups(inputs: CandidateInputs, seed: int, replication: int) -> pd.DataFrame:
    """One replication of a candidate plan: its service-level KPIs by group and year.

    Returns
    -------
    pandas.DataFrame
        ``year, metric, value, unit`` with ``metric`` = ``<kpi>|<group>`` for every KPI of
        ``inputs.metrics`` and every group and ``all``, and ``waiting_person_days|all`` (the
        time-average waiting list × 365 [person-days]).
    """
    spec = inputs.spec
    result = simulate(spec, seed=seed, replication=replication)
    n_years = spec.n_years
    levels_all = tuple(range(spec.arrival_rate_per_day.shape[2]))
    names, values = [], []
    for name, levels in (*inputs.groups.items(), (ALL, levels_all)):
        if not levels:
            continue
        bed_type = BED_TYPES.index(name) if name in BED_TYPES else None
        for metric in inputs.metrics:
            names.append(f"{metric}|{name}")
            values.append(_group_values(result, levels, metric, n_years,
                                        spec.wait_threshold_days, bed_type))
    names.append(f"{_WAITING_METRIC}|{ALL}")
    values.append(np.asarray(result.mean_waiting, dtype=float) * DAYS_PER_YEAR)
    # one frame built at once (a frame per metric costs more than the year's simulation)
    return pd.DataFrame({"year": np.tile(spec.first_year + np.arange(n_years), len(names)),
                         "metric": np.repeat(names, n_years),
                         "value": np.concatenate(values), "unit": ""})
