"""Erlang-A: the M/M/c+M queue (exponential patience), exact from its birth–death chain.

Units
-----
Rates and times are in the caller's time unit; the product uses days throughout, so an
``arrival_rate`` is in [1/day], a ``service_rate`` is the reciprocal of the mean length of stay
in [1/day], and waits and times come back in [day]. An ``offered_load`` (arrival rate divided by
service rate) is dimensionless [Erlang], and so are the probabilities.

Numerical notes
---------------
Pools reach 10,000 beds and a heavily loaded chain holds most of its mass thousands of states
above ``c``, so nothing here forms ``c!`` or ``A**c``: the stationary weights of the chain are
summed in log space with a running log-sum-exp.

References
----------
.. [1] O. Garnett, A. Mandelbaum and M. Reiman, "Designing a call center with impatient
   customers", Manufacturing & Service Operations Management 4 (2002).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from carefacility.queueing._checks import _check_scalar, _check_servers
from carefacility.queueing.erlang import mmc_wait

__all__ = ["ErlangAResult", "erlang_a"]


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
