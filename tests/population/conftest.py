"""Shared inputs for the demography tests: packaged UN WPP 2024 death rates for China."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd
import pytest
from wpp_inputs import WPP_AGE_STARTS

from carefacility.population import (
    SEXES,
    SurvivalSchedule,
    parse_age_group,
    projection_survival,
    read_reference_csv,
    single_year_mx,
)


@pytest.fixture(scope="session")
def wpp_mx_table() -> pd.DataFrame:
    table = read_reference_csv("china_wpp2024_mx5_all_periods.csv")
    table["age"] = [parse_age_group(str(label))[0] for label in table["age_start"]]
    return table


@pytest.fixture(scope="session")
def wpp_nmx(wpp_mx_table: pd.DataFrame) -> Callable[[str], np.ndarray]:
    """``wpp_nmx("2020-2025")`` -> nMx of shape (2, 22), rows male, female."""

    def get(period: str) -> np.ndarray:
        rows = []
        for sex in SEXES:
            part = wpp_mx_table[(wpp_mx_table["period"] == period) & (wpp_mx_table["sex"] == sex)]
            part = part.sort_values("age")
            assert part["age"].tolist() == WPP_AGE_STARTS.tolist()
            rows.append(part["nMx"].to_numpy(dtype=float))
        return np.stack(rows)

    return get


@pytest.fixture(scope="session")
def mx_single_2020(wpp_nmx: Callable[[str], np.ndarray]) -> np.ndarray:
    """Single-year death rates 0..130, shape (2, 131), WPP 2024 China 2020-2025."""
    return single_year_mx(wpp_nmx("2020-2025"), WPP_AGE_STARTS)


@pytest.fixture(scope="session")
def survival_2020(mx_single_2020: np.ndarray) -> SurvivalSchedule:
    """One year's survival schedule, leading shape (2,)."""
    return projection_survival(mx_single_2020)
