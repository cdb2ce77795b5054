"""Local mortality: a standard table fitted to published life expectancy at birth by sex."""

from __future__ import annotations

import dataclasses
import itertools
import re
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from wpp_inputs import WPP_AGE_STARTS

from carefacility.population.lifetable import abridged_life_table
from carefacility.population.mortality_fit import (
    FIT_METHODS,
    apply_level,
    fit_level,
    fit_periods_to_e0,
    fit_to_e0,
    life_expectancy,
    rates_at,
    relational_rates,
)
from carefacility.population.projection import (
    _mortality_at,
    project_population,
    with_mortality_range,
)
from carefacility.scenario.loader import load_scenario, validate_scenario

SEXES = ("male", "female")
PERIODS = ["2010-2015", "2015-2020", "2020-2025", "2025-2030", "2030-2035", "2035-2040",
           "2040-2045", "2045-2050", "2050-2055", "2055-2060", "2060-2065", "2065-2070",
           "2070-2075", "2075-2080", "2080-2085", "2085-2090", "2090-2095", "2095-2100"]
MIDPOINTS = np.array([(int(p[:4]) + int(p[5:])) / 2 + 0.5 for p in PERIODS])
SHANGHAI_2020 = (81.24, 86.20)  # registered residents, life_expectancy_registered.csv

FIT_BLOCK = """\
    csv: data/china_wpp2024_nmx.csv
    fit_e0:
      year: 2020
      male: 81.24
      female: 86.20
      method: {method}
      source: "Shanghai registered e0 2020, thepaper.cn/newsDetail_forward_12083138"
"""


@pytest.fixture(scope="module")
def wpp_periods(wpp_nmx: Callable[[str], np.ndarray]) -> np.ndarray:
    """China's WPP 2024 nMx, shape (18 periods, 2, 22)."""
    return np.stack([wpp_nmx(period) for period in PERIODS])


def e0_of(nmx: np.ndarray, sex: str) -> float:
    return float(life_expectancy(nmx, WPP_AGE_STARTS, sex=sex))  # type: ignore[arg-type]


@pytest.mark.parametrize("method", FIT_METHODS)
@pytest.mark.parametrize("target", [70.0, 81.24, 86.20, 90.0])
@pytest.mark.parametrize("s", [0, 1])
def test_fit_reproduces_the_target_e0(wpp_nmx, method: str, target: float, s: int) -> None:
    standard = wpp_nmx("2020-2025")[s]
    fitted = fit_to_e0(standard, WPP_AGE_STARTS, target, method=method, sex=SEXES[s])
    assert abs(e0_of(fitted, SEXES[s]) - target) < 0.01
    assert np.all(np.isfinite(fitted)) and np.all(fitted > 0)


@pytest.mark.parametrize("method", FIT_METHODS)
def test_standard_e0_gives_the_standard(wpp_nmx, method: str) -> None:
    for s, sex in enumerate(SEXES):
        standard = wpp_nmx("2020-2025")[s]
        level = fit_level(standard, WPP_AGE_STARTS, e0_of(standard, sex), method=method,
                          sex=sex)
        assert level == pytest.approx(0.0, abs=1e-6)  # alpha = 0, k = exp(0) = 1
        same = relational_rates(standard, WPP_AGE_STARTS, 0.0, method=method, sex=sex)
        np.testing.assert_allclose(same, standard, rtol=1e-9)


@pytest.mark.parametrize("method", FIT_METHODS)
def test_higher_e0_lowers_every_rate(wpp_nmx, method: str) -> None:
    for s, sex in enumerate(SEXES):
        standard = wpp_nmx("2020-2025")[s]
        fits = [fit_to_e0(standard, WPP_AGE_STARTS, target, method=method, sex=sex)
                for target in (70.0, 75.0, 81.24, 86.20, 90.0)]
        for lower, higher in itertools.pairwise(fits):
            assert np.all(higher < lower), (sex, np.flatnonzero(higher >= lower))


def test_brass_shifts_every_logit_by_alpha(wpp_nmx) -> None:
    """The fitted rates' own life table has Y(x) = alpha + Y_standard(x) at every boundary."""
    for s, sex in enumerate(SEXES):
        standard = wpp_nmx("2020-2025")[s]
        alpha = fit_level(standard, WPP_AGE_STARTS, SHANGHAI_2020[s], sex=sex)
        fitted = relational_rates(standard, WPP_AGE_STARTS, alpha, sex=sex)

        def logit(nmx: np.ndarray, sex: str = sex) -> np.ndarray:
            lx = abridged_life_table(nmx, WPP_AGE_STARTS, sex=sex).lx[1:]
            return 0.5 * np.log((1 - lx) / lx)

        np.testing.assert_allclose(logit(fitted) - logit(standard), alpha, atol=1e-9)
        assert -0.6 < alpha < -0.3  # Shanghai is far below China's mortality


def test_proportional_hazards_is_one_factor(wpp_nmx) -> None:
    standard = wpp_nmx("2020-2025")
    log_k = fit_level(standard[0], WPP_AGE_STARTS, SHANGHAI_2020[0],
                      method="proportional_hazards", sex="male")
    fitted = relational_rates(standard[0], WPP_AGE_STARTS, log_k, method="proportional_hazards")
    np.testing.assert_allclose(fitted / standard[0], np.exp(log_k), rtol=1e-12)


def test_the_two_methods_bracket_old_age_mortality(wpp_nmx) -> None:
    """The check quoted in the module notes: WPP's 2020-2025 rates fitted to the e0 of WPP's own
    2050-2055 rates give e80 below WPP's (Brass logit) and above it (proportional hazards)."""
    at_80 = list(WPP_AGE_STARTS).index(80)
    for s, sex in enumerate(SEXES):
        target = wpp_nmx("2050-2055")[s]
        e80 = {"wpp": abridged_life_table(target, WPP_AGE_STARTS, sex=sex).ex[at_80]}
        for method in FIT_METHODS:
            fitted = fit_to_e0(wpp_nmx("2020-2025")[s], WPP_AGE_STARTS, e0_of(target, sex),
                               method=method, sex=sex)
            e80[method] = abridged_life_table(fitted, WPP_AGE_STARTS, sex=sex).ex[at_80]
        assert e80["brass_logit"] < e80["wpp"] - 0.3
        assert e80["proportional_hazards"] > e80["wpp"] + 0.3


def test_targets_outside_the_range_are_refused(wpp_nmx) -> None:
    for target in (19.9, 100.1, float("nan")):
        with pytest.raises(ValueError, match="outside 20 to 100 years"):
            fit_level(wpp_nmx("2020-2025")[0], WPP_AGE_STARTS, target, sex="male")


@pytest.mark.parametrize("method", FIT_METHODS)
def test_one_year_fit_continues_the_standards_improvement(wpp_periods: np.ndarray,
                                                          method: str) -> None:
    """One level per sex for every period; the fitted e0 keeps rising with the standard's.

    The fitted periods carry the standard's *relative* decline of mortality (the same logit
    shift, or the same factor, in every period). The years of life that a given relative
    decline buys shrink as e0 rises (fewer deaths are left to avert), so a table 5-6 years above
    the standard gains somewhat less than the standard: we require each 5-year gain to have the
    standard's sign and the whole gain 2020-2025 to 2095-2100 to lie between 80 % and 100 % of
    the standard's (it is 88-93 %). A table below the standard (e0 70 and 75) must gain more.
    """
    fit = fit_periods_to_e0(wpp_periods, MIDPOINTS, WPP_AGE_STARTS, [2020],
                            np.array([SHANGHAI_2020]), method=method)
    assert np.all(fit.level == fit.level[0])
    for s, sex in enumerate(SEXES):
        at_reference = rates_at(fit.nmx[:, s], MIDPOINTS, 2020.5)
        assert e0_of(at_reference, sex) == pytest.approx(SHANGHAI_2020[s], abs=0.005)
    standard_gain = np.diff(fit.e0_standard, axis=0)
    fitted_gain = np.diff(fit.e0_fitted, axis=0)
    assert np.all(np.sign(fitted_gain) == np.sign(standard_gain))
    whole = (fit.e0_fitted[-1] - fit.e0_fitted[2]) / (fit.e0_standard[-1] - fit.e0_standard[2])
    assert np.all((whole > 0.8) & (whole < 1.0)), whole
    below = fit_periods_to_e0(wpp_periods, MIDPOINTS, WPP_AGE_STARTS, [2020],
                              np.array([[70.0, 75.0]]), method=method)
    whole_below = ((below.e0_fitted[-1] - below.e0_fitted[2])
                   / (below.e0_standard[-1] - below.e0_standard[2]))
    assert np.all((whole_below > 1.0) & (whole_below < 1.25)), whole_below


def test_apply_level_keeps_one_level_for_all_periods(wpp_periods: np.ndarray) -> None:
    levels = np.array([-0.4, -0.3])
    fitted = apply_level(wpp_periods, WPP_AGE_STARTS, levels)
    for p in (0, 9, 17):
        for s, sex in enumerate(SEXES):
            np.testing.assert_allclose(
                fitted[p, s], relational_rates(wpp_periods[p, s], WPP_AGE_STARTS, levels[s],
                                               sex=sex))


def test_e0_path_is_followed_at_period_midpoints(wpp_periods: np.ndarray) -> None:
    """Periods inside the path are fitted to the e0 interpolated at their midpoints; the others
    share the level that gives the path's first (last) year its e0 exactly.

    A year between the ends (2030) is matched only through the log-linear interpolation between
    5-year periods fitted separately: within 0.1 years.
    """
    years = [2015, 2030, 2050]
    e0 = np.array([[80.47, 85.09], [83.0, 87.5], [86.0, 89.5]])
    fit = fit_periods_to_e0(wpp_periods, MIDPOINTS, WPP_AGE_STARTS, years, e0)
    inside = (MIDPOINTS > 2015.5) & (MIDPOINTS < 2050.5)
    for s in range(2):
        expected = np.interp(MIDPOINTS[inside], np.array(years) + 0.5, e0[:, s])
        np.testing.assert_allclose(fit.e0_fitted[inside, s], expected, atol=0.01)
        assert np.all(fit.level[MIDPOINTS > 2050.5, s] == fit.level[-1, s])
        assert np.all(fit.level[MIDPOINTS < 2015.5, s] == fit.level[0, s])
        for year, target, tolerance in zip(years, e0[:, s], (0.005, 0.1, 0.005), strict=True):
            got = e0_of(rates_at(fit.nmx[:, s], MIDPOINTS, year + 0.5), SEXES[s])
            assert got == pytest.approx(target, abs=tolerance)


def test_path_between_two_midpoints_matches_both_years(wpp_periods: np.ndarray) -> None:
    """No period midpoint lies inside 2019-2020: the two shared levels are solved together."""
    e0 = np.array([[81.27, 86.14], [81.24, 86.20]])  # Shanghai 2019 and 2020, registered
    fit = fit_periods_to_e0(wpp_periods, MIDPOINTS, WPP_AGE_STARTS, [2019, 2020], e0,
                            method="proportional_hazards")
    for s, sex in enumerate(SEXES):
        for year, target in zip((2019, 2020), e0[:, s], strict=True):
            got = e0_of(rates_at(fit.nmx[:, s], MIDPOINTS, year + 0.5), sex)
            assert got == pytest.approx(target, abs=0.005)
        assert len(set(fit.level[:, s])) == 2


def test_rates_at_is_the_projections_interpolation(write_scenario, minimal: str) -> None:
    inputs = load_scenario(write_scenario(minimal)).population
    times = np.array([2009.0, 2013.0, 2020.5, 2021.3, 2099.0])
    expected = _mortality_at(inputs, times)
    for t, time in enumerate(times):
        np.testing.assert_allclose(rates_at(inputs.mortality.values, inputs.mortality.keys,
                                            time), expected[t], rtol=1e-12)


# --------------------------------------------------------------------------------------------
# the scenario option
# --------------------------------------------------------------------------------------------
def fitted_scenario(minimal: str, method: str = "brass_logit") -> str:
    return minimal.replace("    csv: data/china_wpp2024_nmx.csv\n",
                           FIT_BLOCK.format(method=method))


@pytest.mark.parametrize("method", FIT_METHODS)
def test_scenario_with_fit_e0_loads_and_projects(write_scenario, minimal: str,
                                                 method: str) -> None:
    plain = load_scenario(write_scenario(minimal)).population
    inputs = load_scenario(write_scenario(fitted_scenario(minimal, method), "fit.yaml")).population
    assert inputs.mortality.values.shape == plain.mortality.values.shape
    np.testing.assert_array_equal(inputs.mortality.keys, plain.mortality.keys)
    # the base-year life table, from the rates the projection uses in mid-2020
    base_year = _mortality_at(inputs, np.array([2020.5]))[0]
    for s, sex in enumerate(SEXES):
        assert e0_of(base_year[s], sex) == pytest.approx(SHANGHAI_2020[s], abs=0.01)
    projection = project_population(inputs)
    c = projection.components
    balance = c.population_start + c.births - c.deaths + c.net_migration - c.population_end
    assert np.max(np.abs(balance)) < 1e-6 * c.population_start.max()
    assert c.deaths.sum() < project_population(plain).components.deaths.sum()
    # the sensitivity band scales the fitted rates, not the standard
    ranged = with_mortality_range(inputs, projection).summary()
    assert np.all(ranged.pop_80plus_low[1:] < ranged.pop_80plus[1:])
    assert np.all(ranged.pop_80plus[1:] < ranged.pop_80plus_high[1:])


def test_scenario_with_an_e0_path_loads(write_scenario, minimal: str) -> None:
    text = minimal.replace("    csv: data/china_wpp2024_nmx.csv\n", """\
    csv: data/china_wpp2024_nmx.csv
    fit_e0:
      method: brass_logit
      source: life_expectancy_registered.csv (Shanghai, registered)
      path:
        2015: {male: 80.47, female: 85.09}
        2020: {male: 81.24, female: 86.20}
""")
    inputs = load_scenario(write_scenario(text)).population
    for year, e0 in ((2015, (80.47, 85.09)), (2020, SHANGHAI_2020)):  # the path's ends
        rates = _mortality_at(inputs, np.array([year + 0.5]))[0]
        for s, sex in enumerate(SEXES):
            assert e0_of(rates[s], sex) == pytest.approx(e0[s], abs=0.01)
    assert project_population(inputs).components.deaths.gt(0).all()


def test_inline_standard_can_be_fitted(write_scenario, minimal: str) -> None:
    text = minimal.replace("csv: data/china_wpp2024_nmx.csv", """inline:
      age_groups: ["0", "1-4", "5-59", "60-84", "85+"]
      male: [0.005, 0.0004, 0.002, 0.03, 0.15]
      female: [0.004, 0.0003, 0.001, 0.02, 0.12]
    fit_e0: {year: 2020, male: 75, female: 80, method: proportional_hazards, source: test}""")
    inputs = load_scenario(write_scenario(text)).population
    starts = [0, 1, 5, 60, 85]
    for s, sex in enumerate(SEXES):
        e0 = life_expectancy(inputs.mortality.values[0, s], starts, sex=sex)  # type: ignore
        assert float(e0) == pytest.approx((75, 80)[s], abs=0.01)


def problems_of(path: Path) -> list[str]:
    scenario, problems = validate_scenario(path)
    assert scenario is None
    return [str(p) for p in problems]


def line_of(text: str, fragment: str) -> int:
    return next(n for n, line in enumerate(text.splitlines(), 1) if fragment in line)


def test_bad_fit_inputs_are_located_all_at_once(write_scenario, minimal: str) -> None:
    text = minimal.replace("    csv: data/china_wpp2024_nmx.csv\n", """\
    csv: data/china_wpp2024_nmx.csv
    fit_e0:
      year: 2150
      male: 120
      method: brass_logit
      source: "  "
""").replace("tfr: 1.1", "tfr: 11")
    path = write_scenario(text)
    problems = problems_of(path)
    expected = {
        ("year: 2150", "population.mortality.fit_e0.year",
         "year 2150 is outside the table's periods (2010-2100)"),
        ("male: 120", "population.mortality.fit_e0.male",
         "e0 120 is outside the allowed range 20 to 100 years"),
        ("fit_e0:", "population.mortality.fit_e0", "`female` is missing"),
        ("source:", "population.mortality.fit_e0.source", "`source` is required"),
        ("tfr: 11", "population.fertility.tfr", ""),
    }
    for fragment, field, message in expected:
        line = line_of(text, fragment)
        pattern = re.compile(rf"^{re.escape(str(path))}:{line}:\d+: {re.escape(field)}: "
                             rf".*{re.escape(message)}")
        assert any(pattern.match(p) for p in problems), (fragment, problems)
    assert len(problems) == len(expected), problems


def test_more_fit_problems_are_located(write_scenario, minimal: str) -> None:
    text = minimal.replace("measure: nMx", "measure: qx").replace(
        "    csv: data/china_wpp2024_nmx.csv\n", """\
    csv: data/china_wpp2024_nmx.csv
    fit_e0:
      year: 2020
      male: 80
      female: 85
      path:
        2020: {male: 80, female: 85}
""")
    problems = problems_of(write_scenario(text))
    assert any(f":{line_of(text, 'fit_e0:')}:5: population.mortality.fit_e0: `method` is "
               "required" in p for p in problems), problems
    assert any("`source` is required" in p for p in problems)
    assert any("give either `year` with `male` and `female`, or `path`, not both" in p
               for p in problems)
    assert any("population.mortality.measure: fit_e0 moves central death rates" in p
               for p in problems)


def test_path_problems_are_located(write_scenario, minimal: str) -> None:
    text = minimal.replace("    csv: data/china_wpp2024_nmx.csv\n", """\
    csv: data/china_wpp2024_nmx.csv
    fit_e0:
      method: brass_logit
      source: test
      path:
        2020: {male: 80, female: 85}
        2015: {male: 10}
        2005: {male: 79, female: 84}
""")
    path = write_scenario(text)
    problems = problems_of(path)
    line_2015, line_2005 = line_of(text, "2015:"), line_of(text, "2005:")
    assert any(f":{line_2015}:9: population.mortality.fit_e0.path[2015]: years out of order"
               in p for p in problems), problems
    assert any(f":{line_2015}:" in p and "`female` is missing" in p for p in problems)
    assert any(f":{line_2015}:" in p and "path[2015].male: e0 10 is outside" in p
               for p in problems)
    assert any(f":{line_2005}:9: " in p and "year 2005 is outside the table's periods" in p
               for p in problems)


def test_fit_problems_are_reported_with_structural_ones(write_scenario, minimal: str) -> None:
    """A structural error elsewhere must not hide the fit's problems (every problem at once)."""
    text = fitted_scenario(minimal).replace("male: 81.24", "male: 101").replace(
        "basis: resident", "basis: registred")
    problems = problems_of(write_scenario(text))
    fields = {p.split(": ")[1] for p in problems}
    assert {"population.basis", "population.mortality.fit_e0.male"} <= fields, problems


def test_unknown_method_is_located(write_scenario, minimal: str) -> None:
    text = fitted_scenario(minimal, "brass")
    problems = problems_of(write_scenario(text))
    assert len(problems) == 1
    assert f":{line_of(text, 'method:')}:" in problems[0]
    assert "population.mortality.fit_e0.method" in problems[0]


def test_fitted_inputs_can_be_replaced_like_any_table(write_scenario, minimal: str) -> None:
    """PopulationInputs keeps its shape: a notebook user can swap the mortality table."""
    inputs = load_scenario(write_scenario(fitted_scenario(minimal))).population
    raised = dataclasses.replace(inputs, mortality=dataclasses.replace(
        inputs.mortality, values=inputs.mortality.values * 1.1))
    assert (project_population(raised).components.deaths.sum()
            > project_population(inputs).components.deaths.sum())
