"""Care-level and age-band dynamics of residents: competing exponential clocks of a CTMC.

A resident at level ``l`` in age band ``b`` leaves its state at the total rate
``r = Σ_{j≠l} G[b, l, j] + death[b, l] + discharge[l] + [b = 0] ageing[l]``. The engine draws
one exponential with rate ``r`` and then which event happens (level ``j``, death, discharge or,
in band 0, turning 80) with probabilities proportional to the rates, instead of racing seven
clocks; so each resident has exactly one scheduled event at a time. Band 1 (80+) is absorbing.
The resident's bed type does not enter the rates, so moving between beds never reschedules
anything. With ``ageing = 0`` the tables, and hence the draws, are those of a model without
ageing.

Random numbers come from one stream (``"residents"``), read in blocks of uniforms and consumed
in event order.
"""

from __future__ import annotations

import math

import numpy as np

from carefacility.beds.engine_spec import LEVELS, BedSpec

__all__ = ["DEATH", "DISCHARGE", "TURNS_80", "ResidentDynamics"]

DEATH = len(LEVELS)
"""Outcome code of a death in care."""
DISCHARGE = len(LEVELS) + 1
"""Outcome code of a discharge (leaving alive)."""
TURNS_80 = len(LEVELS) + 2
"""Outcome code of a resident moving from age band 0 (under 80) to band 1 (80+)."""

_BLOCK = 16384


class ResidentDynamics:
    """Draws the next event of a resident.

    Parameters
    ----------
    spec : BedSpec
        Provides the generator, death, discharge and band-ageing rates [1/day].
    rng : numpy.random.Generator
        The ``"residents"`` stream.
    """

    def __init__(self, spec: BedSpec, rng: np.random.Generator) -> None:
        self._rng = rng
        self._buffer: list[float] = []
        self._index = 0
        n_levels = len(LEVELS)
        self.total_rate: list[list[float]] = []
        self.cumulative: list[list[list[tuple[float, int]]]] = []
        for band in range(2):
            totals = []
            tables = []
            for level in range(n_levels):
                rates = [
                    (float(spec.resident_generator_per_day[band, level, j]), j)
                    for j in range(n_levels)
                    if j != level
                ]
                rates.append((float(spec.resident_death_rate_per_day[band, level]), DEATH))
                rates.append((float(spec.discharge_rate_per_day[level]), DISCHARGE))
                if band == 0:
                    rates.append((float(spec.band_ageing_rate_per_day[level]), TURNS_80))
                total = sum(rate for rate, _ in rates)
                table = []
                running = 0.0
                for rate, outcome in rates:
                    if rate > 0:
                        running += rate
                        table.append((running / total, outcome))
                if table:
                    table[-1] = (2.0, table[-1][1])  # guard against rounding
                totals.append(total)
                tables.append(table)
            self.total_rate.append(totals)
            self.cumulative.append(tables)

    def _uniform(self) -> float:
        if self._index >= len(self._buffer):
            self._buffer = self._rng.random(_BLOCK).tolist()
            self._index = 0
        value = self._buffer[self._index]
        self._index += 1
        return value

    def next_event(self, age_band: int, level: int) -> tuple[float, int]:
        """Return ``(delay_days, outcome)``; ``delay_days`` is ``inf`` if the state is absorbing.

        ``outcome`` is the new level (0–3), :data:`DEATH`, :data:`DISCHARGE` or (band 0 only)
        :data:`TURNS_80`.
        """
        total = self.total_rate[age_band][level]
        if total <= 0.0:
            return math.inf, -1
        index = self._index
        if index + 2 <= len(self._buffer):  # both uniforms in the block: read them at once
            buffer = self._buffer
            delay = -math.log(1.0 - buffer[index]) / total
            u = buffer[index + 1]
            self._index = index + 2
        else:
            delay = -math.log(1.0 - self._uniform()) / total
            u = self._uniform()
        for threshold, outcome in self.cumulative[age_band][level]:
            if u < threshold:
                return delay, outcome
        raise AssertionError("unreachable")  # pragma: no cover
