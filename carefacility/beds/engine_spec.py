"""What one bed simulation is given: homes, beds, arrivals, rules and the state at day 0.

The engine knows nothing about scenario files. Another layer maps a scenario onto a
:class:`BedSpec`; notebooks may build one directly from arrays. Every field is validated when the
spec is built, and every error names the field, the rule and the value found.

Conventions
-----------
- Time is in days. A model year is 365 days (leap days are ignored); year ``y`` covers days
  ``[365 y, 365 (y + 1))`` and ``n_years`` is the first dimension of ``arrival_rate_per_day``.
- Care levels are indexed by :data:`LEVELS`, bed types by :data:`BED_TYPES`.
- Arrays are copied, converted to ``float64`` or ``int64`` and made read-only, so a spec is
  immutable and safe to share between processes.

Bed types and who may take them
-------------------------------
Nursing-type beds (护理型床位) are defined by the civil-affairs standards as beds in
institutions equipped and staffed to care for dependent and partially dependent (失能/半失能)
elders; the national 14th five-year plan sets their share of institutional beds (≥ 55 % by
2025, ``carefacility/data/care_need_params.md`` section 4). The definition describes the bed,
not a rule of admission: in practice homes admit whoever applies to them, and a nursing-type
bed left empty beside a queue of independent applicants is a choice a plan must state. So the
default rule (:data:`DEFAULT_ELIGIBLE_BED_TYPES`, the same as
:data:`PRACTICE_ELIGIBLE_BED_TYPES`) lets any applicant take a nursing-type bed, and keeps them
for those who need them the only ways the engine can:

- the *applicant's* order of preference: independent and partially dependent applicants take a
  general bed when one is free and a nursing-type bed only when none is; dependent applicants
  want a nursing-type bed, dementia applicants a dementia bed, else a nursing-type bed;
- with ``discipline="priority"``, the *bed's* choice among those waiting: dependent and dementia
  applicants first (``care_need`` in ``priority_order``). Under ``fifo`` and ``longest_wait``
  a freed nursing-type bed goes to the earliest applicant who accepts it, whatever the level
  (the engine has no per-bed-type preference between levels).

:data:`NURSING_FOR_DEPENDENT_ELIGIBLE_BED_TYPES` is the strict reading (independent and
partially dependent applicants only ever take general beds): the former default.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

__all__ = [
    "BED_CARE_INTENSITY",
    "BED_TYPES",
    "DAYS_PER_YEAR",
    "DEFAULT_ELIGIBLE_BED_TYPES",
    "DISCIPLINES",
    "LEVELS",
    "NURSING_FOR_DEPENDENT_ELIGIBLE_BED_TYPES",
    "PLACEMENTS",
    "PRACTICE_ELIGIBLE_BED_TYPES",
    "PRIORITY_CRITERIA",
    "STAY_KINDS",
    "BedSpec",
    "InitialWaitingList",
    "StayDistribution",
]

LEVELS: tuple[str, ...] = ("independent", "partially_dependent", "dependent", "dementia")
"""Care levels, in index order (自理, 半失能, 失能, 失智)."""

BED_TYPES: tuple[str, ...] = ("general", "nursing", "dementia")
"""Bed types, in index order (养老床位, 护理型床位, 认知障碍床位)."""

BED_CARE_INTENSITY: tuple[int, ...] = (0, 1, 2)
"""Care intensity of each bed type; residents only ever transfer to a more intensive type."""

DAYS_PER_YEAR = 365
"""Length of a model year [day]; leap days are ignored."""

PRACTICE_ELIGIBLE_BED_TYPES: tuple[tuple[int, ...], ...] = ((0, 1), (0, 1), (1,), (2, 1))
"""Acceptable bed types per level, preferred first, as homes admit in practice: independent and
partially dependent → general, else nursing; dependent → nursing; dementia → dementia, else
nursing (see the module notes)."""

NURSING_FOR_DEPENDENT_ELIGIBLE_BED_TYPES: tuple[tuple[int, ...], ...] = (
    (0,), (0,), (1,), (2, 1))
"""The strict reading of the bed types: independent and partially dependent → general only;
dependent → nursing; dementia → dementia, else nursing. Nursing-type beds may stand empty
beside a queue for general beds."""

DEFAULT_ELIGIBLE_BED_TYPES: tuple[tuple[int, ...], ...] = PRACTICE_ELIGIBLE_BED_TYPES
"""The default rule: :data:`PRACTICE_ELIGIBLE_BED_TYPES`."""

DISCIPLINES = ("fifo", "priority", "longest_wait")
PLACEMENTS = ("zone_then_type", "type_then_zone")
PRIORITY_CRITERIA = ("care_need", "low_income", "age_80plus")
STAY_KINDS = ("exponential", "gamma", "deterministic", "lognormal", "empirical")

_N_LEVELS = len(LEVELS)
_N_TYPES = len(BED_TYPES)


def _frozen(array: NDArray[Any]) -> NDArray[Any]:
    array.flags.writeable = False
    return array


def _float_array(value: ArrayLike, name: str) -> NDArray[np.float64]:
    try:
        array = np.array(value, dtype=np.float64)
    except (TypeError, ValueError) as error:
        raise ValueError(f"{name} must be numeric (got {value!r}): {error}") from None
    if not np.all(np.isfinite(array)):
        raise ValueError(f"{name} must be finite (got {value!r})")
    return array


def _rates(value: ArrayLike, name: str, shape: tuple[int, ...]) -> NDArray[np.float64]:
    """Non-negative float array broadcast to ``shape``."""
    array = _float_array(value, name)
    try:
        array = np.array(np.broadcast_to(array, shape), dtype=np.float64)
    except ValueError:
        raise ValueError(
            f"{name} must be a scalar or broadcast to shape {shape} (got shape {array.shape})"
        ) from None
    if np.any(array < 0):
        index = tuple(int(i) for i in np.argwhere(array < 0)[0])
        raise ValueError(f"{name}{list(index)} must be ≥ 0 (got {array[index]!r})")
    return _frozen(array)


def _counts(value: ArrayLike, name: str, shape: tuple[int, ...]) -> NDArray[np.int64]:
    """Non-negative integer array of exactly ``shape``."""
    array = _float_array(value, name)
    if array.shape != shape:
        raise ValueError(f"{name} must have shape {shape} (got shape {array.shape})")
    if np.any(array < 0) or np.any(array != np.round(array)):
        index = tuple(int(i) for i in np.argwhere((array < 0) | (array != np.round(array)))[0])
        raise ValueError(f"{name}{list(index)} must be a whole number ≥ 0 (got {array[index]!r})")
    return _frozen(array.astype(np.int64))


def _probabilities(value: ArrayLike, name: str, shape: tuple[int, ...]) -> NDArray[np.float64]:
    array = _rates(value, name, shape)
    if np.any(array > 1):
        index = tuple(int(i) for i in np.argwhere(array > 1)[0])
        raise ValueError(f"{name}{list(index)} must lie in [0, 1] (got {array[index]!r})")
    return array


def _stay_samples(values: Any) -> tuple[NDArray[np.float64], ...]:
    """Validate ``StayDistribution.values_days``: one sample per level, as read-only arrays."""
    name = "StayDistribution.values_days"
    if values is None:
        raise ValueError(f"{name} is required when kind='empirical'")

    def ndim(value: Any) -> int:
        try:
            return int(np.ndim(value))
        except ValueError:  # ragged nesting
            return -1

    per_level = (
        ndim(values) != 1
        and isinstance(values, Sequence | np.ndarray)
        and len(values) == _N_LEVELS
        and all(ndim(sample) == 1 for sample in values)
    )
    raw = list(values) if per_level else [values]
    samples = []
    for index, sample in enumerate(raw):
        where = f"{name}[{index}]" if per_level else name
        array = _float_array(sample, where)
        if array.ndim != 1 or array.size == 0:
            raise ValueError(
                f"{where} must be a non-empty 1-D sample of stays, or {name} a sequence of "
                f"{_N_LEVELS} such samples, one per level (got shape {array.shape})"
            )
        if np.any(array <= 0):
            raise ValueError(f"{where} must hold stays > 0 (got {float(array[array <= 0][0])!r})")
        samples.append(_frozen(array))
    return tuple(samples) if per_level else tuple(samples) * _N_LEVELS


@dataclass(frozen=True, eq=False)
class StayDistribution:
    """Length of stay drawn from a fixed distribution (theory checks; no level changes).

    Parameters
    ----------
    kind : {"exponential", "gamma", "deterministic", "lognormal", "empirical"}
        Distribution family. ``"empirical"`` resamples observed stays (``values_days``).
    mean_days : float or array_like of shape (4,)
        Mean length of stay [day], one value for all levels or one per level. With
        ``kind="empirical"`` the value given is ignored and replaced by the mean of each level's
        sample.
    gamma_shape : float
        Shape ``k`` of the gamma distribution [-] (``kind="gamma"`` only).
    lognormal_sigma : float
        Standard deviation of ``log(stay)`` [-] (``kind="lognormal"`` only).
    values_days : array_like or sequence of 4 array_like, optional
        Observed stays [day], each finite and > 0 (``kind="empirical"`` only, where it is
        required): one 1-D sample for all levels, or a sequence of 4 non-empty 1-D samples, one
        per level (a 2-D array of 4 rows counts as such). Stored as a tuple of 4 read-only
        arrays (the same array four times for a shared sample).

    Notes
    -----
    Residents present at day 0 get the *equilibrium residual* stay (density ``(1 - F(x)) / m``),
    so a pool started with its stationary occupancy stays stationary: a length-biased stay
    times an independent uniform. Length-biased gamma(k) is gamma(k + 1), length-biased
    lognormal(μ, σ) is lognormal(μ + σ², σ), and the residual of a deterministic stay ``d`` is
    uniform on ``[0, d]``; the exponential residual is the exponential itself. An empirical stay
    is a uniform choice among the level's observed values; its length-biased version chooses
    value ``v`` with probability proportional to ``v``, so the residual has mean
    ``E[S²] / (2 E[S])`` over the sample.
    """

    kind: str
    mean_days: Any = 365.0
    gamma_shape: float = 1.0
    lognormal_sigma: float = 1.0
    values_days: Any = None

    def __post_init__(self) -> None:
        if self.kind not in STAY_KINDS:
            raise ValueError(
                f"StayDistribution.kind must be one of {STAY_KINDS} (got {self.kind!r})"
            )
        if self.kind == "empirical":
            samples = _stay_samples(self.values_days)
            object.__setattr__(self, "values_days", samples)
            object.__setattr__(self, "mean_days", np.array([v.mean() for v in samples]))
        elif self.values_days is not None:
            raise ValueError(
                "StayDistribution.values_days is only used with kind='empirical' "
                f"(got kind={self.kind!r})"
            )
        mean = _rates(self.mean_days, "StayDistribution.mean_days", (_N_LEVELS,))
        if np.any(mean <= 0):
            raise ValueError(f"StayDistribution.mean_days must be > 0 (got {self.mean_days!r})")
        object.__setattr__(self, "mean_days", mean)
        if not (math.isfinite(self.gamma_shape) and self.gamma_shape > 0):
            raise ValueError(f"StayDistribution.gamma_shape must be > 0 (got {self.gamma_shape!r})")
        if not (math.isfinite(self.lognormal_sigma) and self.lognormal_sigma >= 0):
            raise ValueError(
                f"StayDistribution.lognormal_sigma must be ≥ 0 (got {self.lognormal_sigma!r})"
            )


@dataclass(frozen=True, eq=False)
class InitialWaitingList:
    """Applicants already waiting at the start, one entry per person.

    Parameters
    ----------
    zone : array_like of int, shape (n,)
        Zone of each applicant.
    level : array_like of int, shape (n,)
        Care level of each applicant (index into :data:`LEVELS`).
    waited_days : float or array_like, shape (n,)
        Days each applicant has already waited at the start [day], ≥ 0.
    age_80plus, low_income : array_like of bool, shape (n,), optional
        Attributes; drawn from the year-0 shares when omitted.
    """

    zone: Any
    level: Any
    waited_days: Any = 0.0
    age_80plus: Any = None
    low_income: Any = None

    def __post_init__(self) -> None:
        zone = _float_array(self.zone, "initial_waiting_list.zone").reshape(-1)
        n = zone.size
        level = _float_array(self.level, "initial_waiting_list.level").reshape(-1)
        if level.size != n:
            raise ValueError(
                f"initial_waiting_list.level must have one entry per applicant ({n}), got "
                f"{level.size}"
            )
        for name, values, upper in (("zone", zone, None), ("level", level, _N_LEVELS)):
            if np.any(values < 0) or np.any(values != np.round(values)):
                raise ValueError(f"initial_waiting_list.{name} must hold whole numbers ≥ 0")
            if upper is not None and np.any(values >= upper):
                raise ValueError(f"initial_waiting_list.{name} must be < {upper}")
        object.__setattr__(self, "zone", _frozen(zone.astype(np.int64)))
        object.__setattr__(self, "level", _frozen(level.astype(np.int64)))
        object.__setattr__(
            self, "waited_days", _rates(self.waited_days, "initial_waiting_list.waited_days", (n,))
        )
        for name in ("age_80plus", "low_income"):
            value = getattr(self, name)
            if value is not None:
                flags = np.array(value, dtype=bool).reshape(-1)
                if flags.size != n:
                    raise ValueError(
                        f"initial_waiting_list.{name} must have one entry per applicant ({n}), "
                        f"got {flags.size}"
                    )
                object.__setattr__(self, name, _frozen(flags))

    @classmethod
    def from_counts(cls, counts: ArrayLike, waited_days: float = 0.0) -> InitialWaitingList:
        """Build from counts per (zone, level), all with the same days already waited.

        Parameters
        ----------
        counts : array_like of int, shape (n_zones, 4)
            Applicants waiting per zone and care level.
        waited_days : float
            Days each has already waited [day].
        """
        table = np.asarray(counts)
        if table.ndim != 2 or table.shape[1] != _N_LEVELS:
            raise ValueError(f"counts must have shape (n_zones, 4) (got shape {table.shape})")
        table = _counts(table, "initial_waiting_list counts", table.shape)
        zones, levels = np.nonzero(table)
        repeats = table[zones, levels]
        return cls(
            zone=np.repeat(zones, repeats),
            level=np.repeat(levels, repeats),
            waited_days=waited_days,
        )

    @property
    def size(self) -> int:
        """Number of applicants waiting at the start [persons]."""
        return int(self.zone.size)


@dataclass(frozen=True, eq=False)
class BedSpec:
    """Everything one replication of the bed simulation needs.

    Parameters
    ----------
    home_zone : array_like of int, shape (n_homes,)
        Zone index of each care home.
    initial_capacity : array_like of int, shape (n_homes, 3)
        Beds per home and bed type at day 0 [beds].
    arrival_rate_per_day : array_like, shape (n_years, n_zones, 4)
        Mean applicants per day by year, zone and care level [1/day]; arrivals are Poisson,
        piecewise constant by year unless ``arrival_trend_per_day_per_day`` is set. Defines
        ``n_years`` and ``n_zones``.
    share_80plus, share_low_income : float or array_like broadcast to (n_years, n_zones, 4)
        Probability that an applicant is aged 80+ (高龄) or low-income (特困) [-].
    capacity_changes : array_like, shape (n_changes, 5)
        Rows ``(day, home, bed_type_from, bed_type_to, n_beds)``: open (``from = -1``), close
        (``to = -1``) or convert (both ≥ 0) ``n_beds`` beds on ``day`` [day]. Changes on the
        same day apply in row order. Closing occupied beds never evicts anyone: capacity drops
        at once and occupied beds close as their residents leave. Converting occupied beds
        keeps their residents, who are then in beds of the new type (free beds convert first,
        then beds of residents waiting for a transfer to the new type, then others, earliest
        arrival first).
    eligible_bed_types : tuple of 4 tuples of int
        Acceptable bed types per level, preferred first (see
        :data:`DEFAULT_ELIGIBLE_BED_TYPES`).
    overflow_to_general : bool
        Dependent and dementia applicants may also take a general bed, but only when no bed of
        an acceptable type is free anywhere they may go; such residents join the transfer queue
        at once.
    placement : {"zone_then_type", "type_then_zone"}
        Order in which an applicant looks for a free bed. ``zone_then_type``: every acceptable
        type in the own zone, then every acceptable type in the other zones;
        ``type_then_zone``: first type in the own zone then other zones, then the next type.
        Within the own zone, and among all other zones together, the home with the most free
        beds of that type is chosen (lowest home index on ties).
    allow_other_zones : bool
        Whether applicants may be placed outside their own zone.
    discipline : {"fifo", "priority", "longest_wait"}
        Which waiting applicant gets a freed bed (among those who accept its type).
        ``fifo``: earliest arrival from the bed's zone, else earliest from other zones.
        ``priority``: best rank from the bed's zone, else best rank from other zones, FIFO within
        a rank (see ``priority_order``). ``longest_wait``: earliest arrival from any zone.
    priority_order : tuple of str
        Criteria of the priority rank, most important first, from
        ``("care_need", "low_income", "age_80plus")``; ``care_need`` means dependent or
        dementia. Rank is lexicographic: with the default, dependent/dementia low-income 80+
        come first, then dependent/dementia low-income under 80, …, then independent/partially
        dependent, not low-income, under 80.
    max_waiting : int or None
        Longest waiting list; an applicant who finds no free bed and a full list is lost
        (counted in ``blocked``). ``0`` gives a pure loss system (Erlang B). ``None``: no limit.
        The initial waiting list is admitted to the list whatever its length.
    waiting_death_rate_per_day, withdrawal_rate_per_day : float or array_like (4,)
        Exponential exit rates of waiting applicants by level [1/day]. Applicants keep their
        care level and age band while waiting (level changes and ageing are modelled for
        residents only).
    resident_generator_per_day : array_like, shape (4, 4) or (2, 4, 4)
        Generator of the care-level CTMC of residents [1/day], optionally per age band
        (0 = under 80, 1 = 80+). Rows must sum to 0. Residents move from band 0 to band 1 at
        ``band_ageing_rate_per_day``; applicants keep the band they arrived with while waiting.
    resident_death_rate_per_day : array_like, shape (4,) or (2, 4)
        Death rate of residents by level (and age band) [1/day].
    discharge_rate_per_day : array_like, shape (4,)
        Rate of leaving the home alive by level [1/day].
    band_ageing_rate_per_day : float or array_like, shape (4,)
        Rate at which a resident under 80 (band 0) turns 80 (band 1), by the resident's current
        care level [1/day]; e.g. ``need.resident_dynamics(...).band_ageing_rate_per_day``. It
        is one more competing exponential event of the resident CTMC, next to level changes,
        death and discharge: from then on the resident has the band-1 generator and death rate
        and counts as aged 80+ (``age_80plus``). Band 1 is absorbing. Only residents age:
        applicants keep their band while on the waiting list (and are admitted with it), and
        ``stay_distribution`` mode ignores this field like the other CTMC fields. The default
        ``0.0`` keeps every band fixed for the whole run and reproduces earlier runs exactly.
    stay_distribution : StayDistribution or None
        When given, stays are drawn from it (one draw per applicant, at arrival, so that runs
        with different capacities share them) and levels never change; the CTMC fields are then
        ignored and every departure counts as a discharge.
    transfers_first : bool
        A freed bed goes to a resident waiting for a transfer to its type before any new
        applicant; when False, only if no waiting applicant accepts it.
    transfers_between_homes : bool
        Residents may transfer to another home — own home first, then homes of their zone, then
        any zone (regardless of ``allow_other_zones``); otherwise only within their home.
    initial_residents : array_like of int, shape (n_homes, 3, 4)
        Residents at day 0 by home, bed type and level. Their remaining stays are exact for the
        CTMC (memoryless) and equilibrium-residual for a ``stay_distribution``.
    initial_waiting_list : InitialWaitingList or None
        Applicants waiting at day 0.
    warmup_days : float
        Days simulated before day 0 with year 0's mean arrival rates (constant, whatever
        ``arrival_trend_per_day_per_day``) and the initial capacity; the initial state is placed
        at ``-warmup_days`` and nothing before day 0 is reported [day].
    wait_threshold_days : float
        ``T`` in "share served (admitted) within T days" [day].
    first_year : int
        Calendar year of model year 0 (labels only).
    arrival_trend_per_day_per_day : float or array_like broadcast to (n_years, n_zones, 4)
        Linear change of the arrival rate within each model year [1/day²]: in year ``y`` the
        rate at day ``t`` is ``arrival_rate_per_day[y] + trend[y] (t - (365 y + 182.5))``, so
        ``arrival_rate_per_day[y]`` stays the year's mean. The rate must be ≥ 0 at both ends
        of every year (up to rounding). The warm-up uses year 0's mean rate, constant; the
        run-on the rate at the end of the last year, constant. ``0.0`` (the default) gives the
        piecewise-constant rates and reproduces earlier runs exactly.
    run_on_days : float or None
        Days simulated after the last reported year [day] so that the outcome of every
        applicant of the reported years within ``wait_threshold_days`` is known; ``None``
        (the default) means ``wait_threshold_days`` (see :attr:`run_on_length_days`). Arrivals
        continue at the rate of the end of the last year with its shares, capacity stays as at
        the horizon, and nothing that happens then is reported except the outcomes of
        applicants of the reported years (``cohort_*`` of the result). Random numbers come from
        streams of their own, so the run-on never changes a figure of the reported years.
    """

    home_zone: Any
    initial_capacity: Any
    arrival_rate_per_day: Any
    share_80plus: Any = 0.0
    share_low_income: Any = 0.0
    capacity_changes: Any = ()
    eligible_bed_types: tuple[tuple[int, ...], ...] = DEFAULT_ELIGIBLE_BED_TYPES
    overflow_to_general: bool = False
    placement: str = "zone_then_type"
    allow_other_zones: bool = True
    discipline: str = "fifo"
    priority_order: tuple[str, ...] = PRIORITY_CRITERIA
    max_waiting: int | None = None
    waiting_death_rate_per_day: Any = 0.0
    withdrawal_rate_per_day: Any = 0.0
    resident_generator_per_day: Any = field(default_factory=lambda: np.zeros((4, 4)))
    resident_death_rate_per_day: Any = 0.0
    discharge_rate_per_day: Any = 0.0
    band_ageing_rate_per_day: Any = 0.0
    stay_distribution: StayDistribution | None = None
    transfers_first: bool = True
    transfers_between_homes: bool = True
    initial_residents: Any = None
    initial_waiting_list: InitialWaitingList | None = None
    warmup_days: float = 0.0
    wait_threshold_days: float = 30.0
    first_year: int = 0
    arrival_trend_per_day_per_day: Any = 0.0
    run_on_days: float | None = None

    # ------------------------------------------------------------------ validation
    def __post_init__(self) -> None:
        set_ = object.__setattr__
        zone = _float_array(self.home_zone, "home_zone")
        if zone.ndim != 1 or zone.size == 0:
            raise ValueError(f"home_zone must be a non-empty 1-D array (got shape {zone.shape})")
        n_homes = zone.size
        set_(self, "home_zone", _counts(zone, "home_zone", (n_homes,)))
        set_(
            self,
            "initial_capacity",
            _counts(self.initial_capacity, "initial_capacity", (n_homes, _N_TYPES)),
        )
        rate = _float_array(self.arrival_rate_per_day, "arrival_rate_per_day")
        if rate.ndim != 3 or rate.shape[2] != _N_LEVELS or rate.shape[0] == 0:
            raise ValueError(
                "arrival_rate_per_day must have shape (n_years, n_zones, 4) with n_years ≥ 1 "
                f"(got shape {rate.shape})"
            )
        shape = rate.shape
        set_(self, "arrival_rate_per_day", _rates(rate, "arrival_rate_per_day", shape))
        n_zones = shape[1]
        if self.home_zone.max() >= n_zones:
            home = int(np.argmax(self.home_zone >= n_zones))
            raise ValueError(
                f"home_zone[{home}] = {self.home_zone[home]} but arrival_rate_per_day has only "
                f"{n_zones} zones (indices 0..{n_zones - 1})"
            )
        set_(self, "share_80plus", _probabilities(self.share_80plus, "share_80plus", shape))
        set_(
            self,
            "share_low_income",
            _probabilities(self.share_low_income, "share_low_income", shape),
        )
        self._validate_trend()
        self._validate_rules()
        self._validate_residents()
        initial = self.initial_residents
        initial = np.zeros((n_homes, _N_TYPES, _N_LEVELS)) if initial is None else initial
        set_(
            self,
            "initial_residents",
            _counts(initial, "initial_residents", (n_homes, _N_TYPES, _N_LEVELS)),
        )
        over = self.initial_residents.sum(axis=2) > self.initial_capacity
        if np.any(over):
            home, bed_type = (int(i) for i in np.argwhere(over)[0])
            raise ValueError(
                f"initial_residents at home {home} in {BED_TYPES[bed_type]} beds "
                f"({self.initial_residents[home, bed_type].sum()}) exceed initial_capacity "
                f"({self.initial_capacity[home, bed_type]})"
            )
        waiting = self.initial_waiting_list
        if waiting is not None:
            if not isinstance(waiting, InitialWaitingList):
                raise ValueError("initial_waiting_list must be an InitialWaitingList or None")
            if waiting.size and waiting.zone.max() >= n_zones:
                raise ValueError(f"initial_waiting_list.zone must be < n_zones = {n_zones}")
        for name in ("warmup_days", "wait_threshold_days"):
            value = float(getattr(self, name))
            if not (math.isfinite(value) and value >= 0):
                raise ValueError(f"{name} must be finite and ≥ 0 (got {getattr(self, name)!r})")
            set_(self, name, value)
        if self.run_on_days is not None:
            value = _float_array(self.run_on_days, "run_on_days")
            if value.ndim != 0 or value < 0:
                raise ValueError(
                    f"run_on_days must be finite and ≥ 0, or None (got {self.run_on_days!r})"
                )
            set_(self, "run_on_days", float(value))
        set_(self, "capacity_changes", self._validate_capacity_changes())

    def _validate_trend(self) -> None:
        name = "arrival_trend_per_day_per_day"
        rate = self.arrival_rate_per_day
        trend = _float_array(getattr(self, name), name)
        try:
            trend = np.array(np.broadcast_to(trend, rate.shape), dtype=np.float64)
        except ValueError:
            raise ValueError(
                f"{name} must be a scalar or broadcast to shape {rate.shape} "
                f"(got shape {trend.shape})"
            ) from None
        half = DAYS_PER_YEAR / 2
        for end, sign in (("start", -1.0), ("end", 1.0)):
            at_end = rate + sign * half * trend
            # tolerate rounding when a year's rate is meant to fall to exactly 0 at one end
            bad = at_end < -1e-12 * rate
            if np.any(bad):
                index = tuple(int(i) for i in np.argwhere(bad)[0])
                raise ValueError(
                    f"arrival rate at the {end} of year {index[0]} (zone {index[1]}, level "
                    f"{index[2]}) is arrival_rate_per_day{list(index)} "
                    f"{'-' if sign < 0 else '+'} {half:g} × {name}{list(index)} = "
                    f"{float(at_end[index])!r} per day; it must be ≥ 0"
                )
        object.__setattr__(self, name, _frozen(trend))

    def _validate_rules(self) -> None:
        set_ = object.__setattr__
        eligible = tuple(tuple(int(t) for t in types) for types in self.eligible_bed_types)
        if len(eligible) != _N_LEVELS:
            raise ValueError(
                f"eligible_bed_types needs one tuple per level {LEVELS} (got {len(eligible)})"
            )
        for level, types in enumerate(eligible):
            if (
                not types
                or len(set(types)) != len(types)
                or not all(0 <= t < _N_TYPES for t in types)
            ):
                raise ValueError(
                    f"eligible_bed_types[{level}] ({LEVELS[level]}) must be a non-empty tuple of "
                    f"distinct bed types in 0..{_N_TYPES - 1} {BED_TYPES} (got {types!r})"
                )
        set_(self, "eligible_bed_types", eligible)
        for name, allowed in (("placement", PLACEMENTS), ("discipline", DISCIPLINES)):
            if getattr(self, name) not in allowed:
                raise ValueError(f"{name} must be one of {allowed} (got {getattr(self, name)!r})")
        order = tuple(self.priority_order)
        unknown = [c for c in order if c not in PRIORITY_CRITERIA]
        if unknown or len(set(order)) != len(order):
            raise ValueError(
                f"priority_order must list distinct criteria from {PRIORITY_CRITERIA} "
                f"(got {self.priority_order!r})"
            )
        set_(self, "priority_order", order)
        if self.max_waiting is not None:
            if (
                isinstance(self.max_waiting, bool)
                or int(self.max_waiting) != self.max_waiting
                or self.max_waiting < 0
            ):
                raise ValueError(
                    f"max_waiting must be a whole number ≥ 0 or None (got {self.max_waiting!r})"
                )
            set_(self, "max_waiting", int(self.max_waiting))
        for name in (
            "overflow_to_general",
            "allow_other_zones",
            "transfers_first",
            "transfers_between_homes",
        ):
            if not isinstance(getattr(self, name), bool | np.bool_):
                raise ValueError(f"{name} must be True or False (got {getattr(self, name)!r})")
            set_(self, name, bool(getattr(self, name)))
        for name in ("waiting_death_rate_per_day", "withdrawal_rate_per_day"):
            set_(self, name, _rates(getattr(self, name), name, (_N_LEVELS,)))

    def _validate_residents(self) -> None:
        set_ = object.__setattr__
        generator = _float_array(self.resident_generator_per_day, "resident_generator_per_day")
        if generator.shape == (_N_LEVELS, _N_LEVELS):
            generator = np.stack([generator, generator])
        if generator.shape != (2, _N_LEVELS, _N_LEVELS):
            raise ValueError(
                "resident_generator_per_day must have shape (4, 4) or (2, 4, 4) "
                f"(got shape {generator.shape})"
            )
        for band in range(2):
            matrix = generator[band]
            off = matrix - np.diag(np.diag(matrix))
            if np.any(off < 0):
                row, col = (int(i) for i in np.argwhere(off < 0)[0])
                raise ValueError(
                    f"resident_generator_per_day[{band}, {row}, {col}] = {matrix[row, col]!r} "
                    "must be ≥ 0 (off-diagonal entries are transition rates)"
                )
            sums = matrix.sum(axis=1)
            bad = np.flatnonzero(np.abs(sums) > 1e-9 * np.maximum(1.0, np.abs(matrix).max()))
            if bad.size:
                row = int(bad[0])
                raise ValueError(
                    f"resident_generator_per_day row {row} (age band {band}) sums to "
                    f"{sums[row]!r}; set its diagonal to {-off[row].sum()!r} so the row sums to 0"
                )
        set_(self, "resident_generator_per_day", _frozen(generator))
        set_(
            self,
            "resident_death_rate_per_day",
            _rates(self.resident_death_rate_per_day, "resident_death_rate_per_day", (2, _N_LEVELS)),
        )
        set_(
            self,
            "discharge_rate_per_day",
            _rates(self.discharge_rate_per_day, "discharge_rate_per_day", (_N_LEVELS,)),
        )
        name = "band_ageing_rate_per_day"
        ageing = _float_array(self.band_ageing_rate_per_day, name)
        if ageing.shape not in ((), (_N_LEVELS,)):
            raise ValueError(
                f"{name} must be a scalar or have shape ({_N_LEVELS},), one rate per level "
                f"{LEVELS} (got shape {ageing.shape})"
            )
        set_(self, name, _rates(ageing, name, (_N_LEVELS,)))
        if self.stay_distribution is not None and not isinstance(
            self.stay_distribution, StayDistribution
        ):
            raise ValueError("stay_distribution must be a StayDistribution or None")

    def _validate_capacity_changes(self) -> NDArray[np.float64]:
        changes = _float_array(self.capacity_changes, "capacity_changes")
        if changes.size == 0:
            changes = changes.reshape(0, 5)
        if changes.ndim != 2 or changes.shape[1] != 5:
            raise ValueError(
                "capacity_changes must have rows (day, home, bed_type_from, bed_type_to, n_beds) "
                f"(got shape {changes.shape})"
            )
        horizon = self.horizon_days
        for index, (day, home, source, target, n_beds) in enumerate(changes):
            where = f"capacity_changes[{index}] (day {day:g}, home {home:g})"
            if not 0 <= day < horizon:
                raise ValueError(f"{where}: day must lie in [0, {horizon}) (got {day:g})")
            if home != int(home) or not 0 <= home < self.n_homes:
                raise ValueError(f"{where}: home must be an index in 0..{self.n_homes - 1}")
            for name, value in (("bed_type_from", source), ("bed_type_to", target)):
                if value != int(value) or not -1 <= value < _N_TYPES:
                    raise ValueError(f"{where}: {name} must be -1 or a bed type in 0..2")
            if source == target:
                raise ValueError(
                    f"{where}: bed_type_from and bed_type_to must differ (-1 means none)"
                )
            if n_beds != int(n_beds) or n_beds <= 0:
                raise ValueError(f"{where}: n_beds must be a whole number > 0 (got {n_beds:g})")
        order = np.argsort(changes[:, 0], kind="stable")
        capacity = self.initial_capacity.astype(np.int64).copy()
        for index in order:
            day, home, source, target, n_beds = changes[index]
            home, source, target, n_beds = int(home), int(source), int(target), int(n_beds)
            if source >= 0:
                if capacity[home, source] < n_beds:
                    action = "closes" if target < 0 else "converts"
                    raise ValueError(
                        f"capacity_changes[{index}] (day {day:g}, home {home}, "
                        f"{BED_TYPES[source]}) {action} {n_beds} beds but only "
                        f"{capacity[home, source]} {BED_TYPES[source]} beds exist then; "
                        "capacity cannot go negative"
                    )
                capacity[home, source] -= n_beds
            if target >= 0:
                capacity[home, target] += n_beds
        return _frozen(changes)

    # ------------------------------------------------------------------ derived sizes
    @property
    def n_homes(self) -> int:
        """Number of care homes."""
        return int(self.home_zone.size)

    @property
    def n_zones(self) -> int:
        """Number of zones."""
        return int(self.arrival_rate_per_day.shape[1])

    @property
    def n_years(self) -> int:
        """Number of reported model years."""
        return int(self.arrival_rate_per_day.shape[0])

    @property
    def horizon_days(self) -> float:
        """Reported horizon ``n_years × 365`` [day]."""
        return float(self.n_years * DAYS_PER_YEAR)

    @property
    def run_on_length_days(self) -> float:
        """Days simulated after the horizon: ``run_on_days``, or ``wait_threshold_days`` if
        None [day]."""
        return self.wait_threshold_days if self.run_on_days is None else self.run_on_days

    def acceptable_bed_types(self, level: int) -> tuple[int, ...]:
        """Bed types ``level`` may be admitted to: its eligible types, plus general overflow."""
        types = self.eligible_bed_types[level]
        if self.overflow_to_general and level in (2, 3) and 0 not in types:
            return (*types, 0)
        return types

    def capacity_schedule(self) -> NDArray[np.int64]:
        """Capacity at the end of each model year, shape (n_years, 3) summed over homes [beds]."""
        capacity = self.initial_capacity.sum(axis=0).astype(np.int64)
        out = np.empty((self.n_years, _N_TYPES), dtype=np.int64)
        changes = self.capacity_changes
        for year in range(self.n_years):
            inside = (changes[:, 0] >= year * DAYS_PER_YEAR) & (
                changes[:, 0] < (year + 1) * DAYS_PER_YEAR
            )
            for _day, _home, source, target, n_beds in changes[inside]:
                if source >= 0:
                    capacity[int(source)] -= int(n_beds)
                if target >= 0:
                    capacity[int(target)] += int(n_beds)
            out[year] = capacity
        return out


def needs_transfer(
    eligible_bed_types: Sequence[Sequence[int]], level: int, bed_type: int
) -> tuple[int, ...]:
    """Bed types a resident at ``level`` in a ``bed_type`` bed should transfer to.

    A resident transfers only when the bed type is not among the level's eligible types
    (overflow does not count) and only to more intensive types (:data:`BED_CARE_INTENSITY`):
    someone who becomes dependent in a general bed wants a nursing bed, but someone who
    recovers in a nursing bed stays there.

    Returns
    -------
    tuple of int
        Target bed types, preferred first; empty when no transfer is needed.
    """
    types = eligible_bed_types[level]
    if bed_type in types:
        return ()
    intensity = BED_CARE_INTENSITY[bed_type]
    return tuple(t for t in types if BED_CARE_INTENSITY[t] > intensity)
