"""BedSpec refuses nonsense with messages that say where, what and the rule."""

from __future__ import annotations

import numpy as np
import pytest

from carefacility.beds import BedSpec, InitialWaitingList, StayDistribution


def _spec(**changes) -> BedSpec:
    fields = dict(
        home_zone=[0, 1],
        initial_capacity=[[5, 2, 0], [3, 3, 1]],
        arrival_rate_per_day=np.full((2, 2, 4), 0.1),
    )
    fields.update(changes)
    return BedSpec(**fields)


def test_a_valid_spec_normalises_and_freezes_arrays():
    spec = _spec(share_80plus=0.4, withdrawal_rate_per_day=[0.1, 0.1, 0.2, 0.2])
    assert (spec.n_homes, spec.n_zones, spec.n_years, spec.horizon_days) == (2, 2, 2, 730.0)
    assert spec.share_80plus.shape == (2, 2, 4)
    assert spec.resident_generator_per_day.shape == (2, 4, 4)
    assert spec.capacity_changes.shape == (0, 5)
    with pytest.raises(ValueError, match="read-only"):
        spec.initial_capacity[0, 0] = 9
    assert spec.acceptable_bed_types(2) == (1,)
    assert _spec(overflow_to_general=True).acceptable_bed_types(3) == (2, 1, 0)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"home_zone": [0, 5]}, r"home_zone\[1\] = 5 but arrival_rate_per_day has only 2 zones"),
        ({"initial_capacity": [[5, 2, 0]]}, r"initial_capacity must have shape \(2, 3\)"),
        (
            {"initial_capacity": [[5, -2, 0], [1, 1, 1]]},
            r"initial_capacity\[0, 1\] must be a whole",
        ),
        ({"arrival_rate_per_day": np.ones((2, 2, 3))}, r"shape \(n_years, n_zones, 4\)"),
        ({"share_80plus": 1.5}, r"share_80plus\[0, 0, 0\] must lie in \[0, 1\]"),
        ({"withdrawal_rate_per_day": [0.1, -1, 0, 0]}, r"withdrawal_rate_per_day\[1\] must be ≥ 0"),
        ({"discipline": "lifo"}, r"discipline must be one of \('fifo', 'priority'"),
        ({"placement": "random"}, r"placement must be one of"),
        ({"priority_order": ("care_need", "wealth")}, r"priority_order must list distinct"),
        ({"eligible_bed_types": ((0,), (0,), (1,))}, r"one tuple per level"),
        (
            {"eligible_bed_types": ((0,), (0,), (4,), (2,))},
            r"eligible_bed_types\[2\] \(dependent\)",
        ),
        ({"max_waiting": -1}, r"max_waiting must be a whole number ≥ 0"),
        ({"resident_generator_per_day": np.ones((4, 4))}, r"row 0 \(age band 0\) sums to"),
        ({"resident_generator_per_day": -np.eye(4)[::-1]}, r"must be ≥ 0 \(off-diagonal"),
        ({"resident_death_rate_per_day": np.ones((3, 4))}, r"broadcast to shape \(2, 4\)"),
        (
            {"initial_residents": np.full((2, 3, 4), 2)},
            r"initial_residents at home 0 in general beds \(8\) exceed initial_capacity \(5\)",
        ),
        ({"capacity_changes": [(800.0, 0, -1, 0, 1)]}, r"capacity_changes\[0\].*day must lie"),
        (
            {"capacity_changes": [(10.0, 0, -1, -1, 1)]},
            r"bed_type_from and bed_type_to must differ",
        ),
        ({"capacity_changes": [(10.0, 0, -1, 0, 1.5)]}, r"n_beds must be a whole number > 0"),
        ({"capacity_changes": [(10.0, 0, 0, 1)]}, r"rows \(day, home, bed_type_from"),
        (
            {"capacity_changes": [(10.0, 1, 2, 0, 2)]},
            r"capacity_changes\[0\] \(day 10, home 1, dementia\) converts 2 beds but only 1",
        ),
        ({"warmup_days": -5}, r"warmup_days must be finite and ≥ 0"),
        ({"overflow_to_general": "yes"}, r"overflow_to_general must be True or False"),
        (
            {"initial_waiting_list": InitialWaitingList(zone=[3], level=[0])},
            r"initial_waiting_list.zone must be < n_zones = 2",
        ),
    ],
)
def test_invalid_specs_are_refused(changes, message):
    with pytest.raises(ValueError, match=message):
        _spec(**changes)


def test_stay_distribution_and_initial_waiting_list_validate():
    with pytest.raises(ValueError, match="kind must be one of"):
        StayDistribution("weibull", 10.0)
    with pytest.raises(ValueError, match="mean_days must be > 0"):
        StayDistribution("gamma", [10.0, 0.0, 5.0, 5.0])
    with pytest.raises(ValueError, match="gamma_shape must be > 0"):
        StayDistribution("gamma", 10.0, gamma_shape=0.0)
    with pytest.raises(ValueError, match="level must be < 4"):
        InitialWaitingList(zone=[0], level=[4])
    with pytest.raises(ValueError, match="one entry per applicant"):
        InitialWaitingList(zone=[0, 1], level=[0])
    waiting = InitialWaitingList.from_counts([[2, 0, 1, 0], [0, 1, 0, 0]], waited_days=7.0)
    assert waiting.zone.tolist() == [0, 0, 0, 1] and waiting.level.tolist() == [0, 0, 2, 1]
    assert waiting.waited_days.tolist() == [7.0] * 4
