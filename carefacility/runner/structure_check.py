"""The analytic cross-check of a run, with the structure of the plan: separate pools by zone and
by home, the lag of occupancy behind changing demand and the starting census.

The pooled steady-state check (:func:`carefacility.queueing.cross_check.pooled_queue_check`)
treats every bed of the area as one M/M/c pool in equilibrium. A plan is not one pool and does
not start in equilibrium, so beside it this module computes, per year:

* **separate pools** (:func:`~carefacility.queueing.cross_check.pool_queue_check`): Erlang C
  on each zone's beds fed by that zone's applicants, and on each home's beds fed by its zone's
  applicants in proportion to the home's share of the zone's beds — what applicants get if no
  one is ever placed outside their pool (a floor: the simulation lets applicants go to other
  zones when their own is full);
* **transient occupancy** (:func:`~carefacility.queueing.transient.transient_occupancy_by_year`):
  the exact mean of an infinite-server system with the year's applicants (and their trend
  within the year), the mean stay and the starting residents, beside the stationary load —
  exact for exponential stays, an approximation with the care-need chain's stays;
* after the run, which of these structural causes explains a disagreement between the
  simulated service level and the pooled figure
  (:func:`~carefacility.queueing.cross_check.explain_differences`): bed types with eligibility
  restrictions, zones when applicants may not be placed outside their zone
  (:func:`structural_pools`), the lag behind changing demand and the starting residents.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from carefacility.beds.engine_spec import BED_TYPES, DAYS_PER_YEAR, BedSpec
from carefacility.queueing.cross_check import explain_differences, pool_queue_check
from carefacility.queueing.transient import transient_occupancy_by_year

__all__ = ["capacity_by_home_at_year_end", "explain_run", "pools_check", "restricted_bed_types",
           "structural_pools", "transient_check", "with_occupancy"]

_OCCUPANCY_COLUMNS = ("transient_mean_beds", "stationary_load_beds", "lag_beds",
                      "starting_census_effect_beds")


def capacity_by_home_at_year_end(spec: BedSpec) -> np.ndarray:
    """Beds by year, home and bed type at the end of each model year, shape
    (n_years, n_homes, 3) [beds]."""
    capacity = spec.initial_capacity.astype(np.int64).copy()
    out = np.empty((spec.n_years, *capacity.shape), dtype=np.int64)
    changes = spec.capacity_changes[np.argsort(spec.capacity_changes[:, 0], kind="stable")]
    index = 0
    for year in range(spec.n_years):
        end = (year + 1) * DAYS_PER_YEAR
        while index < len(changes) and changes[index, 0] < end:
            _day, home, source, target, beds = (int(v) for v in changes[index])
            if source >= 0:
                capacity[home, source] -= beds
            if target >= 0:
                capacity[home, target] += beds
            index += 1
        out[year] = capacity
    return out


def restricted_bed_types(spec: BedSpec) -> bool:
    """True when the plan has beds of several types and some care level may not take them all
    (the bed types then act as separate pools)."""
    capacity = capacity_by_home_at_year_end(spec).sum(axis=1)  # (years, types)
    present = {t for t in range(len(BED_TYPES)) if capacity[:, t].max() > 0
               or spec.initial_capacity[:, t].sum() > 0}
    if len(present) < 2:
        return False
    return any(not present <= set(spec.acceptable_bed_types(level))
               for level in range(spec.arrival_rate_per_day.shape[2]))


def pools_check(spec: BedSpec, years: np.ndarray, mean_stay_days: np.ndarray
                ) -> pd.DataFrame | None:
    """Erlang figures of separate pools by zone (with several zones) and by home (with several
    homes), from :func:`~carefacility.queueing.cross_check.pool_queue_check`; None with one
    zone and one home."""
    if spec.n_zones == 1 and spec.n_homes == 1:
        return None
    beds = capacity_by_home_at_year_end(spec).sum(axis=2)  # (years, homes)
    zone_rate = spec.arrival_rate_per_day.sum(axis=2)  # (years, zones)
    rows = []
    for index, year in enumerate(years):
        zone_beds = np.bincount(spec.home_zone, weights=beds[index], minlength=spec.n_zones)
        if spec.n_zones > 1:
            rows += [{"year": int(year), "pool": f"zone {zone}", "kind": "zone",
                      "arrival_rate_per_day": float(zone_rate[index, zone]),
                      "mean_stay_days": float(mean_stay_days[index]),
                      "beds": int(zone_beds[zone])} for zone in range(spec.n_zones)]
        if spec.n_homes > 1:
            for home in range(spec.n_homes):
                zone = int(spec.home_zone[home])
                share = beds[index, home] / zone_beds[zone] if zone_beds[zone] > 0 else 0.0
                rows.append({"year": int(year), "pool": f"home {home}", "kind": "home",
                             "arrival_rate_per_day": float(zone_rate[index, zone] * share),
                             "mean_stay_days": float(mean_stay_days[index]),
                             "beds": int(beds[index, home])})
    pools = pd.DataFrame(rows)
    valid = np.isfinite(pools["mean_stay_days"]) & (pools["mean_stay_days"] > 0)
    if not valid.all():
        return None
    return pool_queue_check(years, pools, spec.wait_threshold_days)


def transient_check(spec: BedSpec, years: np.ndarray, mean_stay_days: np.ndarray
                    ) -> pd.DataFrame | None:
    """Transient mean occupancy per year beside the stationary load (``transient_mean_beds,
    stationary_load_beds, lag_beds, starting_census_effect_beds``); None when a mean stay is
    not defined."""
    stays = np.asarray(mean_stay_days, dtype=float)
    if not (np.all(np.isfinite(stays)) and np.all(stays > 0)):
        return None
    rate = spec.arrival_rate_per_day.sum(axis=(1, 2))
    trend = np.broadcast_to(spec.arrival_trend_per_day_per_day,
                            spec.arrival_rate_per_day.shape).sum(axis=(1, 2))
    table = transient_occupancy_by_year(
        years, rate, stays, arrival_trend_per_day_per_day=trend,
        initial_census=float(spec.initial_residents.sum()), warmup_days=spec.warmup_days)
    return table[["year", *_OCCUPANCY_COLUMNS]]


def structural_pools(pools: pd.DataFrame | None, spec: BedSpec) -> pd.DataFrame | None:
    """The rows of ``pools`` that are separate pools in the simulation itself: zones when
    applicants may not be placed in other zones (``allow_other_zones`` False). Homes of a zone
    are never separate there — an applicant takes a free bed in any home of the zone — so the
    per-home figures are a bound (homes that admit only their own applicants), not a cause."""
    if pools is None or spec.allow_other_zones:
        return None
    zones = pools[pools["kind"] == "zone"]
    return zones if len(zones) else None


def explain_run(kpis: pd.DataFrame, pooled: pd.DataFrame, *, pools: pd.DataFrame | None,
                occupancy: pd.DataFrame | None, restricted: bool) -> pd.DataFrame:
    """The pooled cross-check table with ``structural_causes`` (a sentence) and
    ``structural_cause_keys`` (``;``-separated keys: ``fragmentation:zone``,
    ``fragmentation:home``, ``bed_types``, ``lag``, ``starting_census``): per year, what explains
    a disagreement between the simulated share of applicants served within T
    (``share_served_within_threshold``) and the pooled M/M/c figure."""
    simulated = kpis.loc[kpis["metric"] == "share_served_within_threshold",
                         ["year", "mean", "ci_low", "ci_high"]]
    table = pooled.copy()
    if simulated.empty:
        return table
    years = set(table["year"])
    simulated = simulated[simulated["year"].isin(years)]
    explained = explain_differences(simulated, table, pools=pools, occupancy=occupancy,
                                    restricted_bed_types=restricted)
    explained = explained.set_index("year")
    table["structural_causes"] = table["year"].map(explained["label"]).fillna("")
    keys = explained["causes"].map(lambda causes: ";".join(causes))
    table["structural_cause_keys"] = table["year"].map(keys).fillna("")
    return table


def with_occupancy(pooled: pd.DataFrame, occupancy: pd.DataFrame | None) -> pd.DataFrame:
    """The pooled table with the transient occupancy columns joined by year."""
    if occupancy is None:
        return pooled
    return pooled.merge(occupancy, on="year", how="left")
