"""One person in the bed model: an applicant while waiting, a resident once in a bed."""

from __future__ import annotations

__all__ = ["Person"]


class Person:
    """Applicant or resident (the same object, so admission allocates nothing).

    Only the attributes every person needs are set on creation (the engine creates one per
    applicant, so each attribute costs; its arrival handler sets them without calling
    ``__init__``, which must set the same ones).

    Attributes
    ----------
    serial : int
        Creation order; breaks ties deterministically.
    arrival_day : float
        Day the person joined the waiting list (negative for the initial list) [day].
    slot : int
        Monitor slot of the arrival (model year ``slot - 1``; 0 for the warm-up, the initial
        residents and the initial waiting list; ``n_years + 1`` for the run-on): the cohort the
        applicant's outcome is counted in.
    zone : int
        Home zone of the applicant.
    level : int
        Current care level (index into ``LEVELS``).
    age_band : int
        0 under 80, 1 aged 80+ (the ``age_80plus`` flag). Fixed while waiting; a resident in
        band 0 moves to band 1 at ``BedSpec.band_ageing_rate_per_day``.
    low_income : bool
        特困 flag.
    dies_waiting : bool
        Whether the applicant's exit from the waiting list would be a death (else a withdrawal).
    stay_days : float
        Pre-drawn length of stay [day] (``stay_distribution`` mode only; else 0).
    transfer_types : tuple of int
        Bed types the resident waits to transfer to (empty when none).

    Set later, only when needed (reading them before is an error):

    waiting : bool
        Set by :meth:`WaitingList.push`: True while on the waiting list; cleared on admission,
        death or withdrawal (entries in the queues are removed lazily).
    zone_key, queue_class : int
        Set by :meth:`WaitingList.push`: which waiting-list queue holds the person.
    home, bed_type : int
        Bed held, set when the person takes a bed.
    next_outcome : int
        Outcome of the resident's scheduled event (care-level dynamics only): 0–3 new level,
        4 death, 5 discharge, 6 turning 80 (band 0 → 1).
    transfer_home : int
        Home whose transfer queues hold the person (set by :meth:`TransferQueue.push`).
    transfer_since : float
        Day the transfer request was made [day].
    transfer_version : int
        Set whenever a transfer request is made or withdrawn (a number never used before); the
        queue entries of older requests carry other numbers and are stale.
    """

    __slots__ = (
        "age_band",
        "arrival_day",
        "bed_type",
        "dies_waiting",
        "home",
        "level",
        "low_income",
        "next_outcome",
        "queue_class",
        "serial",
        "slot",
        "stay_days",
        "transfer_home",
        "transfer_since",
        "transfer_types",
        "transfer_version",
        "waiting",
        "zone",
        "zone_key",
    )

    def __init__(
        self,
        serial: int,
        arrival_day: float,
        zone: int,
        level: int,
        age_band: int,
        low_income: bool,
        slot: int = 0,
        dies_waiting: bool = False,
        stay_days: float = 0.0,
    ) -> None:
        self.serial = serial
        self.arrival_day = arrival_day
        self.slot = slot
        self.zone = zone
        self.level = level
        self.age_band = age_band
        self.low_income = low_income
        self.dies_waiting = dies_waiting
        self.stay_days = stay_days
        self.transfer_types: tuple[int, ...] = ()
