"""Care beds: the ``plan:`` and ``simulation:`` sections (homes, bed types, build schedule,
starting state, waiting rules) and the discrete-event simulation of the beds — typed bed pools per
care home, a waiting list, residents whose care level changes, and yearly monitors.

Entry point: :func:`simulate` with a :class:`BedSpec`. Its events run on our lean event
calendar, or on a SimPy ``Environment`` with ``calendar="simpy"``; both give the same results,
bit for bit (:mod:`carefacility.beds.calendar`).
"""

from carefacility.beds.engine import simulate
from carefacility.beds.engine_spec import (
    BED_TYPES,
    DAYS_PER_YEAR,
    LEVELS,
    BedSpec,
    InitialWaitingList,
    StayDistribution,
)
from carefacility.beds.monitor import BedReplicationResult

__all__ = [
    "BED_TYPES",
    "DAYS_PER_YEAR",
    "LEVELS",
    "BedReplicationResult",
    "BedSpec",
    "InitialWaitingList",
    "StayDistribution",
    "simulate",
]
