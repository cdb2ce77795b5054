"""Enough replications to decide: add replications until every target is met or missed.

At care-home time scales a year's service level varies a lot between replications, and twenty
replications may not tell 5 % from 5.5 %. :func:`replicate_until_decided` runs the scenario's
replications, judges the targets (:func:`carefacility.targets.scorecard.scorecard`), and while
some target is at risk (its 95 % interval straddles the threshold) adds replications — as many
as the scorecard's ``replications_to_decide`` estimates, at most four times the current number
per round and never beyond ``max_replications``.

Replications are indexed (``run_replications(..., first=n)``), so a run that stopped at ``n``
replications gives exactly the numbers of a plain run with ``n`` replications and the same seed.

Looking at the intervals after each round and stopping when they exclude the threshold
("optional stopping") makes the chance of a wrong call somewhat larger than the nominal 5 % per
target and year; the rounds are few (each at least doubles the replications when far from
decided), and the history of rounds is returned so the report can say how the number was
reached.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import pandas as pd

from carefacility.base.progress import Stage
from carefacility.runner.executors import Executor, run_replications
from carefacility.runner.replicate import replicate
from carefacility.runner.results import summarise_replications
from carefacility.targets.scorecard import scorecard
from carefacility.targets.spec import TargetSpec

__all__ = ["DecidedReplications", "replicate_until_decided"]

_GROWTH_PER_ROUND = 4
"""At most this factor more replications per round: the estimate of how many are needed is
itself noisy when few replications have run."""


@dataclass(frozen=True)
class DecidedReplications:
    """What :func:`replicate_until_decided` returns.

    Attributes
    ----------
    per_replication : pandas.DataFrame
        ``replication, year, metric, value, unit`` of every replication run.
    kpis : pandas.DataFrame
        Their summary with 95 % intervals.
    scorecard : pandas.DataFrame
        The scorecard at the last round.
    rounds : pandas.DataFrame
        ``round, replications, undecided`` — replications after each round and how many
        (target, year) rows were still at risk then.
    """

    per_replication: pd.DataFrame
    kpis: pd.DataFrame
    scorecard: pd.DataFrame
    rounds: pd.DataFrame

    @property
    def decided(self) -> bool:
        """True when every target is met or missed (or has no data) in every year."""
        return not bool((self.scorecard["status"] == "at_risk").any())


def _next_total(card: pd.DataFrame, current: int, cap: int) -> int:
    """Replications in all for the next round."""
    wanted = card.loc[card["status"] == "at_risk", "replications_to_decide"]
    finite = wanted[wanted.apply(math.isfinite)]
    target = int(finite.max()) if len(finite) == len(wanted) and len(finite) else cap
    return min(cap, max(current + 1, min(target, _GROWTH_PER_ROUND * current)))


def replicate_until_decided(prepared: object, targets: Sequence[TargetSpec], *,
                            replications: int, max_replications: int, seed: int,
                            executor: Executor = "processes", workers: int | None = None,
                            dask_address: str | None = None,
                            cross_check: pd.DataFrame | None = None,
                            threshold_days: float | None = None,
                            stage: Stage | None = None) -> DecidedReplications:
    """Run replications until every target is decided at 95 % or ``max_replications`` ran.

    Parameters
    ----------
    prepared : PreparedRun
        From :func:`carefacility.runner.prepare.prepare_run`.
    targets : sequence of TargetSpec
        The scenario's targets.
    replications : int
        Replications of the first round (≥ 2 so that intervals exist).
    max_replications : int
        Cap on the replications in all (≥ ``replications``).
    seed : int
        The run's seed.
    executor, workers, dask_address
        Where replications run (:func:`carefacility.runner.executors.run_replications`).
    cross_check, threshold_days
        Passed to :func:`~carefacility.targets.scorecard.scorecard` (shortfalls in beds).
    stage : Stage, optional
        The progress stage to count replications in (its total grows with each round).

    Returns
    -------
    DecidedReplications
    """
    if replications < 2:
        raise ValueError(f"--until-decided needs at least 2 replications to start (got "
                         f"{replications})")
    if max_replications < replications:
        raise ValueError(f"max_replications ({max_replications}) must be at least the "
                         f"replications of the first round ({replications})")
    options = {"seed": seed, "executor": executor, "workers": workers,
               "dask_address": dask_address,
               "on_done": stage.advance if stage is not None else None}
    parts = [run_replications(replicate, prepared, replications=replications, **options)]
    total = replications
    rounds = []
    while True:
        per_replication = pd.concat(parts, ignore_index=True)
        kpis = summarise_replications(per_replication)
        card = scorecard(list(targets), kpis, cross_check=cross_check,
                         threshold_days=threshold_days)
        undecided = int((card["status"] == "at_risk").sum())
        rounds.append({"round": len(rounds) + 1, "replications": total,
                       "undecided": undecided})
        if undecided == 0 or total >= max_replications:
            break
        following = _next_total(card, total, max_replications)
        if stage is not None:
            stage.grow(following - total)
        parts.append(run_replications(replicate, prepared, replications=following - total,
                                      first=total, **options))
        total = following
    per_replication = per_replication.sort_values(["replication", "year", "metric"],
                                                  kind="stable", ignore_index=True)
    return DecidedReplications(per_replication=per_replication, kpis=kpis, scorecard=card,
                               rounds=pd.DataFrame(rounds))
