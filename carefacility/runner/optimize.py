"""The smallest sufficient plan: for each plan year, the fewest beds by type (and zone) such
that every service-level target holds with a stated confidence.

Zhang, Puterman, Nelson & Atkins (Operations Research 60(2), 2012) set long-term care capacity
for each year of a horizon to meet a wait-time service level by simulation and optimisation,
and show that ratios and the stationary period-by-period method misjudge it. This module does
the same with the scenario's own simulation, beside the analytic answers
(:mod:`carefacility.targets.bed_sizing`), which also bracket the search.

What is searched
----------------
For each plan year ``y`` (``optimize.years``, default every simulated year) and each bed type
the plan uses (and each zone where applicants may not be placed outside their zone): the beds
in force during the year, opened on 1 January of the year. Rules:

* beds built at the start of the searched years are a floor, and capacity only grows from year
  to year, unless ``optimize.allow_closures`` (then beds close as their residents leave);
* at most ``optimize.max_beds_built_per_year`` beds are added in a year (all zones and types);
* each pool is searched up to ``optimize.upper_bound_margin`` × the largest analytic answer
  (AFM, SIPP, lagged SIPP) or the year before's simulated answer (and at least to the
  scenario's own beds of the year); a target not met there is reported as not reachable.

Years before the searched ones keep the scenario's plan (its beds on 1 January of each year);
the simulation stops after the last searched year.

Bed types and zones
-------------------
One shared service level does not say which bed type is short. Each bed type is sized for the
applicants whose preferred bed it is (:func:`carefacility.runner.plan_candidates
.sizing_groups`: general beds for independent and partially dependent applicants,
nursing-type beds for dependent ones, dementia beds for dementia applicants, under the default
rule), and a group's share served in time counts admissions to a bed of its own type ("95 % of
dependent applicants get a nursing-type bed within 30 days"; otherwise general beds, which
dependent applicants may take while they wait for a transfer, would make nursing-type beds look
unneeded): every target must hold for every group, which implies it over all applicants. All
types of a year are searched together in the same candidate plans (so the spill of one group
into another type's beds is part of what each type is sized against); the final plan of a year
is checked as a whole, and a type whose group falls short there is searched again.

Zones where applicants may not go to other zones (``simulation.allow_other_zones: false``)
are separate systems: each is searched on its own (its applicants, residents and waiting list
alone; residents' transfers between zones, the one link left, appear only in the verification
run). Where applicants may go to other zones, the zones' beds of a type are searched as one
total, shared among the zones in proportion to their own analytic need (lagged SIPP per zone),
never below a zone's beds of the year before.

The procedure
-------------
Years are searched forward in time, because a year's service level depends on the earlier
years (residents and the waiting list carried over); while year ``y`` is searched the
simulation ends after it (its run-on at the candidate's beds), and later years, searched
next, can only have more beds (without closures), so they do not lower year ``y``'s service
level. Within a year each type's beds start at the analytic bracket (later years: the years
before's answers carried on by their own trend), move in doubling steps until the decision
changes, and are then bisected (:mod:`carefacility.runner.plan_search`) to one bed — or to the
beds that change the service level by less than δ, or than the test can tell apart at its cap
of replications, whichever is more. Every candidate is judged by the sequential test of
:mod:`carefacility.targets.service_levels` on common random numbers (the same seed and
replication indices ``0, 1, ...`` for every candidate): accepted when the lower confidence
bound of each target's KPI (one-sided, level ``confidence``, Bonferroni over the stages) is at
least the target minus the indifference zone δ, rejected when the upper bound is below the
target, else replications are doubled up to ``max_replications``; undecided then counts as
rejected. Finally the plan, the plan with one bed fewer of each type (in every searched year
where that is allowed), the scenario's own plan and each analytic method's plan are simulated
with ``verification_replications`` fresh replications (indices from ``max_replications`` on,
never used by the search), which give the figures of ``optimize_summary.csv``.

Guarantee and its limits: for each year and type, the beds found were accepted, so if the
replication means are normal each target's true value there is at least target − δ with
probability ``confidence`` (per decision). The largest count below that was rejected has, with
the same confidence, a true value below the target, and the counts between the two differ in
service level by less than δ (or than the test's resolution at the cap) — so the plan is the
smallest within that margin. A count left undecided at the cap counts as rejected, so where the
replications are too few to tell, the plan errs towards more beds. The guarantee is per
decision, not simultaneous over the years, types and candidates looked at, and rests on the
normal approximation of the means of yearly KPIs over replications (skewed with long stays and
few replications). The verification run is the honest check of the final plan: its
``minimal_minus_one.<type>`` rows show what one bed fewer does.

Robust plans (``robust=True``): the plan is sized against the central projection and each
demographic variant (the projection with every death rate 10 % lower and higher, and the
scenario's ``optimize.robust`` override sets); the robust plan has, per year, zone and type, the
most beds any variant needs (kept non-decreasing without closures), and is verified in every
variant.
"""

from __future__ import annotations

import dataclasses
import math
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from carefacility._version import __version__
from carefacility.base.progress import Progress
from carefacility.beds import BedSpec
from carefacility.beds.engine_spec import BED_TYPES, DAYS_PER_YEAR
from carefacility.population.projection import project_populations
from carefacility.queueing.distributions import student_t_ppf
from carefacility.runner.batch_session import BatchSession
from carefacility.runner.executors import Batch, Executor
from carefacility.runner.plan_candidates import (
    ALL,
    CandidateInputs,
    SizingGroups,
    capacity_at_year_start,
    merged_spec,
    plan_spec,
    replicate_groups,
    sizing_groups,
    used_bed_types,
    zone_spec,
)
from carefacility.runner.plan_search import (
    SearchSettings,
    SearchStats,
    SearchUnit,
    UnitSearch,
    YearOutcome,
    drive,
    frame_values,
    search_year,
)
from carefacility.runner.prepare import PreparedRun, prepare_run
from carefacility.scenario.loader import Scenario
from carefacility.targets.bed_sizing import (
    NORM_BEDS_PER_1000_60PLUS,
    NORM_SOURCE,
    beds_per_indifference_zone,
    group_mean_stay_days,
    pool_beds,
    ratio_beds,
)
from carefacility.targets.optimize_spec import CostsSpec, OptimizeSpec
from carefacility.targets.service_levels import (
    CAPACITY_METRICS,
    ServiceConstraint,
    looks,
    service_constraints,
)

__all__ = [
    "METHODS",
    "MINIMAL_PLAN_COLUMNS",
    "SUMMARY_COLUMNS",
    "OptimizeResult",
    "optimize_plan",
]

METHODS = ("simulation", "afm", "sipp", "sipp_lagged", "sipp_pooled", "ratio")
"""The ``method`` column of ``minimal_plan.csv``: the simulated smallest sufficient plan and the
analytic methods (``sipp_pooled`` only with several zones: each bed type one pool over all
zones)."""

MINIMAL_PLAN_COLUMNS = ["year", "zone", "bed_type", "beds_planned", "beds_needed", "ci_low",
                        "ci_high", "method", "reached", "metric", "service_level",
                        "service_level_ci_low", "service_level_ci_high"]
"""Columns of ``minimal_plan.csv`` (see the README, "The smallest sufficient plan")."""

SUMMARY_COLUMNS = ["variant", "plan", "target", "label", "metric", "group", "year",
                   "comparison", "threshold", "indifference", "mean", "ci_low", "ci_high",
                   "replications", "status"]
"""Columns of ``optimize_summary.csv``."""

COST_COLUMNS = ["plan", "year", "beds", "new_beds", "bed_year_cost", "new_bed_cost",
                "waiting_person_days", "waiting_person_days_ci_low",
                "waiting_person_days_ci_high", "waiting_cost", "total_cost", "currency"]
"""Columns of ``plan_costs.csv``."""

_ANALYTIC_PLANS = ("afm", "sipp", "sipp_lagged", "ratio")
_CENTRAL = "central"


# --------------------------------------------------------------------------------------------
# Result
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class OptimizeResult:
    """What :func:`optimize_plan` (``cf.optimize``) returns.

    Attributes
    ----------
    minimal_plan : pandas.DataFrame
        :data:`MINIMAL_PLAN_COLUMNS`: per year, zone and bed type, the scenario's beds
        (``beds_planned``), the beds each method needs (``beds_needed``) and, for the
        simulation, the confidence interval of the beds needed (``ci_low``, ``ci_high``), whether
        every target was reached within the bounds, and the binding target's KPI at the plan with
        its 95 % CI.
    summary : pandas.DataFrame
        :data:`SUMMARY_COLUMNS`: per target, year and group of applicants, the KPI with its
        95 % CI at the plan found (``plan = minimal``), with one bed fewer of a type
        (``minimal_minus_one.<type>``), at the scenario's own plan (``scenario``) and at each
        analytic method's plan, from the verification replications.
    plan_costs : pandas.DataFrame or None
        :data:`COST_COLUMNS` when the scenario has ``costs:``.
    minimal_sites : pandas.DataFrame or None
        Day-care centres and meal points: the analytic sites needed per year for their
        ``max_turned_away_share`` beside the plan's sites (``method = analytic``).
    search_log : pandas.DataFrame
        Every decision of the search: variant, unit (zone), year, bed type, beds, decision,
        replications.
    messages : tuple of str
        Warnings: targets not reachable within the bounds, years whose build rate was capped.
    metadata : dict
        Seed, confidence, indifference zones, replications used, units, duration, stages.
    scenario : Scenario, optional
    """

    minimal_plan: pd.DataFrame
    summary: pd.DataFrame
    plan_costs: pd.DataFrame | None
    minimal_sites: pd.DataFrame | None
    search_log: pd.DataFrame
    messages: tuple[str, ...]
    metadata: dict[str, Any] = field(default_factory=dict)
    scenario: Scenario | None = field(default=None, repr=False, compare=False)

    @property
    def reached(self) -> bool:
        """Whether every target was reached within the bounds in every year."""
        rows = self.minimal_plan[self.minimal_plan["method"] == "simulation"]
        return bool(rows["reached"].fillna(True).astype(bool).all())

    def beds(self, method: str = "simulation") -> pd.DataFrame:
        """Beds needed by year (rows) and bed type (columns), all zones together."""
        rows = self.minimal_plan[(self.minimal_plan["method"] == method)
                                 & (self.minimal_plan["zone"] == ALL)]
        return rows.pivot_table(index="year", columns="bed_type", values="beds_needed",
                                aggfunc="first")


# --------------------------------------------------------------------------------------------
# Settings, units and brackets
# --------------------------------------------------------------------------------------------


@dataclass
class _Variant:
    """One demographic variant: its prepared run, pools' analytic answers, and its search."""

    name: str
    prepared: PreparedRun
    merged: BedSpec
    analytic: dict[tuple[str, str], pd.DataFrame]
    ratio: np.ndarray
    capacity: np.ndarray | None = None
    reached: np.ndarray | None = None  # (years, zones, types) bool
    beds_ci: np.ndarray | None = None  # (years, zones, types, 2)
    log: list[dict[str, Any]] = field(default_factory=list)
    messages: list[str] = field(default_factory=list)


def _ratio_target(scenario: Scenario) -> tuple[float, str]:
    for target in scenario.spec.targets:
        if target.metric == "beds_per_1000_60plus":
            return float(target.value), f"target {target.id}"
    return NORM_BEDS_PER_1000_60PLUS, NORM_SOURCE


def _analytic(prepared: PreparedRun, groups: SizingGroups,
              constraints: Sequence[ServiceConstraint]) -> dict[tuple[str, str], pd.DataFrame]:
    """Analytic answers of every pool: (zone, type) and, with several zones, (all, type)."""
    spec = prepared.spec
    zones = list(prepared.zones)
    years = prepared.years
    total_rate = spec.arrival_rate_per_day.sum(axis=(1, 2))
    trend = np.broadcast_to(spec.arrival_trend_per_day_per_day, spec.arrival_rate_per_day.shape)
    residents = spec.initial_residents.sum(axis=2)  # (homes, 3)
    out: dict[tuple[str, str], pd.DataFrame] = {}
    pools = [(zone, [index]) for index, zone in enumerate(zones)]
    if len(zones) > 1:
        pools.append((ALL, list(range(len(zones)))))
    for zone_name, zone_index in pools:
        for bed_type in groups.types:
            levels = list(groups.levels[bed_type])
            if levels:
                rate = spec.arrival_rate_per_day[:, zone_index][:, :, levels].sum(axis=(1, 2))
                slope = trend[:, zone_index][:, :, levels].sum(axis=(1, 2))
                stay = group_mean_stay_days(spec, levels, zone_index)
            else:
                rate = slope = np.zeros(years.size)
                stay = np.full(years.size, np.nan)
            census = float(residents[np.isin(spec.home_zone, zone_index), bed_type].sum())
            with np.errstate(invalid="ignore", divide="ignore"):
                share = float(np.nanmean(np.where(total_rate > 0, rate / total_rate, np.nan)))
            out[(zone_name, BED_TYPES[bed_type])] = pool_beds(
                years, rate, stay, constraints, spec.wait_threshold_days,
                arrival_trend_per_day_per_day=slope, initial_census=census,
                warmup_days=spec.warmup_days,
                waiting_list_share=share if math.isfinite(share) else 1.0)
    return out


def _units(spec: BedSpec, zones: Sequence[str]) -> list[SearchUnit]:
    if spec.n_zones > 1 and not spec.allow_other_zones:
        return [SearchUnit(name=zones[z], zones=(z,), base=zone_spec(spec, z))
                for z in range(spec.n_zones)]
    return [SearchUnit(name=ALL if spec.n_zones > 1 else zones[0],
                       zones=tuple(range(spec.n_zones)), base=merged_spec(spec))]


# --------------------------------------------------------------------------------------------
# The search of a variant, year by year
# --------------------------------------------------------------------------------------------


def _search_variant(variant: _Variant, groups: SizingGroups,
                    constraints: Sequence[ServiceConstraint], settings: SearchSettings,
                    first: int, last: int, scenario_capacity: np.ndarray,
                    session: BatchSession, stats: SearchStats, stage: Any | None) -> None:
    """Find the variant's plan for model years ``first .. last`` (indices)."""
    prepared = variant.prepared
    spec = prepared.spec
    zones = list(prepared.zones)
    units = _units(spec, zones)
    searches = [UnitSearch(number, unit, groups, constraints, settings,
                           int(prepared.years[0]), spec)
                for number, unit in enumerate(units)]
    n_zones = spec.n_zones
    capacity = scenario_capacity[: last + 1].copy()  # (years, zones, 3): years < first kept
    reached = np.ones(capacity.shape, dtype=bool)
    beds_ci = np.full((*capacity.shape, 2), np.nan)
    opt = settings.spec
    margin = opt.upper_bound_margin
    previous_answer: dict[tuple[int, int], float] = {}
    for year in range(first, last + 1):
        label = int(prepared.years[year])
        generators = {}
        for search in searches:
            unit = search.unit
            zone_list = list(unit.zones)
            if opt.allow_closures:
                floors = np.zeros((len(zone_list), len(BED_TYPES)), dtype=np.int64)
            elif year == first:
                floors = scenario_capacity[first][zone_list].astype(np.int64)
            else:
                floors = capacity[year - 1][zone_list].astype(np.int64)
            start, upper, steps, active, tolerance = {}, {}, {}, {}, {}
            weights = np.ones((len(zone_list), len(BED_TYPES)))
            for t in groups.types:
                found = [int(capacity[y][zone_list, t].sum()) for y in range(first, year)]
                bounds = _type_bounds(variant, zone_list, t, year, found,
                                      previous_answer.get((search.number, t)),
                                      int(floors[:, t].sum()),
                                      int(scenario_capacity[year][zone_list, t].sum()),
                                      constraints, margin, label, spec.wait_threshold_days)
                start[t], upper[t], steps[t], tolerance[t] = (
                    bounds.start, bounds.upper, bounds.step, bounds.tolerance)
                weights[:, t] = bounds.weights
                if math.isfinite(bounds.guess):
                    previous_answer[(search.number, t)] = bounds.guess
                active[t] = (bool(groups.levels[t])
                             and float(search.group_share[year, t]) > 0
                             and any(c.applies(label) for c in constraints))
            history = capacity[:year][:, zone_list]
            generators[search.number] = search_year(search, year, history, floors, start,
                                                    upper, weights, steps, active, tolerance)
        outcomes = drive(generators, session, settings.seed, stats)
        for search in searches:
            outcome: YearOutcome = outcomes[search.number]
            zone_list = list(search.unit.zones)
            capacity[year][zone_list] = outcome.capacity
            for t in groups.types:
                reached[year][zone_list, t] = outcome.reached[t]
                beds_ci[year][zone_list, t, 0] = outcome.beds_ci[t][0]
                beds_ci[year][zone_list, t, 1] = outcome.beds_ci[t][1]
                if not outcome.reached[t]:
                    where = f" in {search.unit.name}" if n_zones > 1 else ""
                    targets = ", ".join(sorted({f"{c.label} ({c.target})"
                                                for c in outcome.failing[t]})) or "a target"
                    variant.messages.append(
                        f"{targets}: not reachable in {label} for the applicants of "
                        f"{BED_TYPES[t]} beds{where} within the bounds (at most "
                        f"{outcome.upper[t]:,} {BED_TYPES[t]} beds: {margin:g} × the largest "
                        f"analytic answer or the year before's, optimize.upper_bound_margin); "
                        f"best plan found: "
                        f"{_plan_text(capacity[year])}"
                        + (f" [{variant.name} variant]" if variant.name != _CENTRAL else ""))
        reduced = _cap_build_rate(variant, capacity, year, first, scenario_capacity, opt, label)
        reached[year] &= ~reduced
        if stage is not None:
            stage.advance(year + 1)
    variant.log = [{"variant": variant.name, **entry} for search in searches
                   for entry in search.log]
    variant.capacity = capacity
    variant.reached = reached
    variant.beds_ci = beds_ci


@dataclass(frozen=True)
class _TypeBounds:
    """Where the search of one bed type of a unit starts in a year, and its limits."""

    start: int
    upper: int
    step: int
    tolerance: int
    weights: np.ndarray  # how the type's total is shared among the unit's zones
    guess: float  # the analytic bracket of the year (lagged SIPP, else SIPP, else AFM)


def _type_bounds(variant: _Variant, zone_list: list[int], bed_type: int, year: int,
                 found: list[int], previous_guess: float | None, lower: int,
                 scenario_beds: int, constraints: Sequence[ServiceConstraint], margin: float,
                 label: int, threshold_days: float) -> _TypeBounds:
    """The start, upper bound, first step, tolerance and zone weights of one type's search.

    Start: the analytic bracket (lagged SIPP, else SIPP, else AFM; pooled over the unit's
    zones), or after the first year the years before's answers carried on by their own trend.
    Upper bound: ``margin`` × the largest analytic answer or the year before's simulated answer
    (the analytic methods leave out transfers between types and the spill of one group into
    another's beds), at least the scenario's own beds of the year and the floor.
    """
    zones = list(variant.prepared.zones)
    name = BED_TYPES[bed_type]
    per_zone = [variant.analytic[(zones[z], name)].iloc[year] for z in zone_list]
    pooled = variant.analytic[(ALL, name)].iloc[year] if len(zone_list) > 1 else per_zone[0]
    weights = np.array([_first_finite(row["sipp_lagged"], row["sipp"], row["afm"], 0.0)
                        for row in per_zone])
    guess = _first_finite(pooled["sipp_lagged"], pooled["sipp"], pooled["afm"], math.nan)
    load = float(pooled["transient_mean_beds"])
    load = load if math.isfinite(load) and load > 0 else 0.0
    answers = [float(row[m]) for row in per_zone for m in ("afm", "sipp", "sipp_lagged")]
    largest = float(np.nanmax([np.nan, *answers, weights.sum(), guess]))
    if not math.isfinite(largest):
        largest = load + 3 * math.sqrt(load) + 1
    upper = max(lower, math.ceil(margin * max([largest, *found[-1:]])), scenario_beds)
    if len(found) >= 2:  # the simulated answers' own trend
        moved = found[-1] + (found[-1] - found[-2])
    elif found and math.isfinite(guess) and previous_guess is not None:
        moved = found[-1] + guess - previous_guess
    elif math.isfinite(guess):
        moved = guess
    else:
        moved = lower
    start = round(moved)
    step = max(1, round((0.25 if found else 0.5) * math.sqrt(max(load, 1.0))))
    return _TypeBounds(start=start, upper=upper, step=step,
                       tolerance=_tolerance(constraints, label, load, pooled, threshold_days,
                                            start),
                       weights=weights, guess=guess)


def _tolerance(constraints: Sequence[ServiceConstraint], label: int, load: float,
               pooled: pd.Series, threshold_days: float, beds: int) -> int:
    """The beds that change a share target by about its indifference zone (Erlang C at the
    lagged load of the pool, :func:`beds_per_indifference_zone`); 1 without a share target."""
    shares = [c for c in constraints if c.applies(label) and c.metric in (
        "share_served_within_threshold", "share_of_admissions_within_threshold")]
    stay = float(pooled["mean_stay_days"])
    if not shares or not (math.isfinite(stay) and stay > 0 and load > 0):
        return 1
    return min(beds_per_indifference_zone(load / stay, stay, threshold_days, beds,
                                          c.indifference) for c in shares)


def _first_finite(*values: float) -> float:
    for value in values:
        if value is not None and math.isfinite(float(value)):
            return float(value)
    return math.nan


def _plan_text(year_beds: np.ndarray) -> str:
    by_type = year_beds.sum(axis=0)
    parts = [f"{int(by_type[t]):,} {BED_TYPES[t]}" for t in range(len(BED_TYPES))
             if by_type[t] > 0]
    return ", ".join(parts) or "no beds"


def _cap_build_rate(variant: _Variant, capacity: np.ndarray, year: int, first: int,
                    scenario_capacity: np.ndarray, opt: OptimizeSpec, label: int) -> np.ndarray:
    """Hold the beds added in ``year`` to ``optimize.max_beds_built_per_year``; the cells
    (zone, type) whose additions were cut."""
    limit = opt.max_beds_built_per_year
    none = np.zeros(capacity[year].shape, dtype=bool)
    if limit is None:
        return none
    before = scenario_capacity[first] if year == first else capacity[year - 1]
    added = np.maximum(capacity[year] - before, 0)
    wanted = int(added.sum())
    if wanted <= limit:
        return none
    flat = added.reshape(-1).astype(float)
    share = flat / flat.sum() * limit
    kept = np.floor(share).astype(np.int64)
    order = np.argsort(-(share - kept), kind="stable")
    kept[order[: limit - int(kept.sum())]] += 1
    capacity[year] = capacity[year] - added + kept.reshape(added.shape)
    variant.messages.append(
        f"demand outruns optimize.max_beds_built_per_year in {label}: {wanted:,} beds would be "
        f"added, {limit:,} are allowed; the plan adds {limit:,} (best plan within the bound: "
        f"{_plan_text(capacity[year])}), and the service-level targets may be missed in "
        f"{label} and after (see optimize_summary.csv)"
        + (f" [{variant.name} variant]" if variant.name != _CENTRAL else ""))
    return kept.reshape(added.shape) < added


# --------------------------------------------------------------------------------------------
# Plans of the analytic methods, and the verification
# --------------------------------------------------------------------------------------------


def _method_capacity(method: str, variant: _Variant, groups: SizingGroups, first: int,
                     last: int, scenario_capacity: np.ndarray, allow_closures: bool
                     ) -> np.ndarray:
    """The plan each analytic method would build: its answer per zone and type (the ratio
    method's total shared as the scenario's beds of the year), never below the beds built at
    the start and, without closures, never fewer than the year before."""
    zones = list(variant.prepared.zones)
    capacity = scenario_capacity[: last + 1].astype(np.int64).copy()
    for year in range(first, last + 1):
        if method == "ratio":
            total = variant.ratio[year]
            base = scenario_capacity[year].astype(float)
            if not math.isfinite(total):
                continue
            if base.sum() <= 0:
                base = np.zeros_like(base)
                base[:, groups.types[0]] = 1.0
            share = base / base.sum() * total
            beds = np.floor(share).astype(np.int64)
            flat = (share - beds).reshape(-1)
            beds.reshape(-1)[np.argsort(-flat, kind="stable")[: int(total - beds.sum())]] += 1
            capacity[year] = beds
        else:
            for z, zone in enumerate(zones):
                for t in groups.types:
                    value = float(variant.analytic[(zone, BED_TYPES[t])].iloc[year][method])
                    capacity[year, z, t] = int(value) if math.isfinite(value) else 0
        if not allow_closures:
            floor = scenario_capacity[first] if year == first else capacity[year - 1]
            capacity[year] = np.maximum(capacity[year], floor)
    return capacity


def _minus_one(capacity: np.ndarray, bed_type: int, first: int, scenario_capacity: np.ndarray,
               allow_closures: bool) -> np.ndarray | None:
    """The plan with one bed fewer of ``bed_type`` in every zone and searched year where the
    rules allow it (None when nowhere)."""
    out = capacity.copy()
    floor = (np.zeros_like(scenario_capacity[first]) if allow_closures
             else scenario_capacity[first])
    part = out[first:, :, bed_type]
    can = part - 1 >= floor[None, :, bed_type]
    if not can.any():
        return None
    part[can] -= 1
    return out


def _is_share(metric: str) -> bool:
    """Whether a service-level KPI is a share of applicants or admissions (in [0, 1])."""
    return metric == "p_wait" or metric.endswith(("_share", "_within_threshold"))


def _ci(values: np.ndarray, *, share: bool = False) -> tuple[float, float, float, int]:
    """Mean and two-sided 95 % t interval over replications (NaN left out); a share's interval
    is cut at 0 and 1, as in the run's KPIs (:func:`carefacility.runner.results.
    summarise_replications`)."""
    data = np.asarray(values, dtype=float)
    data = data[np.isfinite(data)]
    if data.size == 0:
        return math.nan, math.nan, math.nan, 0
    mean = float(data.mean())
    if data.size < 2:
        return mean, mean, mean, int(data.size)
    half = float(student_t_ppf(0.975, data.size - 1) * data.std(ddof=1) / math.sqrt(data.size))
    low, high = mean - half, mean + half
    if share:
        low, high = max(low, 0.0), min(high, 1.0)
    return mean, low, high, int(data.size)


def _status(comparison: str, threshold: float, low: float, high: float) -> str:
    if not (math.isfinite(low) and math.isfinite(high)):
        return "no data"
    good_low = low >= threshold if comparison == ">=" else high <= threshold
    good_high = high >= threshold if comparison == ">=" else low <= threshold
    if good_low and good_high:
        return "met"
    if not good_low and not good_high:
        return "missed"
    return "at_risk"


def _scenario_inputs(prepared: PreparedRun, horizon: int, groups: SizingGroups,
                     metrics: tuple[str, ...]) -> CandidateInputs:
    """The scenario's own plan (its homes and schedule), simulated up to ``horizon`` years."""
    spec = prepared.spec
    changes = spec.capacity_changes[spec.capacity_changes[:, 0] < horizon * DAYS_PER_YEAR]

    def cut(array: np.ndarray) -> np.ndarray:
        return np.array(np.broadcast_to(array, spec.arrival_rate_per_day.shape)[:horizon])

    own = dataclasses.replace(
        spec, capacity_changes=changes, arrival_rate_per_day=spec.arrival_rate_per_day[:horizon],
        share_80plus=cut(spec.share_80plus), share_low_income=cut(spec.share_low_income),
        arrival_trend_per_day_per_day=cut(spec.arrival_trend_per_day_per_day))
    return CandidateInputs(spec=own, groups={BED_TYPES[t]: groups.levels[t] for t in groups.types},
                           metrics=metrics)


def _verification_jobs(variants: list[_Variant], final: np.ndarray, groups: SizingGroups,
                       constraints: Sequence[ServiceConstraint], opt: OptimizeSpec,
                       first: int, last: int, scenario_capacity: dict[str, np.ndarray]
                       ) -> list[tuple[str, str, CandidateInputs]]:
    """The plans the verification simulates: (variant, plan, inputs)."""
    metrics = tuple(sorted({c.metric for c in constraints}))
    names = {BED_TYPES[t]: groups.levels[t] for t in groups.types}
    horizon = last + 1
    jobs: list[tuple[str, str, CandidateInputs]] = []
    for variant in variants:
        merged = variant.merged
        own = scenario_capacity[variant.name]

        def add(plan: str, capacity: np.ndarray, variant: _Variant = variant,
                merged: BedSpec = merged) -> None:
            jobs.append((variant.name, plan, CandidateInputs(
                spec=plan_spec(merged, capacity[:horizon]), groups=names, metrics=metrics)))

        add("minimal", final)
        jobs.append((variant.name, "scenario",
                     _scenario_inputs(variant.prepared, horizon, groups, metrics)))
        if variant.name != _CENTRAL:
            continue
        for t in groups.types:
            if not groups.levels[t]:
                continue
            fewer = _minus_one(final, t, first, own, opt.allow_closures)
            if fewer is not None:
                add(f"minimal_minus_one.{BED_TYPES[t]}", fewer)
        for method in _ANALYTIC_PLANS:
            if method == "ratio" and not np.isfinite(variant.ratio[first: last + 1]).any():
                continue
            add(method, _method_capacity(method, variant, groups, first, last, own,
                                         opt.allow_closures))
    return jobs


def _verify(jobs: list[tuple[str, str, CandidateInputs]], groups: SizingGroups,
            constraints: Sequence[ServiceConstraint], settings: SearchSettings, first: int,
            last: int, first_label: int, session: BatchSession, stage: Any | None
            ) -> tuple[pd.DataFrame, dict[tuple[str, str], dict[str, np.ndarray]]]:
    """Simulate the final plan and its neighbours with fresh replications; the summary rows and
    the per-replication values of every (variant, plan)."""
    opt = settings.spec
    names = {BED_TYPES[t]: groups.levels[t] for t in groups.types}
    horizon = last + 1
    start = opt.max_replications
    indices = list(range(start, start + opt.verification_replications))
    frames = session.run(replicate_groups, [Batch(inputs, indices) for _, _, inputs in jobs],
                         seed=settings.seed,
                         on_done=stage.advance if stage is not None else None)
    values: dict[tuple[str, str], dict[str, np.ndarray]] = {}
    rows = []
    for (variant_name, plan, _inputs), frame in zip(jobs, frames, strict=True):
        found = frame_values(frame, horizon)
        values[(variant_name, plan)] = found
        groups_shown = [ALL, *names] if plan == "minimal" else (
            [ALL, plan.split(".", 1)[1]] if plan.startswith("minimal_minus_one.") else [ALL])
        for constraint in constraints:
            for group in groups_shown:
                array = found.get(f"{constraint.metric}|{group}")
                if array is None:
                    continue
                for year in range(first, last + 1):
                    label = first_label + year
                    if not constraint.applies(label):
                        continue
                    mean, low, high, count = _ci(array[:, year],
                                                 share=_is_share(constraint.metric))
                    threshold = constraint.threshold
                    rows.append({
                        "variant": variant_name, "plan": plan, "target": constraint.target,
                        "label": constraint.label, "metric": constraint.metric,
                        "group": group, "year": label, "comparison": constraint.comparison,
                        "threshold": threshold, "indifference": constraint.indifference,
                        "mean": mean, "ci_low": low, "ci_high": high, "replications": count,
                        "status": _status(constraint.comparison, threshold, low, high)})
    return pd.DataFrame(rows, columns=SUMMARY_COLUMNS), values


# --------------------------------------------------------------------------------------------
# Tables
# --------------------------------------------------------------------------------------------


def _binding(summary: pd.DataFrame, variant: str, group: str, year: int
             ) -> tuple[str, float, float, float]:
    """The KPI of the target nearest its threshold (in indifference zones) at the plan."""
    rows = summary[(summary["variant"] == variant) & (summary["plan"] == "minimal")
                   & (summary["group"] == group) & (summary["year"] == year)]
    if rows.empty:
        return "", math.nan, math.nan, math.nan
    sign = np.where(rows["comparison"] == ">=", 1.0, -1.0)
    margin = sign * (rows["mean"] - rows["threshold"]) / rows["indifference"]
    best = rows.iloc[int(np.nanargmin(margin.fillna(np.inf).to_numpy()))]
    return (str(best["metric"]), float(best["mean"]), float(best["ci_low"]),
            float(best["ci_high"]))


def _minimal_plan_table(central: _Variant, final: np.ndarray, reached: np.ndarray,
                        beds_ci: np.ndarray, groups: SizingGroups, first: int, last: int,
                        scenario_capacity: np.ndarray, summary: pd.DataFrame) -> pd.DataFrame:
    prepared = central.prepared
    zones = list(prepared.zones)
    several = len(zones) > 1
    rows = []

    def row(year: int, zone: str, bed_type: str, planned: float, needed: float,
            method: str, **more: Any) -> None:
        rows.append({"year": int(prepared.years[year]), "zone": zone, "bed_type": bed_type,
                     "beds_planned": planned, "beds_needed": needed, "method": method, **more})

    for year in range(first, last + 1):
        label = int(prepared.years[year])
        plan_year = scenario_capacity[year]
        zone_names = [*(zones if several else []), ALL]
        for zone_name in zone_names:
            zone_index = list(range(len(zones))) if zone_name == ALL else [zones.index(zone_name)]
            for t in groups.types:
                name = BED_TYPES[t]
                metric, level, low, high = _binding(summary, _CENTRAL, name, label)
                cis = beds_ci[year][zone_index, t]
                row(year, zone_name, name, float(plan_year[zone_index, t].sum()),
                    float(final[year][zone_index, t].sum()), "simulation",
                    ci_low=float(np.nansum(cis[:, 0])) if np.isfinite(cis[:, 0]).all()
                    else math.nan,
                    ci_high=float(cis[:, 1].sum()) if np.isfinite(cis[:, 1]).all()
                    else math.nan,
                    reached=bool(reached[year][zone_index, t].all()), metric=metric,
                    service_level=level, service_level_ci_low=low, service_level_ci_high=high)
            metric, level, low, high = _binding(summary, _CENTRAL, ALL, label)
            cis = beds_ci[year][zone_index][:, list(groups.types)]
            row(year, zone_name, ALL, float(plan_year[zone_index].sum()),
                float(final[year][zone_index].sum()), "simulation",
                ci_low=float(cis[..., 0].sum()) if np.isfinite(cis[..., 0]).all() else math.nan,
                ci_high=float(cis[..., 1].sum()) if np.isfinite(cis[..., 1]).all() else math.nan,
                reached=bool(reached[year][zone_index][:, list(groups.types)].all()),
                metric=metric, service_level=level, service_level_ci_low=low,
                service_level_ci_high=high)
        for method in ("afm", "sipp", "sipp_lagged"):
            totals = {t: 0.0 for t in groups.types}
            for z, zone in enumerate(zones):
                for t in groups.types:
                    value = float(central.analytic[(zone, BED_TYPES[t])].iloc[year][method])
                    totals[t] += value
                    if several:
                        row(year, zone, BED_TYPES[t], float(plan_year[z, t]), value, method)
            for t in groups.types:
                row(year, ALL, BED_TYPES[t], float(plan_year[:, t].sum()), totals[t], method)
            row(year, ALL, ALL, float(plan_year.sum()), float(sum(totals.values())), method)
        if several:
            pooled_total = 0.0
            for t in groups.types:
                value = float(central.analytic[(ALL, BED_TYPES[t])].iloc[year]["sipp"])
                pooled_total += value
                row(year, ALL, BED_TYPES[t], float(plan_year[:, t].sum()), value,
                    "sipp_pooled")
            row(year, ALL, ALL, float(plan_year.sum()), pooled_total, "sipp_pooled")
        if math.isfinite(central.ratio[year]):
            row(year, ALL, ALL, float(plan_year.sum()), float(central.ratio[year]), "ratio")
    table = pd.DataFrame(rows)
    for column in MINIMAL_PLAN_COLUMNS:
        if column not in table.columns:
            table[column] = math.nan
    table["reached"] = table["reached"].astype("object")
    order = {method: index for index, method in enumerate(METHODS)}
    table["_order"] = table["method"].map(order)
    table = table.sort_values(["_order", "year"], kind="stable").drop(columns="_order")
    return table[MINIMAL_PLAN_COLUMNS].reset_index(drop=True)


def _costs_table(costs: CostsSpec, plans: dict[str, np.ndarray], built: np.ndarray,
                 waiting: dict[str, np.ndarray | None], years: np.ndarray, first: int,
                 last: int) -> pd.DataFrame:
    per_bed_year = np.asarray(costs.by_type("per_bed_year"))
    per_new_bed = np.asarray(costs.by_type("per_new_bed"))
    rows = []
    for plan, capacity in plans.items():
        totals = dict.fromkeys(("beds", "new_beds", "bed_year_cost", "new_bed_cost",
                                "waiting_person_days", "waiting_cost", "total_cost"), 0.0)
        for year in range(first, last + 1):
            beds_by_type = capacity[year].sum(axis=0)
            before = built if year == 0 else capacity[year - 1]
            new = np.maximum(capacity[year] - before, 0).sum(axis=0)
            bed_cost = float(per_bed_year @ beds_by_type)
            new_cost = float(per_new_bed @ new)
            person_days = waiting.get(plan)
            mean = low = high = math.nan
            if person_days is not None:
                mean, low, high, _count = _ci(person_days[:, year])
            wait_cost = costs.per_day_waited * mean if math.isfinite(mean) else math.nan
            total = bed_cost + new_cost + (wait_cost if math.isfinite(wait_cost) else 0.0)
            rows.append({"plan": plan, "year": str(int(years[year])),
                         "beds": float(beds_by_type.sum()), "new_beds": float(new.sum()),
                         "bed_year_cost": bed_cost, "new_bed_cost": new_cost,
                         "waiting_person_days": mean, "waiting_person_days_ci_low": low,
                         "waiting_person_days_ci_high": high, "waiting_cost": wait_cost,
                         "total_cost": total, "currency": costs.currency})
            for key, value in (("new_beds", float(new.sum())), ("bed_year_cost", bed_cost),
                               ("new_bed_cost", new_cost), ("waiting_person_days", mean),
                               ("waiting_cost", wait_cost), ("total_cost", total)):
                totals[key] += value
        rows.append({"plan": plan, "year": "total", "beds": math.nan,
                     "new_beds": totals["new_beds"], "bed_year_cost": totals["bed_year_cost"],
                     "new_bed_cost": totals["new_bed_cost"],
                     "waiting_person_days": totals["waiting_person_days"],
                     "waiting_person_days_ci_low": math.nan,
                     "waiting_person_days_ci_high": math.nan,
                     "waiting_cost": totals["waiting_cost"], "total_cost": totals["total_cost"],
                     "currency": costs.currency})
    return pd.DataFrame(rows, columns=COST_COLUMNS)


def _sites_table(prepared: PreparedRun, first: int, last: int) -> pd.DataFrame | None:
    """Day-care centres and meal points: the analytic sites needed beside the plan's."""
    rows = prepared.service_rows
    if rows is None or rows.empty:
        return None
    years = [int(y) for y in prepared.years[first: last + 1]]
    out = []
    for kind in ("day_centre", "meal_point"):
        sites = rows[rows["metric"] == f"{kind}.sites"].set_index("year")["value"]
        needed = rows[rows["metric"] == f"{kind}.sites_needed"]
        if needed.empty:
            continue
        unit = str(needed["unit"].iloc[0])
        needed = needed.set_index("year")["value"]
        for year in years:
            out.append({"year": year, "zone": ALL, "service": kind,
                        "sites_planned": float(sites.get(year, math.nan)),
                        "sites_needed": float(needed.get(year, math.nan)),
                        "method": "analytic", "unit": unit})
    return pd.DataFrame(out) if out else None


# --------------------------------------------------------------------------------------------
# Variants
# --------------------------------------------------------------------------------------------


def _robust_plan(variants: list[_Variant], first: int, allow_closures: bool) -> np.ndarray:
    """The central plan, or with variants the most beds any variant needs (per year, zone and
    type; kept non-decreasing without closures)."""
    final = variants[0].capacity
    assert final is not None
    final = final.copy()
    for variant in variants[1:]:
        assert variant.capacity is not None
        final = np.maximum(final, variant.capacity)
    if len(variants) > 1 and not allow_closures:
        final[first:] = np.maximum.accumulate(final[first:], axis=0)
    return final


def _variant_scenarios(scenario: Scenario, opt: OptimizeSpec) -> list[tuple[str, Scenario]]:
    """The robust search's demographic variants besides the central scenario."""
    from carefacility.population.projection import MORTALITY_SENSITIVITY
    from carefacility.scenario.loader import load_scenario

    variants: list[tuple[str, Scenario]] = []
    if opt.mortality_band and scenario.population is not None:
        for name, factor in (("mortality_high", 1 + MORTALITY_SENSITIVITY),
                             ("mortality_low", 1 - MORTALITY_SENSITIVITY)):
            populations = {basis: _scaled_mortality(inputs, factor)
                           for basis, inputs in scenario.populations.items()}
            primary = populations[scenario.population.basis]
            extra = {basis: inputs for basis, inputs in populations.items()
                     if basis != scenario.population.basis}
            variants.append((name, dataclasses.replace(scenario, population=primary,
                                                       extra_populations=extra)))
    for variant in opt.robust:
        overrides = (*getattr(scenario, "overrides", ()), *variant.set)
        variants.append((variant.name, load_scenario(scenario.file, overrides)))
    return variants


def _scaled_mortality(inputs: Any, factor: float) -> Any:
    """Population inputs with every death rate times ``factor`` (as the projection's band)."""
    from carefacility.population.inputs import GroupedTable

    table = inputs.mortality
    scaled = table.values * factor
    if inputs.mortality_measure == "qx":
        scaled = np.minimum(scaled, 1.0)
        scaled[..., -1] = 1.0
    return dataclasses.replace(inputs, mortality=GroupedTable(table.age_groups, table.keys,
                                                              scaled))


def _prepare(scenario: Scenario) -> PreparedRun:
    projection = None
    if scenario.population is not None:
        projection = project_populations(scenario.populations, scenario.demand_basis)
    return prepare_run(scenario, projection)


# --------------------------------------------------------------------------------------------
# The public function
# --------------------------------------------------------------------------------------------


def no_target_message(scenario: Scenario) -> str:
    """The error of a scenario without a service-level target."""
    return (f"{scenario.file}: `carefacility optimize` sizes the plan for its service-level "
            "targets, and the scenario has none: add one to `targets:` on "
            f"{', '.join(CAPACITY_METRICS)}, e.g. {{id: within_30_days, metric: "
            "share_served_within_threshold, value: 0.95}")


def optimize_plan(scenario: Scenario, *, confidence: float | None = None,
                  replications: int | None = None, seed: int | None = None,
                  executor: Executor = "processes", workers: int | None = None,
                  dask_address: str | None = None, robust: bool = False,
                  years: tuple[int, int] | None = None, prepared: PreparedRun | None = None,
                  progress: Progress | None = None) -> OptimizeResult:
    """Find the smallest sufficient plan of a scenario (see the module notes).

    Parameters
    ----------
    scenario : Scenario
        With ``plan``, ``simulation`` and at least one service-level target
        (:data:`carefacility.targets.service_levels.CAPACITY_METRICS`); its ``optimize:``
        section (optional) sets the search, its ``costs:`` section (optional) the costs.
    confidence : float, optional
        Overrides ``optimize.confidence``.
    replications : int, optional
        Overrides ``optimize.replications`` (the first stage of the sequential test).
    seed : int, optional
        Overrides ``simulation.seed``; the result depends only on it, not on the executor.
    executor, workers, dask_address
        Where replications run (:func:`carefacility.runner.executors.run_batches`).
    robust : bool
        Size against the demographic variants too (module notes).
    years : (int, int), optional
        First and last plan year to optimise; overrides ``optimize.years``.
    prepared : PreparedRun, optional
        The scenario's prepared run, when already made.
    progress : Progress, optional
        Times and shows the stages ``prepare``, ``analytic``, ``search`` (counted in
        simulated years, so that its time left is an estimate), ``verification``.

    Returns
    -------
    OptimizeResult

    Raises
    ------
    ValueError
        Without ``plan``/``simulation`` sections, without a service-level target, or with
        years outside the simulation.
    """
    started = time.perf_counter()
    progress = progress if progress is not None else Progress()
    simulation = scenario.spec.simulation
    if scenario.plan is None or simulation is None:
        raise ValueError(f"{scenario.file}: `carefacility optimize` needs `plan` and "
                         "`simulation` sections")
    opt = scenario.spec.optimize or OptimizeSpec()
    updates: dict[str, Any] = {}
    if confidence is not None:
        updates["confidence"] = confidence
    if replications is not None:
        updates["replications"] = replications
        updates["max_replications"] = max(opt.max_replications, replications)
    if updates:
        opt = OptimizeSpec.model_validate({**opt.model_dump(), **updates})
    constraints = service_constraints(scenario.spec.targets, opt)
    if not constraints:
        raise ValueError(no_target_message(scenario))
    seed = simulation.seed if seed is None else seed
    first_label = simulation.start_date.year
    last_label = first_label + simulation.years - 1
    wanted = years if years is not None else (opt.year_range or (first_label, last_label))
    outside = [y for y in wanted if not first_label <= y <= last_label]
    if outside or wanted[1] < wanted[0]:
        raise ValueError(f"years {wanted[0]}-{wanted[1]}: give years within the simulated "
                         f"years {first_label}-{last_label}")
    first, last = wanted[0] - first_label, wanted[1] - first_label
    stages = looks(opt.replications, opt.max_replications)
    settings = SearchSettings(spec=opt, seed=seed, alpha_look=(1 - opt.confidence) / stages,
                              stages=stages)

    with progress.stage("prepare"):
        central_prepared = prepared if prepared is not None else _prepare(scenario)
        others = [(name, _prepare(variant)) for name, variant in
                  (_variant_scenarios(scenario, opt) if robust else [])]
    spec = central_prepared.spec
    groups = sizing_groups(spec, used_bed_types(spec))
    ratio_value, ratio_source = _ratio_target(scenario)
    with progress.stage("analytic"):
        variants = []
        for name, prepared_run in [(_CENTRAL, central_prepared), *others]:
            variants.append(_Variant(
                name=name, prepared=prepared_run, merged=merged_spec(prepared_run.spec),
                analytic=_analytic(prepared_run, groups, constraints),
                ratio=ratio_beds(prepared_run.pop_60plus, ratio_value)))
    scenario_capacity = {variant.name: capacity_at_year_start(variant.prepared.spec)
                         for variant in variants}
    weight = sum(y + 1 for y in range(first, last + 1))
    stats = SearchStats()
    with BatchSession(executor, workers, dask_address) as session:
        with progress.stage("search", total=weight * len(variants)) as stage:
            for variant in variants:
                _search_variant(variant, groups, constraints, settings, first, last,
                                scenario_capacity[variant.name], session, stats, stage)
        final = _robust_plan(variants, first, opt.allow_closures)
        jobs = _verification_jobs(variants, final, groups, constraints, opt, first, last,
                                  scenario_capacity)
        with progress.stage("verification",
                            total=len(jobs) * opt.verification_replications) as stage:
            summary, values = _verify(jobs, groups, constraints, settings, first, last,
                                      int(central_prepared.years[0]), session, stage)
    reached = variants[0].reached
    beds_ci = variants[0].beds_ci
    assert reached is not None and beds_ci is not None
    if len(variants) > 1:
        for variant in variants[1:]:
            assert variant.reached is not None
            reached = reached & variant.reached
        beds_ci = np.full_like(beds_ci, np.nan)  # the robust plan is a maximum: no interval
    central = variants[0]
    own = scenario_capacity[_CENTRAL]
    minimal_plan = _minimal_plan_table(central, final, reached, beds_ci, groups, first, last,
                                       own, summary)
    messages = [message for variant in variants for message in variant.messages]
    costs = None
    if scenario.spec.costs is not None:
        plans = {"scenario": own[: last + 1], "minimal": final}
        for method in _ANALYTIC_PLANS:
            plans[method] = _method_capacity(method, central, groups, first, last, own,
                                             opt.allow_closures)
        waiting = {plan: values.get((_CENTRAL, plan), {}).get(f"waiting_person_days|{ALL}")
                   for plan in plans}
        costs = _costs_table(scenario.spec.costs, plans, own[0], waiting,
                             central.prepared.years, first, last)
    log = pd.DataFrame([entry for variant in variants for entry in variant.log])
    metadata = {
        "scenario": scenario.name,
        "scenario_file": str(scenario.file),
        "overrides": list(getattr(scenario, "overrides", ())),
        "carefacility_version": __version__,
        "seed": seed,
        "years": [int(wanted[0]), int(wanted[1])],
        "confidence": opt.confidence,
        "indifference_zone": opt.indifference_zone,
        "indifference_zone_days": opt.indifference_zone_days,
        "indifference_zone_persons": opt.indifference_zone_persons,
        "replications": opt.replications,
        "max_replications": opt.max_replications,
        "verification_replications": opt.verification_replications,
        "stages_of_the_test": stages,
        "allow_closures": opt.allow_closures,
        "max_beds_built_per_year": opt.max_beds_built_per_year,
        "upper_bound_margin": opt.upper_bound_margin,
        "bed_types": [BED_TYPES[t] for t in groups.types],
        "groups": {BED_TYPES[t]: [_level_name(level) for level in groups.levels[t]]
                   for t in groups.types},
        "units": [unit.name for unit in _units(spec, list(central.prepared.zones))],
        "ratio_beds_per_1000_60plus": ratio_value,
        "ratio_source": ratio_source,
        "robust": robust,
        "variants": [variant.name for variant in variants],
        "executor": executor,
        "search_simulations": stats.simulations,
        "search_replications": stats.replications,
        "search_replication_years": stats.replication_years,
        "verification_simulations": len(jobs),
        "verification_replications_run": len(jobs) * opt.verification_replications,
        "reached": bool(minimal_plan.loc[minimal_plan["method"] == "simulation", "reached"]
                        .astype(bool).all()),
        "duration_seconds": round(time.perf_counter() - started, 3),
        "stage_seconds": {name: round(value, 3) for name, value in progress.seconds.items()},
    }
    return OptimizeResult(minimal_plan=minimal_plan, summary=summary, plan_costs=costs,
                          minimal_sites=_sites_table(central.prepared, first, last),
                          search_log=log, messages=tuple(messages), metadata=metadata,
                          scenario=scenario)


def _level_name(level: int) -> str:
    from carefacility.beds.engine_spec import LEVELS

    return LEVELS[level]
