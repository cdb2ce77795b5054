"""The search of one plan year: the fewest beds of each type that the sequential test accepts.

Used by :mod:`carefacility.runner.optimize` (which states the whole procedure and its
guarantee). A :class:`UnitSearch` is one part of the area searched on its own (a zone whose
applicants stay in it, or all zones) with its cache of candidate plans; :func:`search_year`
is a generator that asks for replications of candidate plans (:class:`Request`) and is sent
their values, so that the requests of several units go to the workers together
(:func:`drive`).

Within a year, every searched bed type moves at once in each candidate:

1. from the start (the analytic bracket) in steps that double, up while the type's group is
   rejected, down while it is accepted, until the decision changes;
2. then bisected between the largest count rejected (``lo``) and the smallest accepted
   (``hi``);
3. until ``hi − lo`` is at most the type's tolerance (the beds that change the service level by
   about the indifference zone δ by Erlang C at the lagged load; at least 1), or until the
   service levels at ``lo`` and ``hi`` as they were judged differ on their common replications
   by less than δ — or than the test's resolution at the cap (the half-width of its bound at
   ``max_replications``), when that is wider: plans closer than that cannot be told apart by
   the test anyway — so every count between is within that of both and ``hi`` is the answer
   (the other types' beds may have moved in between, so this errs towards more beds when they
   have grown);
4. then the plan of the year, every type at its ``hi``, is judged as a whole: a type whose
   group is not accepted there (the other types' final beds changed its spill) is searched on
   upwards; the year ends when every group is accepted or at its upper bound.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Generator, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from carefacility.beds import BedSpec
from carefacility.beds.engine_spec import BED_TYPES
from carefacility.queueing.distributions import student_t_ppf
from carefacility.runner.batch_session import BatchSession
from carefacility.runner.executors import Batch
from carefacility.runner.plan_candidates import (
    CandidateInputs,
    SizingGroups,
    plan_spec,
    replicate_groups,
)
from carefacility.targets.optimize_spec import OptimizeSpec
from carefacility.targets.service_levels import ServiceConstraint, decide

__all__ = ["MAX_ROUNDS", "Request", "SearchSettings", "SearchStats", "SearchUnit",
           "UnitSearch", "YearOutcome", "allocate", "drive", "frame_values", "search_year"]

MAX_ROUNDS = 200
"""Most candidate plans judged in one year of one unit (a safeguard; never reached in tests)."""

Values = dict[str, np.ndarray]


@dataclass(frozen=True)
class SearchSettings:
    """The search's parameters: the ``optimize:`` section, the seed and the test's level."""

    spec: OptimizeSpec
    seed: int
    alpha_look: float
    stages: int


@dataclass(frozen=True)
class SearchUnit:
    """A part of the area searched on its own: one zone (zones not shared) or all zones."""

    name: str
    zones: tuple[int, ...]
    """Zone indices of the full spec."""
    base: BedSpec
    """The merged spec of these zones (home ``i`` is the unit's zone ``i``)."""


@dataclass
class SearchStats:
    """What the search ran: candidate simulations, replications, replication-years."""

    simulations: int = 0
    replications: int = 0
    replication_years: int = 0


@dataclass
class _Evaluated:
    """The replications run so far of one candidate plan."""

    values: Values = field(default_factory=dict)  # metric -> (replications, years)
    count: int = 0
    capacity: np.ndarray | None = None


@dataclass(frozen=True)
class Request:
    """Replications ``indices`` of one candidate plan of unit ``unit``."""

    unit: int
    inputs: CandidateInputs
    indices: list[int]


def frame_values(frame: pd.DataFrame, years: int) -> Values:
    """The per-replication values of a frame of :func:`replicate_groups` rows, by metric, as
    arrays (replications, years)."""
    frame = frame.sort_values(["metric", "replication", "year"], kind="stable")
    replications = frame["replication"].nunique()
    out: Values = {}
    for metric, part in frame.groupby("metric", sort=False):
        values = part["value"].to_numpy(dtype=float)
        out[str(metric)] = values.reshape(replications, -1)[:, :years]
    return out


class UnitSearch:
    """The search of one unit: its groups, constraints and cache of candidate plans.

    Parameters
    ----------
    number : int
        The unit's number among those searched together.
    unit : SearchUnit
    groups : SizingGroups
    constraints : sequence of ServiceConstraint
    settings : SearchSettings
    first_year : int
        Calendar year of model year 0.
    spec : BedSpec
        The whole area's spec (for each group's share of the applicants).
    """

    def __init__(self, number: int, unit: SearchUnit, groups: SizingGroups,
                 constraints: Sequence[ServiceConstraint], settings: SearchSettings,
                 first_year: int, spec: BedSpec) -> None:
        self.number = number
        self.unit = unit
        self.groups = groups
        self.constraints = list(constraints)
        self.settings = settings
        self.first_year = first_year
        # (years, types): the share of the area's applicants whose preferred bed is the type's,
        # in this unit's zones (a waiting-list target is shared out by these shares)
        rates = spec.arrival_rate_per_day
        total = rates.sum(axis=(1, 2))
        self.group_share = np.zeros((spec.n_years, len(BED_TYPES)))
        for t in groups.types:
            levels = list(groups.levels[t])
            if levels:
                mine = rates[:, list(unit.zones)][:, :, levels].sum(axis=(1, 2))
                with np.errstate(invalid="ignore", divide="ignore"):
                    self.group_share[:, t] = np.where(total > 0, mine / total, 0.0)
        self.cache: dict[bytes, _Evaluated] = {}
        self.log: list[dict[str, Any]] = []
        self.metrics = tuple(sorted({c.metric for c in self.constraints}))
        self.group_names = {BED_TYPES[t]: groups.levels[t] for t in groups.types}

    def inputs(self, capacity: np.ndarray) -> CandidateInputs:
        """The candidate's simulation inputs."""
        return CandidateInputs(spec=plan_spec(self.unit.base, capacity),
                               groups=self.group_names, metrics=self.metrics)

    @staticmethod
    def key(capacity: np.ndarray) -> bytes:
        """The cache key of a candidate plan."""
        return np.ascontiguousarray(capacity, dtype=np.int64).tobytes() + bytes(
            str(capacity.shape), "ascii")

    def ensure(self, capacity: np.ndarray, count: int
               ) -> Generator[Request, Values, _Evaluated]:
        """At least ``count`` replications of ``capacity`` (indices ``0 .. count − 1``)."""
        evaluated = self.cache.setdefault(self.key(capacity), _Evaluated(capacity=capacity))
        if evaluated.count < count:
            values = yield Request(self.number, self.inputs(capacity),
                                   list(range(evaluated.count, count)))
            for name, array in values.items():
                old = evaluated.values.get(name)
                evaluated.values[name] = array if old is None else np.concatenate([old, array])
            evaluated.count = count
        return evaluated

    def threshold(self, constraint: ServiceConstraint, year: int, bed_type: int) -> float:
        """θ of a constraint for one group (a waiting-list target shared by the groups)."""
        if constraint.metric == "waiting_list_year_end":
            return constraint.threshold * float(self.group_share[year, bed_type])
        return constraint.threshold

    def judge(self, capacity: np.ndarray, year: int, types: Sequence[int]
              ) -> Generator[Request, Values, dict[int, dict[str, Any]]]:
        """The sequential test of every group of ``types`` at the candidate ``capacity``
        (simulated up to model year ``year``): stages of ``replications``, doubled up to
        ``max_replications``; a group still undecided at the cap is rejected."""
        spec = self.settings.spec
        count = min(spec.replications, spec.max_replications)
        decided: dict[int, dict[str, Any]] = {}
        while True:
            evaluated = yield from self.ensure(capacity, count)
            for bed_type in types:
                if bed_type in decided:
                    continue
                verdict = self._verdict(evaluated, bed_type, year, count)
                if verdict["decision"] != "undecided":
                    decided[bed_type] = verdict
                elif count >= spec.max_replications:
                    decided[bed_type] = {**verdict, "decision": "reject", "at_cap": True}
            if len(decided) == len(types):
                for bed_type in types:
                    decided[bed_type]["key"] = self.key(capacity)
                return decided
            count = min(2 * count, spec.max_replications)

    def _verdict(self, evaluated: _Evaluated, bed_type: int, year: int, count: int
                 ) -> dict[str, Any]:
        name = BED_TYPES[bed_type]
        label = self.first_year + year
        decisions, failing, short, enough = [], [], False, True
        for constraint in self.constraints:
            if not constraint.applies(label):
                continue
            values = evaluated.values.get(f"{constraint.metric}|{name}")
            if values is None:
                continue
            theta = self.threshold(constraint, year, bed_type)
            decision, _mean, lower, upper = decide(values[:count, year], constraint,
                                                   self.settings.alpha_look, threshold=theta)
            decisions.append(decision)
            if decision != "accept":
                failing.append(constraint)
            if math.isfinite(lower):
                greater = constraint.comparison == ">="
                short = short or (upper < theta if greater else lower > theta)
                enough = enough and (lower >= theta if greater else upper <= theta)
        if "reject" in decisions:
            decision = "reject"
        elif all(d == "accept" for d in decisions):
            decision = "accept"
        else:
            decision = "undecided"
        return {"decision": decision, "failing": failing, "short": short, "enough": enough,
                "replications": count, "at_cap": False}

    def margin(self, key: bytes, bed_type: int, year: int, count: int) -> float:
        """The group's worst service level against its targets over the first ``count``
        replications of a cached candidate, in indifference zones:
        ``min over targets of ± (mean − θ) / δ`` (NaN without values)."""
        evaluated = self.cache.get(key)
        if evaluated is None:
            return math.nan
        label = self.first_year + year
        worst = math.inf
        for constraint in self.constraints:
            if not constraint.applies(label):
                continue
            values = evaluated.values.get(f"{constraint.metric}|{BED_TYPES[bed_type]}")
            if values is None:
                continue
            data = values[:count, year]
            data = data[np.isfinite(data)]
            if data.size == 0:
                continue
            sign = 1.0 if constraint.comparison == ">=" else -1.0
            theta = self.threshold(constraint, year, bed_type)
            worst = min(worst, sign * (float(data.mean()) - theta) / constraint.indifference)
        return worst if math.isfinite(worst) else math.nan

    def resolution(self, key: bytes, bed_type: int, year: int) -> float:
        """The finest difference of service level the test can tell at the cap, in
        indifference zones: the half-width ``t s / √n`` of the bound at ``max_replications``
        replications (``s`` the spread of the cached candidate's replications; the largest over
        the targets; 0 when unknown)."""
        evaluated = self.cache.get(key)
        if evaluated is None:
            return 0.0
        cap = self.settings.spec.max_replications
        quantile = float(student_t_ppf(1.0 - self.settings.alpha_look, max(cap - 1, 1)))
        label = self.first_year + year
        widest = 0.0
        for constraint in self.constraints:
            if not constraint.applies(label):
                continue
            values = evaluated.values.get(f"{constraint.metric}|{BED_TYPES[bed_type]}")
            if values is None:
                continue
            data = values[:, year]
            data = data[np.isfinite(data)]
            if data.size < 2:
                continue
            half = quantile * float(data.std(ddof=1)) / math.sqrt(cap)
            widest = max(widest, half / constraint.indifference)
        return widest

    def count(self, key: bytes) -> int:
        """Replications run of a cached candidate."""
        evaluated = self.cache.get(key)
        return 0 if evaluated is None else evaluated.count


def drive(generators: dict[int, Generator[Request, Values, Any]], session: BatchSession,
          seed: int, stats: SearchStats,
          on_done: Callable[[], None] | None = None) -> dict[int, Any]:
    """Run search generators together: each round, every pending request on the session's
    workers at once; the generators' return values by number."""
    results: dict[int, Any] = {}
    pending: dict[int, Request] = {}
    for number, generator in generators.items():
        try:
            pending[number] = next(generator)
        except StopIteration as stop:
            results[number] = stop.value
    while pending:
        numbers = list(pending)
        batches = [Batch(pending[n].inputs, pending[n].indices) for n in numbers]
        stats.simulations += len(batches)
        stats.replications += sum(len(batch.indices) for batch in batches)
        stats.replication_years += sum(len(pending[n].indices) * pending[n].inputs.spec.n_years
                                       for n in numbers)
        frames = session.run(replicate_groups, batches, seed=seed, on_done=on_done)
        for number, frame in zip(numbers, frames, strict=True):
            request = pending.pop(number)
            values = frame_values(frame, request.inputs.spec.n_years)
            try:
                pending[number] = generators[number].send(values)
            except StopIteration as stop:
                results[number] = stop.value
    return results


@dataclass
class YearOutcome:
    """The beds found for one year of one unit.

    Attributes
    ----------
    capacity : numpy.ndarray of int, shape (unit zones, 3)
    reached : dict of int to bool
        Per searched type, whether its group was accepted.
    beds_ci : dict of int to (float, float)
        Per type, one more than the largest count shown short (upper bound below the target)
        — when none was, the floor if the beds found stand on it, else NaN — and the smallest
        count shown enough (lower bound at least the target), NaN when none was.
    failing : dict of int to list of ServiceConstraint
        The constraints not accepted at the final count of a type not reached.
    upper : dict of int to int
        The upper bounds used.
    """

    capacity: np.ndarray
    reached: dict[int, bool]
    beds_ci: dict[int, tuple[float, float]]
    failing: dict[int, list[ServiceConstraint]]
    upper: dict[int, int]


def allocate(total: int, floors: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Whole beds per zone summing to ``total`` (at least the floors' sum), each zone at least
    its floor, the rest shared by each zone's deficit against its weighted share of the total
    (largest remainder)."""
    floors = np.asarray(floors, dtype=np.int64)
    rest = int(total - floors.sum())
    out = floors.copy()
    if rest <= 0:
        return out
    if floors.size == 1:
        out[0] += rest
        return out
    weights = np.asarray(weights, dtype=float)
    if not np.isfinite(weights).all() or weights.sum() <= 0:
        weights = np.ones(floors.size)
    deficit = np.maximum(weights / weights.sum() * total - floors, 0.0)
    if deficit.sum() <= 0:
        deficit = weights
    wanted = deficit / deficit.sum() * rest
    extra = np.floor(wanted).astype(np.int64)
    order = np.argsort(-(wanted - extra), kind="stable")
    extra[order[: rest - int(extra.sum())]] += 1
    return out + extra


@dataclass
class _TypeState:
    """Where the search of one bed type stands."""

    x: int
    lo: int
    hi: int | None = None
    lo_key: bytes | None = None
    hi_key: bytes | None = None
    step: int = 1
    first_step: int = 1
    done: bool = False


def _within_indifference(search: UnitSearch, state: _TypeState, bed_type: int,
                         year: int) -> bool:
    """Whether the service levels at ``lo`` and ``hi`` (as judged, the other types at their
    beds of then) differ, on their common replications, by less than δ or than the test's
    resolution at the cap (:meth:`UnitSearch.resolution`), whichever is larger."""
    if state.lo_key is None or state.hi_key is None:
        return False
    common = min(search.count(state.lo_key), search.count(state.hi_key))
    low = search.margin(state.lo_key, bed_type, year, common)
    high = search.margin(state.hi_key, bed_type, year, common)
    finest = max(1.0, search.resolution(state.hi_key, bed_type, year))
    return math.isfinite(low) and math.isfinite(high) and high - low < finest


def search_year(search: UnitSearch, year: int, history: np.ndarray, floors: np.ndarray,
                start: dict[int, int], upper: dict[int, int], weights: np.ndarray,
                steps: dict[int, int], active: dict[int, bool],
                tolerance: dict[int, int] | None = None
                ) -> Generator[Request, Values, YearOutcome]:
    """Search the beds of each type of one unit in model year ``year`` (module notes).

    Parameters
    ----------
    search : UnitSearch
    year : int
        Model year index.
    history : numpy.ndarray of int, shape (year, unit zones, 3)
        The unit's beds in the years before.
    floors : numpy.ndarray of int, shape (unit zones, 3)
        The least beds of each zone and type this year.
    start, upper, steps : dict of int to int
        Per type, the unit's first candidate, the most beds looked at and the first step.
    weights : numpy.ndarray, shape (unit zones, 3)
        How a type's total is shared among the unit's zones (:func:`allocate`).
    active : dict of int to bool
        Whether a type is searched (it has applicants and a target applies this year); the
        others stay at their floors.
    tolerance : dict of int to int, optional
        Per type, the bisection stops when ``hi − lo`` is at most this (default 1): the beds
        that change the service level by about δ (``optimize_plan`` derives it from Erlang C).

    Returns
    -------
    YearOutcome
    """
    types = list(search.groups.types)
    tolerance = tolerance or {}
    lower = {t: int(floors[:, t].sum()) for t in types}
    searched = [t for t in types if active.get(t, False)]
    label = search.first_year + year
    states = {t: _TypeState(x=min(max(start.get(t, lower[t]), lower[t]), upper[t])
                            if t in searched else lower[t],
                            lo=lower[t] - 1, step=max(1, steps.get(t, 1)),
                            first_step=max(1, steps.get(t, 1)), done=t not in searched)
              for t in types}
    reached = {t: True for t in types}
    failing: dict[int, list[ServiceConstraint]] = {t: [] for t in types}
    records: dict[int, list[tuple[int, bool, bool]]] = {t: [] for t in types}

    def capacity_of() -> np.ndarray:
        year_beds = floors.copy()
        for t in types:
            year_beds[:, t] = allocate(states[t].x, floors[:, t], weights[:, t])
        return np.concatenate([history, year_beds[None]], axis=0)

    if not searched:  # no target applies, or nobody prefers these beds: the floors
        return YearOutcome(capacity=capacity_of()[-1], reached=reached,
                           beds_ci={t: (float(lower[t]), math.nan) for t in types},
                           failing=failing, upper=upper)
    verdicts: dict[int, dict[str, Any]] = {}
    for _round in range(MAX_ROUNDS):
        final_check = all(states[t].done for t in types)
        # while searching, only the types still moving are judged (a type already settled
        # would only add replications); the final check judges them all
        judged = searched if final_check else [t for t in searched if not states[t].done]
        verdicts = yield from search.judge(capacity_of(), year, judged)
        for t in judged:
            verdict = verdicts[t]
            records[t].append((states[t].x, verdict["short"], verdict["enough"]))
            search.log.append({"unit": search.unit.name, "year": label,
                               "bed_type": BED_TYPES[t], "beds": states[t].x,
                               "decision": verdict["decision"],
                               "replications": verdict["replications"],
                               "undecided_at_cap": verdict["at_cap"],
                               "final_check": final_check})
        if final_check:
            short = [t for t in searched if verdicts[t]["decision"] != "accept"
                     and states[t].x < upper[t]]
            if not short:
                for t in searched:
                    if verdicts[t]["decision"] != "accept":
                        reached[t] = False
                        failing[t] = verdicts[t]["failing"]
                break
            for t in short:  # the others' final beds left this type short: search on up
                state = states[t]
                state.lo, state.lo_key, state.hi, state.hi_key = (state.x, verdicts[t]["key"],
                                                                  None, None)
                state.done = False
                state.step = state.first_step
                state.x = min(upper[t], state.x + state.step)
                state.step *= 2
            continue
        for t in searched:
            state = states[t]
            if state.done:
                continue
            verdict = verdicts[t]
            if verdict["decision"] == "accept":
                state.hi, state.hi_key = state.x, verdict["key"]
            else:
                state.lo, state.lo_key = state.x, verdict["key"]
                failing[t] = verdict["failing"]
            if state.hi is not None and (state.hi - state.lo <= tolerance.get(t, 1)
                                         or _within_indifference(search, state, t, year)):
                state.done, state.x = True, state.hi
            elif state.hi is None:
                if state.x >= upper[t]:
                    state.done = True  # not reachable within the bounds: the most beds
                else:
                    state.x = min(upper[t], state.x + state.step)
                    state.step *= 2
            elif state.lo_key is None:  # accepted so far: step down
                state.x = max(state.lo + 1, state.hi - state.step)
                state.step *= 2
            else:
                state.x = (state.lo + state.hi) // 2
    else:  # no plan settled within the rounds: what is not accepted is not reached
        for t in searched:
            if verdicts.get(t, {}).get("decision") != "accept":
                reached[t] = False
                failing[t] = verdicts.get(t, {}).get("failing", [])
    beds_ci = {}
    for t in types:
        shown_short = [beds for beds, short, _enough in records[t] if short]
        shown_enough = [beds for beds, _short, enough in records[t] if enough]
        if shown_short:
            low = float(max(shown_short) + 1)
        else:  # none shown short: the rules' floor when the plan stands on it, else unknown
            low = float(lower[t]) if states[t].x == lower[t] else math.nan
        beds_ci[t] = (low, float(min(shown_enough)) if shown_enough else math.nan)
    return YearOutcome(capacity=capacity_of()[-1], reached=reached, beds_ci=beds_ci,
                       failing=failing, upper=upper)
