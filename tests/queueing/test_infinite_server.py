"""Tests for carefacility.queueing.infinite_server against the Poisson formula."""

from __future__ import annotations

import math

import numpy as np
import pytest

from carefacility.queueing.infinite_server import mminf_occupancy_pmf, mminf_occupancy_quantile

# --------------------------------------------------------------------------------------------
# M/M/∞ and staffing searches


# --------------------------------------------------------------------------------------------


def test_mminf_pmf_matches_formula():
    load = 3.7
    expected = [math.exp(-load) * load**n / math.factorial(n) for n in range(15)]
    np.testing.assert_allclose(mminf_occupancy_pmf(load, np.arange(15)), expected, rtol=1e-12)
    assert mminf_occupancy_pmf(load, 2) == pytest.approx(expected[2], rel=1e-12)
    assert mminf_occupancy_pmf(0.0, 0) == 1.0


@pytest.mark.parametrize("load", [0.4, 5.0, 37.5, 900.0])
@pytest.mark.parametrize("level", [0.01, 0.5, 0.9, 0.999])
def test_mminf_quantile_matches_cumulative_search(load, level):
    occupancy = np.arange(0, int(load + 20 * math.sqrt(load) + 30))
    cumulative = np.cumsum(mminf_occupancy_pmf(load, occupancy))
    expected = int(np.argmax(cumulative >= level))
    assert mminf_occupancy_quantile(load, level) == expected


def test_mminf_quantile_edges():
    assert mminf_occupancy_quantile(5.0, 0.0) == 0
    assert mminf_occupancy_quantile(0.0, 0.99) == 0
    with pytest.raises(ValueError, match=r"probability must lie in \[0, 1\)"):
        mminf_occupancy_quantile(5.0, 1.0)
