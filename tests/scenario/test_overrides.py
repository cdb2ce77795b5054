"""``--set PATH=VALUE``: overrides change the scenario before it is validated, and their
problems are located at the argument."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from carefacility.base.errors import ScenarioError
from carefacility.cli import main
from carefacility.scenario.loader import load_scenario, validate_scenario
from carefacility.scenario.overrides import (
    ItemName,
    override_label,
    parse_override,
    parse_overrides,
)

REPO = Path(__file__).resolve().parents[2]
ERLANG_C = REPO / "scenarios" / "textbook" / "erlang_c.yaml"
JIADING = REPO / "scenarios" / "jiading.yaml"


def test_paths_keys_indices_and_names() -> None:
    override = parse_override("plan.care_homes[home_a].beds.nursing=300")
    assert override.path == ("plan", "care_homes", ItemName("home_a"), "beds", "nursing")
    assert isinstance(override.path[2], ItemName) and override.value == 300
    assert parse_override("plan.care_homes.0.beds=1").path[2] == 0
    assert parse_override("plan.care_homes[2].beds=1").path[2] == 2
    assert parse_override("a.b=[1, 2]").value == [1, 2]
    assert parse_override("a.b={general: 10}").value == {"general": 10}
    assert parse_override("a.b=0.9").value == 0.9
    assert parse_override("a.b=text with = sign").value == "text with = sign"


@pytest.mark.parametrize(("text", "message"), [
    ("noequals", "no '='"),
    ("=3", "no field before '='"),
    ("a..b=1", "empty key"),
    ("[0]=1", "must start with a section name"),
    ("a.b[0=1", "unclosed '['"),
    ("a.b[]=1", "empty brackets"),
    ("a.b=007", "leading zero"),
    ("a.b=.inf", "finite number"),
])
def test_malformed_overrides_are_located_at_the_argument(text: str, message: str) -> None:
    with pytest.raises(ScenarioError) as raised:
        parse_override(text)
    [problem] = raised.value.problems
    assert problem.file == f"--set {text}" and message in problem.message


def test_every_malformed_override_is_reported_at_once() -> None:
    with pytest.raises(ScenarioError) as raised:
        parse_overrides(["x", "a..b=1", "simulation.seed=3"])
    assert {problem.file for problem in raised.value.problems} == {"--set x", "--set a..b=1"}


def test_an_override_changes_the_scenario_and_is_kept() -> None:
    base = load_scenario(ERLANG_C)
    changed = load_scenario(ERLANG_C, ["simulation.replications=7",
                                       "plan.care_homes[home].beds.general=800",
                                       "targets[within_30].value=0.9"])
    assert base.spec.simulation.replications == 40
    assert changed.spec.simulation.replications == 7
    assert changed.plan.initial_capacity.sum() == 800
    assert changed.spec.targets[0].value == 0.9
    assert changed.overrides == ("simulation.replications=7",
                                 "plan.care_homes[home].beds.general=800",
                                 "targets[within_30].value=0.9")
    # the same change by index, and the last override of a field wins
    by_index = load_scenario(ERLANG_C, ["plan.care_homes.0.beds.general=900",
                                        "plan.care_homes[0].beds.general=800"])
    assert by_index.plan.initial_capacity.sum() == 800


def test_an_override_adds_a_field_the_file_omits() -> None:
    scenario = load_scenario(ERLANG_C, ["simulation.max_waiting=50"])
    assert scenario.spec.simulation.max_waiting == 50


@pytest.mark.parametrize(("override", "field", "message"), [
    ("plan.care_homes[0].beds.genral=7000", "plan.care_homes[0].beds.genral",
     'did you mean "general"'),
    ("simulation.replications=many", "simulation.replications", "valid integer"),
    ("simulation.warmup_days=-3", "simulation.warmup_days", "greater than or equal to 0"),
    ("plan.care_homes[nowhere].beds.general=1", "plan.care_homes[nowhere].beds.general",
     "no item named 'nowhere'; the items are named home"),
    ("plan.care_homes[4].beds.general=1", "plan.care_homes[4].beds.general",
     "index 4 is past the end of the list"),
    ("simulation.seed.x=1", "simulation.seed.x", "is a single value"),
    ("plan.care_homes.name=x", "plan.care_homes.name", "is a list"),
    ("simulation[0]=1", "simulation[0]", "is a mapping, not a list"),
    ("nonsense_section.x=1", "nonsense_section", "unknown key 'nonsense_section'"),
])
def test_a_bad_override_is_located_at_its_argument(override: str, field: str,
                                                   message: str) -> None:
    scenario, problems = validate_scenario(ERLANG_C, [override])
    assert scenario is None
    [problem] = problems
    assert (problem.file, problem.line, problem.field) == (f"--set {override}", 0, field)
    assert message in problem.message


def test_overrides_and_file_problems_are_reported_together(tmp_path: Path) -> None:
    broken = tmp_path / "broken.yaml"
    broken.write_text(ERLANG_C.read_text().replace("years: 10", "years: ten"))
    _, problems = validate_scenario(broken, ["simulation.seed=-1", "bad"])
    assert {problem.file for problem in problems} == {
        str(broken), "--set simulation.seed=-1", "--set bad"}


def test_override_label_is_short_and_stable() -> None:
    assert override_label(["plan.care_homes[home_a].beds.nursing=300",
                           "simulation.seed=3"]) == "beds.nursing=300, simulation.seed=3"
    assert override_label([]) == ""


def test_cli_run_with_set_records_the_overrides(tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = CliRunner().invoke(main, [
        "run", str(ERLANG_C), "--out", str(out), "--executor", "serial", "-q",
        "--set", "simulation.replications=2", "--set", "simulation.years=2"])
    assert result.exit_code == 0, result.output
    metadata = json.loads((out / "run_metadata.json").read_text())
    assert metadata["overrides"] == ["simulation.replications=2", "simulation.years=2"]
    assert metadata["replications"] == 2 and metadata["years"] == 2


def test_cli_bad_set_is_exit_2_with_nothing_written(tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = CliRunner().invoke(main, ["run", str(ERLANG_C), "--out", str(out),
                                       "--set", "simulation.replicatons=2", "--set", "x"])
    assert result.exit_code == 2
    assert "--set simulation.replicatons=2: simulation.replicatons: unknown key" in \
        result.output
    assert 'did you mean "replications"' in result.output
    assert "--set x: (override): no '='" in result.output
    assert "Traceback" not in result.output and not out.exists()


def test_validate_takes_set() -> None:
    result = CliRunner().invoke(main, ["validate", str(JIADING), "--set",
                                       "plan.care_homes[jiading_homes].beds.nursing=3000"])
    assert result.exit_code == 0, result.output


_PARTS = st.sampled_from(["plan", "simulation", "care_homes", "beds", "general", "[0]", "[9]",
                          "[home]", "[", "]", ".", "..", "seed", "years", "=", "x", "0",
                          "targets", "[within_30]", "value", " "])
_VALUES = st.sampled_from(["1", "-1", "0.5", "[1, 2]", "{a: 1}", "text", "", "007", ".nan",
                           "{", "'", "1e400", "yes", "2021-01-01", ": :"])


@settings(max_examples=150, deadline=None)
@given(path=st.lists(_PARTS, min_size=0, max_size=6), value=_VALUES,
       equals=st.booleans())
def test_fuzzed_overrides_give_a_scenario_or_located_problems(path: list[str], value: str,
                                                              equals: bool) -> None:
    text = "".join(path) + ("=" + value if equals else value)
    scenario, problems = validate_scenario(ERLANG_C, [text])
    assert (scenario is None) == bool(problems)
    for problem in problems:
        assert problem.message and problem.field
