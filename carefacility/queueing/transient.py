"""The M(t)/M/∞ system in transient: mean occupancy of beds under growing demand, from a given
starting census, in closed form.

Model
-----
Time ``t`` runs in days from the start of model year 0 (``t = 0``), when ``initial_census``
residents are present. Model year ``y`` covers ``[365 y, 365 (y + 1))`` and its Poisson arrival
rate is linear in time, exactly as the simulator defines arrivals::

    λ(t) = arrival_rate_per_day[y] + arrival_trend_per_day_per_day[y] · (t - (365 y + 182.5))

so ``arrival_rate_per_day[y]`` is the year's mean rate [1/day] and the trend its slope
[1/day²]. Nobody waits (infinitely many servers), and every resident present in year ``y``
leaves at rate ``μ_y = 1 / mean_stay_days[y]`` (exponential stays, memoryless; a scalar
``mean_stay_days`` is one rate for all years). The mean number present then solves
``m'(t) = λ(t) - μ(t) m(t)``:

    m(t) = n0 · exp(-∫₀ᵗ μ) + ∫₀ᵗ λ(s) exp(-∫ₛᵗ μ) ds,

which for one rate is ``n0 e^{-μt} + ∫₀ᵗ λ(s) e^{-μ(t-s)} ds``. Within a year ``λ`` is linear and
``μ`` constant, so the integral has a closed form per year; with ``u`` the days since the start
of the year, ``x = μ u``, ``λ₀`` the rate at the start of the year and ``b`` its slope,

    m(start + u) = m(start) e^{-x} + λ₀ g₁(x) / μ + b g₂(x) / μ²,

with ``g₁(x) = 1 - e^{-x}``, ``g₂(x) = x - 1 + e^{-x}`` (no quadrature). The year's time average
adds ``g₃(x) = x²/2 - x + 1 - e^{-x}``. For a rate ``a + b t`` held long enough, ``m(t)``
approaches ``(a + b t)/μ - b/μ²``: occupancy lags the offered load ``λ(t)/μ`` by ``b/μ²``
persons (the arrivals of the last mean stay came at a lower rate).

Warm-up: the simulator may start ``warmup_days`` before ``t = 0`` with the starting census and
arrivals at year 0's mean rate, constant. With ``warmup_days = W > 0`` the census is present at
``t = -W``, the warm-up's arrivals count among the arrivals (``m_arr(0) = a₀ S₀ g₁(μ₀ W)``) and the
census survival includes the warm-up (``p(0) = e^{-μ₀ W}``); times are still measured from the
start of year 0. After the last year the simulator's run-on is not modelled (times must lie in
the model years).

Distribution: each arrival is still present at ``t`` independently of the others, so the
number present from arrivals is Poisson with mean ``m_arr(t)``; each of the ``n0`` starting
residents is still present with probability ``p(t) = exp(-∫₀ᵗ μ)``. A fixed starting census
therefore gives the variance ``m_arr(t) + n0 p (1 - p)``, a Poisson starting census (e.g. a
stationary M/M/∞ start) gives a Poisson number with variance ``m(t)``.

Units
-----
Times in [day], rates in [1/day], trends in [1/day²], occupancy in [persons] (= occupied beds
when everybody is admitted at once), variances in [persons²].

References
----------
.. [1] S. G. Eick, W. A. Massey and W. Whitt, "The physics of the M(t)/G/∞ queue",
   Operations Research 41 (1993) 731-742.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike, NDArray

from carefacility.queueing._checks import _as_output, _check_array_nonnegative, _check_scalar

__all__ = [
    "DAYS_PER_MODEL_YEAR",
    "MtInfiniteServerResult",
    "mt_infinite_server_mean",
    "mt_infinite_server_occupancy",
    "mt_infinite_server_year_average",
    "transient_occupancy_by_year",
]

DAYS_PER_MODEL_YEAR = 365.0
"""Length of a model year [day]; the arrival rate's pieces are this long."""

_HALF_YEAR = DAYS_PER_MODEL_YEAR / 2.0
_SERIES_BELOW = 0.5  # below this x the g_k come from their power series (no cancellation)
_SERIES_TERMS = 24  # 0.5**24 / 24! ≈ 1e-31: the truncated series is exact to rounding


# --------------------------------------------------------------------------------------------
# The functions g_k(x) = Σ_{n ≥ k} (-1)^{n-k} x^n / n!, i.e. the remainder of e^{-x}'s series
# --------------------------------------------------------------------------------------------


def _g(order: int, x: NDArray[np.float64]) -> NDArray[np.float64]:
    """``g_k(x) = (-1)^k (e^{-x} - Σ_{n<k} (-x)^n / n!)`` for ``k`` = 1, 2, 3, ``x ≥ 0``.

    ``g₁ = 1 - e^{-x}``, ``g₂ = x - 1 + e^{-x}``, ``g₃ = x²/2 - x + 1 - e^{-x}``; each satisfies
    ``g_k' = g_{k-1}`` (``g₀ = e^{-x}``) and ``g_k(x) ≈ x^k / k!`` near zero, where the closed
    form would cancel, so small ``x`` use the alternating power series instead.
    """
    x = np.asarray(x, dtype=float)
    small = x < _SERIES_BELOW
    xs = np.where(small, x, 0.0)
    series = np.zeros_like(xs)
    term = xs**order / math.factorial(order)
    for n in range(order, order + _SERIES_TERMS):
        series += term
        term = -term * xs / (n + 1)
    xl = np.where(small, 1.0, x)
    if order == 1:
        closed = -np.expm1(-xl)
    elif order == 2:
        closed = xl + np.expm1(-xl)
    elif order == 3:
        closed = 0.5 * xl * xl - xl - np.expm1(-xl)
    else:  # pragma: no cover - internal use only
        raise ValueError(f"order must be 1, 2 or 3 (got {order})")
    return np.where(small, series, closed)


# --------------------------------------------------------------------------------------------
# Inputs
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Pieces:
    """Per-year arrays of the piecewise-linear arrival rate and the departure rate."""

    start_rate: NDArray[np.float64]  # λ at the start of each year [1/day]
    mean_rate: NDArray[np.float64]  # the year's mean λ [1/day]
    trend: NDArray[np.float64]  # slope [1/day²]
    service_rate: NDArray[np.float64]  # μ_y [1/day]
    mean_stay: NDArray[np.float64]  # 1 / μ_y [day]
    census_start_rate: float  # λ right after the census arrives (warm-up or year 0) [1/day]
    # values at the start of each year (length years + 1, the last at the horizon's end)
    arrivals_at_start: NDArray[np.float64]  # m_arr [persons], start empty
    survival_at_start: NDArray[np.float64]  # p = exp(-∫μ) [-]

    @property
    def years(self) -> int:
        return int(self.mean_rate.size)


def _pieces(
    arrival_rate_per_day: ArrayLike,
    mean_stay_days: ArrayLike,
    arrival_trend_per_day_per_day: ArrayLike,
    warmup_days: float = 0.0,
) -> _Pieces:
    mean_rate = np.atleast_1d(np.asarray(arrival_rate_per_day, dtype=float))
    if mean_rate.ndim != 1 or mean_rate.size == 0:
        raise ValueError(
            f"arrival_rate_per_day must be a non-empty 1-D array, one mean rate per model year "
            f"(got shape {np.shape(arrival_rate_per_day)})"
        )
    _check_array_nonnegative(mean_rate, "arrival_rate_per_day")
    years = mean_rate.size
    trend = _per_year(arrival_trend_per_day_per_day, years, "arrival_trend_per_day_per_day")
    if not np.all(np.isfinite(trend)):
        raise ValueError(f"arrival_trend_per_day_per_day must be finite (got {trend})")
    stay = _per_year(mean_stay_days, years, "mean_stay_days")
    _check_array_nonnegative(stay, "mean_stay_days")
    if np.any(stay <= 0.0):
        raise ValueError(f"mean_stay_days must be > 0 (got {stay})")
    start_rate = mean_rate - _HALF_YEAR * trend
    end_rate = mean_rate + _HALF_YEAR * trend
    scale = np.maximum(mean_rate, 1.0)
    for name, rate in (("start", start_rate), ("end", end_rate)):
        negative = rate < -1e-12 * scale
        if np.any(negative):
            year = int(np.argmax(negative))
            raise ValueError(
                f"the arrival rate at the {name} of model year {year} is negative "
                f"({mean_rate[year]} + {trend[year]} * ±{_HALF_YEAR} = {rate[year]} per day); "
                f"a trend must keep the rate ≥ 0 within each year"
            )
    warmup = _check_scalar(warmup_days, "warmup_days")
    service = 1.0 / stay
    x_year = service * DAYS_PER_MODEL_YEAR
    decay = np.exp(-x_year)
    gain = start_rate * _g(1, x_year) / service + trend * _g(2, x_year) / service**2
    arrivals = np.zeros(years + 1)
    x_warmup = service[0] * warmup
    arrivals[0] = mean_rate[0] * float(_g(1, np.asarray(x_warmup))) / service[0]
    for y in range(years):
        arrivals[y + 1] = arrivals[y] * decay[y] + gain[y]
    survival = np.exp(-np.concatenate(([x_warmup], x_warmup + np.cumsum(x_year))))
    census_rate = float(mean_rate[0] if warmup > 0.0 else start_rate[0])
    return _Pieces(start_rate, mean_rate, trend, service, stay, census_rate, arrivals, survival)


def _per_year(value: ArrayLike, years: int, name: str) -> NDArray[np.float64]:
    array = np.asarray(value, dtype=float)
    if array.ndim == 0:
        return np.full(years, float(array))
    if array.shape != (years,):
        raise ValueError(
            f"{name} must be a scalar or one value per model year, shape ({years},) "
            f"(got shape {array.shape})"
        )
    return array


def _census(initial_census: float) -> float:
    return _check_scalar(initial_census, "initial_census")


# --------------------------------------------------------------------------------------------
# Occupancy at given times
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class MtInfiniteServerResult:
    """Transient occupancy of the M(t)/M/∞ system at the requested times.

    Attributes
    ----------
    times_days : numpy.ndarray
        The requested times ``t`` [day] since the start of model year 0.
    mean_persons : numpy.ndarray
        Mean number present ``m(t)`` [persons].
    variance_persons_sq : numpy.ndarray
        Variance of the number present [persons²]: ``m_arr(t) + n0 p (1 - p)`` for a fixed
        starting census, ``m(t)`` for a Poisson one.
    from_arrivals_persons : numpy.ndarray
        Mean number present who arrived after ``t = 0``, ``m_arr(t)`` [persons]; the number is
        Poisson with this mean.
    from_initial_census_persons : numpy.ndarray
        Mean number of the starting census still present, ``n0 p(t)`` [persons].
    offered_load_persons : numpy.ndarray
        Stationary offered load at the current rates, ``λ(t) / μ(t)`` [persons]: the mean
        occupancy if ``λ`` and ``μ`` had been at today's values forever.
    """

    times_days: NDArray[np.float64]
    mean_persons: NDArray[np.float64]
    variance_persons_sq: NDArray[np.float64]
    from_arrivals_persons: NDArray[np.float64]
    from_initial_census_persons: NDArray[np.float64]
    offered_load_persons: NDArray[np.float64]


def mt_infinite_server_occupancy(
    times_days: ArrayLike,
    arrival_rate_per_day: ArrayLike,
    mean_stay_days: ArrayLike,
    *,
    arrival_trend_per_day_per_day: ArrayLike = 0.0,
    initial_census: float = 0.0,
    initial_census_is_poisson: bool = False,
    warmup_days: float = 0.0,
) -> MtInfiniteServerResult:
    """Mean and variance of the number present in the M(t)/M/∞ system at given times.

    Parameters
    ----------
    times_days : float or array_like
        Times ``t`` [day] since the start of model year 0, in ``[0, 365 · years]``.
    arrival_rate_per_day : array_like
        Mean Poisson arrival rate of each model year [1/day], shape ``(years,)``.
    mean_stay_days : float or array_like
        Mean length of stay [day], ``> 0``: one value, or one per model year (everybody present
        in year ``y`` then leaves at rate ``1 / mean_stay_days[y]``).
    arrival_trend_per_day_per_day : float or array_like, optional
        Slope of the arrival rate within each year [1/day²] (scalar or per year); the rate at
        day ``t`` of year ``y`` is ``mean[y] + slope[y] (t - (365 y + 182.5))`` and must stay
        ``≥ 0``. Default 0: a constant rate per year.
    initial_census : float, optional
        Residents present at ``t = 0`` [persons], ``≥ 0``; each leaves at the departure rate
        (memoryless). Default 0 (an empty start).
    initial_census_is_poisson : bool, optional
        Treat ``initial_census`` as the mean of a Poisson starting census instead of a fixed
        count; only the variance changes. Default False.
    warmup_days : float, optional
        Days before ``t = 0`` at which ``initial_census`` is present, with arrivals at year 0's
        mean rate, constant, in between (the simulator's warm-up) [day], ``≥ 0``. Default 0.

    Returns
    -------
    MtInfiniteServerResult
        ``mean_persons``, ``variance_persons_sq``, the two parts of the mean and the
        stationary offered load at each time, each an array of the shape of ``times_days``.

    Raises
    ------
    ValueError
        On a negative or non-finite input, a time outside the horizon, a non-positive stay, or
        a trend that makes the arrival rate negative within a year.

    Notes
    -----
    Exact closed form per year (see the module notes); the cost is ``O(years + times)``.
    A time exactly at a year boundary belongs to the year that starts there (the rate is
    piecewise linear and may jump; ``m(t)`` is continuous, so both sides agree).
    """
    pieces = _pieces(
        arrival_rate_per_day, mean_stay_days, arrival_trend_per_day_per_day, warmup_days
    )
    census = _census(initial_census)
    times = np.asarray(times_days, dtype=float)
    horizon = DAYS_PER_MODEL_YEAR * pieces.years
    bad = ~np.isfinite(times) | (times < 0.0) | (times > horizon)
    if np.any(bad):
        first = float(np.atleast_1d(times)[np.argmax(np.atleast_1d(bad))])
        raise ValueError(
            f"times_days must lie in [0, {horizon}] (the {pieces.years} model years given) "
            f"(got {first})"
        )
    year = np.minimum(np.floor(times / DAYS_PER_MODEL_YEAR).astype(int), pieces.years - 1)
    elapsed = times - DAYS_PER_MODEL_YEAR * year
    service = pieces.service_rate[year]
    x = service * elapsed
    start_rate = pieces.start_rate[year]
    trend = pieces.trend[year]
    from_arrivals = (
        pieces.arrivals_at_start[year] * np.exp(-x)
        + start_rate * _g(1, x) / service
        + trend * _g(2, x) / service**2
    )
    survival = pieces.survival_at_start[year] * np.exp(-x)
    from_census = census * survival
    mean = from_arrivals + from_census
    if initial_census_is_poisson:
        variance = mean.copy()
    else:
        variance = from_arrivals + census * survival * (1.0 - survival)
    offered = (start_rate + trend * elapsed) * pieces.mean_stay[year]
    shape = times.shape
    return MtInfiniteServerResult(
        times_days=times.reshape(shape),
        mean_persons=mean.reshape(shape),
        variance_persons_sq=variance.reshape(shape),
        from_arrivals_persons=from_arrivals.reshape(shape),
        from_initial_census_persons=from_census.reshape(shape),
        offered_load_persons=offered.reshape(shape),
    )


def mt_infinite_server_mean(
    times_days: ArrayLike,
    arrival_rate_per_day: ArrayLike,
    mean_stay_days: ArrayLike,
    *,
    arrival_trend_per_day_per_day: ArrayLike = 0.0,
    initial_census: float = 0.0,
    warmup_days: float = 0.0,
) -> float | NDArray[np.float64]:
    """Mean number present ``m(t)`` in the M(t)/M/∞ system [persons].

    ``m(t) = n0 e^{-μt} + ∫₀ᵗ λ(s) e^{-μ(t-s)} ds`` for one departure rate ``μ`` (without a
    warm-up), with the
    piecewise-linear rate of the simulator; see :func:`mt_infinite_server_occupancy` for the
    parameters, which this shares, and for the variance.

    Returns
    -------
    float or numpy.ndarray
        ``m(t)`` [persons]: a float for a scalar time, else an array of the times' shape.
    """
    result = mt_infinite_server_occupancy(
        times_days,
        arrival_rate_per_day,
        mean_stay_days,
        arrival_trend_per_day_per_day=arrival_trend_per_day_per_day,
        initial_census=initial_census,
        warmup_days=warmup_days,
    )
    return _as_output(result.mean_persons, result.mean_persons.ndim == 0)


# --------------------------------------------------------------------------------------------
# Year averages
# --------------------------------------------------------------------------------------------


def _year_averages(
    pieces: _Pieces, census: float
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Time averages over each model year of ``m_arr`` and of ``n0 p`` [persons]."""
    service = pieces.service_rate
    x = service * DAYS_PER_MODEL_YEAR
    g1 = _g(1, x)
    arrivals = (
        pieces.arrivals_at_start[:-1] * g1 / service
        + pieces.start_rate * _g(2, x) / service**2
        + pieces.trend * _g(3, x) / service**3
    ) / DAYS_PER_MODEL_YEAR
    census_part = census * pieces.survival_at_start[:-1] * g1 / service / DAYS_PER_MODEL_YEAR
    return arrivals, census_part


def mt_infinite_server_year_average(
    arrival_rate_per_day: ArrayLike,
    mean_stay_days: ArrayLike,
    *,
    arrival_trend_per_day_per_day: ArrayLike = 0.0,
    initial_census: float = 0.0,
    warmup_days: float = 0.0,
) -> NDArray[np.float64]:
    """Time-averaged mean occupancy over each model year, ``(1/365) ∫_year m(t) dt`` [persons].

    This is the figure to set beside a simulated mean occupancy of the year (everybody
    admitted at once) and beside the year's stationary offered load
    ``arrival_rate_per_day[y] · mean_stay_days[y]``. Parameters as in
    :func:`mt_infinite_server_occupancy`.

    Returns
    -------
    numpy.ndarray
        One average per model year [persons], shape ``(years,)``.

    Notes
    -----
    Closed form: with ``x = 365 μ_y``,
    ``∫_year m = m(start) g₁(x)/μ + λ₀ g₂(x)/μ² + b g₃(x)/μ³`` (``m`` including the census).
    """
    pieces = _pieces(
        arrival_rate_per_day, mean_stay_days, arrival_trend_per_day_per_day, warmup_days
    )
    arrivals, census_part = _year_averages(pieces, _census(initial_census))
    return arrivals + census_part


def transient_occupancy_by_year(
    years: ArrayLike,
    arrival_rate_per_day: ArrayLike,
    mean_stay_days: ArrayLike,
    *,
    arrival_trend_per_day_per_day: ArrayLike = 0.0,
    initial_census: float = 0.0,
    warmup_days: float = 0.0,
) -> pd.DataFrame:
    """Per year: transient mean occupancy beside the stationary load, and why they differ.

    The difference ``transient - stationary`` is split into the effect of the starting census
    and the lag behind changing demand:

    - ``starting_census_effect_beds`` is the year average of ``(n0 - A₀) p(t)``, with
      ``A₀ = λ₀ / μ₀`` the stationary load of the rate in force when the census is present
      (``λ(0)``, or year 0's mean rate with a warm-up) and ``p(t)`` the starting residents'
      survival: what the start being off its stationary level still adds (an empty start:
      ``-A₀ p``; a start at ``A₀``: zero).
    - ``lag_beds`` is the rest, ``transient - stationary - starting_census_effect``: the
      occupancy's lag behind the demand (negative under growth, about ``-b/μ²`` once the rate
      ``a + b t`` has run for a few mean stays; positive under decline).

    Parameters
    ----------
    years : array_like of int
        Label of each model year (e.g. the calendar year), shape ``(years,)``.
    arrival_rate_per_day, mean_stay_days, arrival_trend_per_day_per_day
        As in :func:`mt_infinite_server_occupancy`.
    initial_census, warmup_days
        As in :func:`mt_infinite_server_occupancy`.

    Returns
    -------
    pandas.DataFrame
        One row per year: ``year``, ``arrival_rate_per_day`` (the year's mean [1/day]),
        ``mean_stay_days`` [day], ``stationary_load_beds`` (``λ_y / μ_y``, the M/M/∞ and
        pooled-check offered load [beds]), ``transient_mean_beds`` (the year average of
        ``m(t)`` [beds]), ``year_end_mean_beds`` (``m`` at the end of the year [beds]),
        ``starting_census_effect_beds`` and ``lag_beds`` [beds] as above, and
        ``transient_minus_stationary_beds`` (their sum [beds]).
    """
    pieces = _pieces(
        arrival_rate_per_day, mean_stay_days, arrival_trend_per_day_per_day, warmup_days
    )
    census = _census(initial_census)
    labels = np.asarray(years)
    if labels.shape != (pieces.years,):
        raise ValueError(
            f"years must label each model year, shape ({pieces.years},) (got {labels.shape})"
        )
    arrivals, census_part = _year_averages(pieces, census)
    transient = arrivals + census_part
    stationary = pieces.mean_rate * pieces.mean_stay
    start_load = pieces.census_start_rate * pieces.mean_stay[0]
    # year average of (n0 - A0) p(t): census_part scaled from n0 to (n0 - A0)
    _, unit_census = _year_averages(pieces, 1.0)
    census_effect = (census - start_load) * unit_census
    year_end = pieces.arrivals_at_start[1:] + census * pieces.survival_at_start[1:]
    return pd.DataFrame(
        {
            "year": labels,
            "arrival_rate_per_day": pieces.mean_rate,
            "mean_stay_days": pieces.mean_stay,
            "stationary_load_beds": stationary,
            "transient_mean_beds": transient,
            "year_end_mean_beds": year_end,
            "starting_census_effect_beds": census_effect,
            "lag_beds": transient - stationary - census_effect,
            "transient_minus_stationary_beds": transient - stationary,
        }
    )
