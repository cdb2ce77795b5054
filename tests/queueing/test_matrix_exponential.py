"""The batched matrix exponential against scipy.linalg.expm, a 40-digit reference (mpmath) and
the properties of a transition matrix; its small-system solver against numpy.linalg.solve."""

from __future__ import annotations

import mpmath
import numpy as np
import pytest
import scipy.linalg
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from queueing_helpers import FAST, strict_numerics

from carefacility.queueing.matrix_exponential import _solve_small, matrix_exponential


def _reference(matrix: np.ndarray) -> np.ndarray:
    """``expm`` with 40 significant digits, rounded to double."""
    with mpmath.workdps(40):
        return np.array(mpmath.expm(mpmath.matrix(matrix.tolist())).tolist(), dtype=float)


def _normwise(result: np.ndarray, expected: np.ndarray) -> float:
    """Largest difference relative to the largest entry of each matrix."""
    scale = np.abs(expected).max(axis=(-2, -1), keepdims=True)
    return float((np.abs(result - expected) / scale).max())


def _generator(log10_rates: np.ndarray, present: np.ndarray, triangle: int = 0) -> np.ndarray:
    """A generator with rates ``10**log10_rates`` where ``present``; optionally triangular."""
    rates = np.where(present, 10.0 ** log10_rates, 0.0)
    if triangle:
        rates = np.triu(rates, 1) if triangle == 1 else np.tril(rates, -1)
    np.fill_diagonal(rates, 0.0)
    np.fill_diagonal(rates, -rates.sum(axis=1))
    return rates


@st.composite
def generators(draw: st.DrawFn, max_size: int = 7, min_log10: float = -6.0,
               max_log10: float = 3.0, triangle: int = 0) -> np.ndarray:
    size = draw(st.integers(2, max_size))
    rates = draw(hnp.arrays(float, (size, size), elements=st.floats(min_log10, max_log10)))
    present = draw(hnp.arrays(bool, (size, size)))
    return _generator(rates, present, triangle)


# --------------------------------------------------------------------------------------------
# Against scipy and a 40-digit reference


@FAST
@given(generators(max_log10=2.0), st.floats(1e-3, 10.0))
def test_random_stiff_generators_equal_scipy(generator: np.ndarray, time: float) -> None:
    # rates from 1e-6 to 100 per unit time over up to 10 units: up to 13 squarings
    assert _normwise(matrix_exponential(generator * time), scipy.linalg.expm(generator * time)
                     ) <= 1e-12


@FAST
@given(generators(max_log10=3.0), st.floats(1e-3, 30.0))
def test_very_stiff_generators_match_a_40_digit_reference(generator: np.ndarray, time: float
                                                          ) -> None:
    # norms up to 2e5 and 17 squarings: both this and scipy are 1e-12-ish from the truth
    matrix = generator * time
    assert _normwise(matrix_exponential(matrix), _reference(matrix)) <= 5e-11


@FAST
@given(st.integers(2, 7), st.floats(-3.0, 0.5), st.integers(0, 2**32 - 1))
def test_random_matrices_match_a_40_digit_reference(size: int, log10_scale: float, seed: int
                                                    ) -> None:
    # not generators: signs mixed, non-normal (scipy itself is up to 3e-13 off here)
    matrix = np.random.default_rng(seed).standard_normal((size, size)) * 10.0 ** log10_scale
    assert _normwise(matrix_exponential(matrix), _reference(matrix)) <= 1e-13


@pytest.mark.parametrize("triangle", [0, 1, -1])
def test_stiff_generators_match_a_40_digit_reference(triangle: int) -> None:
    rng = np.random.default_rng(20240601 + triangle)
    for _ in range(25):
        size = int(rng.integers(2, 7))
        generator = _generator(rng.uniform(-4.0, 3.0, (size, size)),
                               rng.random((size, size)) < 0.7, triangle)
        time = 10.0 ** rng.uniform(-2.0, 1.0)
        assert _normwise(matrix_exponential(generator * time), _reference(generator * time)
                         ) <= 1e-12


def test_triangular_matrix_keeps_its_zeros_and_exact_diagonal() -> None:
    # a death chain 0 → 1 → 2 with rates 1000 and 0.001: scaling and squaring with exact
    # diagonal and first off-diagonal (Al-Mohy and Higham 2009, Code Fragment 2.1)
    generator = np.array([[-1000.0, 1000.0, 0.0], [0.0, -1e-3, 1e-3], [0.0, 0.0, 0.0]])
    result = matrix_exponential(generator * 2.0)
    expected = _reference(generator * 2.0)
    np.testing.assert_allclose(result, expected, rtol=1e-13, atol=0)
    assert np.all(np.tril(result, -1) == 0.0)
    np.testing.assert_array_equal(np.diagonal(result), np.exp(np.diagonal(generator) * 2.0))
    np.testing.assert_allclose(matrix_exponential(generator.T * 2.0), expected.T, rtol=1e-13,
                               atol=0)


# --------------------------------------------------------------------------------------------
# Properties


@FAST
@given(generators(max_log10=2.0), st.floats(1e-3, 10.0), st.floats(1e-3, 10.0))
def test_transition_matrix_properties(generator: np.ndarray, first: float, second: float
                                      ) -> None:
    # rows sum to 1 up to the rounding of up to 13 squarings (scipy's is as far off)
    step = matrix_exponential(generator * first)
    assert np.all(step >= -1e-15)
    np.testing.assert_allclose(step.sum(axis=1), 1.0, rtol=0, atol=1e-12)
    # Chapman-Kolmogorov: P(s + t) = P(s) P(t)
    np.testing.assert_allclose(matrix_exponential(generator * (first + second)),
                               step @ matrix_exponential(generator * second), rtol=0,
                               atol=1e-12)


@FAST
@given(generators(max_log10=3.0), st.floats(1e-3, 30.0), st.data())
def test_absorbing_states_stay_exactly_absorbing(generator: np.ndarray, time: float,
                                                 data: st.DataObject) -> None:
    absorbing = data.draw(hnp.arrays(bool, generator.shape[:1]))
    generator = generator.copy()
    generator[absorbing] = 0.0  # still a generator: the other rows are untouched
    step = matrix_exponential(generator * time)
    np.testing.assert_array_equal(step[absorbing], np.eye(generator.shape[0])[absorbing])


def test_a_stack_equals_its_matrices_one_by_one() -> None:
    rng = np.random.default_rng(7)
    stack = rng.standard_normal((3, 4, 5, 5)) * 10.0 ** rng.uniform(-3, 1, (3, 4, 1, 1))
    stack[0, 0] = np.diag([1.0, -2.0, 0.0, 3.0, 0.5])  # diagonal
    stack[0, 1] = np.triu(stack[0, 1]) * 40.0  # triangular with squarings
    result = matrix_exponential(stack)
    assert result.shape == stack.shape
    for index in np.ndindex(3, 4):
        np.testing.assert_array_equal(result[index], matrix_exponential(stack[index]))
    np.testing.assert_array_equal(result[0, 0], np.diag(np.exp(np.diag(stack[0, 0]))))


def test_small_and_empty_shapes() -> None:
    np.testing.assert_array_equal(matrix_exponential([[0.5]]), [[np.exp(0.5)]])
    np.testing.assert_array_equal(matrix_exponential(np.zeros((3, 2, 2))), np.tile(np.eye(2),
                                                                                 (3, 1, 1)))
    assert matrix_exponential(np.zeros((0, 4, 4))).shape == (0, 4, 4)


def test_huge_generator_does_not_overflow() -> None:
    # powers of Q·t overflow (scipy returns NaN); the chain has long been absorbed
    generator = np.array([[-1.0, 1.0, 0.0], [0.5, -1.5, 1.0], [0.0, 0.0, 0.0]])
    with strict_numerics():
        result = matrix_exponential(generator * 1e40)
    np.testing.assert_allclose(result, np.tile([0.0, 0.0, 1.0], (3, 1)), atol=1e-300)


@pytest.mark.parametrize(("matrices", "message"), [
    (np.zeros((2, 3)), "square"),
    (np.zeros(3), "square"),
    (np.array([[0.0, np.nan], [0.0, 0.0]]), "finite"),
])
def test_rejects_non_square_and_non_finite(matrices: np.ndarray, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        matrix_exponential(matrices)


# --------------------------------------------------------------------------------------------
# The small-system solver


def test_solver_pivots() -> None:
    matrix = np.array([[0.0, 1.0, 2.0], [1.0, 1.0, 0.0], [3.0, 0.0, 1.0]])  # zero first pivot
    np.testing.assert_allclose(_solve_small(matrix[None], np.eye(3)[None])[0],
                               np.linalg.inv(matrix), rtol=1e-14, atol=1e-15)


@pytest.mark.parametrize("size", [1, 5, 9, 40])
def test_solver_equals_numpy(size: int) -> None:
    rng = np.random.default_rng(size)
    matrices = rng.standard_normal((6, size, size))
    right = rng.standard_normal((6, size, 3))
    expected = np.linalg.solve(matrices, right)
    np.testing.assert_allclose(_solve_small(matrices, right), expected, rtol=1e-10, atol=1e-12)
