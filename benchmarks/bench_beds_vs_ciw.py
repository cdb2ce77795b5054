"""Admissions per second of our bed engine, of a callback-only SimPy model and of Ciw on one M/M/c.

Model: one pool of ``c`` beds, Poisson arrivals, exponential stays, unlimited FIFO waiting
list, utilisation ρ = 0.95, all started empty. An admission is a service start.

- *ours*: :func:`carefacility.beds.simulate` on a one-home spec with exponential stays, whole
  model years until at least 200,000 admissions, timed end to end (drawing the arrivals, the
  run-on of 30 days, building the result); admissions of the reported years counted. Run with
  the default (lean) calendar and with ``calendar="simpy"``.
- *simpy-cb*: the least a SimPy model of the same system can do — plain ``env.timeout``
  callbacks (no processes, no ``Resource``), exponentials pre-drawn with NumPy, a ``deque`` as
  the queue, no statistics. It simulates the same days as ours (years and run-on) and counts
  the admissions before the horizon; timed end to end (drawing included).
- *ciw*: ``ciw.create_network`` with ``ciw.dists.Exponential`` and ``number_of_servers=[c]``,
  run in slices of simulated time until a wall-clock budget is spent (completed records plus
  busy servers).

Each engine runs ``--repeats`` times (best time kept, the machine may be shared); the ratios are
of admissions per second measured in the same run. Targets: ours ≥ 0.8× the SimPy callback
model and ≥ 3× Ciw.

Usage::

    python benchmarks/bench_beds_vs_ciw.py [--ciw-seconds 20] [--beds 100 8000] [--repeats 3]
"""

from __future__ import annotations

import argparse
import functools
import math
import time
from collections import deque

import ciw
import numpy as np
import simpy

from carefacility.beds import BedSpec, StayDistribution, simulate

UTILISATION = 0.95
MIN_ADMISSIONS = 200_000
MEAN_STAY_DAYS = {100: 1.0, 8_000: 14.0}  # keeps one model year ≥ 200k admissions at 8,000
TARGET_VS_SIMPY = 0.8
TARGET_VS_CIW = 3.0


def mmc_spec(beds: int, mean_stay_days: float) -> BedSpec:
    """The M/M/c system as a one-home spec, with whole years for ≥ 200,000 admissions."""
    arrival_rate = UTILISATION * beds / mean_stay_days
    n_years = max(1, math.ceil(MIN_ADMISSIONS / (arrival_rate * 365)))
    rate = np.zeros((n_years, 1, 4))
    rate[:, 0, 0] = arrival_rate
    return BedSpec(
        home_zone=[0],
        initial_capacity=[[beds, 0, 0]],
        arrival_rate_per_day=rate,
        stay_distribution=StayDistribution("exponential", mean_stay_days),
    )


def ours(beds: int, mean_stay_days: float, calendar: str = "lean") -> tuple[int, float]:
    """Admissions and seconds of one run of our engine."""
    spec = mmc_spec(beds, mean_stay_days)
    start = time.perf_counter()
    result = simulate(spec, seed=1, replication=0, calendar=calendar)
    return int(result.admissions.sum()), time.perf_counter() - start


def simpy_callbacks(beds: int, mean_stay_days: float) -> tuple[int, float]:
    """Admissions and seconds of a callback-only SimPy model of the same system and days."""
    spec = mmc_spec(beds, mean_stay_days)
    horizon_days = spec.horizon_days
    end_days = horizon_days + spec.run_on_length_days
    arrival_rate = UTILISATION * beds / mean_stay_days
    start = time.perf_counter()
    rng = np.random.default_rng(1)
    n_draws = int(arrival_rate * end_days + 10 * math.sqrt(arrival_rate * end_days) + 100)
    gaps = rng.exponential(1 / arrival_rate, n_draws).tolist()
    stays = rng.exponential(mean_stay_days, n_draws).tolist()
    env = simpy.Environment()
    queue: deque[float] = deque()
    free = [beds]
    admitted = [0]
    arrival_index = [0]
    stay_index = [0]

    def admit() -> None:
        if env.now < horizon_days:
            admitted[0] += 1
        stay = stays[stay_index[0]]
        stay_index[0] += 1
        env.timeout(stay).callbacks.append(departure)

    def departure(_event: simpy.Event) -> None:
        if queue:
            queue.popleft()
            admit()
        else:
            free[0] += 1

    def arrival(_event: simpy.Event) -> None:
        if free[0] > 0:
            free[0] -= 1
            admit()
        else:
            queue.append(env.now)
        index = arrival_index[0] = arrival_index[0] + 1
        env.timeout(gaps[index]).callbacks.append(arrival)

    env.timeout(gaps[0]).callbacks.append(arrival)
    env.run(until=end_days)
    assert arrival_index[0] < n_draws and stay_index[0] < n_draws, "draw more numbers"
    return admitted[0], time.perf_counter() - start


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


def best(run, repeats: int) -> tuple[int, float]:
    """Admissions and the shortest time of ``repeats`` runs."""
    runs = [run() for _ in range(repeats)]
    return runs[0][0], min(seconds for _, seconds in runs)


def main() -> None:
    """Print admissions per second of each engine and our ratios to the others."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ciw-seconds", type=float, default=20.0, help="Ciw wall-clock budget")
    parser.add_argument("--beds", type=int, nargs="+", default=[100, 8_000])
    parser.add_argument("--repeats", type=int, default=3, help="runs per engine (best kept)")
    args = parser.parse_args()
    ours(100, 1.0)  # warm imports
    simpy_callbacks(100, 1.0)
    print(f"M/M/c, ρ = {UTILISATION}, FIFO, unlimited waiting list, started empty; "
          f"best of {args.repeats}")
    print(f"{'beds':>6} {'engine':>13} {'admissions':>11} {'seconds':>8} {'admissions/s':>13}")
    for beds in args.beds:
        mean_stay = MEAN_STAY_DAYS.get(beds, 1.0)
        rates = {}
        runs = {
            "ours": functools.partial(ours, beds, mean_stay),
            "ours-simpy": functools.partial(ours, beds, mean_stay, "simpy"),
            "simpy-cb": functools.partial(simpy_callbacks, beds, mean_stay),
        }
        for name, run in runs.items():
            n, seconds = best(run, args.repeats)
            rates[name] = n / seconds
            print(f"{beds:>6} {name:>13} {n:>11,} {seconds:>8.2f} {rates[name]:>13,.0f}")
        n, seconds = ciw_run(beds, mean_stay, args.ciw_seconds)
        rates["ciw"] = n / seconds
        print(f"{beds:>6} {'ciw':>13} {n:>11,} {seconds:>8.2f} {rates['ciw']:>13,.0f}")
        for name, target in (("simpy-cb", TARGET_VS_SIMPY), ("ciw", TARGET_VS_CIW)):
            ratio = rates["ours"] / rates[name]
            print(f"{beds:>6} {'ours/' + name:>13} {ratio:>33.2f}x  (target ≥ {target:g}x)")


if __name__ == "__main__":
    main()
