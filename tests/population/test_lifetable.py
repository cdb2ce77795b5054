import numpy as np
import pytest
from wpp_inputs import WPP_AGE_STARTS

from carefacility.population import (
    MAX_AGE,
    SurvivalSchedule,
    abridged_life_table,
    apply_mortality_improvement,
    infant_separation_factors,
    nqx_to_nmx,
    project,
    projection_survival,
    read_reference_csv,
    single_year_life_table,
    single_year_mx,
    stationary_tail_weights,
)

PERIODS = [f"{start}-{start + 5}" for start in range(2010, 2050, 5)]
SEX_INDEX = {"male": 0, "female": 1}


@pytest.fixture(scope="module")
def published_e0():
    table = read_reference_csv("china_wpp2024_e0.csv")

    def mean_over(period: str, sex: str) -> float:
        first = int(period[:4])
        rows = table[(table["year"] >= first) & (table["year"] < first + 5)]
        assert len(rows) == 5
        return float(rows[f"e0_{sex}"].mean())

    return mean_over


@pytest.mark.parametrize("sex", ["male", "female"])
@pytest.mark.parametrize("period", PERIODS)
def test_abridged_e0_matches_wpp_2024(wpp_nmx, published_e0, period, sex):
    """The period table of WPP nMx vs the mean of WPP's published annual e0 in the period."""
    table = abridged_life_table(wpp_nmx(period)[SEX_INDEX[sex]], WPP_AGE_STARTS, sex=sex)
    assert abs(float(table.e0) - published_e0(period, sex)) < 0.3


@pytest.mark.parametrize("period", ["2010-2015", "2020-2025", "2045-2050"])
def test_single_year_e0_agrees_with_abridged(wpp_nmx, period):
    nmx = wpp_nmx(period)
    for sex, index in SEX_INDEX.items():
        abridged = abridged_life_table(nmx[index], WPP_AGE_STARTS, sex=sex).e0
        single = single_year_life_table(single_year_mx(nmx[index], WPP_AGE_STARTS), sex=sex).e0
        assert abs(float(single) - float(abridged)) < 0.2


def test_single_year_mx_shape_infants_and_open_group(wpp_nmx):
    nmx = wpp_nmx("2020-2025")
    mx = single_year_mx(nmx, WPP_AGE_STARTS)
    assert mx.shape == (2, MAX_AGE + 1)
    np.testing.assert_array_equal(mx[:, 0], nmx[:, 0])
    # The open group's published rate is reproduced: 1 / e(100) = M(100+).
    table = single_year_life_table(mx)
    np.testing.assert_allclose(table.lx[:, 100] / table.Tx[:, 100], nmx[:, -1], rtol=1e-8)
    # Death rates rise with age from 30 on and stay below 1 (Kannisto tail).
    assert np.all(np.diff(mx[:, 30:], axis=-1) > 0)
    assert np.all(mx[:, 100:] < 1)
    # Every closed group's life-table rate sum(d) / sum(L) is the WPP nMx.
    for g in range(1, 21):
        ages = slice(WPP_AGE_STARTS[g], WPP_AGE_STARTS[g + 1])
        implied = table.dx[:, ages].sum(axis=-1) / table.Lx[:, ages].sum(axis=-1)
        np.testing.assert_allclose(implied, nmx[:, g], rtol=1e-9)


def test_constant_hazard_life_expectancy_is_its_inverse():
    # With one death rate m at every age, d = m L in every interval, so e0 = 1/m exactly.
    m = 0.02
    abridged = abridged_life_table(np.full(WPP_AGE_STARTS.size, m), WPP_AGE_STARTS, sex="male")
    single = single_year_life_table(np.full(131, m))
    assert float(abridged.e0) == pytest.approx(1 / m, rel=1e-12)
    assert float(single.e0) == pytest.approx(1 / m, rel=1e-12)
    np.testing.assert_allclose(abridged.ex, 1 / m, rtol=1e-12)


def test_abridged_table_columns_are_consistent(wpp_nmx):
    nmx = wpp_nmx("2020-2025")
    table = abridged_life_table(nmx, WPP_AGE_STARTS, radix=100_000)
    assert table.lx.shape == (2, 22)
    np.testing.assert_allclose(table.lx[:, 0], 100_000)
    np.testing.assert_allclose(table.dx.sum(axis=-1), 100_000, rtol=1e-12)
    np.testing.assert_allclose(table.dx, table.mx * table.Lx, rtol=1e-10)
    np.testing.assert_allclose(table.Tx[:, 0], table.Lx.sum(axis=-1), rtol=1e-12)
    assert table.qx[0, -1] == 1.0 and np.isinf(table.width[-1])
    assert table.ax[0, 0] == pytest.approx(0.049 + 2.742 * nmx[0, 0])  # both-sex Coale-Demeny
    assert np.all(table.qx[:, :-1] < 1)
    # Greville nax: a little above n/2 where log-mortality rises steadily (30-69), shorter at
    # 95-99 where so many die early in the interval
    assert np.all((table.ax[:, 8:16] > 2.55) & (table.ax[:, 8:16] < 2.75))
    assert np.all(table.ax[:, 20] < 2.2)
    # nqx -> nmx round trip on the closed groups
    back = nqx_to_nmx(table.qx[:, :-1], table.width[:-1], table.ax[:, :-1])
    np.testing.assert_allclose(back, nmx[:, :-1], rtol=1e-12)


def test_infant_separation_factors():
    a0, a1 = infant_separation_factors(0.05, sex="male")
    assert float(a0) == pytest.approx(0.045 + 2.684 * 0.05)
    assert float(a1) == pytest.approx(1.651 - 2.816 * 0.05)
    a0, a1 = infant_separation_factors(0.2, sex="female")
    assert (float(a0), float(a1)) == (0.350, 1.361)
    a0, a1 = infant_separation_factors(0.01, rule="wpp_simple")
    assert (float(a0), float(a1)) == (pytest.approx(0.087), 1.5)
    # Andreev-Kingkade: the m0 thresholds join the segments (continuity within 0.002).
    for sex, threshold in [
        ("male", 0.02306737),
        ("male", 0.0830706),
        ("female", 0.01725977),
        ("female", 0.06919348),
    ]:
        below, above = infant_separation_factors(
            np.array([threshold - 1e-9, threshold + 1e-9]), sex=sex, rule="andreev_kingkade"
        )[0]
        assert abs(below - above) < 2e-3
    # at low mortality AK gives a0 near 0.15 (Coale-Demeny: near 0.05)
    ak = infant_separation_factors(0.003, sex="female", rule="andreev_kingkade")[0]
    assert 0.14 < float(ak) < 0.15
    with pytest.raises(ValueError, match="a0 rule"):
        infant_separation_factors(0.01, rule="keyfitz")


def test_projection_survival_reproduces_stationary_population(mx_single_2020):
    """A life-table population with l0 births a year is unchanged by one projection step.

    Only possible if the open group is right: P100(t+1) = P99 L100/L99 + T100 T101/T100 = T100.
    """
    survival = projection_survival(mx_single_2020)
    table = single_year_life_table(mx_single_2020)
    srb = 1.1
    births = np.array([srb / (1 + srb), 1 / (1 + srb)]) * 1000.0  # l0 = 1, 1000 births a year
    stationary = np.concatenate([table.Lx[:, :100], table.Tx[:, 100:101]], axis=-1)
    population = births[:, None] * stationary
    asfr = np.zeros(101)
    asfr[15:50] = 1.0
    asfr *= births.sum() / (asfr @ population[1])  # exposure = stationary number of women
    result = project(population[None], survival.repeat(3), np.tile(asfr, (3, 1)), np.full(3, srb))
    for year in range(1, 4):
        np.testing.assert_allclose(result.population[year, 0], population, rtol=1e-12)
    np.testing.assert_allclose(result.births[:, 0], np.tile(births, (3, 1)), rtol=1e-12)
    np.testing.assert_allclose(result.deaths[:, 0], np.tile(births, (3, 1)), rtol=1e-10)


def test_projection_survival_definitions(mx_single_2020):
    survival = projection_survival(mx_single_2020, sex="female")
    table = single_year_life_table(mx_single_2020, sex="female")
    assert survival.shape == (2,)
    assert survival.survival_to_next.shape == (2, 100)
    np.testing.assert_allclose(survival.survival_to_next[:, 99], table.Lx[:, 100] / table.Lx[:, 99])
    np.testing.assert_allclose(survival.survival_open, table.Tx[:, 101] / table.Tx[:, 100])
    np.testing.assert_allclose(survival.birth_survival, table.Lx[:, 0])
    assert survival.as_array().shape == (2, 101)
    assert np.all(survival.survival_open < survival.survival_to_next[:, 98])
    with pytest.raises(ValueError, match="reach beyond"):
        projection_survival(mx_single_2020[:, :101])


def test_survival_schedule_validation():
    with pytest.raises(ValueError, match="between 0 and 1"):
        SurvivalSchedule(np.full((2, 100), 1.2), np.full(2, 0.5), np.full(2, 0.99))
    with pytest.raises(ValueError, match="birth_survival must have shape"):
        SurvivalSchedule(np.full((2, 100), 0.9), np.full(2, 0.5), np.full(3, 0.99))


def test_stationary_tail_weights(mx_single_2020):
    table = single_year_life_table(mx_single_2020)
    weights = stationary_tail_weights(mx_single_2020, 85)
    np.testing.assert_allclose(weights[:, 0], table.Lx[:, 85] / table.Tx[:, 85])
    np.testing.assert_allclose(weights[:, -1], table.Tx[:, 100] / table.Tx[:, 85])
    np.testing.assert_allclose(weights.sum(axis=-1), 1.0, rtol=1e-14)
    assert np.all(np.diff(weights[:, :-1], axis=-1) < 0)
    assert stationary_tail_weights(mx_single_2020, 100).shape == (2, 1)


def test_apply_mortality_improvement():
    mx = np.array([0.01, 0.1])
    years = np.arange(3)[:, None]
    improved = apply_mortality_improvement(mx, 0.01, years)
    np.testing.assert_allclose(improved, mx * 0.99 ** np.arange(3)[:, None])
    with pytest.raises(ValueError, match="below 1"):
        apply_mortality_improvement(mx, 1.0, 1)


def test_kannisto_tail_without_calibration_warns_when_unreachable():
    nmx = np.array([0.01, 0.001, *np.geomspace(0.0005, 0.4, 19), 1.5])
    with pytest.warns(RuntimeWarning, match="cannot be matched"):
        mx = single_year_mx(nmx, WPP_AGE_STARTS)
    assert np.all(np.isfinite(mx)) and np.all(mx[100:] < 1)
