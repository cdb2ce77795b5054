"""Fuzzing the scenario loader: no input may end in a traceback.

Whatever the bytes, :func:`validate_scenario` returns either a scenario or a list of located
problems; it never raises.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from carefacility.scenario.loader import validate_scenario

FUZZ = settings(max_examples=150, deadline=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture])

scalars = st.one_of(
    st.none(), st.booleans(), st.integers(-10**12, 10**12),
    st.floats(allow_nan=True, allow_infinity=True), st.text(max_size=20),
    st.sampled_from(["2020-11-01", "2020-13-45", "85+", "0-4", "resident", "nMx", "qx"]),
)
documents = st.recursive(
    scalars,
    lambda children: st.one_of(
        st.lists(children, max_size=5),
        st.dictionaries(st.sampled_from(["name", "population", "basis", "base_date",
                                         "horizon_year", "base_population", "inline", "csv",
                                         "age_groups", "male", "female", "mortality",
                                         "fertility", "tfr", "age_pattern", "percent",
                                         "migration", "net_per_year", "measure", "x"]),
                        children, max_size=6),
    ),
    max_leaves=25,
)


def _check(path: Path) -> None:
    scenario, problems = validate_scenario(path)
    assert (scenario is None) == bool(problems)
    for problem in problems:
        assert problem.file and problem.message


@FUZZ
@given(data=st.binary(max_size=400))
def test_arbitrary_bytes(tmp_path: Path, data: bytes) -> None:
    path = tmp_path / "fuzz.yaml"
    path.write_bytes(data)
    _check(path)


@FUZZ
@given(document=documents)
def test_arbitrary_yaml_structures(tmp_path: Path, document: object) -> None:
    path = tmp_path / "fuzz.yaml"
    path.write_text(yaml.safe_dump(document, allow_unicode=True), encoding="utf-8")
    _check(path)


@FUZZ
@given(cut=st.integers(0, 2000), insert=st.text(max_size=8), drop=st.integers(0, 40))
def test_mutated_valid_scenario(scenario_dir: Path, minimal: str, cut: int, insert: str,
                                drop: int) -> None:
    position = cut % (len(minimal) + 1)
    text = minimal[:position] + insert + minimal[position + drop % 5:]
    path = scenario_dir / "fuzz.yaml"
    path.write_text(text, encoding="utf-8")
    _check(path)


@FUZZ
@given(table=st.lists(st.lists(st.text(alphabet="0123456789.,-+e x\"#", max_size=12),
                               min_size=0, max_size=5), max_size=8),
       header=st.sampled_from(["age_group,male,female", "period,age_group,male,female",
                               "age_group,male", "", "age_group,male,female,male"]))
def test_mutated_csv_table(scenario_dir: Path, minimal: str, table: list[list[str]],
                           header: str) -> None:
    csv_text = header + "\n" + "\n".join(",".join(row) for row in table)
    (scenario_dir / "fuzz.csv").write_text(csv_text, encoding="utf-8")
    path = scenario_dir / "fuzz.yaml"
    path.write_text(minimal.replace("data/china_wpp2024_nmx.csv", "fuzz.csv"), encoding="utf-8")
    _check(path)


@pytest.mark.parametrize("name", ["china", "xicheng", "county", "shanghai"])
def test_example_scenarios_survive_line_deletion(tmp_path: Path, scenarios: Path,
                                                 name: str) -> None:
    """Deleting any single line of a real scenario (population, plan, services, targets)
    never crashes the loader."""
    shutil.copytree(scenarios / "data", tmp_path / "data")
    lines = (scenarios / f"{name}.yaml").read_text(encoding="utf-8").splitlines(keepends=True)
    for index in range(len(lines)):
        path = tmp_path / "cut.yaml"
        path.write_text("".join(lines[:index] + lines[index + 1:]), encoding="utf-8")
        _check(path)


@FUZZ
@given(line=st.integers(0, 400), replacement=st.sampled_from(
    ["  - {}", "x: [", "    count: 0", "    capacity_per_day: -1", "  zones: 3", "targets: 5",
     "    value: .nan", "    date: 1999-01-01", "    opens: 2040-02-30", "  years: 0",
     "    beds: {general: 1e99}", "services: {day_centres: {}}", "plan: []", "need: {x: 1}"]))
def test_mutated_full_scenario(tmp_path: Path, scenarios: Path, line: int,
                               replacement: str) -> None:
    """Replacing a line of a full scenario with something wrong never crashes the loader."""
    if not (tmp_path / "data").exists():
        shutil.copytree(scenarios / "data", tmp_path / "data")
    lines = (scenarios / "xicheng.yaml").read_text(encoding="utf-8").splitlines(keepends=True)
    index = line % len(lines)
    path = tmp_path / "mutated.yaml"
    path.write_text("".join([*lines[:index], replacement + "\n", *lines[index + 1:]]),
                    encoding="utf-8")
    _check(path)


@settings(max_examples=25, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(general=st.integers(0, 40), nursing=st.integers(0, 40), dementia=st.integers(0, 10),
       share=st.sampled_from([0.0, 0.3, 1.0]), occupancy=st.sampled_from([0.0, 0.5, 1.0]),
       waiting=st.integers(0, 30), centre=st.integers(0, 20), discipline=st.sampled_from(
           ["fifo", "priority", "longest_wait"]), overflow=st.booleans())
def test_valid_plans_run_without_error(scenario_dir: Path, minimal: str, general: int,
                                       nursing: int, dementia: int, share: float,
                                       occupancy: float, waiting: int, centre: int,
                                       discipline: str, overflow: bool) -> None:
    """Any plan that validates also runs (empty homes, a zone with no elders, full homes...)."""
    from carefacility.runner.prepare import prepare_run
    from carefacility.runner.replicate import replicate
    from carefacility.scenario.loader import load_scenario

    text = minimal + f"""
plan:
  zones:
    - {{name: a, share_of_elderly: {share}}}
    - {{name: b, share_of_elderly: {1 - share}}}
  care_homes:
    - {{name: h, zone: a, beds: {{general: {general}, nursing: {nursing}, dementia: {dementia}}}}}
  build_schedule:
    - {{date: 2021-06-01, home: h, open: {{nursing: 3}}}}
  starting_state:
    occupancy: {occupancy}
    resident_levels: {{independent: 0.5, dependent: 0.3, dementia: 0.2}}
    waiting_list_persons: {waiting}
simulation:
  start_date: 2021-01-01
  years: 2
  waiting_discipline: {discipline}
  overflow_to_general: {str(overflow).lower()}
services:
  day_centres:
    demand: {{eligible_levels: [partially_dependent], uptake: 0.1, attendance_probability: 0.5}}
    sites:
      - {{name: c, zone: b, capacity_per_day: {centre}}}
"""
    path = scenario_dir / "plan.yaml"
    path.write_text(text, encoding="utf-8")
    frame = replicate(prepare_run(load_scenario(path)), seed=1, replication=0)
    assert set(frame.year) == {2021, 2022}
