"""The bed simulation: an event calendar driving bed pools, queues and residents.

Events are timed callbacks ``handler(now, payload)`` on a calendar (:mod:`.calendar`): by default
our lean one (bucketed ``heapq`` tuples, no object per event), or a SimPy ``Environment`` with
one ``timeout`` per event (``calendar="simpy"``). Both handle events in SimPy's order — by time,
then in the order they were scheduled — and compute every event time as SimPy does, so a run is
bit for bit the same on either. There is no SimPy ``Resource`` and no process per person:

- an *arrival* chain walks the period's pre-drawn, sorted arrivals (one event each, the next
  one scheduled by the last);
- a *waiting-list exit* per applicant who waits (death or withdrawal; ignored if admitted first);
- one outstanding *resident event* per resident (next level change, turning 80, death or
  discharge — or the end of a pre-drawn stay);
- *capacity changes* on their days and *period boundaries* (year ends) for the monitors.

After the last reported year the run goes on for ``BedSpec.run_on_length_days`` (the *run-on*,
monitor slot ``n_years + 1``): arrivals continue at the rate of the end of the last year, on
streams of their own (period ``run-on``), so that every applicant of a reported year has a known
outcome within the wait threshold; only those outcomes (``cohort_*``) are reported from it.

Whenever a bed frees (departure, transfer, opening, conversion) it is offered at once: to the
transfer queue first, then to the waiting list (reversed when ``transfers_first`` is False),
until it is taken or nobody accepts it. So a bed is free only while nobody who could take it is
waiting, and an arriving applicant may take any free acceptable bed directly.

Every handler works with an explicit ``now`` [day] (for an arrival, its drawn time; otherwise
the calendar's clock); delays handed to the calendar are measured from its clock (``clock``).

Speed (results do not depend on any of it): the handlers of the frequent events (arrival,
admission, departure, offering a bed) are written out with few calls and attribute look-ups,
and the arrival chain's next event waits beside the calendar's heap
(``calendar.schedule_chained``); the monitor rows of the current year are held on the
simulation (``_bind_slot``); admissions are recorded as two list entries and counted at the end
(:class:`~carefacility.beds.monitor.Monitor`); a one-home spec does not add up its per-home
areas twice (they are its totals). With pre-drawn stays and no bed conversions (*lean stays*),
a resident who needs no transfer is only the end of its stay: its event carries a shared tuple
(level, home, bed type, ...) instead of its ``Person``, an applicant who finds such a bed free on
arrival never gets a ``Person``, and the end of a stay hands the bed to the waiting list itself
(``_on_stay_end``). Python's cyclic garbage collector is paused while the events
run and left as it was found; at the end the run drops the references that form cycles (pending
events, bound handlers), so the simulation is freed by reference counting.
"""

from __future__ import annotations

import gc
import math

import numpy as np

from carefacility.base.streams import stream
from carefacility.beds.arrivals import draw_arrivals, draw_exits
from carefacility.beds.bed_pools import BedPools
from carefacility.beds.calendar import LeanCalendar, SimPyCalendar, make_calendar
from carefacility.beds.engine_spec import BED_TYPES, DAYS_PER_YEAR, LEVELS, BedSpec, needs_transfer
from carefacility.beds.monitor import BedReplicationResult, Monitor
from carefacility.beds.person import Person
from carefacility.beds.residents import DEATH, DISCHARGE, TURNS_80, ResidentDynamics
from carefacility.beds.stays import sample_residual_stays, sample_stays
from carefacility.beds.transfers import TransferQueue
from carefacility.beds.waiting_list import WaitingList

__all__ = ["BedSimulation", "simulate"]

_N_TYPES = len(BED_TYPES)
_N_LEVELS = len(LEVELS)
_DEPENDENT = (False, False, True, True)  # levels counted in "dependent in general beds"
_INF = math.inf
_new_object = object.__new__


def simulate(
    spec: BedSpec, seed: int, replication: int = 0, *, calendar: str = "lean"
) -> BedReplicationResult:
    """Run one replication of the bed simulation.

    Parameters
    ----------
    spec : BedSpec
        Homes, beds, arrivals, rules and initial state.
    seed : int
        Seed of the run (≥ 0); with ``replication`` it fixes every random stream.
    replication : int
        Replication index (≥ 0). Results depend only on ``(spec, seed, replication)``, never on
        which replications ran before or in which process.
    calendar : {"lean", "simpy"}
        Event calendar: our lean heap (the default, faster) or a SimPy ``Environment``. The
        results are identical, bit for bit.

    Returns
    -------
    BedReplicationResult
        Yearly monitors of model years ``0 .. spec.n_years - 1`` (and the outcomes of their
        applicants up to the end of the run-on).
    """
    return BedSimulation(spec, seed, replication, calendar=calendar).run()


_EVENTS_PER_BUCKET = 16.0
"""Events per bucket of the lean calendar aimed at (measured: 8–64 run about as fast)."""
_MAX_BUCKETS = 2**18
"""At most this many buckets over a run (their list costs 8 bytes each)."""


def _bucket_days(spec: BedSpec) -> float:
    """Width of the lean calendar's buckets [day]: about :data:`_EVENTS_PER_BUCKET` arrivals
    and departures each at the highest yearly arrival rate, and not more than
    :data:`_MAX_BUCKETS` over the run. Only speed depends on it."""
    events_per_day = 2.0 * float(spec.arrival_rate_per_day.sum(axis=(1, 2)).max())
    span_days = spec.warmup_days + spec.horizon_days + spec.run_on_length_days
    return max(_EVENTS_PER_BUCKET / max(events_per_day, 1e-9), span_days / _MAX_BUCKETS)


class BedSimulation:
    """One replication (use :func:`simulate`).

    Parameters
    ----------
    spec : BedSpec
        The simulation spec.
    seed, replication : int
        Identify the random streams (both ≥ 0).
    calendar : {"lean", "simpy"}
        Event calendar (see :func:`simulate`).
    keep_residents : bool
        Keep :attr:`residents_by_home` even when the spec converts no beds (to look at the
        residents from an event of one's own).

    Attributes
    ----------
    calendar : LeanCalendar or SimPyCalendar
        The event calendar. Extra events may be scheduled on it before :meth:`run`
        (``calendar.schedule(delay_days, handler, payload)``, ``handler(now, payload)``);
        ``calendar.scheduled_events`` counts the events scheduled (one per SimPy timeout with
        ``"simpy"``).
    residents_by_home : list of dict of int to Person
        Residents of each home by serial; kept only when the spec converts beds (capacity
        changes from one type to another) or ``keep_residents`` is set, else ``None``.
    """

    __slots__ = (
        "_admission_codes",
        "_arrival_handler",
        "_arrival_index",
        "_arrivals",
        "_arrivals_row",
        "_codes_per_slot",
        "_deaths_row",
        "_dependent_area",
        "_discharges_row",
        "_exit_handler",
        "_first_place",
        "_free",
        "_home_zone",
        "_lean_stays",
        "_n_arrivals",
        "_n_places",
        "_occupied_home_rows",
        "_occupied_row",
        "_resident_handler",
        "_stay_end_handler",
        "_stay_payloads",
        "_type_free",
        "_wait_days",
        "_waited_row",
        "_waiting_area",
        "_zone_free_of_home",
        "allow_other_zones",
        "calendar",
        "dependent_in_general",
        "dynamics",
        "max_waiting",
        "monitor",
        "period_end",
        "pools",
        "replication",
        "residents_by_home",
        "seed",
        "serial",
        "slot",
        "spec",
        "start_day",
        "stay_mode",
        "tiers",
        "transfer_targets",
        "transfers",
        "transfers_first",
        "waiting",
        "zone_then_type",
    )

    def __init__(
        self,
        spec: BedSpec,
        seed: int,
        replication: int,
        *,
        calendar: str = "lean",
        keep_residents: bool = False,
    ) -> None:
        if seed < 0 or replication < 0:
            raise ValueError(f"seed and replication must be ≥ 0 (got {seed}, {replication})")
        self.spec = spec
        self.seed = int(seed)
        self.replication = int(replication)
        self.start_day = -spec.warmup_days
        self.calendar: LeanCalendar | SimPyCalendar = make_calendar(
            calendar, self.start_day, spec.horizon_days + spec.run_on_length_days,
            _bucket_days(spec),
        )
        self.pools = BedPools(spec.home_zone, spec.n_zones, spec.initial_capacity)
        # the pools' lists, updated in place by the frequent events (see bed_pools)
        self._free = self.pools.free
        self._type_free = self.pools.type_free
        self._zone_free_of_home = [self.pools.zone_free[zone] for zone in self.pools.home_zone]
        self._home_zone = self.pools.home_zone
        self.waiting = WaitingList(spec)
        self.transfers = TransferQueue(spec.n_homes, _N_TYPES, spec.transfers_between_homes)
        self.monitor = Monitor(spec.n_years, spec.n_homes)
        self.stay_mode = spec.stay_distribution is not None
        self.dynamics = (
            None
            if self.stay_mode
            else ResidentDynamics(spec, stream(seed, replication, "residents"))
        )
        converts = any(source >= 0 and target >= 0 for _, _, source, target, _ in
                       spec.capacity_changes.tolist())
        self.residents_by_home: list[dict[int, Person]] | None = (
            [{} for _ in range(spec.n_homes)] if converts or keep_residents else None
        )
        self.serial = 0
        self.dependent_in_general = 0
        self.slot = 0
        self.period_end = 0.0
        self.max_waiting = math.inf if spec.max_waiting is None else spec.max_waiting
        self.zone_then_type = spec.placement == "zone_then_type"
        self.allow_other_zones = spec.allow_other_zones
        self.transfers_first = spec.transfers_first
        self.tiers: list[tuple[tuple[int, ...], ...]] = []
        for level in range(_N_LEVELS):
            proper = spec.eligible_bed_types[level]
            extra = tuple(t for t in spec.acceptable_bed_types(level) if t not in proper)
            self.tiers.append((proper, extra) if extra else (proper,))
        self.transfer_targets = [
            [needs_transfer(spec.eligible_bed_types, level, t) for t in range(_N_TYPES)]
            for level in range(_N_LEVELS)
        ]
        # Lean stays: with pre-drawn stays and no resident to look up (no bed conversions), a
        # resident who needs no transfer has one event only, the end of its stay, which needs
        # its level, home and bed type alone (the payload here; None where the level asks for
        # a transfer from the bed type). Such a resident leaves its Person behind on admission,
        # and an applicant who finds such a bed free at once never has one (_on_stay_end).
        self._lean_stays = self.stay_mode and self.residents_by_home is None
        n_places = spec.n_homes * _N_TYPES  # admission codes, see Monitor.admission_code
        self._codes_per_slot = _N_LEVELS * n_places
        self._stay_payloads = [
            [[None if self.transfer_targets[level][bed_type]
              else (level, home, bed_type, bed_type == 0 and _DEPENDENT[level],
                    level * n_places + home * _N_TYPES + bed_type)
              for bed_type in range(_N_TYPES)] for home in range(spec.n_homes)]
            for level in range(_N_LEVELS)
        ] if self._lean_stays else []
        self._first_place: list[list[tuple[int, int, bool]]] = []
        self._set_first_places()
        self._n_places = spec.n_homes * _N_TYPES  # admission codes, see Monitor.admission_code
        self._wait_days = self.monitor.wait_days
        self._admission_codes = self.monitor.admission_codes
        self._arrivals: tuple[list, ...] = ()
        self._arrival_index = 0
        self._n_arrivals = 0
        # running areas of the current slot, written to the monitor when the slot ends
        self._waiting_area = 0.0
        self._dependent_area = 0.0
        # handlers (bound once)
        self._arrival_handler = self._on_arrival
        self._resident_handler = self._on_resident_event
        self._stay_end_handler = self._on_stay_end
        self._exit_handler = self._on_waiting_exit
        self._bind_slot(0)  # placeholders until run()

    # ------------------------------------------------------------------ running
    def run(self) -> BedReplicationResult:
        """Simulate from ``-warmup_days`` to the end of the run-on and return the monitors
        (once: a simulation is used up by its run).

        Python's cyclic garbage collector is paused meanwhile and left as it was found: the
        run allocates many small objects and frees them by reference counting, so collections
        would only cost time. At the end the references that make cycles (pending events,
        handlers) are dropped, so that the simulation and everything in it are freed by
        reference counting as soon as it is let go, before a collection would walk them.
        """
        enabled = gc.isenabled()
        gc.disable()
        try:
            self._run()
            return self.monitor.result(
                seed=self.seed,
                replication=self.replication,
                first_year=self.spec.first_year,
                wait_threshold_days=self.spec.wait_threshold_days,
            )
        finally:
            self._release()
            if enabled:
                gc.enable()

    def _release(self) -> None:
        """Drop the pending events and the handlers bound to the simulation (cycles)."""
        self.calendar.clear()
        self._arrival_handler = self._resident_handler = self._exit_handler = None
        self._stay_end_handler = None

    def _run(self) -> None:
        spec = self.spec
        calendar = self.calendar
        warm = spec.warmup_days > 0
        self.slot = 0 if warm else 1
        self.period_end = 0.0 if warm else float(DAYS_PER_YEAR)
        self.monitor.period_days[0] = spec.warmup_days
        self._bind_slot(self.slot)
        self.monitor.start_slot(self.slot)
        self._place_initial_residents()
        self._place_initial_waiting_list()
        self._start_arrivals(self.slot, self.start_day)
        # The run stops right after the last boundary (its handler runs first), or at the end
        # of the run-on.
        run_on = spec.run_on_length_days
        last_year = spec.n_years
        for year in range(0 if warm else 1, last_year + 1):
            delay = year * DAYS_PER_YEAR - calendar.now
            if year == last_year and run_on <= 0:
                calendar.schedule_last(delay, self._on_period_boundary, year + 1)
            else:
                calendar.schedule(delay, self._on_period_boundary, year + 1)
        order = np.argsort(spec.capacity_changes[:, 0], kind="stable")
        for index in order:
            day = float(spec.capacity_changes[index, 0])
            calendar.schedule(day - calendar.now, self._on_capacity_change, int(index))
        if run_on > 0:
            calendar.schedule_last(spec.horizon_days + run_on - calendar.now)
        calendar.run()
        self._unbind_slot()
        self._count_still_waiting()

    def _bind_slot(self, slot: int) -> None:
        """Hold the monitor rows of ``slot`` (the current one) for the handlers."""
        monitor = self.monitor
        self._arrivals_row = monitor.arrivals[slot]
        self._waited_row = monitor.cohort_waited[slot]
        self._discharges_row = monitor.discharges[slot]
        self._deaths_row = monitor.deaths_in_care[slot]
        self._occupied_row = monitor.occupied_area[slot]
        # With one home its areas are the totals, bit for bit (same start, same additions):
        # they are copied when the slot ends instead of being added up twice.
        self._occupied_home_rows = (
            monitor.occupied_area_by_home[slot] if self.spec.n_homes > 1 else None
        )
        self._waiting_area = monitor.waiting_area[slot]
        self._dependent_area = monitor.dependent_in_general_area[slot]

    def _unbind_slot(self) -> None:
        """Write the running areas of the current slot to the monitor."""
        monitor = self.monitor
        slot = self.slot
        monitor.waiting_area[slot] = self._waiting_area
        monitor.dependent_in_general_area[slot] = self._dependent_area
        if self._occupied_home_rows is None:
            monitor.occupied_area_by_home[slot][0] = monitor.occupied_area[slot][:]

    def _set_first_places(self) -> None:
        """Per (zone, level), the bed every placement rule tries first when the zone has only
        one home: ``(home, first eligible type, only)``, ``only`` when no other acceptable bed
        can be free (the other types, and the first type in other zones when the applicant may
        go there, have no beds); ``(-1, -1, False)`` for a zone of several homes. Set again
        whenever capacity changes."""
        pools = self.pools
        capacity = pools.capacity
        other_zones = self.allow_other_zones and self.spec.n_zones > 1
        table = []
        for homes in pools.homes_in_zone:
            row = []
            for tiers in self.tiers:
                if len(homes) != 1:
                    row.append((-1, -1, False))
                    continue
                home, first = homes[0], tiers[0][0]
                reachable = range(len(capacity)) if other_zones else homes
                only = all(
                    capacity[h][t] == 0
                    for types in tiers
                    for t in types
                    for h in reachable
                    if (h, t) != (home, first)
                )
                row.append((home, first, only))
            table.append(row)
        self._first_place = table

    def _count_still_waiting(self) -> None:
        """Count the applicants on the list at the end, by arrival slot and level (each sits in
        exactly one queue of ``waiting.queues``; entries of those who left are flagged)."""
        still = self.monitor.cohort_still_waiting
        for queues in self.waiting.queues:
            for queue in queues:
                for person in queue:
                    if person.waiting:
                        still[person.slot][person.level] += 1

    def _on_period_boundary(self, now: float, new_slot: int) -> None:
        monitor = self.monitor
        pools = self.pools
        old = self.slot
        self._unbind_slot()
        monitor.waiting_at_end[old] = self.waiting.waiting_by_level()
        monitor.transfer_queue_at_end[old] = len(self.transfers)
        monitor.capacity_at_end[old] = [
            sum(row[t] for row in pools.capacity) for t in range(_N_TYPES)
        ]
        occupied = pools.occupied
        occupied_total = [sum(column) for column in zip(*occupied, strict=True)]
        monitor.occupied_at_end[old] = occupied_total
        self.slot = new_slot
        self.period_end = now + DAYS_PER_YEAR
        length = float(DAYS_PER_YEAR)
        monitor.occupied_area[new_slot] = [n * length for n in occupied_total]
        monitor.occupied_area_by_home[new_slot] = [[n * length for n in row] for row in occupied]
        monitor.waiting_area[new_slot] = len(self.waiting) * length
        monitor.dependent_in_general_area[new_slot] = self.dependent_in_general * length
        self._bind_slot(new_slot)
        monitor.start_slot(new_slot)
        if new_slot <= self.spec.n_years or self.spec.run_on_length_days > 0:
            self._start_arrivals(new_slot, now)

    # ------------------------------------------------------------------ initial state
    def _new_person(self, arrival_day: float, zone: int, level: int, old: bool, poor: bool):
        person = Person(self.serial, arrival_day, zone, level, 1 if old else 0, poor)
        self.serial += 1
        return person

    def _place_initial_residents(self) -> None:
        spec = self.spec
        counts = spec.initial_residents
        if counts.sum() == 0:
            return
        cells = np.flatnonzero(counts.reshape(-1))
        repeat = counts.reshape(-1)[cells]
        cells = np.repeat(cells, repeat)
        homes, rest = np.divmod(cells, _N_TYPES * _N_LEVELS)
        bed_types, levels = np.divmod(rest, _N_LEVELS)
        zones = spec.home_zone[homes]
        rng = stream(self.seed, self.replication, "initial_residents")
        old = rng.uniform(size=cells.size) < spec.share_80plus[0][zones, levels]
        stays = None
        if self.stay_mode:
            stays = sample_residual_stays(spec.stay_distribution, levels, rng).tolist()
        now = self.start_day
        residents = []
        for i, (home, bed_type, level, zone) in enumerate(
            zip(homes.tolist(), bed_types.tolist(), levels.tolist(), zones.tolist(), strict=True)
        ):
            person = self._new_person(now, zone, level, bool(old[i]), False)
            self.pools.place(home, bed_type)
            self._enter_bed(person, home, bed_type, now)
            if stays is not None:
                person.stay_days = stays[i]
            self._schedule_resident(person, now, now)
            residents.append(person)
        # Residents in the wrong bed type move to a free bed if there is one, else queue.
        for person in residents:
            targets = self.transfer_targets[person.level][person.bed_type]
            if targets:
                self._request_transfer(person, targets, now)

    def _place_initial_waiting_list(self) -> None:
        spec = self.spec
        initial = spec.initial_waiting_list
        if initial is None or initial.size == 0:
            return
        now = self.start_day
        arrival = now - initial.waited_days
        order = np.argsort(arrival, kind="stable")
        zones, levels = initial.zone[order], initial.level[order]
        rng = stream(self.seed, self.replication, "initial_waiting_list")
        shares = spec.share_80plus[0][zones, levels]
        old = (
            initial.age_80plus[order]
            if initial.age_80plus is not None
            else (rng.uniform(size=zones.size) < shares)
        )
        shares = spec.share_low_income[0][zones, levels]
        poor = (
            initial.low_income[order]
            if initial.low_income is not None
            else (rng.uniform(size=zones.size) < shares)
        )
        patience, dies = draw_exits(
            spec, levels, stream(self.seed, self.replication, "waiting_list.exits.initial")
        )
        stays = None
        if self.stay_mode:
            stays = sample_stays(
                spec.stay_distribution, levels, stream(self.seed, self.replication, "stays.initial")
            )
        people = []
        for i, index in enumerate(order.tolist()):
            person = self._new_person(
                float(arrival[index]), int(zones[i]), int(levels[i]), bool(old[i]), bool(poor[i])
            )
            person.dies_waiting = bool(dies[i])
            if stays is not None:
                person.stay_days = float(stays[i])
            people.append((person, float(patience[i])))
        # Free beds at the start go to the initial applicants in the order the discipline would
        # serve them, each placed by the placement rule; the rest wait.
        rank = self.waiting.rank_of
        for person, patience_days in sorted(people, key=lambda item: rank(item[0])):
            place = self._find_bed(person.zone, self.tiers[person.level])
            if place is None:
                self._join_waiting_list(person, now, now, patience_days)
            else:
                self.pools.take(place[0], place[1])
                self._admit(person, place[0], place[1], now, now)

    # ------------------------------------------------------------------ arrivals
    def _start_arrivals(self, slot: int, now: float) -> None:
        spec = self.spec
        if slot == 0:
            # the warm-up: year 0's mean rate, constant
            batch = draw_arrivals(spec, self.seed, self.replication, "warmup", 0, now, 0.0)
        elif slot <= spec.n_years:
            year = slot - 1
            batch = draw_arrivals(
                spec,
                self.seed,
                self.replication,
                f"year-{year}",
                year,
                year * DAYS_PER_YEAR,
                (year + 1) * DAYS_PER_YEAR,
                trend_per_day_per_day=spec.arrival_trend_per_day_per_day[year],
            )
        else:
            # the run-on: the rate at the end of the last year, constant (≥ 0 up to rounding)
            last = spec.n_years - 1
            rate = np.maximum(
                spec.arrival_rate_per_day[last]
                + spec.arrival_trend_per_day_per_day[last] * DAYS_PER_YEAR / 2,
                0.0,
            )
            batch = draw_arrivals(
                spec,
                self.seed,
                self.replication,
                "run-on",
                last,
                spec.horizon_days,
                spec.horizon_days + spec.run_on_length_days,
                rate_per_day=rate,
            )
        if batch.size == 0:
            return
        stays = batch.stay_days.tolist() if batch.stay_days is not None else None
        self._arrivals = (
            batch.arrival_day.tolist(),
            batch.zone.tolist(),
            batch.level.tolist(),
            batch.age_80plus.astype(np.int64).tolist(),  # the age band, 0 or 1
            batch.low_income.tolist(),
            batch.patience_days.tolist(),
            batch.dies_waiting.tolist(),
            stays if stays is not None else [0.0] * batch.size,
        )
        self._arrival_index = 0
        self._n_arrivals = batch.size
        self.calendar.schedule_chained(
            self._arrivals[0][0] - self.calendar.now, self._arrival_handler
        )

    def _on_arrival(self, clock: float, _payload: object) -> None:
        """The next arrival of the batch: a free bed, the waiting list, or blocked; then the
        following arrival is scheduled."""
        index = self._arrival_index
        times, zones, levels, bands, poors, patience, dies, stays = self._arrivals
        now = times[index]
        level = levels[index]
        zone = zones[index]
        home, bed_type, only = self._first_place[zone][level]
        free = self._free
        if home >= 0 and free[home][bed_type] > 0 and self._lean_stays:
            payload = self._stay_payloads[level][home][bed_type]
            if payload is not None:
                # admitted at once, with no Person (see __init__): the Person path below and
                # _admit, written out
                self.serial += 1
                self._arrivals_row[level] += 1
                free[home][bed_type] -= 1
                self._zone_free_of_home[home][bed_type] -= 1
                self._type_free[bed_type] -= 1
                self._wait_days.append(0.0)  # now - arrival day
                self._admission_codes.append(self.slot * self._codes_per_slot + payload[4])
                weight = self.period_end - now
                self._occupied_row[bed_type] += weight
                if self._occupied_home_rows is not None:
                    self._occupied_home_rows[home][bed_type] += weight
                if payload[3]:
                    self.dependent_in_general += 1
                    self._dependent_area += weight
                self.calendar.schedule(now + stays[index] - clock, self._stay_end_handler,
                                       payload)
                index += 1
                if index < self._n_arrivals:
                    self._arrival_index = index
                    self.calendar.schedule_chained(times[index] - now, self._arrival_handler)
                return
        # Person(self.serial, now, zone, level, bands[index], poors[index], self.slot,
        # dies[index], stays[index]), written out: no __init__ call for the most frequent
        # object
        person = _new_object(Person)
        person.serial = self.serial
        person.arrival_day = now
        person.slot = self.slot
        person.zone = zone
        person.level = level
        person.age_band = bands[index]
        person.low_income = poors[index]
        person.dies_waiting = dies[index]
        person.stay_days = stays[index]
        person.transfer_types = ()
        self.serial += 1
        self._arrivals_row[level] += 1
        # The zone's only home with a free bed of the first eligible type is what _find_bed
        # returns under either placement rule (the common case); when that is the only
        # acceptable bed and it is not free, there is none.
        if home >= 0 and free[home][bed_type] > 0:
            free[home][bed_type] -= 1  # pools.take(home, bed_type), written out
            self._zone_free_of_home[home][bed_type] -= 1
            self._type_free[bed_type] -= 1
            self._admit(person, home, bed_type, now, clock)
        else:
            place = None if only else self._find_bed(zone, self.tiers[level])
            if place is not None:
                self.pools.take(place[0], place[1])
                self._admit(person, place[0], place[1], now, clock)
            else:
                self._waited_row[level] += 1
                if self.waiting.size >= self.max_waiting:
                    self.monitor.blocked[self.slot][level] += 1
                else:
                    # self._join_waiting_list(person, now, clock, patience[index]), written out,
                    # and waiting.push(person) too where the classes are the care levels
                    waiting = self.waiting
                    if waiting.priority:
                        waiting.push(person)
                    else:
                        key = zone if waiting.zone_keyed else 0
                        person.zone_key = key
                        person.queue_class = level
                        person.waiting = True
                        waiting.queues[key][level].append(person)
                        waiting.count[key][level] += 1
                        if waiting.elsewhere:
                            waiting.everywhere[level].append(person)
                            waiting.class_total[level] += 1
                        waiting.size += 1
                    self._waiting_area += self.period_end - now
                    if patience[index] < _INF:
                        self.calendar.schedule(
                            now + patience[index] - clock, self._exit_handler, person
                        )
        index += 1
        if index < self._n_arrivals:
            self._arrival_index = index
            self.calendar.schedule_chained(times[index] - now, self._arrival_handler)

    # ------------------------------------------------------------------ waiting list
    def _join_waiting_list(
        self, person: Person, now: float, clock: float, patience_days: float
    ) -> None:
        self.waiting.push(person)
        self._waiting_area += self.period_end - now
        if patience_days < _INF:
            self.calendar.schedule(now + patience_days - clock, self._exit_handler, person)

    def _on_waiting_exit(self, now: float, person: Person) -> None:
        if not person.waiting:
            return
        self.waiting.cancel(person)
        slot = self.slot
        self._waiting_area -= self.period_end - now
        if person.dies_waiting:
            self.monitor.deaths_while_waiting[slot][person.level] += 1
        else:
            self.monitor.withdrawals[slot][person.level] += 1
        self.monitor.cohort_abandoned[person.slot][person.level] += 1

    # ------------------------------------------------------------------ placement
    def _find_bed(
        self, zone: int, tiers: tuple[tuple[int, ...], ...], other_zones: bool | None = None
    ) -> tuple[int, int] | None:
        """Free bed for someone of ``zone``: ``(home, bed_type)`` or None.

        Tiers (eligible types, then overflow types) are tried in turn; within a tier the
        ``placement`` order applies; within a zone (or all other zones together) the home with
        the most free beds of the type wins, lowest index on ties. ``other_zones`` defaults to
        the spec's ``allow_other_zones``.
        """
        if other_zones is None:
            other_zones = self.allow_other_zones
        pools = self.pools
        type_free = pools.type_free
        zone_free = pools.zone_free[zone]
        for types in tiers:
            if self.zone_then_type:
                for bed_type in types:
                    if zone_free[bed_type] > 0:
                        return pools.best_home(pools.homes_in_zone[zone], bed_type), bed_type
                if other_zones:
                    for bed_type in types:
                        if type_free[bed_type] > 0:
                            homes = pools.homes_outside_zone[zone]
                            return pools.best_home(homes, bed_type), bed_type
            else:
                for bed_type in types:
                    if zone_free[bed_type] > 0:
                        return pools.best_home(pools.homes_in_zone[zone], bed_type), bed_type
                    if other_zones and type_free[bed_type] > 0:
                        homes = pools.homes_outside_zone[zone]
                        return pools.best_home(homes, bed_type), bed_type
        return None

    def _admit(self, person: Person, home: int, bed_type: int, now: float, clock: float) -> None:
        """Admit an applicant to a bed already taken from the pool: record the admission, put
        the person in the bed and schedule its first resident event."""
        level = person.level
        self._wait_days.append(now - person.arrival_day)
        self._admission_codes.append(
            (person.slot * _N_LEVELS + level) * self._n_places + home * _N_TYPES + bed_type
        )
        payload = self._stay_payloads[level][home][bed_type] if self._lean_stays else None
        if payload is not None:  # the Person stays behind: only the end of its stay is scheduled
            weight = self.period_end - now
            self._occupied_row[bed_type] += weight
            if self._occupied_home_rows is not None:
                self._occupied_home_rows[home][bed_type] += weight
            if payload[3]:
                self.dependent_in_general += 1
                self._dependent_area += weight
            self.calendar.schedule(now + person.stay_days - clock, self._stay_end_handler,
                                   payload)
            return
        # self._enter_bed(person, home, bed_type, now), written out
        person.home = home
        person.bed_type = bed_type
        if self.residents_by_home is not None:
            self.residents_by_home[home][person.serial] = person
        weight = self.period_end - now
        self._occupied_row[bed_type] += weight
        if self._occupied_home_rows is not None:
            self._occupied_home_rows[home][bed_type] += weight
        if bed_type == 0 and _DEPENDENT[level]:
            self.dependent_in_general += 1
            self._dependent_area += weight
        targets = self.transfer_targets[level][bed_type]
        if targets:
            self.transfers.push(person, targets, now)
        # self._schedule_resident(person, now, clock), written out for stays
        if self.stay_mode:
            person.next_outcome = DISCHARGE
            self.calendar.schedule(now + person.stay_days - clock, self._resident_handler, person)
        else:
            self._schedule_resident(person, now, clock)

    def _enter_bed(self, person: Person, home: int, bed_type: int, now: float) -> None:
        person.home = home
        person.bed_type = bed_type
        if self.residents_by_home is not None:
            self.residents_by_home[home][person.serial] = person
        weight = self.period_end - now
        self._occupied_row[bed_type] += weight
        if self._occupied_home_rows is not None:
            self._occupied_home_rows[home][bed_type] += weight
        if bed_type == 0 and _DEPENDENT[person.level]:
            self.dependent_in_general += 1
            self._dependent_area += weight

    def _leave_bed(self, person: Person, now: float) -> bool:
        """Take ``person`` out of its bed; return True if the bed is open to someone else."""
        home = person.home
        bed_type = person.bed_type
        if self.residents_by_home is not None:
            del self.residents_by_home[home][person.serial]
        weight = self.period_end - now
        self._occupied_row[bed_type] -= weight
        if self._occupied_home_rows is not None:
            self._occupied_home_rows[home][bed_type] -= weight
        if bed_type == 0 and _DEPENDENT[person.level]:
            self.dependent_in_general -= 1
            self._dependent_area -= weight
        return self.pools.release(home, bed_type)

    def _offer_bed(self, home: int, bed_type: int, now: float) -> None:
        """Fill free beds of ``(home, bed_type)`` from the transfer queue and waiting list."""
        free = self._free[home]
        waiting = self.waiting
        transfers = self.transfers
        while free[bed_type] > 0:
            if transfers.total[bed_type] and self.transfers_first:
                resident = transfers.first_for_bed(home, bed_type)
                if resident is not None:
                    self._move(resident, home, bed_type, now)
                    continue
            if waiting.size:
                applicant = waiting.pop_for_bed(self._home_zone[home], bed_type)
                if applicant is not None:
                    self._waiting_area -= self.period_end - now
                    # self.pools.take(home, bed_type), written out
                    free[bed_type] -= 1
                    self._zone_free_of_home[home][bed_type] -= 1
                    self._type_free[bed_type] -= 1
                    self._admit(applicant, home, bed_type, now, now)
                    continue
            if transfers.total[bed_type] and not self.transfers_first:
                resident = transfers.first_for_bed(home, bed_type)
                if resident is not None:
                    self._move(resident, home, bed_type, now)
                    continue
            return

    # ------------------------------------------------------------------ residents
    def _schedule_resident(self, person: Person, now: float, clock: float) -> None:
        """Schedule the resident's next event (its departure, with stays)."""
        if self.stay_mode:
            delay = person.stay_days
            person.next_outcome = DISCHARGE
        else:
            delay, person.next_outcome = self.dynamics.next_event(person.age_band, person.level)
            if delay == _INF:
                return
        self.calendar.schedule(now + delay - clock, self._resident_handler, person)

    def _on_resident_event(self, now: float, person: Person) -> None:
        """The resident's scheduled event: a level change, turning 80, death or discharge (the
        end of a pre-drawn stay is a discharge)."""
        outcome = person.next_outcome
        if outcome < DEATH:
            self._change_level(person, outcome, now)
            self._schedule_resident(person, now, now)
            return
        if outcome == TURNS_80:
            # Band 0 → 1: flips age_80plus and the later rates (not a level change).
            person.age_band = 1
            self._schedule_resident(person, now, now)
            return
        # death or discharge: free the bed and offer it
        level = person.level
        if outcome == DISCHARGE:
            self._discharges_row[level] += 1
        else:
            self._deaths_row[level] += 1
        if person.transfer_types:
            self.transfers.cancel(person)
        # self._leave_bed(person, now), written out
        home = person.home
        bed_type = person.bed_type
        if self.residents_by_home is not None:
            del self.residents_by_home[home][person.serial]
        weight = self.period_end - now
        self._occupied_row[bed_type] -= weight
        if self._occupied_home_rows is not None:
            self._occupied_home_rows[home][bed_type] -= weight
        if bed_type == 0 and _DEPENDENT[level]:
            self.dependent_in_general -= 1
            self._dependent_area -= weight
        # self.pools.release(home, bed_type), written out
        free = self._free[home]
        free[bed_type] += 1
        if free[bed_type] > 0:
            self._zone_free_of_home[home][bed_type] += 1
            self._type_free[bed_type] += 1
            self._offer_bed(home, bed_type, now)

    def _on_stay_end(self, now: float, payload: tuple[int, int, int, bool, int]) -> None:
        """The end of a resident's stay with lean stays (see ``__init__``): the discharge of
        ``_on_resident_event`` from the resident's ``(level, home, bed_type, dependent in a
        general bed, admission code in its slot)``, written out; so is the first round of
        ``_offer_bed`` when no resident waits for a transfer to the bed."""
        level, home, bed_type, dependent, _ = payload
        self._discharges_row[level] += 1
        weight = self.period_end - now
        self._occupied_row[bed_type] -= weight
        if self._occupied_home_rows is not None:
            self._occupied_home_rows[home][bed_type] -= weight
        if dependent:
            self.dependent_in_general -= 1
            self._dependent_area -= weight
        free = self._free[home]
        free[bed_type] += 1
        if free[bed_type] <= 0:
            return
        self._zone_free_of_home[home][bed_type] += 1
        self._type_free[bed_type] += 1
        waiting = self.waiting
        if self.transfers.total[bed_type]:
            self._offer_bed(home, bed_type, now)
            return
        if not waiting.size:
            return  # nobody can take the bed
        applicant = waiting.pop_for_bed(self._home_zone[home], bed_type)
        if applicant is None:
            return
        self._waiting_area -= self.period_end - now
        free[bed_type] -= 1
        self._zone_free_of_home[home][bed_type] -= 1
        self._type_free[bed_type] -= 1
        level = applicant.level
        payload = self._stay_payloads[level][home][bed_type]
        if payload is None:
            self._admit(applicant, home, bed_type, now, now)
        else:  # self._admit(applicant, home, bed_type, now, now), written out
            self._wait_days.append(now - applicant.arrival_day)
            self._admission_codes.append(applicant.slot * self._codes_per_slot + payload[4])
            self._occupied_row[bed_type] += weight
            if self._occupied_home_rows is not None:
                self._occupied_home_rows[home][bed_type] += weight
            if payload[3]:
                self.dependent_in_general += 1
                self._dependent_area += weight
            # now + stay - now, as _admit computes it (not always the stay itself)
            self.calendar.schedule(now + applicant.stay_days - now, self._stay_end_handler,
                                   payload)
        if free[bed_type] > 0:  # more beds than takers so far: _offer_bed goes on
            self._offer_bed(home, bed_type, now)

    def _change_level(self, person: Person, level: int, now: float) -> None:
        self.monitor.level_changes[self.slot] += 1
        if person.bed_type == 0:
            delta = _DEPENDENT[level] - _DEPENDENT[person.level]
            if delta:
                self.dependent_in_general += delta
                self._dependent_area += delta * (self.period_end - now)
        person.level = level
        targets = self.transfer_targets[level][person.bed_type]
        if person.transfer_types:
            if targets == person.transfer_types:
                return
            self.transfers.cancel(person)
        if targets:
            self._request_transfer(person, targets, now)

    def _request_transfer(self, person: Person, targets: tuple[int, ...], now: float) -> None:
        """Move ``person`` to a free bed of a target type at once, else join the queue."""
        place = self._find_transfer_bed(person, targets)
        if place is None:
            self.transfers.push(person, targets, now)
        else:
            self._move(person, place[0], place[1], now)

    def _find_transfer_bed(
        self, person: Person, targets: tuple[int, ...]
    ) -> tuple[int, int] | None:
        """Free bed for a transfer: own home first, then (if transfers between homes are
        allowed) the person's zone, then any other zone."""
        free = self.pools.free[person.home]
        for bed_type in targets:
            if free[bed_type] > 0:
                return person.home, bed_type
        if not self.spec.transfers_between_homes:
            return None
        return self._find_bed(person.zone, (targets,), other_zones=True)

    def _move(self, person: Person, home: int, bed_type: int, now: float) -> None:
        """Transfer a resident to a free bed, then offer the bed it left."""
        if person.transfer_types:
            self.transfers.cancel(person)
        old_home, old_type = person.home, person.bed_type
        opened = self._leave_bed(person, now)
        self.pools.take(home, bed_type)
        self._enter_bed(person, home, bed_type, now)
        self.monitor.transfers[self.slot][bed_type] += 1
        if opened:
            self._offer_bed(old_home, old_type, now)

    # ------------------------------------------------------------------ capacity
    def _on_capacity_change(self, now: float, index: int) -> None:
        _day, home, source, target, n_beds = (
            int(v) for v in self.spec.capacity_changes[index]
        )
        pools = self.pools
        if source >= 0 and target >= 0:
            self._convert(home, source, target, n_beds, now)
        elif source >= 0:
            pools.change_capacity(home, source, -n_beds)
        else:
            pools.change_capacity(home, target, n_beds)
        self._set_first_places()
        if target >= 0:
            self._offer_bed(home, target, now)

    def _convert(self, home: int, source: int, target: int, n_beds: int, now: float) -> None:
        """Convert beds; occupied beds keep their residents (see BedSpec.capacity_changes)."""
        pools = self.pools
        from_free = min(n_beds, max(pools.free[home][source], 0))
        n_moved = n_beds - from_free
        moved = []
        if n_moved:
            assert self.residents_by_home is not None  # kept whenever the spec converts beds
            in_source = [p for p in self.residents_by_home[home].values() if p.bed_type == source]
            in_source.sort(key=lambda p: (target not in p.transfer_types, p.serial))
            moved = in_source[:n_moved]
            for person in moved:
                if person.transfer_types:
                    self.transfers.cancel(person)
                self._leave_bed(person, now)
                pools.place(home, target)
                self._enter_bed(person, home, target, now)
        pools.change_capacity(home, source, -n_beds)
        pools.change_capacity(home, target, n_beds)
        for person in moved:
            targets = self.transfer_targets[person.level][target]
            if targets:
                self._request_transfer(person, targets, now)
