"""Continuous-time Markov chains: transition probabilities, expected time in each state
before absorption, and expected time in each state over a horizon.

A generator ``Q`` holds transition rates [1/time] off its diagonal (all ≥ 0) and rows summing to
0; a state whose row is all zero is absorbing. Times are in the caller's time unit ([day] or
[year]), rates in its reciprocal, probabilities and distributions [-].

References
----------
.. [1] C. Van Loan, "Computing integrals involving the matrix exponential", IEEE Transactions on
   Automatic Control 23 (1978).

Matrix exponentials are those of :mod:`carefacility.queueing.matrix_exponential`.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from numpy.typing import ArrayLike, NDArray

from carefacility.queueing._checks import _check_array_nonnegative, _check_scalar
from carefacility.queueing.matrix_exponential import matrix_exponential

__all__ = [
    "ctmc_expected_sojourn",
    "ctmc_expected_time_to_absorption",
    "ctmc_occupancy",
    "ctmc_transition_probabilities",
]


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

    Notes
    -----
    :func:`~carefacility.queueing.matrix_exponential.matrix_exponential`: scipy's scaling and
    squaring algorithm (Al-Mohy and Higham 2009) in numpy, equal to ``scipy.linalg.expm`` to
    rounding, with no multithreaded LAPACK call.
    """
    matrix = _check_generator(generator)
    return matrix_exponential(matrix * _check_time(time))


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
    return matrix_exponential(augmented * horizon)[0, 1:]
