"""Life tables (abridged and single-year) and the survival ratios of a projection.

All functions take central death rates ``m`` [deaths per person-year] along the last axis and
broadcast over any leading axes (periods, sexes, zones). Life tables use radix ``l(0) = 1`` unless
told otherwise, so ``L`` and ``T`` are in person-years per birth.

References
----------
Preston, S. H., Heuveline, P., Guillot, M. (2001). *Demography: Measuring and Modeling
Population Processes*, Blackwell, ch. 3 (life table, Coale–Demeny ``a0``/``4a1``, Table 3.3).
Andreev, E. M., Kingkade, W. W. (2015). Average age at death in infancy and infant mortality
level: reconsidering the Coale–Demeny formulas at current levels of low mortality. *Demographic
Research* 33(13): 363–390.
Greville, T. N. E. (1943). Short methods of constructing abridged life tables. *Record of the
American Institute of Actuaries* 32: 29–42 (``nax`` of 5-year groups).
Thatcher, A. R., Kannisto, V., Vaupel, J. W. (1998). *The Force of Mortality at Ages 80 to 120*.
Odense University Press (the Kannisto model).
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np

from carefacility.population.ages import N_AGES, OPEN_AGE
from carefacility.population.graduation import _piecewise_linear

__all__ = [
    "MAX_AGE",
    "LifeTable",
    "SurvivalSchedule",
    "abridged_life_table",
    "apply_mortality_improvement",
    "infant_separation_factors",
    "nqx_to_nmx",
    "projection_survival",
    "single_year_life_table",
    "single_year_mx",
    "stationary_tail_weights",
]

MAX_AGE = 130
"""Last age of the extended single-year death rates; ``mx[MAX_AGE]`` is the open group 130+."""

A0Rule = Literal["coale_demeny", "andreev_kingkade", "wpp_simple"]
Sex = Literal["male", "female"] | None


# --------------------------------------------------------------------------------------------
# infant and child separation factors
# --------------------------------------------------------------------------------------------
def _coale_demeny(m0: np.ndarray, sex: str) -> tuple[np.ndarray, np.ndarray]:
    high = m0 >= 0.107
    if sex == "male":
        a0 = np.where(high, 0.330, 0.045 + 2.684 * m0)
        a1 = np.where(high, 1.352, 1.651 - 2.816 * m0)
    else:
        a0 = np.where(high, 0.350, 0.053 + 2.800 * m0)
        a1 = np.where(high, 1.361, 1.522 - 1.518 * m0)
    return a0, a1


def _ak_q0_from_m0(m0: np.ndarray, constant: float, slope: float) -> np.ndarray:
    # q0 = m0 / (1 + (1 - a0) m0) with a0 = constant + slope * q0, solved for q0 (stable root).
    b = 1.0 + (1.0 - constant) * m0
    return 2.0 * m0 / (b + np.sqrt(b * b - 4.0 * slope * m0 * m0))


def _andreev_kingkade(m0: np.ndarray, sex: str) -> np.ndarray:
    # Andreev & Kingkade (2015), a0 as a function of q0, applied to m0 as in the HMD protocol.
    if sex == "male":
        low, mid, top = (0.1493, -2.0367), (0.0244, 3.4994), 0.2991
        m_low, m_mid = 0.02306737, 0.0830706
    else:
        low, mid, top = (0.1490, -2.0867), (0.0438, 4.1075), 0.3141
        m_low, m_mid = 0.01725977, 0.06919348
    a_low = low[0] + low[1] * _ak_q0_from_m0(m0, *low)
    a_mid = mid[0] + mid[1] * _ak_q0_from_m0(m0, *mid)
    return np.where(m0 < m_low, a_low, np.where(m0 < m_mid, a_mid, top))


def infant_separation_factors(
    m0: np.ndarray | float, *, sex: Sex = None, rule: A0Rule = "coale_demeny"
) -> tuple[np.ndarray, np.ndarray]:
    """Mean years lived in the interval by those dying at age 0 (``1a0``) and at 1–4 (``4a1``).

    Parameters
    ----------
    m0 : array_like
        Infant death rate ``1m0`` [per person-year].
    sex : {"male", "female", None}
        ``None`` averages the male and female formulas (both sexes combined).
    rule : {"coale_demeny", "andreev_kingkade", "wpp_simple"}
        ``"coale_demeny"``: Coale & Demeny (1983) as given in Preston et al. (2001, Table 3.3),
        both ``1a0`` and ``4a1``. ``"andreev_kingkade"``: Andreev & Kingkade (2015) ``1a0``
        (their q0-based segments, converted to m0 exactly as in the Human Mortality Database
        protocol), with the Coale–Demeny ``4a1``. ``"wpp_simple"``: ``1a0 = 0.07 + 1.7 m0``,
        ``4a1 = 1.5``.

    Returns
    -------
    a0, a1_4 : ndarray
        ``1a0`` [years] and ``4a1`` [years].
    """
    m0 = np.asarray(m0, dtype=np.float64)
    if sex not in ("male", "female", None):
        raise ValueError(f'sex must be "male", "female" or None, got {sex!r}')
    sexes = ("male", "female") if sex is None else (sex,)
    if rule == "wpp_simple":
        return 0.07 + 1.7 * m0, np.full_like(m0, 1.5)
    if rule not in ("coale_demeny", "andreev_kingkade"):
        raise ValueError(
            f'a0 rule must be "coale_demeny", "andreev_kingkade" or "wpp_simple", got {rule!r}'
        )
    a0_parts, a1_parts = [], []
    for one_sex in sexes:
        a0, a1 = _coale_demeny(m0, one_sex)
        if rule == "andreev_kingkade":
            a0 = _andreev_kingkade(m0, one_sex)
        a0_parts.append(a0)
        a1_parts.append(a1)
    return np.mean(a0_parts, axis=0), np.mean(a1_parts, axis=0)


# --------------------------------------------------------------------------------------------
# life tables
# --------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class LifeTable:
    """A period life table; every column has the age groups on its last axis.

    Attributes
    ----------
    age_start : ndarray of int
        First age of each interval [years].
    width : ndarray
        Interval width ``n`` [years]; ``inf`` for the open last interval.
    mx : ndarray
        Central death rate ``nMx`` [per person-year].
    ax : ndarray
        Mean years lived in the interval by those dying in it ``nax`` [years].
    qx : ndarray
        Probability of dying in the interval ``nqx`` (1 for the open interval).
    lx : ndarray
        Survivors to the start of the interval, radix ``l(0)`` [persons].
    dx : ndarray
        Deaths in the interval ``ndx`` [persons].
    Lx : ndarray
        Person-years lived in the interval ``nLx`` (stationary population) [person-years].
    Tx : ndarray
        Person-years lived above the start of the interval [person-years].
    ex : ndarray
        Life expectancy at the start of the interval [years].
    """

    age_start: np.ndarray
    width: np.ndarray
    mx: np.ndarray
    ax: np.ndarray
    qx: np.ndarray
    lx: np.ndarray
    dx: np.ndarray
    Lx: np.ndarray
    Tx: np.ndarray
    ex: np.ndarray

    @property
    def e0(self) -> np.ndarray:
        """Life expectancy at birth [years] (shape of the leading axes)."""
        return self.ex[..., 0]


def _complete_table(
    age_start: np.ndarray, width: np.ndarray, mx: np.ndarray, ax: np.ndarray, radix: float
) -> LifeTable:
    closed = np.isfinite(width)
    n = np.where(closed, width, 0.0)
    qx = np.where(closed, n * mx / (1.0 + (n - ax) * mx), 1.0)
    qx = np.clip(qx, 0.0, 1.0)
    survival = np.cumprod(1.0 - qx, axis=-1)
    lx = radix * np.concatenate([np.ones((*mx.shape[:-1], 1)), survival[..., :-1]], axis=-1)
    dx = lx * qx
    with np.errstate(divide="ignore", invalid="ignore"):
        open_L = np.where(mx > 0, lx / mx, 0.0)
    Lx = np.where(closed, n * lx - (n - ax) * dx, open_L)
    Tx = np.flip(np.cumsum(np.flip(Lx, axis=-1), axis=-1), axis=-1)
    with np.errstate(divide="ignore", invalid="ignore"):
        ex = np.where(lx > 0, Tx / lx, 0.0)
    return LifeTable(
        age_start=age_start, width=width, mx=mx, ax=ax, qx=qx, lx=lx, dx=dx, Lx=Lx, Tx=Tx, ex=ex
    )


def _check_mx(mx: np.ndarray, name: str) -> np.ndarray:
    mx = np.asarray(mx, dtype=np.float64)
    if mx.ndim < 1:
        raise ValueError(f"{name} must have an age axis")
    if not np.all(np.isfinite(mx)) or np.any(mx < 0):
        raise ValueError(f"{name} must be finite and >= 0 [deaths per person-year]")
    return mx


def _greville_ax(nmx: np.ndarray, starts: np.ndarray, width: np.ndarray) -> np.ndarray:
    # Greville (1943): nax = n/2 - n^2/12 (nMx - k), k = slope of log nMx between the
    # neighbouring groups' midpoints (the open group's midpoint placed as for graduate_rates).
    closed = np.isfinite(width)
    half = np.where(closed, width / 2.0, 0.0)
    ax = np.broadcast_to(half, nmx.shape).copy()
    midpoints = starts + np.append(width[:-1], width[-2] if width.size > 1 else 1.0) / 2.0
    groups = np.flatnonzero(closed)[1:]
    groups = groups[groups + 1 < starts.size]  # closed groups with a neighbour on each side
    if groups.size:
        before, after = nmx[..., groups - 1], nmx[..., groups + 1]
        with np.errstate(divide="ignore", invalid="ignore"):
            slope = np.log(after / before) / (midpoints[groups + 1] - midpoints[groups - 1])
        slope = np.where((before > 0) & (after > 0), slope, 0.0)
        n = width[groups]
        ax[..., groups] = np.clip(n / 2.0 - n * n / 12.0 * (nmx[..., groups] - slope), 0.0, n)
    return ax


def abridged_life_table(
    nmx: np.ndarray,
    age_starts: Sequence[int] | np.ndarray,
    *,
    sex: Sex = None,
    a0_rule: A0Rule = "coale_demeny",
    radix: float = 1.0,
) -> LifeTable:
    """Abridged life table from central death rates by age group (0, 1-4, 5-9, ..., open).

    Parameters
    ----------
    nmx : array_like, shape (..., G)
        Central death rates ``nMx`` [per person-year]; the last group is open.
    age_starts : sequence of int, length G
        First age of each group [years]: ``0, 1, 5, 10, ...``. The groups ``0`` and ``1-4`` get
        the infant and child factors below; every other closed group gets Greville's ``nax``
        (see Notes).
    sex : {"male", "female", None}
        Chooses the sex-specific ``1a0``/``4a1`` formulas; ``None`` averages them.
    a0_rule : {"coale_demeny", "andreev_kingkade", "wpp_simple"}
        See :func:`infant_separation_factors`.
    radix : float
        ``l(0)`` [persons].

    Returns
    -------
    LifeTable
        ``qx = n m / (1 + (n - a) m)``; open group ``qx = 1`` and ``Lx = lx / Mx``.

    Notes
    -----
    Closed groups other than ``0`` and ``1-4`` use Greville's (1943) approximation
    ``nax = n/2 - n^2/12 (nMx - k)`` with ``k`` the slope of ``log nMx`` between the neighbouring
    groups' midpoints (Preston et al. 2001, sec. 3.3), clipped to ``[0, n]``. It is close to
    ``n/2`` at young and middle ages and shorter where mortality is high (about 1.9 years at
    95-99 for Chinese men in 2020–2025), which keeps ``nqx < 1``: the plain ``nax = n/2`` gives
    ``nqx > 1`` as soon as ``nMx > 0.4`` (WPP men 95-99). With the WPP 2024 nMx of China for
    2010–2015 to 2045–2050, e0 is within 0.17 years of the mean of WPP's published annual e0 of
    each period, both sexes (the constant-hazard ``nqx = 1 - exp(-n m)`` is up to 0.27 years
    high).
    """
    nmx = _check_mx(nmx, "nmx")
    starts = np.asarray(age_starts, dtype=np.int64)
    if starts.ndim != 1 or starts.size != nmx.shape[-1]:
        raise ValueError(f"age_starts must give one start per group ({nmx.shape[-1]})")
    if starts[0] != 0 or np.any(np.diff(starts) <= 0):
        raise ValueError(f"age_starts must start at 0 and increase, got {starts.tolist()}")
    width = np.append(np.diff(starts).astype(np.float64), np.inf)
    ax = _greville_ax(nmx, starts, width)
    a0, a1 = infant_separation_factors(nmx[..., 0], sex=sex, rule=a0_rule)
    if width[0] == 1.0:
        ax[..., 0] = a0
        if starts.size > 2 and width[1] == 4.0:
            ax[..., 1] = a1
    return _complete_table(starts, width, nmx, ax, radix)


def nqx_to_nmx(
    nqx: np.ndarray, widths: np.ndarray | Sequence[float], nax: np.ndarray | Sequence[float]
) -> np.ndarray:
    """Convert probabilities of dying to central death rates: ``m = q / (n - (n - a) q)``.

    Parameters
    ----------
    nqx : array_like, shape (..., G)
        Probability of dying within each closed interval, ``0 <= q <= 1``.
    widths : array_like, shape (G,)
        Interval widths ``n`` [years]; must be finite (an open group's rate is not determined by
        ``q = 1``; take it from the source or from a model).
    nax : array_like, broadcastable to nqx
        Mean years lived in the interval by those dying in it [years].

    Returns
    -------
    ndarray
        Central death rates ``nMx`` [per person-year].
    """
    nqx = np.asarray(nqx, dtype=np.float64)
    widths = np.asarray(widths, dtype=np.float64)
    nax = np.asarray(nax, dtype=np.float64)
    if not np.all(np.isfinite(widths)):
        raise ValueError("widths must be finite: the open group's rate cannot be derived from q")
    if np.any((nqx < 0) | (nqx > 1)):
        raise ValueError("nqx must be between 0 and 1")
    if np.any((nax < 0) | (nax > widths)):
        raise ValueError("nax must be between 0 and the interval width")
    return nqx / (widths - (widths - nax) * nqx)


def single_year_life_table(
    mx_single: np.ndarray,
    *,
    sex: Sex = None,
    a0_rule: A0Rule = "coale_demeny",
    radix: float = 1.0,
) -> LifeTable:
    """Single-year life table; the last entry of ``mx_single`` is the open group.

    Parameters
    ----------
    mx_single : array_like, shape (..., A)
        Central death rates for ages ``0..A-2`` and the open group ``A-1``+ [per person-year],
        typically from :func:`single_year_mx` (``A = 131``).
    sex, a0_rule
        ``1a0`` as in :func:`infant_separation_factors`; all other ages use ``ax = 0.5``.
    radix : float
        ``l(0)`` [persons].

    Returns
    -------
    LifeTable
        ``qx = mx / (1 + (1 - ax) mx)``; the open group has ``qx = 1`` and ``Lx = lx / mx``.
    """
    mx = _check_mx(mx_single, "mx_single")
    n_ages = mx.shape[-1]
    width = np.append(np.ones(n_ages - 1), np.inf)
    ax = np.broadcast_to(np.where(np.isfinite(width), 0.5, 0.0), mx.shape).copy()
    ax[..., 0] = infant_separation_factors(mx[..., 0], sex=sex, rule=a0_rule)[0]
    return _complete_table(np.arange(n_ages), width, mx, ax, radix)


# --------------------------------------------------------------------------------------------
# single-year death rates with a Kannisto old-age tail
# --------------------------------------------------------------------------------------------
def _kannisto(log_a: float, slope: float, ages: np.ndarray) -> np.ndarray:
    z = np.exp(np.clip(log_a + slope * ages, -700.0, 700.0))
    return z / (1.0 + z)


def _open_person_years(mx_tail: np.ndarray) -> float:
    # T(open) per survivor to the open age, single-year table with ax = 0.5, last age open.
    qx = mx_tail[:-1] / (1.0 + 0.5 * mx_tail[:-1])
    lx = np.concatenate([[1.0], np.cumprod(1.0 - qx)])
    person_years = lx[:-1] * (1.0 - 0.5 * qx)
    return float(person_years.sum() + lx[-1] / mx_tail[-1])


def _single_year_mx_1d(
    nmx: np.ndarray, starts: np.ndarray, max_age: int, fit_from_age: int, calibrate_open: bool
) -> np.ndarray:
    open_start = int(starts[-1])
    widths = np.diff(starts).astype(np.float64)
    midpoints = starts[:-1] + widths / 2.0
    closed = np.arange(starts.size - 1)
    fit = closed[(starts[:-1] >= fit_from_age) & (starts[:-1] > 0)]
    if fit.size < 2:
        fit = closed[starts[:-1] > 0][-3:]
    if fit.size < 2:
        raise ValueError("the old-age fit needs at least two closed age groups above age 0")
    rates = nmx[fit]
    if np.any(rates >= 1.0):
        raise ValueError("the Kannisto fit needs group death rates below 1 per person-year")
    slope, log_a = np.polyfit(midpoints[fit], np.log(rates / (1.0 - rates)), 1)
    old_ages = np.arange(open_start, max_age + 1, dtype=np.float64) + 0.5
    if calibrate_open:
        target = 1.0 / nmx[-1]  # T(open) / l(open) = 1 / M(open)

        def mismatch(level: float) -> float:
            return _open_person_years(_kannisto(level, slope, old_ages)) - target

        low, high = log_a - 40.0, log_a + 40.0
        if mismatch(low) > 0 > mismatch(high):
            from scipy.optimize import brentq  # imported here: `import carefacility` stays fast

            log_a = brentq(mismatch, low, high, xtol=1e-12)
        else:
            warnings.warn(
                f"open-group death rate {nmx[-1]:.4g} cannot be matched by a Kannisto tail "
                "(it must be below about 1 per person-year); the fitted level is kept",
                RuntimeWarning,
                stacklevel=3,
            )
    tail = _kannisto(log_a, slope, old_ages)
    if open_start == 0:
        return tail
    young = _calibrated_young_rates(nmx, starts)
    return np.concatenate([young, tail])


def _calibrated_young_rates(nmx: np.ndarray, starts: np.ndarray) -> np.ndarray:
    """Single-year rates below the open age whose life-table group rates ndx/nLx equal nMx."""
    open_start = int(starts[-1])
    widths = np.diff(starts).astype(np.float64)
    knots = starts + np.append(widths, widths[-1] if widths.size else 1.0) / 2.0
    first = 1 if widths.size and starts[0] == 0 and widths[0] == 1.0 else 0
    if starts.size - first < 2:
        raise ValueError("at least two age groups besides age 0 are needed to interpolate rates")
    log_knots = np.log(nmx[first:])
    x = np.arange(open_start, dtype=np.float64) + 0.5
    group_of_age = np.searchsorted(starts, np.arange(open_start), side="right") - 1
    adjusted = np.arange(first, starts.size - 1)  # closed groups, infants excluded
    for _ in range(200):
        mx = np.exp(_piecewise_linear(knots[first:], log_knots, x))
        if first:
            mx[0] = nmx[0]
        # single-year table (ax = 0.5) within each group: relative l, L and d = m L
        qx = mx / (1.0 + 0.5 * mx)
        lx = np.concatenate([[1.0], np.cumprod(1.0 - qx)[:-1]])
        person_years = lx * (1.0 - 0.5 * qx)
        implied = np.bincount(group_of_age, mx * person_years, minlength=starts.size - 1)
        implied /= np.bincount(group_of_age, person_years, minlength=starts.size - 1)
        log_ratio = np.log(nmx[adjusted] / implied[adjusted])
        if np.max(np.abs(log_ratio)) < 1e-12:
            break
        log_knots[adjusted - first] += log_ratio
    else:
        warnings.warn(
            "single-year death rates did not reproduce every group rate to 1e-12 after 200 "
            f"iterations (largest relative miss {np.max(np.abs(log_ratio)):.2g})",
            RuntimeWarning,
            stacklevel=4,
        )
    return mx


def single_year_mx(
    nmx: np.ndarray,
    age_starts: Sequence[int] | np.ndarray,
    *,
    max_age: int = MAX_AGE,
    fit_from_age: int = 80,
    calibrate_open: bool = True,
) -> np.ndarray:
    """Single-year central death rates 0..max_age from rates by age group.

    Parameters
    ----------
    nmx : array_like, shape (..., G)
        Central death rates by group [per person-year], groups ``0, 1-4, 5-9, ...`` and an open
        last group (e.g. 100+ in WPP, 85+ in older tables); all ``> 0``.
    age_starts : sequence of int, length G
        First age of each group [years].
    max_age : int
        Last age of the result [years]; entry ``max_age`` is treated as the open group
        ``max_age``+ by :func:`single_year_life_table`.
    fit_from_age : int
        Closed groups starting at or above this age [years] are used to fit the old-age slope
        (if fewer than two, the last three closed groups, e.g. 70-84 for a table ending 85+).
    calibrate_open : bool
        Set the level of the old-age curve so that the open group's death rate is reproduced.

    Returns
    -------
    ndarray, shape (..., max_age + 1)
        Single-year death rates [per person-year].

    Notes
    -----
    * Age 0 keeps the group rate ``1m0``.
    * Ages 1 to the start of the open group minus one: ``log m`` is piecewise linear between
      knots at the group midpoints (as in
      :func:`~carefacility.population.graduation.graduate_rates`; the open group's knot sits at
      its start plus half the preceding width, e.g. 102.5 for 100+). The knot values are then
      adjusted by fixed-point iteration until every closed group's life-table rate
      ``sum(d) / sum(L)`` of the single-year table (``ax = 0.5``) equals the given ``nMx`` to
      1e-12 (relative). This is how WPP's abridged rates are defined, so the single-year table
      reproduces them exactly; plain interpolation through the midpoints would overstate the
      rate of convex stretches (e.g. 5-9 by 8 %).
    * From the start of the open group to ``max_age``: the Kannisto model
      ``m(x) = a e^{bx} / (1 + a e^{bx})`` (Thatcher, Kannisto & Vaupel 1998), with slope ``b``
      from a least-squares line through ``logit(nMx)`` at the midpoints of the closed groups from
      ``fit_from_age`` (80-84 ... 95-99 for WPP). The level ``a`` is then set so that the
      single-year life table above the open age has ``T(open) / l(open) = 1 / M(open)``: the
      open group's published rate is reproduced exactly, as in the abridged table's
      ``L = l / M``. If no level can do that (open rate near or above 1), the fitted level is kept
      and a ``RuntimeWarning`` is issued.
    """
    nmx = _check_mx(nmx, "nmx")
    starts = np.asarray(age_starts, dtype=np.int64)
    if starts.ndim != 1 or starts.size != nmx.shape[-1]:
        raise ValueError(f"age_starts must give one start per group ({nmx.shape[-1]})")
    if starts[0] != 0 or np.any(np.diff(starts) <= 0):
        raise ValueError(f"age_starts must start at 0 and increase, got {starts.tolist()}")
    if np.any(nmx <= 0):
        raise ValueError("nmx must be > 0 at every age to be interpolated on the log scale")
    if max_age <= starts[-1]:
        raise ValueError(f"max_age ({max_age}) must exceed the open group's start ({starts[-1]})")
    out = np.empty((*nmx.shape[:-1], max_age + 1))
    for index in np.ndindex(nmx.shape[:-1]):
        out[index] = _single_year_mx_1d(nmx[index], starts, max_age, fit_from_age, calibrate_open)
    return out


def stationary_tail_weights(mx_single: np.ndarray, open_start: int) -> np.ndarray:
    """Shares of a stationary population at ages ``open_start..99`` and 100+ within ``open_start``+.

    These are the standard weights for splitting an open age group (e.g. 85+) into single years:
    ``L[x] / T[open_start]`` for ``x = open_start..99`` and ``T[100] / T[open_start]`` for 100+.

    Parameters
    ----------
    mx_single : array_like, shape (..., A)
        Single-year death rates with ``A > 101`` (see :func:`single_year_mx`) [per person-year].
    open_start : int
        First age of the open group to split [years], ``0 <= open_start <= 100``.

    Returns
    -------
    ndarray, shape (..., 101 - open_start)
        Non-negative weights summing to 1 — pass them to
        :func:`~carefacility.population.graduation.graduate_counts` as ``open_tail_weights``.
    """
    mx = _check_mx(mx_single, "mx_single")
    if not 0 <= open_start <= OPEN_AGE:
        raise ValueError(f"open_start must be between 0 and {OPEN_AGE}, got {open_start}")
    if mx.shape[-1] <= N_AGES:
        raise ValueError(f"mx_single must extend beyond age {OPEN_AGE} (got {mx.shape[-1]} ages)")
    table = single_year_life_table(mx)
    parts = np.concatenate(
        [table.Lx[..., open_start:OPEN_AGE], table.Tx[..., OPEN_AGE:N_AGES]], axis=-1
    )
    return parts / table.Tx[..., open_start : open_start + 1]


# --------------------------------------------------------------------------------------------
# survival ratios for an annual cohort-component projection
# --------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class SurvivalSchedule:
    """Annual survival ratios of a cohort-component projection with ages 0..99 and 100+.

    All three arrays share the same leading shape: ``(T, 2)`` (years × sex) for
    :func:`carefacility.population.cohort_component.project`, or any shape produced by
    :func:`projection_survival`.

    Attributes
    ----------
    survival_to_next : ndarray, shape (..., 100)
        Entry ``x``: share of people aged ``x`` at the start of the year alive one year later
        (then aged ``x + 1``), ``L[x+1] / L[x]``. Entry 99 is the survival of age 99 into the
        open group 100+, ``L[100] / L[99]``. (``open_age`` entries in general; the engine uses
        100.)
    survival_open : ndarray, shape (...)
        Share of the open group 100+ alive one year later (still 100+), ``T[101] / T[100]``.
    birth_survival : ndarray, shape (...)
        Share of the year's births alive at its end (aged 0), ``L[0] / l[0]``.
    """

    survival_to_next: np.ndarray
    survival_open: np.ndarray
    birth_survival: np.ndarray

    def __post_init__(self) -> None:
        arrays = {
            "survival_to_next": np.asarray(self.survival_to_next, dtype=np.float64),
            "survival_open": np.asarray(self.survival_open, dtype=np.float64),
            "birth_survival": np.asarray(self.birth_survival, dtype=np.float64),
        }
        lead = arrays["survival_to_next"].shape[:-1]
        if arrays["survival_to_next"].ndim < 1 or arrays["survival_to_next"].shape[-1] < 1:
            raise ValueError("survival_to_next must have an age axis")
        for name in ("survival_open", "birth_survival"):
            if arrays[name].shape != lead:
                raise ValueError(
                    f"{name} must have shape {lead} (the leading shape of survival_to_next), "
                    f"got {arrays[name].shape}"
                )
        for name, values in arrays.items():
            if not np.all(np.isfinite(values)) or np.any((values < 0) | (values > 1)):
                raise ValueError(f"{name} must lie between 0 and 1")
            object.__setattr__(self, name, values)

    @property
    def shape(self) -> tuple[int, ...]:
        """Leading shape shared by the arrays (e.g. ``(T, 2)``)."""
        return self.survival_to_next.shape[:-1]

    def as_array(self) -> np.ndarray:
        """Ratios for ages 0..100 on one axis: ``[..., :100]`` to the next age, ``[..., 100]``
        within the open group (shape ``(..., 101)``)."""
        return np.concatenate([self.survival_to_next, self.survival_open[..., None]], axis=-1)

    def repeat(self, n_years: int) -> SurvivalSchedule:
        """The same schedule for each of ``n_years`` years (a new leading axis)."""
        return SurvivalSchedule(
            survival_to_next=np.repeat(self.survival_to_next[None], n_years, axis=0),
            survival_open=np.repeat(self.survival_open[None], n_years, axis=0),
            birth_survival=np.repeat(self.birth_survival[None], n_years, axis=0),
        )


def projection_survival(
    mx_single: np.ndarray,
    *,
    open_age: int = OPEN_AGE,
    sex: Sex = None,
    a0_rule: A0Rule = "coale_demeny",
) -> SurvivalSchedule:
    """Survival ratios for an annual projection from single-year death rates.

    Parameters
    ----------
    mx_single : array_like, shape (..., A)
        Single-year death rates to age ``A - 1`` (open), ``A - 1 > open_age``, normally
        :func:`single_year_mx` with ``max_age = 130`` so that the open group's survival reflects
        mortality above 100 [per person-year].
    open_age : int
        First age of the projection's open group [years]; the engine uses 100.
    sex, a0_rule
        ``1a0`` of the life table (:func:`infant_separation_factors`); affects ``L[0]``.

    Returns
    -------
    SurvivalSchedule
        With leading shape ``mx_single.shape[:-1]``. For ages ``x < open_age``:
        ``S[x] = L[x+1] / L[x]``; the open group: ``T[open+1] / T[open]``; births:
        ``L[0] / l[0]``. The projection then gives ``P[100](t+1) = P[99](t) L100/L99 +
        P[100+](t) T101/T100``, which reproduces a stationary population exactly.
    """
    mx = _check_mx(mx_single, "mx_single")
    if mx.shape[-1] < open_age + 2:
        raise ValueError(
            f"mx_single must reach beyond the open age {open_age} (got ages 0..{mx.shape[-1] - 1})"
        )
    table = single_year_life_table(mx, sex=sex, a0_rule=a0_rule)
    person_years = table.Lx
    total = table.Tx
    to_next = person_years[..., 1 : open_age + 1] / person_years[..., :open_age]
    within_open = total[..., open_age + 1] / total[..., open_age]
    return SurvivalSchedule(
        survival_to_next=to_next,
        survival_open=within_open,
        birth_survival=person_years[..., 0] / table.lx[..., 0],
    )


def apply_mortality_improvement(
    mx: np.ndarray, rate_per_year: np.ndarray | float, years: np.ndarray | float
) -> np.ndarray:
    """Death rates after a constant annual improvement: ``mx * (1 - rate_per_year) ** years``.

    Parameters
    ----------
    mx : array_like
        Death rates [per person-year].
    rate_per_year : array_like
        Relative decline per year [fraction/year], ``< 1`` (negative = deterioration); may vary
        by age.
    years : array_like
        Years elapsed since the rates ``mx`` applied [years].

    Returns
    -------
    ndarray
        Improved rates; all inputs broadcast together (give ``years[:, None]`` for one row per
        year).
    """
    mx = np.asarray(mx, dtype=np.float64)
    rate = np.asarray(rate_per_year, dtype=np.float64)
    years = np.asarray(years, dtype=np.float64)
    if np.any(rate >= 1):
        raise ValueError("rate_per_year must be below 1 (a 100 % yearly decline is impossible)")
    return mx * (1.0 - rate) ** years
