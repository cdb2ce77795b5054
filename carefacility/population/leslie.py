"""The projection step as an explicit matrix (Leslie), and the stable population.

The matrix acts on the population flattened as ``P.reshape(-1)`` of a ``(2, 101)`` array:
males aged 0..100+ first, then females. It reproduces one closed-population step of
:func:`carefacility.population.cohort_component.project` exactly (same survival, same birth timing:
exposure is the mean of the women at the start of the year and the survivors at its end).
"""

from __future__ import annotations

from typing import Literal

import numpy as np

from carefacility.population.ages import N_AGES, OPEN_AGE
from carefacility.population.lifetable import SurvivalSchedule

__all__ = ["leslie_matrix", "stable_population"]


def _survival_block(to_next: np.ndarray, within_open: float) -> np.ndarray:
    block = np.zeros((N_AGES, N_AGES))
    ages = np.arange(OPEN_AGE)
    block[ages + 1, ages] = to_next
    block[OPEN_AGE, OPEN_AGE] = within_open
    return block


def leslie_matrix(
    survival: SurvivalSchedule,
    asfr: np.ndarray,
    srb: float,
    *,
    sexes: Literal["both", "female"] = "both",
) -> np.ndarray:
    """Matrix of one closed-population projection step.

    Parameters
    ----------
    survival : SurvivalSchedule
        Survival ratios of one year, leading shape ``(2,)`` (male, female).
    asfr : array_like, shape (101,)
        Fertility rates by mother's age [births per woman-year], zero at age 0.
    srb : float
        Sex ratio at birth [males per female].
    sexes : {"both", "female"}
        ``"both"``: the two-sex ``(202, 202)`` block matrix ``[[M_surv, M_birth], [0, F_surv +
        F_birth]]`` acting on ``[males, females]``. ``"female"``: the one-sex ``(101, 101)``
        matrix of females (female births only).

    Returns
    -------
    ndarray
        ``A`` such that ``A @ P.reshape(-1)`` is the population one year later without
        migration.

    Notes
    -----
    Births are ``sum_x f[x] (F[x] + F~[x]) / 2`` with ``F~[x] = S[x-1] F[x-1]`` (``F~[100]`` also
    gets ``S_open F[100]``). So the weight of women aged ``y`` in the births row is
    ``(f[y] + S[y] f[y+1]) / 2`` (``(f[100] + S_open f[100]) / 2`` for 100+).
    """
    if survival.shape != (2,) or survival.survival_to_next.shape[-1] != OPEN_AGE:
        raise ValueError(
            f"survival must be one year's schedule with shape (2,), got {survival.shape}"
        )
    asfr = np.asarray(asfr, dtype=np.float64)
    if asfr.shape != (N_AGES,):
        raise ValueError(f"asfr must have shape ({N_AGES},), got {asfr.shape}")
    if asfr[0] != 0:
        raise ValueError("asfr at age 0 must be 0")
    female_to_next = survival.survival_to_next[1]
    female_open = float(survival.survival_open[1])
    birth_weights = 0.5 * asfr.copy()
    birth_weights[:OPEN_AGE] += 0.5 * female_to_next * asfr[1:]
    birth_weights[OPEN_AGE] += 0.5 * female_open * asfr[OPEN_AGE]
    male_share = srb / (1.0 + srb)

    female_block = _survival_block(female_to_next, female_open)
    female_block[0] = (1.0 - male_share) * survival.birth_survival[1] * birth_weights
    if sexes == "female":
        return female_block
    if sexes != "both":
        raise ValueError(f'sexes must be "both" or "female", got {sexes!r}')
    male_block = _survival_block(survival.survival_to_next[0], float(survival.survival_open[0]))
    male_from_females = np.zeros((N_AGES, N_AGES))
    male_from_females[0] = male_share * survival.birth_survival[0] * birth_weights
    return np.block([[male_block, male_from_females], [np.zeros((N_AGES, N_AGES)), female_block]])


def stable_population(matrix: np.ndarray) -> tuple[float, np.ndarray]:
    """Dominant eigenvalue and normalised eigenvector of a projection matrix.

    Parameters
    ----------
    matrix : array_like, shape (n, n)
        Non-negative projection matrix, e.g. :func:`leslie_matrix`.

    Returns
    -------
    growth_factor : float
        Dominant (Perron) eigenvalue ``lambda``: the stable population's size is multiplied by it
        each year (``log(lambda)`` is the intrinsic growth rate [per year]).
    structure : ndarray, shape (n,)
        The corresponding eigenvector, non-negative and summing to 1 (for a two-sex matrix,
        ``structure.reshape(2, 101)`` gives shares by sex and age).
    """
    matrix = np.asarray(matrix, dtype=np.float64)
    if matrix.ndim != 2 or matrix.shape[0] != matrix.shape[1]:
        raise ValueError(f"matrix must be square, got shape {matrix.shape}")
    if np.any(matrix < 0):
        raise ValueError("a projection matrix must be non-negative")
    eigenvalues, eigenvectors = np.linalg.eig(matrix)
    dominant = int(np.argmax(eigenvalues.real))
    growth_factor = float(eigenvalues[dominant].real)
    vector = np.real(eigenvectors[:, dominant])
    vector = vector / vector.sum()
    if np.any(vector < -1e-12):
        raise ValueError(
            "the dominant eigenvector is not non-negative; the matrix is not a "
            "valid projection matrix"
        )
    return growth_factor, np.clip(vector, 0.0, None)
