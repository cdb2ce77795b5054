"""Event calendars of the bed simulation: a lean one of our own (the default) and SimPy's.

The engine needs only timed callbacks: "call ``handler(now, payload)`` ``delay`` days from now".
Both calendars offer exactly that, with the same interface and the same order, SimPy's: events
are handled by time, and events at the same time in the order they were scheduled (a SimPy
timeout is a ``NORMAL``-priority event with an increasing id). The time of an event is
``now + delay``, computed as SimPy computes it, so both calendars give bit-identical runs.

- :class:`LeanCalendar` keeps ``(time, sequence, handler, payload)`` tuples in buckets of a
  fixed width (plain lists, a fraction of a day) and only the current bucket in a binary heap
  (:mod:`heapq`): scheduling far ahead (a stay of years) is a list append, and the heap stays
  small however many residents wait for their next event. The next event of a chain (the
  arrivals) waits beside the heap. No object per event besides the tuple.
- :class:`SimPyCalendar` schedules a ``simpy.Environment.timeout`` per event with the handler as
  its callback: the reference (``calendar="simpy"`` in :func:`carefacility.beds.simulate`).

Each calendar counts the events scheduled on it (``scheduled_events``): the timeouts a run on
SimPy schedules.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from heapq import heapify, heappop, heappush
from math import floor
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import simpy

__all__ = ["CALENDARS", "Handler", "LeanCalendar", "SimPyCalendar", "make_calendar"]

Handler = Callable[[float, Any], None]
"""An event handler: called with the event's time [day] and the payload it was scheduled with."""

CALENDARS = ("lean", "simpy")
"""Names accepted by :func:`make_calendar` (and ``simulate(..., calendar=...)``)."""


class _Stop(Exception):
    """Raised after the last event's handler to end :meth:`LeanCalendar.run`."""


def _negative_delay(delay_days: float) -> ValueError:
    return ValueError(f"an event cannot be scheduled in the past (delay {delay_days!r} days < 0)")


class LeanCalendar:
    """A bucketed event calendar with SimPy's order, without an object per event.

    Parameters
    ----------
    start_day : float
        Clock at the start [day].
    end_day : float
        Time up to which buckets are laid out [day]; later events wait, unsorted, in one list
        that is sorted once the buckets are used up. Only speed depends on it.
    bucket_days : float
        Width of a bucket [day] (> 0), rounded to a power of two; only speed depends on it.

    Attributes
    ----------
    now : float
        Time of the event being handled (``start_day`` before the run) [day].
    scheduled_events : int
        Events scheduled so far, the last event included (every call of :meth:`schedule`,
        :meth:`schedule_chained` and :meth:`schedule_last`).

    Notes
    -----
    With a width of ``2**-k`` days an event at ``time`` goes to bucket
    ``floor(time * 2**k) - floor(start_day * 2**k)``: exact (scaling by a power of two does not
    round), non-decreasing in time, and bucket ``b`` ends exactly at
    ``(floor(start_day * 2**k) + b + 1) / 2**k``. So every event of a bucket comes after every
    event of an earlier one. The run takes the buckets in turn, turns each into a heap of
    ``(time, sequence, handler, payload)`` and pops it empty; an event scheduled into the
    current bucket is pushed on that heap. Within a bucket the heap orders by time, then by
    sequence, i.e. scheduling order. The pending chained event, if any, is handled when it
    comes before the heap's first event by (time, sequence), or when the current bucket is
    empty and it falls in it.
    """

    __slots__ = (
        "_base",
        "_buckets",
        "_chained",
        "_current",
        "_end",
        "_heap",
        "_near_end",
        "_overflow",
        "_per_day",
        "now",
        "scheduled_events",
    )

    def __init__(self, start_day: float, end_day: float, bucket_days: float = 1.0) -> None:
        if not bucket_days > 0 or not math.isfinite(bucket_days):
            raise ValueError(f"bucket_days must be finite and > 0 (got {bucket_days!r})")
        self.now = start_day
        self.scheduled_events = 0
        self._per_day = 2.0 ** round(-math.log2(bucket_days))
        self._base = floor(start_day * self._per_day)
        n_buckets = max(floor(end_day * self._per_day) - self._base, 0) + 1
        # buckets are made when their first event comes (None until then)
        self._buckets: list[list[tuple[float, int, Handler, Any]] | None] = [None] * n_buckets
        self._end = self._bucket_end(n_buckets - 1)  # later times wait in the overflow
        self._overflow: list[tuple[float, int, Handler, Any]] | None = []
        self._current = 0
        self._heap: list[tuple[float, int, Handler, Any]] = []  # bucket 0
        self._chained: tuple[float, int, Handler, Any] | None = None
        self._near_end = self._bucket_end(0)

    def _bucket_end(self, index: int) -> float:
        """End of bucket ``index``: an event belongs to it or an earlier one exactly when its
        time is below this [day]."""
        return (self._base + index + 1) / self._per_day

    def schedule(self, delay_days: float, handler: Handler, payload: Any = None) -> None:
        """Call ``handler(now + delay_days, payload)`` then, after the events already due then.

        Parameters
        ----------
        delay_days : float
            Days from :attr:`now` (≥ 0).
        handler : callable
            ``handler(time, payload)``.
        payload : object, optional
            Passed to ``handler``.
        """
        if delay_days < 0:
            raise _negative_delay(delay_days)
        sequence = self.scheduled_events = self.scheduled_events + 1
        time = self.now + delay_days
        # self._push(time, sequence, handler, payload), written out (the most frequent call)
        if time < self._near_end:  # in the current bucket
            heappush(self._heap, (time, sequence, handler, payload))
        elif time < self._end:
            index = floor(time * self._per_day) - self._base
            bucket = self._buckets[index]
            if bucket is None:
                self._buckets[index] = [(time, sequence, handler, payload)]
            else:
                bucket.append((time, sequence, handler, payload))
        else:
            self._overflow.append((time, sequence, handler, payload))  # type: ignore[union-attr]

    def _push(self, time: float, sequence: int, handler: Handler, payload: Any) -> None:
        """Put an event in the heap, its bucket or the overflow (as :meth:`schedule` does)."""
        if time < self._near_end:
            heappush(self._heap, (time, sequence, handler, payload))
        elif time < self._end:
            index = floor(time * self._per_day) - self._base
            bucket = self._buckets[index]
            if bucket is None:
                self._buckets[index] = [(time, sequence, handler, payload)]
            else:
                bucket.append((time, sequence, handler, payload))
        else:
            self._overflow.append((time, sequence, handler, payload))  # type: ignore[union-attr]

    def schedule_chained(self, delay_days: float, handler: Handler, payload: Any = None) -> None:
        """As :meth:`schedule`, for the next event of a chain that has one event pending at a
        time (the engine's arrivals): it waits beside the heap, not in it, which saves a push
        and a pop. (Should the chain's previous event still be pending, it is moved to the
        heap or its bucket; the order is the same.)"""
        if self._chained is not None:  # another one still pending: it waits as any event
            time, sequence, chained_handler, chained_payload = self._chained
            self._chained = None
            self._push(time, sequence, chained_handler, chained_payload)
        if delay_days < 0:
            raise _negative_delay(delay_days)
        sequence = self.scheduled_events = self.scheduled_events + 1
        self._chained = (self.now + delay_days, sequence, handler, payload)

    def schedule_last(self, delay_days: float, handler: Handler | None = None,
                      payload: Any = None) -> None:
        """Schedule the event after which :meth:`run` stops (as ``simpy.Environment.run(until=
        event)``): its handler (if any) runs, later events do not. Once per run."""

        def last(time: float, value: Any) -> None:
            if handler is not None:
                handler(time, value)
            raise _Stop

        self.schedule(delay_days, last, payload)

    def clear(self) -> None:
        """Drop every pending event (the clock and the count stay)."""
        self._buckets = [None] * len(self._buckets)
        self._heap = []
        self._overflow = []
        self._chained = None

    def run(self) -> None:
        """Handle events in order until the last event (or until none is left)."""
        buckets = self._buckets
        heap = self._heap
        try:
            while True:
                while heap:
                    chained = self._chained
                    if chained is not None and chained < heap[0]:  # (time, sequence) decide
                        self._chained = None
                        time, _sequence, handler, payload = chained
                    else:
                        time, _sequence, handler, payload = heappop(heap)
                    self.now = time
                    handler(time, payload)
                chained = self._chained
                if chained is not None and chained[0] < self._near_end:
                    self._chained = None
                    time, _sequence, handler, payload = chained
                    self.now = time
                    handler(time, payload)
                    continue
                current = self._current + 1
                if current < len(buckets):
                    heap = buckets[current] or []
                    buckets[current] = None
                    self._near_end = self._bucket_end(current)
                elif self._overflow is not None:
                    # past the buckets: every later event goes on the heap
                    heap = self._overflow
                    self._overflow = None
                    self._near_end = math.inf
                else:
                    return  # (a chained event left would have been handled: _near_end is inf)
                self._current = current
                heapify(heap)
                self._heap = heap
        except _Stop:
            return


class SimPyCalendar:
    """The same calendar on a ``simpy.Environment`` (one timeout per event).

    Parameters
    ----------
    start_day : float
        Initial time of the environment [day].

    Attributes
    ----------
    env : simpy.Environment
        The environment; extra timeouts may be scheduled on it directly.
    scheduled_events : int
        Events scheduled through this calendar (one timeout each).
    """

    def __init__(self, start_day: float) -> None:
        import simpy  # only when asked for: the lean calendar does not need it

        self.env = simpy.Environment(initial_time=start_day)
        self.scheduled_events = 0
        self._callbacks: dict[Handler, Callable[[simpy.events.Event], None]] = {}
        self._last: simpy.events.Event | None = None

    @property
    def now(self) -> float:
        """Current time of the environment [day]."""
        return self.env.now

    def _callback(self, handler: Handler) -> Callable[[simpy.events.Event], None]:
        callback = self._callbacks.get(handler)
        if callback is None:
            env = self.env

            def callback(event: simpy.events.Event) -> None:
                handler(env.now, event.value)

            self._callbacks[handler] = callback
        return callback

    def schedule_chained(self, delay_days: float, handler: Handler, payload: Any = None) -> None:
        """As :meth:`schedule` (SimPy keeps every event in its queue)."""
        self.schedule(delay_days, handler, payload)

    def schedule(self, delay_days: float, handler: Handler, payload: Any = None) -> None:
        """As :meth:`LeanCalendar.schedule` (a timeout with ``handler`` as its callback)."""
        self.scheduled_events += 1
        self.env.timeout(delay_days, payload).callbacks.append(self._callback(handler))

    def schedule_last(self, delay_days: float, handler: Handler | None = None,
                      payload: Any = None) -> None:
        """As :meth:`LeanCalendar.schedule_last`."""
        self.scheduled_events += 1
        self._last = self.env.timeout(delay_days, payload)
        if handler is not None:
            self._last.callbacks.append(self._callback(handler))

    def clear(self) -> None:
        """Forget the handlers (the pending timeouts stay in the environment)."""
        self._callbacks = {}

    def run(self) -> None:
        """``env.run(until=<the last event>)``, or until no event is left without one."""
        self.env.run(until=self._last)


def make_calendar(
    name: str, start_day: float, end_day: float, bucket_days: float = 1.0
) -> LeanCalendar | SimPyCalendar:
    """A calendar by name.

    Parameters
    ----------
    name : {"lean", "simpy"}
        :class:`LeanCalendar` or :class:`SimPyCalendar`.
    start_day, end_day, bucket_days : float
        Start of the clock [day]; for the lean calendar, the time up to which buckets are laid
        out and their width [day].

    Raises
    ------
    ValueError
        For another name.
    """
    if name == "lean":
        return LeanCalendar(start_day, end_day, bucket_days)
    if name == "simpy":
        return SimPyCalendar(start_day)
    raise ValueError(f"calendar must be one of {', '.join(map(repr, CALENDARS))} (got {name!r})")
