"""Daily community services — day-care centres and meal points — simulated per site and per day.

A visit to a day-care centre (日间照料中心) or a meal at a meal point (助餐点) lasts one day, so
the service is modelled day by day, vectorised with numpy: one random draw per site-day for the
demand (no event per visit), then the day's capacity is applied.

Model
-----
For each day ``d`` of year ``y`` and each site ``s`` open that day (see
:class:`~carefacility.services.engine_spec.ServiceSpec` for opening rules):

1. demand ``D[d, s]``: the zone's demand is split over its open sites in proportion to their
   capacity — one Poisson draw with mean ``expected_users_per_day[y, z] × share`` (or one
   binomial draw) per site-day;
2. served ``min(D, capacity)``; what exceeds the capacity is turned away, or with
   ``overflow="zone"`` first offered to the zone's other open sites with spare capacity that
   day, so the zone serves ``min(Σ D, Σ capacity)`` — the zone's open sites act as one pool;
3. on days the zone has no site in service, its demand is drawn and counted as
   ``unserved_no_site``; on days its sites are closed (weekends, holidays) nothing is counted.

With ``overflow="zone"`` the visits moved between sites are whole numbers: the zone's moved
visits are spread over the sites with spare capacity in proportion to their spare capacity
(and taken from the sites with excess demand in proportion to their excess) by cumulative
rounding, so every site-day count is an integer and the zone totals are exact.

Loss law
--------
Daily draws are independent (nobody holds a place from one day to the next), so the share of demand
turned away by ``n`` pooled places is the Poisson partial expectation ``E[(D − n)^+] / E[D]``
(:func:`carefacility.services.coverage.expected_turned_away_share`), not Erlang B. Erlang B applies
when a user holds a place for several days (an enrolment model M/G/c/c).

Random numbers
--------------
Site-day demand draws come from the stream ``"<kind>.demand"`` and the demand of zones without a
site from ``"<kind>.demand_no_site"`` (:func:`carefacility.base.streams.stream`). Draws are made in
day-major order over the sites sorted by zone (stable sort), so the result does not depend on
``chunk_days``.

Memory
------
Work is done in chunks of at most ``chunk_days`` days that never cross a year; the peak memory is
a few dozen arrays of shape ``(chunk_days, n_sites)``.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from carefacility.base.streams import stream
from carefacility.services.engine_spec import DAYS_PER_YEAR, ServiceSpec

__all__ = [
    "ServiceDays",
    "ServiceReplicationResult",
    "iter_service_days",
    "simulate_services",
]

IntArray = NDArray[np.int64]
FloatArray = NDArray[np.float64]


# --------------------------------------------------------------------------------------------
# Layout: sites sorted by zone, so zone sums are contiguous reductions
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Layout:
    order: IntArray  # sorted position -> original site index
    identity: bool
    capacity: IntArray  # (S,) sorted
    open_from_day: FloatArray
    open_until_day: FloatArray
    weekdays_by_site: NDArray[np.bool_] | None  # (7, S) sorted, or None when shared
    weekdays_shared: NDArray[np.bool_]  # (7,), union over sites when per site
    starts: IntArray  # (Zp,) first sorted position of each populated zone
    counts: IntArray  # (Zp,) sites per populated zone
    zones: IntArray  # (Zp,) zone index of each populated zone
    group: IntArray  # (S,) populated-zone position of each sorted site

    @classmethod
    def of(cls, spec: ServiceSpec) -> _Layout:
        order = np.argsort(spec.site_zone, kind="stable").astype(np.int64)
        zone = spec.site_zone[order]
        zones, starts, counts = np.unique(zone, return_index=True, return_counts=True)
        weekdays = spec.open_weekdays
        if weekdays.ndim == 2:
            by_site = np.ascontiguousarray(weekdays[order].T)
            shared = weekdays.any(axis=0)
        else:
            by_site, shared = None, weekdays
        return cls(
            order=order,
            identity=bool(np.array_equal(order, np.arange(order.size))),
            capacity=spec.capacity_per_day[order],
            open_from_day=spec.open_from_day[order],
            open_until_day=spec.open_until_day[order],
            weekdays_by_site=by_site,
            weekdays_shared=np.asarray(shared, dtype=bool),
            starts=starts.astype(np.int64),
            counts=counts.astype(np.int64),
            zones=zones.astype(np.int64),
            group=np.repeat(np.arange(zones.size), counts),
        )

    def zone_sum(self, values: NDArray[Any]) -> NDArray[Any]:
        """Sum ``(days, S)`` over the sites of each populated zone → ``(days, Zp)``."""
        if self.zones.size == 0:
            return np.zeros((values.shape[0], 0), dtype=values.dtype)
        return np.add.reduceat(values, self.starts, axis=1)

    def spread(self, values: NDArray[Any]) -> NDArray[Any]:
        """Repeat ``(days, Zp)`` over each zone's sites → ``(days, S)``."""
        return np.repeat(values, self.counts, axis=1)

    def cumulative_within_zone(self, values: IntArray) -> IntArray:
        """Running sum of ``(days, S)`` over the sites of each zone, restarting at each zone."""
        running = np.cumsum(values, axis=1)
        before = np.zeros((values.shape[0], self.zones.size), dtype=running.dtype)
        before[:, 1:] = running[:, self.starts[1:] - 1]
        running -= self.spread(before)
        return running

    def apportion(self, weights: IntArray, total: NDArray[Any], whole: IntArray) -> IntArray:
        """Split each zone-day ``total`` over sites in proportion to ``weights`` (integers).

        ``whole`` is the zone-day sum of ``weights``. Cumulative rounding: site ``k`` gets
        ``round(W_k T / W) − round(W_{k−1} T / W)`` with ``W_k`` the running weight, so the
        parts are whole numbers, differ from the exact share by less than 1 and add up to
        ``total`` exactly (zone-days with ``whole = 0`` get nothing).
        """
        ratio = np.divide(total, whole, out=np.zeros(whole.shape), where=whole > 0)
        # at the zone's last site W_k = W, so W (T / W) = T up to an ulp and rounds to T exactly
        rounded = np.rint(self.cumulative_within_zone(weights) * self.spread(ratio))
        parts = np.empty(rounded.shape, dtype=np.int64)
        np.subtract(rounded[:, 1:], rounded[:, :-1], out=parts[:, 1:], casting="unsafe")
        parts[:, self.starts] = rounded[:, self.starts]
        return parts


# --------------------------------------------------------------------------------------------
# One chunk of days
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class ServiceDays:
    """Site-day and zone-day values of one chunk of days (all within one year).

    Attributes
    ----------
    year : int
        Model year of the chunk (0-based).
    days : numpy.ndarray of int, shape (n_days,)
        Day indices from the start of the run [day].
    site_open : numpy.ndarray of bool, shape (n_days, n_sites)
        Whether each site opens that day (in service, open weekday, not a closure day).
    site_demand, site_served, site_turned_away : numpy.ndarray of int, shape (n_days, n_sites)
        Visits or meals wanted at, served by, and turned away at each site (turned away: of
        the demand that arrived at the site, what no site of the zone could serve). With
        ``overflow="zone"``, ``site_served`` includes visits redirected from other sites.
    zone_capacity : numpy.ndarray of int, shape (n_days, n_zones)
        Capacity of the zone's open sites [places/day or meals/day]; 0 on days no site opens.
    zone_demand_no_site : numpy.ndarray of int, shape (n_days, n_zones)
        Demand of zones without any site in service that day (``unserved_no_site``).
    """

    year: int
    days: IntArray
    site_open: NDArray[np.bool_]
    site_demand: IntArray
    site_served: IntArray
    site_turned_away: IntArray
    zone_capacity: IntArray
    zone_demand_no_site: IntArray


@dataclass(frozen=True, eq=False)
class _Chunk:
    """Like :class:`ServiceDays`, sites in zone order and zones restricted to populated ones."""

    year: int
    days: IntArray
    site_open: NDArray[np.bool_]
    site_capacity: IntArray
    site_demand: IntArray
    site_served: IntArray
    site_turned_away: IntArray
    zone_capacity: IntArray  # (D, Zp)
    zone_demand: IntArray  # (D, Zp)
    zone_turned_away: IntArray  # (D, Zp)
    zone_demand_no_site: IntArray  # (D, Z)
    no_site: NDArray[np.bool_]  # (D, Z)


def _check_chunk_days(chunk_days: int) -> int:
    if isinstance(chunk_days, bool) or not isinstance(chunk_days, (int, np.integer)):
        raise ValueError(f"chunk_days must be an integer number of days (got {chunk_days!r})")
    if chunk_days < 1:
        raise ValueError(f"chunk_days must be ≥ 1 (got {chunk_days})")
    return int(chunk_days)


def _chunks(
    spec: ServiceSpec, layout: _Layout, seed: int, replication: int, chunk_days: int
) -> Iterator[_Chunk]:
    """Simulate the run chunk by chunk (sites in zone order)."""
    chunk_days = _check_chunk_days(chunk_days)
    site_rng = stream(seed, replication, f"{spec.kind}.demand")
    zone_rng = stream(seed, replication, f"{spec.kind}.demand_no_site")
    binomial = spec.demand_model == "binomial"
    n_zones = spec.n_zones
    capacity = layout.capacity
    active_site = capacity > 0
    for year in range(spec.n_years):
        expected = spec.expected_users_per_day[year]
        if binomial:
            users = spec.registered_users[year]
            probability = spec.attendance_probability[year]
        for first in range(year * DAYS_PER_YEAR, (year + 1) * DAYS_PER_YEAR, chunk_days):
            last = min(first + chunk_days, (year + 1) * DAYS_PER_YEAR)
            days = np.arange(first, last, dtype=np.int64)
            weekday = (spec.first_weekday + days) % 7
            closed = np.isin(days, spec.closure_days)
            day_column = days[:, None].astype(np.float64)
            built = (layout.open_from_day <= day_column) & (day_column < layout.open_until_day)
            if layout.weekdays_by_site is None:
                open_day = layout.weekdays_shared[weekday] & ~closed
                site_open = built & open_day[:, None]
            else:
                site_open = built & layout.weekdays_by_site[weekday] & ~closed[:, None]
            site_capacity = np.where(site_open, capacity, 0)
            zone_capacity = layout.zone_sum(site_capacity)

            # demand: one draw per site-day, zone demand split by capacity share
            if binomial:
                zone_users = np.broadcast_to(users[layout.zones], zone_capacity.shape)
                site_users = layout.apportion(site_capacity, zone_users, zone_capacity)
                demand = site_rng.binomial(site_users, probability[layout.zones][layout.group])
            else:
                per_place = np.divide(
                    expected[layout.zones],
                    zone_capacity,
                    out=np.zeros(zone_capacity.shape),
                    where=zone_capacity > 0,
                )
                demand = site_rng.poisson(site_capacity * layout.spread(per_place))

            served = np.minimum(demand, site_capacity)
            turned_away = demand - served
            zone_demand = layout.zone_sum(demand)
            if spec.overflow == "zone":
                spare = site_capacity - served
                zone_excess = layout.zone_sum(turned_away)
                zone_spare = layout.zone_sum(spare)
                moved = np.minimum(zone_excess, zone_spare)
                if moved.any():
                    # Where spare exceeds excess, every excess visit moves and the moved visits
                    # are spread over the spare places; elsewhere every spare place fills and
                    # the moved visits are taken from the excess: one apportionment per zone-day.
                    spare_left = zone_spare > zone_excess
                    by_spare = layout.spread(spare_left)
                    parts = layout.apportion(
                        np.where(by_spare, spare, turned_away),
                        moved,
                        np.where(spare_left, zone_spare, zone_excess),
                    )
                    served += np.where(by_spare, parts, spare)
                    turned_away -= np.where(by_spare, turned_away, parts)
                zone_turned_away = zone_excess - moved
            else:
                zone_turned_away = layout.zone_sum(turned_away)

            # zones without any site in service: their demand is unserved
            in_service = np.zeros((days.size, n_zones), dtype=bool)
            served_by = layout.zone_sum((built & active_site).astype(np.int64))
            in_service[:, layout.zones] = served_by > 0
            service_day = layout.weekdays_shared[weekday] & ~closed
            no_site = ~in_service & service_day[:, None]
            if binomial:
                no_site_demand = zone_rng.binomial(np.where(no_site, users, 0), probability)
            else:
                no_site_demand = zone_rng.poisson(np.where(no_site, expected, 0.0))
            yield _Chunk(
                year=year,
                days=days,
                site_open=site_open,
                site_capacity=site_capacity,
                site_demand=demand,
                site_served=served,
                site_turned_away=turned_away,
                zone_capacity=zone_capacity,
                zone_demand=zone_demand,
                zone_turned_away=zone_turned_away,
                zone_demand_no_site=no_site_demand,
                no_site=no_site,
            )


def iter_service_days(
    spec: ServiceSpec, seed: int, replication: int, chunk_days: int = DAYS_PER_YEAR
) -> Iterator[ServiceDays]:
    """Simulate one replication and yield its site-day values, chunk by chunk.

    The building block of :func:`simulate_services` (which only keeps yearly sums); use it to
    inspect daily values, e.g. to test the law of the daily demand.

    Parameters
    ----------
    spec : ServiceSpec
        Sites, opening days and demand.
    seed, replication : int
        Seed of the run and replication index (≥ 0); see :func:`carefacility.base.streams.stream`.
    chunk_days : int
        Most days per chunk [day]; chunks never cross a year. The values do not depend on it.

    Yields
    ------
    ServiceDays
        Consecutive chunks, in day order, sites in the spec's order.
    """
    layout = _Layout.of(spec)
    inverse = np.empty_like(layout.order)
    inverse[layout.order] = np.arange(layout.order.size)

    def original(values: NDArray[Any]) -> NDArray[Any]:
        return values if layout.identity else values[:, inverse]

    for chunk in _chunks(spec, layout, seed, replication, chunk_days):
        zone_capacity = np.zeros((chunk.days.size, spec.n_zones), dtype=np.int64)
        zone_capacity[:, layout.zones] = chunk.zone_capacity
        yield ServiceDays(
            year=chunk.year,
            days=chunk.days,
            site_open=original(chunk.site_open),
            site_demand=original(chunk.site_demand),
            site_served=original(chunk.site_served),
            site_turned_away=original(chunk.site_turned_away),
            zone_capacity=zone_capacity,
            zone_demand_no_site=chunk.zone_demand_no_site,
        )


# --------------------------------------------------------------------------------------------
# Yearly result
# --------------------------------------------------------------------------------------------

# metric -> (level, unit key); unit keys "visit" and "capacity" depend on the kind
_SITE_METRICS = {
    "open_days": "days",
    "capacity_offered": "capacity",
    "demand": "visit",
    "served": "visit",
    "turned_away": "visit",
}
_ZONE_METRICS = {
    "open_days": "days",
    "days_without_site": "days",
    "capacity_offered": "capacity",
    "demand": "visit",
    "served": "visit",
    "turned_away": "visit",
    "unserved_no_site": "visit",
    "days_with_turn_away": "days",
    "p95_demand_to_capacity": "ratio",
}


def _share(numerator: NDArray[Any], denominator: NDArray[Any]) -> FloatArray:
    """``numerator / denominator`` with NaN where the denominator is 0."""
    numerator = np.asarray(numerator, dtype=np.float64)
    denominator = np.asarray(denominator, dtype=np.float64)
    return np.divide(
        numerator,
        denominator,
        out=np.full(np.broadcast_shapes(numerator.shape, denominator.shape), np.nan),
        where=denominator > 0,
    )


@dataclass(frozen=True, eq=False)
class ServiceReplicationResult:
    """Yearly totals of one replication of a daily community service.

    Counts are in visits [visits] (day centres) or meals [meals] (meal points) per year,
    capacities in place-days [place_days] or meals [meals] per year. Identities, per year:
    ``zone_demand = Σ site_demand (of the zone) + zone_unserved_no_site`` and
    ``zone_demand = zone_served + zone_turned_away + zone_unserved_no_site``; per site-year
    ``site_demand = site_served + site_turned_away`` when ``overflow="none"``.

    Attributes
    ----------
    kind : str
        ``"day_centre"`` or ``"meal_point"``.
    first_year : int
        Calendar year of model year 0.
    seed, replication : int
        Where the random numbers came from.
    overflow : str
        ``"none"`` or ``"zone"``.
    site_zone : numpy.ndarray of int, shape (n_sites,)
        Zone of each site.
    site_open_days : numpy.ndarray of int, shape (n_years, n_sites)
        Days each site opened [day].
    site_capacity_offered : numpy.ndarray of int, shape (n_years, n_sites)
        Capacity × open days [place_days or meals].
    site_demand, site_served, site_turned_away : numpy.ndarray of int, shape (n_years, n_sites)
        Demand arriving at the site, served by the site (with ``overflow="zone"`` including
        visits redirected from other sites), and turned away of the demand arriving at the site.
    zone_open_days : numpy.ndarray of int, shape (n_years, n_zones)
        Days on which at least one site of the zone opened [day].
    zone_days_without_site : numpy.ndarray of int, shape (n_years, n_zones)
        Service days on which the zone had no site in service [day].
    zone_capacity_offered, zone_demand, zone_served, zone_turned_away, zone_unserved_no_site :
    numpy.ndarray of int, shape (n_years, n_zones)
        Zone totals; ``zone_unserved_no_site`` is the demand of days without a site.
    zone_days_with_turn_away : numpy.ndarray of int, shape (n_years, n_zones)
        Open days on which the zone turned anybody away [day].
    zone_p95_demand_to_capacity : numpy.ndarray of float, shape (n_years, n_zones)
        95th percentile over the zone's open days of daily demand / daily capacity [-]
        (numpy's default linear interpolation; NaN for a zone-year without an open day).
    """

    kind: str
    first_year: int
    seed: int
    replication: int
    overflow: str
    site_zone: IntArray
    site_open_days: IntArray
    site_capacity_offered: IntArray
    site_demand: IntArray
    site_served: IntArray
    site_turned_away: IntArray
    zone_open_days: IntArray
    zone_days_without_site: IntArray
    zone_capacity_offered: IntArray
    zone_demand: IntArray
    zone_served: IntArray
    zone_turned_away: IntArray
    zone_unserved_no_site: IntArray
    zone_days_with_turn_away: IntArray
    zone_p95_demand_to_capacity: FloatArray

    # ------------------------------------------------------------------ sizes
    @property
    def n_years(self) -> int:
        """Number of model years."""
        return int(self.site_open_days.shape[0])

    @property
    def n_sites(self) -> int:
        """Number of sites."""
        return int(self.site_zone.size)

    @property
    def n_zones(self) -> int:
        """Number of zones."""
        return int(self.zone_demand.shape[1])

    @property
    def years(self) -> IntArray:
        """Calendar years, shape (n_years,)."""
        return self.first_year + np.arange(self.n_years)

    # ------------------------------------------------------------------ KPIs
    @property
    def site_utilisation(self) -> FloatArray:
        """Served / capacity offered per year and site [-], shape (n_years, n_sites)."""
        return _share(self.site_served, self.site_capacity_offered)

    @property
    def zone_utilisation(self) -> FloatArray:
        """Served / capacity offered per year and zone [-], shape (n_years, n_zones)."""
        return _share(self.zone_served, self.zone_capacity_offered)

    @property
    def utilisation(self) -> FloatArray:
        """Served / capacity offered per year, all sites [-], shape (n_years,)."""
        return _share(self.zone_served.sum(axis=1), self.zone_capacity_offered.sum(axis=1))

    @property
    def zone_turned_away_share(self) -> FloatArray:
        """(Turned away + unserved for lack of a site) / demand per year and zone [-]."""
        return _share(self.zone_turned_away + self.zone_unserved_no_site, self.zone_demand)

    @property
    def turned_away_share(self) -> FloatArray:
        """(Turned away + unserved for lack of a site) / demand per year, all zones [-]."""
        lost = self.zone_turned_away + self.zone_unserved_no_site
        return _share(lost.sum(axis=1), self.zone_demand.sum(axis=1))

    @property
    def max_zone_p95_demand_to_capacity(self) -> FloatArray:
        """Largest zone P95 of daily demand / capacity per year [-], shape (n_years,)."""
        p95 = self.zone_p95_demand_to_capacity
        out = np.full(self.n_years, np.nan)
        has = ~np.all(np.isnan(p95), axis=1)
        out[has] = np.nanmax(p95[has], axis=1)
        return out

    def summary(self) -> pd.DataFrame:
        """Yearly KPIs of all sites together.

        Returns
        -------
        pandas.DataFrame
            Indexed by calendar ``year``; columns ``demand``, ``served``, ``turned_away``,
            ``unserved_no_site`` [visits or meals], ``capacity_offered`` [place_days or meals],
            ``utilisation``, ``turned_away_share``, ``max_zone_p95_demand_to_capacity`` [-].
        """
        return pd.DataFrame(
            {
                "demand": self.zone_demand.sum(axis=1),
                "served": self.zone_served.sum(axis=1),
                "turned_away": self.zone_turned_away.sum(axis=1),
                "unserved_no_site": self.zone_unserved_no_site.sum(axis=1),
                "capacity_offered": self.zone_capacity_offered.sum(axis=1),
                "utilisation": self.utilisation,
                "turned_away_share": self.turned_away_share,
                "max_zone_p95_demand_to_capacity": self.max_zone_p95_demand_to_capacity,
            },
            index=pd.Index(self.years, name="year"),
        )

    def to_frame(self) -> pd.DataFrame:
        """Tidy table of every yearly value: per site, per zone and for all sites.

        Returns
        -------
        pandas.DataFrame
            Columns ``kind``, ``year`` (calendar), ``zone`` (index, -1 for all zones), ``site``
            (index, -1 for zone and all-site rows), ``metric``, ``value``, ``unit``. Units:
            ``days``, ``visits`` or ``meals`` (counts), ``place_days`` or ``meals``
            (capacity offered), ``ratio`` and ``share`` [-].
        """
        units = {
            "days": "days",
            "ratio": "ratio",
            "share": "share",
            "visit": "visits" if self.kind == "day_centre" else "meals",
            "capacity": "place_days" if self.kind == "day_centre" else "meals",
        }
        years = self.years
        parts: list[pd.DataFrame] = []

        def add(values: NDArray[Any], metric: str, unit: str, zone: Any, site: Any) -> None:
            values = np.asarray(values, dtype=np.float64)
            n_cols = 1 if values.ndim == 1 else values.shape[1]
            parts.append(
                pd.DataFrame(
                    {
                        "kind": self.kind,
                        "year": np.repeat(years, n_cols),
                        "zone": np.tile(np.broadcast_to(zone, (n_cols,)), years.size),
                        "site": np.tile(np.broadcast_to(site, (n_cols,)), years.size),
                        "metric": metric,
                        "value": values.reshape(-1),
                        "unit": unit,
                    }
                )
            )

        sites = np.arange(self.n_sites)
        for metric, unit in _SITE_METRICS.items():
            add(getattr(self, f"site_{metric}"), metric, units[unit], self.site_zone, sites)
        add(self.site_utilisation, "utilisation", "share", self.site_zone, sites)
        zones = np.arange(self.n_zones)
        for metric, unit in _ZONE_METRICS.items():
            add(getattr(self, f"zone_{metric}"), metric, units[unit], zones, -1)
        add(self.zone_utilisation, "utilisation", "share", zones, -1)
        add(self.zone_turned_away_share, "turned_away_share", "share", zones, -1)
        for metric in ("capacity_offered", "demand", "served", "turned_away", "unserved_no_site"):
            unit = units[_ZONE_METRICS[metric]]
            add(getattr(self, f"zone_{metric}").sum(axis=1), metric, unit, -1, -1)
        add(self.utilisation, "utilisation", "share", -1, -1)
        add(self.turned_away_share, "turned_away_share", "share", -1, -1)
        return pd.concat(parts, ignore_index=True)


def _p95(ratio: FloatArray) -> FloatArray:
    """95th percentile over days (axis 0) ignoring NaN; NaN where a column is all NaN.

    Same as ``numpy.nanpercentile(ratio, 95, axis=0)`` (linear interpolation), vectorised.
    """
    ordered = np.sort(ratio, axis=0)  # NaN sort last
    count = np.count_nonzero(~np.isnan(ratio), axis=0)
    position = 0.95 * np.maximum(count - 1, 0)
    below = np.floor(position).astype(np.int64)
    above = np.minimum(below + 1, np.maximum(count - 1, 0))
    columns = np.arange(ratio.shape[1])
    low, high = ordered[below, columns], ordered[above, columns]
    out = low + (position - below) * (high - low)
    out[count == 0] = np.nan
    return out


def simulate_services(
    spec: ServiceSpec, seed: int, replication: int, *, chunk_days: int = DAYS_PER_YEAR
) -> ServiceReplicationResult:
    """Simulate one replication of a daily community service and sum it by year.

    Parameters
    ----------
    spec : ServiceSpec
        Sites, opening days and demand.
    seed, replication : int
        Seed of the run and replication index (≥ 0). Streams ``"<kind>.demand"`` and
        ``"<kind>.demand_no_site"``.
    chunk_days : int
        Most days simulated at once [day] (chunks never cross a year); bounds memory to about
        ``40 × chunk_days × n_sites × 8`` bytes. The result does not depend on it.

    Returns
    -------
    ServiceReplicationResult
        Yearly totals per site and per zone, KPIs and a tidy :meth:`~ServiceReplicationResult.
        to_frame`.
    """
    layout = _Layout.of(spec)
    n_years, n_sites, n_zones = spec.n_years, spec.n_sites, spec.n_zones
    populated = layout.zones

    def zeros(n: int) -> IntArray:
        return np.zeros((n_years, n), dtype=np.int64)

    site = {name: zeros(n_sites) for name in _SITE_METRICS}
    zone = {name: zeros(n_zones) for name in _ZONE_METRICS if name != "p95_demand_to_capacity"}
    p95 = np.full((n_years, n_zones), np.nan)
    ratio = np.full((DAYS_PER_YEAR, n_zones), np.nan)
    for chunk in _chunks(spec, layout, seed, replication, chunk_days):
        y = chunk.year
        site["open_days"][y] += chunk.site_open.sum(axis=0)
        site["capacity_offered"][y] += chunk.site_capacity.sum(axis=0)
        site["demand"][y] += chunk.site_demand.sum(axis=0)
        site["served"][y] += chunk.site_served.sum(axis=0)
        site["turned_away"][y] += chunk.site_turned_away.sum(axis=0)

        zone_open = chunk.zone_capacity > 0
        zone["open_days"][y, populated] += zone_open.sum(axis=0)
        zone["days_without_site"][y] += chunk.no_site.sum(axis=0)
        zone["capacity_offered"][y, populated] += chunk.zone_capacity.sum(axis=0)
        no_site_demand = chunk.zone_demand_no_site.sum(axis=0)
        zone["demand"][y] += no_site_demand
        zone["demand"][y, populated] += chunk.zone_demand.sum(axis=0)
        zone["unserved_no_site"][y] += no_site_demand
        zone["turned_away"][y, populated] += chunk.zone_turned_away.sum(axis=0)
        zone["served"][y, populated] += (chunk.zone_demand - chunk.zone_turned_away).sum(axis=0)
        zone["days_with_turn_away"][y, populated] += (chunk.zone_turned_away > 0).sum(axis=0)

        rows = chunk.days - y * DAYS_PER_YEAR
        ratio[rows[:, None], populated[None, :]] = np.divide(
            chunk.zone_demand,
            chunk.zone_capacity,
            out=np.full(chunk.zone_capacity.shape, np.nan),
            where=zone_open,
        )
        if chunk.days[-1] == (y + 1) * DAYS_PER_YEAR - 1:
            p95[y] = _p95(ratio)
            ratio.fill(np.nan)

    def original(values: IntArray) -> IntArray:
        if layout.identity:
            return values
        out = np.empty_like(values)
        out[:, layout.order] = values
        return out

    return ServiceReplicationResult(
        kind=spec.kind,
        first_year=spec.first_year,
        seed=int(seed),
        replication=int(replication),
        overflow=spec.overflow,
        site_zone=spec.site_zone,
        site_open_days=original(site["open_days"]),
        site_capacity_offered=original(site["capacity_offered"]),
        site_demand=original(site["demand"]),
        site_served=original(site["served"]),
        site_turned_away=original(site["turned_away"]),
        zone_open_days=zone["open_days"],
        zone_days_without_site=zone["days_without_site"],
        zone_capacity_offered=zone["capacity_offered"],
        zone_demand=zone["demand"],
        zone_served=zone["served"],
        zone_turned_away=zone["turned_away"],
        zone_unserved_no_site=zone["unserved_no_site"],
        zone_days_with_turn_away=zone["days_with_turn_away"],
        zone_p95_demand_to_capacity=p95,
    )
