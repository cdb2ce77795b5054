"""Local mortality: fit a standard schedule of death rates to a place's life expectancy at birth.

Sources publish death rates by age for countries (UN WPP) but often only life expectancy at birth
``e0`` by sex for a city or district. This module moves a standard schedule (the scenario's nMx
table, e.g. China's WPP rates) to the level of a published ``e0`` with a one-parameter
relational model, and applies the fitted level to every period of the standard so that the
standard's improvement over time is continued (or follows a given ``e0`` path).

Method
------
**Brass relational logit with slope** ``beta = 1`` (the default, ``"brass_logit"``). With the
logit of the life table's survivors ``Y(x) = ½ ln((1 − l(x)) / l(x))`` at the group boundaries
``x = 1, 5, 10, ..., 100`` (``l(0) = 1``)::

    Y_local(x) = alpha + Y_standard(x)

i.e. the odds of having died by age ``x`` are multiplied by ``exp(2 alpha)`` at every age
(Brass 1971; Preston, Heuveline & Guillot 2001, sec. 9.3). One equation (``e0`` of the fitted
table = the target) fixes the one unknown ``alpha`` for each sex; ``alpha = 0`` is the standard,
``alpha < 0`` lower mortality. It is the method chosen here (the default of every function):

- it is the classic relational model when only a summary of the level such as ``e0`` is known:
  one parameter, the place's own country as the standard, and a proper life table for any
  target from 20 to 100 years;
- a shift of the logit changes mortality in the proportions typical of life tables of different
  levels: a nearly constant relative change up to middle age (where ``1 − l(x)`` is small and is
  scaled like its odds), smaller relative changes above, and rates that approach the standard's
  where few survivors are left (the local hazard is the standard's times
  ``(1 − l_local(x)) / (1 − l_standard(x))``). Relative differences in death rates between
  populations narrow with age; Chinese and Western rates meet after about age 97 (Zeng & Vaupel
  2003). One factor on every rate (proportional hazards) cannot show that narrowing; WPP's own
  tables of lower mortality for China do (their ratios to the 2020-2025 rates rise with age
  above 60).

Its weakness is the other side of the second point: in low-mortality populations much of a
place's advantage lies at ages 60-95 (Shanghai's ``e0`` gains since 1973 came mostly from the
elderly, BMC Public Health 2018), and slope ``beta = 1`` moves little there. A check on the
standard itself: China's WPP 2024 rates of 2020-2025 fitted to the ``e0`` of WPP's own
2050-2055 rates (81.98 men, 85.58 women, about Shanghai's 2020 level) give ``e80`` 0.87 (men)
and 0.48 (women) years *below* that of WPP's 2050-2055 table with the Brass logit, and 0.79 and
0.54 years *above* it with proportional hazards; survival to 80 is within 0.02 of WPP's with
both. The two methods bracket old-age mortality, and the number of people aged 80+ depends on
it: where that number matters, run both.

**Proportional hazards** (``"proportional_hazards"``) is offered for that sensitivity:
``nMx_local = k · nMx_standard`` at every age, one ``k`` per sex (``level = ln k``). It keeps
the standard's relative age pattern of risk and lowers old-age rates as much as young ones.

The fitted groups: ``nqx = 1 − l(x+n) / l(x)`` from the transformed ``l``, converted to ``nMx``
with the ``nax`` of the fitted rates' own abridged life table
(:func:`~carefacility.population.lifetable.abridged_life_table`, found by fixed-point
iteration), so that the fitted rates' life table has exactly the Brass logits. The open group
(100+ in WPP): the standard's table assumes a constant rate ``M`` above its start; applying the
same logit shift to that exponential survival curve and integrating gives, with
``c = exp(2 alpha)`` and ``z = l_standard(open) (1 − c) / c``::

    M_local = M · z / ((1 + z) ln(1 + z))      (= M when alpha = 0)

e0 of a rate schedule is that of
:func:`~carefacility.population.lifetable.abridged_life_table` with the sex-specific
``1a0``/``4a1`` (there is no second life table here). The level is found by Brent's bracketing
root finder to about 1e-10 years and the fit is refused (``ValueError``) if it misses the
target by :data:`E0_TOLERANCE` or more.

Over time
---------
A published ``e0`` of calendar year ``Y`` describes the period life table of that year, centred
on 1 July: decimal year ``Y + 0.5`` (:data:`E0_TIME_OFFSET`). The projection interpolates the
rates log-linearly between period midpoints (flat outside). With one year,
:func:`fit_periods_to_e0` finds the single level per sex that, applied to *every* period, makes
the interpolated rates at ``Y + 0.5`` reproduce the target exactly; the standard's improvement
from period to period is thus carried over at the local level (the same logit shift, or the
same factor, in every period). With a path ``{year: e0}``, each period whose midpoint lies
between the path's first and last year is fitted to the ``e0`` interpolated linearly at its
midpoint; the periods before the first (after the last) year share one level, set so that the
interpolated rates reproduce the first (last) year's ``e0`` exactly (if some period lies before
it, resp. after it), and the standard's improvement continues beyond the path. Years strictly
inside the path are matched through the interpolation between periods only (to about 0.1
years when the path is denser than the periods).

References
----------
Brass, W. (1971). On the scale of mortality. In W. Brass (ed.), *Biological Aspects of
Demography*, Taylor & Francis, 69–110.
BMC Public Health (2018). Understanding the rapid increase in life expectancy in Shanghai,
China: a population-based retrospective analysis. doi:10.1186/s12889-018-5112-7.
Preston, S. H., Heuveline, P., Guillot, M. (2001). *Demography: Measuring and Modeling
Population Processes*, Blackwell, sec. 9.3 (the relational logit model).
Zeng, Y., Vaupel, J. W. (2003). Oldest-old mortality in China. *Demographic Research* 8(7):
215–244.
"""

from __future__ import annotations

import hashlib
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import Literal

import numpy as np

from carefacility.population.lifetable import A0Rule, Sex, abridged_life_table, nqx_to_nmx

__all__ = [
    "E0_RANGE",
    "E0_TIME_OFFSET",
    "E0_TOLERANCE",
    "FIT_METHODS",
    "FitMethod",
    "PeriodFit",
    "apply_level",
    "fit_level",
    "fit_periods_to_e0",
    "fit_to_e0",
    "life_expectancy",
    "rates_at",
    "relational_rates",
]

FitMethod = Literal["brass_logit", "proportional_hazards"]
FIT_METHODS: tuple[str, ...] = ("brass_logit", "proportional_hazards")
"""The relational models :func:`relational_rates` knows."""

E0_RANGE = (20.0, 100.0)
"""Targets of life expectancy at birth that are accepted [years]."""

E0_TOLERANCE = 0.005
"""Largest accepted miss between the fitted and the target e0 [years]."""

E0_TIME_OFFSET = 0.5
"""The e0 of calendar year ``Y`` applies at decimal year ``Y + 0.5`` (1 July) [years]."""

_LEVEL_LIMIT = 20.0
_AX_ITERATIONS = 200


def _starts(age_starts: Sequence[int] | np.ndarray, n_groups: int) -> np.ndarray:
    starts = np.asarray(age_starts, dtype=np.int64)
    if starts.ndim != 1 or starts.size != n_groups or starts.size < 3:
        raise ValueError(f"age_starts must give one start per group ({n_groups}, at least 3)")
    return starts


def _standard(nmx_standard: np.ndarray | Sequence[float]) -> np.ndarray:
    nmx = np.asarray(nmx_standard, dtype=np.float64)
    if nmx.ndim < 1 or not np.all(np.isfinite(nmx)) or np.any(nmx <= 0):
        raise ValueError("the standard's death rates must be finite and > 0 at every age "
                         "[deaths per person-year]")
    return nmx


def life_expectancy(nmx: np.ndarray, age_starts: Sequence[int] | np.ndarray, *,
                    sex: Sex = None, a0_rule: A0Rule = "coale_demeny") -> np.ndarray:
    """Life expectancy at birth of death rates by age group [years].

    Parameters
    ----------
    nmx : array_like, shape (..., G)
        Central death rates ``nMx`` [deaths per person-year], groups ``0, 1-4, 5-9, ...`` and an
        open last group.
    age_starts : sequence of int, length G
        First age of each group [years].
    sex : {"male", "female", None}
        Chooses the ``1a0``/``4a1`` formulas (``None`` averages them).
    a0_rule : {"coale_demeny", "andreev_kingkade", "wpp_simple"}
        See :func:`~carefacility.population.lifetable.infant_separation_factors`.

    Returns
    -------
    numpy.ndarray, shape (...)
        ``e0`` of :func:`~carefacility.population.lifetable.abridged_life_table` [years].
    """
    return abridged_life_table(nmx, age_starts, sex=sex, a0_rule=a0_rule).e0


def _open_factor(z: np.ndarray) -> np.ndarray:
    """``z / ((1 + z) ln(1 + z))``: 1 at ``z = 0``, decreasing in ``z > -1``."""
    small = np.abs(z) < 1e-8
    safe = np.where(small, 1.0, z)
    with np.errstate(divide="ignore", invalid="ignore"):
        exact = safe / ((1.0 + safe) * np.log1p(safe))
    return np.where(small, 1.0 - z / 2.0, exact)


def _brass_rates(nmx: np.ndarray, starts: np.ndarray, level: np.ndarray, sex: Sex,
                 a0_rule: A0Rule) -> np.ndarray:
    standard = abridged_life_table(nmx, starts, sex=sex, a0_rule=a0_rule)
    lx = standard.lx
    if not np.all(lx > 1e-300):
        raise ValueError("the standard's life table has no survivors before its open age group; "
                         "the Brass logit needs l(x) > 0 (use proportional_hazards)")
    c = np.exp(2.0 * level)[..., None]
    odds = (1.0 - lx) / lx  # exp(2 Y(x)); 0 at age 0
    widths = np.diff(starts).astype(np.float64)
    # l(x) = 1 / (1 + odds(x) c), so 1 - l(x+n) / l(x) without cancellation when c is small:
    q_fit = (odds[..., 1:] - odds[..., :-1]) * c / (1.0 + odds[..., 1:] * c)
    q_fit = np.clip(q_fit, 1e-300, 1.0 - 1e-15)
    z = lx[..., -1] * (1.0 - c[..., 0]) / c[..., 0]
    open_rate = nmx[..., -1] * _open_factor(z)
    open_rate = open_rate[..., None]

    def update(log_closed: np.ndarray) -> np.ndarray:
        # rates of the closed groups from q_fit and the nax of the current rates' life table
        fitted = np.concatenate([np.exp(log_closed), open_rate], axis=-1)
        ax = abridged_life_table(fitted, starts, sex=sex, a0_rule=a0_rule).ax[..., :-1]
        return np.log(nqx_to_nmx(q_fit, widths, np.clip(ax, 1e-6, widths)))

    # fixed point in log nMx; each step is accelerated by Aitken's delta-squared where the two
    # differences shrink geometrically (the map is smooth and contracting, about 0.5 a step)
    current = np.log(nqx_to_nmx(q_fit, widths, standard.ax[..., :-1]))
    for _ in range(_AX_ITERATIONS):
        once = update(current)
        first = once - current
        if np.max(np.abs(first)) < 1e-12:
            current = once
            break
        twice = update(once)
        second = twice - once
        curvature = second - first
        with np.errstate(divide="ignore", invalid="ignore"):
            ratio = second / first
            accelerated = twice - second * second / curvature
        use = (np.abs(ratio) < 0.9) & np.isfinite(accelerated)
        current = np.where(use, accelerated, twice)
    return np.concatenate([np.exp(current), open_rate], axis=-1)


def relational_rates(nmx_standard: np.ndarray, age_starts: Sequence[int] | np.ndarray,
                     level: float | np.ndarray, *, method: FitMethod = "brass_logit",
                     sex: Sex = None, a0_rule: A0Rule = "coale_demeny") -> np.ndarray:
    """Death rates at a given level relative to a standard schedule.

    Parameters
    ----------
    nmx_standard : array_like, shape (..., G)
        The standard's central death rates ``nMx`` [deaths per person-year], all ``> 0``.
    age_starts : sequence of int, length G
        First age of each group [years]: ``0, 1, 5, 10, ...``, the last group open.
    level : float or array_like, shape (...)
        ``alpha`` of the Brass logit model, or ``ln k`` for proportional hazards
        [dimensionless]; 0 gives the standard, negative values lower mortality.
    method : {"brass_logit", "proportional_hazards"}
        The relational model (see the module notes).
    sex : {"male", "female", None}
        ``1a0``/``4a1`` of the life tables (Brass logit only).
    a0_rule : {"coale_demeny", "andreev_kingkade", "wpp_simple"}
        See :func:`~carefacility.population.lifetable.infant_separation_factors`.

    Returns
    -------
    numpy.ndarray, shape (..., G)
        The related schedule [deaths per person-year]; every rate decreases strictly as
        ``level`` decreases.
    """
    nmx = _standard(nmx_standard)
    starts = _starts(age_starts, nmx.shape[-1])
    level = np.broadcast_to(np.asarray(level, dtype=np.float64), nmx.shape[:-1])
    if not np.all(np.isfinite(level)):
        raise ValueError("level must be finite")
    if method == "proportional_hazards":
        return nmx * np.exp(level)[..., None]
    if method == "brass_logit":
        return _brass_rates(nmx, starts, level, sex, a0_rule)
    raise ValueError(f"method must be one of {', '.join(FIT_METHODS)}, got {method!r}")


def _solve_level(schedule: Callable[[float], np.ndarray], starts: np.ndarray, e0_target: float,
                 *, sex: Sex, a0_rule: A0Rule, tolerance: float) -> float:
    low, high = E0_RANGE
    if not (np.isfinite(e0_target) and low <= e0_target <= high):
        raise ValueError(f"target e0 {e0_target:g} is outside {low:g} to {high:g} years")

    def miss(level: float) -> float:
        return float(life_expectancy(schedule(level), starts, sex=sex, a0_rule=a0_rule))\
            - e0_target

    left, right = -1.0, 1.0
    miss_left, miss_right = miss(left), miss(right)
    # e0 falls as the level rises: widen the bracket until it holds the target
    while miss_left < 0 and left > -_LEVEL_LIMIT:
        right, miss_right = left, miss_left
        left = max(2.0 * left, -_LEVEL_LIMIT)
        miss_left = miss(left)
    while miss_right > 0 and right < _LEVEL_LIMIT:
        left, miss_left = right, miss_right
        right = min(2.0 * right, _LEVEL_LIMIT)
        miss_right = miss(right)
    if not (miss_left >= 0 >= miss_right):
        raise ValueError(f"no level of the standard gives e0 = {e0_target:g} years (levels "
                         f"{left:g} to {right:g} give {miss_left + e0_target:.2f} to "
                         f"{miss_right + e0_target:.2f} years)")
    from scipy.optimize import brentq  # imported here: `import carefacility` stays fast

    level = float(brentq(miss, left, right, xtol=1e-12, rtol=1e-14, maxiter=200))
    error = miss(level)
    if abs(error) >= tolerance:
        raise ValueError(f"the fit misses the target e0 {e0_target:g} by {error:.4f} years "
                         f"(tolerance {tolerance:g})")
    return level


def fit_level(nmx_standard: np.ndarray, age_starts: Sequence[int] | np.ndarray,
              e0_target: float, *, method: FitMethod = "brass_logit", sex: Sex = None,
              a0_rule: A0Rule = "coale_demeny", tolerance: float = E0_TOLERANCE) -> float:
    """The level of a relational model that gives a standard schedule a target e0.

    Parameters
    ----------
    nmx_standard : array_like, shape (G,)
        The standard's central death rates [deaths per person-year], one sex.
    age_starts : sequence of int, length G
        First age of each group [years].
    e0_target : float
        Life expectancy at birth to reproduce [years], within :data:`E0_RANGE`.
    method : {"brass_logit", "proportional_hazards"}
        The relational model.
    sex : {"male", "female", None}
        Sex of the schedule (``1a0``/``4a1`` of its life tables).
    a0_rule : {"coale_demeny", "andreev_kingkade", "wpp_simple"}
        See :func:`~carefacility.population.lifetable.infant_separation_factors`.
    tolerance : float
        Largest accepted ``|e0_fit - e0_target|`` [years].

    Returns
    -------
    float
        ``alpha`` (Brass) or ``ln k`` (proportional hazards) [dimensionless].

    Raises
    ------
    ValueError
        If the target is outside :data:`E0_RANGE`, or no level reaches it within ``tolerance``.
    """
    nmx = _standard(nmx_standard)
    if nmx.ndim != 1:
        raise ValueError("fit_level takes one schedule (shape (G,)); loop over sexes and periods")
    starts = _starts(age_starts, nmx.size)
    return _solve_level(
        lambda level: relational_rates(nmx, starts, level, method=method, sex=sex,
                                       a0_rule=a0_rule),
        starts, e0_target, sex=sex, a0_rule=a0_rule, tolerance=tolerance)


def fit_to_e0(nmx_standard: np.ndarray, age_starts: Sequence[int] | np.ndarray,
              e0_target: float, *, method: FitMethod = "brass_logit", sex: Sex = None,
              a0_rule: A0Rule = "coale_demeny", tolerance: float = E0_TOLERANCE) -> np.ndarray:
    """The standard schedule moved to a target life expectancy at birth.

    Parameters are those of :func:`fit_level`.

    Returns
    -------
    numpy.ndarray, shape (G,)
        Fitted central death rates [deaths per person-year]; their abridged life table has
        ``e0`` within ``tolerance`` of ``e0_target``.
    """
    level = fit_level(nmx_standard, age_starts, e0_target, method=method, sex=sex,
                      a0_rule=a0_rule, tolerance=tolerance)
    return relational_rates(nmx_standard, age_starts, level, method=method, sex=sex,
                            a0_rule=a0_rule)


def rates_at(nmx_periods: np.ndarray, midpoints: np.ndarray, time: float) -> np.ndarray:
    """Rates at a decimal year, log-linear between period midpoints and flat outside.

    This is the interpolation of :func:`carefacility.population.projection.project_population`.

    Parameters
    ----------
    nmx_periods : array_like, shape (P, ...)
        Death rates by period [deaths per person-year], all ``> 0``.
    midpoints : array_like, shape (P,)
        Increasing period midpoints [decimal year]; a single ``nan`` for a timeless table.
    time : float
        Decimal year.

    Returns
    -------
    numpy.ndarray, shape nmx_periods.shape[1:]
    """
    values = np.asarray(nmx_periods, dtype=np.float64)
    keys = np.asarray(midpoints, dtype=np.float64)
    if keys.size == 1 or np.isnan(keys[0]):
        return values[0].copy()
    logs = np.log(np.maximum(values, 1e-12)).reshape(keys.size, -1)
    out = np.array([np.interp(time, keys, logs[:, j]) for j in range(logs.shape[1])])
    return np.exp(out).reshape(values.shape[1:])


def apply_level(nmx_periods: np.ndarray, age_starts: Sequence[int] | np.ndarray,
                levels: np.ndarray, *, method: FitMethod = "brass_logit",
                a0_rule: A0Rule = "coale_demeny") -> np.ndarray:
    """Apply levels by sex (and optionally by period) to a standard table by period and sex.

    Parameters
    ----------
    nmx_periods : array_like, shape (P, 2, G)
        The standard [deaths per person-year]; axis 1 is (male, female).
    age_starts : sequence of int, length G
        First age of each group [years].
    levels : array_like, shape (2,) or (P, 2)
        ``alpha`` or ``ln k`` by sex [dimensionless]; shape (2,) applies the same level to every
        period, which continues the standard's improvement over time.
    method, a0_rule
        As in :func:`relational_rates`.

    Returns
    -------
    numpy.ndarray, shape (P, 2, G)
    """
    values = _standard(nmx_periods)
    if values.ndim != 3 or values.shape[1] != 2:
        raise ValueError("nmx_periods must have shape (periods, 2 sexes, groups)")
    levels = np.broadcast_to(np.asarray(levels, dtype=np.float64), values.shape[:2])
    out = np.empty_like(values)
    for s, sex in enumerate(("male", "female")):
        out[:, s] = relational_rates(values[:, s], age_starts, levels[:, s], method=method,
                                     sex=sex, a0_rule=a0_rule)
    return out


def _neighbours(keys: np.ndarray, time: float) -> tuple[int, int, float]:
    """Periods around ``time`` and the weight of the later one, as :func:`rates_at` uses them."""
    if keys.size == 1 or np.isnan(keys[0]) or time <= keys[0]:
        return 0, 0, 0.0
    if time >= keys[-1]:
        return keys.size - 1, keys.size - 1, 0.0
    after = int(np.searchsorted(keys, time, side="right"))
    before = after - 1
    return before, after, float((time - keys[before]) / (keys[after] - keys[before]))


def _anchor_level(values: np.ndarray, keys: np.ndarray, starts: np.ndarray, time: float,
                  target: float, group: np.ndarray, known: np.ndarray, *, sex: Sex,
                  method: FitMethod, a0_rule: A0Rule, tolerance: float) -> float:
    """The level of the periods in ``group`` that gives the rates interpolated at ``time`` the
    e0 ``target``; the other periods keep their ``known`` levels. ``values``: (P, G)."""
    before, after, weight = _neighbours(keys, time)
    fixed = {index: relational_rates(values[index], starts, known[index], method=method,
                                     sex=sex, a0_rule=a0_rule)
             for index in {before, after} if not group[index]}

    def rates(index: int, level: float) -> np.ndarray:
        if index in fixed:
            return fixed[index]
        return relational_rates(values[index], starts, level, method=method, sex=sex,
                                a0_rule=a0_rule)

    def schedule(level: float) -> np.ndarray:
        low = rates(before, level)
        if weight == 0.0:
            return low
        return np.exp((1 - weight) * np.log(low) + weight * np.log(rates(after, level)))

    return _solve_level(schedule, starts, target, sex=sex, a0_rule=a0_rule, tolerance=tolerance)


def _levels_one_sex(values: np.ndarray, keys: np.ndarray, starts: np.ndarray, times: np.ndarray,
                    targets: np.ndarray, *, sex: Sex, method: FitMethod, a0_rule: A0Rule,
                    tolerance: float) -> np.ndarray:
    """Levels by period (P,) for one sex; see :func:`fit_periods_to_e0`."""
    options = {"sex": sex, "method": method, "a0_rule": a0_rule, "tolerance": tolerance}
    levels = np.zeros(keys.size)
    if times.size == 1:
        everything = np.ones(keys.size, dtype=bool)
        return levels + _anchor_level(values, keys, starts, times[0], targets[0], everything,
                                      levels, **options)  # type: ignore[arg-type]
    first, last = keys <= times[0], keys >= times[-1]
    for p in np.flatnonzero(~first & ~last):
        levels[p] = fit_level(values[p], starts, float(np.interp(keys[p], times, targets)),
                              **options)  # type: ignore[arg-type]
    # the periods before the first (after the last) year: the level that gives that year's e0;
    # when no period lies inside the path, the rates at both ends mix the two groups: alternate
    # to the fixed point (the interpolation weights make this a contraction)
    anchors = [(time, target, group) for time, target, group in
               ((times[0], targets[0], first), (times[-1], targets[-1], last))
               if group[list(_neighbours(keys, time)[:2])].any()]
    for time, target, group in anchors:
        levels[group] = _anchor_level(values, keys, starts, time, target, group, levels,
                                      **options)  # type: ignore[arg-type]
    if len(anchors) == 2 and not (~first & ~last).any():
        # no period inside the path: the rates at both ends mix the two groups' levels; solve
        # the two equations together, from the one-at-a-time levels above
        def misses(pair: np.ndarray) -> np.ndarray:
            trial = np.where(first, pair[0], pair[1])
            return np.array([
                float(life_expectancy(rates_at(relational_rates(
                    values, starts, trial, method=method, sex=sex, a0_rule=a0_rule), keys,
                    time), starts, sex=sex, a0_rule=a0_rule)) - target
                for time, target, _group in anchors])

        from scipy.optimize import root

        solution = root(misses, np.array([levels[first][0], levels[last][0]]), method="hybr")
        if not np.all(np.abs(misses(solution.x)) < tolerance):
            raise ValueError("no levels before and after the path give both of its e0 "
                             f"({targets[0]:g} and {targets[-1]:g} years); check the path")
        levels = np.where(first, solution.x[0], solution.x[1])
    return levels


@dataclass(frozen=True)
class PeriodFit:
    """A standard table by period fitted to life expectancy at birth.

    Attributes
    ----------
    nmx : numpy.ndarray, shape (P, 2, G)
        Fitted death rates [deaths per person-year], sexes (male, female).
    level : numpy.ndarray, shape (P, 2)
        ``alpha`` (Brass logit) or ``ln k`` (proportional hazards) of each period and sex.
    e0_standard : numpy.ndarray, shape (P, 2)
        e0 of the standard's periods [years].
    e0_fitted : numpy.ndarray, shape (P, 2)
        e0 of the fitted periods [years].
    method : str
        The relational model.
    """

    nmx: np.ndarray
    level: np.ndarray
    e0_standard: np.ndarray
    e0_fitted: np.ndarray
    method: str


def fit_periods_to_e0(nmx_periods: np.ndarray, midpoints: np.ndarray,
                      age_starts: Sequence[int] | np.ndarray, years: Sequence[int],
                      e0: np.ndarray, *, method: FitMethod = "brass_logit",
                      a0_rule: A0Rule = "coale_demeny",
                      tolerance: float = E0_TOLERANCE) -> PeriodFit:
    """Fit a standard table by period to published e0 by sex at one year or along a path.

    Parameters
    ----------
    nmx_periods : array_like, shape (P, 2, G)
        The standard [deaths per person-year], sexes (male, female).
    midpoints : array_like, shape (P,)
        Increasing period midpoints [decimal year]; a single ``nan`` for a timeless table.
    age_starts : sequence of int, length G
        First age of each group [years].
    years : sequence of int, length Y
        Increasing calendar years of the targets; each applies at ``year + 0.5``.
    e0 : array_like, shape (Y, 2)
        Target life expectancy at birth [years], columns (male, female).
    method, a0_rule, tolerance
        As in :func:`fit_level`.

    Returns
    -------
    PeriodFit

    Notes
    -----
    One year: one level per sex for every period, chosen so that the rates interpolated
    log-linearly at ``year + 0.5`` (as the projection does) have exactly the target e0; the
    standard's changes between periods are kept at the local level. Several years: periods with
    midpoints inside ``(first + 0.5, last + 0.5)`` are each fitted to the e0 interpolated
    linearly at their midpoint; all earlier (later) periods share the level that gives the
    interpolated rates at the first (last) year exactly that year's e0. Years in between are
    matched only through the interpolation between periods (within about 0.1 years when the path
    is denser than the periods). A timeless table (one ``nan`` midpoint) takes one year only.
    """
    values = _standard(nmx_periods)
    keys = np.asarray(midpoints, dtype=np.float64)
    if values.ndim != 3 or values.shape[1] != 2 or keys.shape != (values.shape[0],):
        raise ValueError("nmx_periods must have shape (periods, 2, groups) with one midpoint "
                         "per period")
    starts = _starts(age_starts, values.shape[-1])
    targets = np.asarray(e0, dtype=np.float64)
    times = np.asarray(years, dtype=np.float64) + E0_TIME_OFFSET
    if times.ndim != 1 or times.size == 0 or targets.shape != (times.size, 2):
        raise ValueError("give at least one year and e0 of shape (years, 2)")
    if np.any(np.diff(times) <= 0):
        raise ValueError("years must increase")
    timeless = keys.size == 1 and np.isnan(keys[0])
    if timeless and times.size > 1:
        raise ValueError("an e0 path needs a table by period; a single table takes one year")

    # a fit is a pure function of its inputs: validating a scenario (and fuzzing one) refits the
    # same standard to the same e0 many times, so recent fits are kept (copies are returned)
    digest = hashlib.sha256()
    for part in (values, keys, np.asarray(starts, dtype=np.float64), times, targets):
        digest.update(np.ascontiguousarray(part).tobytes())
        digest.update(str(part.shape).encode())
    key = (digest.hexdigest(), method, a0_rule, float(tolerance))
    cached = _FIT_CACHE.get(key)
    if cached is not None:
        _FIT_CACHE.move_to_end(key)
        return _copy_fit(cached)
    fit = _fit_periods(values, keys, starts, times, targets, method=method, a0_rule=a0_rule,
                       tolerance=tolerance)
    _FIT_CACHE[key] = fit
    if len(_FIT_CACHE) > _FIT_CACHE_SIZE:
        _FIT_CACHE.popitem(last=False)
    return _copy_fit(fit)


_FIT_CACHE: OrderedDict[tuple[str, str, str, float], PeriodFit] = OrderedDict()
_FIT_CACHE_SIZE = 64


def _copy_fit(fit: PeriodFit) -> PeriodFit:
    return replace(fit, nmx=fit.nmx.copy(), level=fit.level.copy(),
                   e0_standard=fit.e0_standard.copy(), e0_fitted=fit.e0_fitted.copy())


def _fit_periods(values: np.ndarray, keys: np.ndarray, starts: np.ndarray, times: np.ndarray,
                 targets: np.ndarray, *, method: FitMethod, a0_rule: A0Rule,
                 tolerance: float) -> PeriodFit:
    levels = np.stack([
        _levels_one_sex(values[:, s], keys, starts, times, targets[:, s], sex=sex, method=method,
                        a0_rule=a0_rule, tolerance=tolerance)
        for s, sex in enumerate(("male", "female"))], axis=1)
    fitted = apply_level(values, starts, levels, method=method, a0_rule=a0_rule)
    e0_standard = np.stack([life_expectancy(values[:, s], starts, sex=sex, a0_rule=a0_rule)
                            for s, sex in enumerate(("male", "female"))], axis=1)
    e0_fitted = np.stack([life_expectancy(fitted[:, s], starts, sex=sex, a0_rule=a0_rule)
                          for s, sex in enumerate(("male", "female"))], axis=1)
    return PeriodFit(fitted, levels, e0_standard, e0_fitted, method)
