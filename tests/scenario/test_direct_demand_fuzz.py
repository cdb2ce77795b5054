"""Fuzzing the simulation fields of scenario files (arrivals, stays, waiting exits, waiting
rules, census): no input ends in a traceback, and whatever validates also runs.

The field names of :mod:`carefacility.beds.simulation_spec` (``simulation.arrivals``, ``stays``,
``waiting_exits``, ``max_waiting``, ``priority_order``, ``placement`` and
``plan.starting_state.census``) are drawn with valid and invalid values alike.
"""

from __future__ import annotations

from pathlib import Path

import yaml
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from carefacility.runner.prepare import prepare_run
from carefacility.runner.replicate import replicate
from carefacility.scenario.loader import load_scenario, validate_scenario

FUZZ = settings(max_examples=120, deadline=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture])

LEVELS = ["independent", "partially_dependent", "dependent", "dementia", "dependnt"]
bad = st.sampled_from([None, "x", -1, [], {}, True, float("nan"), float("inf")])
rate = st.one_of(st.sampled_from([0, 0.02, 0.3, 1.5]), bad)
by_level = st.one_of(rate, st.dictionaries(st.sampled_from(LEVELS), rate, max_size=3))
trend = st.one_of(st.sampled_from([0, 0.0005, -0.0005, -0.01, 0.5, -50]), bad)
stay = st.one_of(st.sampled_from([1, 20, 400]), bad)

arrivals = st.fixed_dictionaries({}, optional={
    "per_day": by_level, "per_year": by_level, "level": st.sampled_from([*LEVELS, 3]),
    "trend_per_day_per_day": trend, "trend_per_year_per_year": trend,
    "zone_shares": st.one_of(st.dictionaries(st.sampled_from(["a", "b", "c"]),
                                             st.sampled_from([0, 0.25, 0.5, 0.75, 1, 2]),
                                             max_size=3), bad),
    "surge": st.just(1)})
stays = st.fixed_dictionaries({}, optional={
    "distribution": st.sampled_from(["exponential", "lognormal", "gamma", "deterministic",
                                     "empirical", "weibull"]),
    "mean_days": st.one_of(stay, st.dictionaries(st.sampled_from(LEVELS), stay, max_size=3)),
    "sigma": st.one_of(st.sampled_from([0, 0.5, 2]), bad),
    "shape": st.one_of(st.sampled_from([0.5, 1, 3]), bad),
    "values_days": st.one_of(st.lists(stay, max_size=4),
                             st.dictionaries(st.sampled_from(LEVELS),
                                             st.lists(stay, max_size=3), max_size=3), bad)})
exits = st.fixed_dictionaries({}, optional={
    name: by_level for name in ("withdrawal_rate_per_day", "withdrawal_rate_per_year",
                                "death_rate_per_day", "death_rate_per_year", "patience")})
census = st.lists(st.fixed_dictionaries(
    {"home": st.sampled_from(["h", "g", "hh"])},
    optional={"general": st.sampled_from([0, 2, 9, -1]), "nursing": st.sampled_from([0, 1, 5]),
              "dementia": st.sampled_from([0, 1])}), max_size=3)
simulation = st.fixed_dictionaries({}, optional={
    "arrivals": st.one_of(arrivals, bad), "stays": st.one_of(stays, bad),
    "waiting_exits": st.one_of(exits, bad),
    "max_waiting": st.sampled_from([0, 3, -1, None, "many"]),
    "priority_order": st.one_of(st.lists(st.sampled_from(
        ["care_need", "low_income", "age_80plus", "income"]), max_size=4), bad),
    "placement": st.sampled_from(["zone_then_type", "type_then_zone", "nearest"]),
    "waiting_discipline": st.sampled_from(["fifo", "priority", "longest_wait"])})
starting_state = st.fixed_dictionaries({}, optional={
    "occupancy": st.sampled_from([0, 0.5, 1, 2]), "census": st.one_of(census, bad),
    "resident_levels": st.sampled_from([{"dependent": 1.0}, {"independent": 0.5,
                                                             "dementia": 0.5}]),
    "waiting_list_persons": st.sampled_from([0, 3])})


def _document(simulation_extra: dict, state: dict, zones: bool) -> dict:
    plan: dict = {"care_homes": [
        {"name": "h", "zone": "a" if zones else "all",
         "beds": {"general": 4, "nursing": 2, "dementia": 1}},
        {"name": "g", "zone": "b" if zones else "all", "beds": {"general": 3}, "count": 2}],
        "starting_state": state}
    if zones:
        plan["zones"] = [{"name": "a", "share_of_elderly": 0.5},
                         {"name": "b", "share_of_elderly": 0.5}]
    return {"name": "fuzz", "plan": plan,
            "simulation": {"start_date": "2021-01-01", "years": 2, "replications": 1,
                           "alternative_rule_replications": 0, **simulation_extra}}


@FUZZ
@given(extra=simulation, state=starting_state, zones=st.booleans())
def test_simulation_fields_never_crash_and_valid_files_run(scenario_dir: Path, extra: dict,
                                                           state: dict, zones: bool) -> None:
    path = scenario_dir / "fuzz.yaml"
    path.write_text(yaml.safe_dump(_document(extra, state, zones), allow_unicode=True),
                    encoding="utf-8")
    scenario, problems = validate_scenario(path)
    assert (scenario is None) == bool(problems)
    for problem in problems:
        assert problem.file and problem.line > 0 and problem.message
    event("valid" if scenario is not None else "invalid")
    if scenario is not None:
        frame = replicate(prepare_run(load_scenario(path)), seed=1, replication=0)
        assert set(frame.year) == {2021, 2022}


@st.composite
def valid_simulation(draw: st.DrawFn) -> dict:
    """Simulation fields that are each valid (combinations may still be refused, e.g. a stay
    missing for a level that arrives)."""
    unit = draw(st.sampled_from(["per_day", "per_year"]))
    scale = 365 if unit == "per_year" else 1
    levels = LEVELS[:4]
    if draw(st.booleans()):
        given_rate: object = draw(st.sampled_from([0.0, 0.05, 0.4])) * scale
        arrivals: dict = {unit: given_rate}
        if draw(st.booleans()):
            arrivals["level"] = draw(st.sampled_from(levels))
    else:
        arrivals = {unit: {level: draw(st.sampled_from([0.0, 0.1, 0.3])) * scale
                           for level in draw(st.sets(st.sampled_from(levels), min_size=1))}}
    if draw(st.booleans()):
        arrivals[f"trend_{unit}_{unit}"] = draw(st.sampled_from([0.0, 1e-4, -1e-5])) * scale**2
    kind = draw(st.sampled_from(["exponential", "lognormal", "gamma", "deterministic",
                                 "empirical"]))
    stays: dict = {"distribution": kind}
    if kind == "empirical":
        stays["values_days"] = draw(st.lists(st.sampled_from([1, 5, 30, 200]), min_size=1,
                                             max_size=4))
    else:
        stays["mean_days"] = draw(st.one_of(
            st.sampled_from([5, 60]),
            st.fixed_dictionaries({level: st.sampled_from([5, 60]) for level in levels})))
    if kind == "lognormal":
        stays["sigma"] = draw(st.sampled_from([0.0, 0.8]))
    if kind == "gamma":
        stays["shape"] = draw(st.sampled_from([0.5, 2.0]))
    extra: dict = {"arrivals": arrivals, "stays": stays,
                   "placement": draw(st.sampled_from(["zone_then_type", "type_then_zone"])),
                   "waiting_discipline": draw(st.sampled_from(["fifo", "priority",
                                                               "longest_wait"]))}
    if extra["waiting_discipline"] == "priority" and draw(st.booleans()):
        extra["priority_order"] = draw(st.permutations(
            ["care_need", "low_income", "age_80plus"]))[:draw(st.integers(1, 3))]
    if draw(st.booleans()):
        extra["max_waiting"] = draw(st.sampled_from([0, 2, 50]))
    if draw(st.booleans()):
        extra["waiting_exits"] = {draw(st.sampled_from(
            ["withdrawal_rate_per_day", "death_rate_per_year"])): draw(st.sampled_from(
                [0.0, 0.01, 3.0]))}
    return extra


@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(extra=valid_simulation(), census_general=st.integers(0, 4),
       waiting=st.sampled_from([0, 3]), zones=st.booleans())
def test_valid_simulation_fields_run(scenario_dir: Path, extra: dict, census_general: int,
                                     waiting: int, zones: bool) -> None:
    state = {"census": [{"home": "h", "general": census_general, "dementia": 1}],
             "waiting_list_persons": waiting}
    path = scenario_dir / "valid.yaml"
    path.write_text(yaml.safe_dump(_document(extra, state, zones), allow_unicode=True),
                    encoding="utf-8")
    scenario, problems = validate_scenario(path)
    event("valid" if scenario is not None else "refused")
    for problem in problems:  # the only combinations refused
        assert problem.line > 0 and any(reason in problem.message for reason in (
            "no stay for", "a rate cannot be negative", "cannot be split")), problem
    if scenario is not None:
        prepared = prepare_run(scenario)
        assert prepared.spec.initial_residents.sum() == census_general + 1
        frame = replicate(prepared, seed=1, replication=0)
        assert set(frame.year) == {2021, 2022}
