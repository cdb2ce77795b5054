"""The Poisson law and Student's t quantile from :mod:`scipy.special`, without
:mod:`scipy.stats`.

Importing ``scipy.stats`` costs about half a second, which every preparation of a run paid for
an M/M/∞ quantile, the services' Poisson loss and the t quantile of the summary. These functions
call the same special functions as ``scipy.stats.poisson`` and ``scipy.stats.t`` do (Cephes'
incomplete gamma ``pdtr``/``pdtrc``/``pdtrik``, ``gammaln``, ``xlogy``, ``stdtrit``) and treat
the edge cases as they do, so they give the same numbers, bit for bit
(``tests/queueing/test_distributions.py`` compares them on many values):

- the probability functions are defined for means ``mu ≥ 0``; a negative or NaN mean, or a NaN
  argument, gives NaN;
- ``pmf`` is 0 away from the non-negative integers; ``logpmf`` is −∞ there;
- ``sf(k)`` is 1 below 0 and 0 at +∞;
- ``ppf(0)`` is −1 and ``ppf(1)`` is +∞ (as for ``scipy.stats.poisson``);
- the values are evaluated on the valid elements only, gathered into one contiguous array in
  order (as ``scipy.stats`` evaluates them), so that no vectorised loop can round otherwise.

Importing this module imports nothing of scipy; the first call imports ``scipy.special``
(about 0.1 s).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

__all__ = ["poisson_logpmf", "poisson_pmf", "poisson_ppf", "poisson_sf", "student_t_ppf"]

FloatArray = NDArray[np.float64]


def _valid_elements(valid: NDArray[np.bool_], *arrays: NDArray) -> list[NDArray]:
    """The elements of each array where ``valid`` holds, in order, as 1-D arrays.

    Arrays of one element are passed on as they are (they broadcast); when every element is
    valid, the arrays are broadcast to a common shape and flattened.
    """
    arrays = tuple(np.atleast_1d(array) for array in arrays)
    if np.all(valid):
        *broadcast, _ = np.broadcast_arrays(*arrays, valid)
        return [array.ravel() for array in broadcast]
    shape = valid.shape
    return [array if np.size(array) == 1 else np.extract(valid, np.broadcast_to(array, shape))
            for array in arrays]


def _finish(output: FloatArray) -> FloatArray | np.float64:
    return output[()] if output.ndim == 0 else output


def _poisson_log_terms(k: NDArray, mu: NDArray) -> FloatArray:
    """``k log(mu) − log(k!) − mu`` (``0 log 0`` = 0)."""
    from scipy import special

    return special.xlogy(k, mu) - special.gammaln(k + 1) - mu


def poisson_pmf(k: ArrayLike, mu: ArrayLike) -> FloatArray | np.float64:
    """``P(N = k)`` for ``N ~ Poisson(mu)``: ``exp(−mu) mu^k / k!`` [-].

    Parameters
    ----------
    k : array_like
        Counts (0 where not a non-negative integer).
    mu : array_like
        Means (≥ 0; NaN where negative). Broadcast with ``k``.

    Returns
    -------
    numpy.float64 or numpy.ndarray
        As ``scipy.stats.poisson.pmf(k, mu)``.
    """
    k, mu = np.asarray(k), np.asarray(mu)
    k = np.asarray(k - 0)  # as scipy.stats subtracts its location (0)
    mean_ok = mu >= 0
    counts = (k >= 0) & (k <= np.inf) & (np.floor(k) == k)
    valid = mean_ok & counts
    output = np.zeros(np.shape(valid), "d")
    np.place(output, (1 - mean_ok) + np.isnan(k), np.nan)
    if np.any(valid):
        good_k, good_mu = _valid_elements(valid, k, mu)
        np.place(output, valid, np.clip(np.exp(_poisson_log_terms(good_k, good_mu)), 0, 1))
    return _finish(output)


def poisson_logpmf(k: ArrayLike, mu: ArrayLike) -> FloatArray | np.float64:
    """``log P(N = k)`` for ``N ~ Poisson(mu)`` [-] (−∞ where ``k`` is not a count).

    As ``scipy.stats.poisson.logpmf(k, mu)``; arguments as for :func:`poisson_pmf`.
    """
    k, mu = np.asarray(k), np.asarray(mu)
    k = np.asarray(k - 0)
    mean_ok = mu >= 0
    counts = (k >= 0) & (k <= np.inf) & (np.floor(k) == k)
    valid = mean_ok & counts
    output = np.empty(np.shape(valid), "d")
    output.fill(-np.inf)
    np.place(output, (1 - mean_ok) + np.isnan(k), np.nan)
    if np.any(valid):
        good_k, good_mu = _valid_elements(valid, k, mu)
        np.place(output, valid, _poisson_log_terms(good_k, good_mu))
    return _finish(output)


def poisson_sf(k: ArrayLike, mu: ArrayLike) -> FloatArray | np.float64:
    """``P(N > k)`` for ``N ~ Poisson(mu)`` [-] (1 below 0).

    As ``scipy.stats.poisson.sf(k, mu)``; arguments as for :func:`poisson_pmf` (``k`` is
    rounded down).
    """
    from scipy import special

    k, mu = np.asarray(k), np.asarray(mu)
    k = np.asarray(k - 0)
    mean_ok = mu >= 0
    inside = (k >= 0) & (k < np.inf)
    below = ((k < 0) | np.isneginf(k)) & mean_ok
    valid = mean_ok & inside & np.isfinite(k)
    output = np.zeros(np.shape(valid), "d")
    np.place(output, (1 - mean_ok) + np.isnan(k), np.nan)
    np.place(output, below, 1.0)
    if np.any(valid):
        good_k, good_mu = _valid_elements(valid, k, mu)
        np.place(output, valid, np.clip(special.pdtrc(np.floor(good_k), good_mu), 0, 1))
    return _finish(output)


def poisson_ppf(q: ArrayLike, mu: ArrayLike) -> FloatArray | np.float64:
    """Smallest count ``n`` with ``P(N ≤ n) ≥ q`` for ``N ~ Poisson(mu)``.

    As ``scipy.stats.poisson.ppf(q, mu)``: −1 at ``q = 0``, +∞ at ``q = 1``, NaN outside
    ``[0, 1]`` or for a negative mean.

    Parameters
    ----------
    q : array_like
        Probabilities [-].
    mu : array_like
        Means (≥ 0).

    Returns
    -------
    numpy.float64 or numpy.ndarray
        The quantiles, as floats.
    """
    from scipy import special

    q, mu = np.asarray(q), np.asarray(mu)
    mean_ok = mu >= 0
    inside = (q > 0) & (q < 1)
    at_zero = (q == 0) & mean_ok
    at_one = (q == 1) & mean_ok
    valid = mean_ok & inside
    output = np.full(np.shape(valid), fill_value=np.nan, dtype="d")
    np.place(output, at_zero, -1.0)
    np.place(output, at_one, np.inf)
    if np.any(valid):
        good_q, good_mu = _valid_elements(valid, q, mu)
        # the count just above the inverse of the continuous cdf, or the one below if it
        # reaches q already
        above = np.ceil(special.pdtrik(good_q, good_mu))
        below = np.maximum(above - 1, 0)
        quantile = np.where(special.pdtr(below, good_mu) >= good_q, below, above)
        np.place(output, valid, quantile)
    return _finish(output)


def student_t_ppf(q: ArrayLike, df: ArrayLike) -> FloatArray | np.float64:
    """Quantile ``q`` of Student's t distribution with ``df`` degrees of freedom.

    As ``scipy.stats.t.ppf(q, df)``: −∞ at ``q = 0``, +∞ at ``q = 1``, NaN outside ``[0, 1]``
    or for ``df ≤ 0``.

    Parameters
    ----------
    q : array_like
        Probabilities [-].
    df : array_like
        Degrees of freedom (> 0).

    Returns
    -------
    numpy.float64 or numpy.ndarray
    """
    from scipy import special

    q, df = np.asarray(q), np.asarray(df)
    df_ok = df > 0
    inside = (0 < q) & (q < 1)
    at_zero = df_ok & (q == 0)
    at_one = df_ok & (q == 1)
    valid = df_ok & inside
    output = np.full(np.shape(valid), fill_value=np.nan)
    np.place(output, at_zero, -np.inf)
    np.place(output, at_one, np.inf)
    if np.any(valid):
        good_q, good_df = _valid_elements(valid, q, df)
        # scipy.stats scales by 1 and shifts by 0 (exact: at most -0.0 becomes 0.0)
        np.place(output, valid, special.stdtrit(good_df, good_q) * 1.0 + 0)
    return _finish(output)
