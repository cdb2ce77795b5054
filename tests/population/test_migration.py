import numpy as np
import pytest

from carefacility.population import (
    ROGERS_CASTRO_STANDARD,
    distribute_net_migration,
    rogers_castro_profile,
)


def test_standard_profile_is_normalised_and_peaks_in_young_adult_ages():
    profile = rogers_castro_profile()
    assert profile.shape == (101,)
    assert profile.sum() == pytest.approx(1.0, rel=1e-14)
    assert np.all(profile > 0)
    peak = int(np.argmax(profile))
    assert 20 <= peak <= 26  # labour-force peak near mu2 + ln(lambda2/alpha2)/lambda2 = 23.5
    trough = int(np.argmin(profile[:peak]))
    assert 10 <= trough <= 17  # children migrate with their parents: decline from age 0
    assert profile[peak] > profile[0] > 2 * profile[trough]
    assert profile[70] < profile[40] < profile[peak]


def test_profile_formula_at_one_age():
    p = ROGERS_CASTRO_STANDARD
    x = np.arange(101.0)
    raw = (
        p["a1"] * np.exp(-p["alpha1"] * x)
        + p["a2"] * np.exp(-p["alpha2"] * (x - p["mu2"]) - np.exp(-p["lambda2"] * (x - p["mu2"])))
        + p["c"]
    )
    np.testing.assert_allclose(rogers_castro_profile(x), raw / raw.sum(), rtol=1e-14)


def test_retirement_component_adds_a_peak():
    params = {"a3": 0.01, "alpha3": 0.4, "mu3": 62.0, "lambda3": 0.3}
    profile = rogers_castro_profile(params=params)
    assert np.argmax(profile[50:80]) + 50 in range(60, 68)
    assert profile[63] > rogers_castro_profile()[63]


def test_bad_parameters_are_refused():
    with pytest.raises(ValueError, match=r"unknown Rogers-Castro parameter.*allowed: a1"):
        rogers_castro_profile(params={"mu": 20})
    with pytest.raises(ValueError, match="needs all of"):
        rogers_castro_profile(params={"a3": 0.01})
    with pytest.raises(ValueError, match=">= 0"):
        rogers_castro_profile(params={"a2": -1.0})


def test_distribute_net_migration_positive_and_negative():
    male, female = rogers_castro_profile(), rogers_castro_profile(params={"mu2": 18.0})
    totals = np.array([1200.0, -600.0])
    counts = distribute_net_migration(totals, male, female, share_male=0.55)
    assert counts.shape == (2, 2, 101)
    np.testing.assert_allclose(counts.sum(axis=(-2, -1)), totals, rtol=1e-14)
    np.testing.assert_allclose(counts[:, 0].sum(-1), 0.55 * totals, rtol=1e-14)
    # a net outflow has the same age profile, scaled: every age is negative
    assert np.all(counts[1] < 0)
    np.testing.assert_allclose(counts[1], -0.5 * counts[0], rtol=1e-14)
    with pytest.raises(ValueError, match="share_male"):
        distribute_net_migration(100.0, male, female, share_male=1.5)
    with pytest.raises(ValueError, match="101 ages"):
        distribute_net_migration(100.0, male[:100], female)
