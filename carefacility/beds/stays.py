"""Length-of-stay draws for :class:`~carefacility.beds.engine_spec.StayDistribution`
(vectorised)."""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from carefacility.beds.engine_spec import StayDistribution

__all__ = ["sample_residual_stays", "sample_stays"]


def _unit_mean(
    distribution: StayDistribution, rng: np.random.Generator, size: int
) -> NDArray[np.float64]:
    """Stays with mean 1 [-] (scaled by the per-level mean afterwards)."""
    kind = distribution.kind
    if kind == "exponential":
        return rng.standard_exponential(size)
    if kind == "gamma":
        shape = distribution.gamma_shape
        return rng.standard_gamma(shape, size) / shape
    if kind == "deterministic":
        return np.ones(size)
    sigma = distribution.lognormal_sigma
    return rng.lognormal(-0.5 * sigma * sigma, sigma, size)


def sample_stays(
    distribution: StayDistribution, levels: NDArray[np.int64], rng: np.random.Generator
) -> NDArray[np.float64]:
    """Draw full lengths of stay [day] for applicants of the given care levels.

    Parameters
    ----------
    distribution : StayDistribution
        Family and per-level mean [day].
    levels : numpy.ndarray of int
        Care level of each applicant.
    rng : numpy.random.Generator
        The stream of stays.
    """
    if distribution.kind == "empirical":
        return _empirical(distribution, levels, rng.uniform(size=levels.size))
    return _unit_mean(distribution, rng, levels.size) * distribution.mean_days[levels]


def _empirical(
    distribution: StayDistribution,
    levels: NDArray[np.int64],
    u: NDArray[np.float64],
    length_biased: bool = False,
) -> NDArray[np.float64]:
    """Observed stays [day] chosen by the uniforms ``u``: uniformly among each level's sample,
    or with probability proportional to the value when ``length_biased``."""
    out = np.empty(levels.size)
    for level, values in enumerate(distribution.values_days):
        mask = levels == level
        if not mask.any():
            continue
        if length_biased:
            cumulative = np.cumsum(values)
            index = np.searchsorted(cumulative, u[mask] * cumulative[-1], side="right")
        else:
            index = (u[mask] * values.size).astype(np.int64)
        out[mask] = values[np.minimum(index, values.size - 1)]
    return out


def sample_residual_stays(
    distribution: StayDistribution, levels: NDArray[np.int64], rng: np.random.Generator
) -> NDArray[np.float64]:
    """Draw equilibrium residual stays [day] for residents present at the start.

    The equilibrium residual ``R`` of a stay ``S`` with mean ``m`` has density
    ``P(S > x) / m``; it equals ``U · S*`` with ``S*`` the length-biased stay (density
    ``x f(x) / m``) and ``U`` uniform on (0, 1). Exponential stays are memoryless, so ``R = S``.
    An empirical ``S*`` is an observed value chosen with probability proportional to it.
    """
    size = levels.size
    kind = distribution.kind
    if kind == "empirical":
        chosen = _empirical(distribution, levels, rng.uniform(size=size), length_biased=True)
        return rng.uniform(size=size) * chosen
    if kind == "exponential":
        unit = rng.standard_exponential(size)
    elif kind == "gamma":
        shape = distribution.gamma_shape
        unit = rng.uniform(size=size) * rng.standard_gamma(shape + 1.0, size) / shape
    elif kind == "deterministic":
        unit = rng.uniform(size=size)
    else:
        sigma = distribution.lognormal_sigma
        unit = rng.uniform(size=size) * rng.lognormal(0.5 * sigma * sigma, sigma, size)
    return unit * distribution.mean_days[levels]
