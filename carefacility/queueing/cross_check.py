"""Queueing-theory cross-check reported beside the simulated figures.

For each year the whole area is treated as one pooled M/M/c system in steady state: Poisson
applications at that year's rate, exponential stays with the mean stay implied by the care-need
model, and ``c`` = all beds. Pooling every bed into one pool, ignoring bed types, zones and the
starting state, makes these figures optimistic (a floor on waits); the simulation is the answer,
the cross-check says whether its order of magnitude is right.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from carefacility.queueing.erlang import erlang_b, mmc_wait
from carefacility.queueing.infinite_server import mminf_occupancy_quantile

__all__ = ["pooled_queue_check"]


def pooled_queue_check(years: np.ndarray, arrival_rate_per_day: np.ndarray,
                       mean_stay_days: np.ndarray, beds: np.ndarray,
                       threshold_days: float) -> pd.DataFrame:
    """Steady-state M/M/c and M/M/∞ figures per year for one pooled district-wide pool.

    Parameters
    ----------
    years : numpy.ndarray of int
    arrival_rate_per_day : numpy.ndarray
        Applications per day in each year [1/day].
    mean_stay_days : numpy.ndarray
        Mean length of stay of those admitted [days].
    beds : numpy.ndarray
        Beds in each year [beds].
    threshold_days : float
        T of "admitted within T days" [days].

    Returns
    -------
    pandas.DataFrame
        Per year: ``offered_load_beds`` (beds that would be in use if nobody waited),
        ``beds_needed_p95`` (M/M/∞ 95th percentile of that: beds to admit at once 95 % of the
        time), ``erlang_b_blocking`` (share finding every bed full), and when the load is below
        the beds ``prob_wait``, ``mean_wait_days`` and ``share_admitted_within_threshold``
        (Erlang C); ``nan`` when the pool is overloaded (waits grow without bound).
    """
    rows = []
    for year, rate, stay, servers in zip(years, arrival_rate_per_day, mean_stay_days, beds,
                                         strict=True):
        load = float(rate * stay)
        servers = int(servers)
        row = {"year": int(year), "arrival_rate_per_day": float(rate),
               "mean_stay_days": float(stay), "beds": servers, "offered_load_beds": load,
               "beds_needed_p95": mminf_occupancy_quantile(load, 0.95) if load > 0 else 0,
               "erlang_b_blocking": float(erlang_b(servers, load)) if servers > 0 else 1.0,
               "prob_wait": math.nan, "mean_wait_days": math.nan,
               "share_admitted_within_threshold": math.nan}
        if 0 < load < servers:
            queue = mmc_wait(servers, float(rate), 1.0 / float(stay))
            row.update(prob_wait=queue.prob_wait, mean_wait_days=queue.mean_wait,
                       share_admitted_within_threshold=1.0 - float(
                           queue.wait_tail(threshold_days)))
        rows.append(row)
    return pd.DataFrame(rows)
