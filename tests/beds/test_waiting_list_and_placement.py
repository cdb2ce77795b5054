"""Who gets a freed bed (disciplines, zones, lazy removal) and where an applicant is placed."""

from __future__ import annotations

import numpy as np
import pytest

from carefacility.beds import BedSpec, InitialWaitingList, simulate
from carefacility.beds.person import Person
from carefacility.beds.waiting_list import WaitingList, priority_rank


def _spec(n_zones: int = 2, **extra) -> BedSpec:
    return BedSpec(
        home_zone=list(range(n_zones)),
        initial_capacity=[[1, 1, 1]] * n_zones,
        arrival_rate_per_day=np.zeros((1, n_zones, 4)),
        **extra,
    )


def _person(serial, arrival_day, zone=0, level=0, old=False, poor=False) -> Person:
    return Person(serial, arrival_day, zone, level, 1 if old else 0, poor)


def test_priority_rank_is_lexicographic_in_the_configured_order():
    order = ("care_need", "low_income", "age_80plus")
    assert priority_rank(order, 2, True, True) == 0
    assert priority_rank(order, 3, False, True) == 1  # dementia, low-income, under 80
    assert priority_rank(order, 2, True, False) == 2  # dependent, not low-income, 80+
    assert priority_rank(order, 0, True, True) == 4
    assert priority_rank(order, 1, False, False) == 7
    assert priority_rank(("age_80plus",), 0, True, False) == 0


def test_priority_serves_best_rank_then_fifo():
    spec = _spec(1, discipline="priority", overflow_to_general=True)
    waiting = WaitingList(spec)
    people = [
        _person(0, 1.0, level=0),  # rank 7
        _person(1, 2.0, level=0, old=True),  # rank 6
        _person(2, 3.0, level=1, poor=True),  # rank 5
        _person(3, 4.0, level=0, poor=True),  # rank 5, later
    ]
    for person in people:
        waiting.push(person)
    served = [waiting.pop_for_bed(0, 0).serial for _ in range(4)]
    assert served == [2, 3, 1, 0]
    assert waiting.pop_for_bed(0, 0) is None and len(waiting) == 0


def test_overflow_applicants_get_a_general_bed_only_after_proper_ones():
    spec = _spec(1, overflow_to_general=True)
    waiting = WaitingList(spec)
    waiting.push(_person(0, 1.0, level=2))  # dependent: general is overflow
    waiting.push(_person(1, 5.0, level=0))
    assert waiting.pop_for_bed(0, 0).serial == 1
    assert waiting.pop_for_bed(0, 1).serial == 0  # nursing bed: proper for dependent


def test_fifo_serves_own_zone_first_and_longest_wait_ignores_zones():
    for discipline, expected in (("fifo", [1, 0]), ("longest_wait", [0, 1])):
        waiting = WaitingList(_spec(2, discipline=discipline))
        waiting.push(_person(0, 1.0, zone=1))
        waiting.push(_person(1, 9.0, zone=0))
        assert [waiting.pop_for_bed(0, 0).serial for _ in range(2)] == expected


def test_other_zones_are_served_only_when_allowed():
    waiting = WaitingList(_spec(2, allow_other_zones=False))
    waiting.push(_person(0, 1.0, zone=1))
    assert waiting.pop_for_bed(0, 0) is None
    assert waiting.pop_for_bed(1, 0).serial == 0


def test_cancelled_applicants_are_skipped_lazily():
    waiting = WaitingList(_spec(1))
    people = [_person(i, float(i)) for i in range(3)]
    for person in people:
        waiting.push(person)
    waiting.cancel(people[0])
    waiting.cancel(people[1])
    assert len(waiting) == 1
    assert waiting.waiting_by_level() == [1, 0, 0, 0]
    assert waiting.pop_for_bed(0, 0) is people[2]
    assert waiting.pop_for_bed(0, 1) is None


@pytest.mark.parametrize(
    ("placement", "expected_home"), [("zone_then_type", 1), ("type_then_zone", 2)]
)
def test_placement_prefers_own_zone_then_most_free_beds(placement, expected_home):
    # zone 0: homes 0 (2 free general) and 1 (3 free nursing); zone 1: home 2 (5 free dementia)
    # one dementia applicant of zone 0 (acceptable: dementia, then nursing)
    spec = BedSpec(
        home_zone=[0, 0, 1],
        initial_capacity=[[2, 0, 0], [0, 3, 0], [0, 0, 5]],
        arrival_rate_per_day=np.zeros((1, 2, 4)),
        initial_waiting_list=InitialWaitingList(zone=[0], level=[3]),
        placement=placement,
    )
    result = simulate(spec, 1, 0)
    homes = np.argwhere(result.admissions_by_home[0] > 0)
    assert homes[:, 0].tolist() == [expected_home]


def test_ties_go_to_the_lowest_home_index_and_most_free_beds_win():
    spec = BedSpec(
        home_zone=[0, 0, 0],
        initial_capacity=[[3, 0, 0], [4, 0, 0], [4, 0, 0]],
        arrival_rate_per_day=np.zeros((1, 1, 4)),
        initial_waiting_list=InitialWaitingList(zone=[0, 0], level=[0, 0]),
    )
    result = simulate(spec, 1, 0)
    # free (3, 4, 4) → home 1 (tie with 2, lower index); then (3, 3, 4) → home 2
    np.testing.assert_array_equal(result.admissions_by_home[0, :, 0], [0, 1, 1])
