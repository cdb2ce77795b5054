"""The care-level chain, checked against the life table, its own expm and simulated people."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import scipy.linalg
from scipy.stats import binom

from carefacility.base.streams import stream
from carefacility.need.chain import (
    care_level_generator,
    level_death_rates,
    open_age_mx,
    relative_risks,
    transition_probabilities,
)
from carefacility.need.prevalence import AGES, base_prevalence, prevalence_curve
from carefacility.need.spec import NeedSpec, default_need_spec


@pytest.mark.parametrize("definition", ["census_self_care", "clhls_adl"])
@pytest.mark.parametrize("basis", ["adl_mix", "independent"])
def test_level_death_rates_average_to_the_life_table(mx_single: np.ndarray, definition: str,
                                                     basis: str) -> None:
    spec = NeedSpec(definition=definition, dementia_mortality_basis=basis)
    level_mx = level_death_rates(spec, mx_single)
    weights = prevalence_curve(spec, AGES + 0.5)
    np.testing.assert_allclose((weights * level_mx).sum(axis=-1), open_age_mx(mx_single),
                               rtol=1e-12, atol=0)
    ratio = relative_risks(spec, weights)
    np.testing.assert_allclose(level_mx / level_mx[..., :1], ratio, rtol=1e-12)


def test_default_generator_is_a_valid_generator(mx_single: np.ndarray) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no onset rate clipped for the defaults
        generator = care_level_generator(default_need_spec(), mx_single)
    assert generator.shape == (2, 41, 5, 5)
    off = generator.copy()
    off[..., np.arange(5), np.arange(5)] = 0
    assert np.all(off >= 0)
    np.testing.assert_allclose(generator.sum(axis=-1), 0, atol=1e-12)
    assert np.all(generator[..., 4, :] == 0)  # death absorbing
    assert np.all(generator[..., 3, :3] == 0)  # dementia never left


def _simulate(generators: np.ndarray, states: np.ndarray, rng: np.random.Generator,
              record: tuple[int, ...]) -> dict[int, np.ndarray]:
    """Gillespie simulation of individuals, one piecewise-constant generator per year."""
    state = states.copy()
    counts = {}
    for year, matrix in enumerate(generators, start=1):
        clock = np.zeros(state.size)
        active = state != 4
        while active.any():
            who = np.flatnonzero(active)
            clock[who] += rng.exponential(1.0 / -matrix[state[who], state[who]])
            ended = clock[who] >= 1.0
            active[who[ended]] = False
            movers = who[~ended]
            jump = matrix[state[movers]].copy()
            jump[np.arange(movers.size), state[movers]] = 0.0
            cumulative = np.cumsum(jump / jump.sum(axis=1, keepdims=True), axis=1)
            draw = rng.random(movers.size)
            state[movers] = np.minimum((draw[:, None] > cumulative).sum(axis=1), 4)
            active[movers[state[movers] == 4]] = False
        if year in record:
            counts[year] = np.bincount(state, minlength=5)
    return counts


@pytest.mark.parametrize("sex", [0, 1])
def test_monte_carlo_individuals_reproduce_expm(mx_single: np.ndarray, sex: int) -> None:
    """20,000 people aged 70 followed 10 years: each state count at t = 1, 5, 10 lies in the
    exact binomial 99.9 % interval around n · (p0 Π expm(Q(70 + k)))."""
    spec = default_need_spec()
    generators = care_level_generator(spec, mx_single)[sex, 10:20]
    n = 20_000
    rng = stream(20240601, 0, f"test.need.monte_carlo.{sex}")
    start = np.append(base_prevalence(spec, [70])[sex, 0], 0.0)
    states = rng.choice(5, size=n, p=start)
    counts = _simulate(generators, states, rng, (1, 5, 10))
    distribution = start.copy()
    steps = transition_probabilities(generators)
    for year in range(1, 11):
        distribution = distribution @ steps[year - 1]
        if year in counts:
            low, high = binom.interval(0.999, n, distribution)
            assert np.all((counts[year] >= low) & (counts[year] <= high)), (
                year, counts[year], n * distribution)
    assert counts[10][4] > 0.1 * n  # deaths happened, so the test can fail on them


def test_prevalence_consistent_cohort_keeps_the_curve(mx_single: np.ndarray) -> None:
    spec = default_need_spec()
    steps = transition_probabilities(care_level_generator(spec, mx_single))
    curve = prevalence_curve(spec, AGES.astype(float))
    for sex in (0, 1):
        state = np.append(curve[sex, 0], 0.0)
        for k in range(40):
            state = state @ steps[sex, k]
            np.testing.assert_allclose(state[:4] / state[:4].sum(), curve[sex, k + 1],
                                       atol=2e-3)


@pytest.mark.parametrize("years", [1 / 365, 0.5, 1.0, 10.0])
def test_transition_probabilities_equal_scipy(mx_single: np.ndarray, years: float) -> None:
    # one batched exponential of both sexes' 41 generators, as scipy.linalg.expm to rounding
    generators = care_level_generator(default_need_spec(), mx_single)
    stack = np.stack([generators, generators * 1.5])  # (2, 2, 41, 5, 5): two "years"
    result = transition_probabilities(stack, years)
    expected = scipy.linalg.expm(stack * years)
    assert result.shape == stack.shape
    largest = np.abs(result - expected).max(axis=(-2, -1)) / np.abs(expected).max(axis=(-2, -1))
    assert largest.max() <= 1e-14
    np.testing.assert_allclose(result, expected, rtol=1e-12, atol=1e-17)
    np.testing.assert_array_equal(result[..., 4, :], np.broadcast_to([0, 0, 0, 0, 1.0],
                                                                     result[..., 4, :].shape))
