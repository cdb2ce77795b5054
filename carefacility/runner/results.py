"""Results over replications: per-replication values and their means with confidence intervals.

Every simulated figure a user sees is a mean over independent replications with a 95 %
confidence interval from Student's t distribution (replications are i.i.d. because their random
streams are independent).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from carefacility.queueing.distributions import student_t_ppf

if TYPE_CHECKING:
    from carefacility.population.projection import PopulationProjection
    from carefacility.scenario.loader import Scenario

__all__ = ["KPI_COLUMNS", "RunResult", "summarise_replications"]

KPI_COLUMNS = ["year", "metric", "mean", "ci_low", "ci_high", "unit", "replications"]


def summarise_replications(per_replication: pd.DataFrame, *, confidence: float = 0.95
                           ) -> pd.DataFrame:
    """Mean and t-based confidence interval of every (year, metric) over replications.

    Parameters
    ----------
    per_replication : pandas.DataFrame
        Long table with columns ``replication, year, metric, value, unit``.
    confidence : float
        Coverage of the interval (0.95 = 95 %).

    Returns
    -------
    pandas.DataFrame
        Columns ``year, metric, mean, ci_low, ci_high, unit, replications``. Intervals of
        shares (units starting with "fraction") are truncated to [0, 1]. With a single
        replication, or a metric that is constant across replications, the interval is the mean
        itself; values that are undefined in some replications (NaN, e.g. a wait quantile in a
        year with no admissions) are left out of that metric's mean and count.
    """
    grouped = per_replication.groupby(["year", "metric", "unit"], sort=True)["value"]
    n = grouped.count()
    mean = grouped.mean()
    sd = grouped.std(ddof=1)
    # scipy.stats.t.ppf's numbers, without importing scipy.stats (half a second)
    quantile = student_t_ppf(0.5 + confidence / 2, np.maximum(n.to_numpy() - 1, 1))
    half = np.where(n.to_numpy() > 1, quantile * sd.fillna(0).to_numpy() / np.sqrt(n), 0.0)
    out = pd.DataFrame({
        "mean": mean.to_numpy(),
        "ci_low": mean.to_numpy() - half,
        "ci_high": mean.to_numpy() + half,
        "replications": n.to_numpy(),
    }, index=mean.index).reset_index()
    # a share cannot leave [0, 1]: truncate its interval to the parameter space
    share = out["unit"].str.startswith("fraction")
    out.loc[share, "ci_low"] = out.loc[share, "ci_low"].clip(lower=0.0)
    out.loc[share, "ci_high"] = out.loc[share, "ci_high"].clip(upper=1.0)
    return out[KPI_COLUMNS]


@dataclass(frozen=True)
class RunResult:
    """What :func:`carefacility.run` returns.

    Attributes
    ----------
    per_replication : pandas.DataFrame
        ``replication, year, metric, value, unit`` — every KPI of every replication.
    kpis : pandas.DataFrame
        The summary over replications (:data:`KPI_COLUMNS`).
    metadata : dict
        Seed, replications, executor, version, duration, scenario file.
    tables : dict of str to pandas.DataFrame
        Deterministic tables of the run (population, need, demand, the analytic cross-check
        and, when the scenario has targets, the scorecard).
    scenario : Scenario, optional
        The scenario that was run (for the report's summary and assumptions).
    projection : PopulationProjection, optional
        The population projection the run used (for the report's population tables).
    """

    per_replication: pd.DataFrame
    kpis: pd.DataFrame
    metadata: dict[str, Any] = field(default_factory=dict)
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)
    scenario: Scenario | None = field(default=None, repr=False, compare=False)
    projection: PopulationProjection | None = field(default=None, repr=False, compare=False)

    @property
    def scorecard(self) -> pd.DataFrame | None:
        """The targets scorecard (one row per target and year), or None without targets."""
        return self.tables.get("scorecard")

    def summary(self, metrics: list[str] | None = None) -> pd.DataFrame:
        """KPI means by year (rows) and metric (columns), optionally only ``metrics``."""
        table = self.kpis if metrics is None else self.kpis[self.kpis.metric.isin(metrics)]
        return table.pivot(index="year", columns="metric", values="mean")
