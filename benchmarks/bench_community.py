"""Time and memory of one replication of a city's community services.

2,500 meal points (助餐点, 30–60 meals/day, open every day, overflow pooled in the zone) and
1,000 day-care centres (日间照料中心, 20–40 places/day, closed at weekends and for 7 days of
Spring Festival, no overflow) in 200 zones over 15 years: 3,500 sites, ≈ 19.2 million
site-days. Zone loads 0.6–1.1 of the capacity in service; about 15 % of sites open in years
1–10 (zones without a site in service until then), a few close.

Targets: one replication (both services) in ≤ 3 s (best of 3), peak RSS < 1 GB.

Usage::

    python benchmarks/bench_community.py [--repeats 3] [--chunk-days 365] [--profile]

Exits with status 1 when a target is missed.
"""

from __future__ import annotations

import argparse
import resource
import sys
import time
import tracemalloc

import numpy as np

from carefacility.services.engine import simulate_services
from carefacility.services.engine_spec import DAYS_PER_YEAR, ServiceSpec

N_ZONES = 200
N_YEARS = 15
TARGET_SECONDS = 3.0
TARGET_RSS_MB = 1024.0
SPRING_FESTIVAL = np.array([30, 31, 32, 33, 34, 35, 36])  # closure days within each year


def service_spec(
    kind: str, n_sites: int, capacity_range: tuple[int, int], seed: int
) -> ServiceSpec:
    """A synthetic city-sized spec (deterministic)."""
    rng = np.random.default_rng(seed)
    site_zone = rng.integers(0, N_ZONES, n_sites)
    capacity = rng.integers(capacity_range[0], capacity_range[1] + 1, n_sites)
    open_from = np.zeros(n_sites)
    later = rng.random(n_sites) < 0.15
    open_from[later] = rng.integers(1, 11, later.sum()) * DAYS_PER_YEAR + rng.integers(0, 365)
    open_until = np.full(n_sites, np.inf)
    closing = (rng.random(n_sites) < 0.02) & ~later
    open_until[closing] = rng.integers(5, 15, closing.sum()) * DAYS_PER_YEAR
    # zone demand = load × capacity in service at mid-year (a typical site's if none)
    load = rng.uniform(0.6, 1.1, N_ZONES)
    mid_year = (np.arange(N_YEARS) + 0.5) * DAYS_PER_YEAR
    in_service = (open_from <= mid_year[:, None]) & (mid_year[:, None] < open_until)
    zone_capacity = np.zeros((N_YEARS, N_ZONES))
    for year in range(N_YEARS):
        zone_capacity[year] = np.bincount(
            site_zone, weights=capacity * in_service[year], minlength=N_ZONES
        )
    zone_capacity[zone_capacity == 0] = capacity.mean()
    expected = load * zone_capacity
    if kind == "day_centre":
        weekdays = [True] * 5 + [False] * 2
        closures = (np.arange(N_YEARS)[:, None] * DAYS_PER_YEAR + SPRING_FESTIVAL).ravel()
        overflow = "none"
    else:
        weekdays, closures, overflow = [True] * 7, np.zeros(0, dtype=int), "zone"
    return ServiceSpec(
        kind=kind,
        site_zone=site_zone,
        capacity_per_day=capacity,
        expected_users_per_day=expected,
        open_from_day=open_from,
        open_until_day=open_until,
        open_weekdays=weekdays,
        first_weekday=2,  # 2025-01-01 was a Wednesday
        closure_days=closures,
        overflow=overflow,
        first_year=2025,
    )


def city_specs() -> list[ServiceSpec]:
    """Meal points and day-care centres of the benchmark city."""
    return [
        service_spec("meal_point", 2_500, (30, 60), seed=11),
        service_spec("day_centre", 1_000, (20, 40), seed=12),
    ]


def one_replication(specs: list[ServiceSpec], replication: int, chunk_days: int) -> list:
    """Both services, one replication."""
    return [
        simulate_services(s, seed=1, replication=replication, chunk_days=chunk_days) for s in specs
    ]


def main() -> int:
    """Print the figures; return 1 when a target is missed."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--chunk-days", type=int, default=DAYS_PER_YEAR)
    parser.add_argument("--profile", action="store_true", help="profile with pyinstrument")
    args = parser.parse_args()

    specs = city_specs()
    n_sites = sum(s.n_sites for s in specs)
    site_days = sum(s.n_sites * s.n_days for s in specs)
    if args.profile:
        from pyinstrument import Profiler

        profiler = Profiler()
        profiler.start()
        one_replication(specs, 0, args.chunk_days)
        profiler.stop()
        print(profiler.output_text(unicode=False, color=False))
        return 0

    seconds = []
    for replication in range(args.repeats):
        start = time.perf_counter()
        results = one_replication(specs, replication, args.chunk_days)
        seconds.append(time.perf_counter() - start)
    best = min(seconds)

    tracemalloc.start()
    one_replication(specs, 0, args.chunk_days)
    _, traced_peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0  # kB on Linux

    for result in results:
        summary = result.summary()
        print(
            f"  {result.kind}: utilisation {summary['utilisation'].mean():.2f}, "
            f"turned away {summary['turned_away_share'].mean():.1%} (mean over years), "
            f"worst zone P95 demand/capacity {summary['max_zone_p95_demand_to_capacity'].max():.2f}"
        )
    print(
        f"community services: {n_sites:,} sites, {site_days / 1e6:.1f} M site-days: "
        f"{best:.2f} s per replication (best of {len(seconds)}; target <= {TARGET_SECONDS:g} s), "
        f"peak RSS {rss_mb:.0f} MB, tracemalloc peak {traced_peak / 2**20:.0f} MB "
        f"(target < {TARGET_RSS_MB:.0f} MB)"
    )
    missed = best > TARGET_SECONDS or rss_mb >= TARGET_RSS_MB
    if missed:
        print("TARGET MISSED", file=sys.stderr)
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
