"""Service-level constraints and the sequential test's decisions."""

from __future__ import annotations

import math

import numpy as np
import pytest

from carefacility.targets.optimize_spec import OptimizeSpec, optimize_problems, parse_years
from carefacility.targets.service_levels import (
    ServiceConstraint,
    decide,
    looks,
    service_constraints,
)
from carefacility.targets.spec import TargetSpec

AT_LEAST = ServiceConstraint("t", "share_served_within_threshold", ">=", 0.9, 0.01)
AT_MOST = ServiceConstraint("w", "wait_mean_days", "<=", 10.0, 1.0)


def test_only_capacity_targets_become_constraints_with_their_indifference_zones():
    targets = [TargetSpec(id="beds", metric="beds", value=100),
               TargetSpec(id="share", metric="share_served_within_threshold", value=0.95),
               TargetSpec(id="wait", metric="wait_p95_days", value=60, from_year=2025),
               TargetSpec(id="list", metric="waiting_list_year_end", value=100)]
    spec = OptimizeSpec(indifference_zone=0.01, indifference_zone_days=2,
                        indifference_zone_persons=7)
    found = {c.target: c for c in service_constraints(targets, spec)}
    assert set(found) == {"share", "wait", "list"}
    assert (found["share"].comparison, found["share"].indifference) == (">=", 0.01)
    assert (found["wait"].comparison, found["wait"].indifference) == ("<=", 2)
    assert found["list"].indifference == 7
    assert not found["wait"].applies(2024) and found["wait"].applies(2030)


def test_decisions_accept_reject_and_undecided():
    rng = np.random.default_rng(1)
    high = 0.95 + 0.005 * rng.standard_normal(20)
    low = 0.85 + 0.005 * rng.standard_normal(20)
    near = 0.9 + 0.05 * rng.standard_normal(20)
    assert decide(high, AT_LEAST, 0.05)[0] == "accept"
    assert decide(low, AT_LEAST, 0.05)[0] == "reject"
    assert decide(near, AT_LEAST, 0.05)[0] == "undecided"
    # within the indifference zone below θ: accepted when precise
    assert decide(np.full(10, 0.895), AT_LEAST, 0.05)[0] == "accept"
    assert decide(np.full(10, 0.885), AT_LEAST, 0.05)[0] == "reject"
    # at most: the mirror image
    assert decide(np.full(5, 10.5), AT_MOST, 0.05)[0] == "accept"
    assert decide(np.full(5, 11.5), AT_MOST, 0.05)[0] == "reject"


def test_bounds_are_students_t():
    from scipy import stats

    values = np.array([0.9, 0.92, 0.94, 0.96])
    _decision, mean, lower, upper = decide(values, AT_LEAST, 0.05)
    half = stats.t.ppf(0.95, 3) * values.std(ddof=1) / 2
    assert math.isclose(mean, 0.93) and math.isclose(upper - mean, half)
    assert math.isclose(mean - lower, half)


def test_no_values_nothing_to_serve_and_nan_left_out():
    assert decide(np.array([np.nan, np.nan]), AT_LEAST, 0.05)[0] == "accept"
    assert decide(np.array([0.95, np.nan, 0.95]), AT_LEAST, 0.05)[1] == 0.95


def test_looks_count_the_doubling_stages():
    assert looks(10, 40) == 3  # 10, 20, 40
    assert looks(10, 80) == 4
    assert looks(10, 50) == 4  # 10, 20, 40, 50
    assert looks(10, 10) == 1


def test_years_and_section_problems():
    assert parse_years("2021-2030") == (2021, 2030)
    assert parse_years("2025") == (2025, 2025)
    assert parse_years([2030, 2021]) == (2021, 2030)
    with pytest.raises(ValueError, match="FIRST-LAST"):
        parse_years("2021 to 2030")
    with pytest.raises(ValueError, match="before the first"):
        parse_years("2030-2021")
    spec = OptimizeSpec(years="2020-2040", replications=20, max_replications=10)
    problems = dict(optimize_problems(spec, 2021, 2035))
    assert "outside the simulated years 2021-2035" in problems[("years",)]
    assert "fewer than" in problems[("max_replications",)]
