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
    return _unit_mean(distribution, rng, levels.size) * distribution.mean_days[levels]


def sample_residual_stays(
    distribution: StayDistribution, levels: NDArray[np.int64], rng: np.random.Generator
) -> NDArray[np.float64]:
    """Draw equilibrium residual stays [day] for residents present at the start.

    The equilibrium residual ``R`` of a stay ``S`` with mean ``m`` has density
    ``P(S > x) / m``; it equals ``U · S*`` with ``S*`` the length-biased stay (density
    ``x f(x) / m``) and ``U`` uniform on (0, 1). Exponential stays are memoryless, so ``R = S``.
    """
    size = levels.size
    kind = distribution.kind
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
