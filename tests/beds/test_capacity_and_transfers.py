"""Capacity changes (open, close, convert) and the internal transfer queue."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from carefacility.beds import BedSpec, InitialWaitingList, simulate
from carefacility.beds.engine_spec import NURSING_FOR_DEPENDENT_ELIGIBLE_BED_TYPES

NO_ARRIVALS = np.zeros((2, 1, 4))


def _residents(general=(0, 0, 0, 0), nursing=(0, 0, 0, 0), dementia=(0, 0, 0, 0)):
    return np.array([[general, nursing, dementia]])


def _generator(rates: dict[tuple[int, int], float]) -> np.ndarray:
    generator = np.zeros((4, 4))
    for (source, target), rate in rates.items():
        generator[source, target] = rate
    np.fill_diagonal(generator, -generator.sum(axis=1))
    return generator


def test_conversion_keeps_residents_and_converts_beds_of_those_awaiting_transfer_first():
    spec = BedSpec(
        home_zone=[0],
        initial_capacity=[[10, 0, 0]],
        arrival_rate_per_day=NO_ARRIVALS,
        initial_residents=_residents(general=(7, 0, 3, 0)),  # 3 dependent in general beds
        capacity_changes=[(100.0, 0, 0, 1, 4)],  # 4 general beds become nursing beds
    )
    result = simulate(spec, 1, 0)
    np.testing.assert_array_equal(result.capacity_at_year_end[0], [6, 4, 0])
    np.testing.assert_array_equal(result.occupied_at_year_end[0], [6, 4, 0])
    assert result.discharges.sum() == result.deaths_in_care.sum() == 0
    assert result.transfers.sum() == 0  # nobody moved: their beds changed type
    assert result.transfer_queue_at_year_end[0] == 0
    # 3 dependent residents in general beds until day 100, none after
    assert result.mean_dependent_in_general_beds[0] == pytest.approx(3 * 100 / 365)
    assert result.mean_dependent_in_general_beds[1] == 0
    assert result.mean_occupied_beds[0] == pytest.approx([10 - 4 * 265 / 365, 4 * 265 / 365, 0])


def test_closing_occupied_beds_never_evicts_and_closes_them_as_they_free():
    rate = np.zeros((3, 1, 4))
    rate[:, 0, 0] = 1.0  # heavy demand: freed beds would be refilled at once if open
    spec = BedSpec(
        home_zone=[0],
        initial_capacity=[[10, 0, 0]],
        arrival_rate_per_day=rate,
        initial_residents=_residents(general=(10, 0, 0, 0)),
        capacity_changes=[(30.0, 0, 0, -1, 6)],
        discharge_rate_per_day=[0.01, 0, 0, 0],
    )
    result = simulate(spec, 3, 0)
    np.testing.assert_array_equal(result.capacity_at_year_end[:, 0], [4, 4, 4])
    assert np.all(result.occupied_at_year_end[1:, 0] <= 4)
    # nobody left except by discharge: leavers equal admissions plus the net drop in residents
    leavers = result.discharges.sum()
    assert leavers == result.admissions.sum() + 10 - result.occupied_at_year_end[-1, 0]
    # in the first 30 days with full beds occupancy stays 10 minus departures; never above 10
    assert result.mean_occupied_beds[0, 0] <= 10


def test_opening_beds_admits_the_waiting_list():
    spec = BedSpec(
        home_zone=[0, 1],
        initial_capacity=[[0, 0, 0], [0, 0, 0]],
        arrival_rate_per_day=np.zeros((1, 2, 4)),
        initial_waiting_list=InitialWaitingList(
            zone=[0, 0, 1], level=[0, 2, 0], waited_days=[10.0, 5.0, 1.0]
        ),
        capacity_changes=[(50.0, 1, -1, 0, 1), (60.0, 0, -1, 1, 5)],
    )
    result = simulate(spec, 1, 0)
    # day 50: one general bed in zone 1; FIFO serves its own zone first (waited 1 day + 50)
    # day 60: nursing beds in zone 0 admit the dependent applicant (waited 5 + 60) and, under
    # the default rule (anyone may take a nursing-type bed), the independent one (10 + 60)
    assert sorted(result.admitted_wait_days.tolist()) == [51.0, 65.0, 70.0]
    np.testing.assert_array_equal(result.waiting_at_year_end[0], [0, 0, 0, 0])
    # nursing-type beds for dependent levels only: the independent applicant keeps waiting
    strict = simulate(replace(spec, eligible_bed_types=NURSING_FOR_DEPENDENT_ELIGIBLE_BED_TYPES),
                      1, 0)
    assert sorted(strict.admitted_wait_days.tolist()) == [51.0, 65.0]
    np.testing.assert_array_equal(strict.waiting_at_year_end[0], [1, 0, 0, 0])


def test_capacity_schedule_that_goes_negative_is_refused_with_where_and_what():
    with pytest.raises(
        ValueError,
        match=r"capacity_changes\[1\] \(day 400, home 0, nursing\) "
        r"closes 3 beds but only 2 nursing beds exist then",
    ):
        BedSpec(
            home_zone=[0],
            initial_capacity=[[5, 2, 0]],
            arrival_rate_per_day=np.zeros((2, 1, 4)),
            capacity_changes=[(500.0, 0, -1, 1, 10), (400.0, 0, 1, -1, 3)],
        )


def test_dependent_resident_in_general_bed_moves_when_a_nursing_bed_frees():
    spec = BedSpec(
        home_zone=[0],
        initial_capacity=[[1, 1, 0]],
        arrival_rate_per_day=NO_ARRIVALS,
        # resident A: partially dependent in the general bed; B: dementia in the nursing bed
        initial_residents=_residents(general=(0, 1, 0, 0), nursing=(0, 0, 0, 1)),
        resident_generator_per_day=_generator({(1, 2): 1.0}),  # A becomes dependent in ~1 day
        resident_death_rate_per_day=[0.0, 0.0, 0.0, 0.0],
        capacity_changes=[(100.0, 0, -1, 1, 1)],  # a nursing bed opens on day 100
    )
    result = simulate(spec, 11, 0)
    assert result.level_changes[0] == 1
    np.testing.assert_array_equal(result.transfers[0], [0, 1, 0])
    np.testing.assert_array_equal(result.occupied_at_year_end[0], [0, 2, 0])
    assert result.transfer_queue_at_year_end[0] == 0
    # A was dependent in a general bed from its level change (≈ day 1) until day 100
    assert 95 / 365 < result.mean_dependent_in_general_beds[0] < 100 / 365


def test_transfers_take_a_freed_nursing_bed_before_new_applicants():
    rate = np.zeros((1, 1, 4))
    rate[0, 0, 2] = 5.0  # many dependent applicants
    common = dict(
        home_zone=[0],
        initial_capacity=[[1, 1, 0]],
        arrival_rate_per_day=rate,
        initial_residents=_residents(general=(0, 0, 1, 0), nursing=(0, 0, 0, 1)),
        resident_death_rate_per_day=[0.0, 0.0, 0.0, 0.1],  # B (dementia) dies
        max_waiting=None,
    )
    first = simulate(BedSpec(**common), 2, 0)
    assert first.transfers[0, 1] == 1  # A moved into B's nursing bed
    assert first.admissions_by_bed_type[0, 1] == 0
    last = simulate(BedSpec(**common, transfers_first=False), 2, 0)
    assert last.transfers[0].sum() == 0  # an applicant got the bed
    assert last.admissions_by_bed_type[0, 1] == 1


def test_overflow_to_general_admits_dependent_and_queues_a_transfer():
    rate = np.zeros((1, 1, 4))
    rate[0, 0, 2] = 0.05
    spec = BedSpec(
        home_zone=[0],
        initial_capacity=[[30, 0, 0]],
        arrival_rate_per_day=rate,
        overflow_to_general=True,
    )
    result = simulate(spec, 4, 0)
    admitted = result.admissions_by_bed_type[0]
    assert admitted[0] > 0 and admitted[1] == 0
    assert result.transfer_queue_at_year_end[0] == result.occupied_at_year_end[0, 0]
    without = simulate(replace(spec, overflow_to_general=False), 4, 0)
    assert without.admissions.sum() == 0


def test_resident_developing_dementia_takes_whichever_of_dementia_or_nursing_frees_first():
    spec = BedSpec(
        home_zone=[0, 0],
        initial_capacity=[[1, 0, 0], [0, 1, 1]],
        arrival_rate_per_day=NO_ARRIVALS,
        # home 0: A, independent in a general bed; home 1: full nursing and dementia beds
        initial_residents=[
            [[1, 0, 0, 0], [0] * 4, [0] * 4],
            [[0] * 4, [0, 0, 1, 0], [0, 0, 0, 1]],
        ],
        resident_generator_per_day=_generator({(0, 3): 1.0}),  # A develops dementia
        capacity_changes=[(50.0, 1, -1, 1, 1)],  # a nursing bed opens in home 1
    )
    result = simulate(spec, 5, 0)
    np.testing.assert_array_equal(result.transfers[0], [0, 1, 0])
    np.testing.assert_array_equal(result.occupied_at_year_end[0], [0, 2, 1])
    assert result.transfer_queue_at_year_end[0] == 0
    between = simulate(replace(spec, transfers_between_homes=False), 5, 0)
    assert between.transfers.sum() == 0 and between.transfer_queue_at_year_end[0] == 1
