"""Tests for carefacility.queueing.ctmc against closed forms, hand calculations and numerical
quadrature."""

from __future__ import annotations

import math

import numpy as np
import pytest
import scipy.integrate
import scipy.linalg
from hypothesis import given
from hypothesis import strategies as st
from queueing_helpers import FAST

from carefacility.queueing.ctmc import (
    ctmc_expected_sojourn,
    ctmc_expected_time_to_absorption,
    ctmc_occupancy,
    ctmc_transition_probabilities,
)

# --------------------------------------------------------------------------------------------
# Continuous-time Markov chains


# --------------------------------------------------------------------------------------------


def test_two_state_transition_probabilities_match_closed_form():
    up, down, time = 0.3, 1.7, 0.8
    generator = [[-up, up], [down, -down]]
    decay = math.exp(-(up + down) * time)
    expected = np.array(
        [[down + up * decay, up - up * decay], [down - down * decay, up + down * decay]]
    ) / (up + down)
    np.testing.assert_allclose(ctmc_transition_probabilities(generator, time), expected, rtol=1e-13)
    np.testing.assert_allclose(ctmc_transition_probabilities(generator, 0.0), np.eye(2))


@pytest.mark.parametrize(
    ("generator", "message"),
    [
        ([[-1.0, 1.0], [-0.5, 0.5]], r"generator\[1, 0\] = -0.5 is negative"),
        ([[-1.0, 0.5], [0.5, -0.5]], r"generator row 0 sums to -0.5"),
        ([[-1.0, 1.0, 0.0]], r"square matrix"),
        ([[-np.inf, np.inf], [0.0, 0.0]], r"finite"),
    ],
)
def test_generator_validation_messages(generator, message):
    with pytest.raises(ValueError, match=message):
        ctmc_transition_probabilities(generator, 1.0)


def test_transition_probabilities_reject_negative_time():
    with pytest.raises(ValueError, match="time must be ≥ 0"):
        ctmc_transition_probabilities([[0.0]], -1.0)


def test_sojourn_single_transient_state_is_reciprocal_rate():
    rate = 0.25
    generator = [[-rate, rate], [0.0, 0.0]]
    np.testing.assert_allclose(ctmc_expected_sojourn(generator, [1.0, 0.0]), [1 / rate])
    assert ctmc_expected_time_to_absorption(generator, [1.0, 0.0]) == pytest.approx(4.0)
    # Starting already absorbed half the time halves the expectation.
    assert ctmc_expected_time_to_absorption(generator, [0.5, 0.5]) == pytest.approx(2.0)


def test_sojourn_two_transient_states_solved_by_hand():
    # 0 → 1 at 1, 0 → dead at 1, 1 → 0 at 2, 1 → dead at 0.5.
    # -Q_TT = [[2, -1], [-2, 2.5]], det = 3, inverse = [[2.5, 1], [2, 2]] / 3.
    generator = [[-2.0, 1.0, 1.0], [2.0, -2.5, 0.5], [0.0, 0.0, 0.0]]
    np.testing.assert_allclose(
        ctmc_expected_sojourn(generator, [1.0, 0.0, 0.0]), [2.5 / 3, 1 / 3], rtol=1e-13
    )
    np.testing.assert_allclose(
        ctmc_expected_sojourn(generator, [0.0, 1.0, 0.0], transient_states=[0, 1]),
        [2 / 3, 2 / 3],
        rtol=1e-13,
    )
    np.testing.assert_allclose(
        ctmc_expected_sojourn(generator, [1.0, 0.0, 0.0], transient_states=[1, 0]),
        [1 / 3, 2.5 / 3],
        rtol=1e-13,
    )


def test_care_level_progression_time_to_death():
    # independent → partially_dependent → dependent → dementia → death, each with its own exit
    # rate and no way back: the expected lifetime is the sum of the mean sojourns.
    rates = [0.2, 0.35, 0.5, 0.8]
    generator = np.zeros((5, 5))
    for state, rate in enumerate(rates):
        generator[state, state] = -rate
        generator[state, state + 1] = rate
    start = [1.0, 0.0, 0.0, 0.0, 0.0]
    np.testing.assert_allclose(ctmc_expected_sojourn(generator, start), 1 / np.array(rates))
    assert ctmc_expected_time_to_absorption(generator, start) == pytest.approx(
        sum(1 / r for r in rates)
    )


def test_sojourn_rejects_trapped_states():
    # States 1 and 2 swap forever and never reach the absorbing state 3.
    generator = [
        [-1.0, 0.5, 0.0, 0.5],
        [0.0, -1.0, 1.0, 0.0],
        [0.0, 1.0, -1.0, 0.0],
        [0.0, 0.0, 0.0, 0.0],
    ]
    with pytest.raises(ValueError, match=r"states \[1, 2\] are treated as transient"):
        ctmc_expected_sojourn(generator, [1.0, 0.0, 0.0, 0.0])
    with pytest.raises(ValueError, match="initial_distribution must sum to 1"):
        ctmc_expected_sojourn(generator, [0.5, 0.0, 0.0, 0.0], transient_states=[0])


THREE_STATE = np.array([[-0.9, 0.6, 0.3], [0.2, -0.5, 0.3], [0.4, 0.1, -0.5]])


def test_occupancy_matches_numerical_quadrature():
    start = np.array([0.2, 0.5, 0.3])
    horizon = 3.7
    expected, _ = scipy.integrate.quad_vec(
        lambda s: start @ scipy.linalg.expm(THREE_STATE * s), 0.0, horizon, epsabs=1e-13
    )
    occupancy = ctmc_occupancy(THREE_STATE, start, horizon)
    np.testing.assert_allclose(occupancy, expected, rtol=1e-10)
    assert occupancy.sum() == pytest.approx(horizon, rel=1e-12)
    np.testing.assert_array_equal(ctmc_occupancy(THREE_STATE, start, 0.0), np.zeros(3))


def test_occupancy_of_transient_states_tends_to_sojourn():
    generator = [[-2.0, 1.0, 1.0], [2.0, -2.5, 0.5], [0.0, 0.0, 0.0]]
    start = [0.3, 0.7, 0.0]
    occupancy = ctmc_occupancy(generator, start, 200.0)
    np.testing.assert_allclose(occupancy[:2], ctmc_expected_sojourn(generator, start), rtol=1e-9)


@FAST
@given(
    rates=st.lists(st.floats(min_value=0.0, max_value=5.0), min_size=12, max_size=12),
    horizon=st.floats(min_value=0.0, max_value=20.0),
)
def test_random_chain_probabilities_and_occupancy_are_consistent(rates, horizon):
    generator = np.zeros((4, 4))
    generator[~np.eye(4, dtype=bool)] = rates
    generator -= np.diag(generator.sum(axis=1))
    transition = ctmc_transition_probabilities(generator, horizon)
    np.testing.assert_allclose(transition.sum(axis=1), 1.0, atol=1e-10)
    assert np.all(transition >= -1e-12)
    occupancy = ctmc_occupancy(generator, [0.25, 0.25, 0.25, 0.25], horizon)
    assert occupancy.sum() == pytest.approx(horizon, rel=1e-9, abs=1e-12)
    assert np.all(occupancy >= -1e-10)
