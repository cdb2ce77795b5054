"""`validate` shows every independent problem in its first round, with no knock-on message:
a planner writing a new district fixes them all at once."""

from __future__ import annotations

from pathlib import Path

import pytest

from carefacility.scenario.loader import validate_scenario
from carefacility.scenario.template import TemplateOptions, write_template

# (text in the template, its broken form, the field the problem names)
PROBLEMS = [
    ("horizon_year: 2035", "horizon_year: 2035x", "population.horizon_year"),
    ("improvement_rate_per_year: 0.0", "improvement_rate_per_year: abc",
     "population.mortality.improvement_rate_per_year"),
    ("share_of_elderly: 0.5000}", "share_of_elderly: 0.6}", "plan.zones"),
    ("dementia: 0}", "dementia: -1}", "plan.care_homes[0].beds.dementia"),
    ("replications: 20", "replications: -5", "simulation.replications"),
    ("seed: 20240101", "seed: 20240101\n  waiting_disciplne: fifo",
     "simulation.waiting_disciplne"),
    ("uptake: 0.0055", "uptake: 5", "services.day_centres.demand.uptake"),
    ('zone: "东", capacity_per_day: 30', 'zone: "北", capacity_per_day: 30',
     "services.day_centres.sites[0].zone"),
    ("metric: nursing_share", "metric: nursing_shares", "targets[0].metric"),
    ("value: 0.95", "value: high", "targets[1].value"),
]


@pytest.fixture()
def template(tmp_path: Path) -> Path:
    return write_template(tmp_path / "district", TemplateOptions(
        name="测试区", total_population=300_000, share_60plus=0.25, zones=("东", "西")))[0]


def _broken(template: Path, chosen: list[int]) -> Path:
    text = template.read_text(encoding="utf-8")
    for index in chosen:
        good, bad, _ = PROBLEMS[index]
        assert good in text, good
        text = text.replace(good, bad, 1)
    path = template.with_name("broken.yaml")
    path.write_text(text, encoding="utf-8")
    return path


def test_every_independent_problem_in_one_round(template: Path) -> None:
    scenario, problems = validate_scenario(_broken(template, list(range(len(PROBLEMS)))))
    assert scenario is None
    assert sorted(problem.field for problem in problems) == sorted(
        field for _, _, field in PROBLEMS)


@pytest.mark.parametrize("chosen", [[2, 7], [2, 7, 4], [8, 4], [7, 0], [2, 3], [2, 0],
                                    [8], [2]])
def test_each_subset_reports_exactly_its_problems(template: Path, chosen: list[int]) -> None:
    _, problems = validate_scenario(_broken(template, chosen))
    assert sorted(problem.field for problem in problems) == sorted(
        PROBLEMS[index][2] for index in chosen)
    for problem in problems:
        assert "add `plan` and `simulation`" not in problem.message
