"""Time and memory of one replication of a district the size of Jiading (嘉定区).

About 60 care homes with 8,500 beds (general, nursing, dementia) in 12 zones, demand sized for
about 330,000 people aged 60+ (≈ 3,500 applicants a year), stays of 2–3 years with care-level
changes and residents under 80 turning 80 (at a rate of 1 / 10 years), 15 years, residents at
≈ 90 % occupancy and ≈ 1,000 applicants waiting at the start, and a build plan (new homes
opening, general beds converted to nursing beds).

Targets: one replication in ≤ 2 s, peak memory < 500 MB.

Usage::

    python benchmarks/bench_des_jiading_size.py [--replications 3] [--profile]
"""

from __future__ import annotations

import argparse
import resource
import time
import tracemalloc

import numpy as np

from carefacility.beds import BedSpec, InitialWaitingList, simulate

N_ZONES = 12
N_HOMES = 60
N_YEARS = 15
PER_YEAR = 1 / 365.0


def jiading_spec() -> BedSpec:
    """A synthetic Jiading-sized spec (deterministic)."""
    rng = np.random.default_rng(20240601)
    home_zone = np.repeat(np.arange(N_ZONES), N_HOMES // N_ZONES)
    # 55 homes with 8,500 beds at day 0; five more homes open later
    weights = rng.uniform(0.5, 1.5, N_HOMES)
    weights[-5:] = 0.0
    general = np.round(5_700 * weights / weights.sum()).astype(int)
    nursing = np.round(2_400 * weights / weights.sum()).astype(int)
    dementia = np.where((np.arange(N_HOMES) % 4 == 0) & (weights > 0), 29, 0)
    capacity = np.stack([general, nursing, dementia], axis=1)

    # applicants per year by level; zones get shares of the 60+ population
    per_level = np.array([700.0, 1_000.0, 1_250.0, 550.0])  # ≈ 3,500 a year
    zone_share = rng.dirichlet(np.full(N_ZONES, 8.0))
    growth = 1.03 ** np.arange(N_YEARS)  # ageing: demand grows 3 % a year
    rate = growth[:, None, None] * zone_share[None, :, None] * per_level[None, None, :] * PER_YEAR

    # care-level CTMC of residents [1/day] and exits; mean stay ≈ 2.5 years
    generator = np.array(
        [
            [0.0, 0.30, 0.05, 0.05],
            [0.05, 0.0, 0.30, 0.08],
            [0.0, 0.05, 0.0, 0.05],
            [0.0, 0.0, 0.10, 0.0],
        ]
    )
    generator = np.stack([generator, 1.5 * generator]) * PER_YEAR
    for band in range(2):
        np.fill_diagonal(generator[band], -generator[band].sum(axis=1))
    death = np.array([[0.08, 0.15, 0.35, 0.30], [0.15, 0.25, 0.50, 0.45]]) * PER_YEAR
    discharge = np.array([0.15, 0.10, 0.05, 0.03]) * PER_YEAR
    band_ageing = 0.1 * PER_YEAR  # residents under 80 turn 80 after 10 years on average

    # residents at ≈ 90 % occupancy with a realistic level mix per bed type
    mix = np.array([[0.35, 0.40, 0.20, 0.05], [0.05, 0.20, 0.60, 0.15], [0.0, 0.0, 0.1, 0.9]])
    residents = np.zeros((N_HOMES, 3, 4), dtype=int)
    for home in range(N_HOMES):
        for bed_type in range(3):
            occupied = int(0.9 * capacity[home, bed_type])
            residents[home, bed_type] = rng.multinomial(occupied, mix[bed_type])

    # build plan: new homes open in years 2–10, general beds turn into nursing beds
    changes = []
    for k, home in enumerate(range(N_HOMES - 5, N_HOMES)):
        day = (2 + 2 * k) * 365.0
        changes += [(day, home, -1, 0, 100), (day, home, -1, 1, 80), (day, home, -1, 2, 30)]
    for year in range(1, N_YEARS):
        for home in rng.choice(N_HOMES - 5, 6, replace=False):
            changes.append((year * 365.0 + 30.0 * (home % 10), home, 0, 1, 10))
    changes.append((5 * 365.0, 3, 0, -1, 20))  # an old building closes part of its beds

    waiting = rng.multinomial(1_000, np.outer(zone_share, per_level / per_level.sum()).ravel())
    initial_waiting = InitialWaitingList.from_counts(waiting.reshape(N_ZONES, 4), 60.0)

    return BedSpec(
        home_zone=home_zone,
        initial_capacity=capacity,
        arrival_rate_per_day=rate,
        share_80plus=0.55,
        share_low_income=0.05,
        capacity_changes=changes,
        overflow_to_general=True,
        discipline="priority",
        waiting_death_rate_per_day=np.array([0.05, 0.10, 0.30, 0.25]) * PER_YEAR,
        withdrawal_rate_per_day=0.5 * PER_YEAR,
        resident_generator_per_day=generator,
        resident_death_rate_per_day=death,
        discharge_rate_per_day=discharge,
        band_ageing_rate_per_day=band_ageing,
        initial_residents=residents,
        initial_waiting_list=initial_waiting,
        first_year=2021,
    )


def main() -> None:
    """Print the spec size, seconds per replication and peak memory."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--replications", type=int, default=3)
    parser.add_argument("--profile", action="store_true", help="profile with pyinstrument")
    args = parser.parse_args()

    spec = jiading_spec()
    print(
        f"homes {spec.n_homes}, zones {spec.n_zones}, beds at day 0 "
        f"{spec.initial_capacity.sum():,} (after plan {spec.capacity_schedule()[-1].sum():,}), "
        f"residents {spec.initial_residents.sum():,}, waiting {spec.initial_waiting_list.size:,}, "
        f"applicants/year {spec.arrival_rate_per_day[0].sum() * 365:,.0f}, years {spec.n_years}"
    )
    if args.profile:
        from pyinstrument import Profiler

        profiler = Profiler()
        profiler.start()
        simulate(spec, seed=1, replication=0)
        profiler.stop()
        print(profiler.output_text(unicode=False, color=False))
        return

    simulate(spec, seed=1, replication=99)  # warm imports and caches
    seconds = []
    for replication in range(args.replications):
        start = time.perf_counter()
        result = simulate(spec, seed=1, replication=replication)
        seconds.append(time.perf_counter() - start)
    print(
        f"seconds per replication: min {min(seconds):.2f}, mean {np.mean(seconds):.2f} "
        f"(target ≤ 2 s); admissions {result.admissions.sum():,}, "
        f"level changes {result.level_changes.sum():,}, transfers {result.transfers.sum():,}"
    )
    last = result.n_years - 1
    print(
        f"year {result.first_year + last}: mean occupied {result.mean_occupied_beds[last].round()}"
        f" of {result.capacity_at_year_end[last]}, waiting at year end "
        f"{result.waiting_at_year_end[last].sum()}, P90 wait {result.wait_p90_days[last]:.0f} d"
    )

    tracemalloc.start()
    simulate(spec, seed=1, replication=0)
    _current, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    max_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux
    print(
        f"peak traced Python memory {peak / 2**20:.1f} MB; process max RSS {max_rss:.0f} MB "
        "(target < 500 MB)"
    )


if __name__ == "__main__":
    main()
