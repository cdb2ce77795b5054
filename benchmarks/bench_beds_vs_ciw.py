"""Admissions per second of our bed engine and of Ciw on the same M/M/c model.

Model: one pool of ``c`` beds, Poisson arrivals, exponential stays, unlimited FIFO waiting
list, utilisation ρ = 0.95, both started empty. Our engine runs whole model years until at
least 200,000 admissions; Ciw (``ciw.create_network`` with ``ciw.dists.Exponential`` and
``number_of_servers=[c]``) runs in slices of simulated time until a wall-clock budget is spent.
An admission is a service start (Ciw: completed records plus busy servers).

Usage::

    python benchmarks/bench_beds_vs_ciw.py [--ciw-seconds 20] [--beds 100 8000]
"""

from __future__ import annotations

import argparse
import math
import time

import ciw
import numpy as np

from carefacility.beds import BedSpec, StayDistribution, simulate

UTILISATION = 0.95
MIN_ADMISSIONS = 200_000
MEAN_STAY_DAYS = {100: 1.0, 8_000: 14.0}  # keeps one model year ≥ 200k admissions at 8,000


def ours(beds: int, mean_stay_days: float) -> tuple[int, float]:
    """Admissions and seconds of one run of our engine."""
    arrival_rate = UTILISATION * beds / mean_stay_days
    n_years = max(1, math.ceil(MIN_ADMISSIONS / (arrival_rate * 365)))
    rate = np.zeros((n_years, 1, 4))
    rate[:, 0, 0] = arrival_rate
    spec = BedSpec(
        home_zone=[0],
        initial_capacity=[[beds, 0, 0]],
        arrival_rate_per_day=rate,
        stay_distribution=StayDistribution("exponential", mean_stay_days),
    )
    start = time.perf_counter()
    result = simulate(spec, seed=1, replication=0)
    return int(result.admissions.sum()), time.perf_counter() - start


def ciw_run(beds: int, mean_stay_days: float, budget_seconds: float) -> tuple[int, float]:
    """Admissions and seconds of a Ciw run bounded by ``budget_seconds`` of wall clock."""
    arrival_rate = UTILISATION * beds / mean_stay_days
    network = ciw.create_network(
        arrival_distributions=[ciw.dists.Exponential(rate=arrival_rate)],
        service_distributions=[ciw.dists.Exponential(rate=1 / mean_stay_days)],
        number_of_servers=[beds],
    )
    ciw.seed(1)
    simulation = ciw.Simulation(network)
    slice_days = 2_000 / arrival_rate  # about 2,000 arrivals per slice
    until = 0.0
    start = time.perf_counter()
    while time.perf_counter() - start < budget_seconds:
        until += slice_days
        simulation.simulate_until_max_time(until)
    seconds = time.perf_counter() - start
    busy = sum(1 for server in simulation.nodes[1].servers if server.busy)
    return len(simulation.get_all_records()) + busy, seconds


def main() -> None:
    """Print admissions per second of both engines and their ratio."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ciw-seconds", type=float, default=20.0, help="Ciw wall-clock budget")
    parser.add_argument("--beds", type=int, nargs="+", default=[100, 8_000])
    args = parser.parse_args()
    ours(100, 1.0)  # warm imports
    print(f"M/M/c, ρ = {UTILISATION}, FIFO, unlimited waiting list, started empty")
    print(f"{'beds':>6} {'engine':>7} {'admissions':>11} {'seconds':>8} {'admissions/s':>13}")
    for beds in args.beds:
        mean_stay = MEAN_STAY_DAYS.get(beds, 1.0)
        n_ours, t_ours = ours(beds, mean_stay)
        n_ciw, t_ciw = ciw_run(beds, mean_stay, args.ciw_seconds)
        rate_ours, rate_ciw = n_ours / t_ours, n_ciw / t_ciw
        print(f"{beds:>6} {'ours':>7} {n_ours:>11,} {t_ours:>8.2f} {rate_ours:>13,.0f}")
        print(f"{beds:>6} {'ciw':>7} {n_ciw:>11,} {t_ciw:>8.2f} {rate_ciw:>13,.0f}")
        print(
            f"{beds:>6} {'ratio':>7} {'':>11} {'':>8} {rate_ours / rate_ciw:>12.1f}x  (target ≥ 3x)"
        )


if __name__ == "__main__":
    main()
