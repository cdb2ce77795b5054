"""Free-bed counters per (home, bed type), with zone and city totals for O(1) "any free?" checks.

No SimPy ``Resource``: a bed pool is two integers, capacity and free. ``free = capacity -
occupied`` may be negative after beds are closed while occupied; those beds close as their
residents leave and are never offered to anyone. Occupied beds are not counted as they change:
they are ``capacity - free`` (:attr:`BedPools.occupied`), read at year ends only.

The engine's hot paths update ``free``, ``zone_free`` and ``type_free`` in place exactly as
:meth:`BedPools.take` and :meth:`BedPools.release` do, without the method call.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

__all__ = ["BedPools"]


class BedPools:
    """Beds of every home and type.

    Parameters
    ----------
    home_zone : numpy.ndarray of int, shape (n_homes,)
        Zone of each home.
    n_zones : int
        Number of zones.
    capacity : numpy.ndarray of int, shape (n_homes, n_bed_types)
        Initial beds [beds].

    Attributes
    ----------
    capacity, free : list of list of int
        Beds and free beds (negative while closed beds are still occupied) by home and type.
    zone_free : list of list of int
        Free beds by zone and type, counting only homes with ``free > 0``.
    type_free : list of int
        The same over all zones, by type.
    homes_in_zone, homes_outside_zone : list of list of int
        Homes of each zone, and of every other zone, in index order.
    """

    def __init__(self, home_zone: NDArray[np.int64], n_zones: int, capacity: NDArray[np.int64]):
        n_types = capacity.shape[1]
        self.home_zone = [int(z) for z in home_zone]
        self.capacity = capacity.astype(int).tolist()
        self.free = [row[:] for row in self.capacity]
        self.zone_free = [[0] * n_types for _ in range(n_zones)]
        self.type_free = [0] * n_types
        for home, zone in enumerate(self.home_zone):
            for bed_type in range(n_types):
                self.zone_free[zone][bed_type] += self.free[home][bed_type]
                self.type_free[bed_type] += self.free[home][bed_type]
        self.homes_in_zone = [
            [h for h, z in enumerate(self.home_zone) if z == zone] for zone in range(n_zones)
        ]
        self.homes_outside_zone = [
            [h for h, z in enumerate(self.home_zone) if z != zone] for zone in range(n_zones)
        ]

    @property
    def occupied(self) -> list[list[int]]:
        """Occupied beds by home and type [beds] (``capacity - free``)."""
        return [
            [c - f for c, f in zip(cap, free, strict=True)]
            for cap, free in zip(self.capacity, self.free, strict=True)
        ]

    @property
    def occupied_total(self) -> list[int]:
        """Occupied beds by type over all homes [beds]."""
        return [sum(column) for column in zip(*self.occupied, strict=True)]

    def best_home(self, homes: list[int], bed_type: int) -> int:
        """Home among ``homes`` with the most free ``bed_type`` beds (lowest index on ties), or
        -1 if none has a free bed."""
        best = -1
        most = 0
        free = self.free
        for home in homes:
            n = free[home][bed_type]
            if n > most:
                most = n
                best = home
        return best

    def take(self, home: int, bed_type: int) -> None:
        """Occupy one bed (the caller has checked it is free)."""
        self.free[home][bed_type] -= 1
        self.zone_free[self.home_zone[home]][bed_type] -= 1
        self.type_free[bed_type] -= 1

    def place(self, home: int, bed_type: int) -> None:
        """Occupy one bed even if none is free (initial residents, converted beds)."""
        if self.free[home][bed_type] > 0:
            self.zone_free[self.home_zone[home]][bed_type] -= 1
            self.type_free[bed_type] -= 1
        self.free[home][bed_type] -= 1

    def release(self, home: int, bed_type: int) -> bool:
        """Free one bed; return True if it is open (not a closed bed that was still occupied)."""
        free = self.free[home]
        free[bed_type] += 1
        if free[bed_type] > 0:
            self.zone_free[self.home_zone[home]][bed_type] += 1
            self.type_free[bed_type] += 1
            return True
        return False

    def change_capacity(self, home: int, bed_type: int, delta: int) -> None:
        """Add (``delta > 0``) or remove beds of one type; occupied beds are never touched."""
        old = max(self.free[home][bed_type], 0)
        self.capacity[home][bed_type] += delta
        self.free[home][bed_type] += delta
        gain = max(self.free[home][bed_type], 0) - old
        self.zone_free[self.home_zone[home]][bed_type] += gain
        self.type_free[bed_type] += gain
