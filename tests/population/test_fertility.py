import numpy as np
import pytest
from wpp_inputs import FERTILITY_STARTS, WPP_PASFR_2023

from carefacility.population import asfr_from_tfr, births


@pytest.mark.parametrize("method", ["hyman", "pchip", "uniform"])
def test_asfr_sums_to_tfr_and_keeps_group_shares(method):
    tfr = np.array([1.1, 1.0, 1.6, 2.1])
    pattern = np.tile(WPP_PASFR_2023, (4, 1))
    pattern[2] = [0, 5, 30, 35, 20, 7, 2, 1, 0]  # an empty first and last group
    asfr = asfr_from_tfr(tfr, pattern, FERTILITY_STARTS, method=method)
    assert asfr.shape == (4, 101)
    np.testing.assert_allclose(asfr.sum(axis=-1), tfr, rtol=1e-14)
    assert np.all(asfr >= 0)
    assert np.all(asfr[:, :10] == 0) and np.all(asfr[:, 55:] == 0)
    groups = asfr[:, 10:55].reshape(4, 9, 5).sum(axis=-1)
    shares = pattern / pattern.sum(axis=-1, keepdims=True)
    np.testing.assert_allclose(groups, tfr[:, None] * shares, rtol=1e-12, atol=1e-15)
    assert np.all(asfr[2, 10:15] == 0) and np.all(asfr[2, 50:55] == 0)


def test_uniform_is_flat_within_groups():
    asfr = asfr_from_tfr(1.1, WPP_PASFR_2023, FERTILITY_STARTS, method="uniform")
    np.testing.assert_allclose(asfr[25:30], asfr[25])
    assert asfr[25] == pytest.approx(1.1 * 36.9 / WPP_PASFR_2023.sum() / 5)


def test_hyman_schedule_is_single_peaked():
    asfr = asfr_from_tfr(1.1, WPP_PASFR_2023, FERTILITY_STARTS)
    peak = int(np.argmax(asfr))
    assert 25 <= peak <= 30
    # rising to the peak and falling after it (up to 1e-4 of the peak inside the tiny 10-14
    # group, which holds 0.002 % of births)
    assert np.all(np.diff(asfr[10 : peak + 1]) >= -1e-4 * asfr[peak])
    assert np.all(np.diff(asfr[15 : peak + 1]) > 0)
    assert np.all(np.diff(asfr[peak:56]) <= 0)


def test_bad_patterns_are_refused():
    with pytest.raises(ValueError, match="sum to 100"):
        asfr_from_tfr(1.1, WPP_PASFR_2023 * 0.9, FERTILITY_STARTS)
    with pytest.raises(ValueError, match="one value per age group"):
        asfr_from_tfr(1.1, WPP_PASFR_2023[:-1], FERTILITY_STARTS)
    with pytest.raises(ValueError, match="contiguous"):
        asfr_from_tfr(1.1, WPP_PASFR_2023, [10, 15, 20, 25, 30, 35, 40, 45, 55])
    with pytest.raises(ValueError, match=r"within ages 1\.\.100"):
        asfr_from_tfr(1.1, [50, 50], [0, 5])
    with pytest.raises(ValueError, match="method"):
        asfr_from_tfr(1.1, WPP_PASFR_2023, FERTILITY_STARTS, method="spline")


def test_births_is_exposure_times_rates():
    asfr = asfr_from_tfr(1.5, WPP_PASFR_2023, FERTILITY_STARTS)
    exposure = np.full((3, 101), 1000.0)  # 1000 women at each age in 3 zones
    np.testing.assert_allclose(births(exposure, asfr), [1500.0] * 3, rtol=1e-12)
    exposure[1, 25] = 0.0
    assert births(exposure, asfr)[1] == pytest.approx(1500.0 - 1000.0 * asfr[25])
