"""The need section: a complete default, and bad input refused naming the field."""

from __future__ import annotations

from pathlib import Path

import pydantic
import pytest

from carefacility.need.defaults import DEFAULT_AGE_GROUPS
from carefacility.need.levels import LEVELS
from carefacility.need.spec import (
    NeedSpec,
    check_need_spec,
    default_need_spec,
    need_problems,
    resolve_need_tables,
)


def test_default_spec_is_valid_and_complete() -> None:
    spec = default_need_spec()
    assert need_problems(spec) == []
    assert spec.prevalence.age_groups == list(DEFAULT_AGE_GROUPS)
    assert spec.definition == "census_self_care"
    assert tuple(spec.mortality_relative_risk.model_dump()) == LEVELS


def test_negative_rate_is_refused_naming_the_field() -> None:
    with pytest.raises(ValueError, match=r"bed_application_rate_per_year\.dependent"):
        NeedSpec(bed_application_rate_per_year={"dependent": -0.1})
    with pytest.raises(ValueError, match=r"transitions\.rates\.0\.rate_per_year"):
        NeedSpec(transitions={"method": "rates_only", "rates": [
            {"from_level": "dependent", "to_level": "independent", "rate_per_year": -1}]})


def test_probability_above_one_is_refused_naming_the_field() -> None:
    with pytest.raises(ValueError, match="low_income_share"):
        NeedSpec(low_income_share=1.5)
    table = default_need_spec().prevalence.model_dump()
    table["female"]["dementia"][2] = 1.2
    with pytest.raises(ValueError, match=r"prevalence\.female\.dementia\.2"):
        NeedSpec(prevalence=table)


def test_levels_summing_above_one_are_refused_naming_the_field() -> None:
    table = default_need_spec().prevalence.model_dump()
    table["male"]["partially_dependent"][3] = 0.7
    table["male"]["dementia"][3] = 0.4
    spec = NeedSpec(prevalence=table)
    problems = need_problems(spec)
    assert [p.path for p in problems] == [("prevalence", "male", "dependent", 3)]
    with pytest.raises(ValueError, match=r"need\.prevalence\.male\.dependent\[3\]: .* at most 1"):
        check_need_spec(spec)


def test_structural_problems_are_all_listed() -> None:
    spec = NeedSpec(
        prevalence={"age_groups": ["60-69", "75+"],
                    "male": {"partially_dependent": [0.1, 0.2], "dependent": [0.01, 0.02],
                             "dementia": [0.01]},
                    "female": {"partially_dependent": [0.1, 0.2], "dependent": [0.01, 0.02],
                               "dementia": [0.01, 0.1]}},
        transitions={"rates": [
            {"from_level": "independent", "to_level": "dependent", "rate_per_year": 0.1},
            {"from_level": "partially_dependent", "to_level": "independent",
             "age_group": "60+", "rate_per_year": 0.1},
            {"from_level": "partially_dependent", "to_level": "independent",
             "age_group": "80-84", "sex": "male", "rate_per_year": 0.1},
            {"from_level": "independent", "to_level": "dementia", "rate_per_year": 0.1}]})
    messages = [str(problem) for problem in need_problems(spec)]
    assert any("contiguous" in m and "age_groups[1]" in m for m in messages)
    assert any("male.dementia" in m and "2 age groups" in m for m in messages)
    assert any("rates[2].age_group" in m and "overlap" in m for m in messages)
    assert any("rates[3].to_level" in m and "solved" in m for m in messages)
    assert not any("rates[0]" in m for m in messages)  # independent → dependent may be fixed


def test_unknown_key_is_refused() -> None:
    with pytest.raises(pydantic.ValidationError, match="extra"):
        NeedSpec(prevalance={})


def test_csv_tables_are_read_relative_to_the_scenario(tmp_path: Path) -> None:
    (tmp_path / "prev.csv").write_text(
        "# made-up test figures\nage_group,sex,partially_dependent,dependent,dementia\n"
        "60-79,male,0.1,0.02,0.03\n60-79,female,0.1,0.02,0.04\n"
        "80+,male,0.3,0.1,0.2\n80+,female,0.3,0.1,0.25\n", encoding="utf-8")
    (tmp_path / "rates.csv").write_text(
        "from_level,to_level,age_group,sex,rate_per_year\n"
        "dependent,partially_dependent,60+,both,0.2\n", encoding="utf-8")
    spec = NeedSpec(prevalence_csv="prev.csv", transitions={"rates_csv": "rates.csv"})
    resolved, problems = resolve_need_tables(spec, tmp_path)
    assert problems == []
    assert resolved.prevalence.age_groups == ["60-79", "80+"]
    assert resolved.prevalence.female.dementia == [0.04, 0.25]
    assert resolved.prevalence_csv is None
    assert [r.rate_per_year for r in resolved.transitions.rates] == [0.2]
    assert need_problems(resolved) == []


def test_csv_problems_are_located(tmp_path: Path) -> None:
    (tmp_path / "prev.csv").write_text(
        "age_group,sex,partially_dependent,dependent,dementia\n"
        "60+,male,0.1,1.5,0.03\n60+,female,0.1,0.02,0.04\n", encoding="utf-8")
    _, problems = resolve_need_tables(NeedSpec(prevalence_csv="prev.csv"), tmp_path)
    assert len(problems) == 1
    assert (problems[0].line, problems[0].field) == (2, "dependent")
    assert "above the maximum 1" in problems[0].message
