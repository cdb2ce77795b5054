"""The non-preemptive priority M/M/c queue: the mean wait of each priority class.

Units
-----
Rates and times are in the caller's time unit; the product uses days throughout, so an
``arrival_rate`` is in [1/day], a ``service_rate`` is the reciprocal of the mean length of stay
in [1/day], and waits and times come back in [day]. An ``offered_load`` (arrival rate divided by
service rate) is dimensionless [Erlang], and so are the probabilities.

References
----------
.. [1] A. Cobham, "Priority assignment in waiting line problems", Operations Research 2 (1954).
.. [2] O. Kella and U. Yechiali, "Waiting times in the non-preemptive priority M/M/c queue",
   Stochastic Models 1 (1985).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from numpy.typing import ArrayLike, NDArray

from carefacility.queueing._checks import _check_array_nonnegative, _check_scalar, _check_servers
from carefacility.queueing.erlang import erlang_c

__all__ = ["priority_mmc_waits"]


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
