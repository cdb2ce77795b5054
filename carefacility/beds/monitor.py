"""Yearly monitors of one replication and the result object they produce.

Counters are plain Python lists indexed by *slot*: slot 0 is the warm-up, slot ``y + 1`` is
model year ``y``, and a last slot catches the run-on after the horizon. Only model years reach
the result.

Most counters count events by the slot in which they happen. The ``cohort_*`` counters count
applicants by the slot in which they *arrived* (``Person.slot``), whenever their outcome happens,
up to the end of the run-on; the initial residents and waiting list belong to slot 0.

Admissions are not counted as they happen: each appends its wait and one integer code (arrival
slot, level, home, bed type; :meth:`Monitor.admission_code`), and the engine notes where each
slot's admissions begin (:meth:`Monitor.start_slot`); :meth:`Monitor.result` counts them by
slot, level, home and bed type, and by cohort, at the end.

Time-weighted means use an integral that needs no "time of last change": when a quantity
changes by ``δ`` at time ``s`` inside a period ending at ``e``, ``δ (e - s)`` is added to the
period's area, and at the start of a period its area starts at ``value × length``. The mean is
the area over the period length.
"""

from __future__ import annotations

from array import array
from dataclasses import dataclass, fields
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from carefacility.beds.engine_spec import BED_TYPES, DAYS_PER_YEAR, LEVELS

__all__ = ["BedReplicationResult", "Monitor"]

_N_LEVELS = len(LEVELS)
_N_TYPES = len(BED_TYPES)


def _zeros(n_slots: int, *inner: int) -> list[Any]:
    if not inner:
        return [0] * n_slots
    return [_zeros(inner[0], *inner[1:]) for _ in range(n_slots)]


class Monitor:
    """Accumulators written by the engine (public attributes, updated in place).

    Counters are nested lists by slot; ``wait_days`` (float) and ``admission_codes`` (int,
    :meth:`admission_code`) are ``array.array`` with one entry per admission, and
    ``slot_starts`` notes where each slot's admissions begin.

    Parameters
    ----------
    n_years, n_homes : int
        Sizes.
    """

    __slots__ = (
        "admission_codes",
        "arrivals",
        "blocked",
        "capacity_at_end",
        "cohort_abandoned",
        "cohort_still_waiting",
        "cohort_waited",
        "deaths_in_care",
        "deaths_while_waiting",
        "dependent_in_general_area",
        "discharges",
        "level_changes",
        "n_homes",
        "n_years",
        "occupied_area",
        "occupied_area_by_home",
        "occupied_at_end",
        "period_days",
        "slot_starts",
        "transfer_queue_at_end",
        "transfers",
        "wait_days",
        "waiting_area",
        "waiting_at_end",
        "withdrawals",
    )

    def __init__(self, n_years: int, n_homes: int) -> None:
        n = n_years + 2
        self.n_years = n_years
        self.n_homes = n_homes
        self.arrivals = _zeros(n, _N_LEVELS)
        self.blocked = _zeros(n, _N_LEVELS)
        self.deaths_while_waiting = _zeros(n, _N_LEVELS)
        self.withdrawals = _zeros(n, _N_LEVELS)
        self.deaths_in_care = _zeros(n, _N_LEVELS)
        self.discharges = _zeros(n, _N_LEVELS)
        self.level_changes = _zeros(n)
        self.transfers = _zeros(n, _N_TYPES)
        # outcomes of applicants by arrival slot (see the module docstring)
        self.cohort_waited = _zeros(n, _N_LEVELS)
        self.cohort_abandoned = _zeros(n, _N_LEVELS)
        self.cohort_still_waiting = _zeros(n, _N_LEVELS)
        # time-weighted areas [bed-days, person-days]
        self.occupied_area = [[0.0] * _N_TYPES for _ in range(n)]
        self.occupied_area_by_home = [[[0.0] * _N_TYPES for _ in range(n_homes)] for _ in range(n)]
        self.waiting_area = [0.0] * n
        self.dependent_in_general_area = [0.0] * n
        self.period_days = [float(DAYS_PER_YEAR)] * n
        # snapshots at the end of each slot
        self.waiting_at_end = _zeros(n, _N_LEVELS)
        self.transfer_queue_at_end = _zeros(n)
        self.capacity_at_end = _zeros(n, _N_TYPES)
        self.occupied_at_end = _zeros(n, _N_TYPES)
        # one entry each per admission, in time order; slot_starts: (slot, first entry). Arrays
        # of machine numbers: 8 bytes an admission each, no Python object kept.
        self.wait_days = array("d")
        self.admission_codes = array("q")
        self.slot_starts: list[tuple[int, int]] = []

    def admission_code(self, arrival_slot: int, level: int, home: int, bed_type: int) -> int:
        """The code of an admission in :attr:`admission_codes`:
        ``((arrival_slot * 4 + level) * n_homes + home) * 3 + bed_type``."""
        return ((arrival_slot * _N_LEVELS + level) * self.n_homes + home) * _N_TYPES + bed_type

    def start_slot(self, slot: int) -> None:
        """Note that the admissions recorded from now on happen in ``slot``."""
        self.slot_starts.append((slot, len(self.wait_days)))

    def _admission_slots(self) -> NDArray[np.int64]:
        """Slot of each admission record (non-decreasing: records are in time order)."""
        slot = np.zeros(len(self.wait_days), dtype=np.int64)
        for first_slot, first in self.slot_starts:
            slot[first:] = first_slot
        return slot

    def _admission_counts(
        self,
        slot: NDArray[np.int64],
        code: NDArray[np.int64],
        wait: NDArray[np.float64],
        wait_threshold_days: float,
    ) -> dict[str, NDArray[np.int64]]:
        """Admissions by (slot, level), (slot, bed type), (slot, home, bed type), and by cohort
        (arrival slot, level) in all and within the wait threshold, over every slot."""
        n = self.n_years + 2
        n_places = self.n_homes * _N_TYPES
        cohort, place = np.divmod(code, n_places)
        level = cohort % _N_LEVELS
        bed_type = place % _N_TYPES

        def count(index: NDArray[np.int64], *shape: int) -> NDArray[np.int64]:
            size = int(np.prod(shape))
            return np.bincount(index, minlength=size).astype(np.int64).reshape(shape)

        return {
            "admissions": count(slot * _N_LEVELS + level, n, _N_LEVELS),
            "admissions_by_bed_type": count(slot * _N_TYPES + bed_type, n, _N_TYPES),
            "admissions_by_home": count(slot * n_places + place, n, self.n_homes, _N_TYPES),
            "cohort_admitted": count(cohort, n, _N_LEVELS),
            "cohort_served_within_threshold": count(
                cohort[wait <= wait_threshold_days], n, _N_LEVELS
            ),
        }

    def result(
        self, *, seed: int, replication: int, first_year: int, wait_threshold_days: float
    ) -> BedReplicationResult:
        """Build the result of model years ``0 .. n_years - 1``."""
        years = slice(1, self.n_years + 1)

        def counts(values: list[Any]) -> NDArray[np.int64]:
            return np.asarray(values[years], dtype=np.int64)

        period = np.asarray(self.period_days[years], dtype=float)
        occupied = np.asarray(self.occupied_area[years]) / period[:, None]
        occupied_home = np.asarray(self.occupied_area_by_home[years]) / period[:, None, None]
        slot = self._admission_slots()
        all_waits = np.array(self.wait_days, dtype=np.float64)
        all_codes = np.array(self.admission_codes, dtype=np.int64)
        admitted = {
            name: values[years].copy()
            for name, values in self._admission_counts(
                slot, all_codes, all_waits, wait_threshold_days
            ).items()
        }
        # the admissions of the reported years, in time order (hence sorted by year)
        first, end = np.searchsorted(slot, [1, self.n_years + 1])
        wait = all_waits[first:end]
        year = slot[first:end] - 1
        cohort, place = np.divmod(all_codes[first:end], self.n_homes * _N_TYPES)
        level = cohort % _N_LEVELS
        bed_type = place % _N_TYPES
        stats = np.full((5, self.n_years), np.nan)
        bounds = np.searchsorted(year, np.arange(self.n_years + 1))
        for y in range(self.n_years):
            chunk = wait[bounds[y] : bounds[y + 1]]
            if chunk.size:
                stats[0, y] = chunk.mean()
                stats[1:4, y] = np.quantile(chunk, [0.5, 0.9, 0.95])
                stats[4, y] = np.mean(chunk <= wait_threshold_days)
        return BedReplicationResult(
            seed=seed,
            replication=replication,
            first_year=first_year,
            wait_threshold_days=wait_threshold_days,
            arrivals=counts(self.arrivals),
            admissions=admitted["admissions"],
            admissions_by_bed_type=admitted["admissions_by_bed_type"],
            admissions_by_home=admitted["admissions_by_home"],
            blocked=counts(self.blocked),
            deaths_while_waiting=counts(self.deaths_while_waiting),
            withdrawals=counts(self.withdrawals),
            deaths_in_care=counts(self.deaths_in_care),
            discharges=counts(self.discharges),
            level_changes=counts(self.level_changes),
            transfers=counts(self.transfers),
            mean_occupied_beds=occupied,
            mean_occupied_beds_by_home=occupied_home,
            mean_waiting=np.asarray(self.waiting_area[years]) / period,
            waiting_at_year_end=counts(self.waiting_at_end),
            mean_dependent_in_general_beds=np.asarray(self.dependent_in_general_area[years])
            / period,
            transfer_queue_at_year_end=counts(self.transfer_queue_at_end),
            capacity_at_year_end=counts(self.capacity_at_end),
            occupied_at_year_end=counts(self.occupied_at_end),
            mean_wait_days=stats[0],
            wait_p50_days=stats[1],
            wait_p90_days=stats[2],
            wait_p95_days=stats[3],
            share_admitted_within_threshold=stats[4],
            cohort_admitted=admitted["cohort_admitted"],
            cohort_served_within_threshold=admitted["cohort_served_within_threshold"],
            cohort_waited=counts(self.cohort_waited),
            cohort_abandoned=counts(self.cohort_abandoned),
            cohort_still_waiting=counts(self.cohort_still_waiting),
            admitted_wait_days=wait,
            admitted_year=year,
            admitted_level=level,
            admitted_bed_type=bed_type,
        )


# metric name -> (breakdown, unit); breakdown is the meaning of the axes after "year".
_METRICS: dict[str, tuple[tuple[str, ...], str]] = {
    "arrivals": (("level",), "persons"),
    "admissions": (("level",), "persons"),
    "admissions_by_bed_type": (("bed_type",), "persons"),
    "admissions_by_home": (("home", "bed_type"), "persons"),
    "blocked": (("level",), "persons"),
    "deaths_while_waiting": (("level",), "persons"),
    "withdrawals": (("level",), "persons"),
    "deaths_in_care": (("level",), "persons"),
    "discharges": (("level",), "persons"),
    "level_changes": ((), "events"),
    "transfers": (("bed_type",), "persons"),
    "mean_occupied_beds": (("bed_type",), "beds"),
    "mean_occupied_beds_by_home": (("home", "bed_type"), "beds"),
    "mean_waiting": ((), "persons"),
    "waiting_at_year_end": (("level",), "persons"),
    "mean_dependent_in_general_beds": ((), "persons"),
    "transfer_queue_at_year_end": ((), "persons"),
    "capacity_at_year_end": (("bed_type",), "beds"),
    "occupied_at_year_end": (("bed_type",), "beds"),
    "mean_wait_days": ((), "days"),
    "wait_p50_days": ((), "days"),
    "wait_p90_days": ((), "days"),
    "wait_p95_days": ((), "days"),
    "share_admitted_within_threshold": ((), "share"),
    "cohort_admitted": (("level",), "persons"),
    "cohort_served_within_threshold": (("level",), "persons"),
    "cohort_waited": (("level",), "persons"),
    "cohort_abandoned": (("level",), "persons"),
    "cohort_still_waiting": (("level",), "persons"),
}


@dataclass(frozen=True, eq=False)
class BedReplicationResult:
    """Yearly outputs of one replication; every array's first axis is the model year.

    Level axes follow ``LEVELS``, bed-type axes ``BED_TYPES``, home axes the spec's homes.

    Attributes
    ----------
    seed, replication : int
        Identify the replication.
    first_year : int
        Calendar year of model year 0.
    wait_threshold_days : float
        ``T`` of ``share_admitted_within_threshold`` and ``cohort_served_within_threshold``
        [day].
    arrivals, admissions, blocked : (n_years, 4) int
        Applicants arriving, admitted to a bed, and lost because no bed was free and the
        waiting list was full (``max_waiting``) [persons/year]. ``arrivals`` and ``blocked``
        are also the size of the year's cohort of applicants and its blocked members.
    admissions_by_bed_type : (n_years, 3) int
        Admissions by bed type [persons/year].
    admissions_by_home : (n_years, n_homes, 3) int
        Admissions by home and bed type [persons/year].
    deaths_while_waiting, withdrawals : (n_years, 4) int
        Waiting applicants who died or withdrew [persons/year].
    deaths_in_care, discharges : (n_years, 4) int
        Residents who died in care or left alive, by level at exit [persons/year].
    level_changes : (n_years,) int
        Care-level changes of residents [events/year].
    transfers : (n_years, 3) int
        Residents moved to another bed, by destination bed type [persons/year].
    mean_occupied_beds : (n_years, 3) float
        Time-weighted mean occupied beds by type [beds].
    mean_occupied_beds_by_home : (n_years, n_homes, 3) float
        The same per home [beds].
    mean_waiting : (n_years,) float
        Time-weighted mean waiting-list length [persons].
    waiting_at_year_end : (n_years, 4) int
        Waiting list at year end by level [persons].
    mean_dependent_in_general_beds : (n_years,) float
        Time-weighted mean of dependent or dementia residents in general beds [persons].
    transfer_queue_at_year_end : (n_years,) int
        Residents waiting for a transfer at year end [persons].
    capacity_at_year_end, occupied_at_year_end : (n_years, 3) int
        Beds and occupied beds by type at year end [beds] (occupied may exceed capacity while
        closed beds are still occupied).
    mean_wait_days, wait_p50_days, wait_p90_days, wait_p95_days : (n_years,) float
        Mean and quantiles of the waits of applicants admitted in the year [day]; NaN when
        nobody was admitted.
    share_admitted_within_threshold : (n_years,) float
        Share of those *admitted* in the year whose wait was ≤ ``wait_threshold_days`` [-]: it
        counts only applicants who got a bed (by year of admission), not those still waiting,
        blocked, dead or withdrawn, so a longer queue can leave it unchanged. The service level
        over all applicants is ``cohort_served_within_threshold / arrivals``.
    cohort_admitted : (n_years, 4) int
        Applicants who *arrived* in the year (by level) and were admitted to a bed, whenever
        that happened up to the end of the run-on (``BedSpec.run_on_days``) [persons].
    cohort_served_within_threshold : (n_years, 4) int
        Of ``cohort_admitted``, those admitted after a wait ≤ ``wait_threshold_days``
        [persons].
    cohort_waited : (n_years, 4) int
        Applicants of the year who found no acceptable free bed on arrival (they joined the
        waiting list or were blocked): the numerator of P(wait), which for a loss system is the
        blocking [persons].
    cohort_abandoned : (n_years, 4) int
        Applicants of the year who died or withdrew from the waiting list before admission,
        whenever that happened up to the end of the run-on [persons].
    cohort_still_waiting : (n_years, 4) int
        Applicants of the year still on the waiting list at the end of the run-on [persons].
        Per year and level, ``arrivals = cohort_admitted + cohort_abandoned + blocked +
        cohort_still_waiting``; the initial waiting list and warm-up applicants belong to no
        reported year.
    admitted_wait_days, admitted_year, admitted_level, admitted_bed_type : (n_admissions,)
        One entry per admission in the reported years, sorted by year (stable) [day, -, -, -].
    """

    seed: int
    replication: int
    first_year: int
    wait_threshold_days: float
    arrivals: NDArray[np.int64]
    admissions: NDArray[np.int64]
    admissions_by_bed_type: NDArray[np.int64]
    admissions_by_home: NDArray[np.int64]
    blocked: NDArray[np.int64]
    deaths_while_waiting: NDArray[np.int64]
    withdrawals: NDArray[np.int64]
    deaths_in_care: NDArray[np.int64]
    discharges: NDArray[np.int64]
    level_changes: NDArray[np.int64]
    transfers: NDArray[np.int64]
    mean_occupied_beds: NDArray[np.float64]
    mean_occupied_beds_by_home: NDArray[np.float64]
    mean_waiting: NDArray[np.float64]
    waiting_at_year_end: NDArray[np.int64]
    mean_dependent_in_general_beds: NDArray[np.float64]
    transfer_queue_at_year_end: NDArray[np.int64]
    capacity_at_year_end: NDArray[np.int64]
    occupied_at_year_end: NDArray[np.int64]
    mean_wait_days: NDArray[np.float64]
    wait_p50_days: NDArray[np.float64]
    wait_p90_days: NDArray[np.float64]
    wait_p95_days: NDArray[np.float64]
    share_admitted_within_threshold: NDArray[np.float64]
    cohort_admitted: NDArray[np.int64]
    cohort_served_within_threshold: NDArray[np.int64]
    cohort_waited: NDArray[np.int64]
    cohort_abandoned: NDArray[np.int64]
    cohort_still_waiting: NDArray[np.int64]
    admitted_wait_days: NDArray[np.float64]
    admitted_year: NDArray[np.int64]
    admitted_level: NDArray[np.int64]
    admitted_bed_type: NDArray[np.int64]

    def __post_init__(self) -> None:
        for item in fields(self):
            value = getattr(self, item.name)
            if isinstance(value, np.ndarray):
                value.flags.writeable = False

    @property
    def n_years(self) -> int:
        """Number of reported model years."""
        return int(self.admissions.shape[0])

    def summary(self) -> pd.DataFrame:
        """One row per year with the headline figures (a wide, readable table).

        The outcome shares are over the year's applicants (``arrivals``, by year of arrival):
        ``share_served_within_{T}_days`` (admitted within ``T`` days), ``p_wait`` (found no free
        bed on arrival), ``abandoned_share``, ``blocked_share`` and ``still_waiting_share`` (at
        the end of the run-on); NaN in a year without applicants.
        ``share_of_admissions_within_{T}_days`` is ``share_admitted_within_threshold`` (those
        admitted in the year only).

        Returns
        -------
        pandas.DataFrame
            Indexed by calendar ``year``; columns carry their units in their names.
        """
        threshold = f"{self.wait_threshold_days:g}"
        applicants = self.arrivals.sum(axis=1)
        with np.errstate(invalid="ignore", divide="ignore"):
            shares = {
                f"share_served_within_{threshold}_days": self.cohort_served_within_threshold,
                "p_wait": self.cohort_waited,
                "abandoned_share": self.cohort_abandoned,
                "blocked_share": self.blocked,
                "still_waiting_share": self.cohort_still_waiting,
            }
            shares = {name: count.sum(axis=1) / applicants for name, count in shares.items()}
        table = {
            "arrivals": self.arrivals.sum(axis=1),
            "admissions": self.admissions.sum(axis=1),
            "mean_wait_days": self.mean_wait_days,
            "wait_p90_days": self.wait_p90_days,
            f"share_of_admissions_within_{threshold}_days": self.share_admitted_within_threshold,
            **shares,
            "mean_waiting": self.mean_waiting,
            "waiting_at_year_end": self.waiting_at_year_end.sum(axis=1),
            "deaths_while_waiting": self.deaths_while_waiting.sum(axis=1),
            "withdrawals": self.withdrawals.sum(axis=1),
            "blocked": self.blocked.sum(axis=1),
            "transfers": self.transfers.sum(axis=1),
            "mean_dependent_in_general_beds": self.mean_dependent_in_general_beds,
        }
        for index, name in enumerate(BED_TYPES):
            table[f"mean_occupied_{name}_beds"] = self.mean_occupied_beds[:, index]
            table[f"{name}_beds_at_year_end"] = self.capacity_at_year_end[:, index]
        frame = pd.DataFrame(table, index=self.first_year + np.arange(self.n_years))
        frame.index.name = "year"
        return frame

    def to_frame(self) -> pd.DataFrame:
        """Tidy table of the yearly metrics (not the per-admission records).

        Returns
        -------
        pandas.DataFrame
            Columns ``year`` (calendar), ``metric``, ``level``, ``bed_type`` (names, or
            ``"all"``), ``home`` (index, or -1 for all homes), ``value``, ``unit``.
        """
        parts = []
        years = self.first_year + np.arange(self.n_years)
        for metric, (axes, unit) in _METRICS.items():
            values = np.asarray(getattr(self, metric), dtype=float)
            grids = np.meshgrid(years, *[np.arange(n) for n in values.shape[1:]], indexing="ij")
            columns: dict[str, Any] = {"year": grids[0].reshape(-1), "metric": metric}
            labels = {"level": np.asarray(LEVELS), "bed_type": np.asarray(BED_TYPES)}
            for name in ("level", "bed_type"):
                if name in axes:
                    columns[name] = labels[name][grids[1 + axes.index(name)].reshape(-1)]
                else:
                    columns[name] = "all"
            columns["home"] = grids[1 + axes.index("home")].reshape(-1) if "home" in axes else -1
            columns["value"] = values.reshape(-1)
            columns["unit"] = unit
            parts.append(pd.DataFrame(columns))
        return pd.concat(parts, ignore_index=True)
