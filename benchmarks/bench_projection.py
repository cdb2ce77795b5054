"""Time the cohort-component projection: 100 zones x 2 sexes x 101 ages x 50 years.

Inputs are random but plausible: survival from the UN WPP 2024 death rates of China for
2020-2025 with a 1 %/year mortality improvement, TFR 1.1 with a WPP-like age pattern, SRB 1.1,
and net migration of +-2 % of each zone's population a year with a Rogers-Castro age profile.
Prints the best of 5 timed runs (after one warm-up) and exits with status 1 if it is over target.

Run: ``python benchmarks/bench_projection.py``
"""

from __future__ import annotations

import sys
import time

import numpy as np

from carefacility.population import (
    N_AGES,
    SEXES,
    apply_mortality_improvement,
    asfr_from_tfr,
    distribute_net_migration,
    graduate_counts,
    parse_age_group,
    project,
    projection_survival,
    read_reference_csv,
    rogers_castro_profile,
    single_year_mx,
    stationary_tail_weights,
)

N_ZONES = 100
N_YEARS = 50
TARGET_SECONDS = 1.0
REPEATS = 5


def build_inputs(seed: int = 20240601) -> tuple:
    rng = np.random.default_rng(seed)
    table = read_reference_csv("china_wpp2024_mx5_all_periods.csv")
    table = table[table["period"] == "2020-2025"].copy()
    table["age"] = [parse_age_group(str(label))[0] for label in table["age_start"]]
    age_starts = np.sort(table["age"].unique())
    nmx = np.stack(
        [table[table["sex"] == sex].sort_values("age")["nMx"].to_numpy() for sex in SEXES]
    )
    mx_single = single_year_mx(nmx, age_starts)  # (2, 131)
    years = np.arange(N_YEARS)[:, None, None]
    survival = projection_survival(apply_mortality_improvement(mx_single[None], 0.01, years))

    pattern = [0.002, 3.2, 28.4, 36.9, 20.9, 7.8, 2.1, 0.6, 0.1]
    asfr = asfr_from_tfr(np.full(N_YEARS, 1.1), np.tile(pattern, (N_YEARS, 1)), range(10, 55, 5))
    srb = np.full(N_YEARS, 1.1)

    # Zones: 5-year groups to 85+ with random sizes, graduated with life-table tail weights.
    group_starts = np.arange(0, 90, 5)
    grouped = rng.uniform(1_000, 20_000, size=(N_ZONES, 2, group_starts.size))
    weights = stationary_tail_weights(mx_single, 85)  # (2, 16)
    base = graduate_counts(grouped, group_starts, open_tail_weights=weights[None])

    totals = rng.uniform(-0.02, 0.02, size=(N_YEARS, N_ZONES)) * base.sum(axis=(-2, -1))
    profile = rogers_castro_profile()
    migration = distribute_net_migration(totals, profile, profile, share_male=0.5)
    return base, survival, asfr, srb, migration


def build_scenario_inputs(seed: int = 20240601):
    """A 100-zone scenario as a planner would give it: census-style 5-year groups to 85+,
    WPP 2024 death rates by period, a TFR path and a migration total (end-to-end timing)."""
    import datetime as dt

    from carefacility.population.inputs import GroupedTable, PopulationInputs, TimePath

    rng = np.random.default_rng(seed)
    table = read_reference_csv("china_wpp2024_mx5_all_periods.csv")
    periods = sorted(table["period"].unique())
    labels = [str(a) for a in table[table["period"] == periods[0]]
              .query("sex == 'male'")["age_start"]]
    starts = [parse_age_group(label)[0] for label in labels]
    order = np.argsort(starts)
    group_labels = ["0", "1-4", *[f"{a}-{a + 4}" for a in range(5, 100, 5)], "100+"]
    values = np.stack([
        np.stack([table[(table["period"] == period) & (table["sex"] == sex)]["nMx"]
                  .to_numpy()[order] for sex in SEXES])
        for period in periods
    ])
    keys = np.array([(int(p[:4]) + int(p[5:])) / 2 + 0.5 for p in periods])
    census_groups = ("0-4", *[f"{a}-{a + 4}" for a in range(5, 85, 5)], "85+")
    pattern_groups = tuple(f"{a}-{a + 4}" for a in range(10, 55, 5))
    return PopulationInputs(
        basis="resident", base_date=dt.date(2020, 11, 1), horizon_year=2020 + N_YEARS,
        report_date="year_end", zones=tuple(f"zone-{i}" for i in range(N_ZONES)),
        base_population=GroupedTable(census_groups, np.full(N_ZONES, np.nan),
                                     rng.uniform(1_000, 20_000, (N_ZONES, 2, 18))),
        mortality_measure="nMx", mortality=GroupedTable(tuple(group_labels), keys, values),
        mortality_improvement_rate_per_year=0.0,
        tfr=TimePath(np.array([2020.0, 2070.0]), np.array([1.0, 1.3])),
        fertility_pattern=GroupedTable(pattern_groups, np.array([np.nan]),
                                       np.array([[0.002, 3.2, 28.4, 36.9, 20.9, 7.8, 2.1, 0.6,
                                                  0.098]])),
        asfr=None, sex_ratio_at_birth=TimePath(np.array([2020.0]), np.array([1.1])),
        net_migration=TimePath(np.array([2020.0]), np.array([50_000.0])),
        migration_share_male=0.5, migration_counts=None,
    )


def main() -> int:
    base, survival, asfr, srb, migration = build_inputs()
    assert base.shape == (N_ZONES, 2, N_AGES) and migration.shape == (N_YEARS, N_ZONES, 2, N_AGES)
    project(base, survival, asfr, srb, migration)  # warm-up
    timings = []
    for _ in range(REPEATS):
        start = time.perf_counter()
        project(base, survival, asfr, srb, migration)
        timings.append(time.perf_counter() - start)
    best = min(timings)
    print(
        f"projection {N_ZONES} zones x 2 sexes x {N_AGES} ages x {N_YEARS} years: "
        f"{best:.4f} s (target < {TARGET_SECONDS:g} s)"
    )
    from carefacility.population.projection import project_population

    inputs = build_scenario_inputs()
    project_population(inputs)  # warm-up
    whole = []
    for _ in range(REPEATS):
        start = time.perf_counter()
        projection = project_population(inputs)
        whole.append(time.perf_counter() - start)
    print(
        f"end to end (graduation, life tables by year, projection, report dates, tidy tables of "
        f"{len(projection.population):,} rows): {min(whole):.3f} s"
    )
    return 0 if best < TARGET_SECONDS else 1


if __name__ == "__main__":
    sys.exit(main())
