"""The back-test on hand-made projections: errors, calendar-year deaths, calibration and
back-test classing by the base year, and the `observed:` section's located errors."""

from __future__ import annotations

import dataclasses
import datetime as dt
import math

import numpy as np
import pandas as pd
import pytest

from carefacility.population.projection import PopulationProjection, project_population
from carefacility.runner.backtest import scenario_backtest
from carefacility.scenario.loader import load_scenario, validate_scenario
from carefacility.targets.backtest import (
    BACKTEST_COLUMNS,
    ComparableYears,
    ObservationSpec,
    backtest,
    calendar_year_total,
    comparable_years,
    observation_use,
)


def _projection(base_date: dt.date = dt.date(2021, 1, 1), basis: str = "resident",
                scale: float = 1.0) -> PopulationProjection:
    """Two reported years, ages 0..100 with 10 persons each a sex (×``scale``); deaths of
    1,000 and 1,200 in the two steps."""
    years = [2021, 2022]
    population = pd.DataFrame([
        {"year": year, "zone": "all", "age": age, "sex": sex,
         "population": 10.0 * scale * (1 + (year - 2021))}
        for year in years for sex in ("male", "female") for age in range(101)])
    elderly = pd.DataFrame({
        "year": years, "zone": ["all", "all"],
        "total": [2020.0 * scale, 4040.0 * scale],
        "pop_60plus": [820.0 * scale, 1640.0 * scale],
        "pop_65plus": [720.0 * scale, 1440.0 * scale],
        "pop_80plus": [420.0 * scale, 840.0 * scale]})
    starts = [base_date, base_date.replace(year=base_date.year + 1)]
    components = pd.DataFrame({
        "step_start": [starts[0], starts[0], starts[1], starts[1]], "zone": "all",
        "sex": ["male", "female"] * 2, "population_start": 0.0, "births": 0.0,
        "deaths": [500.0 * scale, 500.0 * scale, 600.0 * scale, 600.0 * scale],
        "net_migration": 0.0, "population_end": 0.0})
    return PopulationProjection(population, elderly, components, basis, base_date, "year_end")


def _observed(**fields) -> ObservationSpec:
    row = {"year": 2021, "basis": "resident", "metric": "pop_60plus", "value": 800.0,
           "source": "a release"} | fields
    return ObservationSpec(**row)


def test_errors_are_projected_minus_observed() -> None:
    observed = [_observed(value=800.0),                                  # 820 projected
                _observed(year=2022, metric="pop_80plus", value=1000.0),   # 840
                _observed(year=2022, metric="pop_70plus", value=1000.0),   # 31 ages x 2 x 20
                _observed(year=2021, metric="total", value=2000.0),        # 2,020
                _observed(year=2021, metric="deaths", value=1250.0)]       # the first step
    result = backtest(observed, _projection())
    assert list(result.columns) == BACKTEST_COLUMNS
    table = result.set_index(["year", "metric"])
    assert table.loc[(2021, "pop_60plus"), "projected"] == pytest.approx(820.0)
    assert table.loc[(2021, "pop_60plus"), "error"] == pytest.approx(20.0)
    assert table.loc[(2021, "pop_60plus"), "relative_error"] == pytest.approx(0.025)
    assert table.loc[(2022, "pop_80plus"), "error"] == pytest.approx(-160.0)
    assert table.loc[(2022, "pop_80plus"), "relative_error"] == pytest.approx(-0.16)
    assert table.loc[(2022, "pop_70plus"), "projected"] == pytest.approx(31 * 2 * 20.0)
    assert table.loc[(2021, "total"), "relative_error"] == pytest.approx(0.01)
    assert table.loc[(2021, "deaths"), "projected"] == pytest.approx(1000.0)
    assert table.loc[(2021, "deaths"), "error"] == pytest.approx(-250.0)
    assert (table["source"] == "a release").all()
    # rows come by metric (catalogue order), then year
    assert list(table.reset_index()["metric"]) == ["total", "pop_60plus", "pop_70plus",
                                                   "pop_80plus", "deaths"]


def test_calendar_year_deaths_from_steps_that_start_on_census_day() -> None:
    # steps from 1 November: 2021 takes ~10/12 of the first step and ~2/12 of the second
    projection = _projection(base_date=dt.date(2020, 11, 1))
    deaths = calendar_year_total(projection.components, "deaths", 2021)
    assert deaths == pytest.approx(1000.0 * 10 / 12 + 1200.0 * 2 / 12, rel=2e-3)
    # 2020 and 2022 are only partly covered by the two steps
    assert math.isnan(calendar_year_total(projection.components, "deaths", 2020))
    assert math.isnan(calendar_year_total(projection.components, "deaths", 2022))
    # read back from a CSV, step_start is text: same answer
    as_text = projection.components.assign(step_start=projection.components["step_start"]
                                           .astype(str))
    assert calendar_year_total(as_text, "deaths", 2021) == pytest.approx(deaths)


def test_comparable_years_of_a_census_projection() -> None:
    years = comparable_years(dt.date(2020, 11, 1), 2035, "year_end")
    assert years == ComparableYears(2020, (2020, 2035), (2021, 2035))
    mid = comparable_years(dt.date(2020, 11, 1), 2035, "mid_year")
    assert mid.population == (2021, 2035) and mid.deaths is not None


def test_classing_by_the_base_year() -> None:
    assert observation_use(2020, 2020) == "calibration"
    assert observation_use(2019, 2020) == "calibration"
    assert observation_use(2021, 2020) == "backtest"
    assert observation_use(2024, 2020, "calibration") == "calibration"  # an input came from it
    observed = [_observed(year=2021), _observed(year=2022),
                _observed(year=2022, metric="total", value=4000.0, use="calibration")]
    bases = {"resident": ComparableYears(2021, (2021, 2022), (2021, 2021))}
    table = backtest(observed, _projection(), bases=bases).set_index(["year", "metric"])
    assert table.loc[(2021, "pop_60plus"), "use"] == "calibration"  # the base year itself
    assert table.loc[(2022, "pop_60plus"), "use"] == "backtest"
    assert table.loc[(2022, "total"), "use"] == "calibration"
    # without bases, the projection's base date gives the base year (2021 here)
    default = backtest(observed[:2], _projection())
    assert list(default["use"]) == ["calibration", "backtest"]
    # each basis has its own base year
    bases = {"resident": ComparableYears(2020, (2021, 2022), None)}
    assert list(backtest(observed[:2], _projection(), bases=bases)["use"]) == [
        "backtest", "backtest"]


def test_rows_per_basis_in_a_basis_column() -> None:
    resident, registered = _projection(), _projection(basis="registered", scale=2.0)
    both = dataclasses.replace(resident, elderly=pd.concat([
        resident.elderly.assign(basis="resident"), registered.elderly.assign(basis="registered")],
        ignore_index=True), population=pd.concat([
            resident.population.assign(basis="resident"),
            registered.population.assign(basis="registered")], ignore_index=True),
        components=pd.concat([resident.components.assign(basis="resident"),
                              registered.components.assign(basis="registered")],
                             ignore_index=True))
    observed = [_observed(basis="resident"), _observed(basis="registered"),
                _observed(basis="registered", metric="pop_70plus"),
                _observed(basis="registered", metric="deaths", value=2000.0)]
    table = backtest(observed, both).set_index(["basis", "metric"])["projected"]
    assert table[("resident", "pop_60plus")] == pytest.approx(820.0)
    assert table[("registered", "pop_60plus")] == pytest.approx(1640.0)
    assert table[("registered", "pop_70plus")] == pytest.approx(31 * 2 * 20.0)
    assert table[("registered", "deaths")] == pytest.approx(2000.0)


@pytest.mark.skipif("other_bases" not in PopulationProjection.__dataclass_fields__,
                    reason="projections carry one basis")
def test_other_bases_of_a_projection() -> None:
    registered = _projection(basis="registered", scale=2.0)
    projection = dataclasses.replace(_projection(), other_bases={"registered": registered})
    observed = [_observed(basis="resident"), _observed(basis="registered"),
                _observed(basis="registered", metric="deaths", value=2000.0)]
    table = backtest(observed, projection).set_index(["basis", "metric"])["projected"]
    assert table[("resident", "pop_60plus")] == pytest.approx(820.0)
    assert table[("registered", "pop_60plus")] == pytest.approx(1640.0)
    assert table[("registered", "deaths")] == pytest.approx(2000.0)


def test_a_basis_the_projection_lacks_is_refused() -> None:
    with pytest.raises(ValueError, match="holds no registered population"):
        backtest([_observed(basis="registered")], _projection())


def test_simulated_figures_need_kpis() -> None:
    observed = [_observed(metric="residents_year_end", basis=None, value=100.0),
                _observed(metric="beds", basis=None, value=500.0)]
    table = backtest(observed, _projection())
    assert table["projected"].isna().all() and table["error"].isna().all()
    kpis = pd.DataFrame({"year": [2021, 2021], "metric": ["residents_year_end", "beds"],
                         "mean": [90.0, 550.0]})
    table = backtest(observed, _projection(), kpis=kpis).set_index("metric")
    assert table.loc["residents_year_end", "relative_error"] == pytest.approx(-0.1)
    assert table.loc["beds", "error"] == pytest.approx(50.0)
    assert table.loc["beds", "basis"] == ""


OBSERVED = """\
observed:
  - {year: 2021, basis: resident, metric: pop_60plus, value: 1700, source: "a"}
  - {year: 2021, basis: registered, metric: pop_60plus, value: 1700, source: "b"}
  - {year: 2040, basis: resident, metric: pop_80plus, value: 300, source: "c"}
  - {year: 2020, basis: resident, metric: deaths, value: 90, source: "d"}
  - {year: 2021, basis: resident, metric: pop_60pls, value: 1700, source: "e"}
  - {year: 2021, metric: total, value: 10000, source: "f"}
  - {year: 2022, metric: beds, value: 500, source: "g"}
  - {year: 2021, basis: resident, metric: pop_60plus, value: 1710, source: "h"}
"""


def test_every_problem_of_the_section_is_located(write_scenario, minimal: str) -> None:
    path = write_scenario(minimal + OBSERVED)
    scenario, problems = validate_scenario(path)
    assert scenario is None
    found = [str(problem) for problem in problems]
    first = minimal.count("\n") + 2  # the line of the first row
    expected = [
        f"{path}:{first + 1}:25: observed[1].basis: the scenario projects no registered (户籍) "
        "population to compare with (it projects: resident (常住))",
        f"{path}:{first + 2}:12: observed[2].year: 2040 is outside the projection's years "
        "(resident: 2020-2030)",
        f"{path}:{first + 3}:12: observed[3].year: 2020: deaths are compared only in calendar "
        "years the projection's yearly steps from the base date cover whole (resident: "
        "2021-2030)",
        f"{path}:{first + 4}:43: observed[4].metric: unknown metric 'pop_60pls' (did you mean "
        '"pop_60plus"?)',
        f"{path}:{first + 5}:5: observed[5]: say which population the total figure counts: "
        "basis: registered (户籍) or resident (常住)",
        f"{path}:{first + 6}:26: observed[6].metric: beds is compared with the plan: add "
        "`plan` and `simulation` sections",
        f"{path}:{first + 7}:5: observed[7]: pop_60plus of 2021 (resident) is already given "
        "at observed[0]; give each figure once",
    ]
    assert len(found) == len(expected), found
    for message, start in zip(found, expected, strict=True):
        assert message.startswith(start), (message, start)


def test_field_errors_are_located(write_scenario, minimal: str) -> None:
    text = minimal + ("observed:\n"
                      "  - {year: 2021, basis: resident, metric: total, value: -5, source: ''}\n"
                      "  - {year: 2021, basis: census, metric: total, value: 5, source: x,"
                      " note: y}\n")
    path = write_scenario(text)
    found = [str(problem) for problem in validate_scenario(path)[1]]
    line = minimal.count("\n") + 2
    assert any(p.startswith(f"{path}:{line}:") and "observed[0].value" in p and
               "greater than 0" in p for p in found), found
    assert any("observed[0].source" in p for p in found), found
    assert any(p.startswith(f"{path}:{line + 1}:") and "observed[1].basis" in p
               for p in found), found
    assert any("observed[1].note: unknown key 'note'" in p for p in found), found


def test_a_valid_section_loads_and_compares(write_scenario, minimal: str) -> None:
    text = minimal + ("observed:\n"
                      "  - {year: 2020, basis: resident, metric: total, value: 9900, "
                      "source: census}\n"
                      "  - {year: 2023, basis: resident, metric: deaths, value: 80, "
                      "source: communique}\n")
    scenario = load_scenario(write_scenario(text))
    assert [row.metric for row in scenario.spec.observed] == ["total", "deaths"]
    table = scenario_backtest(scenario, project_population(scenario.population))
    assert list(table["use"]) == ["calibration", "backtest"]
    assert np.isfinite(table["projected"]).all()
