"""Residents waiting to move to a more intensive bed type (the internal transfer queue).

A resident whose care level no longer fits the bed type (e.g. becomes dependent in a general
bed) keeps the bed and waits here, in FIFO deques per (home, target bed type). A request for
several types (dementia → dementia or nursing) sits in each of those deques, tagged with the
request's number (``Person.transfer_version``); moving, leaving or no longer needing the move
gives the person a new number, which turns the other entries stale (dropped lazily when they
reach a head).

A freed bed of type ``t`` in home ``h`` goes to the longest-waiting request of home ``h`` itself
(an internal move), else, when transfers between homes are allowed, to the longest-waiting
request for type ``t`` in any other home.
"""

from __future__ import annotations

from collections import deque

from carefacility.beds.person import Person

__all__ = ["TransferQueue"]


class TransferQueue:
    """Transfer requests of residents.

    Parameters
    ----------
    n_homes, n_bed_types : int
        Sizes of the (home, bed type) grid.
    between_homes : bool
        Whether a bed may go to a resident of another home.
    """

    def __init__(self, n_homes: int, n_bed_types: int, between_homes: bool) -> None:
        self.queues: list[list[deque[tuple[int, Person]]]] = [
            [deque() for _ in range(n_bed_types)] for _ in range(n_homes)
        ]
        self.count = [[0] * n_bed_types for _ in range(n_homes)]
        self.total = [0] * n_bed_types
        self.size = 0
        self.between_homes = between_homes
        self._version = 0  # request numbers: each request and each withdrawal takes a new one

    def __len__(self) -> int:
        return self.size

    def push(self, person: Person, bed_types: tuple[int, ...], now: float) -> None:
        """Request a move of ``person`` (currently in a bed) to any of ``bed_types``."""
        self._version += 1
        person.transfer_version = self._version
        person.transfer_types = bed_types
        person.transfer_home = person.home
        person.transfer_since = now
        entry = (person.transfer_version, person)
        queues = self.queues[person.home]
        counts = self.count[person.home]
        for bed_type in bed_types:
            queues[bed_type].append(entry)
            counts[bed_type] += 1
            self.total[bed_type] += 1
        self.size += 1

    def cancel(self, person: Person) -> None:
        """Withdraw ``person``'s request (moved, left, or no longer needed)."""
        counts = self.count[person.transfer_home]
        for bed_type in person.transfer_types:
            counts[bed_type] -= 1
            self.total[bed_type] -= 1
        person.transfer_types = ()
        self._version += 1
        person.transfer_version = self._version
        self.size -= 1

    def _head(self, home: int, bed_type: int) -> Person:
        queue = self.queues[home][bed_type]
        version, person = queue[0]
        while version != person.transfer_version:
            queue.popleft()
            version, person = queue[0]
        return person

    def first_for_bed(self, home: int, bed_type: int) -> Person | None:
        """The resident who gets a freed ``bed_type`` bed in ``home`` (not removed)."""
        if not self.total[bed_type]:
            return None
        if self.count[home][bed_type]:
            return self._head(home, bed_type)
        if not self.between_homes:
            return None
        best = None
        for other, counts in enumerate(self.count):
            if counts[bed_type]:
                person = self._head(other, bed_type)
                if best is None or person.transfer_since < best.transfer_since:
                    best = person
        return best

    def waiting_residents(self) -> list[Person]:
        """Residents with an open request, in no particular order (for end-of-year counts)."""
        seen: dict[int, Person] = {}
        for queues in self.queues:
            for queue in queues:
                for version, person in queue:
                    if version == person.transfer_version:
                        seen[person.serial] = person
        return list(seen.values())
