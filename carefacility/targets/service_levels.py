"""Service-level targets as constraints on a capacity plan, and the sequential test that judges a
simulated candidate plan against them.

Constraints
-----------
Of a scenario's targets, those whose KPI depends on the beds (:data:`CAPACITY_METRICS`) are
the service levels a plan must meet: shares of applicants served in time, waits, the waiting
list. :func:`service_constraints` turns each into a :class:`ServiceConstraint` with the
indifference zone of its unit (``optimize.indifference_zone`` for shares,
``indifference_zone_days`` for waits, ``indifference_zone_persons`` for the waiting list).

The sequential test
-------------------
A candidate plan is simulated with ``n`` replications (common random numbers: the same seed
and replication indices for every candidate). For a constraint "KPI ≥ θ" with indifference zone
δ, with ``m`` the mean over replications, ``s`` their standard deviation and ``t`` Student's
quantile at one-sided level ``1 − α/K`` (``K`` looks, Bonferroni):

* **accept** when the lower bound ``m − t s/√n ≥ θ − δ``;
* **reject** when the upper bound ``m + t s/√n < θ``;
* otherwise add replications (the stages double ``n`` up to the cap); still undecided at the
  cap, the candidate counts as rejected, so the plan errs towards more beds.

"KPI ≤ θ" is the mirror image (accept when the upper bound ≤ θ + δ, reject when the lower bound
> θ). With ``K`` the number of stages, the chance of accepting a candidate whose true mean is
below ``θ − δ`` is at most α for each constraint and candidate, if the replication means are
normal (the t interval); the same holds for rejecting one whose true mean is at least θ. What
it does not give: a simultaneous guarantee over all years, types and candidates the search
looks at (each decision has its own α), or anything about the normal approximation with very
skewed KPIs and few replications (long stays make yearly service levels skewed: see
``scenarios/textbook/erlang_c.yaml``).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np

from carefacility.queueing.distributions import student_t_ppf
from carefacility.targets.optimize_spec import OptimizeSpec
from carefacility.targets.spec import TARGET_METRICS, TargetSpec

__all__ = ["CAPACITY_METRICS", "Decision", "ServiceConstraint", "decide", "looks",
           "service_constraints"]

CAPACITY_METRICS: dict[str, str] = {
    # metric: its kind (the unit of its indifference zone)
    "share_served_within_threshold": "share",
    "share_of_admissions_within_threshold": "share",
    "p_wait": "share",
    "abandoned_share": "share",
    "blocked_share": "share",
    "wait_p95_days": "days",
    "wait_mean_days": "days",
    "waiting_list_year_end": "persons",
}
"""Target metrics whose value depends on the beds: the service levels a plan is sized for."""

Decision = Literal["accept", "reject", "undecided"]


@dataclass(frozen=True)
class ServiceConstraint:
    """One service-level target as a constraint on the plan.

    Attributes
    ----------
    target : str
        The target's id.
    metric : str
        The KPI (:data:`CAPACITY_METRICS`).
    comparison : {">=", "<="}
    threshold : float
        θ, in the metric's unit.
    indifference : float
        δ, in the metric's unit.
    from_year, to_year : int or None
        Years the target applies (None: from the first / to the last simulated year).
    label : str
        How the scenario words it.
    """

    target: str
    metric: str
    comparison: str
    threshold: float
    indifference: float
    from_year: int | None = None
    to_year: int | None = None
    label: str = ""

    def applies(self, year: int) -> bool:
        """Whether the target applies in ``year``."""
        return ((self.from_year is None or year >= self.from_year)
                and (self.to_year is None or year <= self.to_year))


def service_constraints(targets: Sequence[TargetSpec], optimize: OptimizeSpec | None = None
                        ) -> list[ServiceConstraint]:
    """The scenario's service-level targets (those of :data:`CAPACITY_METRICS`).

    Parameters
    ----------
    targets : sequence of TargetSpec
    optimize : OptimizeSpec, optional
        The ``optimize:`` section (its indifference zones); default its defaults.

    Returns
    -------
    list of ServiceConstraint
    """
    optimize = optimize or OptimizeSpec()
    zones = {"share": optimize.indifference_zone, "days": optimize.indifference_zone_days,
             "persons": optimize.indifference_zone_persons}
    found = []
    for target in targets:
        kind = CAPACITY_METRICS.get(target.metric)
        if kind is None:
            continue
        comparison = target.comparison or TARGET_METRICS[target.metric][0]
        found.append(ServiceConstraint(
            target=target.id, metric=target.metric, comparison=comparison,
            threshold=float(target.value), indifference=float(zones[kind]),
            from_year=target.from_year, to_year=target.to_year,
            label=target.label or f"{target.metric} {comparison} {target.value:g}"))
    return found


def looks(replications: int, max_replications: int) -> int:
    """Stages of the sequential test: ``replications``, doubled, …, up to ``max_replications``
    (the last stage capped there)."""
    count, n = 1, replications
    while n < max_replications:
        n = min(2 * n, max_replications)
        count += 1
    return count


def decide(values: np.ndarray, constraint: ServiceConstraint, alpha: float, *,
           threshold: float | None = None) -> tuple[Decision, float, float, float]:
    """Judge one constraint on the replications of a candidate (one stage of the test).

    Parameters
    ----------
    values : numpy.ndarray
        The KPI in each replication (NaN where undefined, e.g. no applicant; left out).
    constraint : ServiceConstraint
    alpha : float
        One-sided error of this look (already divided by the number of looks).
    threshold : float, optional
        θ to use instead of the constraint's (a group's share of a count target).

    Returns
    -------
    (decision, mean, lower, upper)
        The decision and the one-sided bounds at level ``1 − alpha``. With no defined value
        the constraint is accepted (nothing to serve); with one value, or all equal, the
        bounds are the mean.
    """
    theta = constraint.threshold if threshold is None else threshold
    data = np.asarray(values, dtype=float)
    data = data[np.isfinite(data)]
    if data.size == 0:
        return "accept", math.nan, math.nan, math.nan
    mean = float(data.mean())
    if data.size > 1:
        spread = float(data.std(ddof=1))
        half = float(student_t_ppf(1.0 - alpha, data.size - 1)) * spread / math.sqrt(data.size)
    else:
        half = math.inf
    lower, upper = mean - half, mean + half
    delta = constraint.indifference
    if constraint.comparison == ">=":
        if lower >= theta - delta:
            return "accept", mean, lower, upper
        if upper < theta:
            return "reject", mean, lower, upper
    else:
        if upper <= theta + delta:
            return "accept", mean, lower, upper
        if lower > theta:
            return "reject", mean, lower, upper
    return "undecided", mean, lower, upper
