"""Matrix exponential of a whole stack of small matrices at once, without multithreaded LAPACK.

:func:`matrix_exponential` computes ``expm(A)`` for every matrix of an array of shape
``(..., n, n)``: the care-level chain's 82 generators of a year, a resident chain's generator
over a year, a queue's generator over a horizon. It follows the algorithm of
``scipy.linalg.expm`` step for step — the scaling and squaring method with a Padé approximant of
degree 3, 5, 7, 9 or 13 chosen per matrix (Al-Mohy and Higham 2009, [1]_; the method of Higham
2005, [2]_) — but evaluates it with numpy on the stacked arrays: every product is one batched
``@`` over the matrices of the same degree, the Padé denominators of the whole stack are solved
together by Gaussian elimination with partial pivoting written in numpy, and the squarings are
batched over the matrices with the same number of them. Nothing calls LAPACK: scipy's ``getrs``
runs multithreaded even for 5 × 5 systems, and its threads spin-wait for a core on a busy machine
(``prepare_run`` took 10.5 s there instead of 0.5 s).

Results equal scipy's to rounding: the same degree and number of squarings, the same
polynomial evaluation, only the order of the floating-point operations inside the products and
the solve differs (1e-16 to 1e-15 relative to the largest entry on the care-level generators,
about 1e-13 on stiff generators with ten squarings, where the two are equally far from a
40-digit reference; ``tests/queueing/test_matrix_exponential.py``). Like scipy, diagonal
matrices get ``exp`` of their diagonal, and triangular ones with squarings have their diagonal
and first off-diagonal recomputed at each squaring ([1]_, Code Fragment 2.1, with scipy's
difference quotient for the off-diagonal). Unlike scipy, a matrix whose powers overflow still
gets its exponential (the degree and squarings then come from ``‖A‖₁``).

References
----------
.. [1] A. H. Al-Mohy and N. J. Higham, "A new scaling and squaring algorithm for the matrix
   exponential", SIAM J. Matrix Anal. Appl. 31(3) (2009) 970-989, doi:10.1137/09074721X.
.. [2] N. J. Higham, "The scaling and squaring method for the matrix exponential revisited",
   SIAM J. Matrix Anal. Appl. 26(4) (2005) 1179-1193, doi:10.1137/04061101X.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

__all__ = ["matrix_exponential"]

_DEGREES = (3, 5, 7, 9, 13)
# θ_m: largest ‖A‖ for which the [m/m] Padé approximant is accurate to unit roundoff
# ([1], Table 3.1)
_THETA = np.array([1.495585217958292e-002, 2.539398330063230e-001, 9.504178996162932e-001,
                   2.097847961257068e+000, 4.250000000000000e+000])
_UNIT_ROUNDOFF = 2.0 ** -53
# u × |c_{2m+1}|^{-1}, the truncation-error constants of the [m/m] approximants ([1], eq. 5.1)
_ERROR_CONSTANT = _UNIT_ROUNDOFF * np.array([
    100800., 10059033600., 4487938430976000., 5914384781877411840000.,
    113250775606021113483283660800000000.])
# Padé coefficients b_0 .. b_m of degree m ([2], eq. 2.3, scaled to whole numbers)
_PADE = {
    3: (120., 60., 12., 1.),
    5: (30240., 15120., 3360., 420., 30., 1.),
    7: (17297280., 8648640., 1995840., 277200., 25200., 1512., 56., 1.),
    9: (17643225600., 8821612800., 2075673600., 302702400., 30270240., 2162160., 110880.,
        3960., 90., 1.),
    13: (64764752532480000., 32382376266240000., 7771770303897600., 1187353796428800.,
         129060195264000., 10559470521600., 670442572800., 33522128640., 1323241920.,
         40840800., 960960., 16380., 182., 1.),
}
_ELIMINATION_MAX_SIZE = 32
"""Largest ``n`` solved by the numpy elimination; larger systems go to ``numpy.linalg.solve``,
where multithreading pays."""


def matrix_exponential(matrices: ArrayLike) -> NDArray[np.float64]:
    """Matrix exponential ``expm(A)`` of every matrix of a stack [-].

    Parameters
    ----------
    matrices : array_like, shape (..., n, n)
        Real, finite square matrices (e.g. a generator times a time [-]); leading axes are a
        stack.

    Returns
    -------
    numpy.ndarray, shape (..., n, n)
        ``expm`` of each matrix [-].

    Raises
    ------
    ValueError
        If the last two axes are not square or an entry is not finite.

    Notes
    -----
    Scaling and squaring with a Padé approximant ([1]_, Algorithm 5.1, as in
    ``scipy.linalg.expm``): per matrix, the degree ``m`` ∈ {3, 5, 7, 9, 13} and the number of
    squarings ``s`` are chosen from ``‖A^k‖₁^{1/k}`` and a bound on the truncation error
    (estimated, as scipy does, from ``|A|^{2m+1}`` applied to a vector of ones); then
    ``r_m(A / 2^s)^{2^s}`` is evaluated with ``r_m = (V - U)^{-1} (V + U) = I + 2 (V - U)^{-1} U``
    from the even (``V``) and odd (``U``) parts of the Padé numerator. The backward error is at
    most the unit roundoff 2^-53 in exact arithmetic ([2]_); results agree with
    ``scipy.linalg.expm`` to rounding (about 1e-15 relative on the care-level generators).
    Everything runs as batched numpy operations over the stack, the Padé denominators solved by
    Gaussian elimination in numpy for ``n ≤ 32``: no LAPACK call, so no thread waits for a busy
    core. A whole year of the care-level chain (82 generators of 5 × 5) takes under 1 ms.

    References
    ----------
    .. [1] A. H. Al-Mohy and N. J. Higham, "A new scaling and squaring algorithm for the matrix
       exponential", SIAM J. Matrix Anal. Appl. 31(3) (2009) 970-989.
    .. [2] N. J. Higham, "The scaling and squaring method for the matrix exponential revisited",
       SIAM J. Matrix Anal. Appl. 26(4) (2005) 1179-1193.

    Examples
    --------
    >>> import numpy as np
    >>> generator = np.array([[-1.0, 1.0], [0.0, 0.0]])
    >>> matrix_exponential(generator * np.log(2.0)).round(12)
    array([[0.5, 0.5],
           [0. , 1. ]])
    """
    array = np.asarray(matrices, dtype=float)
    if array.ndim < 2 or array.shape[-1] != array.shape[-2]:
        raise ValueError(f"matrices must have shape (..., n, n) with square matrices on the "
                         f"last two axes (got shape {array.shape})")
    if not np.all(np.isfinite(array)):
        where = tuple(int(i) for i in np.argwhere(~np.isfinite(array))[0])
        raise ValueError(f"matrices must be finite (got {array[where]} at {list(where)})")
    size = array.shape[-1]
    if array.size == 0:
        return np.empty(array.shape)
    if size == 1:
        return np.exp(array)
    stack = array.reshape(-1, size, size)
    result = np.empty_like(stack)
    below = np.any(np.tril(stack, -1) != 0.0, axis=(1, 2))
    above = np.any(np.triu(stack, 1) != 0.0, axis=(1, 2))
    diagonal = ~below & ~above
    if np.any(diagonal):
        result[diagonal] = _diagonal_matrix(np.exp(np.diagonal(stack[diagonal], axis1=1,
                                                               axis2=2)))
    full = np.flatnonzero(~diagonal)
    if full.size:
        matrix = stack[full]
        # the powers of a large matrix may overflow: they only choose degree and squarings then
        with np.errstate(over="ignore", invalid="ignore"):
            powers = {1: matrix, 2: matrix @ matrix}
            powers[4] = powers[2] @ powers[2]
            powers[6] = powers[4] @ powers[2]
            degree, squarings = _pade_structure(powers)
        odd, even = np.empty_like(matrix), np.empty_like(matrix)
        for m in np.unique(degree).tolist():
            group = degree == m
            odd[group], even[group] = _pade_numerator_parts(
                _scaled_powers({k: power[group] for k, power in powers.items()},
                               squarings[group]), m)
        # r_m(A / 2^s) = (V - U)^{-1} (V + U) = I + 2 (V - U)^{-1} U, one solve for the stack
        approximant = 2.0 * _solve_small(even - odd, odd) + np.eye(size)
        # triangular: 1 upper (nothing below), -1 lower (nothing above), 0 neither
        shape = np.where(~below[full], 1, np.where(~above[full], -1, 0))
        for s, triangle in sorted(set(zip(squarings.tolist(), shape.tolist(), strict=True))):
            group = (squarings == s) & (shape == triangle)
            result[full[group]] = _squared(approximant[group], matrix[group], s, triangle)
    return result.reshape(array.shape)


def _diagonal_matrix(values: np.ndarray) -> np.ndarray:
    """Stack of diagonal matrices with ``values`` (shape ``(k, n)``) on their diagonals."""
    out = np.zeros((*values.shape, values.shape[-1]))
    index = np.arange(values.shape[-1])
    out[:, index, index] = values
    return out


def _one_norm(matrices: np.ndarray) -> np.ndarray:
    """Largest absolute column sum of each matrix of a stack."""
    return np.abs(matrices).sum(axis=1).max(axis=1)


def _ell(power_norm: np.ndarray, norm: np.ndarray, index: int) -> np.ndarray:
    """Extra squarings for the truncation error of degree ``_DEGREES[index]`` ([1], eq. 5.1)."""
    m = _DEGREES[index]
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        value = np.ceil(np.log2(power_norm / norm / _ERROR_CONSTANT[index]) / (2 * m))
    # |A|^(2m+1) = 0 (log of 0) or an overflow: no extra squaring, as the bound says nothing
    return np.where(np.isfinite(value), np.maximum(value, 0.0), 0.0).astype(np.int64)


def _pade_structure(powers: dict[int, np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """Padé degree and number of squarings of each matrix (``scipy.linalg.expm``'s choice).

    ``powers`` holds ``A``, ``A^2``, ``A^4``, ``A^6`` of the stack and gets ``A^8`` added.
    ``‖|A|^k‖`` is estimated as ``max(|A|^k 1)``, the vector of ones spun ``k`` times.
    """
    absolute = np.abs(powers[1])
    spun = np.ones(absolute.shape[:2])

    def spin(times: int) -> np.ndarray:
        nonlocal spun
        for _ in range(times):
            spun = np.einsum("kij,kj->ki", absolute, spun)
        return spun.max(axis=1)

    norm = spin(1)
    d4 = _one_norm(powers[4]) ** (1.0 / 4.0)
    d6 = _one_norm(powers[6]) ** (1.0 / 6.0)
    eta1 = np.maximum(d4, d6)
    ell3 = _ell(spin(6), norm, 0)
    ell5 = _ell(spin(4), norm, 1)
    powers[8] = powers[4] @ powers[4]
    d8 = _one_norm(powers[8]) ** (1.0 / 8.0)
    eta2 = np.maximum(d6, d8)
    ell7 = _ell(spin(4), norm, 2)
    ell9 = _ell(spin(4), norm, 3)
    d10 = _one_norm(powers[6] @ powers[4]) ** (1.0 / 10.0)
    eta4 = np.minimum(eta2, np.maximum(d8, d10))
    # a power overflowed: ‖A^k‖^(1/k) ≤ ‖A‖ bounds what it would have been
    eta4 = np.where(np.isfinite(eta4), eta4, _one_norm(powers[1]))
    with np.errstate(divide="ignore"):
        squarings = np.maximum(np.ceil(np.log2(eta4 / _THETA[4])), 0.0).astype(np.int64)
    scale = 2.0 ** -squarings.astype(float)
    # the estimate of |A / 2^s|^27: |A|^19 1 spun 8 more times with |A| / 2^s
    absolute = absolute * scale[:, None, None]
    spun = spun * (scale ** 19)[:, None]
    squarings = squarings + _ell(spin(8), norm * scale, 4)
    degree = np.select([(eta1 < _THETA[0]) & (ell3 == 0), (eta1 < _THETA[1]) & (ell5 == 0),
                        (eta2 < _THETA[2]) & (ell7 == 0), (eta2 < _THETA[3]) & (ell9 == 0)],
                       [3, 5, 7, 9], 13)
    return degree, np.where(degree == 13, squarings, 0)


def _pade_numerator_parts(powers: dict[int, np.ndarray], degree: int
                          ) -> tuple[np.ndarray, np.ndarray]:
    """Odd part ``U`` and even part ``V`` of the degree-``m`` Padé numerator ([2], eqs. 2.5-2.6)."""
    b = _PADE[degree]
    a, a2, a4, a6 = powers[1], powers[2], powers[4], powers[6]
    eye = np.eye(a.shape[-1])
    if degree == 3:
        return a @ a2 + b[1] * a, b[2] * a2 + b[0] * eye
    if degree == 5:
        odd = b[3] * a2 + a4 + b[1] * eye
        return a @ odd, b[2] * a2 + b[4] * a4 + b[0] * eye
    if degree == 7:
        odd = b[3] * a2 + b[5] * a4 + a6 + b[1] * eye
        return a @ odd, b[2] * a2 + b[4] * a4 + b[6] * a6 + b[0] * eye
    if degree == 9:
        a8 = powers[8]
        odd = b[3] * a2 + b[5] * a4 + b[7] * a6 + a8 + b[1] * eye
        return a @ odd, b[2] * a2 + b[4] * a4 + b[6] * a6 + b[8] * a8 + b[0] * eye
    odd_high = b[9] * a2 + b[11] * a4 + b[13] * a6
    odd = a6 @ odd_high + (b[3] * a2 + b[5] * a4 + b[7] * a6 + b[1] * eye)
    even_high = b[8] * a2 + b[10] * a4 + b[12] * a6
    even = a6 @ even_high + (b[2] * a2 + b[4] * a4 + b[6] * a6 + b[0] * eye)
    return a @ odd, even


def _scaled_powers(powers: dict[int, np.ndarray], squarings: np.ndarray
                   ) -> dict[int, np.ndarray]:
    """``A / 2^s`` and its powers for a group of matrices with ``s`` squarings each.

    The powers are recomputed from ``A / 2^s`` rather than scaled: the same numbers (scaling by
    a power of two is exact) without the overflow of a large matrix's powers.
    """
    if not np.any(squarings):
        return powers
    scaled = powers[1] * (2.0 ** -squarings.astype(float))[:, None, None]
    out = {1: scaled, 2: scaled @ scaled}
    out[4] = out[2] @ out[2]
    out[6] = out[4] @ out[2]
    return out


def _squared(result: np.ndarray, a: np.ndarray, squarings: int, triangle: int) -> np.ndarray:
    """``r^(2^s)`` of the approximants ``r`` of ``A / 2^s`` for a group sharing ``s`` and shape.

    ``triangle`` is 1 for upper triangular ``A``, -1 for lower triangular, 0 otherwise.
    """
    if squarings and triangle:
        # Code Fragment 2.1 of [1]: diagonal and first off-diagonal exactly, at each squaring
        diagonal = np.diagonal(a, axis1=1, axis2=2)
        neighbour = np.diagonal(a, offset=triangle, axis1=1, axis2=2)
        index = np.arange(a.shape[-1])
        rows, columns = (index[:-1], index[1:]) if triangle == 1 else (index[1:], index[:-1])
        result[:, index, index] = np.exp(diagonal * 2.0 ** -squarings)
        for step in range(squarings - 1, -1, -1):
            result = result @ result
            scaled = diagonal * 2.0 ** -step
            result[:, index, index] = np.exp(scaled)
            result[:, rows, columns] = _exp_divided_difference(scaled) * (neighbour
                                                                          * 2.0 ** -step)
    else:
        for _ in range(squarings):
            result = result @ result
    if triangle:
        result = np.triu(result) if triangle == 1 else np.tril(result)
    return result


def _exp_divided_difference(values: np.ndarray) -> np.ndarray:
    """``(e^{x_{i+1}} - e^{x_i}) / (x_{i+1} - x_i)`` along the last axis, ``e^{x_i}`` where the
    two are equal (scipy's ``_exp_sinch``, for the same results)."""
    exp_difference = np.diff(np.exp(values), axis=-1)
    difference = np.diff(values, axis=-1)
    equal = difference == 0.0
    with np.errstate(divide="ignore", invalid="ignore"):
        quotient = exp_difference / difference
    return np.where(equal, np.exp(values[..., :-1]), quotient)


def _solve_small(matrices: np.ndarray, right_hand_sides: np.ndarray) -> np.ndarray:
    """Solve ``A X = B`` for a stack of small systems by Gaussian elimination in numpy [-].

    Parameters
    ----------
    matrices : numpy.ndarray, shape (k, n, n)
        Nonsingular matrices ``A``.
    right_hand_sides : numpy.ndarray, shape (k, n, r)
        Right-hand sides ``B``.

    Returns
    -------
    numpy.ndarray, shape (k, n, r)
        ``X = A^{-1} B``.

    Notes
    -----
    The LU factorisation with partial pivoting of ``A^T`` (``P A^T = L R``), then
    ``R^T z = B``, ``L^T w = z``, ``X = P^T w``: the steps of LAPACK's ``getrf`` and
    ``getrs('T')`` that ``scipy.linalg.expm`` takes, vectorised over the stack, with ``O(n)``
    numpy calls and no BLAS/LAPACK threads. Backward stable in practice like any partial
    pivoting (Higham, *Accuracy and Stability of Numerical Algorithms*, 2nd ed., 2002, ch. 9).
    Where row ``i`` of ``A`` is a multiple of the unit vector ``e_i`` and row ``i`` of ``B`` is
    zero, row ``i`` of ``X`` comes out exactly zero unless an earlier pivot falls on row ``i`` of
    ``A^T``; for the Padé denominators ``V - U``, close to ``b_0 I``, none does, so an absorbing
    state's row of ``expm`` is exactly its unit vector, as with scipy (pivoting on the rows of
    ``A`` instead leaves a rounding error there that the squarings multiply). Systems larger
    than 32 go to :func:`numpy.linalg.solve`.
    """
    size = matrices.shape[-1]
    if size > _ELIMINATION_MAX_SIZE:
        return np.linalg.solve(matrices, right_hand_sides)
    lu = np.array(np.swapaxes(matrices, -1, -2), dtype=float)  # A^T, factorised in place
    x = np.array(right_hand_sides, dtype=float)
    stack = np.arange(lu.shape[0])
    pivots = np.empty((lu.shape[0], size), dtype=np.int64)
    for column in range(size):
        pivot = column + np.argmax(np.abs(lu[:, column:, column]), axis=1)
        pivots[:, column] = pivot
        swap = stack[pivot != column]
        if swap.size:
            lu[swap, column], lu[swap, pivot[swap]] = lu[swap, pivot[swap]], lu[swap, column]
        factors = lu[:, column + 1:, column] / lu[:, column, column, None]
        lu[:, column + 1:, column] = factors
        lu[:, column + 1:, column + 1:] -= factors[:, :, None] * lu[:, None, column, column + 1:]
    for row in range(size):  # R^T z = B, R^T lower triangular
        known = np.einsum("kj,kjr->kr", lu[:, :row, row], x[:, :row])
        x[:, row] = (x[:, row] - known) / lu[:, row, row, None]
    for row in range(size - 1, -1, -1):  # L^T w = z, L^T unit upper triangular
        x[:, row] -= np.einsum("kj,kjr->kr", lu[:, row + 1:, row], x[:, row + 1:])
    for column in range(size - 1, -1, -1):  # X = P^T w: the swaps undone in reverse
        pivot = pivots[:, column]
        swap = stack[pivot != column]
        if swap.size:
            x[swap, column], x[swap, pivot[swap]] = x[swap, pivot[swap]], x[swap, column]
    return x
