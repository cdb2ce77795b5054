"""What one simulation of a daily community service is given: sites, opening days and demand.

Day-care centres (日间照料中心) and meal points (助餐点) are daily services. They are simulated per
day and per site with one random draw per site-day (see :mod:`carefacility.services.engine`), not
as one event per visit. This module holds only the validated input, :class:`ServiceSpec`.

Conventions
-----------
- Time is in days from the start of the run. A model year is 365 days (leap days are ignored);
  year ``y`` covers days ``[365 y, 365 (y + 1))`` and ``n_years`` is the first dimension of the
  demand arrays.
- Weekdays are numbered 0 = Monday … 6 = Sunday; day ``d`` falls on weekday
  ``(first_weekday + d) % 7``.
- Arrays are copied, converted to ``float64``, ``int64`` or ``bool`` and made read-only, so a
  spec is immutable and safe to share between processes.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

__all__ = ["DAYS_PER_YEAR", "DEMAND_MODELS", "OVERFLOWS", "SERVICE_KINDS", "ServiceSpec"]

DAYS_PER_YEAR = 365
"""Length of a model year [day]; leap days are ignored."""

SERVICE_KINDS: tuple[str, ...] = ("day_centre", "meal_point")
"""Kinds of daily service (labels and units only; the model is the same)."""

DEMAND_MODELS: tuple[str, ...] = ("poisson", "binomial")
OVERFLOWS: tuple[str, ...] = ("none", "zone")

_ALL_WEEK = (True,) * 7


def _fmt(value: Any) -> str:
    """Format a bad value for an error message: ``-5`` rather than ``-5.0``."""
    if isinstance(value, (float, np.floating)) and math.isfinite(value) and value == int(value):
        return str(int(value))
    if isinstance(value, (np.generic,)):
        return repr(value.item())
    return repr(value)


def _at(name: str, index: tuple[int, ...]) -> str:
    return name + "".join(f"[{i}]" for i in index)


def _frozen(array: NDArray[Any]) -> NDArray[Any]:
    array.flags.writeable = False
    return array


def _numeric(value: ArrayLike, name: str) -> NDArray[np.float64]:
    try:
        array = np.array(value, dtype=np.float64)
    except (TypeError, ValueError) as error:
        raise ValueError(f"{name} must be numeric (got {value!r}): {error}") from None
    if np.any(np.isnan(array)):
        index = tuple(int(i) for i in np.argwhere(np.isnan(array))[0])
        raise ValueError(f"{_at(name, index)} must be a number (got nan)")
    return array


def _shaped(array: NDArray[Any], name: str, shape: tuple[int, ...], like: str = "") -> NDArray[Any]:
    """``array`` broadcast to ``shape`` (a scalar is accepted for any shape)."""
    if array.shape == shape:
        return array
    if array.ndim == 0:
        return np.array(np.broadcast_to(array, shape))
    like = f" like {like}" if like else ""
    raise ValueError(f"{name} must have shape {shape}{like} (got shape {array.shape})")


def _check_where(bad: NDArray[np.bool_], array: NDArray[Any], name: str, rule: str) -> None:
    if np.any(bad):
        index = tuple(int(i) for i in np.argwhere(bad)[0])
        raise ValueError(f"{_at(name, index)} must be {rule} (got {_fmt(array[index])})")


def _whole(
    value: ArrayLike, name: str, shape: tuple[int, ...], like: str = ""
) -> NDArray[np.int64]:
    """Whole numbers ≥ 0 of exactly ``shape`` (or a scalar broadcast to it)."""
    array = _shaped(_numeric(value, name), name, shape, like)
    _check_where(~np.isfinite(array), array, name, "finite")
    _check_where(array < 0, array, name, "≥ 0")
    _check_where(array != np.round(array), array, name, "a whole number")
    return _frozen(array.astype(np.int64))


def _nonnegative(
    value: ArrayLike, name: str, shape: tuple[int, ...], like: str = ""
) -> NDArray[np.float64]:
    array = _shaped(_numeric(value, name), name, shape, like)
    _check_where(~np.isfinite(array), array, name, "finite")
    _check_where(array < 0, array, name, "≥ 0")
    return _frozen(array)


def _choice(value: Any, name: str, allowed: tuple[str, ...]) -> str:
    if value not in allowed:
        raise ValueError(f"{name} must be one of {', '.join(map(repr, allowed))} (got {value!r})")
    return str(value)


def _integer(value: Any, name: str, low: int | None = None, high: int | None = None) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise ValueError(f"{name} must be an integer (got {value!r})")
    number = int(value)
    if (low is not None and number < low) or (high is not None and number > high):
        raise ValueError(f"{name} must lie in [{low}, {high}] (got {number})")
    return number


@dataclass(frozen=True, eq=False)
class ServiceSpec:
    """Sites, opening days and demand of one daily community service.

    Parameters
    ----------
    kind : {"day_centre", "meal_point"}
        Day-care centre (日间照料中心; capacity in places per day) or meal point (助餐点;
        capacity in meals per day). Used for labels and units only.
    site_zone : array_like of int, shape (n_sites,)
        Zone (街镇) index of each site, ``0 ≤ site_zone < n_zones``. ``n_sites = 0`` is allowed
        (every zone is then without a site).
    capacity_per_day : array_like of int, shape (n_sites,)
        Places [places/day] or meals [meals/day] each site can serve on an open day; whole
        numbers ≥ 0. A site with capacity 0 receives no demand and does not count as a site
        serving its zone.
    expected_users_per_day : array_like, shape (n_years, n_zones)
        Expected visits [visits/day] (day centres) or meals [meals/day] (meal points) wanted per
        *open day* in each zone and year, e.g. eligible elders × uptake × attendance
        probability. Defines ``n_years`` and ``n_zones``. With ``demand_model="binomial"`` it
        may be omitted (it is then ``registered_users × attendance_probability``) and, if
        given, must equal that product.
    open_from_day, open_until_day : float or array_like, shape (n_sites,)
        A site is in service on days ``d`` with ``open_from_day ≤ d < open_until_day`` [day],
        counted from the start of the run (day 0 is the first day of year 0). Defaults: ``0``
        (open from the start) and ``numpy.inf`` (never closes). A site built in year 3 has
        ``open_from_day = 3 * 365``.
    open_weekdays : array_like of bool, shape (7,) or (n_sites, 7)
        Weekdays (Monday … Sunday) on which the sites open, shared or per site. Default: every
        day. Day centres closed at weekends: ``[1, 1, 1, 1, 1, 0, 0]``.
    first_weekday : int
        Weekday of day 0, 0 = Monday … 6 = Sunday.
    closure_days : array_like of int, shape (n_closures,)
        Days [day] on which every site is closed (public holidays), whole numbers ≥ 0; days
        beyond the horizon are ignored.
    demand_model : {"poisson", "binomial"}
        ``"poisson"``: the zone's demand on an open day is Poisson with mean
        ``expected_users_per_day``. ``"binomial"``: each of the zone's ``registered_users``
        attends independently with probability ``attendance_probability``.
    registered_users : array_like of int, shape (n_years, n_zones), optional
        Elders registered with the zone's sites [persons]; binomial model only.
    attendance_probability : array_like, shape (n_years, n_zones), optional
        Probability that a registered user comes on an open day [-]; binomial model only.
    overflow : {"none", "zone"}
        ``"none"``: a site turns away what exceeds its capacity. ``"zone"``: demand a site
        cannot serve goes to other open sites of the same zone with spare capacity that day (the
        zone's open sites act as one pool); never to another zone.
    first_year : int
        Calendar year of model year 0 (labels only).

    Notes
    -----
    **Splitting a zone's demand over its sites.** On each day, the zone's demand is split over
    its sites open that day in proportion to their capacity. Poisson model: each open site
    gets an independent Poisson draw with mean ``expected_users_per_day × share``. By the
    Poisson splitting (colouring) theorem this is exactly the law of a Poisson zone total split
    multinomially over the sites, so the zone's daily demand is Poisson with the full mean, and
    only one draw per site-day is needed. Binomial model: the zone's registered users are
    apportioned to the open sites by capacity share (whole numbers, cumulative rounding, so
    the site counts add up to ``registered_users`` exactly) and each site-day is one
    ``Binomial(n_site, attendance_probability)`` draw; the zone total is then exactly
    ``Binomial(registered_users, attendance_probability)``.

    **Closed days.** Demand is defined per open day. On a day when the zone has a site in
    service (built, not yet closed down, capacity > 0) but none of them opens — a weekday it
    does not open or a closure day — no demand is counted: elders do not come to a day centre
    or a meal point on the days it is closed, and nothing is recorded as unmet. On a day when
    the zone has *no* site in service at all (none built yet, all closed down, or the zone has
    no sites), the zone's demand of that day is drawn and counted as ``unserved_no_site``,
    on the network's service days: days that are not ``closure_days`` and whose weekday is an
    open weekday of at least one site (for a shared ``open_weekdays``: its open weekdays).
    """

    kind: str
    site_zone: Any
    capacity_per_day: Any
    expected_users_per_day: Any = None
    open_from_day: Any = 0.0
    open_until_day: Any = np.inf
    open_weekdays: Any = _ALL_WEEK
    first_weekday: int = 0
    closure_days: Any = ()
    demand_model: str = "poisson"
    registered_users: Any = None
    attendance_probability: Any = None
    overflow: str = "none"
    first_year: int = 0

    def __post_init__(self) -> None:
        set_ = object.__setattr__
        set_(self, "kind", _choice(self.kind, "kind", SERVICE_KINDS))
        set_(self, "demand_model", _choice(self.demand_model, "demand_model", DEMAND_MODELS))
        set_(self, "overflow", _choice(self.overflow, "overflow", OVERFLOWS))
        set_(self, "first_weekday", _integer(self.first_weekday, "first_weekday", 0, 6))
        set_(self, "first_year", _integer(self.first_year, "first_year"))

        zone = _numeric(self.site_zone, "site_zone")
        if zone.ndim != 1:
            raise ValueError(f"site_zone must be a 1-D array (got shape {zone.shape})")
        n_sites = zone.size
        set_(self, "site_zone", _whole(zone, "site_zone", (n_sites,)))
        set_(
            self,
            "capacity_per_day",
            _whole(self.capacity_per_day, "capacity_per_day", (n_sites,)),
        )
        self._validate_demand()
        n_zones = self.n_zones
        if n_sites and self.site_zone.max() >= n_zones:
            site = int(np.argmax(self.site_zone >= n_zones))
            raise ValueError(
                f"site_zone[{site}] = {self.site_zone[site]} but the demand arrays have only "
                f"{n_zones} zones (indices 0..{n_zones - 1})"
            )
        self._validate_schedule(n_sites)

    def _validate_demand(self) -> None:
        set_ = object.__setattr__
        expected = self.expected_users_per_day
        binomial = self.demand_model == "binomial"
        if not binomial:
            for name in ("registered_users", "attendance_probability"):
                if getattr(self, name) is not None:
                    raise ValueError(f"{name} is used only with demand_model='binomial'")
            if expected is None:
                raise ValueError("expected_users_per_day is required with demand_model='poisson'")
        reference = expected if expected is not None else self.registered_users
        if reference is None:
            raise ValueError(
                "demand_model='binomial' needs registered_users and attendance_probability"
            )
        source = "expected_users_per_day" if expected is not None else "registered_users"
        array = _numeric(reference, source)
        if array.ndim != 2 or array.shape[0] == 0 or array.shape[1] == 0:
            raise ValueError(
                f"{source} must have shape (n_years, n_zones) with n_years ≥ 1 and n_zones ≥ 1 "
                f"(got shape {array.shape})"
            )
        shape = array.shape
        if binomial:
            for name in ("registered_users", "attendance_probability"):
                if getattr(self, name) is None:
                    raise ValueError(f"demand_model='binomial' needs {name}")
            users = _whole(self.registered_users, "registered_users", shape, source)
            probability = _nonnegative(
                self.attendance_probability, "attendance_probability", shape, source
            )
            _check_where(probability > 1, probability, "attendance_probability", "≤ 1")
            set_(self, "registered_users", users)
            set_(self, "attendance_probability", probability)
            product = users * probability
            if expected is None:
                set_(self, "expected_users_per_day", _frozen(product))
                return
            given = _nonnegative(expected, "expected_users_per_day", shape)
            mismatch = ~np.isclose(given, product, rtol=1e-9, atol=1e-9)
            if np.any(mismatch):
                index = tuple(int(i) for i in np.argwhere(mismatch)[0])
                raise ValueError(
                    f"{_at('expected_users_per_day', index)} must equal registered_users × "
                    f"attendance_probability = {product[index]:g} with demand_model='binomial' "
                    f"(got {_fmt(given[index])}); omit it to have it computed"
                )
            set_(self, "expected_users_per_day", given)
            return
        set_(
            self,
            "expected_users_per_day",
            _nonnegative(expected, "expected_users_per_day", shape),
        )

    def _validate_schedule(self, n_sites: int) -> None:
        set_ = object.__setattr__
        opening = _shaped(
            _numeric(self.open_from_day, "open_from_day"), "open_from_day", (n_sites,)
        )
        closing = _shaped(
            _numeric(self.open_until_day, "open_until_day"), "open_until_day", (n_sites,)
        )
        _check_where(opening == np.inf, opening, "open_from_day", "finite or -inf")
        _check_where(closing == -np.inf, closing, "open_until_day", "finite or inf")
        early = closing < opening
        if np.any(early):
            site = int(np.argmax(early))
            raise ValueError(
                f"open_until_day[{site}] must be ≥ open_from_day[{site}] = "
                f"{_fmt(opening[site])} (got {_fmt(closing[site])})"
            )
        set_(self, "open_from_day", _frozen(opening))
        set_(self, "open_until_day", _frozen(closing))

        weekdays = np.array(self.open_weekdays)
        if weekdays.shape not in ((7,), (n_sites, 7)):
            raise ValueError(
                f"open_weekdays must have shape (7,) or (n_sites, 7) = ({n_sites}, 7) "
                f"(got shape {weekdays.shape})"
            )
        if weekdays.dtype != np.bool_:
            numbers = _numeric(weekdays, "open_weekdays")
            _check_where(
                (numbers != 0) & (numbers != 1), numbers, "open_weekdays", "a bool (or 0/1)"
            )
            weekdays = numbers.astype(bool)
        set_(self, "open_weekdays", _frozen(weekdays.copy()))

        closures = _numeric(self.closure_days, "closure_days")
        if closures.ndim > 1:
            raise ValueError(f"closure_days must be a 1-D array (got shape {closures.shape})")
        closures = _whole(closures.reshape(-1), "closure_days", (closures.size,))
        set_(self, "closure_days", _frozen(np.unique(closures)))

    # ------------------------------------------------------------------ sizes
    @property
    def n_sites(self) -> int:
        """Number of sites."""
        return int(self.site_zone.size)

    @property
    def n_zones(self) -> int:
        """Number of zones (second dimension of ``expected_users_per_day``)."""
        return int(self.expected_users_per_day.shape[1])

    @property
    def n_years(self) -> int:
        """Number of model years (first dimension of ``expected_users_per_day``)."""
        return int(self.expected_users_per_day.shape[0])

    @property
    def n_days(self) -> int:
        """Length of the run [day]."""
        return self.n_years * DAYS_PER_YEAR

    @property
    def visit_unit(self) -> str:
        """Unit of demand, served and turned-away counts: ``"visits"`` or ``"meals"``."""
        return "visits" if self.kind == "day_centre" else "meals"

    @property
    def capacity_unit(self) -> str:
        """Unit of offered capacity summed over days: ``"place_days"`` or ``"meals"``."""
        return "place_days" if self.kind == "day_centre" else "meals"
