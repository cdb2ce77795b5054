"""Shared fixture of the care-need tests: the WPP 2024 single-year death rates."""

from __future__ import annotations

import numpy as np
import pytest

from carefacility.population import parse_age_group, read_reference_csv, single_year_mx

WPP_AGE_STARTS = np.array([0, 1, *range(5, 101, 5)])


@pytest.fixture(scope="module")
def mx_single() -> np.ndarray:
    """UN WPP 2024 China 2020-2025 single-year death rates, shape (2, 131)."""
    table = read_reference_csv("china_wpp2024_mx5_all_periods.csv")
    table = table[table["period"] == "2020-2025"].copy()
    table["age"] = [parse_age_group(str(label))[0] for label in table["age_start"]]
    nmx = np.stack([table[table["sex"] == sex].sort_values("age")["nMx"].to_numpy()
                    for sex in ("male", "female")])
    return single_year_mx(nmx, WPP_AGE_STARTS)
