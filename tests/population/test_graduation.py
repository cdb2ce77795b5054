import itertools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from carefacility.population import (
    N_AGES,
    geometric_tail_weights,
    graduate_counts,
    graduate_rates,
    monotone_split,
    stationary_tail_weights,
)

CENSUS_STARTS = np.array([0, 1, *range(5, 90, 5)])  # 0, 1-4, ..., 80-84, 85+


def group_sums(single: np.ndarray, starts: np.ndarray) -> np.ndarray:
    """Sum single-year values (last axis 0..100) back into groups; the last group is open."""
    bounds = np.append(starts, N_AGES)
    return np.stack([single[..., a:b].sum(axis=-1) for a, b in itertools.pairwise(bounds)], -1)


@pytest.mark.parametrize("method", ["pchip", "hyman"])
def test_group_totals_kept_and_non_negative(method):
    rng = np.random.default_rng(7)
    counts = rng.uniform(0, 5e6, size=(3, 2, CENSUS_STARTS.size))  # zones x sex x groups
    counts[0, 1, 5] = 0.0  # an empty group
    single = graduate_counts(counts, CENSUS_STARTS, 85, method=method)
    assert single.shape == (3, 2, N_AGES)
    assert np.all(single >= 0)
    np.testing.assert_allclose(group_sums(single, CENSUS_STARTS), counts, rtol=1e-12, atol=1e-6)
    assert np.all(single[0, 1, 20:25] == 0)  # group 5 is ages 20-24


def test_recovers_a_smooth_single_year_population():
    # A smooth single-year population graduated from its own 5-year totals comes back within
    # 1 % at every age (not a tautology: only the group totals are given).
    ages = np.arange(N_AGES)
    truth = 1000.0 * np.exp(-0.03 * ages) * (1 + 0.2 * np.sin(ages / 15.0))
    starts = np.arange(0, 90, 5)  # 0-4, ..., 80-84, 85+
    weights = truth[85:] / truth[85:].sum()
    for method in ("pchip", "hyman"):
        single = graduate_counts(
            group_sums(truth, starts), starts, open_tail_weights=weights, method=method
        )
        np.testing.assert_allclose(single[:85], truth[:85], rtol=0.01)
        np.testing.assert_allclose(single[85:], truth[85:], rtol=1e-12)


def test_open_group_uses_the_tail_weights(mx_single_2020):
    counts = np.array([[10.0, 40.0, *([50.0] * 16), 30.0]] * 2)  # 0, 1-4, ..., 80-84, 85+
    weights = stationary_tail_weights(mx_single_2020, 85)
    assert weights.shape == (2, 16)
    np.testing.assert_allclose(weights.sum(axis=-1), 1.0, rtol=1e-14)
    single = graduate_counts(counts, CENSUS_STARTS, 85, open_tail_weights=weights)
    np.testing.assert_allclose(single[:, 85:], 30.0 * weights, rtol=1e-14)
    # More old men die: a smaller share of men than of women is aged 95+ within 85+.
    assert single[0, 95:].sum() < single[1, 95:].sum()


def test_default_tail_is_geometric():
    counts = np.array([100.0, 400.0, *([500.0] * 16), 300.0])
    single = graduate_counts(counts, CENSUS_STARTS)
    ratios = single[86:100] / single[85:99]
    np.testing.assert_allclose(ratios, 0.85, rtol=1e-12)
    assert single[85:].sum() == pytest.approx(300.0, rel=1e-14)
    np.testing.assert_allclose(geometric_tail_weights(16).sum(), 1.0)


def test_bad_inputs_are_refused():
    counts = np.ones(CENSUS_STARTS.size)
    with pytest.raises(ValueError, match="open_start=80 but the last group starts at 85"):
        graduate_counts(counts, CENSUS_STARTS, 80)
    with pytest.raises(ValueError, match="16 entries"):
        graduate_counts(counts, CENSUS_STARTS, open_tail_weights=np.full(15, 1 / 15))
    with pytest.raises(ValueError, match="sum to 1"):
        graduate_counts(counts, CENSUS_STARTS, open_tail_weights=np.full(16, 0.1))
    with pytest.raises(ValueError, match=">= 0"):
        graduate_counts(-counts, CENSUS_STARTS)
    with pytest.raises(ValueError, match="start at 0"):
        graduate_counts(counts, CENSUS_STARTS + 1)
    with pytest.raises(ValueError, match="increase strictly"):
        graduate_counts(counts[:3], [0, 5, 5])


@st.composite
def grouped_counts(draw):
    cuts = draw(st.lists(st.integers(1, 100), min_size=0, max_size=25, unique=True))
    starts = np.array([0, *sorted(cuts)])
    values = draw(
        st.lists(
            st.one_of(st.just(0.0), st.floats(0.0, 1e7, allow_nan=False)),
            min_size=starts.size,
            max_size=starts.size,
        )
    )
    method = draw(st.sampled_from(["pchip", "hyman"]))
    return starts, np.array(values), method


@settings(max_examples=300, deadline=None)
@given(grouped_counts())
def test_property_totals_kept_and_non_negative(case):
    starts, counts, method = case
    single = graduate_counts(counts, starts, method=method)
    assert single.shape == (N_AGES,)
    assert np.all(single >= 0)
    scale = max(counts.max(), 1.0)
    np.testing.assert_allclose(group_sums(single, starts), counts, rtol=1e-9, atol=1e-9 * scale)
    # an empty closed group stays empty
    bounds = np.append(starts, N_AGES)
    for g in np.flatnonzero(counts[:-1] == 0):
        assert np.all(single[bounds[g] : bounds[g + 1]] == 0)


def test_monotone_split_rejects_bad_boundaries():
    with pytest.raises(ValueError, match="one entry more"):
        monotone_split(np.ones(3), [0, 5, 10])
    with pytest.raises(ValueError, match="method"):
        monotone_split(np.ones(3), [0, 5, 10, 15, 20][:4], method="spline")


def test_graduate_rates_exact_for_gompertz_and_keeps_infants():
    starts = np.array([0, 1, *range(5, 101, 5)])
    widths = np.append(np.diff(starts), 5)
    midpoints = starts + widths / 2
    rates = 1e-4 * np.exp(0.09 * midpoints)
    rates[0] = 0.01
    single = graduate_rates(rates, starts, last_age=110)
    ages = np.arange(111) + 0.5
    assert single[0] == 0.01
    np.testing.assert_allclose(single[1:], 1e-4 * np.exp(0.09 * ages[1:]), rtol=1e-12)


def test_graduate_rates_refuses_zero_rates():
    with pytest.raises(ValueError, match="> 0"):
        graduate_rates([0.01, 0.0, 0.02], [0, 5, 10])
