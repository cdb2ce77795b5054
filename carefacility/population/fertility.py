"""Single-year age-specific fertility rates from a TFR and an age pattern, and births."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

import numpy as np

from carefacility.population.ages import N_AGES
from carefacility.population.graduation import monotone_split

__all__ = ["asfr_from_tfr", "births"]


def asfr_from_tfr(
    tfr: np.ndarray | float,
    pattern_pct: np.ndarray | Sequence[float],
    group_starts: Sequence[int] | np.ndarray,
    *,
    group_width: int = 5,
    method: Literal["hyman", "pchip", "uniform"] = "hyman",
) -> np.ndarray:
    """Single-year ASFR for ages 0..100 from a TFR and the percent distribution by age group.

    Parameters
    ----------
    tfr : array_like, shape (...)
        Total fertility rate [births per woman].
    pattern_pct : array_like, shape (..., G)
        Share of the TFR in each mother's age group [percent]; e.g. the WPP ``pasfr``. It is
        rescaled to sum exactly 100 (sums off by more than 0.5 points are refused).
    group_starts : sequence of int, length G
        First age of each group [years], contiguous groups of ``group_width`` years, e.g.
        ``10, 15, ..., 50`` for 10-14 ... 50-54; all inside 1..100.
    group_width : int
        Width of each group [years].
    method : {"hyman", "pchip", "uniform"}
        ``"hyman"`` (default) or ``"pchip"``: the cumulative fertility at the group boundaries is
        interpolated with a monotone cubic and differenced
        (:func:`~carefacility.population.graduation.monotone_split`) — never negative and each
        group's share kept exactly; ``"hyman"`` gives a smooth single-peaked schedule where
        ``"pchip"`` leaves small bumps inside the groups. ``"uniform"``: each group's rate is
        spread evenly over its years (a step function).

    Returns
    -------
    ndarray, shape (..., 101)
        Age-specific fertility rates [births per woman-year] by mother's age 0..100, zero outside
        the groups; ``asfr.sum(axis=-1) == tfr`` to rounding (relative 1e-15).
    """
    tfr = np.asarray(tfr, dtype=np.float64)
    pattern = np.asarray(pattern_pct, dtype=np.float64)
    starts = np.asarray(group_starts, dtype=np.int64)
    if starts.ndim != 1 or pattern.shape[-1:] != starts.shape:
        raise ValueError(
            f"pattern_pct must have one value per age group ({starts.size}) on its last axis, "
            f"got shape {pattern.shape}"
        )
    if starts.size > 1 and np.any(np.diff(starts) != group_width):
        raise ValueError(
            f"group_starts must be contiguous {group_width}-year groups, got {starts.tolist()}"
        )
    end = int(starts[-1]) + group_width
    if starts[0] < 1 or end > N_AGES:
        raise ValueError(
            f"fertility groups must lie within ages 1..100, got {starts[0]}..{end - 1}"
        )
    if np.any(~np.isfinite(tfr)) or np.any(tfr < 0):
        raise ValueError("tfr must be finite and >= 0 [births per woman]")
    if np.any(~np.isfinite(pattern)) or np.any(pattern < 0):
        raise ValueError("pattern_pct must be finite and >= 0 [percent]")
    total_pct = pattern.sum(axis=-1, keepdims=True)
    if np.any(np.abs(total_pct - 100.0) > 0.5):
        raise ValueError(
            f"pattern_pct must sum to 100 percent (within 0.5), got sums in "
            f"[{total_pct.min():.6g}, {total_pct.max():.6g}]"
        )
    group_totals = tfr[..., None] * (pattern / total_pct)  # births per woman in each group
    boundaries = np.append(starts, end)
    if method in ("hyman", "pchip"):
        inside = monotone_split(group_totals, boundaries, method=method)
    elif method == "uniform":
        inside = np.repeat(group_totals / group_width, group_width, axis=-1)
    else:
        raise ValueError(f'method must be "hyman", "pchip" or "uniform", got {method!r}')
    asfr = np.zeros((*inside.shape[:-1], N_AGES))
    asfr[..., starts[0] : end] = inside
    return asfr


def births(female_exposure: np.ndarray, asfr_single: np.ndarray) -> np.ndarray:
    """Births from women's exposure by age and single-year ASFR.

    Parameters
    ----------
    female_exposure : array_like, shape (..., 101)
        Women's person-years lived at each age 0..100 during the period [woman-years].
    asfr_single : array_like, shape (..., 101)
        Age-specific fertility rates [births per woman-year]; broadcast against the exposure.

    Returns
    -------
    ndarray, shape (...)
        Births [persons], ``sum_x asfr[x] * exposure[x]``.
    """
    exposure = np.asarray(female_exposure, dtype=np.float64)
    asfr = np.asarray(asfr_single, dtype=np.float64)
    return np.sum(exposure * asfr, axis=-1)
