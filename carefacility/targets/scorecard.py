"""Plan targets and the scorecard: per target and year, met, missed or at risk, and by how much.

A target compares one KPI with a threshold in some years. Its status uses the KPI's 95 %
confidence interval over replications:

* **met** — the whole interval is on the right side of the threshold;
* **missed** — the whole interval is on the wrong side;
* **at risk** — the interval straddles the threshold (more replications may settle it).

Plan arithmetic (beds, nursing share, beds per 1,000 elders) has no uncertainty, so it is met or
missed.

Whether the replications suffice to call a target is stated too: ``decided`` is True when the
status is met or missed at 95 %, and for a target at risk ``replications_to_decide`` estimates
how many replications in all would narrow the interval enough to call it, assuming the mean and
the spread between replications stay as they are: the half-width shrinks like ``1/sqrt(n)``, so
``n × (half-width / |mean − threshold|)²``, rounded up (infinite when the mean sits on the
threshold). ``carefacility run --until-decided`` adds replications until every target is
decided or a cap is reached (:mod:`carefacility.runner.decide`).

The shortfall is given in the units a planner acts on: beds, nursing-type beds, dementia beds,
day-care centres, meal points.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from carefacility.queueing.erlang import servers_for_wait
from carefacility.targets.spec import TARGET_METRICS, TargetSpec

__all__ = ["BASIS_METRICS", "scorecard"]

_UNITS = {
    "beds": "beds", "beds.nursing": "nursing beds", "beds.dementia": "dementia beds",
    "nursing_share": "nursing beds", "beds_per_1000_60plus": "beds",
    "share_served_within_threshold": "beds (pooled M/M/c estimate)",
    "share_of_admissions_within_threshold": "beds (pooled M/M/c estimate)",
    "p_wait": "share of applicants", "abandoned_share": "share of applicants",
    "blocked_share": "share of applicants",
    "wait_p95_days": "days", "wait_mean_days": "days", "waiting_list_year_end": "persons",
    "dependent_in_general_beds": "persons",
    "day_centre.coverage_communities": "communities (zones without communities_csv) "
                                       "without a centre",
    "day_centre.coverage_elders": "share of elders",
    "meal_point.coverage_communities": "communities (zones without communities_csv) "
                                       "without a meal point",
    "meal_point.coverage_elders": "share of elders",
    "day_centre.sites": "centres", "meal_point.sites": "meal points",
    "day_centre.turned_away_share": "share of visits",
    "meal_point.turned_away_share": "share of meals",
}


def _status(comparison: str, threshold: float, low: float, high: float) -> str:
    if any(math.isnan(v) for v in (low, high)):
        return "no data"
    ok_low, ok_high = ((low >= threshold), (high >= threshold)) if comparison == ">=" else (
        (high <= threshold), (low <= threshold))
    if ok_low and ok_high:
        return "met"
    if not ok_low and not ok_high:
        return "missed"
    return "at_risk"


def _shortfall(metric: str, comparison: str, threshold: float, mean: float,
               year_kpis: pd.Series, cross_check: pd.Series | None,
               threshold_days: float | None) -> float:
    """How much is missing, in the units a planner acts on (0 when the mean meets it)."""
    gap = (threshold - mean) if comparison == ">=" else (mean - threshold)
    if gap <= 0:
        return 0.0
    beds = year_kpis.get("beds", math.nan)
    if metric == "nursing_share":
        # nursing beds to convert from general ones (adding new nursing beds would need
        # (share × beds − nursing) / (1 − share))
        needed = threshold * beds - year_kpis.get("beds.nursing", math.nan)
        return float(math.ceil(needed - 1e-9))
    if metric == "beds_per_1000_60plus":
        return float(math.ceil(threshold * year_kpis.get("pop_60plus", math.nan) / 1000 - beds
                               - 1e-9))
    if metric in {"beds", "beds.nursing", "beds.dementia", "day_centre.sites",
                  "meal_point.sites"}:
        return float(math.ceil(gap))
    if metric in {"share_served_within_threshold", "share_of_admissions_within_threshold"}:
        if cross_check is None or threshold_days is None or not threshold < 1:
            return math.nan
        needed = servers_for_wait(float(cross_check["arrival_rate_per_day"]),
                                  1.0 / float(cross_check["mean_stay_days"]),
                                  threshold_days, threshold)
        # enough beds in one pooled pool, yet missed: the gap is in bed types or zones
        return float(needed - beds) if needed > beds else math.nan
    if metric.endswith("coverage_communities"):
        service = metric.split(".")[0]
        return float(year_kpis.get(f"{service}.communities_without_service", math.nan))
    return float(gap)


def _replications_to_decide(status: str, threshold: float, mean: float, low: float,
                            high: float, replications: int) -> float:
    """Replications in all that would put the interval on one side of the threshold, if the
    mean and the spread stay as they are (NaN unless the target is at risk; inf when the mean
    sits on the threshold)."""
    if status != "at_risk" or replications < 2:
        return math.nan
    gap = abs(mean - threshold)
    if gap == 0:
        return math.inf
    half = max(high - mean, mean - low)  # shares' intervals may be cut at 0 or 1
    return float(max(replications + 1, math.ceil(replications * (half / gap) ** 2 - 1e-9)))


BASIS_METRICS = frozenset({"beds_per_1000_60plus", "pop_60plus"})
"""Metrics that count elders: with several population bases a run reports them per basis as
``<metric>.<basis>`` (e.g. ``beds_per_1000_60plus.registered``) beside the plain metric of the
demand basis."""


def _metric_on_basis(target: TargetSpec, known: set[str]) -> str:
    """The KPI a target is judged on: ``<metric>.<basis>`` when the target names a basis and the
    run reports that metric per basis; else the metric itself (one basis: the loader has checked
    that it is the target's)."""
    if target.basis is not None and target.metric in BASIS_METRICS:
        qualified = f"{target.metric}.{target.basis}"
        if qualified in known:
            return qualified
    return target.metric


def scorecard(targets: list[TargetSpec], kpis: pd.DataFrame, *,
              cross_check: pd.DataFrame | None = None,
              threshold_days: float | None = None) -> pd.DataFrame:
    """Judge every target in every year it applies.

    Parameters
    ----------
    targets : list of TargetSpec
    kpis : pandas.DataFrame
        ``year, metric, mean, ci_low, ci_high, unit`` (from
        :func:`carefacility.runner.simulation.run`).
    cross_check : pandas.DataFrame, optional
        The pooled M/M/c table (``year, arrival_rate_per_day, mean_stay_days``), used to turn a
        missed service level into beds.
    threshold_days : float, optional
        The ``T`` of ``share_served_within_threshold``.

    Returns
    -------
    pandas.DataFrame
        ``target, label, year, metric, comparison, threshold, simulated_mean, ci_low, ci_high,
        status, shortfall, shortfall_unit, decided, replications, replications_to_decide``;
        status is ``met``, ``missed``, ``at_risk`` or
        ``no data`` (e.g. no admissions that year). ``metric`` is the KPI compared: a
        per-1,000 target with a ``basis`` is judged on ``beds_per_1000_60plus.<basis>`` when the
        run reports several bases (:data:`BASIS_METRICS`).
    """
    wide = kpis.pivot_table(index="year", columns="metric", values="mean", aggfunc="first")
    indexed = kpis.set_index(["year", "metric"])
    checks = cross_check.set_index("year") if cross_check is not None else None
    years = sorted(int(year) for year in kpis["year"].unique())
    wide = wide.reindex(years)
    known = set(kpis["metric"])
    rows = []
    for target in targets:
        comparison = target.comparison or TARGET_METRICS.get(target.metric, (">=", ""))[0]
        start = target.from_year if target.from_year is not None else years[0]
        end = target.to_year if target.to_year is not None else years[-1]
        label = target.label or f"{target.metric} {comparison} {target.value:g}"
        metric = _metric_on_basis(target, known)
        for year in (y for y in years if start <= y <= end):
            if (year, metric) in indexed.index:
                row = indexed.loc[(year, metric)]
                mean, low, high = float(row["mean"]), float(row["ci_low"]), float(row["ci_high"])
            else:
                mean = low = high = math.nan
            status = _status(comparison, target.value, low, high)
            year_kpis = wide.loc[year]
            if metric != target.metric and f"pop_60plus.{target.basis}" in year_kpis.index:
                # the per-1,000 shortfall counts the elders of the target's basis
                year_kpis = year_kpis.copy()
                year_kpis["pop_60plus"] = year_kpis[f"pop_60plus.{target.basis}"]
            shortfall = math.nan if math.isnan(mean) else _shortfall(
                target.metric, comparison, target.value, mean, year_kpis,
                checks.loc[year] if checks is not None and year in checks.index else None,
                threshold_days)
            n = (int(indexed.loc[(year, metric)]["replications"])
                 if (year, metric) in indexed.index and "replications" in indexed.columns
                 else 0)
            rows.append({"target": target.id, "label": label, "year": int(year),
                         "metric": metric, "comparison": comparison,
                         "threshold": target.value, "simulated_mean": mean, "ci_low": low,
                         "ci_high": high, "status": status, "shortfall": shortfall,
                         "shortfall_unit": _UNITS.get(target.metric, ""),
                         "decided": status in ("met", "missed"), "replications": n,
                         "replications_to_decide": _replications_to_decide(
                             status, target.value, mean, low, high, n)})
    columns = ["target", "label", "year", "metric", "comparison", "threshold", "simulated_mean",
               "ci_low", "ci_high", "status", "shortfall", "shortfall_unit", "decided",
               "replications", "replications_to_decide"]
    return pd.DataFrame(rows, columns=columns).astype({"year": np.int64}, errors="ignore")
