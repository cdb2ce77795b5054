import numpy as np
import pytest
from wpp_inputs import FERTILITY_STARTS, WPP_PASFR_2023

from carefacility.population import (
    N_AGES,
    asfr_from_tfr,
    leslie_matrix,
    project,
    stable_population,
)

SRB = 1.06


@pytest.fixture(scope="module")
def asfr_16():
    return asfr_from_tfr(1.6, WPP_PASFR_2023, FERTILITY_STARTS)


def test_matrix_equals_one_projection_step(survival_2020, asfr_16):
    rng = np.random.default_rng(42)
    base = rng.uniform(0, 1000, size=(4, 2, N_AGES))
    result = project(base, survival_2020.repeat(1), asfr_16[None], np.array([SRB]))
    matrix = leslie_matrix(survival_2020, asfr_16, SRB)
    assert matrix.shape == (2 * N_AGES, 2 * N_AGES)
    stepped = (matrix @ base.reshape(4, -1).T).T.reshape(4, 2, N_AGES)
    np.testing.assert_allclose(stepped, result.population[1], rtol=1e-10, atol=1e-10)


def test_female_matrix_is_the_female_block(survival_2020, asfr_16):
    both = leslie_matrix(survival_2020, asfr_16, SRB)
    female = leslie_matrix(survival_2020, asfr_16, SRB, sexes="female")
    np.testing.assert_array_equal(female, both[N_AGES:, N_AGES:])
    # males do not reproduce, so the two-sex growth factor is the female one
    assert stable_population(both)[0] == pytest.approx(stable_population(female)[0], rel=1e-12)


def test_projection_converges_to_the_stable_population(survival_2020, asfr_16):
    """Constant rates: structure -> dominant eigenvector, annual growth -> dominant eigenvalue.

    The damping ratio of this annual matrix is about 1.027 a year (second eigenvalue 0.964 vs
    0.991), so 300 years leave differences of ~1e-6 in the shares; 700 years reach ~1e-10.
    """
    matrix = leslie_matrix(survival_2020, asfr_16, SRB)
    growth, structure = stable_population(matrix)
    assert structure.shape == (2 * N_AGES,)
    assert structure.sum() == pytest.approx(1.0) and np.all(structure >= 0)
    assert 0.98 < growth < 1.0  # TFR 1.6 is below replacement

    n_years = 700
    rng = np.random.default_rng(1)
    base = rng.uniform(100, 1000, size=(1, 2, N_AGES))
    result = project(
        base, survival_2020.repeat(n_years), np.tile(asfr_16, (n_years, 1)), np.full(n_years, SRB)
    )
    totals = result.population[:, 0].sum(axis=(-2, -1))
    final_structure = result.population[-1, 0].reshape(-1) / totals[-1]
    np.testing.assert_allclose(final_structure, structure, atol=1e-9)
    assert totals[-1] / totals[-2] == pytest.approx(growth, abs=1e-9)
    # After 300 years it is already close (and clearly not before)
    at_300 = result.population[300, 0].reshape(-1) / totals[300]
    assert np.max(np.abs(at_300 - structure)) < 1e-5
    at_20 = result.population[20, 0].reshape(-1) / totals[20]
    assert np.max(np.abs(at_20 - structure)) > 1e-3


def test_replacement_fertility_is_nearly_stationary(survival_2020):
    # With TFR 2.1 and China's 2020-2025 mortality, the net reproduction rate is ~1.
    asfr = asfr_from_tfr(2.1, WPP_PASFR_2023, FERTILITY_STARTS)
    growth, _ = stable_population(leslie_matrix(survival_2020, asfr, SRB))
    assert growth == pytest.approx(1.0, abs=2e-3)


def test_stable_population_of_a_small_matrix():
    matrix = np.array([[0.5, 1.5], [0.8, 0.0]])
    growth, structure = stable_population(matrix)
    expected = (0.5 + np.sqrt(0.25 + 4 * 1.2)) / 2  # lambda^2 - 0.5 lambda - 1.2 = 0
    assert growth == pytest.approx(expected, rel=1e-12)
    np.testing.assert_allclose(structure, np.array([expected, 0.8]) / (expected + 0.8))
    with pytest.raises(ValueError, match="non-negative"):
        stable_population(-matrix)
    with pytest.raises(ValueError, match="square"):
        stable_population(np.ones((2, 3)))


def test_leslie_inputs_are_checked(survival_2020, asfr_16):
    with pytest.raises(ValueError, match="one year's schedule"):
        leslie_matrix(survival_2020.repeat(2), asfr_16, SRB)
    with pytest.raises(ValueError, match="age 0 must be 0"):
        leslie_matrix(survival_2020, asfr_16 + 0.01, SRB)
