"""Base-year calibration of bed use: fit demand so that the first year holds the residents seen.

A scenario may state what was observed at the start (``plan.starting_state.observed``): the
residents of its care homes and, where known, the admissions of a year. This module fits the
need model to them, so that occupancy in later years is a result of need and ageing, not the
starting occupancy coming back out.

Model
-----
Residents are the care-level chain of :class:`~carefacility.need.demand.ResidentDynamics`
over the eight states (age band 60-79 / 80+, care level): level changes, turning 80, and the
two exits, death and discharge. Applicants of the base year arrive at rate ``a`` [persons per
day] by band and level (:func:`~carefacility.need.demand.bed_demand` of the first simulated
year). With the chain's transient generator ``T`` [1/day] and fundamental matrix
``N = (-T)^{-1}`` (expected days spent in each state, by the state of admission), the
stationary balance — Little's law for each state — gives the residents by state ``x = a N``
[persons]; their sum is ``Σ_c a_c × stay_c``, arrivals times mean stay.

Fit (:func:`fit_base_year`)
---------------------------
* **Residents only**: one multiplier ``m`` on the application rates of every level and age
  (applications of the base year are ``m a``): ``m = R / Σ_c a_c stay_c``, so that the
  stationary residents equal the observed residents ``R``.
* **Residents and admissions** ``A`` [persons per year]: ``m = A / (365 Σ_c a_c)`` (ASSUMPTION:
  admissions ≈ applications, true while beds stand free) and one multiplier ``k`` on the
  discharge rates of every level, found by bisection so that ``Σ_c m a_c stay_c(k) = R``. No
  ``k ≥ 0`` exists when ``R / A`` exceeds the mean stay with no discharges at all; that is an
  error (the observed stock cannot be produced by that flow in this model).

The stationary balance treats the base year as being in equilibrium with its own demand. The
bed simulation starts from the stated starting state; :func:`mean_residents_over` gives the
deterministic mean residents over the first year from that start (no capacity limit), the
figure a simulation's first-year mean occupied beds should reproduce.

Only numpy, the need stage's own modules and the batched matrix exponential of
:mod:`carefacility.queueing.matrix_exponential` are used; nothing here reads a scenario.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike

from carefacility.need.demand import DAYS_PER_YEAR, ResidentDynamics
from carefacility.need.levels import LEVELS, LevelRates
from carefacility.need.spec import NeedSpec
from carefacility.queueing.matrix_exponential import matrix_exponential

__all__ = [
    "BaseYearFit",
    "calibrated_need_spec",
    "fit_base_year",
    "mean_residents_over",
    "occupation_days",
    "stationary_residents",
    "transient_generator",
]

_N = len(LEVELS)
_STATES = 2 * _N  # (band, level), band-major


def transient_generator(dynamics: ResidentDynamics, discharge_multiplier: float = 1.0
                        ) -> np.ndarray:
    """Generator of the residents' chain restricted to the living, in-care states.

    Parameters
    ----------
    dynamics : ResidentDynamics
    discharge_multiplier : float
        Factor on ``dynamics.discharge_rate_per_day`` [-], ≥ 0.

    Returns
    -------
    numpy.ndarray, shape (8, 8)
        States ``band × 4 + level`` (band 0 = 60-79, 1 = 80+) [1/day]; rows sum to minus the
        exit rate (death + discharge).
    """
    if not (math.isfinite(discharge_multiplier) and discharge_multiplier >= 0):
        raise ValueError(f"discharge_multiplier must be finite and ≥ 0 (got "
                         f"{discharge_multiplier!r})")
    matrix = np.zeros((_STATES, _STATES))
    exits = np.zeros(_STATES)
    for band in range(2):
        block = slice(band * _N, (band + 1) * _N)
        change = np.array(dynamics.resident_generator_per_day[band], dtype=float)
        matrix[block, block] = change - np.diag(np.diag(change))
        exits[block] = (np.asarray(dynamics.resident_death_rate_per_day[band], dtype=float)
                        + discharge_multiplier * np.asarray(dynamics.discharge_rate_per_day))
    idx = np.arange(_N)
    matrix[idx, _N + idx] = np.asarray(dynamics.band_ageing_rate_per_day, dtype=float)
    matrix[np.arange(_STATES), np.arange(_STATES)] = -(matrix.sum(axis=1) + exits)
    return matrix


def occupation_days(dynamics: ResidentDynamics, discharge_multiplier: float = 1.0
                    ) -> np.ndarray:
    """Expected days spent in each state by a resident admitted in each state.

    Returns
    -------
    numpy.ndarray, shape (8, 8)
        ``N = (-T)^{-1}`` of :func:`transient_generator` [day]; row sums are the mean stays
        (``dynamics.expected_length_of_stay_days`` when the multiplier is 1).
    """
    generator = transient_generator(dynamics, discharge_multiplier)
    return np.linalg.solve(-generator, np.eye(_STATES))


def _arrivals(arrivals_per_day: ArrayLike) -> np.ndarray:
    rates = np.asarray(arrivals_per_day, dtype=float)
    if rates.shape != (2, _N) or not np.all(np.isfinite(rates)) or np.any(rates < 0):
        raise ValueError(f"arrivals_per_day must be finite, ≥ 0, of shape (2, 4) by age band "
                         f"and level (got shape {rates.shape})")
    return rates


def stationary_residents(arrivals_per_day: ArrayLike, dynamics: ResidentDynamics,
                         discharge_multiplier: float = 1.0) -> np.ndarray:
    """Residents by band and level in balance with constant arrivals (no capacity limit).

    Parameters
    ----------
    arrivals_per_day : array_like, shape (2, 4)
        Admissions by age band (60-79, 80+) and level [persons per day].
    dynamics : ResidentDynamics
    discharge_multiplier : float
        Factor on the discharge rates [-].

    Returns
    -------
    numpy.ndarray, shape (2, 4)
        ``a N`` [persons]; the sum is arrivals × mean stay (Little's law).
    """
    rates = _arrivals(arrivals_per_day).reshape(-1)
    return (rates @ occupation_days(dynamics, discharge_multiplier)).reshape(2, _N)


def mean_residents_over(initial: ArrayLike, arrivals_per_day: ArrayLike,
                        dynamics: ResidentDynamics, days: float = DAYS_PER_YEAR,
                        discharge_multiplier: float = 1.0) -> np.ndarray:
    """Expected residents by band and level, averaged over ``[0, days]`` from a start.

    Solves ``dx/dt = a + x T`` exactly: ``x(t) = x* + (x0 - x*) e^{Tt}`` with ``x* = a N``, so
    the mean over the period is ``x* + (x0 - x*) (e^{TD} - I) T^{-1} / D``. No bed is ever
    short (the figure a simulation with free beds of every type reproduces).

    Parameters
    ----------
    initial : array_like, shape (2, 4)
        Residents at day 0 by band and level [persons].
    arrivals_per_day : array_like, shape (2, 4)
        Admissions [persons per day].
    dynamics : ResidentDynamics
    days : float
        Length of the period [day], > 0.
    discharge_multiplier : float
        Factor on the discharge rates [-].

    Returns
    -------
    numpy.ndarray, shape (2, 4)
        Mean residents over the period [persons].
    """
    start = np.asarray(initial, dtype=float)
    if start.shape != (2, _N) or not np.all(np.isfinite(start)) or np.any(start < 0):
        raise ValueError(f"initial must be finite, ≥ 0, of shape (2, 4) (got shape "
                         f"{start.shape})")
    if not (math.isfinite(days) and days > 0):
        raise ValueError(f"days must be finite and > 0 (got {days!r})")
    generator = transient_generator(dynamics, discharge_multiplier)
    balance = stationary_residents(arrivals_per_day, dynamics, discharge_multiplier).reshape(-1)
    growth = matrix_exponential(generator * days) - np.eye(_STATES)
    integral = growth @ np.linalg.inv(generator) / days
    mean = balance + (start.reshape(-1) - balance) @ integral
    return mean.reshape(2, _N)


@dataclass(frozen=True)
class BaseYearFit:
    """What :func:`fit_base_year` found.

    Attributes
    ----------
    application_multiplier : float
        Factor on every application rate [-].
    discharge_multiplier : float
        Factor on every discharge rate [-] (1 unless admissions were given).
    observed_residents : float
        The target [persons].
    observed_admissions_per_year : float or None
        [persons per year].
    applicants_per_year : float
        Base-year applications after the fit [persons per year].
    residents : numpy.ndarray, shape (2, 4)
        Stationary residents after the fit by band and level [persons]; sums to the target.
    residents_before : float
        Stationary residents of the uncalibrated model [persons].
    mean_stay_days : float
        Mean stay of the base year's applicants after the fit [day].
    """

    application_multiplier: float
    discharge_multiplier: float
    observed_residents: float
    observed_admissions_per_year: float | None
    applicants_per_year: float
    residents: np.ndarray
    residents_before: float
    mean_stay_days: float

    @property
    def level_mix(self) -> np.ndarray:
        """Stationary share of residents at each level [fraction], shape (4,)."""
        by_level = self.residents.sum(axis=0)
        return by_level / by_level.sum()

    @property
    def share_80plus(self) -> np.ndarray:
        """Stationary share aged 80+ among residents of each level [fraction], shape (4,)."""
        by_level = self.residents.sum(axis=0)
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(by_level > 0, self.residents[1] / by_level, 0.0)


def fit_base_year(arrivals_per_day: ArrayLike, dynamics: ResidentDynamics,
                  residents: float, admissions_per_year: float | None = None,
                  *, rtol: float = 1e-10) -> BaseYearFit:
    """Fit the application (and discharge) multiplier to the residents seen in the base year.

    Parameters
    ----------
    arrivals_per_day : array_like, shape (2, 4)
        Base-year applicants of the uncalibrated model by age band (60-79, 80+) and level
        [persons per day].
    dynamics : ResidentDynamics
        The uncalibrated residents' rates.
    residents : float
        Residents observed [persons], > 0.
    admissions_per_year : float, optional
        Admissions observed in a year [persons per year], > 0. Given, the discharge rates are
        fitted too (see the module notes).
    rtol : float
        Relative tolerance of the discharge bisection [-].

    Returns
    -------
    BaseYearFit

    Raises
    ------
    ValueError
        If the model has no applicants, a target is not positive, or no discharge multiplier
        ≥ 0 reproduces residents and admissions together.
    """
    rates = _arrivals(arrivals_per_day)
    if not (math.isfinite(residents) and residents > 0):
        raise ValueError(f"residents must be finite and > 0 (got {residents!r})")
    total = float(rates.sum())
    if total <= 0:
        raise ValueError("the base year has no applicants: no application rate can be fitted")
    before = float(stationary_residents(rates, dynamics).sum())
    if admissions_per_year is None:
        multiplier = residents / before
        discharge = 1.0
    else:
        if not (math.isfinite(admissions_per_year) and admissions_per_year > 0):
            raise ValueError(f"admissions_per_year must be finite and > 0 (got "
                             f"{admissions_per_year!r})")
        multiplier = admissions_per_year / (total * DAYS_PER_YEAR)
        discharge = _fit_discharge(rates * multiplier, dynamics, residents,
                                   admissions_per_year, rtol)
    fitted = stationary_residents(rates * multiplier, dynamics, discharge)
    return BaseYearFit(
        application_multiplier=float(multiplier),
        discharge_multiplier=float(discharge),
        observed_residents=float(residents),
        observed_admissions_per_year=(None if admissions_per_year is None
                                      else float(admissions_per_year)),
        applicants_per_year=float(total * multiplier * DAYS_PER_YEAR),
        residents=fitted,
        residents_before=before,
        mean_stay_days=float(fitted.sum() / (total * multiplier)),
    )


def _fit_discharge(rates: np.ndarray, dynamics: ResidentDynamics, residents: float,
                   admissions_per_year: float, rtol: float) -> float:
    """Discharge multiplier ``k ≥ 0`` with stationary residents equal to ``residents``."""
    if not np.any(np.asarray(dynamics.discharge_rate_per_day) > 0):
        raise ValueError("the discharge rates are all 0, so no multiplier can fit the "
                         "admissions; give need.resident_discharge_rate_per_year")

    def held(k: float) -> float:
        return float(stationary_residents(rates, dynamics, k).sum())

    longest = held(0.0)
    if longest < residents:
        stay = residents / admissions_per_year
        raise ValueError(
            f"{residents:,.0f} residents with {admissions_per_year:,.0f} admissions a year "
            f"means a mean stay of {stay:.2f} years, longer than this need model allows even "
            f"with no discharges ({longest / admissions_per_year:.2f} years, deaths only): "
            "check the two figures, or calibrate on residents alone")
    low, high = 0.0, 1.0
    while held(high) > residents:
        low, high = high, high * 2.0
        if high > 1e9:
            raise ValueError("no discharge multiplier reproduces the residents")
    while high - low > rtol * max(high, 1.0):
        middle = 0.5 * (low + high)
        if held(middle) > residents:
            low = middle
        else:
            high = middle
    return 0.5 * (low + high)


def calibrated_need_spec(spec: NeedSpec, fit: BaseYearFit) -> NeedSpec:
    """The need section with the fitted multipliers applied.

    Every application rate (60-64, 65+ and 80+, whichever are given) is multiplied by
    ``fit.application_multiplier`` and every discharge rate by ``fit.discharge_multiplier``.

    Parameters
    ----------
    spec : NeedSpec
    fit : BaseYearFit

    Returns
    -------
    NeedSpec
        A new section; ``spec`` is unchanged.
    """

    def scaled(rates: LevelRates | None, factor: float) -> LevelRates | None:
        if rates is None:
            return None
        return LevelRates(**{name: float(value) * factor
                             for name, value in zip(LEVELS, rates.as_array(), strict=True)})

    m = fit.application_multiplier
    return spec.model_copy(update={
        "bed_application_rate_per_year": scaled(spec.bed_application_rate_per_year, m),
        "bed_application_rate_80plus_per_year": scaled(
            spec.bed_application_rate_80plus_per_year, m),
        "bed_application_rate_60_64_per_year": scaled(
            spec.bed_application_rate_60_64_per_year, m),
        "resident_discharge_rate_per_year": scaled(spec.resident_discharge_rate_per_year,
                                                   fit.discharge_multiplier),
    })
