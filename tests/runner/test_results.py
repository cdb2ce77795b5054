"""Summaries over replications: means and t confidence intervals."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from carefacility.runner.results import KPI_COLUMNS, summarise_replications


def test_t_interval_matches_scipy() -> None:
    values = np.array([3.0, 5.0, 4.0, 8.0, 6.0])
    frame = pd.DataFrame({"replication": range(5), "year": 2025, "metric": "waiting",
                          "value": values, "unit": "persons"})
    row = summarise_replications(frame).iloc[0]
    low, high = stats.t.interval(0.95, 4, loc=values.mean(), scale=stats.sem(values))
    assert list(summarise_replications(frame).columns) == KPI_COLUMNS
    assert row["mean"] == pytest.approx(values.mean())
    assert (row.ci_low, row.ci_high) == pytest.approx((low, high))
    assert row.replications == 5


def test_nan_values_are_left_out_and_single_replication_has_no_width() -> None:
    frame = pd.DataFrame({"replication": [0, 1, 2], "year": 2030, "metric": "wait_p95",
                          "value": [10.0, np.nan, 14.0], "unit": "days"})
    row = summarise_replications(frame).iloc[0]
    assert row["mean"] == 12.0 and row.replications == 2
    one = summarise_replications(frame.iloc[:1]).iloc[0]
    assert one.ci_low == one.ci_high == 10.0


def test_coverage_of_the_interval() -> None:
    """For normal replication values the 95 % t interval covers the true mean 95 % of the time
    (checked within the binomial 99.9 % band for 2,000 experiments of 10 replications)."""
    rng = np.random.default_rng(7)
    draws = rng.normal(2.0, 1.5, size=(2000, 10))
    frame = pd.DataFrame({"replication": np.tile(np.arange(10), 2000),
                          "year": np.repeat(np.arange(2000), 10), "metric": "x",
                          "value": draws.reshape(-1), "unit": "-"})
    summary = summarise_replications(frame)
    covered = ((summary.ci_low <= 2.0) & (summary.ci_high >= 2.0)).mean()
    low, high = stats.binom.interval(0.999, 2000, 0.95)
    assert low / 2000 <= covered <= high / 2000


def test_share_intervals_stay_within_zero_and_one() -> None:
    frame = pd.DataFrame({"replication": range(4), "year": 2025, "metric": "share",
                          "value": [1.0, 1.0, 0.4, 1.0], "unit": "fraction of admissions"})
    row = summarise_replications(frame).iloc[0]
    assert row.ci_high == 1.0 and 0.0 <= row.ci_low < row["mean"]
