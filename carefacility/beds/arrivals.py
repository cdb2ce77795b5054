"""Applicants arriving in one period, drawn at once (vectorised) rather than one event each.

Arrivals are a non-homogeneous Poisson process whose rate is linear within a period (constant
unless ``BedSpec.arrival_trend_per_day_per_day`` is set): for each zone and care level the count
in a period is Poisson(mean rate × length) and the times are independent draws from the linear
density, by inverse CDF of uniforms (with a constant rate, ``start + u × length`` exactly),
sorted. Everything an applicant carries is drawn here, each kind from its own stream and period,
so that changing one input (say a withdrawal rate) leaves the others' random numbers unchanged
(common random numbers across scenarios):

- ``arrivals.<period>``: counts and times;
- ``arrivals.attributes.<period>``: aged 80+ and low-income flags;
- ``waiting_list.exits.<period>``: time until the applicant would die or withdraw while waiting
  (a unit exponential over the total exit rate) and which of the two it would be;
- ``stays.<period>``: length of stay, when the spec has a ``stay_distribution``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from carefacility.base.streams import stream
from carefacility.beds.engine_spec import BedSpec
from carefacility.beds.stays import sample_stays

__all__ = ["ArrivalBatch", "draw_arrivals", "draw_exits", "linear_inverse_cdf"]


@dataclass(frozen=True, eq=False)
class ArrivalBatch:
    """Applicants of one period, sorted by arrival time.

    Attributes
    ----------
    arrival_day : numpy.ndarray of float
        Arrival time [day].
    zone, level : numpy.ndarray of int
        Zone and care level.
    age_80plus, low_income : numpy.ndarray of bool
        Attributes.
    patience_days : numpy.ndarray of float
        Time until death or withdrawal if still waiting [day] (``inf`` when both rates are 0).
    dies_waiting : numpy.ndarray of bool
        True if that exit would be a death, False if a withdrawal.
    stay_days : numpy.ndarray of float or None
        Length of stay [day] when the spec has a ``stay_distribution``.
    """

    arrival_day: NDArray[np.float64]
    zone: NDArray[np.int64]
    level: NDArray[np.int64]
    age_80plus: NDArray[np.bool_]
    low_income: NDArray[np.bool_]
    patience_days: NDArray[np.float64]
    dies_waiting: NDArray[np.bool_]
    stay_days: NDArray[np.float64] | None

    @property
    def size(self) -> int:
        """Number of applicants."""
        return int(self.arrival_day.size)


def draw_exits(
    spec: BedSpec, levels: NDArray[np.int64], rng: np.random.Generator
) -> tuple[NDArray[np.float64], NDArray[np.bool_]]:
    """Draw waiting-list exit clocks: patience [day] and whether the exit is a death."""
    death = spec.waiting_death_rate_per_day[levels]
    total = death + spec.withdrawal_rate_per_day[levels]
    if not np.any(total > 0):  # nobody leaves: the stream is not needed (others unchanged)
        return np.full(levels.size, np.inf), np.zeros(levels.size, dtype=bool)
    unit = rng.standard_exponential(levels.size)
    choice = rng.uniform(size=levels.size)
    with np.errstate(divide="ignore", invalid="ignore"):
        patience = np.where(total > 0, unit / total, np.inf)
        dies = choice * total < death
    return patience, dies


def linear_inverse_cdf(
    u: NDArray[np.float64], rate_start: NDArray[np.float64], rate_end: NDArray[np.float64]
) -> NDArray[np.float64]:
    """Position in ``[0, 1)`` of a point of a Poisson process with a linear rate, from a uniform.

    The density on ``[0, 1]`` is proportional to ``a + (b - a) x`` with ``a = rate_start`` and
    ``b = rate_end`` (both ≥ 0, not both 0); ``x`` solves ``a x + (b - a) x² / 2 = u (a + b) / 2``,
    written without cancellation as ``x = u (a + b) / (a + sqrt((1 - u) a² + u b²))``. Where
    ``a == b`` the result is ``u`` itself, bit for bit.
    """
    a = np.maximum(rate_start, 0.0)
    b = np.maximum(rate_end, 0.0)
    root = a + np.sqrt((1.0 - u) * a * a + u * b * b)
    sloped = np.divide(u * (a + b), root, out=np.zeros_like(u), where=root > 0)
    sloped = np.minimum(sloped, np.nextafter(1.0, 0.0))
    return np.where(rate_start == rate_end, u, sloped)


def draw_arrivals(
    spec: BedSpec,
    seed: int,
    replication: int,
    period: str,
    rate_year: int,
    start_day: float,
    end_day: float,
    rate_per_day: NDArray[np.float64] | None = None,
    trend_per_day_per_day: NDArray[np.float64] | float = 0.0,
) -> ArrivalBatch:
    """Draw all applicants arriving in ``[start_day, end_day)``.

    Parameters
    ----------
    spec : BedSpec
        The simulation spec.
    seed, replication : int
        Identify the replication's streams.
    period : str
        Stream suffix of the period, e.g. ``"year-3"``, ``"warmup"`` or ``"run-on"``.
    rate_year : int
        Model year whose shares apply, and whose rates unless ``rate_per_day`` is given.
    start_day, end_day : float
        Period bounds [day].
    rate_per_day : numpy.ndarray, shape (n_zones, 4), optional
        Mean arrival rate over the period [1/day]; ``spec.arrival_rate_per_day[rate_year]`` by
        default.
    trend_per_day_per_day : float or numpy.ndarray, shape (n_zones, 4)
        Slope of the rate within the period about its midpoint [1/day²]; 0 for a constant rate.
        Counts depend on the mean rate only (same draws whatever the slope); the slope moves
        the times (same uniforms, see :func:`linear_inverse_cdf`).
    """
    rates = spec.arrival_rate_per_day[rate_year] if rate_per_day is None else rate_per_day
    n_zones, n_levels = rates.shape
    length = end_day - start_day
    rng = stream(seed, replication, f"arrivals.{period}")
    counts = rng.poisson(rates.reshape(-1) * length)
    cells = np.repeat(np.arange(n_zones * n_levels), counts)
    fraction = rng.uniform(size=cells.size)
    slope = np.broadcast_to(trend_per_day_per_day, rates.shape).reshape(-1)
    if np.any(slope[counts > 0] != 0):
        mean = rates.reshape(-1)
        fraction = linear_inverse_cdf(
            fraction, (mean - slope * length / 2)[cells], (mean + slope * length / 2)[cells]
        )
    times = start_day + fraction * length
    order = np.argsort(times, kind="stable")
    times = times[order]
    cells = cells[order]
    zone = cells // n_levels
    level = cells % n_levels

    share_80plus = spec.share_80plus[rate_year].reshape(-1)[cells]
    share_low_income = spec.share_low_income[rate_year].reshape(-1)[cells]
    if np.any(share_80plus > 0) or np.any(share_low_income > 0):
        rng = stream(seed, replication, f"arrivals.attributes.{period}")
        old = rng.uniform(size=cells.size) < share_80plus
        poor = rng.uniform(size=cells.size) < share_low_income
    else:  # u < 0 is never true: the stream is not needed (others unchanged)
        old = poor = np.zeros(cells.size, dtype=bool)

    patience, dies = draw_exits(
        spec, level, stream(seed, replication, f"waiting_list.exits.{period}")
    )
    stays = None
    if spec.stay_distribution is not None:
        stays = sample_stays(
            spec.stay_distribution, level, stream(seed, replication, f"stays.{period}")
        )
    return ArrivalBatch(times, zone, level, old, poor, patience, dies, stays)
