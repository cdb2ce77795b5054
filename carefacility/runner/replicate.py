"""One replication: the bed simulation and the services engine on a replication's named
random streams, returned as yearly KPI rows.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from carefacility.beds import BedReplicationResult, simulate
from carefacility.beds.plan import BED_TYPE_NAMES
from carefacility.beds.simulation_spec import LEVEL_NAMES
from carefacility.runner.prepare import PreparedRun
from carefacility.runner.services import service_kpi_rows
from carefacility.services.engine import simulate_services

__all__ = ["replicate"]


def replicate(prepared: PreparedRun, seed: int, replication: int) -> pd.DataFrame:
    """One replication of the bed simulation, as yearly KPIs.

    Returns
    -------
    pandas.DataFrame
        ``year, metric, value, unit``.
    """
    result = simulate(prepared.spec, seed=seed, replication=replication)
    years = prepared.years
    services = [simulate_services(spec, seed=seed, replication=replication)
                for spec in prepared.services]
    threshold = prepared.spec.wait_threshold_days
    rows = [
        _metric(years, "applicants", result.arrivals.sum(axis=1), "persons per year"),
        _metric(years, "admissions", result.admissions.sum(axis=1), "persons per year"),
        _metric(years, "waiting_list_mean", result.mean_waiting, "persons"),
        _metric(years, "waiting_list_year_end", result.waiting_at_year_end.sum(axis=1),
                     "persons"),
        _metric(years, "wait_mean_days", result.mean_wait_days, "days"),
        _metric(years, "wait_p50_days", result.wait_p50_days, "days"),
        _metric(years, "wait_p90_days", result.wait_p90_days, "days"),
        _metric(years, "wait_p95_days", result.wait_p95_days, "days"),
        _metric(years, "share_of_admissions_within_threshold",
                     result.share_admitted_within_threshold,
                     f"fraction of admissions (threshold {threshold:g} days)"),
        _metric(years, "deaths_while_waiting", result.deaths_while_waiting.sum(axis=1),
                     "persons per year"),
        _metric(years, "withdrawals", result.withdrawals.sum(axis=1), "persons per year"),
        _metric(years, "dependent_in_general_beds", result.mean_dependent_in_general_beds,
                     "persons"),
        _metric(years, "deaths_in_care", result.deaths_in_care.sum(axis=1),
                     "persons per year"),
        _metric(years, "discharges", result.discharges.sum(axis=1), "persons per year"),
        _metric(years, "blocked", result.blocked.sum(axis=1), "persons per year"),
        _metric(years, "transfers", result.transfers.sum(axis=1), "persons per year"),
        _metric(years, "residents_year_end", result.occupied_at_year_end.sum(axis=1),
                     "persons"),
    ]
    # what became of the year's applicants (by the year they applied in), over all of them
    applied = result.arrivals.sum(axis=1).astype(float)
    with np.errstate(invalid="ignore", divide="ignore"):
        for metric, count, unit in (
            ("share_served_within_threshold", result.cohort_served_within_threshold,
             f"fraction of applicants (threshold {threshold:g} days)"),
            ("p_wait", result.cohort_waited, "fraction of applicants"),
            ("abandoned_share", result.cohort_abandoned, "fraction of applicants"),
            ("blocked_share", result.blocked, "fraction of applicants"),
            ("still_waiting_share", result.cohort_still_waiting, "fraction of applicants"),
        ):
            share = np.where(applied > 0, count.sum(axis=1) / applied, np.nan)
            rows.append(_metric(years, metric, share, unit))
    for t, bed_type in enumerate(BED_TYPE_NAMES):
        occupied = result.mean_occupied_beds[:, t]
        with np.errstate(invalid="ignore", divide="ignore"):
            rate = np.where(prepared.capacity_mean[:, t] > 0,
                            occupied / prepared.capacity_mean[:, t], np.nan)
        rows += [_metric(years, f"occupied_beds.{bed_type}", occupied, "beds"),
                 _metric(years, f"occupancy.{bed_type}", rate,
                             "occupied / beds in force (above 1 while closed beds empty)"),
                 _metric(years, f"admissions.{bed_type}",
                              result.admissions_by_bed_type[:, t], "persons per year")]
    # all bed types together: the figure a base-year calibration (calibration.csv) reproduces
    occupied_all = result.mean_occupied_beds.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        rate_all = np.where(prepared.capacity_mean.sum(axis=1) > 0,
                            occupied_all / prepared.capacity_mean.sum(axis=1), np.nan)
    rows += [_metric(years, "occupied_beds", occupied_all, "beds"),
             _metric(years, "occupancy", rate_all,
                         "occupied / beds in force (above 1 while closed beds empty)")]
    for index, level in enumerate(LEVEL_NAMES):
        rows.append(_metric(years, f"applicants.{level}", result.arrivals[:, index],
                                 "persons per year"))
        rows.append(_metric(years, f"wait_mean_days.{level}",
                                _mean_wait_of_level(result, index), "days"))
    total_beds = prepared.capacity_year_end.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        rows += [
            _metric(years, "beds", total_beds, "beds"),
            _metric(years, "beds.nursing", prepared.capacity_year_end[:, 1], "beds"),
            _metric(years, "beds.dementia", prepared.capacity_year_end[:, 2], "beds"),
            _metric(years, "nursing_share", prepared.capacity_year_end[:, 1] / total_beds,
                         "fraction of beds"),
            _metric(years, "beds_per_1000_60plus",
                         1000 * total_beds / prepared.pop_60plus,
                         f"beds per 1,000 {prepared.basis} aged 60+"),
            _metric(years, "pop_60plus", prepared.pop_60plus,
                         f"persons ({prepared.basis})"),
        ]
        # with several bases, the ratio on each (a target names the basis it counts)
        for basis, elders in prepared.pop_60plus_by_basis.items():
            rows += [
                _metric(years, f"beds_per_1000_60plus.{basis}", 1000 * total_beds / elders,
                            f"beds per 1,000 {basis} aged 60+"),
                _metric(years, f"pop_60plus.{basis}", elders, f"persons ({basis})"),
            ]
    frames = [_stacked(rows)]
    for service in services:
        frames += service_kpi_rows(service, prepared.zones, years)
    if prepared.service_rows is not None and len(prepared.service_rows):
        frames.append(prepared.service_rows)
    return pd.concat(frames, ignore_index=True)


Metric = tuple[np.ndarray, str, np.ndarray, str]
"""One metric's ``years, name, values, unit``."""


def _metric(years: np.ndarray, name: str, values: np.ndarray, unit: str) -> Metric:
    """One metric's KPI rows, as :func:`carefacility.runner.services.metric_rows` makes them
    (its values as floats), not yet a table."""
    return years, name, np.asarray(values, float), unit


def _stacked(metrics: list[Metric]) -> pd.DataFrame:
    """The metrics' rows ``year, metric, value, unit`` as one table: the same table as their
    ``metric_rows`` tables concatenated, made at once (one table a metric costs 15 % of a
    district's replication)."""
    sizes = [len(values) for _, _, values, _ in metrics]
    return pd.DataFrame({
        "year": np.concatenate([np.broadcast_to(years, (size,)) for (years, _, _, _), size
                                in zip(metrics, sizes, strict=True)]),
        "metric": [name for (_, name, _, _), size in zip(metrics, sizes, strict=True)
                   for _ in range(size)],
        "value": np.concatenate([values for _, _, values, _ in metrics]),
        "unit": [unit for (_, _, _, unit), size in zip(metrics, sizes, strict=True)
                 for _ in range(size)],
    })


def _mean_wait_of_level(result: BedReplicationResult, level: int) -> np.ndarray:
    """Mean wait of the admissions of one care level in each year [days] (NaN without any)."""
    chosen = result.admitted_level == level
    years = result.admitted_year[chosen]
    count = np.bincount(years, minlength=result.n_years)
    total = np.bincount(years, weights=result.admitted_wait_days[chosen],
                        minlength=result.n_years)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(count > 0, total / np.maximum(count, 1), np.nan)
