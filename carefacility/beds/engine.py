"""The bed simulation: SimPy's clock and event queue driving bed pools, queues and residents.

Events (all plain ``env.timeout`` callbacks, no SimPy ``Resource`` and no process per person):

- an *arrival* chain walks the period's pre-drawn, sorted arrivals (one timeout each);
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

Every handler works with an explicit ``now`` [day]; delays handed to SimPy are measured from
``env.now``. (Handling a run of arrivals that fall before the next scheduled event without an
event each was tried: no measurable gain, so arrivals keep one timeout each.)
"""

from __future__ import annotations

import math

import numpy as np
import simpy

from carefacility.base.streams import stream
from carefacility.beds.arrivals import draw_arrivals, draw_exits
from carefacility.beds.bed_pools import BedPools
from carefacility.beds.engine_spec import BED_TYPES, DAYS_PER_YEAR, LEVELS, BedSpec, needs_transfer
from carefacility.beds.monitor import BedReplicationResult, Monitor
from carefacility.beds.person import Person
from carefacility.beds.residents import DEATH, DISCHARGE, TURNS_80, ResidentDynamics
from carefacility.beds.stays import sample_residual_stays, sample_stays
from carefacility.beds.transfers import TransferQueue
from carefacility.beds.waiting_list import WaitingList

__all__ = ["BedSimulation", "simulate"]

_N_TYPES = len(BED_TYPES)
_DEPENDENT = (False, False, True, True)  # levels counted in "dependent in general beds"


def simulate(spec: BedSpec, seed: int, replication: int = 0) -> BedReplicationResult:
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

    Returns
    -------
    BedReplicationResult
        Yearly monitors of model years ``0 .. spec.n_years - 1`` (and the outcomes of their
        applicants up to the end of the run-on).
    """
    return BedSimulation(spec, seed, replication).run()


class BedSimulation:
    """One replication (use :func:`simulate`)."""

    def __init__(self, spec: BedSpec, seed: int, replication: int) -> None:
        if seed < 0 or replication < 0:
            raise ValueError(f"seed and replication must be ≥ 0 (got {seed}, {replication})")
        self.spec = spec
        self.seed = int(seed)
        self.replication = int(replication)
        self.start_day = -spec.warmup_days
        self.env = simpy.Environment(initial_time=self.start_day)
        self.pools = BedPools(spec.home_zone, spec.n_zones, spec.initial_capacity)
        self.waiting = WaitingList(spec)
        self.transfers = TransferQueue(spec.n_homes, _N_TYPES, spec.transfers_between_homes)
        self.monitor = Monitor(spec.n_years, spec.n_homes)
        self.stay_mode = spec.stay_distribution is not None
        self.dynamics = (
            None
            if self.stay_mode
            else ResidentDynamics(spec, stream(seed, replication, "residents"))
        )
        self.residents_by_home: list[dict[int, Person]] = [{} for _ in range(spec.n_homes)]
        self.serial = 0
        self.dependent_in_general = 0
        self.slot = 0
        self.period_end = 0.0
        self.max_waiting = math.inf if spec.max_waiting is None else spec.max_waiting
        self.zone_then_type = spec.placement == "zone_then_type"
        self.allow_other_zones = spec.allow_other_zones
        self.transfers_first = spec.transfers_first
        self.wait_threshold_days = spec.wait_threshold_days
        self.tiers: list[tuple[tuple[int, ...], ...]] = []
        for level in range(len(LEVELS)):
            proper = spec.eligible_bed_types[level]
            extra = tuple(t for t in spec.acceptable_bed_types(level) if t not in proper)
            self.tiers.append((proper, extra) if extra else (proper,))
        self.transfer_targets = [
            [needs_transfer(spec.eligible_bed_types, level, t) for t in range(_N_TYPES)]
            for level in range(len(LEVELS))
        ]
        self._arrivals: tuple[list, ...] = ()
        self._arrival_index = 0

    # ------------------------------------------------------------------ running
    def run(self) -> BedReplicationResult:
        """Simulate from ``-warmup_days`` to the end of the run-on and return the monitors."""
        spec = self.spec
        warm = spec.warmup_days > 0
        self.slot = 0 if warm else 1
        self.period_end = 0.0 if warm else float(DAYS_PER_YEAR)
        self.monitor.period_days[0] = spec.warmup_days
        self._place_initial_residents()
        self._place_initial_waiting_list()
        self._start_arrivals(self.slot, self.start_day)
        boundary = None
        for year in range(0 if warm else 1, spec.n_years + 1):
            boundary = self.env.timeout(year * DAYS_PER_YEAR - self.env.now, year + 1)
            boundary.callbacks.append(self._on_period_boundary)
        order = np.argsort(spec.capacity_changes[:, 0], kind="stable")
        for index in order:
            day = float(spec.capacity_changes[index, 0])
            self.env.timeout(day - self.env.now, int(index)).callbacks.append(
                self._on_capacity_change
            )
        # Stop right after the last boundary (its callbacks run before the stop), or at the end
        # of the run-on.
        run_on = spec.run_on_length_days
        if run_on > 0:
            boundary = self.env.timeout(spec.horizon_days + run_on - self.env.now)
        self.env.run(until=boundary)
        self._count_still_waiting()
        return self.monitor.result(
            seed=self.seed,
            replication=self.replication,
            first_year=spec.first_year,
            wait_threshold_days=spec.wait_threshold_days,
        )

    def _count_still_waiting(self) -> None:
        """Count the applicants on the list at the end, by arrival slot and level (each sits in
        exactly one queue of ``waiting.queues``; entries of those who left are flagged)."""
        still = self.monitor.cohort_still_waiting
        for queues in self.waiting.queues:
            for queue in queues:
                for person in queue:
                    if person.waiting:
                        still[person.slot][person.level] += 1

    def _on_period_boundary(self, event: simpy.events.Event) -> None:
        now = self.env.now
        new_slot = event.value
        monitor = self.monitor
        old = self.slot
        monitor.waiting_at_end[old] = self.waiting.waiting_by_level()
        monitor.transfer_queue_at_end[old] = len(self.transfers)
        monitor.capacity_at_end[old] = [
            sum(row[t] for row in self.pools.capacity) for t in range(_N_TYPES)
        ]
        monitor.occupied_at_end[old] = list(self.pools.occupied_total)
        self.slot = new_slot
        self.period_end = now + DAYS_PER_YEAR
        length = float(DAYS_PER_YEAR)
        occupied = self.pools.occupied
        monitor.occupied_area[new_slot] = [n * length for n in self.pools.occupied_total]
        monitor.occupied_area_by_home[new_slot] = [[n * length for n in row] for row in occupied]
        monitor.waiting_area[new_slot] = len(self.waiting) * length
        monitor.dependent_in_general_area[new_slot] = self.dependent_in_general * length
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
        homes, rest = np.divmod(cells, _N_TYPES * len(LEVELS))
        bed_types, levels = np.divmod(rest, len(LEVELS))
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
            self._schedule_resident(person, now)
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
                self._join_waiting_list(person, now, patience_days)
            else:
                self.pools.take(place[0], place[1])
                self._admit(person, place[0], place[1], now)

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
        self._arrivals = (
            batch.arrival_day.tolist(),
            batch.zone.tolist(),
            batch.level.tolist(),
            batch.age_80plus.tolist(),
            batch.low_income.tolist(),
            batch.patience_days.tolist(),
            batch.dies_waiting.tolist(),
            batch.stay_days.tolist() if batch.stay_days is not None else None,
        )
        self._arrival_index = 0
        self.env.timeout(self._arrivals[0][0] - self.env.now).callbacks.append(self._on_arrival)

    def _on_arrival(self, _event: simpy.events.Event) -> None:
        index = self._arrival_index
        times, zones, levels, olds, poors, patience, dies, stays = self._arrivals
        now = times[index]
        level = levels[index]
        zone = zones[index]
        slot = self.slot
        person = Person(
            self.serial, now, zone, level, 1 if olds[index] else 0, poors[index], slot
        )
        self.serial += 1
        person.dies_waiting = dies[index]
        if stays is not None:
            person.stay_days = stays[index]
        monitor = self.monitor
        monitor.arrivals[slot][level] += 1
        place = self._find_bed(zone, self.tiers[level])
        if place is not None:
            self.pools.take(place[0], place[1])
            self._admit(person, place[0], place[1], now)
        else:
            monitor.cohort_waited[slot][level] += 1
            if len(self.waiting) >= self.max_waiting:
                monitor.blocked[slot][level] += 1
            else:
                self._join_waiting_list(person, now, patience[index])
        index += 1
        if index < len(times):
            self._arrival_index = index
            self.env.timeout(times[index] - now).callbacks.append(self._on_arrival)

    # ------------------------------------------------------------------ waiting list
    def _join_waiting_list(self, person: Person, now: float, patience_days: float) -> None:
        self.waiting.push(person)
        self.monitor.waiting_area[self.slot] += self.period_end - now
        if patience_days < math.inf:
            self.env.timeout(now + patience_days - self.env.now, person).callbacks.append(
                self._on_waiting_exit
            )

    def _on_waiting_exit(self, event: simpy.events.Event) -> None:
        person = event.value
        if not person.waiting:
            return
        self.waiting.cancel(person)
        slot = self.slot
        self.monitor.waiting_area[slot] -= self.period_end - self.env.now
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

    def _admit(self, person: Person, home: int, bed_type: int, now: float) -> None:
        """Admit an applicant to a bed already taken from the pool."""
        monitor = self.monitor
        slot = self.slot
        level = person.level
        monitor.admissions[slot][level] += 1
        monitor.admissions_by_bed_type[slot][bed_type] += 1
        monitor.admissions_by_home[slot][home][bed_type] += 1
        wait = now - person.arrival_day
        monitor.cohort_admitted[person.slot][level] += 1
        if wait <= self.wait_threshold_days:
            monitor.cohort_served_within_threshold[person.slot][level] += 1
        monitor.wait_days.append(wait)
        monitor.wait_slot.append(slot)
        monitor.wait_level.append(level)
        monitor.wait_bed_type.append(bed_type)
        self._enter_bed(person, home, bed_type, now)
        targets = self.transfer_targets[level][bed_type]
        if targets:
            self.transfers.push(person, targets, now)
        self._schedule_resident(person, now)

    def _enter_bed(self, person: Person, home: int, bed_type: int, now: float) -> None:
        person.home = home
        person.bed_type = bed_type
        self.residents_by_home[home][person.serial] = person
        weight = self.period_end - now
        monitor = self.monitor
        slot = self.slot
        monitor.occupied_area[slot][bed_type] += weight
        monitor.occupied_area_by_home[slot][home][bed_type] += weight
        if bed_type == 0 and _DEPENDENT[person.level]:
            self.dependent_in_general += 1
            monitor.dependent_in_general_area[slot] += weight

    def _leave_bed(self, person: Person, now: float) -> bool:
        """Take ``person`` out of its bed; return True if the bed is open to someone else."""
        home = person.home
        bed_type = person.bed_type
        del self.residents_by_home[home][person.serial]
        weight = self.period_end - now
        monitor = self.monitor
        slot = self.slot
        monitor.occupied_area[slot][bed_type] -= weight
        monitor.occupied_area_by_home[slot][home][bed_type] -= weight
        if bed_type == 0 and _DEPENDENT[person.level]:
            self.dependent_in_general -= 1
            monitor.dependent_in_general_area[slot] -= weight
        return self.pools.release(home, bed_type)

    def _offer_bed(self, home: int, bed_type: int, now: float) -> None:
        """Fill free beds of ``(home, bed_type)`` from the transfer queue and waiting list."""
        free = self.pools.free[home]
        zone = self.pools.home_zone[home]
        while free[bed_type] > 0:
            if self.transfers_first:
                resident = self.transfers.first_for_bed(home, bed_type)
                if resident is not None:
                    self._move(resident, home, bed_type, now)
                    continue
            applicant = self.waiting.pop_for_bed(zone, bed_type)
            if applicant is not None:
                self.monitor.waiting_area[self.slot] -= self.period_end - now
                self.pools.take(home, bed_type)
                self._admit(applicant, home, bed_type, now)
                continue
            if not self.transfers_first:
                resident = self.transfers.first_for_bed(home, bed_type)
                if resident is not None:
                    self._move(resident, home, bed_type, now)
                    continue
            return

    # ------------------------------------------------------------------ residents
    def _schedule_resident(self, person: Person, now: float) -> None:
        if self.stay_mode:
            delay = person.stay_days
            person.next_outcome = DISCHARGE
        else:
            delay, person.next_outcome = self.dynamics.next_event(person.age_band, person.level)
            if delay == math.inf:
                return
        self.env.timeout(now + delay - self.env.now, person).callbacks.append(
            self._on_resident_event
        )

    def _on_resident_event(self, event: simpy.events.Event) -> None:
        person = event.value
        now = self.env.now
        outcome = person.next_outcome
        if outcome >= DEATH:
            if outcome == TURNS_80:
                # Band 0 → 1: flips age_80plus and the later rates (not a level change).
                person.age_band = 1
                self._schedule_resident(person, now)
                return
            counter = self.monitor.deaths_in_care if outcome == DEATH else self.monitor.discharges
            counter[self.slot][person.level] += 1
            if person.transfer_types:
                self.transfers.cancel(person)
            home, bed_type = person.home, person.bed_type
            if self._leave_bed(person, now):
                self._offer_bed(home, bed_type, now)
            person.home = person.bed_type = -1
            return
        self._change_level(person, outcome, now)
        self._schedule_resident(person, now)

    def _change_level(self, person: Person, level: int, now: float) -> None:
        monitor = self.monitor
        monitor.level_changes[self.slot] += 1
        if person.bed_type == 0:
            delta = _DEPENDENT[level] - _DEPENDENT[person.level]
            if delta:
                self.dependent_in_general += delta
                monitor.dependent_in_general_area[self.slot] += delta * (self.period_end - now)
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
    def _on_capacity_change(self, event: simpy.events.Event) -> None:
        now = self.env.now
        _day, home, source, target, n_beds = (
            int(v) for v in self.spec.capacity_changes[event.value]
        )
        pools = self.pools
        if source >= 0 and target >= 0:
            self._convert(home, source, target, n_beds, now)
        elif source >= 0:
            pools.change_capacity(home, source, -n_beds)
        else:
            pools.change_capacity(home, target, n_beds)
        if target >= 0:
            self._offer_bed(home, target, now)

    def _convert(self, home: int, source: int, target: int, n_beds: int, now: float) -> None:
        """Convert beds; occupied beds keep their residents (see BedSpec.capacity_changes)."""
        pools = self.pools
        from_free = min(n_beds, max(pools.free[home][source], 0))
        n_moved = n_beds - from_free
        moved = []
        if n_moved:
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
