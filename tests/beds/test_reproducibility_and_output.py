"""Same seed → same numbers, in any replication order; the tidy output table."""

from __future__ import annotations

from dataclasses import fields

import numpy as np
from des_helpers import mixed_spec

from carefacility.beds import BED_TYPES, LEVELS, simulate
from carefacility.beds.monitor import BedReplicationResult


def _assert_same(first: BedReplicationResult, second: BedReplicationResult) -> None:
    for item in fields(BedReplicationResult):
        np.testing.assert_array_equal(
            getattr(first, item.name), getattr(second, item.name), err_msg=item.name
        )


def test_same_seed_same_results_and_replication_order_does_not_matter():
    spec = mixed_spec()
    forward = {r: simulate(spec, 42, r) for r in (1, 2, 3)}
    backward = {r: simulate(spec, 42, r) for r in (3, 1, 2)}
    for replication in (1, 2, 3):
        _assert_same(forward[replication], backward[replication])
    assert not np.array_equal(forward[1].admitted_wait_days, forward[2].admitted_wait_days)
    assert forward[1].admissions.sum() > 50 and forward[1].level_changes.sum() > 10


def test_mixed_run_keeps_its_accounting_identities():
    spec = mixed_spec()
    result = simulate(spec, 7, 0)
    np.testing.assert_array_equal(result.capacity_at_year_end, spec.capacity_schedule())
    np.testing.assert_array_equal(
        result.admissions.sum(axis=1), result.admissions_by_bed_type.sum(axis=1)
    )
    np.testing.assert_array_equal(
        result.admissions_by_home.sum(axis=1), result.admissions_by_bed_type
    )
    # persons: initial + arrivals = admitted + blocked + died/withdrew waiting + still waiting
    people_in = spec.initial_waiting_list.size + result.arrivals.sum()
    people_out = (
        result.admissions.sum()
        + result.blocked.sum()
        + result.deaths_while_waiting.sum()
        + result.withdrawals.sum()
        + result.waiting_at_year_end[-1].sum()
    )
    # admissions of the initial waiting list at day 0 are inside year 0 (no warm-up)
    assert people_in == people_out
    residents_in = spec.initial_residents.sum() + result.admissions.sum()
    residents_out = result.deaths_in_care.sum() + result.discharges.sum()
    assert residents_in - residents_out == result.occupied_at_year_end[-1].sum()
    assert result.admitted_wait_days.size == result.admissions.sum()
    assert np.all(np.diff(result.admitted_year) >= 0)


def test_to_frame_is_tidy_with_units():
    result = simulate(mixed_spec(), 1, 0)
    frame = result.to_frame()
    assert list(frame.columns) == ["year", "metric", "level", "bed_type", "home", "value", "unit"]
    assert set(frame["year"]) == {2025, 2026, 2027}
    admissions = frame[(frame.metric == "admissions") & (frame.year == 2026)]
    assert list(admissions.level) == list(LEVELS)
    np.testing.assert_array_equal(admissions.value, result.admissions[1])
    by_home = frame[frame.metric == "mean_occupied_beds_by_home"]
    assert len(by_home) == 3 * 3 * len(BED_TYPES) and set(by_home.home) == {0, 1, 2}
    units = dict(zip(frame.metric, frame.unit, strict=False))
    assert units["mean_wait_days"] == "days" and units["mean_occupied_beds"] == "beds"
    assert not frame.duplicated(["year", "metric", "level", "bed_type", "home"]).any()


def test_summary_has_one_row_per_year():
    result = simulate(mixed_spec(), 1, 0)
    summary = result.summary()
    assert list(summary.index) == [2025, 2026, 2027]
    np.testing.assert_array_equal(summary["admissions"], result.admissions.sum(axis=1))
    assert {"share_of_admissions_within_30_days", "share_served_within_30_days"} <= set(
        summary.columns
    )
