"""Scenario loading: valid files load, every kind of bad input gives a located message."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from carefacility.base.errors import ScenarioError
from carefacility.scenario.loader import json_schema, load_scenario, validate_scenario


@pytest.mark.parametrize("name", ["jiading", "xicheng", "china"])
def test_example_scenarios_load(scenarios: Path, name: str) -> None:
    scenario = load_scenario(scenarios / f"{name}.yaml")
    base = scenario.population.base_population
    assert base.values.shape[1] == 2
    assert np.all(base.values > 0)


def test_jiading_base_population_is_the_census_count(scenarios: Path) -> None:
    # 7th census, Jiading (310114): the CSV rows sum to the published district total
    scenario = load_scenario(scenarios / "jiading.yaml")
    assert scenario.population.base_population.values.sum() == 1_834_258


def test_minimal_scenario_loads(write_scenario, minimal: str) -> None:
    scenario = load_scenario(write_scenario(minimal))
    assert scenario.population.zones == ("all",)
    assert scenario.population.tfr is not None
    assert scenario.population.tfr.at(2025.0) == pytest.approx(1.1)


def problems_of(path: Path) -> list[str]:
    scenario, problems = validate_scenario(path)
    assert scenario is None
    return [str(p) for p in problems]


def one_problem(path: Path) -> str:
    problems = problems_of(path)
    assert len(problems) == 1, problems
    return problems[0]


def test_unknown_key_suggests_the_right_one(write_scenario, minimal: str) -> None:
    path = write_scenario(minimal.replace("horizon_year:", "horizon_yaer:"))
    unknown, missing = sorted(problems_of(path), key=lambda p: "unknown key" not in p)
    assert unknown.startswith(f"{path}:5:3: population.horizon_yaer: unknown key")
    assert 'did you mean "horizon_year"' in unknown
    # the required field it replaced is reported too, at the section's key
    assert missing == f"{path}:2:1: population.horizon_year: required field is missing"


def test_missing_sex_is_located(write_scenario, minimal: str) -> None:
    text = minimal.replace("      female: [950, 2900, 850, 160]\n", "")
    message = one_problem(write_scenario(text))
    # located at the mapping that lacks it
    assert ":7:5: population.base_population.inline.female: required field is missing" in message


def test_negative_count_is_located(write_scenario, minimal: str) -> None:
    text = minimal.replace("male: [1000, 3000, 800, 100]", "male: [1000, -3000, 800, 100]")
    message = one_problem(write_scenario(text))
    assert ":9:20: population.base_population.inline.male[1]:" in message
    assert "-3000 is outside the allowed range 0" in message


@pytest.mark.parametrize(
    ("groups", "expected"),
    [
        ('["0-14", "20-59", "60-79", "80+"]', "gap"),
        ('["0-14", "10-59", "60-79", "80+"]', "overlap"),
        ('["0-14", "15-59", "80+", "60-79"]', "not last"),
        ('["5-14", "15-59", "60-79", "80+"]', "starts at age 5, not 0"),
        ('["0-14", "15-59", "60-79", "80-84"]', "must be open"),
        ('["0-14", "15-59", "sixty", "80+"]', "not understood"),
    ],
)
def test_bad_age_groups(write_scenario, minimal: str, groups: str, expected: str) -> None:
    text = minimal.replace('["0-14", "15-59", "60-79", "80+"]', groups)
    problems = problems_of(write_scenario(text))
    assert all(":8:19: population.base_population.inline.age_groups: " in p for p in problems)
    assert any(expected in p for p in problems)


def test_probability_above_one(write_scenario, minimal: str, scenario_dir: Path) -> None:
    (scenario_dir / "qx.csv").write_text(
        "# test table\nage_group,male,female\n0-59,0.2,0.1\n60-79,1.2,0.4\n80+,1,1\n",
        encoding="utf-8",
    )
    text = minimal.replace("measure: nMx", "measure: qx").replace(
        "data/china_wpp2024_nmx.csv", "qx.csv"
    )
    message = one_problem(write_scenario(text))
    assert message.startswith(f"{scenario_dir / 'qx.csv'}:4:7: male: 1.2 is above the maximum 1")


def test_years_out_of_order(write_scenario, minimal: str) -> None:
    text = minimal.replace("tfr: 1.1", "tfr: {2030: 1.2, 2025: 1.1}")
    message = one_problem(write_scenario(text))
    assert "population.fertility.tfr[2025]: years out of order: 2025 after 2030" in message


def test_periods_out_of_order(write_scenario, minimal: str, scenario_dir: Path) -> None:
    rows = "\n".join(
        f"{period},{group},0.01,0.01"
        for period in ("2025-2030", "2020-2025")
        for group in ("0-59", "60+")
    )
    (scenario_dir / "mx.csv").write_text(f"period,age_group,male,female\n{rows}\n",
                                         encoding="utf-8")
    message = one_problem(write_scenario(minimal.replace("data/china_wpp2024_nmx.csv", "mx.csv")))
    assert "periods out of order" in message


def test_csv_path_that_does_not_exist(write_scenario, minimal: str) -> None:
    path = write_scenario(minimal.replace("data/china_wpp2024_nmx.csv", "data/missing.csv"))
    message = one_problem(path)
    assert message.startswith(f"{path}:13:10: population.mortality.csv: CSV file")
    assert "not found" in message


def test_csv_with_unknown_column(write_scenario, minimal: str, scenario_dir: Path) -> None:
    (scenario_dir / "mx.csv").write_text(
        "age_group,male,femal\n0-59,0.01,0.01\n60+,abc,0.1\n", encoding="utf-8"
    )
    problems = problems_of(write_scenario(minimal.replace("data/china_wpp2024_nmx.csv",
                                                          "mx.csv")))
    assert any("unknown column 'femal' (did you mean \"female\"?)" in p for p in problems)
    assert any("required column 'female' is missing" in p for p in problems)


def test_malformed_yaml(write_scenario, minimal: str) -> None:
    path = write_scenario(minimal.replace("basis: resident", "basis: [resident"))
    message = one_problem(path)
    assert message.startswith(f"{path}:")
    assert "malformed YAML" in message


def test_huge_file_is_refused(write_scenario, minimal: str) -> None:
    path = write_scenario(minimal + "# " + "x" * 2_100_000 + "\n")
    assert "at most 2,000,000 are accepted" in one_problem(path)


def test_deep_nesting_is_refused(write_scenario, minimal: str) -> None:
    path = write_scenario(minimal + "deep: " + "[" * 5000 + "]" * 5000 + "\n")
    assert "nesting deeper than" in one_problem(path)


def test_aliases_are_refused(write_scenario, minimal: str) -> None:
    path = write_scenario(minimal + "a: &x [1, 2]\nb: *x\n")
    assert "anchors and aliases" in one_problem(path)


def test_duplicate_key(write_scenario, minimal: str) -> None:
    path = write_scenario(minimal.replace("horizon_year: 2030", "horizon_year: 2030\n"
                                                                "  horizon_year: 2040"))
    problems = problems_of(path)
    assert any("duplicate key 'horizon_year'" in p for p in problems)


def test_every_problem_is_reported_at_once(write_scenario, minimal: str) -> None:
    text = (minimal.replace("basis: resident", "basis: registred")
            .replace("tfr: 1.1", "tfr: 11")
            .replace("1.1\n", "1.1\nextra_key: 1\n"))
    problems = problems_of(write_scenario(text))
    fields = {p.split(": ")[1] for p in problems}
    assert {"population.basis", "population.fertility.tfr", "extra_key"} <= fields


def test_load_scenario_raises_with_report(write_scenario, minimal: str) -> None:
    path = write_scenario(minimal.replace("basis: resident", "basis: both"))
    with pytest.raises(ScenarioError) as caught:
        load_scenario(path)
    assert "1 problem found; nothing was written." in str(caught.value)


def test_json_schema_describes_fields() -> None:
    schema = json.loads(json_schema())
    population = schema["$defs"]["PopulationSpec"]["properties"]
    assert "registered" in population["basis"]["description"]
    assert schema["additionalProperties"] is False


def test_csv_bad_numbers_are_located(write_scenario, minimal: str, scenario_dir: Path) -> None:
    (scenario_dir / "mx.csv").write_text(
        "# rates\nage_group,male,female\n0-59,0.01,\n60+,abc,0.1\n", encoding="utf-8"
    )
    problems = problems_of(write_scenario(minimal.replace("data/china_wpp2024_nmx.csv",
                                                          "mx.csv")))
    shown = scenario_dir / "mx.csv"
    assert f"{shown}:3:11: female: empty cell; a number is required" in problems
    assert f"{shown}:4:5: male: 'abc' is not a number" in problems


def test_fertility_groups_must_be_five_years(write_scenario, minimal: str) -> None:
    text = minimal.replace('["15-19", "20-24", "25-29", "30-34", "35-39", "40-44", "45-49"]',
                           '["15-24", "25-29", "30-34", "35-39", "40-44", "45-49", "50-54"]')
    message = one_problem(write_scenario(text))
    assert "population.fertility.age_pattern.age_groups: fertility is given by 5-year" in message
