"""Beds needed by the analytic methods: the ratio method, the average flow model (AFM), the
stationary independent period-by-period method (SIPP) and SIPP on the lagged load.

These are the spreadsheet answers a planning bureau could compute, set beside the simulated
smallest sufficient plan (:mod:`carefacility.runner.optimize`), which they also bracket.
Zhang, Puterman, Nelson & Atkins [1]_ size long-term care capacity year by year for a wait-time
service level and show how fixed ratios and SIPP misjudge it; they offer the AFM as a simple
baseline. For each pool (a bed type of a zone, fed by the applicants whose preferred bed it
is) and each year ``y``:

* **ratio**: ``ceil(r × pop_60plus / 1000)`` beds for ``r`` beds per 1,000 persons aged 60+
  (a scenario's ``beds_per_1000_60plus`` target, else the planning standard's 40 per 1,000:
  GB 50437-2007, 2018 revision, cl. 3.2.1, as quoted in ``carefacility/data/care_need_params.md``
  section 4). All bed types and zones together; it knows nothing of need or waits.
* **afm** (average flow model [1]_): capacity = arrivals per day × mean length of stay, the
  offered load, in its transient form: the year's mean number present in an M(t)/M/∞ system
  with the year's arrival rate and trend and the starting residents
  (:func:`carefacility.queueing.transient.mt_infinite_server_year_average`; Eick, Massey &
  Whitt [2]_), which lags growing arrivals by about a mean stay. Rounded up. No waiting at all
  is modelled: the AFM sizes for the mean, so about half of the time the beds are short.
* **sipp** (stationary independent period-by-period [1]_, [3]_): each year on its own as a
  stationary M/M/c queue with the year's arrival rate λ and mean stay 1/μ; the smallest ``c``
  that meets every service-level constraint by Erlang C (for the share served within ``T``:
  ``1 − C(c, λ/μ) e^{−(cμ − λ) T} ≥ θ``).
* **sipp_lagged** (lag-SIPP, Green, Kolesar & Soares [3]_): the same Erlang C sizing with the
  offered load replaced by the transient M(t)/M/∞ mean of the AFM, i.e. with the arrival rate
  ``μ × m̄_y`` — the load the beds actually carry while occupancy lags the demand.

Mean stays and constraints
--------------------------
A pool's mean stay is that of its applicants, by level and age band, until death or discharge
(:func:`expected_stay_days`); residents who move to another bed type are counted in the pool
they entered (transfers between types are ignored). Constraints on shares of admissions, the
95th percentile wait, the mean wait and the year-end waiting list use the FIFO M/M/c formulas
(the wait's distribution ``P(W > t) = C e^{−(cμ−λ)t}``, the mean wait ``C/(cμ − λ)``, the mean
number waiting ``λ C/(cμ − λ)``); a constraint the M/M/c model has no figure for (abandoned or
blocked share) is left out, and a pool with no constraint it can size gets no SIPP answer.

References
----------
.. [1] X. Zhang, M. L. Puterman, M. Nelson and D. Atkins, "A simulation optimization approach
   to long-term care capacity planning", Operations Research 60(2) (2012) 249-261.
.. [2] S. G. Eick, W. A. Massey and W. Whitt, "The physics of the M(t)/G/∞ queue",
   Operations Research 41 (1993) 731-742.
.. [3] L. V. Green, P. J. Kolesar and J. Soares, "Improving the SIPP approach for staffing
   service systems that have cyclic demands", Operations Research 49(4) (2001) 549-564.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

import numpy as np
import pandas as pd

from carefacility.beds.engine_spec import BedSpec
from carefacility.queueing.erlang import erlang_b
from carefacility.queueing.transient import mt_infinite_server_year_average
from carefacility.targets.service_levels import ServiceConstraint

__all__ = [
    "NORM_BEDS_PER_1000_60PLUS",
    "NORM_SOURCE",
    "beds_per_indifference_zone",
    "expected_stay_days",
    "group_mean_stay_days",
    "pool_beds",
    "ratio_beds",
    "servers_for_constraints",
]

NORM_BEDS_PER_1000_60PLUS = 40.0
"""The planning standard's beds per 1,000 elders, used by the ratio method when a scenario has
no ``beds_per_1000_60plus`` target (:data:`NORM_SOURCE`)."""

NORM_SOURCE = ("GB 50437-2007 (2018 revision) cl. 3.2.1: >= 40 beds per 1,000 elders "
               "(carefacility/data/care_need_params.md section 4, secondary copy)")

_MAX_SERVERS = 50_000_000


def ratio_beds(pop_60plus: np.ndarray, beds_per_1000: float) -> np.ndarray:
    """Beds of the ratio method, ``ceil(beds_per_1000 × pop_60plus / 1000)`` [beds].

    Parameters
    ----------
    pop_60plus : numpy.ndarray
        Persons aged 60+ by year [persons].
    beds_per_1000 : float
        Beds per 1,000 persons aged 60+ [beds].

    Returns
    -------
    numpy.ndarray of float
        NaN where the population is not known.
    """
    pop = np.asarray(pop_60plus, dtype=float)
    return np.where(np.isfinite(pop), np.ceil(beds_per_1000 * pop / 1000.0 - 1e-9), np.nan)


def expected_stay_days(spec: BedSpec) -> np.ndarray:
    """Mean stay of a resident admitted at each age band and level [days], shape (2, 4).

    With a ``stay_distribution`` it is its mean by level (both bands). Otherwise the stay runs
    until death or discharge in the residents' chain over (band, level): level changes
    (``resident_generator_per_day``), turning 80 (``band_ageing_rate_per_day``, band 0 → 1),
    death and discharge; the expected time to absorption ``τ`` solves ``−Q τ = 1`` on the
    eight transient states. A level or band whose residents never leave has an infinite stay.
    """
    if spec.stay_distribution is not None:
        mean = np.asarray(spec.stay_distribution.mean_days, dtype=float)
        return np.stack([mean, mean])
    levels = spec.resident_generator_per_day.shape[1]
    size = 2 * levels
    chain = np.zeros((size, size))
    for band in range(2):
        block = slice(band * levels, (band + 1) * levels)
        chain[block, block] = spec.resident_generator_per_day[band]
        exit_rate = spec.resident_death_rate_per_day[band] + spec.discharge_rate_per_day
        chain[block, block] -= np.diag(exit_rate)
    ageing = np.asarray(spec.band_ageing_rate_per_day, dtype=float)
    for level in range(levels):
        chain[level, levels + level] += ageing[level]
        chain[level, level] -= ageing[level]
    try:
        stay = np.linalg.solve(-chain, np.ones(size))
    except np.linalg.LinAlgError:
        return np.full((2, levels), np.inf)
    stay = np.where(np.isfinite(stay) & (stay > 0), stay, np.inf)
    return stay.reshape(2, levels)


def group_mean_stay_days(spec: BedSpec, levels: Sequence[int], zones: Sequence[int] | None = None
                         ) -> np.ndarray:
    """Mean stay of the applicants of ``levels`` (and ``zones``) in each year [days].

    Weighted by each year's arrival rate of every level and by its share aged 80+
    (:func:`expected_stay_days`); NaN in a year without such applicants.
    """
    stays = expected_stay_days(spec)
    zone_index = list(range(spec.n_zones)) if zones is None else list(zones)
    level_index = list(levels)
    rate = spec.arrival_rate_per_day[:, zone_index][:, :, level_index]  # (years, z, l)
    old = spec.share_80plus[:, zone_index][:, :, level_index]
    weighted = rate * ((1 - old) * stays[0, level_index] + old * stays[1, level_index])
    total = rate.sum(axis=(1, 2))
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(total > 0, weighted.sum(axis=(1, 2)) / total, np.nan)


def _erlang_check(constraint: ServiceConstraint, threshold_days: float
                  ) -> Callable[[int, float, float, float], bool] | None:
    """A test of one constraint on an M/M/c queue, ``check(c, λ, μ, C) -> bool`` (C = Erlang
    C), or None when the M/M/c model has no figure for it."""
    theta = constraint.threshold
    if constraint.metric in ("share_served_within_threshold",
                             "share_of_admissions_within_threshold"):
        if constraint.comparison != ">=":
            return None
        return lambda c, lam, mu, wait: (
            1.0 - wait * math.exp(-(c * mu - lam) * threshold_days) >= theta)
    if constraint.metric == "p_wait" and constraint.comparison == "<=":
        return lambda c, lam, mu, wait: wait <= theta
    if constraint.metric == "wait_p95_days" and constraint.comparison == "<=":
        return lambda c, lam, mu, wait: 1.0 - wait * math.exp(-(c * mu - lam) * theta) >= 0.95
    if constraint.metric == "wait_mean_days" and constraint.comparison == "<=":
        return lambda c, lam, mu, wait: wait / (c * mu - lam) <= theta
    if constraint.metric == "waiting_list_year_end" and constraint.comparison == "<=":
        return lambda c, lam, mu, wait: lam * wait / (c * mu - lam) <= theta
    return None


def servers_for_constraints(arrival_rate_per_day: float, mean_stay_days: float,
                            constraints: Sequence[ServiceConstraint], threshold_days: float,
                            *, waiting_list_share: float = 1.0) -> float:
    """Smallest ``c`` of a stationary M/M/c queue meeting every constraint it can judge.

    Parameters
    ----------
    arrival_rate_per_day : float
        λ [1/day].
    mean_stay_days : float
        1/μ [day].
    constraints : sequence of ServiceConstraint
    threshold_days : float
        T of the shares served within T [day].
    waiting_list_share : float
        This pool's share of a waiting-list target (its share of the applicants) [fraction].

    Returns
    -------
    float
        Beds [beds]; 0 without arrivals; NaN when no constraint can be judged or the stay is
        not finite.

    Notes
    -----
    Every test here improves with ``c``, so the search steps the Erlang B recursion upward
    from the smallest stable ``c`` (``B(k) = A B(k−1)/(k + A B(k−1))``, ``C = B/(1 − ρ(1 −
    B))``): one pass, no factorials.
    """
    lam = float(arrival_rate_per_day)
    stay = float(mean_stay_days)
    if lam <= 0:
        return 0.0
    if not (math.isfinite(stay) and stay > 0):
        return math.nan
    checks = []
    for constraint in constraints:
        if constraint.metric == "waiting_list_year_end":
            constraint = ServiceConstraint(
                constraint.target, constraint.metric, constraint.comparison,
                constraint.threshold * waiting_list_share, constraint.indifference)
        check = _erlang_check(constraint, threshold_days)
        if check is not None:
            checks.append(check)
    if not checks:
        return math.nan
    mu = 1.0 / stay
    load = lam * stay
    count = math.floor(load) + 1
    blocking = float(erlang_b(count, load))
    while count < _MAX_SERVERS:
        wait = blocking / (1.0 - load / count * (1.0 - blocking))
        if all(check(count, lam, mu, wait) for check in checks):
            return float(count)
        count += 1
        product = load * blocking
        blocking = product / (count + product)
    return math.nan  # pragma: no cover - beyond any plan


def beds_per_indifference_zone(arrival_rate_per_day: float, mean_stay_days: float,
                               threshold_days: float, servers: float, indifference: float,
                               ) -> int:
    """How many beds change the share served within ``T`` by about ``indifference``, by
    Erlang C near ``servers``: ``floor(δ / (S(c + 1) − S(c)))`` with
    ``S(c) = 1 − C(c, λ/μ) e^{−(cμ − λ) T}``, at least 1 and at most 1 % of ``c``.

    The search of the smallest sufficient plan stops bisecting when its bracket is this narrow
    (plans closer than δ in service level are not told apart). 1 when the queue at ``c`` is
    not stable or nothing is known.
    """
    lam, stay = float(arrival_rate_per_day), float(mean_stay_days)
    c = math.ceil(float(servers)) if math.isfinite(float(servers)) else 0
    if not (lam > 0 and math.isfinite(stay) and stay > 0 and c > lam * stay + 1):
        return 1
    mu = 1.0 / stay
    load = lam * stay
    levels = []
    for count in (c, c + 1):
        blocking = float(erlang_b(count, load))
        wait = blocking / (1.0 - load / count * (1.0 - blocking))
        levels.append(1.0 - wait * math.exp(-(count * mu - lam) * threshold_days))
    slope = levels[1] - levels[0]
    if not slope > 0:
        return 1
    return int(max(1, min(math.floor(indifference / slope), math.floor(0.01 * c))))


def pool_beds(years: np.ndarray, arrival_rate_per_day: np.ndarray, mean_stay_days: np.ndarray,
              constraints: Sequence[ServiceConstraint], threshold_days: float, *,
              arrival_trend_per_day_per_day: np.ndarray | float = 0.0,
              initial_census: float = 0.0, warmup_days: float = 0.0,
              waiting_list_share: float = 1.0) -> pd.DataFrame:
    """The AFM, SIPP and lagged-SIPP beds of one pool, by year.

    Parameters
    ----------
    years : numpy.ndarray of int
        Year labels, shape (years,).
    arrival_rate_per_day, mean_stay_days : numpy.ndarray
        The pool's applicants per day [1/day] and their mean stay [day], by year.
    constraints : sequence of ServiceConstraint
        The service levels (SIPP methods); the constraints of a year are those that apply in
        it.
    threshold_days : float
        T of the shares served within T [day].
    arrival_trend_per_day_per_day : numpy.ndarray or float
        Trend of the arrival rate within each year [1/day²].
    initial_census : float
        Residents of the pool at the start [persons].
    warmup_days : float
        The simulation's warm-up [day].
    waiting_list_share : float
        The pool's share of a waiting-list target.

    Returns
    -------
    pandas.DataFrame
        ``year, arrival_rate_per_day, mean_stay_days, offered_load_beds, transient_mean_beds,
        afm, sipp, sipp_lagged`` (the last three in beds, NaN where not defined).
    """
    rate = np.asarray(arrival_rate_per_day, dtype=float)
    stay = np.asarray(mean_stay_days, dtype=float)
    valid = np.isfinite(stay) & (stay > 0)
    fill = float(np.nanmean(stay[valid])) if valid.any() else math.nan
    usable = np.where(valid, stay, fill)
    transient = np.full(rate.size, np.nan)
    if np.isfinite(usable).all() and (usable > 0).all():
        trend = np.broadcast_to(np.asarray(arrival_trend_per_day_per_day, dtype=float),
                                rate.shape)
        transient = mt_infinite_server_year_average(
            rate, usable, arrival_trend_per_day_per_day=trend, initial_census=initial_census,
            warmup_days=warmup_days)
    rows = []
    for index, year in enumerate(np.asarray(years)):
        applying = [c for c in constraints if c.applies(int(year))]
        lam, mean_stay, mean_now = float(rate[index]), float(usable[index]), transient[index]
        sipp = lagged = math.nan
        if applying and math.isfinite(mean_stay):
            sipp = servers_for_constraints(lam, mean_stay, applying, threshold_days,
                                           waiting_list_share=waiting_list_share)
            if math.isfinite(mean_now):
                lagged = servers_for_constraints(mean_now / mean_stay, mean_stay, applying,
                                                 threshold_days,
                                                 waiting_list_share=waiting_list_share)
        rows.append({"year": int(year), "arrival_rate_per_day": lam,
                     "mean_stay_days": float(stay[index]),
                     "offered_load_beds": lam * mean_stay,
                     "transient_mean_beds": float(mean_now),
                     "afm": float(math.ceil(mean_now - 1e-9)) if math.isfinite(mean_now)
                     else math.nan,
                     "sipp": sipp, "sipp_lagged": lagged})
    return pd.DataFrame(rows)
