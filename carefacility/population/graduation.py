"""Split grouped counts and rates into single years of age.

Counts (people by 5-year group) are graduated by monotone cubic (PCHIP, Fritsch–Carlson)
interpolation of the *cumulative* count at the group boundaries, then differenced: every group
total is kept to floating-point precision and no single-year count is negative. The open group
(e.g. 85+) is spread over ages ``open_start..99`` and 100+ with tail weights, preferably the
stationary-population weights of a life table
(:func:`carefacility.population.lifetable.stationary_tail_weights`).

Rates (death rates by group) are graduated by log-linear interpolation between group midpoints.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

import numpy as np

from carefacility.population.ages import N_AGES, OPEN_AGE

__all__ = [
    "DEFAULT_OPEN_TAIL_RATIO",
    "geometric_tail_weights",
    "graduate_counts",
    "graduate_rates",
    "monotone_split",
]

DEFAULT_OPEN_TAIL_RATIO = 0.85
"""Year-on-year ratio of single-year counts inside an open group when no weights are given.

0.85 is a middle value of the stationary-population ratios ``L[x+1] / L[x]`` at ages 85–95 in
the UN WPP 2024 life tables for China 2020–2025 (women: 0.90 at 85 falling to 0.75 at 95; men
somewhat lower).
"""


def _check_starts(group_starts: Sequence[int] | np.ndarray, n_groups: int) -> np.ndarray:
    starts = np.asarray(group_starts)
    if starts.ndim != 1 or starts.size != n_groups:
        raise ValueError(
            f"group_starts must be a 1-D sequence with one start per group ({n_groups}), "
            f"got shape {starts.shape}"
        )
    if not np.all(np.equal(np.mod(starts, 1), 0)):
        raise ValueError(f"group_starts must be whole ages [years], got {starts.tolist()}")
    starts = starts.astype(np.int64)
    if n_groups > 1 and np.any(np.diff(starts) <= 0):
        raise ValueError(f"group_starts must increase strictly, got {starts.tolist()}")
    return starts


def monotone_split(
    totals: np.ndarray,
    boundaries: np.ndarray | Sequence[int],
    *,
    method: Literal["pchip", "hyman"] = "pchip",
) -> np.ndarray:
    """Split closed-group totals into single years by monotone interpolation of the cumulative.

    Parameters
    ----------
    totals : array_like, shape (..., G)
        Non-negative totals of ``G`` contiguous closed groups.
    boundaries : array_like of int, shape (G + 1,)
        Group boundaries [years]; group ``g`` covers ages ``boundaries[g]`` to
        ``boundaries[g + 1] - 1``.
    method : {"pchip", "hyman"}
        ``"pchip"``: Fritsch–Carlson monotone cubic (``scipy.interpolate.PchipInterpolator``).
        ``"hyman"``: a not-a-knot cubic spline whose knot slopes are limited to the monotone
        range ``[0, 3 min(S_left, S_right)]`` (Hyman 1983 filter), which is smoother inside
        groups (no bumps where a small group meets a large one) and equally monotone.

    Returns
    -------
    ndarray, shape (..., boundaries[-1] - boundaries[0])
        Single-year values for ages ``boundaries[0]`` .. ``boundaries[-1] - 1``. Sums over each
        group equal the group totals to rounding; all values are ``>= 0``.

    References
    ----------
    Fritsch, F. N., Carlson, R. E. (1980). Monotone piecewise cubic interpolation. *SIAM J.
    Numer. Anal.* 17(2): 238–246. Hyman, J. M. (1983). Accurate monotonicity preserving cubic
    interpolation. *SIAM J. Sci. Stat. Comput.* 4(4): 645–654.
    """
    # imported here: `import carefacility` stays fast
    from scipy.interpolate import CubicHermiteSpline, CubicSpline, PchipInterpolator

    totals = np.asarray(totals, dtype=np.float64)
    boundaries = np.asarray(boundaries, dtype=np.int64)
    if boundaries.shape != (totals.shape[-1] + 1,):
        raise ValueError("boundaries must have one entry more than the groups")
    cumulative = np.concatenate(
        [np.zeros((*totals.shape[:-1], 1)), np.cumsum(totals, axis=-1)], axis=-1
    )
    ages = np.arange(boundaries[0], boundaries[-1] + 1)
    if boundaries.size == 2:
        at_ages = cumulative[..., :1] + (ages - ages[0]) / (ages[-1] - ages[0]) * totals
    elif method == "pchip":
        # scipy's harmonic mean of slopes overflows for denormal group totals; the limit (a
        # zero knot slope) is what it then uses, which is right.
        with np.errstate(over="ignore", divide="ignore"):
            at_ages = PchipInterpolator(boundaries, cumulative, axis=-1)(ages)
    elif method == "hyman":
        slopes = CubicSpline(boundaries, cumulative, axis=-1)(boundaries, 1)
        secants = totals / np.diff(boundaries)
        inf = np.full((*totals.shape[:-1], 1), np.inf)
        limit = 3.0 * np.minimum(
            np.concatenate([inf, secants], axis=-1), np.concatenate([secants, inf], axis=-1)
        )
        slopes = np.minimum(np.maximum(slopes, 0.0), limit)
        at_ages = CubicHermiteSpline(boundaries, cumulative, slopes, axis=-1)(ages)
    else:
        raise ValueError(f'method must be "pchip" or "hyman", got {method!r}')
    at_ages[..., boundaries - boundaries[0]] = cumulative  # knots exactly
    single = np.diff(at_ages, axis=-1)
    # The interpolant is monotone, so a negative value is rounding noise (~1e-16 * total).
    return np.maximum(single, 0.0)


def geometric_tail_weights(n_ages: int, ratio: float = DEFAULT_OPEN_TAIL_RATIO) -> np.ndarray:
    """Weights declining geometrically over an open group, the last entry an open tail.

    Parameters
    ----------
    n_ages : int
        Number of entries: single ages ``open_start..99`` plus the final open group 100+.
    ratio : float
        Ratio of each single-year weight to the previous one, ``0 < ratio < 1``.

    Returns
    -------
    ndarray, shape (n_ages,)
        ``w[k] ∝ ratio**k`` for the single years and ``ratio**(n_ages-1) / (1 - ratio)`` for the
        open tail (the sum of the geometric series beyond), normalised to sum 1.
    """
    if not 0.0 < ratio < 1.0:
        raise ValueError(f"ratio must be between 0 and 1 (exclusive), got {ratio}")
    if n_ages < 1:
        raise ValueError(f"n_ages must be >= 1, got {n_ages}")
    weights = ratio ** np.arange(n_ages, dtype=np.float64)
    weights[-1] /= 1.0 - ratio
    return weights / weights.sum()


def graduate_counts(
    counts: np.ndarray,
    group_starts: Sequence[int] | np.ndarray,
    open_start: int | None = None,
    *,
    open_tail_weights: np.ndarray | None = None,
    method: Literal["pchip", "hyman"] = "pchip",
) -> np.ndarray:
    """Split counts by age group into single years 0..99 and 100+.

    Parameters
    ----------
    counts : array_like, shape (..., G)
        Non-negative counts by age group [persons]; the last axis holds the groups, any leading
        axes (zones, sexes) are graduated independently.
    group_starts : sequence of int, length G
        First age of each group [years], starting at 0 and increasing. The last group is open
        (e.g. 85 for "85+") and must start at or below 100.
    open_start : int, optional
        First age of the open group [years]; defaults to ``group_starts[-1]`` and, if given,
        must equal it (a guard against passing groups of a different table).
    open_tail_weights : array_like, shape (..., 101 - open_start), optional
        Shares of the open group at ages ``open_start..99`` and 100+ (non-negative, summing to
        1, broadcastable against ``counts[..., :1]``), normally
        :func:`~carefacility.population.lifetable.stationary_tail_weights`. Without them the
        open group declines geometrically by ``DEFAULT_OPEN_TAIL_RATIO`` (0.85) per year of age
        (:func:`geometric_tail_weights`) — a stated assumption; prefer life-table weights.
    method : {"pchip", "hyman"}
        Monotone interpolant of the cumulative count (:func:`monotone_split`); ``"pchip"``
        (Fritsch–Carlson) by default, ``"hyman"`` for a smoother split.

    Returns
    -------
    ndarray, shape (..., 101)
        Counts by single year of age 0..99 and 100+ [persons]; float64.

    Notes
    -----
    The cumulative count ``C(a)`` (people below age ``a``) is known at the closed-group
    boundaries. It is interpolated at every whole age with a monotone piecewise-cubic Hermite
    interpolant (Fritsch & Carlson 1980, ``scipy.interpolate.PchipInterpolator``) and
    differenced. Because the interpolant passes through the boundaries, each closed group keeps
    its total; because it is monotone, no count is negative (zero groups stay zero). The open
    group total is multiplied by the tail weights, so it is kept exactly as well.
    """
    counts = np.asarray(counts, dtype=np.float64)
    if counts.ndim < 1:
        raise ValueError("counts must have at least one axis (the age groups)")
    starts = _check_starts(group_starts, counts.shape[-1])
    if starts[0] != 0:
        raise ValueError(f"the first age group must start at 0, got {starts[0]}")
    last_start = int(starts[-1])
    if open_start is None:
        open_start = last_start
    elif open_start != last_start:
        raise ValueError(
            f"open_start={open_start} but the last group starts at {last_start}; "
            "the last group is the open group"
        )
    if open_start > OPEN_AGE:
        raise ValueError(f"the open group must start at or below {OPEN_AGE}, got {open_start}")
    if not np.all(np.isfinite(counts)) or np.any(counts < 0):
        raise ValueError("counts must be finite and >= 0")

    n_tail = N_AGES - open_start
    if open_tail_weights is None:
        weights = geometric_tail_weights(n_tail)
    else:
        weights = np.asarray(open_tail_weights, dtype=np.float64)
        if weights.shape[-1:] != (n_tail,):
            raise ValueError(
                f"open_tail_weights must have {n_tail} entries on the last axis (ages "
                f"{open_start}..99 and 100+), got shape {weights.shape}"
            )
        if np.any(weights < 0) or not np.all(np.isfinite(weights)):
            raise ValueError("open_tail_weights must be finite and >= 0")
        total = weights.sum(axis=-1, keepdims=True)
        if np.any(np.abs(total - 1.0) > 1e-6):
            raise ValueError(
                f"open_tail_weights must sum to 1 (within 1e-6), got sums in "
                f"[{total.min():.8g}, {total.max():.8g}]"
            )
        weights = weights / total
    tail = counts[..., -1:] * weights
    if open_start == 0:
        return np.broadcast_to(tail, (*counts.shape[:-1], N_AGES)).copy()
    closed = monotone_split(counts[..., :-1], starts, method=method)
    lead = np.broadcast_shapes(closed.shape[:-1], tail.shape[:-1])
    closed = np.broadcast_to(closed, (*lead, closed.shape[-1]))
    tail = np.broadcast_to(tail, (*lead, tail.shape[-1]))
    return np.concatenate([closed[..., :open_start], tail], axis=-1)


def _piecewise_linear(knots: np.ndarray, values: np.ndarray, x: np.ndarray) -> np.ndarray:
    """Linear interpolation through (knots, values[..., k]), extended linearly at both ends."""
    segment = np.clip(np.searchsorted(knots, x, side="right") - 1, 0, knots.size - 2)
    fraction = (x - knots[segment]) / (knots[segment + 1] - knots[segment])
    return values[..., segment] * (1.0 - fraction) + values[..., segment + 1] * fraction


def graduate_rates(
    rates: np.ndarray,
    group_starts: Sequence[int] | np.ndarray,
    *,
    last_age: int = OPEN_AGE,
) -> np.ndarray:
    """Interpolate positive rates by age group to single years, log-linearly between midpoints.

    Parameters
    ----------
    rates : array_like, shape (..., G)
        Rates by age group, all ``> 0`` (e.g. central death rates nMx [per person-year]).
    group_starts : sequence of int, length G
        First age of each group [years], increasing. The last group may be open; its midpoint is
        placed as if it were as wide as the group before it (100+ after 95-99 sits at 102.5).
    last_age : int
        Last single year of age returned [years].

    Returns
    -------
    ndarray, shape (..., last_age + 1)
        Rates for single years ``0..last_age``.

    Notes
    -----
    ``log(rate)`` is taken as linear between the group midpoints and evaluated at the midpoint
    ``x + 0.5`` of each single year ``x``; before the first and after the last midpoint the end
    segments are extended linearly (in logs). A leading one-year group (age 0, infants) is kept
    as given and is not used as a knot: infant mortality does not lie on the curve of ages 1+.
    """
    rates = np.asarray(rates, dtype=np.float64)
    starts = _check_starts(group_starts, rates.shape[-1])
    if np.any(~np.isfinite(rates)) or np.any(rates <= 0):
        raise ValueError("rates must be finite and > 0 to be interpolated on the log scale")
    if starts.size < 2:
        raise ValueError("at least two age groups are needed to interpolate rates")
    widths = np.diff(starts).astype(np.float64)
    widths = np.append(widths, widths[-1])
    midpoints = starts + widths / 2.0
    keep_infant = starts[0] == 0 and widths[0] == 1.0
    first_knot = 1 if keep_infant else 0
    knots = midpoints[first_knot:]
    log_rates = np.log(rates[..., first_knot:])
    if knots.size < 2:
        raise ValueError("at least two age groups besides age 0 are needed to interpolate rates")
    x = np.arange(last_age + 1, dtype=np.float64) + 0.5
    out = np.exp(_piecewise_linear(knots, log_rates, x))
    if keep_infant:
        out[..., 0] = rates[..., 0]
    return out
