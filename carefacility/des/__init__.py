"""Discrete-event simulation of care beds: typed bed pools per care home, a waiting list,
residents whose care level changes, and yearly monitors.

Entry point: :func:`simulate` with a :class:`BedSpec`.
"""

from carefacility.des.engine import simulate
from carefacility.des.monitor import BedReplicationResult
from carefacility.des.spec import (
    BED_TYPES,
    DAYS_PER_YEAR,
    LEVELS,
    BedSpec,
    InitialWaitingList,
    StayDistribution,
)

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
