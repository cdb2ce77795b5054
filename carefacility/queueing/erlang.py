"""Erlang B and C: blocking in the M/M/c/c loss system, waiting in the M/M/c queue, and the
smallest number of servers meeting a blocking or waiting target.

Units
-----
Rates and times are in the caller's time unit; the product uses days throughout, so an
``arrival_rate`` is in [1/day], a ``service_rate`` is the reciprocal of the mean length of stay
in [1/day], and waits and times come back in [day]. An ``offered_load`` (arrival rate divided by
service rate) is dimensionless [Erlang], and so are the probabilities.

Numerical notes
---------------
Pools reach 10,000 beds, so nothing here forms ``c!`` or ``A**c``: Erlang B uses the stable
forward recursion ``B(k) = A B(k-1) / (k + A B(k-1))``, Erlang C is derived from it, and the
sizing searches step the same recursion.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import overload

import numpy as np
from numpy.typing import ArrayLike, NDArray

from carefacility.queueing._checks import (
    _as_output,
    _check_array_nonnegative,
    _check_probability,
    _check_scalar,
    _check_servers,
)

__all__ = [
    "MMcWaitResult",
    "erlang_b",
    "erlang_c",
    "mmc_wait",
    "servers_for_blocking",
    "servers_for_wait",
]


# --------------------------------------------------------------------------------------------
# Erlang B and C
# --------------------------------------------------------------------------------------------


@overload
def erlang_b(servers: int, offered_load: float) -> float: ...
@overload
def erlang_b(servers: int, offered_load: NDArray[np.float64]) -> NDArray[np.float64]: ...


def erlang_b(servers: int, offered_load: ArrayLike) -> float | NDArray[np.float64]:
    """Blocking probability of the M/M/c/c loss system (Erlang B).

    Parameters
    ----------
    servers : int
        Number of servers (beds) ``c`` [-], ``c ≥ 0``.
    offered_load : float or array_like
        Offered load ``A = λ/μ`` [Erlang], ``A ≥ 0``. An array is evaluated element-wise.

    Returns
    -------
    float or numpy.ndarray
        Probability that an arrival finds all ``c`` servers busy and is lost [-]; a float for
        a scalar load, otherwise an array of the load's shape. ``B(0, A) = 1``.

    Notes
    -----
    Uses the forward recursion ``B(0) = 1``, ``B(k) = A B(k-1) / (k + A B(k-1))``, which is
    stable for any ``c`` (no factorials) and costs ``O(c)``. The result is insensitive to the
    service-time distribution beyond its mean.

    Examples
    --------
    >>> round(erlang_b(10, 5.0), 6)
    0.018385
    """
    count = _check_servers(servers, minimum=0)
    load = np.asarray(offered_load, dtype=float)
    _check_array_nonnegative(load, "offered_load")
    if load.ndim == 0:
        a = float(load)
        blocking = 1.0
        for k in range(1, count + 1):
            product = a * blocking
            blocking = product / (k + product)
        return blocking
    blocking_array = np.ones_like(load)
    product_array = np.empty_like(load)
    for k in range(1, count + 1):
        np.multiply(load, blocking_array, out=product_array)
        np.divide(product_array, product_array + k, out=blocking_array)
    return blocking_array


@overload
def erlang_c(servers: int, offered_load: float) -> float: ...
@overload
def erlang_c(servers: int, offered_load: NDArray[np.float64]) -> NDArray[np.float64]: ...


def erlang_c(servers: int, offered_load: ArrayLike) -> float | NDArray[np.float64]:
    """Probability that an arrival must wait in the M/M/c queue (Erlang C).

    Parameters
    ----------
    servers : int
        Number of servers (beds) ``c`` [-], ``c ≥ 1``.
    offered_load : float or array_like
        Offered load ``A = λ/μ`` [Erlang]; must satisfy ``0 ≤ A < c`` (a stable queue).

    Returns
    -------
    float or numpy.ndarray
        Probability of waiting ``C(c, A)`` [-].

    Raises
    ------
    ValueError
        If ``A ≥ c``: the queue is unstable and has no steady state.

    Notes
    -----
    Computed from Erlang B through ``C = B / (1 - ρ (1 - B))`` with ``ρ = A/c``, which inherits
    the stability of the Erlang B recursion.
    """
    count = _check_servers(servers, minimum=1)
    load = np.asarray(offered_load, dtype=float)
    _check_array_nonnegative(load, "offered_load")
    if np.any(load >= count):
        raise ValueError(
            f"offered_load must be < servers for a stable M/M/c queue (got offered_load="
            f"{float(load.max())}, servers={count}); add servers or lower the arrival rate"
        )
    blocking = np.asarray(erlang_b(count, load), dtype=float)
    utilisation = load / count
    waiting = blocking / (1.0 - utilisation * (1.0 - blocking))
    return _as_output(waiting, load.ndim == 0)


# --------------------------------------------------------------------------------------------
# M/M/c waiting time
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class MMcWaitResult:
    """Steady-state waiting-time results of a FIFO M/M/c queue.

    Times are in the caller's time unit ([day] in the product); rates in its reciprocal.

    Attributes
    ----------
    servers : int
        Number of servers (beds) ``c`` [-].
    arrival_rate : float
        Arrival rate ``λ`` [1/time].
    service_rate : float
        Service rate per server ``μ`` [1/time] (1 / mean length of stay).
    prob_wait : float
        Probability that an arrival waits, Erlang C [-].
    mean_wait : float
        Mean wait in queue over all arrivals, ``C / (cμ - λ)`` [time].
    mean_queue_length : float
        Mean number waiting, ``λ · mean_wait`` [-].
    utilisation : float
        Fraction of servers busy, ``λ / (cμ)`` [-].
    """

    servers: int
    arrival_rate: float
    service_rate: float
    prob_wait: float
    mean_wait: float
    mean_queue_length: float
    utilisation: float

    @property
    def _decay_rate(self) -> float:
        return self.servers * self.service_rate - self.arrival_rate

    def wait_tail(self, time: ArrayLike) -> float | NDArray[np.float64]:
        """Probability that the wait exceeds ``time``: ``P(W > t) = C exp(-(cμ - λ) t)``.

        Parameters
        ----------
        time : float or array_like
            Wait threshold ``t`` [time]. For ``t < 0`` the probability is 1.

        Returns
        -------
        float or numpy.ndarray
            ``P(W > t)`` [-].
        """
        threshold = np.asarray(time, dtype=float)
        if np.any(np.isnan(threshold)):
            raise ValueError(f"time must not be NaN (got {time!r})")
        tail = np.where(
            threshold < 0.0,
            1.0,
            self.prob_wait * np.exp(-self._decay_rate * np.maximum(threshold, 0.0)),
        )
        return _as_output(tail, threshold.ndim == 0)

    def wait_quantile(self, probability: ArrayLike) -> float | NDArray[np.float64]:
        """The ``probability``-quantile of the wait, counting the atom at zero.

        Returns ``inf{t ≥ 0 : P(W ≤ t) ≥ p}``: zero when ``p ≤ 1 - C``, otherwise
        ``ln(C / (1 - p)) / (cμ - λ)``, and ``inf`` for ``p = 1`` when ``C > 0``.

        Parameters
        ----------
        probability : float or array_like
            Quantile level ``p`` in ``[0, 1]`` [-].

        Returns
        -------
        float or numpy.ndarray
            Wait quantile [time].
        """
        level = np.asarray(probability, dtype=float)
        if np.any(~((level >= 0.0) & (level <= 1.0))):
            raise ValueError(f"probability must lie in [0, 1] (got {probability!r})")
        exceed = 1.0 - level
        positive = level > 1.0 - self.prob_wait
        with np.errstate(divide="ignore"):
            log_ratio = np.log(self.prob_wait) - np.log(np.where(positive, exceed, 1.0))
        quantile = np.where(positive, log_ratio / self._decay_rate, 0.0)
        return _as_output(quantile, level.ndim == 0)


def mmc_wait(servers: int, arrival_rate: float, service_rate: float) -> MMcWaitResult:
    """Waiting-time results of the FIFO M/M/c queue.

    Parameters
    ----------
    servers : int
        Number of servers (beds) ``c`` [-], ``c ≥ 1``.
    arrival_rate : float
        Poisson arrival rate ``λ`` [1/time] ([1/day] in the product).
    service_rate : float
        Exponential service rate per server ``μ`` [1/time] (1 / mean length of stay).

    Returns
    -------
    MMcWaitResult
        Probability of waiting, mean wait [time], mean queue length [-], utilisation [-], and
        the methods ``wait_tail(t)`` and ``wait_quantile(p)``.

    Raises
    ------
    ValueError
        If ``λ ≥ cμ`` (unstable queue).
    """
    count = _check_servers(servers, minimum=1)
    arrival = _check_scalar(arrival_rate, "arrival_rate")
    service = _check_scalar(service_rate, "service_rate", positive=True)
    capacity = count * service
    if arrival >= capacity:
        raise ValueError(
            f"arrival_rate must be < servers * service_rate for a stable M/M/c queue (got "
            f"{arrival} ≥ {count} * {service} = {capacity}); add servers or shorten stays"
        )
    prob_wait = erlang_c(count, arrival / service)
    mean_wait = prob_wait / (capacity - arrival)
    return MMcWaitResult(
        servers=count,
        arrival_rate=arrival,
        service_rate=service,
        prob_wait=prob_wait,
        mean_wait=mean_wait,
        mean_queue_length=arrival * mean_wait,
        utilisation=arrival / capacity,
    )


# --------------------------------------------------------------------------------------------
# Staffing searches
# --------------------------------------------------------------------------------------------


def servers_for_blocking(offered_load: float, target: float) -> int:
    """Smallest number of servers whose Erlang B blocking is at most ``target``.

    Parameters
    ----------
    offered_load : float
        Offered load ``A = λ/μ`` [Erlang], ``A ≥ 0``.
    target : float
        Largest acceptable blocking probability [-], in ``(0, 1]``.

    Returns
    -------
    int
        ``min{c ≥ 0 : B(c, A) ≤ target}`` [servers].

    Notes
    -----
    ``B(c, A)`` decreases in ``c``, and the Erlang B recursion yields ``B(1), B(2), ...`` in
    turn, so a single ``O(c)`` pass finds the answer exactly (cheaper than a bisection, which
    would rerun the recursion at every probe).
    """
    load = _check_scalar(offered_load, "offered_load")
    level = float(target)
    if not 0.0 < level <= 1.0:
        raise ValueError(f"target must lie in (0, 1] (got {level})")
    count = 0
    blocking = 1.0
    while blocking > level:
        count += 1
        product = load * blocking
        blocking = product / (count + product)
    return count


def servers_for_wait(
    arrival_rate: float, service_rate: float, max_wait: float, target_prob: float
) -> int:
    """Smallest number of servers such that ``P(W ≤ max_wait) ≥ target_prob`` in M/M/c.

    Parameters
    ----------
    arrival_rate : float
        Poisson arrival rate ``λ`` [1/time] ([1/day] in the product).
    service_rate : float
        Service rate per server ``μ`` [1/time].
    max_wait : float
        Wait threshold ``t`` [time], ``t ≥ 0``.
    target_prob : float
        Required probability of waiting at most ``t`` [-], in ``[0, 1)``.

    Returns
    -------
    int
        ``min{c ≥ 1 : λ < cμ and 1 - C(c, A) exp(-(cμ - λ) t) ≥ target_prob}`` [servers].

    Notes
    -----
    ``P(W ≤ t)`` increases in ``c``; the search starts at the smallest stable ``c`` and steps
    the Erlang B recursion, so it is a single ``O(c)`` pass.
    """
    arrival = _check_scalar(arrival_rate, "arrival_rate")
    service = _check_scalar(service_rate, "service_rate", positive=True)
    threshold = _check_scalar(max_wait, "max_wait")
    level = _check_probability(target_prob, "target_prob", allow_one=False)
    load = arrival / service
    count = math.floor(load) + 1
    while count * service <= arrival:
        count += 1
    blocking = erlang_b(count, load)
    while True:
        waiting = blocking / (1.0 - load / count * (1.0 - blocking))
        if 1.0 - waiting * math.exp(-(count * service - arrival) * threshold) >= level:
            return count
        count += 1
        product = load * blocking
        blocking = product / (count + product)
