"""Lean stays: with pre-drawn stays, residents who need no transfer leave their Person behind
(and applicants admitted at once never have one); the results are those of the full
bookkeeping, bit for bit."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from des_helpers import mixed_spec, single_pool_spec

from carefacility.beds import StayDistribution
from carefacility.beds.engine import BedSimulation
from carefacility.beds.monitor import BedReplicationResult

_STAYS = StayDistribution("gamma", [30.0, 40.0, 50.0, 20.0], gamma_shape=2.0)
_NO_CONVERSIONS = [(200.0, 0, -1, 1, 3), (400.0, 2, 2, -1, 2), (500.0, 1, 0, -1, 2)]
"""Beds opened and closed, none converted (a conversion keeps every resident's Person)."""

SPECS = {
    # transfers of dependent residents out of general beds (overflow) take the Person path
    "priority, overflow": {},
    "fifo": {"discipline": "fifo"},
    "longest wait, type then zone": {"discipline": "longest_wait",
                                     "placement": "type_then_zone"},
    "no overflow": {"overflow_to_general": False},
    "waiting list capped": {"max_waiting": 3},
    "loss system": {"max_waiting": 0},
    "warm-up and run-on": {"warmup_days": 100.0, "run_on_days": 40.0},
    "busy": {"arrival_rate_per_day": np.full((3, 2, 4), 0.3)},
    "transfers last, within homes": {"transfers_first": False,
                                     "transfers_between_homes": False},
    "deterministic stays (ties)": {"stay_distribution": StayDistribution("deterministic", 10.0)},
}


def _assert_identical(first: BedReplicationResult, second: BedReplicationResult) -> None:
    for field in dataclasses.fields(BedReplicationResult):
        a, b = getattr(first, field.name), getattr(second, field.name)
        if isinstance(a, np.ndarray):
            assert a.dtype == b.dtype and a.shape == b.shape, field.name
            assert a.tobytes() == b.tobytes(), field.name
        else:
            assert a == b, field.name


def _lean_and_full(spec, seed: int, replication: int) -> tuple[BedSimulation, BedSimulation]:
    lean = BedSimulation(spec, seed, replication)
    # keeping every resident (as bed conversions need) turns lean stays off
    full = BedSimulation(spec, seed, replication, keep_residents=True)
    return lean, full


@pytest.mark.parametrize("name", sorted(SPECS))
def test_lean_stays_give_the_results_of_the_full_bookkeeping(name: str) -> None:
    spec = mixed_spec(**{"stay_distribution": _STAYS, "capacity_changes": _NO_CONVERSIONS,
                         **SPECS[name]})
    for replication in range(2):
        lean, full = _lean_and_full(spec, 5, replication)
        assert lean._lean_stays and not full._lean_stays
        _assert_identical(lean.run(), full.run())
        assert lean.calendar.scheduled_events == full.calendar.scheduled_events


@pytest.mark.parametrize("calendar", ["lean", "simpy"])
def test_one_pool_with_patience_is_identical_either_way(calendar: str) -> None:
    spec = single_pool_spec(12, 1.5, 7.0, n_years=2, warmup_days=30.0,
                            withdrawal_rate_per_day=0.05)
    lean = BedSimulation(spec, 3, 1, calendar=calendar)
    full = BedSimulation(spec, 3, 1, calendar=calendar, keep_residents=True)
    _assert_identical(lean.run(), full.run())


def test_residents_needing_a_transfer_keep_their_person() -> None:
    """Where a level asks for a transfer from a bed type, the lean stay has no payload: the
    resident keeps the full bookkeeping (its transfer request)."""
    spec = mixed_spec(stay_distribution=_STAYS, capacity_changes=_NO_CONVERSIONS)
    simulation = BedSimulation(spec, 1, 0)
    for level in range(4):
        for bed_type in range(3):
            payload = simulation._stay_payloads[level][0][bed_type]
            assert (payload is None) == bool(simulation.transfer_targets[level][bed_type])
    assert any(payload is None for rows in simulation._stay_payloads for row in rows
               for payload in row)
    # conversions keep every resident: no lean stays
    assert not BedSimulation(mixed_spec(stay_distribution=_STAYS), 1, 0)._lean_stays
