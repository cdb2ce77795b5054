"""The waiting list: queues per (zone, class) so that a freed bed looks only at queue heads.

Layout
------
Applicants sit in FIFO deques keyed by ``(zone_key, class)``, and again in one deque per class
across all zones. Every deque is in arrival order, so its head is its longest-waiting applicant
and choosing who gets a freed bed costs ``O(classes)`` head look-ups, never a scan of the list
(the all-zone deque answers "earliest in other zones", because it is asked only when the bed's
own zone has nobody in those classes; it is kept only when there are other zones to ask).
Applicants who die or
withdraw are only flagged (``Person.waiting = False``) and dropped when they reach a head;
live counts per deque keep empty deques from being touched at all.

- ``fifo`` and ``longest_wait``: one class per care level.
- ``priority``: one class per (level, aged 80+, low-income); each class has a rank from
  ``priority_order`` (lexicographic; lower is served first).
- ``fifo`` and ``priority`` key deques by zone; ``longest_wait`` keys all zones together
  (``zone_key = 0``), unless ``allow_other_zones`` is False, when it is the same as ``fifo``.

Who gets a freed bed of type ``t`` in zone ``z``
------------------------------------------------
Among applicants for whom ``t`` is acceptable, in this order:

1. *proper* before *overflow*: applicants for whom ``t`` is an eligible type come before those
   who would take it only as overflow (dependent/dementia into a general bed);
2. own zone before other zones (``fifo``, ``priority``; other zones only if
   ``allow_other_zones``); ``longest_wait`` ignores zones;
3. best rank (``priority`` only);
4. earliest arrival (ties: lower class index).
"""

from __future__ import annotations

from collections import deque

from carefacility.beds.engine_spec import BED_TYPES, LEVELS, BedSpec
from carefacility.beds.person import Person

__all__ = ["WaitingList", "priority_rank"]

_N_LEVELS = len(LEVELS)


def priority_rank(order: tuple[str, ...], level: int, age_80plus: bool, low_income: bool) -> int:
    """Rank of an applicant under ``priority_order`` (0 is served first).

    Each criterion met sets a more significant bit to 0; e.g. with the default order
    ``("care_need", "low_income", "age_80plus")`` a dependent low-income 80+ applicant has rank
    0 and an independent, not low-income applicant under 80 has rank 7.
    """
    met = {
        "care_need": level >= 2,
        "low_income": bool(low_income),
        "age_80plus": bool(age_80plus),
    }
    rank = 0
    for criterion in order:
        rank = 2 * rank + (0 if met[criterion] else 1)
    return rank


class WaitingList:
    """Applicants waiting for a bed (see the module docstring for the discipline).

    Parameters
    ----------
    spec : BedSpec
        Provides the discipline, priority order, eligibility and zone count.
    """

    def __init__(self, spec: BedSpec) -> None:
        self.discipline = spec.discipline
        self.priority = spec.discipline == "priority"
        self.allow_other_zones = spec.allow_other_zones
        self.zone_keyed = spec.discipline != "longest_wait" or not spec.allow_other_zones
        n_zone_keys = spec.n_zones if self.zone_keyed else 1
        # "earliest in other zones" is asked only with zone-keyed queues, other zones allowed,
        # and other zones to ask
        self.elsewhere = self.zone_keyed and self.allow_other_zones and spec.n_zones > 1
        if self.priority:
            self.class_level = [c // 4 for c in range(4 * _N_LEVELS)]
            self.class_rank = [
                priority_rank(spec.priority_order, c // 4, bool(c & 2), bool(c & 1))
                for c in range(4 * _N_LEVELS)
            ]
        else:
            self.class_level = list(range(_N_LEVELS))
            self.class_rank = [0] * _N_LEVELS
        n_classes = len(self.class_level)
        self.queues: list[list[deque[Person]]] = [
            [deque() for _ in range(n_classes)] for _ in range(n_zone_keys)
        ]
        # the same applicants per class across all zones, and their number, for "earliest in
        # other zones" (kept only when ``elsewhere``)
        self.everywhere: list[deque[Person]] = [deque() for _ in range(n_classes)]
        self.count = [[0] * n_classes for _ in range(n_zone_keys)]
        self.class_total = [0] * n_classes
        self.size = 0
        # plan[bed_type] = tiers (proper, overflow), each a list of rank groups of classes.
        self.plan: list[list[list[list[int]]]] = []
        for bed_type in range(len(BED_TYPES)):
            tiers = []
            for overflow in (False, True):
                members = [
                    c
                    for c in range(n_classes)
                    if (bed_type in spec.eligible_bed_types[self.class_level[c]]) != overflow
                    and bed_type in spec.acceptable_bed_types(self.class_level[c])
                ]
                ranks = sorted({self.class_rank[c] for c in members})
                groups = [[c for c in members if self.class_rank[c] == r] for r in ranks]
                if groups:
                    tiers.append(groups)
            self.plan.append(tiers)

    def __len__(self) -> int:
        return self.size

    def rank_of(self, person: Person) -> tuple[int, float, int]:
        """Serving order of an applicant ignoring zones: (rank, arrival day, serial)."""
        rank = 0
        if self.priority:
            rank = self.class_rank[4 * person.level + 2 * person.age_band + int(person.low_income)]
        return rank, person.arrival_day, person.serial

    def push(self, person: Person) -> None:
        """Append an applicant (arrival order must be non-decreasing per queue).

        Written out in ``BedSimulation._on_arrival`` for the disciplines whose classes are the
        care levels (the most frequent call): a change here belongs there too.
        """
        if self.priority:
            cls = 4 * person.level + 2 * person.age_band + (1 if person.low_income else 0)
        else:
            cls = person.level
        key = person.zone if self.zone_keyed else 0
        person.zone_key = key
        person.queue_class = cls
        person.waiting = True
        self.queues[key][cls].append(person)
        self.count[key][cls] += 1
        if self.elsewhere:
            self.everywhere[cls].append(person)
            self.class_total[cls] += 1
        self.size += 1

    def cancel(self, person: Person) -> None:
        """Remove a waiting applicant (death or withdrawal); its entry is dropped lazily."""
        person.waiting = False
        self.count[person.zone_key][person.queue_class] -= 1
        if self.elsewhere:
            self.class_total[person.queue_class] -= 1
        self.size -= 1

    def waiting_by_level(self) -> list[int]:
        """Applicants waiting per care level [persons]."""
        out = [0] * _N_LEVELS
        for counts in self.count:
            for cls, n in enumerate(counts):
                out[self.class_level[cls]] += n
        return out

    @staticmethod
    def _earliest_head(queues: list[deque[Person]], counts: list[int], group: list[int]
                       ) -> Person | None:
        """Earliest waiting head among the non-empty queues of ``group``, dropping the
        cancelled entries (applicants who left) found at the heads."""
        best = None
        for cls in group:
            if counts[cls]:
                queue = queues[cls]
                head = queue[0]
                while not head.waiting:
                    queue.popleft()
                    head = queue[0]
                if best is None or head.arrival_day < best.arrival_day:
                    best = head
        return best

    def pop_for_bed(self, zone: int, bed_type: int) -> Person | None:
        """Remove and return the applicant who gets a freed ``bed_type`` bed in ``zone``."""
        if not self.size:
            return None
        key = zone if self.zone_keyed else 0
        queues = self.queues[key]
        counts = self.count[key]
        for tier in self.plan[bed_type]:
            for group in tier:
                # _earliest_head(queues, counts, group), inlined: this runs for most freed beds
                best = None
                for cls in group:
                    if counts[cls]:
                        queue = queues[cls]
                        head = queue[0]
                        while not head.waiting:
                            queue.popleft()
                            head = queue[0]
                        if best is None or head.arrival_day < best.arrival_day:
                            best = head
                if best is not None:
                    # self._take(best), written out
                    cls = best.queue_class
                    queues[cls].popleft()
                    best.waiting = False
                    counts[cls] -= 1
                    if self.elsewhere:
                        self.class_total[cls] -= 1
                    self.size -= 1
                    return best
            if self.elsewhere:
                for group in tier:
                    person = self._earliest_head(self.everywhere, self.class_total, group)
                    if person is not None:
                        return self._take(person)
        return None

    def _take(self, person: Person) -> Person:
        key = person.zone_key
        cls = person.queue_class
        self.queues[key][cls].popleft()
        person.waiting = False
        self.count[key][cls] -= 1
        if self.elsewhere:
            self.class_total[cls] -= 1
        self.size -= 1
        return person
