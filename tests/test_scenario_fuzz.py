"""Fuzzing the scenario loader: no input may end in a traceback.

Whatever the bytes, :func:`validate_scenario` returns either a scenario or a list of located
problems; it never raises.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from carefacility.scenario import validate_scenario

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


def test_example_scenarios_survive_line_deletion(tmp_path: Path, scenarios: Path) -> None:
    """Deleting any single line of a real scenario never crashes the loader."""
    shutil.copytree(scenarios / "data", tmp_path / "data")
    lines = (scenarios / "china.yaml").read_text(encoding="utf-8").splitlines(keepends=True)
    for index in range(len(lines)):
        path = tmp_path / "cut.yaml"
        path.write_text("".join(lines[:index] + lines[index + 1:]), encoding="utf-8")
        _check(path)
