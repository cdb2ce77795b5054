"""One person in the bed model: an applicant while waiting, a resident once in a bed."""

from __future__ import annotations

__all__ = ["Person"]


class Person:
    """Applicant or resident (the same object, so admission allocates nothing).

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
    waiting : bool
        True while on the waiting list; cleared on admission, death or withdrawal (entries in
        the queues are removed lazily).
    zone_key, queue_class : int
        Which waiting-list queue holds the person.
    patience_days : float
        Time from arrival to death or withdrawal if still waiting [day].
    dies_waiting : bool
        Whether that exit is a death (else a withdrawal).
    stay_days : float
        Pre-drawn length of stay [day] (``stay_distribution`` mode only).
    home, bed_type : int
        Bed held (-1 while not a resident).
    next_outcome : int
        Outcome of the resident's scheduled event: 0–3 new level, 4 death, 5 discharge,
        6 turning 80 (band 0 → 1).
    transfer_types : tuple of int
        Bed types the resident waits to transfer to (empty when none).
    transfer_home : int
        Home whose transfer queues hold the person.
    transfer_since : float
        Day the transfer request was made [day].
    transfer_version : int
        Bumped whenever a request is made or withdrawn; stale queue entries carry old versions.
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
        "patience_days",
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
    ) -> None:
        self.serial = serial
        self.arrival_day = arrival_day
        self.slot = slot
        self.zone = zone
        self.level = level
        self.age_band = age_band
        self.low_income = low_income
        self.waiting = False
        self.zone_key = 0
        self.queue_class = 0
        self.patience_days = float("inf")
        self.dies_waiting = False
        self.stay_days = 0.0
        self.home = -1
        self.bed_type = -1
        self.next_outcome = -1
        self.transfer_types: tuple[int, ...] = ()
        self.transfer_home = -1
        self.transfer_since = 0.0
        self.transfer_version = 0
