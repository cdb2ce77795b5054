"""Demand, stays, waiting exits and starting residents given in the scenario file.

``simulation.max_waiting``, ``priority_order``, ``placement``, ``arrivals``, ``stays`` and
``waiting_exits`` and ``plan.starting_state.census`` map onto the engine's
:class:`~carefacility.beds.BedSpec` as documented, and every bad input is answered with a
located message, all at once.

Tests whose docstring says "Needs ..." use BedSpec fields that are being added to the engine
(``arrival_trend_per_day_per_day``; ``StayDistribution(kind="empirical", values_days=...)``)
and fail until they land.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from carefacility.beds.simulation_spec import direct_arrivals
from carefacility.runner.prepare import prepare_run
from carefacility.scenario.loader import json_schema, load_scenario, validate_scenario

DAYS = 365.0

BASE = """\
name: direct demand
plan:
  zones:
    - {name: a, share_of_elderly: 0.4}
    - {name: b, share_of_elderly: 0.6}
  care_homes:
    - {name: h1, zone: a, beds: {general: 10, nursing: 5}}
    - {name: h2, zone: b, beds: {general: 8, nursing: 4, dementia: 2}, count: 2}
  starting_state:
    occupancy: 0.5
simulation:
  start_date: 2021-01-01
  years: 3
  replications: 2
  stays: {distribution: exponential, mean_days: 100}
"""


def scenario_text(arrivals: str = "  arrivals: {per_day: 0.5}\n", extra: str = "",
                  base: str = BASE) -> str:
    """BASE with an ``arrivals`` block and extra ``simulation`` lines."""
    return base + arrivals + extra


def prepared(write_scenario, text: str):
    return prepare_run(load_scenario(write_scenario(text)))


def problems_of(path: Path) -> list[str]:
    scenario, problems = validate_scenario(path)
    assert scenario is None
    return [str(problem) for problem in problems]


def level_index(name: str) -> int:
    return ["independent", "partially_dependent", "dependent", "dementia"].index(name)


# --------------------------------------------------------------------------------------------
# mapping into BedSpec
# --------------------------------------------------------------------------------------------
def test_waiting_rules_map_to_the_engine(write_scenario) -> None:
    text = scenario_text(extra=(
        "  waiting_discipline: priority\n"
        "  priority_order: [low_income, care_need]\n"
        "  placement: type_then_zone\n"
        "  max_waiting: 0\n"))
    spec = prepared(write_scenario, text).spec
    assert spec.max_waiting == 0
    assert spec.priority_order == ("low_income", "care_need")
    assert spec.placement == "type_then_zone"
    assert spec.discipline == "priority"


def test_defaults_leave_the_engine_defaults(write_scenario) -> None:
    spec = prepared(write_scenario, scenario_text()).spec
    assert spec.max_waiting is None
    assert spec.priority_order == ("care_need", "low_income", "age_80plus")
    assert spec.placement == "zone_then_type"


def test_one_rate_goes_to_its_level_and_the_plan_zones(write_scenario) -> None:
    text = scenario_text("  arrivals: {per_day: 0.5, level: dependent}\n")
    spec = prepared(write_scenario, text).spec
    rates = spec.arrival_rate_per_day
    assert rates.shape == (3, 2, 4)
    expected = np.zeros((3, 2, 4))
    expected[:, :, level_index("dependent")] = 0.5 * np.array([0.4, 0.6])
    np.testing.assert_allclose(rates, expected, rtol=1e-12)
    # no population: no one is known to be 80+ or low-income; no need-model exits
    assert np.all(spec.share_80plus == 0) and np.all(spec.share_low_income == 0)
    assert np.all(spec.withdrawal_rate_per_day == 0)
    assert np.all(spec.waiting_death_rate_per_day == 0)


def test_default_level_is_independent(write_scenario) -> None:
    spec = prepared(write_scenario, scenario_text()).spec
    np.testing.assert_allclose(spec.arrival_rate_per_day.sum(axis=(0, 1)), [1.5, 0, 0, 0])


def test_per_year_by_level_with_zone_shares(write_scenario) -> None:
    text = scenario_text("  arrivals:\n    per_year: {independent: 365, dementia: 73}\n"
                         "    zone_shares: {a: 0.25, b: 0.75}\n")
    spec = prepared(write_scenario, text).spec
    expected = np.zeros((3, 2, 4))
    expected[:, :, 0] = 1.0 * np.array([0.25, 0.75])
    expected[:, :, 3] = 0.2 * np.array([0.25, 0.75])
    np.testing.assert_allclose(spec.arrival_rate_per_day, expected, rtol=1e-12)


def test_trend_per_day_gives_year_means_and_the_trend() -> None:
    from carefacility.beds.simulation_spec import ArrivalsSpec

    arrivals = ArrivalsSpec(per_day=2.0, trend_per_day_per_day=0.001)
    rates, trend = direct_arrivals(arrivals, np.array([1.0]), 4)
    middle = DAYS * np.arange(4) + DAYS / 2
    np.testing.assert_allclose(rates[:, 0, 0], 2.0 + 0.001 * middle, rtol=1e-12)
    np.testing.assert_allclose(rates[:, 0, 1:], 0.0)
    np.testing.assert_allclose(trend[:, 0, 0], 0.001)
    np.testing.assert_allclose(trend[:, 0, 1:], 0.0)


def test_trend_per_year_converts_and_splits_like_the_rate() -> None:
    from carefacility.beds.simulation_spec import ArrivalsSpec

    arrivals = ArrivalsSpec(per_year={"independent": 365, "dependent": 730},
                            trend_per_year_per_year=36.5)
    shares = np.array([0.25, 0.75])
    rates, trend = direct_arrivals(arrivals, shares, 3)
    per_day_per_day = 36.5 / DAYS**2
    split = np.array([1 / 3, 0, 2 / 3, 0])
    middle = DAYS * np.arange(3) + DAYS / 2
    by_level = np.array([1.0, 0, 2.0, 0])[None] + per_day_per_day * split[None] * middle[:, None]
    np.testing.assert_allclose(rates, by_level[:, None, :] * shares[None, :, None], rtol=1e-12)
    np.testing.assert_allclose(trend, np.broadcast_to(
        per_day_per_day * split[None, None, :] * shares[None, :, None], (3, 2, 4)), rtol=1e-12)
    # the year's mean equals the mean of the linear rate over its 365 days
    days = np.arange(365) + 0.5
    daily = 3.0 + per_day_per_day * (DAYS + days)
    assert rates[1].sum() == pytest.approx(daily.mean(), rel=1e-12)


def test_trend_reaches_the_engine(write_scenario) -> None:
    """Needs BedSpec.arrival_trend_per_day_per_day (being added to the engine)."""
    text = scenario_text("  arrivals: {per_day: 2.0, trend_per_day_per_day: 0.001}\n")
    spec = prepared(write_scenario, text).spec
    middle = DAYS * np.arange(3) + DAYS / 2
    np.testing.assert_allclose(spec.arrival_rate_per_day.sum(axis=(1, 2)),
                               2.0 + 0.001 * middle, rtol=1e-12)
    np.testing.assert_allclose(spec.arrival_trend_per_day_per_day.sum(axis=(1, 2)), 0.001,
                               rtol=1e-12)


@pytest.mark.parametrize(("stays", "kind", "fields"), [
    ("{distribution: exponential, mean_days: 120}", "exponential", {}),
    ("{distribution: deterministic, mean_days: 120}", "deterministic", {}),
    ("{distribution: lognormal, mean_days: 120, sigma: 0.7}", "lognormal",
     {"lognormal_sigma": 0.7}),
    ("{distribution: gamma, mean_days: 120, shape: 2.5}", "gamma", {"gamma_shape": 2.5}),
])
def test_stay_distributions_map(write_scenario, stays: str, kind: str, fields: dict) -> None:
    text = scenario_text().replace(
        "  stays: {distribution: exponential, mean_days: 100}", f"  stays: {stays}")
    distribution = prepared(write_scenario, text).spec.stay_distribution
    assert distribution.kind == kind
    np.testing.assert_allclose(distribution.mean_days, 120.0)
    for name, value in fields.items():
        assert getattr(distribution, name) == pytest.approx(value)


def test_mean_stay_by_level(write_scenario) -> None:
    text = scenario_text("  arrivals: {per_day: {independent: 0.3, dependent: 0.1}}\n").replace(
        "mean_days: 100", "mean_days: {independent: 200, dependent: 50}")
    run = prepared(write_scenario, text)
    mean = run.spec.stay_distribution.mean_days
    assert mean[0] == 200 and mean[2] == 50
    # the pooled cross-check uses the applicants' mean stay
    check = run.tables["analytic_cross_check"]
    np.testing.assert_allclose(check["mean_stay_days"], (0.3 * 200 + 0.1 * 50) / 0.4)
    np.testing.assert_allclose(check["arrival_rate_per_day"], 0.4)
    # without resident_levels, the starting residents are in balance with arrivals and stays
    residents = run.spec.initial_residents.sum(axis=(0, 1))
    assert residents.sum() == 21  # round(0.5 × beds) by home and bed type: 5 + 2 + 2 × 7
    assert residents.tolist() == [19, 0, 2, 0]  # 21 × (60, 5) / 65, largest remainder
    assert residents[1] == residents[3] == 0


def test_empirical_stays_map(write_scenario) -> None:
    """Needs StayDistribution(kind="empirical", values_days=...) (being added to the engine)."""
    text = scenario_text().replace(
        "  stays: {distribution: exponential, mean_days: 100}",
        "  stays: {distribution: empirical, values_days: [10, 20, 60]}")
    distribution = prepared(write_scenario, text).spec.stay_distribution
    assert distribution.kind == "empirical"
    np.testing.assert_allclose(distribution.mean_days, 30.0)
    for sample in distribution.values_days:  # the one sample serves every level
        np.testing.assert_allclose(sample, [10, 20, 60])


def test_empirical_stays_by_level_map(write_scenario) -> None:
    """Needs StayDistribution(kind="empirical", values_days=...) (being added to the engine)."""
    text = scenario_text("  arrivals: {per_day: {independent: 0.3, dependent: 0.1}}\n").replace(
        "  stays: {distribution: exponential, mean_days: 100}",
        "  stays:\n    distribution: empirical\n"
        "    values_days: {independent: [100, 300], dependent: [10, 20, 30]}")
    distribution = prepared(write_scenario, text).spec.stay_distribution
    assert distribution.kind == "empirical"
    assert distribution.mean_days[0] == pytest.approx(200)
    assert distribution.mean_days[2] == pytest.approx(20)
    np.testing.assert_allclose(distribution.values_days[2], [10, 20, 30])


def test_waiting_exits_per_day_and_per_year(write_scenario) -> None:
    text = scenario_text(extra=(
        "  waiting_exits:\n"
        "    withdrawal_rate_per_year: {independent: 3.65, dementia: 7.3}\n"
        "    death_rate_per_day: 0.002\n"))
    spec = prepared(write_scenario, text).spec
    np.testing.assert_allclose(spec.withdrawal_rate_per_day, [0.01, 0, 0, 0.02], rtol=1e-12)
    np.testing.assert_allclose(spec.waiting_death_rate_per_day, 0.002)


def test_omitted_waiting_exit_is_zero(write_scenario) -> None:
    text = scenario_text(extra="  waiting_exits: {withdrawal_rate_per_day: 0.05}\n")
    spec = prepared(write_scenario, text).spec
    np.testing.assert_allclose(spec.withdrawal_rate_per_day, 0.05)
    np.testing.assert_allclose(spec.waiting_death_rate_per_day, 0.0)


def test_census_by_home_and_bed_type(write_scenario) -> None:
    text = scenario_text().replace("    occupancy: 0.5\n", """\
    census:
      - {home: h2, general: 6, dementia: 1}
    resident_levels: {independent: 0.5, dementia: 0.5}
""")
    run = prepared(write_scenario, text)
    residents = run.spec.initial_residents
    assert residents.shape == (3, 3, 4)
    # h1 not listed: empty; each of the two h2 homes gets the figures
    np.testing.assert_array_equal(residents.sum(axis=2),
                                  [[0, 0, 0], [6, 0, 1], [6, 0, 1]])
    assert residents.sum(axis=(0, 1)).tolist() == [7, 0, 0, 7]
    assert residents[:, 2, 3].tolist() == [0, 1, 1]  # dementia beds take dementia first


def test_census_without_levels_starts_in_balance_with_arrivals(write_scenario) -> None:
    text = scenario_text("  arrivals: {per_day: 0.2, level: partially_dependent}\n").replace(
        "    occupancy: 0.5\n", "    census: [{home: h1, general: 4, nursing: 2}]\n")
    residents = prepared(write_scenario, text).spec.initial_residents
    assert residents.sum(axis=(0, 1)).tolist() == [0, 6, 0, 0]


def test_waiting_list_follows_the_arrivals_zones(write_scenario) -> None:
    text = scenario_text("  arrivals:\n    per_day: 0.5\n    zone_shares: {b: 1.0}\n").replace(
        "    occupancy: 0.5\n", "    occupancy: 1.0\n    waiting_list_persons: 7\n")
    waiting = prepared(write_scenario, text).spec.initial_waiting_list
    assert waiting.size == 7
    assert set(waiting.zone.tolist()) == {1}


def test_one_zone_plan_needs_no_shares(write_scenario) -> None:
    text = """\
name: one zone
plan:
  care_homes: [{name: h, zone: all, beds: {general: 5}}]
  starting_state: {occupancy: 0}
simulation:
  start_date: 2021-01-01
  years: 2
  arrivals: {per_year: 36.5}
  stays: {distribution: deterministic, mean_days: 30}
"""
    run = prepared(write_scenario, text)
    np.testing.assert_allclose(run.spec.arrival_rate_per_day[:, 0, 0], 0.1)
    assert run.spec.initial_residents.sum() == 0
    assert run.basis == "none"
    assert np.all(np.isnan(run.pop_60plus))
    assert set(run.tables) == {"bed_demand", "analytic_cross_check", "capacity_schedule"}
    demand = run.tables["bed_demand"]
    assert demand["applicants_per_year"].sum() == pytest.approx(2 * 36.5)


def test_schema_has_the_new_fields() -> None:
    schema = json.loads(json_schema())
    definitions = schema["$defs"]
    simulation = definitions["SimulationSpec"]["properties"]
    for name in ("max_waiting", "priority_order", "placement", "arrivals", "stays",
                 "waiting_exits"):
        assert name in simulation, name
        assert simulation[name].get("description"), name
    for model, names in (("ArrivalsSpec", ["per_day", "per_year", "level", "zone_shares",
                                           "trend_per_day_per_day",
                                           "trend_per_year_per_year"]),
                         ("StaysSpec", ["distribution", "mean_days", "sigma", "shape",
                                        "values_days"]),
                         ("WaitingExitsSpec", ["withdrawal_rate_per_day",
                                               "withdrawal_rate_per_year",
                                               "death_rate_per_day", "death_rate_per_year"]),
                         ("CensusEntry", ["home", "general", "nursing", "dementia"])):
        properties = definitions[model]["properties"]
        for name in names:
            assert "[" in properties[name]["description"] or name in (
                "level", "distribution", "home"), (model, name)
    assert "census" in definitions["StartingStateSpec"]["properties"]
    assert "population" not in schema.get("required", [])


# --------------------------------------------------------------------------------------------
# with a population
# --------------------------------------------------------------------------------------------
POPULATION_PLAN = """
plan:
  care_homes:
    - {name: h, zone: all, beds: {general: 300, nursing: 200}}
  starting_state:
    occupancy: 0.5
simulation:
  start_date: 2021-01-01
  years: 3
  replications: 2
"""


def with_population(minimal: str) -> str:
    return minimal.replace("male: [1000, 3000, 800, 100]", "male: [100000, 300000, 80000, "
                           "10000]").replace("female: [950, 2900, 850, 160]",
                                             "female: [95000, 290000, 85000, 16000]")


def test_population_with_arrivals_takes_the_demand_from_arrivals(write_scenario,
                                                                  minimal: str) -> None:
    text = with_population(minimal) + POPULATION_PLAN + (
        "  arrivals: {per_day: {dependent: 0.4, independent: 0.1}}\n")
    run = prepared(write_scenario, text)
    rates = run.spec.arrival_rate_per_day
    np.testing.assert_allclose(rates[:, 0], [[0.1, 0, 0.4, 0]] * 3)
    # the projection still runs (for the report), and the need model's shares apply
    assert np.all(np.isfinite(run.pop_60plus)) and np.all(run.pop_60plus > 0)
    assert {"elderly_summary", "care_need", "calibration"} <= set(run.tables)
    assert np.any(run.spec.share_80plus[:, :, 2] > 0)
    assert run.tables["bed_demand"]["source"].eq("simulation.arrivals").all()
    # residents still follow the need chain
    assert run.spec.stay_distribution is None
    assert np.any(run.spec.resident_generator_per_day != 0)


def test_population_with_stays_keeps_the_need_models_applicants(write_scenario,
                                                                  minimal: str) -> None:
    plain = prepared(write_scenario, with_population(minimal) + POPULATION_PLAN)
    text = with_population(minimal) + POPULATION_PLAN + (
        "  stays: {distribution: gamma, mean_days: 700, shape: 2}\n")
    run = prepared(write_scenario, text)
    np.testing.assert_allclose(run.spec.arrival_rate_per_day, plain.spec.arrival_rate_per_day)
    assert run.spec.stay_distribution.kind == "gamma"
    np.testing.assert_allclose(run.tables["analytic_cross_check"]["mean_stay_days"], 700)
    np.testing.assert_allclose(run.spec.waiting_death_rate_per_day,
                               plain.spec.waiting_death_rate_per_day)


def test_population_with_waiting_exits_replaces_the_need_models(write_scenario,
                                                                 minimal: str) -> None:
    text = with_population(minimal) + POPULATION_PLAN + (
        "  waiting_exits: {death_rate_per_year: 0.365}\n")
    spec = prepared(write_scenario, text).spec
    np.testing.assert_allclose(spec.waiting_death_rate_per_day, 0.001)
    np.testing.assert_allclose(spec.withdrawal_rate_per_day, 0.0)


def test_population_with_census(write_scenario, minimal: str) -> None:
    text = with_population(minimal) + POPULATION_PLAN.replace(
        "    occupancy: 0.5\n", "    census: [{home: h, general: 100, nursing: 150}]\n")
    run = prepared(write_scenario, text)
    assert run.spec.initial_residents.sum(axis=(0, 2)).tolist() == [100, 150, 0]
    calibration = run.tables["calibration"].set_index("quantity")
    assert calibration.loc["starting_residents", "value"] == 250
    assert calibration.loc["starting_residents", "source"] == "plan.starting_state.census"


# --------------------------------------------------------------------------------------------
# located errors
# --------------------------------------------------------------------------------------------
def test_every_problem_at_once_with_lines(write_scenario) -> None:
    text = """\
name: bad
plan:
  zones:
    - {name: a}
    - {name: b}
  care_homes:
    - {name: h1, zone: a, beds: {general: 10}}
    - {name: h2, zone: b, beds: {general: 8, nursing: 2}, count: 2}
  starting_state:
    occupancy: 0.5
    census:
      - {home: h22, general: 1}
      - {home: h2, nursing: 3}
simulation:
  start_date: 2021-01-01
  years: 3
  arrivals:
    per_day: {independent: -0.1, dependnt: 0.2}
    per_year: 3
    zone_shares: {a: 0.5, b: 0.6}
  stays: {distribution: exponential, mean_days: 100}
targets:
  - {id: ratio, metric: beds_per_1000_60plus, value: 40}
"""
    path = write_scenario(text)
    problems = problems_of(path)
    expected = [
        f"{path}:11:5: plan.starting_state.census: the census states the residents at the "
        "start: give it without occupancy",
        f"{path}:12:16: plan.starting_state.census[0].home: home 'h22' is not among "
        "plan.care_homes (did you mean \"h2\"?)",
        f"{path}:13:29: plan.starting_state.census[1].nursing: 3 residents in nursing beds but "
        "each of the 2 homes 'h2' has 2 nursing beds",
        f"{path}:18:28: simulation.arrivals.per_day.independent: Input should be greater than "
        "or equal to 0",
        f"{path}:18:44: simulation.arrivals.per_day.dependnt: Input should be 'independent'",
        f"{path}:19:5: simulation.arrivals.per_year: give per_day [applicants per day] or "
        "per_year [applicants per year], not both",
        f"{path}:20:18: simulation.arrivals.zone_shares: shares sum to 1.100; they must sum "
        "to 1",
        f"{path}:23:17: targets[0].metric: beds_per_1000_60plus counts beds per 1,000 persons "
        "aged 60+: the scenario has no population",
    ]
    for start in expected:
        assert any(problem.startswith(start) for problem in problems), (start, problems)
    assert len(problems) == len(expected), problems


def position(text: str, token: str) -> str:
    """``line:column`` of the first ``token`` in the simulation section of ``text``."""
    lines = text.splitlines()
    first = lines.index("simulation:")
    for number, line in enumerate(lines[first:], start=first + 1):
        if token in line:
            return f"{number}:{line.index(token) + 1}"
    raise AssertionError(f"{token!r} not in the simulation section")


BAD_SIMULATION = [
    # (arrivals line, extra simulation lines, field, where it points, message)
    ("  arrivals: {per_day: 1, per_year: 365}\n", "", "simulation.arrivals.per_year",
     "per_year", "give per_day [applicants per day] or per_year [applicants per year], not "
     "both"),
    ("  arrivals: {level: dependent}\n", "", "simulation.arrivals", "arrivals",
     "give per_day [applicants per day] or per_year [applicants per year]"),
    ("  arrivals: {per_day: {dependent: 1}, level: dementia}\n", "",
     "simulation.arrivals.level", "level", "per_day is given by level"),
    ("  arrivals: {per_day: 1, trend_per_year_per_year: 2}\n", "",
     "simulation.arrivals.trend_per_year_per_year", "trend_per_year_per_year",
     "with per_day give trend_per_day_per_day"),
    ("  arrivals: {per_year: 1, trend_per_day_per_day: 2}\n", "",
     "simulation.arrivals.trend_per_day_per_day", "trend_per_day_per_day",
     "with per_year give trend_per_year_per_year"),
    ("  arrivals: {per_day: 1, trend_per_day_per_day: -0.01}\n", "",
     "simulation.arrivals.trend_per_day_per_day", "-0.01",
     "the total rate would fall to -9.95 applicants per day by the end of the 3 simulated "
     "years"),
    ("  arrivals: {per_day: {dependent: 0}, trend_per_day_per_day: 0.01}\n", "",
     "simulation.arrivals.trend_per_day_per_day", "trend_per_day_per_day",
     "every rate in per_day is 0"),
    ("  arrivals: {per_day: {dependet: 1}}\n", "", "simulation.arrivals.per_day.dependet",
     "1}", "Input should be 'independent', 'partially_dependent', 'dependent' or 'dementia' "
     "(got 'dependet')"),
    ("  arrivals: {per_day: -1}\n", "", "simulation.arrivals.per_day", "-1",
     "Input should be greater than or equal to 0 (got -1)"),
    ("  arrivals: {per_year: .inf}\n", "", "simulation.arrivals.per_year", ".inf",
     "Input should be a finite number"),
    ("  arrivals: {per_day: 1, zone_shares: {a: 0.5, bb: 0.5}}\n", "",
     "simulation.arrivals.zone_shares.bb", "bb", "zone 'bb' is not a plan zone (did you mean "
     "\"b\"?); zones: a, b"),
    ("  arrivals: {per_day: 1, zone_shares: {a: 0.5, b: 0.4}}\n", "",
     "simulation.arrivals.zone_shares", "{a: 0.5", "shares sum to 0.900; they must sum to 1"),
    ("  arrivals: {per_day: 1, zone_shares: {a: 1.5}}\n", "",
     "simulation.arrivals.zone_shares.a", "1.5", "Input should be less than or equal to 1"),
    ("  arrivals: {per_day: 1}\n", "  stays: {distribution: gamma, mean_days: 3}\n",
     "simulation.stays", "stays", "a gamma distribution needs shape"),
    ("  arrivals: {per_day: 1}\n", "  stays: {distribution: lognormal, mean_days: 3}\n",
     "simulation.stays", "stays", "a lognormal distribution needs sigma"),
    ("  arrivals: {per_day: 1}\n",
     "  stays: {distribution: exponential, mean_days: 3, sigma: 1}\n",
     "simulation.stays.sigma", "sigma", "sigma is for distribution: lognormal; remove it"),
    ("  arrivals: {per_day: 1}\n",
     "  stays: {distribution: deterministic, mean_days: 3, shape: 1}\n",
     "simulation.stays.shape", "shape", "shape is for distribution: gamma; remove it"),
    ("  arrivals: {per_day: 1}\n",
     "  stays: {distribution: empirical, mean_days: 3, values_days: [1, 2]}\n",
     "simulation.stays.mean_days", "mean_days", "the mean is that of values_days"),
    ("  arrivals: {per_day: 1}\n", "  stays: {distribution: empirical}\n",
     "simulation.stays", "stays", "an empirical distribution draws from values_days"),
    ("  arrivals: {per_day: 1}\n", "  stays: {distribution: exponential}\n",
     "simulation.stays", "stays", "an exponential distribution needs mean_days"),
    ("  arrivals: {per_day: 1}\n", "  stays: {distribution: lognormal, mean_days: 3, "
     "sigma: 1, values_days: [3]}\n", "simulation.stays.values_days", "values_days",
     "values_days is for distribution: empirical"),
    ("  arrivals: {per_day: 1}\n", "  stays: {distribution: empirical, values_days: []}\n",
     "simulation.stays.values_days", "[]", "List should have at least 1 item"),
    ("  arrivals: {per_day: 1}\n", "  stays: {distribution: empirical, values_days: [3, "
     "-1]}\n", "simulation.stays.values_days[1]", "-1", "Input should be greater than 0"),
    ("  arrivals: {per_day: {independent: 1, dementia: 1}}\n",
     "  stays: {distribution: exponential, mean_days: {independent: 3}}\n",
     "simulation.stays.mean_days", "{independent: 3}", "no stay for dementia"),
    ("  arrivals: {per_day: 1}\n", "  stays: {distribution: exponential, mean_days: 0}\n",
     "simulation.stays.mean_days", "0}", "Input should be greater than 0"),
    ("  arrivals: {per_day: 1}\n", "  stays: {distribution: weibull, mean_days: 3}\n",
     "simulation.stays.distribution", "weibull", "Input should be 'exponential', "
     "'lognormal', 'gamma', 'deterministic' or 'empirical'"),
    ("  arrivals: {per_day: 1}\n", "  waiting_exits: {death_rate_per_day: 1, "
     "death_rate_per_year: 1}\n", "simulation.waiting_exits.death_rate_per_year",
     "death_rate_per_year", "give death_rate_per_day or death_rate_per_year, not both"),
    ("  arrivals: {per_day: 1}\n", "  waiting_exits: {withdrawal_rate_per_day: "
     "{independent: -2}}\n", "simulation.waiting_exits.withdrawal_rate_per_day.independent",
     "-2", "Input should be greater than or equal to 0"),
    ("  arrivals: {per_day: 1}\n", "  waiting_exits: {patience_days: 3}\n",
     "simulation.waiting_exits.patience_days", "patience_days", "unknown key 'patience_days'"),
    ("  arrivals: {per_day: 1}\n", "  priority_order: [care_need]\n",
     "simulation.priority_order", "[care_need]", "ranks applicants only with "
     "waiting_discipline: priority (it is fifo)"),
    ("  arrivals: {per_day: 1}\n", "  waiting_discipline: priority\n"
     "  priority_order: [care_need, care_need]\n", "simulation.priority_order",
     "[care_need,", "criteria must not repeat"),
    ("  arrivals: {per_day: 1}\n", "  priority_order: [income]\n",
     "simulation.priority_order[0]", "income", "Input should be 'care_need', 'low_income' or "
     "'age_80plus'"),
    ("  arrivals: {per_day: 1}\n", "  max_waiting: -3\n", "simulation.max_waiting", "-3",
     "Input should be greater than or equal to 0"),
    ("  arrivals: {per_day: 1}\n", "  placement: nearest\n", "simulation.placement",
     "nearest", "Input should be 'zone_then_type' or 'type_then_zone'"),
]


@pytest.mark.parametrize(("arrivals", "extra", "field", "token", "message"), BAD_SIMULATION)
def test_bad_simulation_input_is_located(write_scenario, arrivals: str, extra: str,
                                         field: str, token: str, message: str) -> None:
    text = BASE.replace("  stays: {distribution: exponential, mean_days: 100}\n", "") + (
        arrivals + extra)
    if "stays:" not in extra:
        text += "  stays: {distribution: exponential, mean_days: 100}\n"
    path = write_scenario(text)
    problems = problems_of(path)
    where = f"{path}:{position(text, token)}: {field}: "
    assert any(p.startswith(where) and message in p for p in problems), (where, problems)


def test_several_zones_without_shares_need_zone_shares(write_scenario) -> None:
    text = scenario_text().replace("{name: a, share_of_elderly: 0.4}", "{name: a}").replace(
        "{name: b, share_of_elderly: 0.6}", "{name: b}")
    path = write_scenario(text)
    problems = problems_of(path)
    assert problems == [f"{path}:{position(text, 'arrivals')}: simulation.arrivals: the plan "
                        "has 2 zones (a, b) without share_of_elderly: give zone_shares (share "
                        "of the applicants in each zone)"]
    fixed = text.replace("  arrivals: {per_day: 0.5}", "  arrivals: {per_day: 0.5, "
                         "zone_shares: {a: 1}}")
    spec = prepare_run(load_scenario(write_scenario(fixed))).spec
    np.testing.assert_allclose(spec.arrival_rate_per_day[:, :, 0], [[0.5, 0]] * 3)


def test_census_is_exclusive_with_observed(write_scenario, minimal: str) -> None:
    text = with_population(minimal) + POPULATION_PLAN.replace("    occupancy: 0.5\n", """\
    census: [{home: h, general: 10}]
    observed:
      residents: {date: 2020-12-31, source: test, total: 10}
""")
    path = write_scenario(text)
    problems = problems_of(path)
    assert any("plan.starting_state.census: the census states the residents at the start: "
               "give it without observed" in p for p in problems), problems


def test_observed_start_is_refused_with_arrivals(write_scenario, minimal: str) -> None:
    text = with_population(minimal) + POPULATION_PLAN.replace("    occupancy: 0.5\n", """\
    observed:
      residents: {date: 2020-12-31, source: test, total: 10}
""") + "  arrivals: {per_day: 1}\n"
    path = write_scenario(text)
    problems = problems_of(path)
    assert len(problems) == 1
    assert "plan.starting_state.observed: observed residents calibrate the care-need model's " \
           "application rate, which simulation.arrivals replaces" in problems[0]


def test_arrivals_without_stays_need_a_population(write_scenario) -> None:
    text = BASE.replace("  stays: {distribution: exponential, mean_days: 100}\n", "") + (
        "  arrivals: {per_day: 1}\n")
    path = write_scenario(text)
    assert problems_of(path) == [
        f"{path}:1:1: population: required field is missing (a scenario may leave it out only "
        "when simulation.arrivals and simulation.stays give the demand and the lengths of "
        "stay; simulation.stays is not given)"]


@pytest.mark.parametrize(("section", "line", "column", "field", "message"), [
    ("registered_population: {basis: registered}\n", 1, 1, "registered_population",
     "a second population basis needs the first"),
    ("need: {}\n", 1, 1, "need", "the care-need model turns a population into applicants"),
    ("services: {}\n", 1, 1, "services", "day-care and meal demand comes from the "
     "population's elders"),
    ("observed:\n  - {year: 2020, basis: resident, metric: total, value: 5, source: x}\n",
     2, 5, "observed[0]", "observed figures are compared with the population projection"),
    ("targets:\n  - {id: t, metric: beds, value: 5, basis: registered}\n", 2, 37,
     "targets[0].basis", "the basis says whose elders a ratio counts"),
])
def test_population_parts_without_a_population(write_scenario, section: str, line: int,
                                               column: int, field: str, message: str) -> None:
    text = scenario_text()
    path = write_scenario(text + section)
    problems = problems_of(path)
    where = f"{path}:{len(text.splitlines()) + line}:{column}: {field}: "
    assert any(p.startswith(where) and message in p for p in problems), (where, problems)


def test_observed_start_without_a_population(write_scenario) -> None:
    text = scenario_text().replace("    occupancy: 0.5\n", """\
    observed:
      residents: {date: 2020-12-31, source: test, total: 10}
""")
    path = write_scenario(text)
    problems = problems_of(path)
    assert problems == [f"{path}:10:5: plan.starting_state.observed: observed residents "
                        "calibrate the care-need model: the scenario has no population (demand "
                        "from simulation.arrivals); state the start with occupancy or census"]
