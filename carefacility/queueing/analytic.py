"""Closed-form queueing and Markov-chain results used to check the simulation against theory.

Every function here is exact (up to floating point) and cheap, so the tests can compare a
simulated bed pool with its theoretical counterpart, and reports can print theory beside
simulation.

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
Erlang-A chain is summed in log space with a running log-sum-exp.

References
----------
.. [1] A. Cobham, "Priority assignment in waiting line problems", Operations Research 2 (1954).
.. [2] O. Kella and U. Yechiali, "Waiting times in the non-preemptive priority M/M/c queue",
   Stochastic Models 1 (1985).
.. [3] O. Garnett, A. Mandelbaum and M. Reiman, "Designing a call center with impatient
   customers", Manufacturing & Service Operations Management 4 (2002).
.. [4] C. Van Loan, "Computing integrals involving the matrix exponential", IEEE Transactions on
   Automatic Control 23 (1978).
"""

from __future__ import annotations

import math
import operator
from collections.abc import Sequence
from dataclasses import dataclass
from typing import overload

import numpy as np
import scipy.linalg
import scipy.stats
from numpy.typing import ArrayLike, NDArray

__all__ = [
    "ErlangAResult",
    "MMcWaitResult",
    "ctmc_expected_sojourn",
    "ctmc_expected_time_to_absorption",
    "ctmc_occupancy",
    "ctmc_transition_probabilities",
    "erlang_a",
    "erlang_b",
    "erlang_c",
    "littles_law_L",
    "mmc_wait",
    "mminf_occupancy_pmf",
    "mminf_occupancy_quantile",
    "priority_mmc_waits",
    "servers_for_blocking",
    "servers_for_wait",
]


# --------------------------------------------------------------------------------------------
# Validation helpers
# --------------------------------------------------------------------------------------------


def _check_servers(servers: int, minimum: int) -> int:
    try:
        count = operator.index(servers)
    except TypeError:
        raise TypeError(
            f"servers must be an integer number of servers (beds) (got {servers!r} of type "
            f"{type(servers).__name__}); round it explicitly before calling"
        ) from None
    if isinstance(servers, bool):
        raise TypeError(f"servers must be an integer, not a bool (got {servers!r})")
    if count < minimum:
        raise ValueError(f"servers must be ≥ {minimum} (got {count})")
    return count


def _check_scalar(value: float, name: str, *, positive: bool = False) -> float:
    number = float(value)
    if not math.isfinite(number):
        raise ValueError(f"{name} must be finite (got {number})")
    if positive and number <= 0.0:
        raise ValueError(f"{name} must be > 0 (got {number})")
    if number < 0.0:
        raise ValueError(f"{name} must be ≥ 0 (got {number})")
    return number


def _check_array_nonnegative(values: NDArray[np.float64], name: str) -> None:
    for rule, bad in (("finite", ~np.isfinite(values)), ("≥ 0", values < 0.0)):
        if np.any(bad):
            if values.ndim == 0:
                raise ValueError(f"{name} must be {rule} (got {float(values)})")
            where = tuple(int(i) for i in np.argwhere(bad)[0])
            index = ", ".join(map(str, where))
            raise ValueError(f"{name} must be {rule} (got {float(values[where])} at [{index}])")


def _check_probability(value: float, name: str, *, allow_one: bool) -> float:
    number = float(value)
    upper_ok = number <= 1.0 if allow_one else number < 1.0
    if not (0.0 <= number and upper_ok):
        interval = "[0, 1]" if allow_one else "[0, 1)"
        raise ValueError(f"{name} must lie in {interval} (got {number})")
    return number


def _as_output(values: NDArray[np.float64], scalar: bool) -> float | NDArray[np.float64]:
    return float(values) if scalar else values


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
# Erlang-A (M/M/c+M)
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ErlangAResult:
    """Steady-state results of the M/M/c+M queue (Erlang-A, exponential patience).

    Times are in the caller's time unit ([day] in the product); rates in its reciprocal.

    Attributes
    ----------
    servers : int
        Number of servers (beds) ``c`` [-].
    arrival_rate : float
        Arrival rate ``λ`` [1/time].
    service_rate : float
        Service rate per server ``μ`` [1/time].
    abandonment_rate : float
        Abandonment rate per waiting customer ``θ`` (1 / mean patience) [1/time].
    prob_wait : float
        Probability that an arrival finds all servers busy, ``P(N ≥ c)`` [-].
    prob_abandon : float
        Probability that an arrival abandons before service, ``θ E[L_q] / λ`` [-].
    mean_wait : float
        Mean time in queue over all arrivals (served, abandoned and not delayed),
        ``E[L_q] / λ`` [time].
    mean_queue_length : float
        Mean number waiting ``E[L_q]`` [-].
    throughput : float
        Rate of admissions to service, ``λ (1 - prob_abandon)`` [1/time].
    utilisation : float
        Mean fraction of servers busy, ``E[min(N, c)] / c`` [-].
    """

    servers: int
    arrival_rate: float
    service_rate: float
    abandonment_rate: float
    prob_wait: float
    prob_abandon: float
    mean_wait: float
    mean_queue_length: float
    throughput: float
    utilisation: float


def erlang_a(
    servers: int,
    arrival_rate: float,
    service_rate: float,
    abandonment_rate: float,
    *,
    relative_tolerance: float = 1e-16,
    max_states: int = 50_000_000,
) -> ErlangAResult:
    """Steady state of the M/M/c+M queue (Erlang-A), summed exactly from its birth–death chain.

    The number in system ``N`` is a birth–death chain on ``0, 1, 2, ...`` with birth rate ``λ``
    and death rate ``min(n, c) μ + max(n - c, 0) θ``. Its stationary weights are accumulated in
    log space with a running log-sum-exp; the infinite tail is cut once a geometric bound on
    everything beyond the current state is below ``relative_tolerance`` times each accumulated
    sum.

    Parameters
    ----------
    servers : int
        Number of servers (beds) ``c`` [-], ``c ≥ 1``.
    arrival_rate : float
        Poisson arrival rate ``λ`` [1/time] ([1/day] in the product).
    service_rate : float
        Exponential service rate per server ``μ`` [1/time].
    abandonment_rate : float
        Exponential abandonment rate per waiting customer ``θ`` [1/time] (1 / mean patience).
        ``θ = 0`` is the M/M/c queue and needs ``λ < cμ``.
    relative_tolerance : float, optional
        Relative size of the neglected tail [-]. Default ``1e-16``.
    max_states : int, optional
        Largest number of chain states summed before giving up [-]. Default ``50_000_000``.

    Returns
    -------
    ErlangAResult
        Probability of waiting and of abandoning [-], mean wait of all arrivals [time], mean
        queue length [-], throughput [1/time] and utilisation [-].

    Raises
    ------
    ValueError
        If ``θ = 0`` and ``λ ≥ cμ``, or if the chain needs more than ``max_states`` states
        (a tiny ``θ`` with a load at or above ``c``).

    Notes
    -----
    The queue is stable for any ``θ > 0``. ``θ = μ`` gives the M/M/∞ queue; ``θ → 0`` gives
    Erlang C when ``λ < cμ``. For ``θ = 0`` the exact M/M/c formulas are used directly.
    """
    count = _check_servers(servers, minimum=1)
    arrival = _check_scalar(arrival_rate, "arrival_rate")
    service = _check_scalar(service_rate, "service_rate", positive=True)
    abandonment = _check_scalar(abandonment_rate, "abandonment_rate")
    if not 0.0 < relative_tolerance < 1.0:
        raise ValueError(f"relative_tolerance must lie in (0, 1) (got {relative_tolerance!r})")

    if arrival == 0.0:
        return ErlangAResult(count, arrival, service, abandonment, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0)
    if abandonment == 0.0:
        if arrival >= count * service:
            raise ValueError(
                f"with abandonment_rate=0 the queue is M/M/c and needs arrival_rate < servers *"
                f" service_rate (got {arrival} ≥ {count} * {service}); give a positive "
                f"abandonment_rate or add servers"
            )
        mmc = mmc_wait(count, arrival, service)
        return ErlangAResult(
            servers=count,
            arrival_rate=arrival,
            service_rate=service,
            abandonment_rate=0.0,
            prob_wait=mmc.prob_wait,
            prob_abandon=0.0,
            mean_wait=mmc.mean_wait,
            mean_queue_length=mmc.mean_queue_length,
            throughput=arrival,
            utilisation=mmc.utilisation,
        )

    def death_rate(states: NDArray[np.int64]) -> NDArray[np.float64]:
        return np.minimum(states, count) * service + np.maximum(states - count, 0) * abandonment

    log_arrival = math.log(arrival)
    # State 0 has unnormalised weight 1 (log weight 0); sums are scaled by exp(-log_scale).
    log_scale = 0.0
    mass = 1.0  # Σ w_n
    busy = 0.0  # Σ min(n, c) w_n
    queue = 0.0  # Σ (n - c)^+ w_n
    delayed = 0.0  # Σ_{n ≥ c} w_n
    last_state = 0
    last_log_weight = 0.0
    chunk = max(1024, 2 * count)
    while True:
        states = np.arange(last_state + 1, last_state + 1 + chunk, dtype=np.int64)
        log_weights = last_log_weight + np.cumsum(log_arrival - np.log(death_rate(states)))
        chunk_max = float(log_weights.max())
        if chunk_max > log_scale:
            rescale = math.exp(log_scale - chunk_max)
            mass, busy, queue, delayed = (s * rescale for s in (mass, busy, queue, delayed))
            log_scale = chunk_max
        weights = np.exp(log_weights - log_scale)
        mass += float(weights.sum())
        busy += float(np.dot(np.minimum(states, count), weights))
        queue += float(np.dot(np.maximum(states - count, 0), weights))
        delayed += float(weights[states >= count].sum())
        last_state = int(states[-1])
        last_log_weight = float(log_weights[-1])

        # Beyond last_state the ratio w_{n+1}/w_n = λ/d_{n+1} never increases, so the tail is
        # bounded by a geometric series with ratio r = λ/d_{last_state + 1}.
        ratio = arrival / float(death_rate(np.array([last_state + 1]))[0])
        if ratio < 1.0:
            last_weight = math.exp(last_log_weight - log_scale)
            geometric = ratio / (1.0 - ratio)
            tail_mass = last_weight * geometric
            tail_queue = last_weight * (
                max(last_state - count, 0) * geometric + ratio / (1.0 - ratio) ** 2
            )
            if (
                tail_mass <= relative_tolerance * min(mass, delayed)
                and count * tail_mass <= relative_tolerance * busy
                and tail_queue <= relative_tolerance * queue
            ):
                break
        if last_state >= max_states:
            raise ValueError(
                f"the Erlang-A chain needs more than max_states={max_states} states for "
                f"servers={count}, arrival_rate={arrival}, service_rate={service}, "
                f"abandonment_rate={abandonment}; the abandonment rate is too small for this "
                f"load — use erlang_c for a stable queue or raise max_states"
            )
        chunk = min(2 * chunk, 1 << 22)

    mean_queue_length = queue / mass
    prob_abandon = abandonment * mean_queue_length / arrival
    return ErlangAResult(
        servers=count,
        arrival_rate=arrival,
        service_rate=service,
        abandonment_rate=abandonment,
        prob_wait=delayed / mass,
        prob_abandon=prob_abandon,
        mean_wait=mean_queue_length / arrival,
        mean_queue_length=mean_queue_length,
        throughput=arrival * (1.0 - prob_abandon),
        utilisation=busy / mass / count,
    )


# --------------------------------------------------------------------------------------------
# M/M/∞ and staffing searches
# --------------------------------------------------------------------------------------------


def mminf_occupancy_pmf(offered_load: float, occupancy: ArrayLike) -> float | NDArray[np.float64]:
    """Probability that ``occupancy`` beds are in use in the M/M/∞ (or M/G/∞) system.

    Parameters
    ----------
    offered_load : float
        Offered load ``A = λ/μ`` [Erlang] (the mean occupancy), ``A ≥ 0``.
    occupancy : int or array_like of int
        Number of occupied beds ``n`` [-].

    Returns
    -------
    float or numpy.ndarray
        Poisson probability ``exp(-A) A^n / n!`` [-], evaluated in log space.
    """
    load = _check_scalar(offered_load, "offered_load")
    states = np.asarray(occupancy)
    probability = np.asarray(scipy.stats.poisson.pmf(states, load), dtype=float)
    return _as_output(probability, states.ndim == 0)


def mminf_occupancy_quantile(offered_load: float, probability: float) -> int:
    """Smallest occupancy ``n`` with ``P(N ≤ n) ≥ probability`` in the M/M/∞ system.

    Parameters
    ----------
    offered_load : float
        Offered load ``A = λ/μ`` [Erlang], ``A ≥ 0``.
    probability : float
        Quantile level ``p`` in ``[0, 1)`` [-].

    Returns
    -------
    int
        The ``p``-quantile of the Poisson(``A``) occupancy [beds].
    """
    load = _check_scalar(offered_load, "offered_load")
    level = _check_probability(probability, "probability", allow_one=False)
    if level == 0.0 or load == 0.0:
        return 0
    return int(scipy.stats.poisson.ppf(level, load))


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


# --------------------------------------------------------------------------------------------
# Non-preemptive priority M/M/c
# --------------------------------------------------------------------------------------------


def priority_mmc_waits(
    servers: int, arrival_rates: Sequence[float] | ArrayLike, service_rate: float
) -> NDArray[np.float64]:
    """Mean wait per class in the non-preemptive priority M/M/c queue.

    All classes share the exponential service rate ``μ``. Class 1 (first entry) has the
    highest priority. The mean wait of class ``k`` is (Cobham 1954; Kella & Yechiali 1985)

    ``W_k = [C(c, A) / (cμ)] / ((1 - σ_{k-1}) (1 - σ_k))``,  ``σ_k = Σ_{i ≤ k} λ_i / (cμ)``,

    with ``C`` the Erlang C probability at the total load ``A = Σ λ_i / μ``.

    Parameters
    ----------
    servers : int
        Number of servers (beds) ``c`` [-], ``c ≥ 1``.
    arrival_rates : sequence of float
        Arrival rate of each class ``λ_k`` [1/time], highest priority first.
    service_rate : float
        Service rate per server ``μ`` [1/time], the same for every class.

    Returns
    -------
    numpy.ndarray
        Mean wait in queue of each class [time], in the order given.

    Raises
    ------
    ValueError
        If the total load is not below ``c``.
    """
    count = _check_servers(servers, minimum=1)
    rates = np.asarray(arrival_rates, dtype=float)
    if rates.ndim != 1 or rates.size == 0:
        raise ValueError(
            f"arrival_rates must be a non-empty 1-D sequence (got shape {rates.shape})"
        )
    _check_array_nonnegative(rates, "arrival_rates")
    service = _check_scalar(service_rate, "service_rate", positive=True)
    capacity = count * service
    total = float(rates.sum())
    if total >= capacity:
        raise ValueError(
            f"total arrival rate must be < servers * service_rate for a stable queue (got "
            f"{total} ≥ {count} * {service} = {capacity})"
        )
    cumulative = np.cumsum(rates) / capacity
    previous = np.concatenate(([0.0], cumulative[:-1]))
    residual = erlang_c(count, total / service) / capacity
    return residual / ((1.0 - previous) * (1.0 - cumulative))


# --------------------------------------------------------------------------------------------
# Continuous-time Markov chains
# --------------------------------------------------------------------------------------------


def _check_generator(generator: ArrayLike) -> NDArray[np.float64]:
    matrix = np.asarray(generator, dtype=float)
    if matrix.ndim != 2 or matrix.shape[0] != matrix.shape[1] or matrix.shape[0] == 0:
        raise ValueError(f"generator must be a non-empty square matrix (got shape {matrix.shape})")
    if not np.all(np.isfinite(matrix)):
        raise ValueError("generator must contain only finite rates")
    off_diagonal = matrix - np.diag(np.diag(matrix))
    negative = np.argwhere(off_diagonal < 0.0)
    if negative.size:
        row, column = (int(i) for i in negative[0])
        raise ValueError(
            f"generator[{row}, {column}] = {float(matrix[row, column])} is negative; off-diagonal "
            f"entries are transition rates and must be ≥ 0"
        )
    row_sums = matrix.sum(axis=1)
    tolerance = 1e-9 * np.maximum(1.0, np.abs(matrix).max(axis=1))
    bad = np.flatnonzero(np.abs(row_sums) > tolerance)
    if bad.size:
        row = int(bad[0])
        raise ValueError(
            f"generator row {row} sums to {float(row_sums[row])} but every row must sum to 0; "
            f"set generator[{row}, {row}] = -(sum of the other rates in row {row}) = "
            f"{-float(off_diagonal[row].sum())}"
        )
    return matrix


def _check_distribution(distribution: ArrayLike, size: int) -> NDArray[np.float64]:
    vector = np.asarray(distribution, dtype=float)
    if vector.shape != (size,):
        raise ValueError(
            f"initial_distribution must have one entry per state, shape ({size},) "
            f"(got shape {vector.shape})"
        )
    _check_array_nonnegative(vector, "initial_distribution")
    if abs(vector.sum() - 1.0) > 1e-9:
        raise ValueError(
            f"initial_distribution must sum to 1 (got {float(vector.sum())}); divide it by its sum"
        )
    return vector


def _check_time(time: float) -> float:
    return _check_scalar(time, "time")


def _transient_indices(
    matrix: NDArray[np.float64], transient_states: Sequence[int] | None
) -> NDArray[np.int64]:
    size = matrix.shape[0]
    if transient_states is None:
        indices = np.flatnonzero(np.diag(matrix) != 0.0)
    else:
        indices = np.asarray(transient_states)
        if indices.ndim != 1 or not np.issubdtype(indices.dtype, np.integer):
            raise ValueError(
                f"transient_states must be a 1-D sequence of state indices (got "
                f"{transient_states!r})"
            )
        if indices.size and (indices.min() < 0 or indices.max() >= size):
            raise ValueError(
                f"transient_states must be indices in [0, {size - 1}] (got {transient_states!r})"
            )
        if np.unique(indices).size != indices.size:
            raise ValueError(f"transient_states must not repeat (got {transient_states!r})")
    if indices.size == 0:
        raise ValueError("there are no transient states: every row of the generator is zero")
    # Absorption is certain only if every transient state can reach a state outside the set.
    inside = np.zeros(size, dtype=bool)
    inside[indices] = True
    rates = matrix > 0.0
    can_leave = ~inside
    while True:
        reaches = inside & ~can_leave & (rates[:, can_leave].any(axis=1))
        if not reaches.any():
            break
        can_leave = can_leave | reaches
    trapped = np.flatnonzero(inside & ~can_leave)
    if trapped.size:
        raise ValueError(
            f"states {trapped.tolist()} are treated as transient but cannot reach an absorbing "
            f"state, so the expected time before absorption is infinite; give them an exit rate "
            f"or list transient_states explicitly"
        )
    return indices.astype(np.int64)


def ctmc_transition_probabilities(generator: ArrayLike, time: float) -> NDArray[np.float64]:
    """Transition probability matrix ``P(t) = expm(Q t)`` of a continuous-time Markov chain.

    Parameters
    ----------
    generator : array_like, shape (n, n)
        Generator ``Q`` [1/time]: off-diagonal rates ≥ 0, rows summing to 0.
    time : float
        Elapsed time ``t`` [time], ``t ≥ 0``.

    Returns
    -------
    numpy.ndarray, shape (n, n)
        ``P[i, j]`` = probability of being in state ``j`` at ``t`` having started in ``i`` [-].
    """
    matrix = _check_generator(generator)
    return scipy.linalg.expm(matrix * _check_time(time))


def ctmc_expected_sojourn(
    generator: ArrayLike,
    initial_distribution: ArrayLike,
    transient_states: Sequence[int] | None = None,
) -> NDArray[np.float64]:
    """Expected total time spent in each transient state before absorption.

    Uses the fundamental matrix ``N = (-Q_TT)^{-1}``: the answer is ``p0_T N``.

    Parameters
    ----------
    generator : array_like, shape (n, n)
        Generator ``Q`` [1/time].
    initial_distribution : array_like, shape (n,)
        Distribution of the starting state ``p0`` [-]; mass on absorbing states contributes 0.
    transient_states : sequence of int, optional
        Indices of the transient states ``T``. Default: every state with a non-zero exit rate.

    Returns
    -------
    numpy.ndarray
        Expected time in each state of ``T``, in the order of ``T`` [time].

    Raises
    ------
    ValueError
        If some state of ``T`` cannot reach a state outside ``T``.
    """
    matrix = _check_generator(generator)
    start = _check_distribution(initial_distribution, matrix.shape[0])
    indices = _transient_indices(matrix, transient_states)
    exit_matrix = -matrix[np.ix_(indices, indices)]
    return np.linalg.solve(exit_matrix.T, start[indices])


def ctmc_expected_time_to_absorption(
    generator: ArrayLike,
    initial_distribution: ArrayLike,
    transient_states: Sequence[int] | None = None,
) -> float:
    """Expected time until the chain leaves the transient states for good.

    Parameters
    ----------
    generator : array_like, shape (n, n)
        Generator ``Q`` [1/time].
    initial_distribution : array_like, shape (n,)
        Distribution of the starting state ``p0`` [-].
    transient_states : sequence of int, optional
        Indices of the transient states. Default: every state with a non-zero exit rate.

    Returns
    -------
    float
        Expected time to absorption [time] (the sum of :func:`ctmc_expected_sojourn`).
    """
    return float(ctmc_expected_sojourn(generator, initial_distribution, transient_states).sum())


def ctmc_occupancy(
    generator: ArrayLike, initial_distribution: ArrayLike, time: float
) -> NDArray[np.float64]:
    """Expected time spent in each state over ``[0, t]``: ``∫_0^t p0 expm(Q s) ds``.

    Computed with one matrix exponential of the augmented matrix ``[[0, p0], [0, Q]]``
    (Van Loan 1978), whose top-right block at time ``t`` is the integral.

    Parameters
    ----------
    generator : array_like, shape (n, n)
        Generator ``Q`` [1/time].
    initial_distribution : array_like, shape (n,)
        Distribution of the starting state ``p0`` [-].
    time : float
        Horizon ``t`` [time], ``t ≥ 0``.

    Returns
    -------
    numpy.ndarray, shape (n,)
        Expected time in each state [time]; the entries sum to ``t``.
    """
    matrix = _check_generator(generator)
    start = _check_distribution(initial_distribution, matrix.shape[0])
    horizon = _check_time(time)
    size = matrix.shape[0]
    augmented = np.zeros((size + 1, size + 1))
    augmented[0, 1:] = start
    augmented[1:, 1:] = matrix
    return scipy.linalg.expm(augmented * horizon)[0, 1:]


# --------------------------------------------------------------------------------------------
# Little's law
# --------------------------------------------------------------------------------------------


def littles_law_L(arrival_rate: ArrayLike, mean_time: ArrayLike) -> float | NDArray[np.float64]:
    """Mean number in a system from Little's law, ``L = λ W``.

    Parameters
    ----------
    arrival_rate : float or array_like
        Long-run arrival rate ``λ`` [1/time].
    mean_time : float or array_like
        Mean time each arrival spends in the system ``W`` [time].

    Returns
    -------
    float or numpy.ndarray
        Mean number in the system ``L`` [-] (e.g. mean occupied beds).
    """
    rate = np.asarray(arrival_rate, dtype=float)
    duration = np.asarray(mean_time, dtype=float)
    number = rate * duration
    return _as_output(number, number.ndim == 0)
