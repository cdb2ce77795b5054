"""Day-care centres and meal points in a run: their specs from the scenario and their KPIs.

:func:`prepare_services` turns the ``services:`` section and the projected care need into one
:class:`~carefacility.services.engine_spec.ServiceSpec` per service plus the deterministic KPIs
(coverage, sites, sites needed); :func:`service_kpi_rows` turns one replication of the daily
simulation into yearly KPI rows.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from carefacility.population.projection import anniversary
from carefacility.scenario.loader import Scenario
from carefacility.services.coverage import coverage, sites_needed
from carefacility.services.demand import eligible_persons, expected_visits_per_day
from carefacility.services.engine import ServiceReplicationResult
from carefacility.services.engine_spec import ServiceSpec
from carefacility.services.spec import WEEKDAYS

__all__ = ["metric_rows", "model_day", "prepare_services", "service_kpi_rows"]

DAYS_PER_YEAR = 365


def model_day(date: dt.date, start: dt.date) -> int:
    """The model day of a calendar date: model year ``k`` runs from the ``k``-th anniversary of
    ``start`` and has 365 days, so a dated change always falls in the model year of its
    calendar year (a 366th day, 30 or 31 December in a leap year, maps to the year's last
    day). Dates before the start give negative days."""
    years = date.year - start.year
    year_start = anniversary(start, years)
    if year_start > date:
        years -= 1
        year_start = anniversary(start, years)
    return DAYS_PER_YEAR * years + min((date - year_start).days, DAYS_PER_YEAR - 1)


def metric_rows(year: np.ndarray, name: str, values: np.ndarray, unit: str) -> pd.DataFrame:
    """KPI rows ``year, metric, value, unit`` for one metric."""
    return pd.DataFrame({"year": year, "metric": name, "value": np.asarray(values, float),
                         "unit": unit})


def prepare_services(scenario: Scenario, need: pd.DataFrame, years: np.ndarray,
                      zone_elders: np.ndarray) -> tuple[tuple[ServiceSpec, ...], pd.DataFrame]:
    """Service specs for the daily simulation and their deterministic KPIs by year."""
    services_spec = scenario.spec.services
    plan = scenario.plan
    simulation = scenario.spec.simulation
    if services_spec is None or plan is None or simulation is None:
        return (), pd.DataFrame(columns=["year", "metric", "value", "unit"])
    start = simulation.start_date
    horizon = len(years) * DAYS_PER_YEAR
    specs = []
    rows = []
    for kind, section in (("day_centre", services_spec.day_centres),
                          ("meal_point", services_spec.meal_points)):
        if section is None:
            continue
        zone_of, capacity, opens, closes, catchments = [], [], [], [], []
        communities = scenario.communities
        for site in section.sites:
            for _copy in range(site.count):
                zone_of.append(plan.zones.index(site.zone))
                capacity.append(round(site.capacity_per_day))
                opens.append(float(model_day(site.opens, start)) if site.opens else 0.0)
                closes.append(float(model_day(site.closes, start)) if site.closes else np.inf)
                if communities is None:
                    continue
                if site.communities is None:  # default catchment: its zone's communities
                    catchments.append(np.flatnonzero(communities.zone == zone_of[-1]))
                else:
                    catchments.append([communities.names.index(n) for n in site.communities])
        eligible = eligible_persons(need, section.demand, years, plan.zones)
        if eligible.shape[1] == 1 and len(plan.zones) > 1:
            shares = plan.zone_shares if plan.zone_shares is not None else np.full(
                len(plan.zones), 1 / len(plan.zones))
            eligible = eligible * shares[None]
        visits = expected_visits_per_day(eligible, section.demand)
        weekdays = np.array([day in section.open_weekdays for day in WEEKDAYS])
        closure_days = [model_day(d, start) for d in section.closure_dates
                        if 0 <= model_day(d, start) < horizon]
        specs.append(ServiceSpec(
            kind=kind, site_zone=np.asarray(zone_of, dtype=np.int64).reshape(-1),
            capacity_per_day=np.asarray(capacity, dtype=np.int64).reshape(-1),
            expected_users_per_day=visits, open_from_day=np.asarray(opens).reshape(-1),
            open_until_day=np.asarray(closes).reshape(-1), open_weekdays=weekdays,
            first_weekday=start.weekday(), closure_days=np.asarray(closure_days, dtype=int),
            overflow=section.overflow, first_year=int(years[0])))
        zone_index = np.asarray(zone_of, dtype=np.int64)
        capacity_array = np.asarray(capacity, dtype=float)
        for y, year in enumerate(years):
            day = (y + 1) * DAYS_PER_YEAR - 1
            site_open = (np.asarray(opens) <= day) & (day < np.asarray(closes)) if zone_of else (
                np.zeros(0, dtype=bool))
            if communities is not None:
                cover = coverage(communities.zone, communities.elders, zone_index, site_open,
                                 catchments)
            else:
                cover = coverage(np.arange(len(plan.zones)), zone_elders[y], zone_index,
                                 site_open)
            # the typical site: median capacity of the service's sites, open or not yet
            typical = float(np.median(capacity_array)) if capacity_array.size else 0.0
            needed = (sites_needed(visits[y], typical, section.max_turned_away_share)
                      if typical > 0 else np.full(len(plan.zones), np.nan))
            open_by_zone = np.bincount(zone_index[site_open], minlength=len(plan.zones))
            extra = np.maximum(np.asarray(needed, dtype=float) - open_by_zone, 0)
            unit_site = "centres" if kind == "day_centre" else "meal points"
            rows += [
                (year, f"{kind}.coverage_communities", cover["share_of_communities_covered"],
                 "fraction of communities" if communities is not None else "fraction of zones"),
                (year, f"{kind}.coverage_elders", cover["share_of_elders_covered"],
                 "fraction of persons aged 60+"),
                (year, f"{kind}.communities_without_service",
                 len(cover["communities_without_service"]),
                 "communities" if communities is not None else "zones"),
                (year, f"{kind}.sites", int(site_open.sum()), unit_site),
                (year, f"{kind}.demand_per_day_expected", float(visits[y].sum()),
                 "visits per open day" if kind == "day_centre" else "meals per open day"),
                (year, f"{kind}.sites_needed", float(np.sum(needed)),
                 f"{unit_site} of median capacity for at most "
                 f"{section.max_turned_away_share:.0%} turned away (Poisson, pooled by zone)"),
                (year, f"{kind}.extra_sites_needed", float(extra.sum()), unit_site),
            ]
    frame = pd.DataFrame(rows, columns=["year", "metric", "value", "unit"])
    return tuple(specs), frame


def service_kpi_rows(result: ServiceReplicationResult, zones: tuple[str, ...],
                  years: np.ndarray) -> list[pd.DataFrame]:
    kind = result.kind
    unit = "visits" if kind == "day_centre" else "meals"
    with np.errstate(invalid="ignore", divide="ignore"):
        demand = result.zone_demand.sum(axis=1).astype(float)
        lost = (result.zone_turned_away + result.zone_unserved_no_site).sum(axis=1)
        rows = [
            metric_rows(years, f"{kind}.demand", demand, f"{unit} per year"),
            metric_rows(years, f"{kind}.served", result.zone_served.sum(axis=1),
                         f"{unit} per year"),
            metric_rows(years, f"{kind}.turned_away_share",
                         np.where(demand > 0, lost / demand, np.nan), f"fraction of {unit}"),
            metric_rows(years, f"{kind}.utilisation",
                         result.zone_served.sum(axis=1) / np.maximum(
                             result.zone_capacity_offered.sum(axis=1), 1),
                         "fraction of capacity offered"),
        ]
        for z, zone in enumerate(zones):
            zone_demand = result.zone_demand[:, z].astype(float)
            zone_lost = result.zone_turned_away[:, z] + result.zone_unserved_no_site[:, z]
            capacity = result.zone_capacity_offered[:, z]
            rows += [
                metric_rows(years, f"{kind}.utilisation.{zone}",
                             np.where(capacity > 0, result.zone_served[:, z] / capacity,
                                      np.nan), "fraction of capacity offered"),
                metric_rows(years, f"{kind}.turned_away_share.{zone}",
                             np.where(zone_demand > 0, zone_lost / zone_demand, np.nan),
                             f"fraction of {unit}"),
                metric_rows(years, f"{kind}.p95_demand_to_capacity.{zone}",
                             result.zone_p95_demand_to_capacity[:, z],
                             "95th percentile of daily demand / daily capacity"),
            ]
    return rows
