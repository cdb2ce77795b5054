"""Base-year calibration: the stationary balance, the fit, and the year-mean from a start."""

from __future__ import annotations

import numpy as np
import pytest

from carefacility.need.calibration import (
    calibrated_need_spec,
    fit_base_year,
    mean_residents_over,
    occupation_days,
    stationary_residents,
    transient_generator,
)
from carefacility.need.demand import DAYS_PER_YEAR, resident_dynamics
from carefacility.need.spec import default_need_spec

# applicants per day by band (60-79, 80+) and level: an arbitrary, realistic-looking mix
ARRIVALS = np.array([[0.60, 0.25, 0.05, 0.10], [0.30, 0.20, 0.08, 0.15]])


@pytest.fixture(scope="module")
def dynamics(mx_single: np.ndarray):
    return resident_dynamics(default_need_spec(), mx_single)


def test_occupation_days_give_the_expected_stays(dynamics) -> None:
    days = occupation_days(dynamics)
    np.testing.assert_allclose(days.sum(axis=1).reshape(2, 4),
                               dynamics.expected_length_of_stay_days, rtol=1e-10)
    assert np.all(days >= -1e-9)
    # 80+ never goes back to 60-79
    np.testing.assert_allclose(days[4:, :4], 0.0, atol=1e-12)


def test_stationary_residents_are_arrivals_times_stay(dynamics) -> None:
    residents = stationary_residents(ARRIVALS, dynamics)
    assert residents.sum() == pytest.approx(
        (ARRIVALS * dynamics.expected_length_of_stay_days).sum(), rel=1e-10)
    # balance: inflow + x T = 0 in every state
    balance = ARRIVALS.reshape(-1) + residents.reshape(-1) @ transient_generator(dynamics)
    np.testing.assert_allclose(balance, 0.0, atol=1e-9)


def test_fit_on_residents_scales_the_application_rates(dynamics) -> None:
    target = 4321.0
    fit = fit_base_year(ARRIVALS, dynamics, target)
    before = stationary_residents(ARRIVALS, dynamics).sum()
    assert fit.application_multiplier == pytest.approx(target / before, rel=1e-12)
    assert fit.discharge_multiplier == 1.0
    assert fit.residents.sum() == pytest.approx(target, rel=1e-10)
    assert fit.residents_before == pytest.approx(before)
    assert fit.applicants_per_year == pytest.approx(
        ARRIVALS.sum() * DAYS_PER_YEAR * fit.application_multiplier)
    assert fit.level_mix.sum() == pytest.approx(1.0)
    assert np.all((fit.share_80plus > 0) & (fit.share_80plus < 1))


def test_fit_on_residents_and_admissions_fits_the_discharge_rate(dynamics) -> None:
    target, admissions = 3000.0, 800.0
    fit = fit_base_year(ARRIVALS, dynamics, target, admissions)
    assert fit.applicants_per_year == pytest.approx(admissions, rel=1e-12)
    assert fit.residents.sum() == pytest.approx(target, rel=1e-8)
    assert fit.mean_stay_days == pytest.approx(target / admissions * DAYS_PER_YEAR, rel=1e-8)
    # shorter observed stays than the defaults' mean stay need more discharges, longer fewer
    default_stay = (ARRIVALS * dynamics.expected_length_of_stay_days).sum() / ARRIVALS.sum()
    assert (fit.discharge_multiplier > 1) == (fit.mean_stay_days < default_stay)
    longer = fit_base_year(ARRIVALS, dynamics, target, 500.0)
    assert longer.discharge_multiplier < fit.discharge_multiplier
    # the spec carries both multipliers
    spec = calibrated_need_spec(default_need_spec(), fit)
    np.testing.assert_allclose(
        spec.bed_application_rate_per_year.as_array(),
        default_need_spec().bed_application_rate_per_year.as_array()
        * fit.application_multiplier)
    np.testing.assert_allclose(spec.resident_discharge_rate_per_year.as_array(),
                               0.14 * fit.discharge_multiplier)


def test_a_stock_no_flow_can_hold_is_refused(dynamics) -> None:
    # 10,000 residents from 100 admissions a year: a 100-year stay, longer than life
    with pytest.raises(ValueError, match="longer than this need model allows"):
        fit_base_year(ARRIVALS, dynamics, 10_000.0, 100.0)
    with pytest.raises(ValueError, match="residents must be finite and > 0"):
        fit_base_year(ARRIVALS, dynamics, 0.0)
    with pytest.raises(ValueError, match="no applicants"):
        fit_base_year(np.zeros((2, 4)), dynamics, 10.0)


def test_year_mean_from_a_start_matches_a_fine_integration(dynamics) -> None:
    stationary = stationary_residents(ARRIVALS, dynamics)
    np.testing.assert_allclose(mean_residents_over(stationary, ARRIVALS, dynamics), stationary,
                               rtol=1e-9)
    start = np.array([[100.0, 40.0, 5.0, 10.0], [20.0, 30.0, 10.0, 20.0]])
    exact = mean_residents_over(start, ARRIVALS, dynamics)
    # explicit Runge-Kutta 4 with 0.1-day steps, trapezoid mean
    generator = transient_generator(dynamics)
    a = ARRIVALS.reshape(-1)
    x = start.reshape(-1).copy()
    h, total, previous = 0.1, np.zeros(8), x.copy()

    def f(state):
        return a + state @ generator

    for _ in range(round(DAYS_PER_YEAR / h)):
        k1 = f(x)
        k2 = f(x + h / 2 * k1)
        k3 = f(x + h / 2 * k2)
        k4 = f(x + h * k3)
        x = x + h / 6 * (k1 + 2 * k2 + 2 * k3 + k4)
        total += h * (previous + x) / 2
        previous = x
    np.testing.assert_allclose(exact.reshape(-1), total / DAYS_PER_YEAR, rtol=1e-6)
