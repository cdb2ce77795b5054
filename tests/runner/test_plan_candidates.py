"""Candidate plans as bed simulations, the groups each bed type is sized for, and the zone
split of a type's beds."""

from __future__ import annotations

import numpy as np

from carefacility.beds import BedSpec, InitialWaitingList, StayDistribution, simulate
from carefacility.beds.engine_spec import NURSING_FOR_DEPENDENT_ELIGIBLE_BED_TYPES
from carefacility.runner.plan_candidates import (
    CandidateInputs,
    capacity_at_year_start,
    merged_spec,
    plan_spec,
    replicate_groups,
    sizing_groups,
    used_bed_types,
    zone_spec,
)
from carefacility.runner.plan_search import allocate


def _spec(**changes) -> BedSpec:
    rate = np.zeros((3, 2, 4))
    rate[:, 0] = [0.5, 0.2, 0.2, 0.1]
    rate[:, 1] = [0.3, 0.1, 0.1, 0.0]
    fields = dict(home_zone=[0, 0, 1], initial_capacity=[[10, 5, 0], [4, 0, 0], [6, 2, 0]],
                  arrival_rate_per_day=rate, overflow_to_general=True,
                  initial_residents=np.zeros((3, 3, 4)),
                  stay_distribution=StayDistribution("exponential", mean_days=20.0),
                  capacity_changes=[(365.0, 0, -1, 1, 3), (400.0, 2, 0, 2, 2)],
                  initial_waiting_list=InitialWaitingList(zone=[0, 1, 1], level=[0, 2, 3],
                                                          waited_days=[1, 2, 3]),
                  first_year=2021)
    fields.update(changes)
    return BedSpec(**fields)


def test_capacity_at_year_start_by_zone_and_type():
    capacity = capacity_at_year_start(_spec())
    np.testing.assert_array_equal(capacity[0], [[14, 5, 0], [6, 2, 0]])
    np.testing.assert_array_equal(capacity[1], [[14, 8, 0], [6, 2, 0]])  # opened on day 365
    np.testing.assert_array_equal(capacity[2], [[14, 8, 0], [4, 2, 2]])  # converted on day 400
    assert used_bed_types(_spec()) == (0, 1, 2)


def test_a_candidate_plan_round_trips_through_its_spec():
    merged = merged_spec(_spec())
    assert merged.n_homes == 2 and merged.capacity_changes.shape == (0, 5)
    plan = np.array([[[12, 6, 0], [5, 3, 1]], [[15, 6, 0], [5, 4, 1]], [[15, 7, 2], [5, 4, 1]]])
    spec = plan_spec(merged, plan)
    np.testing.assert_array_equal(capacity_at_year_start(spec), plan)
    shorter = plan_spec(merged, plan[:2])
    assert shorter.n_years == 2
    np.testing.assert_array_equal(capacity_at_year_start(shorter), plan[:2])


def test_closing_below_the_residents_closes_on_day_zero():
    residents = np.zeros((3, 3, 4))
    residents[0, 0, 0] = 9
    merged = merged_spec(_spec(initial_residents=residents))
    spec = plan_spec(merged, np.array([[[5, 5, 0], [6, 2, 0]]]))
    np.testing.assert_array_equal(spec.initial_capacity, [[9, 5, 0], [6, 2, 0]])
    np.testing.assert_array_equal(spec.capacity_changes, [[0, 0, 0, -1, 4]])


def test_a_zone_alone():
    one = zone_spec(_spec(), 1)
    assert one.n_zones == 1 and one.n_homes == 1
    np.testing.assert_array_equal(one.initial_capacity, [[6, 2, 0]])
    np.testing.assert_allclose(one.arrival_rate_per_day[:, 0], _spec().arrival_rate_per_day[:, 1])
    np.testing.assert_array_equal(one.initial_waiting_list.level, [2, 3])
    np.testing.assert_array_equal(one.initial_waiting_list.zone, [0, 0])


def test_groups_follow_the_preferred_bed_type():
    spec = _spec()
    groups = sizing_groups(spec, (0, 1, 2))
    assert groups.levels == {0: (0, 1), 1: (2,), 2: (3,)}
    # no dementia beds: dementia applicants are sized with the nursing-type beds
    assert sizing_groups(spec, (0, 1)).levels == {0: (0, 1), 1: (2, 3)}
    strict = _spec(eligible_bed_types=NURSING_FOR_DEPENDENT_ELIGIBLE_BED_TYPES)
    assert sizing_groups(strict, (0, 1)).levels == {0: (0, 1), 1: (2, 3)}
    # general beds only: everyone
    assert sizing_groups(spec, (0,)).levels == {0: (0, 1, 2, 3)}


def test_a_groups_share_counts_its_own_bed_type_only():
    merged = merged_spec(_spec(initial_waiting_list=None))
    spec = plan_spec(merged, np.array([[[30, 1, 0], [30, 1, 0]]] * 3))
    inputs = CandidateInputs(spec, {"general": (0, 1), "nursing": (2, 3)},
                             ("share_served_within_threshold",))
    frame = replicate_groups(inputs, 3, 0).set_index(["year", "metric"])["value"]
    result = simulate(spec, seed=3, replication=0)
    # plenty of general beds: dependent applicants are served at once, in general beds
    served_any = result.cohort_served_within_threshold[0, 2:].sum() / result.arrivals[0, 2:].sum()
    assert served_any == 1.0
    assert frame[(2021, "share_served_within_threshold|nursing")] < 0.5
    assert frame[(2021, "share_served_within_threshold|all")] == 1.0


def test_allocate_keeps_floors_and_shares_the_rest_by_deficit():
    np.testing.assert_array_equal(allocate(10, np.array([3]), np.array([1.0])), [10])
    out = allocate(30, np.array([5, 5]), np.array([3.0, 1.0]))
    assert out.sum() == 30 and (out >= 5).all()
    np.testing.assert_array_equal(out, [23, 7])  # deficits 17.5 and 2.5 share the 20 left
    np.testing.assert_array_equal(allocate(8, np.array([5, 5]), np.array([1.0, 1.0])), [5, 5])
