"""The M/M/∞ system: the occupancy of beds when every arrival is admitted at once.

With Poisson arrivals and no limit on servers the number in the system is Poisson with mean
the offered load ``A = λ/μ``, whatever the service-time distribution beyond its mean (M/G/∞), so
its quantiles say how many beds admit everyone at once a given share of the time.

Units
-----
Rates and times are in the caller's time unit; the product uses days throughout, so an
``arrival_rate`` is in [1/day], a ``service_rate`` is the reciprocal of the mean length of stay
in [1/day], and waits and times come back in [day]. An ``offered_load`` (arrival rate divided by
service rate) is dimensionless [Erlang], and so are the probabilities.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

from carefacility.queueing._checks import _as_output, _check_probability, _check_scalar
from carefacility.queueing.distributions import poisson_pmf, poisson_ppf

__all__ = ["mminf_occupancy_pmf", "mminf_occupancy_quantile"]


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
    probability = np.asarray(poisson_pmf(states, load), dtype=float)
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
    return int(poisson_ppf(level, load))
