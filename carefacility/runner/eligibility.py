"""Who may take a nursing-type bed: the scenario's rule beside the other one.

The default rule lets any applicant take a nursing-type bed, preferring general beds for
independent and partially dependent applicants
(:data:`~carefacility.beds.engine_spec.PRACTICE_ELIGIBLE_BED_TYPES`); the strict reading keeps
nursing-type beds for dependent levels
(:data:`~carefacility.beds.engine_spec.NURSING_FOR_DEPENDENT_ELIGIBLE_BED_TYPES`). Which holds
is a plan's choice, and it decides whether nursing-type beds stand empty beside a queue, so a
run reports the other rule beside the one it simulated (:func:`eligibility_alternative`): a
second, smaller run of the same prepared inputs with only the rule changed, on the same seed
and therefore the same random streams (common random numbers: replication ``r`` of both runs
sees the same applicants), so the paired difference is estimated far more tightly than either
level.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd

from carefacility.beds.engine_spec import (
    BED_TYPES,
    LEVELS,
    NURSING_FOR_DEPENDENT_ELIGIBLE_BED_TYPES,
    PRACTICE_ELIGIBLE_BED_TYPES,
)
from carefacility.runner.executors import Executor, run_replications
from carefacility.runner.prepare import PreparedRun
from carefacility.runner.replicate import replicate
from carefacility.runner.results import summarise_replications

__all__ = [
    "ELIGIBILITY_COLUMNS",
    "ELIGIBILITY_METRICS",
    "alternative_inputs",
    "alternative_rule",
    "compare_rules",
    "eligibility_alternative",
    "rule_name",
    "rule_text",
]

ELIGIBILITY_METRICS: tuple[str, ...] = (
    "waiting_list_year_end", "occupancy.nursing", "occupied_beds.nursing", "occupancy.general",
    "occupied_beds.general", "admissions", "wait_p95_days", "share_served_within_threshold",
)
"""KPIs compared between the two rules (names as in ``kpis.csv``)."""

ELIGIBILITY_COLUMNS = ["year", "role", "rule", "eligible_bed_types", "metric", "mean", "ci_low",
                       "ci_high", "unit", "replications"]
"""Columns of the ``eligibility_alternative`` table."""

Rule = tuple[tuple[int, ...], ...]


def rule_name(rule: Rule) -> str:
    """``practice``, ``nursing_for_dependent`` or ``custom``."""
    if tuple(rule) == PRACTICE_ELIGIBLE_BED_TYPES:
        return "practice"
    if tuple(rule) == NURSING_FOR_DEPENDENT_ELIGIBLE_BED_TYPES:
        return "nursing_for_dependent"
    return "custom"


def rule_text(rule: Rule) -> str:
    """The rule as text, e.g. ``independent: general > nursing; dependent: nursing; ...``."""
    return "; ".join(f"{level}: {' > '.join(BED_TYPES[t] for t in types)}"
                     for level, types in zip(LEVELS, rule, strict=True))


def alternative_rule(rule: Rule) -> Rule:
    """The rule to report beside ``rule``: the strict one beside the default (practice), the
    default beside any other."""
    if tuple(rule) == PRACTICE_ELIGIBLE_BED_TYPES:
        return NURSING_FOR_DEPENDENT_ELIGIBLE_BED_TYPES
    return PRACTICE_ELIGIBLE_BED_TYPES


def alternative_inputs(prepared: PreparedRun) -> PreparedRun:
    """The run's prepared inputs with the other eligibility rule, beds only (no services).

    Parameters
    ----------
    prepared : PreparedRun
        The run's prepared inputs (its ``spec.eligible_bed_types`` is the scenario's rule).

    Returns
    -------
    PreparedRun
        The same inputs with :func:`alternative_rule` of the scenario's rule.
    """
    spec = dataclasses.replace(prepared.spec,
                               eligible_bed_types=alternative_rule(prepared.spec.eligible_bed_types))
    return dataclasses.replace(prepared, spec=spec, services=(), service_rows=None)


def eligibility_alternative(prepared: PreparedRun, per_replication: pd.DataFrame, *,
                            seed: int, replications: int, executor: Executor = "serial",
                            workers: int | None = None, dask_address: str | None = None
                            ) -> pd.DataFrame:
    """Year-end waiting list and bed use under the scenario's rule and the other one.

    Parameters
    ----------
    prepared : PreparedRun
        The run's prepared inputs (its ``spec.eligible_bed_types`` is the scenario's rule).
    per_replication : pandas.DataFrame
        The run's KPIs by replication (``replication, year, metric, value, unit``).
    seed : int
        The run's seed.
    replications : int
        Replications of the alternative run (≥ 1), ``0 .. replications - 1``: the same
        random streams as the run's first replications.
    executor, workers, dask_address
        As for :func:`carefacility.runner.executors.run_replications`.

    Returns
    -------
    pandas.DataFrame
        As :func:`compare_rules`.
    """
    alternative = run_replications(replicate, alternative_inputs(prepared),
                                   replications=replications, seed=seed, executor=executor,
                                   workers=workers, dask_address=dask_address)
    return compare_rules(prepared, per_replication, alternative)


def compare_rules(prepared: PreparedRun, per_replication: pd.DataFrame,
                  alternative: pd.DataFrame) -> pd.DataFrame:
    """The run under the scenario's rule beside its replications under the other rule.

    Parameters
    ----------
    prepared : PreparedRun
        The run's prepared inputs (its ``spec.eligible_bed_types`` is the scenario's rule).
    per_replication : pandas.DataFrame
        The run's KPIs by replication (``replication, year, metric, value, unit``).
    alternative : pandas.DataFrame
        KPIs by replication of :func:`alternative_inputs` on the same seed, replications
        ``0 .. n - 1`` (the same random streams as the run's first ``n``).

    Returns
    -------
    pandas.DataFrame
        :data:`ELIGIBILITY_COLUMNS`, one row per year, metric and ``role``: ``scenario`` (the
        run itself, all its replications: the figures of ``kpis.csv``), ``alternative`` (the
        other rule) and ``difference`` (alternative − scenario, paired over the common
        replications, with its 95 % CI).
    """
    chosen = prepared.spec.eligible_bed_types
    other = alternative_rule(chosen)
    keep = list(ELIGIBILITY_METRICS)
    mine = per_replication[per_replication["metric"].isin(keep)]
    theirs = alternative[alternative["metric"].isin(keep)]
    paired = theirs.merge(mine, on=["replication", "year", "metric", "unit"],
                          suffixes=("_alternative", "_scenario"))
    paired = paired.assign(value=paired["value_alternative"] - paired["value_scenario"])
    # a difference of shares is not a share: do not clip its interval to [0, 1]
    paired["unit"] = paired["unit"].str.replace("fraction", "difference of fractions", n=1)
    frames = []
    for role, frame, rule in (("scenario", mine, chosen), ("alternative", theirs, other),
                              ("difference", paired[["replication", "year", "metric", "value",
                                                     "unit"]], other)):
        summary = summarise_replications(frame)
        summary.insert(1, "role", role)
        summary.insert(2, "rule", rule_name(rule) if role != "difference" else
                       f"{rule_name(other)} - {rule_name(chosen)}")
        summary.insert(3, "eligible_bed_types", rule_text(rule) if role != "difference" else "")
        frames.append(summary)
    table = pd.concat(frames, ignore_index=True)
    order = {metric: i for i, metric in enumerate(ELIGIBILITY_METRICS)}
    roles = {"scenario": 0, "alternative": 1, "difference": 2}
    table = table.assign(_m=table["metric"].map(order), _r=table["role"].map(roles))
    table = table.sort_values(["year", "_m", "_r"], kind="stable").drop(columns=["_m", "_r"])
    return table[ELIGIBILITY_COLUMNS].reset_index(drop=True).astype(
        {"replications": np.int64})
