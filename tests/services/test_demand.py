"""Service demand from care need on a hand-made need table."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from carefacility.services.demand import eligible_persons, expected_visits_per_day
from carefacility.services.spec import ServiceDemandSpec


def need_frame() -> pd.DataFrame:
    rows = []
    for year in (2025, 2026):
        for zone, factor in (("a", 1), ("b", 2)):
            rows += [
                (year, zone, 70, "independent", 100.0 * factor),
                (year, zone, 70, "partially_dependent", 10.0 * factor),
                (year, zone, 85, "independent", 20.0 * factor),
                (year, zone, 85, "dependent", 5.0 * factor),
            ]
    return pd.DataFrame(rows, columns=["year", "zone", "age", "level", "persons"])


def test_day_care_eligibility_by_level() -> None:
    demand = ServiceDemandSpec(eligible_levels=["partially_dependent"], uptake=0.1,
                               attendance_probability=0.5)
    eligible = eligible_persons(need_frame(), demand, np.array([2025, 2026]), ("a", "b"))
    assert eligible.tolist() == [[10.0, 20.0], [10.0, 20.0]]
    assert expected_visits_per_day(eligible, demand) == pytest.approx(eligible * 0.05)


def test_meals_80plus_dependent_and_living_alone() -> None:
    demand = ServiceDemandSpec(eligible_levels=["dependent"], eligible_80plus=True,
                               living_alone_share=0.1, uptake=1.0, attendance_probability=1.0)
    eligible = eligible_persons(need_frame(), demand, np.array([2025]), ("a", "b"))
    # zone a: 85+ independent 20 + dependent 5 + 10 % of the other 110 (aged 70)
    assert eligible[0].tolist() == pytest.approx([25 + 11, 2 * (25 + 11)])
