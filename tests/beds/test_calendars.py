"""The lean event calendar orders events exactly as SimPy does, and the bed simulation gives
bit-identical results on either calendar (``simulate(..., calendar="lean" | "simpy")``)."""

from __future__ import annotations

import dataclasses
import gc

import numpy as np
import pytest
import simpy
from des_helpers import mixed_spec, single_pool_spec
from simpy.events import NORMAL

from carefacility.beds import InitialWaitingList, StayDistribution, simulate
from carefacility.beds.calendar import LeanCalendar, SimPyCalendar, make_calendar
from carefacility.beds.engine import BedSimulation
from carefacility.beds.monitor import BedReplicationResult


def _delays(rng: np.random.Generator, size: int) -> np.ndarray:
    """Delays [day]: zero, whole days and eighths (ties, bucket edges), short and far ahead."""
    kind = rng.integers(5, size=size)
    return np.select(
        [kind == 0, kind == 1, kind == 2, kind == 3],
        [0.0, rng.integers(0, 4, size), rng.integers(1, 8, size) / 8, rng.exponential(3.0, size)],
        rng.exponential(400.0, size),
    )


def _trace(calendar: LeanCalendar | SimPyCalendar, seed: int) -> list[tuple[float, int]]:
    """Handle a random cascade of events (many ties, zero delays, events scheduled from
    handlers, events far ahead, a chain of events as the engine's arrivals, and chained events
    scheduled while another one is pending) and return (time, label) in the order handled.
    What an event does depends on its label only (labels are given in scheduling order)."""
    n = 4_000
    rng = np.random.default_rng(seed)
    children = rng.integers(0, 3, size=n).tolist()
    child_delays = _delays(rng, 2 * n).reshape(n, 2).tolist()
    chained = (rng.random(n) < 0.3).tolist()
    chain_delays = _delays(rng, n).tolist()
    seen: list[tuple[float, int]] = []
    labels = iter(range(10**9))

    def handler(now: float, label: int) -> None:
        seen.append((now, label))
        if label >= n - 60:
            return
        for k in range(children[label]):
            calendar.schedule(child_delays[label][k], handler, next(labels))
        if chained[label]:
            calendar.schedule_chained(chain_delays[label], handler, next(labels))

    def chain(now: float, label: int) -> None:
        seen.append((now, label))
        if label < n - 60:
            calendar.schedule_chained(chain_delays[label], chain, next(labels))

    for delay in _delays(rng, 50).tolist():
        calendar.schedule(delay, handler, next(labels))
    calendar.schedule_chained(0.0, chain, next(labels))
    calendar.schedule_last(250.0)
    calendar.run()
    return seen


@pytest.mark.parametrize("seed", range(5))
@pytest.mark.parametrize("start", [0.0, -0.0, -37.3, 1_000.5])
def test_lean_calendar_handles_events_in_simpys_order(seed: int, start: float) -> None:
    simpy_trace = _trace(SimPyCalendar(start), seed)
    for bucket_days in (1 / 64, 0.25, 1.0, 7.0, 1_000.0):
        lean = LeanCalendar(start, start + 100.0, bucket_days)
        assert _trace(lean, seed) == simpy_trace, bucket_days


_START = 0.11801545350138554
_TARGET = 469.86359657644476


@pytest.mark.parametrize("make", [lambda: LeanCalendar(_START, 2_000.0, 0.5),
                                  lambda: SimPyCalendar(_START)])
def test_event_times_are_computed_as_simpy_computes_them(make) -> None:
    # now + delay, not the time the caller had in mind: a + (b - a) != b here
    calendar = make()
    times = []
    calendar.schedule(_TARGET - _START, lambda now, _: times.append(now))
    calendar.run()
    assert times == [_START + (_TARGET - _START)] != [_TARGET]


@pytest.mark.parametrize("make", [lambda: LeanCalendar(0.0, 10.0), lambda: SimPyCalendar(0.0)])
def test_the_last_event_stops_the_run_after_its_handler(make) -> None:
    calendar = make()
    seen = []

    def record(_now: float, label: str) -> None:
        seen.append(label)

    calendar.schedule(5.0, record, "before")
    calendar.schedule_last(5.0, record, "last")
    calendar.schedule(5.0, record, "after")
    calendar.run()
    assert seen == ["before", "last"]
    assert calendar.now == 5.0
    assert calendar.scheduled_events == 3


def test_calendar_refuses_nonsense() -> None:
    with pytest.raises(ValueError, match="in the past"):
        LeanCalendar(0.0, 1.0).schedule(-1e-9, lambda now, _: None)
    with pytest.raises(ValueError, match="bucket_days"):
        LeanCalendar(0.0, 1.0, 0.0)
    with pytest.raises(ValueError, match="calendar must be one of 'lean', 'simpy'"):
        make_calendar("heap", 0.0, 1.0)
    with pytest.raises(ValueError, match="calendar must be one of"):
        simulate(single_pool_spec(2, 1.0, 1.0, n_years=1), 1, 0, calendar="SimPy")


def _assert_identical(first: BedReplicationResult, second: BedReplicationResult) -> None:
    """Every field equal, arrays bit for bit (NaNs included)."""
    for field in dataclasses.fields(BedReplicationResult):
        a, b = getattr(first, field.name), getattr(second, field.name)
        if isinstance(a, np.ndarray):
            assert a.dtype == b.dtype and a.shape == b.shape, field.name
            assert a.tobytes() == b.tobytes(), field.name
        else:
            assert a == b, field.name


_STAYS = StayDistribution("gamma", [300.0, 400.0, 500.0, 200.0], gamma_shape=2.0)
_TIES = {  # deterministic stays: the initial list admitted at once leaves at one instant
    "stay_distribution": StayDistribution("deterministic", 10.0),
    "initial_waiting_list": InitialWaitingList.from_counts([[30, 5, 0, 0], [4, 0, 0, 0]], 5.0),
    "capacity_changes": [(365.0, 0, -1, 0, 2), (365.0, 1, 0, -1, 1), (730.0, 0, 0, 1, 3)],
}
SPECS = {
    # CTMC residents, priority, transfers, conversions and closures, patience, initial state
    "level dynamics": {},
    "fifo, other zones closed": {"discipline": "fifo", "allow_other_zones": False},
    "longest wait, type then zone": {"discipline": "longest_wait",
                                     "placement": "type_then_zone"},
    "transfers last, within homes": {"transfers_first": False,
                                     "transfers_between_homes": False},
    "waiting list capped": {"max_waiting": 4},
    "loss system": {"max_waiting": 0},
    "warm-up, no run-on": {"warmup_days": 300.0, "run_on_days": 0.0},
    "long run-on, ageing": {"run_on_days": 200.0, "band_ageing_rate_per_day": 0.002},
    "stays": {"stay_distribution": _STAYS, "warmup_days": 120.0},
    "busy, trend": {"arrival_rate_per_day": np.full((3, 2, 4), 0.2),
                    "arrival_trend_per_day_per_day": 0.0001},
    "ties": _TIES,
    "ties, warm-up": {**_TIES, "warmup_days": 100.0, "run_on_days": 50.0},
}


@pytest.mark.parametrize("name", sorted(SPECS))
def test_both_calendars_give_identical_results(name: str) -> None:
    spec = mixed_spec(**SPECS[name])
    for replication in range(2):
        lean = BedSimulation(spec, 7, replication, calendar="lean")
        reference = BedSimulation(spec, 7, replication, calendar="simpy")
        _assert_identical(lean.run(), reference.run())
        assert lean.calendar.scheduled_events == reference.calendar.scheduled_events


def test_one_home_pool_is_identical_on_both_calendars() -> None:
    spec = single_pool_spec(20, 1.8, 10.0, n_years=2, warmup_days=50.0,
                            withdrawal_rate_per_day=0.05)
    _assert_identical(simulate(spec, 3, 1), simulate(spec, 3, 1, calendar="simpy"))


def test_scheduled_events_count_simpys_timeouts(monkeypatch: pytest.MonkeyPatch) -> None:
    """``calendar.scheduled_events`` is the number of timeouts a run on SimPy schedules
    (``simpy.Environment.schedule`` calls, less the one with which SimPy puts the last event
    back when the run stops), and the lean calendar counts the same events."""
    spec = mixed_spec(**SPECS["ties, warm-up"])
    count = 0
    schedule = simpy.Environment.schedule

    def counting(self: simpy.Environment, event: simpy.Event, priority: int = 1,
                 delay: float = 0) -> None:
        nonlocal count
        count += priority == NORMAL
        return schedule(self, event, priority, delay)

    monkeypatch.setattr(simpy.Environment, "schedule", counting)
    reference = BedSimulation(spec, 2, 0, calendar="simpy")
    reference.run()
    assert reference.calendar.scheduled_events == count > 0
    lean = BedSimulation(spec, 2, 0)
    lean.run()
    assert lean.calendar.scheduled_events == count


@pytest.mark.parametrize("enabled", [True, False])
def test_garbage_collector_is_left_as_it_was(enabled: bool) -> None:
    was = gc.isenabled()
    try:
        if enabled:
            gc.enable()
        else:
            gc.disable()
        simulate(mixed_spec(), 1, 0)
        assert gc.isenabled() is enabled
        with pytest.raises(ValueError):
            simulate(mixed_spec(), 1, 0, calendar="none")
        assert gc.isenabled() is enabled
    finally:
        if was:
            gc.enable()
        else:
            gc.disable()
