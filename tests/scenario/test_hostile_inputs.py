"""A catalogue of hostile inputs: each is refused by `carefacility validate` with a located
message (file:line:col, the field named) and exit code 2, never a traceback; no message quotes a
line of a file the scenario reads.

Each case of :data:`CASES` is a change to a small valid scenario (a textbook queue without a
population, or a population with a plan), the field the message must name and a fragment it
must contain. Inputs that cannot be located in the file (a folder, an empty file) are checked
for their message alone.
"""

from __future__ import annotations

import re
import textwrap
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from click.testing import CliRunner

from carefacility.cli import main
from carefacility.runner.prepare import prepare_run
from carefacility.scenario.loader import load_scenario, validate_scenario

QUEUE = textwrap.dedent("""\
    name: "Textbook queue"
    plan:
      care_homes:
        - {name: home, zone: all, beds: {general: 100}}
      starting_state:
        census: [{home: home, general: 90}]
        waiting_list_persons: 3
        waiting_list_mean_wait_days: 10
    simulation:
      start_date: 2021-01-01
      years: 2
      replications: 2
      seed: 7
      admitted_within_days: 30
      arrivals: {per_day: 0.5}
      stays: {distribution: exponential, mean_days: 180}
    """)
"""A scenario without a population: a queue of 100 beds."""

PLACE = textwrap.dedent("""\
    name: "A place"
    population:
      basis: resident
      base_date: 2020-11-01
      horizon_year: 2030
      base_population:
        inline:
          age_groups: ["0-14", "15-59", "60-79", "80+"]
          male: [1000, 3000, 800, 100]
          female: [950, 2900, 850, 160]
      mortality:
        measure: nMx
        csv: data/china_wpp2024_nmx.csv
      fertility:
        tfr: 1.1
        age_pattern:
          age_groups: ["15-19", "20-24", "25-29", "30-34", "35-39", "40-44", "45-49"]
          percent: [3, 25, 37, 22, 9, 3, 1]
      sex_ratio_at_birth: 1.1
      migration:
        net_per_year: -20
    plan:
      care_homes:
        - {name: home, zone: all, beds: {general: 10, nursing: 5}}
      starting_state:
        occupancy: 0.5
    simulation:
      start_date: 2021-01-01
      years: 2
    """)
"""A scenario with a population (4,960 + 4,960 persons) and a plan."""

SECRET = "secret:x:0:0:root-token-5f1c:/root:/bin/bash"
"""The first line of a file outside the scenario's folder; no message may quote it."""


@dataclass(frozen=True)
class Case:
    """A hostile change to a valid scenario and the message it must get."""

    id: str
    base: str
    change: Callable[[str], str]
    field: str
    fragment: str


def _swap(old: str, new: str) -> Callable[[str], str]:
    def change(text: str) -> str:
        assert old in text, old
        return text.replace(old, new, 1)

    return change


CASES = [
    Case("beds 1e30", QUEUE, _swap("general: 100}", "general: 1e30}"),
         "plan.care_homes[0].beds.general", "far too large"),
    Case("beds as a 31-digit whole number", QUEUE,
         _swap("general: 100}", "general: 1000000000000000000000000000000}"),
         "plan.care_homes[0].beds.general", "far too large"),
    Case("beds above 10^7 per home", QUEUE, _swap("general: 100}", "general: 20000000}"),
         "plan.care_homes[0].beds.general", "less than or equal to 10000000"),
    Case("negative beds", QUEUE, _swap("general: 100}", "general: -5}"),
         "plan.care_homes[0].beds.general", "greater than or equal to 0"),
    Case(".inf admitted_within_days", QUEUE,
         _swap("admitted_within_days: 30", "admitted_within_days: .inf"),
         "simulation.admitted_within_days", "finite number"),
    Case('"inf" in quotes', QUEUE,
         _swap("admitted_within_days: 30", 'admitted_within_days: "inf"'),
         "simulation.admitted_within_days", "finite number"),
    Case(".inf waiting_list_mean_wait_days", QUEUE,
         _swap("waiting_list_mean_wait_days: 10", "waiting_list_mean_wait_days: .inf"),
         "plan.starting_state.waiting_list_mean_wait_days", "finite number"),
    Case(".nan mean stay", QUEUE, _swap("mean_days: 180", "mean_days: .nan"),
         "simulation.stays.mean_days", "finite number"),
    Case("1e400 arrivals", QUEUE, _swap("per_day: 0.5", "per_day: 1e400"),
         "simulation.arrivals.per_day", "far too large"),
    Case("huge whole number of replications", QUEUE,
         _swap("replications: 2", "replications: 100000000000000000000000"),
         "simulation.replications", "far too large"),
    Case("too many replications", QUEUE, _swap("replications: 2", "replications: 100000"),
         "simulation.replications", "less than or equal to 10000"),
    Case("leading zero 010", QUEUE, _swap("years: 2", "years: 010"),
         "simulation.years", "leading zero"),
    Case("sexagesimal 1:30", QUEUE, _swap("seed: 7", "seed: 1:30"),
         "simulation.seed", "base-60"),
    Case("explicit tag !!int 010", QUEUE, _swap("years: 2", "years: !!int 010"),
         "(document)", "explicit YAML tags"),
    Case("name: no", QUEUE, _swap('name: "Textbook queue"', "name: no"),
         "name", 'quote it: "no"'),
    Case("yes as a home name", QUEUE, _swap("name: home, zone", "name: yes, zone"),
         "plan.care_homes[0].name", "YAML 1.1"),
    Case("integer start_date", QUEUE, _swap("start_date: 2021-01-01", "start_date: 1609459200"),
         "simulation.start_date", "write a date as YYYY-MM-DD"),
    Case("date in the year 9999", QUEUE,
         _swap("start_date: 2021-01-01", "start_date: 9999-12-31"),
         "simulation.start_date", "between 1900 and 2200"),
    Case("integer base_date", PLACE, _swap("base_date: 2020-11-01", "base_date: 1604188800"),
         "population.base_date", "write a date as YYYY-MM-DD"),
    Case("net_per_year -1e9", PLACE,
         _swap("net_per_year: -20", "net_per_year: -1000000000"),
         "population.migration.net_per_year", "more than the whole base population"),
    Case("net outflow emptying the population over the years", PLACE,
         _swap("net_per_year: -20", "net_per_year: -4000"),
         "population.migration.net_per_year", "would run out of people"),
    Case("csv: /etc/passwd", PLACE,
         _swap("csv: data/china_wpp2024_nmx.csv", "csv: /etc/passwd"),
         "population.mortality.csv", "absolute path"),
    Case("csv: ../outside.csv", PLACE,
         _swap("csv: data/china_wpp2024_nmx.csv", "csv: ../outside.csv"),
         "population.mortality.csv", "leads out of the scenario's folder"),
    Case("csv: data/../../outside.csv", PLACE,
         _swap("csv: data/china_wpp2024_nmx.csv", "csv: data/../../outside.csv"),
         "population.mortality.csv", "leads out of the scenario's folder"),
    Case("csv: a link out of the folder", PLACE,
         _swap("csv: data/china_wpp2024_nmx.csv", "csv: data/link.csv"),
         "population.mortality.csv", "leads out of the scenario's folder"),
    Case("only a list", QUEUE, lambda text: "- a\n- b\n", "(document)", "got a list"),
    Case("a number as the whole file", QUEUE, lambda text: "42\n", "(document)", "got a number"),
]


@pytest.fixture
def folder(tmp_path: Path, scenarios: Path) -> Path:
    """``tmp_path/place``: the scenario's folder, with data/ (and a link in it to a file
    outside), beside ``tmp_path/outside.csv`` whose first line is :data:`SECRET`."""
    place = tmp_path / "place"
    (place / "data").mkdir(parents=True)
    source = scenarios / "data" / "china_wpp2024_nmx.csv"
    (place / "data" / source.name).write_bytes(source.read_bytes())
    outside = tmp_path / "outside.csv"
    outside.write_text(f"{SECRET}\n0-59,0.01,0.01\n", encoding="utf-8")
    (place / "data" / "link.csv").symlink_to(outside)
    return place


def validate(path: Path) -> tuple[int, str]:
    """Exit code and output (stdout and stderr) of ``carefacility validate path``."""
    result = CliRunner().invoke(main, ["validate", str(path)])
    output = result.output  # what a terminal shows: stdout and stderr
    assert "Traceback" not in output, output
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise AssertionError(f"validate raised {result.exception!r}") from result.exception
    return result.exit_code, output


@pytest.mark.parametrize("case", CASES, ids=lambda case: case.id)
def test_hostile_input_gets_a_located_message(folder: Path, case: Case) -> None:
    path = folder / "scenario.yaml"
    path.write_text(case.change(case.base), encoding="utf-8")
    code, output = validate(path)
    assert code == 2, output
    located = re.compile(rf"^{re.escape(str(path))}:[1-9]\d*:[1-9]\d*: "
                         rf"{re.escape(case.field)}: .*{re.escape(case.fragment)}", re.M)
    assert located.search(output), output
    assert SECRET not in output and "secret:x" not in output


@pytest.mark.parametrize("base", [QUEUE, PLACE], ids=["queue", "place"])
def test_the_bases_are_valid(folder: Path, base: str) -> None:
    """Every case changes a valid scenario, so its message is due to the change."""
    path = folder / "scenario.yaml"
    path.write_text(base, encoding="utf-8")
    code, output = validate(path)
    assert code == 0, output


@pytest.mark.parametrize("census", ["[{home: home}]", "[{home: home, general: 0}]", "[]"])
def test_a_census_of_zeros_is_an_empty_start(folder: Path, census: str) -> None:
    """Decision: a census with every count 0 (or an empty list) is allowed — the homes start
    empty — and a run can be prepared from it, with or without a population."""
    for base, old in ((QUEUE, "[{home: home, general: 90}]"), (PLACE, None)):
        text = (base.replace(old, census) if old is not None else
                base.replace("occupancy: 0.5", f"census: {census}"))
        path = folder / "scenario.yaml"
        path.write_text(text, encoding="utf-8")
        code, output = validate(path)
        assert code == 0, output
        prepared = prepare_run(load_scenario(path))
        assert prepared.spec.initial_residents.sum() == 0


def test_file_content_is_never_quoted_even_when_allowed(folder: Path) -> None:
    """With ``allow_files_outside: true`` the file outside is read, and its problems quote
    no line of it."""
    path = folder / "scenario.yaml"
    text = "allow_files_outside: true\n" + PLACE.replace("csv: data/china_wpp2024_nmx.csv",
                                                         "csv: ../outside.csv")
    path.write_text(text, encoding="utf-8")
    code, output = validate(path)
    assert code == 2, output
    assert "outside.csv:1:" in output  # the header is refused, located in that file
    assert SECRET not in output and "root-token" not in output
    assert "a cell of" in output


@pytest.mark.skipif(not Path("/etc/passwd").is_file(), reason="no /etc/passwd here")
def test_etc_passwd_is_not_echoed_even_when_allowed(folder: Path) -> None:
    first = Path("/etc/passwd").read_text(encoding="utf-8", errors="replace").splitlines()[0]
    path = folder / "scenario.yaml"
    text = "allow_files_outside: true\n" + PLACE.replace(
        "csv: data/china_wpp2024_nmx.csv", "csv: /etc/passwd")
    path.write_text(text, encoding="utf-8")
    code, output = validate(path)
    assert code == 2
    assert first not in output
    assert first.split(":")[0] + ":" not in output.replace(str(path), "")


def test_files_outside_load_with_the_opt_in(folder: Path) -> None:
    """The opt-in lets a path out of the folder be read (here a valid table)."""
    table = (folder / "data" / "china_wpp2024_nmx.csv").read_bytes()
    (folder.parent / "shared.csv").write_bytes(table)
    text = PLACE.replace("csv: data/china_wpp2024_nmx.csv", "csv: ../shared.csv")
    path = folder / "scenario.yaml"
    path.write_text(text, encoding="utf-8")
    assert validate(path)[0] == 2
    path.write_text("allow_files_outside: true\n" + text, encoding="utf-8")
    assert validate(path) == (0, f"{path}: OK (A place)\n")


def test_non_utf8_file_is_located(folder: Path) -> None:
    path = folder / "scenario.yaml"
    path.write_bytes(b"name: x\ndescription: caf\xe9\n")
    code, output = validate(path)
    assert code == 2
    assert output.startswith(f"{path}:2:17: (file): not UTF-8 text")


def test_empty_file(folder: Path) -> None:
    path = folder / "scenario.yaml"
    path.write_text("# nothing but a comment\n\n", encoding="utf-8")
    code, output = validate(path)
    assert code == 2
    assert output.startswith(f"{path}:1:1: (document): the file is empty")


def test_a_folder_is_not_a_scenario(folder: Path) -> None:
    code, output = validate(folder)
    assert code == 2
    assert "is a directory" in output
    scenario, problems = validate_scenario(folder)
    assert scenario is None
    assert [problem.message for problem in problems] == [
        "is a folder, not a scenario file; name the .yaml file"]


def test_yes_and_no_still_read_as_yes_no(folder: Path) -> None:
    """Decision: unquoted yes/no/on/off keep their YAML 1.1 meaning in yes/no fields."""
    path = folder / "scenario.yaml"
    path.write_text(QUEUE + "  overflow_to_general: no\n  allow_other_zones: Yes\n",
                    encoding="utf-8")
    scenario = load_scenario(path)
    assert scenario.spec.simulation is not None
    assert scenario.spec.simulation.overflow_to_general is False
    assert scenario.spec.simulation.allow_other_zones is True


def test_yaml_1_2_numbers(folder: Path) -> None:
    """1e-3 is a number (YAML 1.1 read it as text), 1_000 is 1000, 0.5 and .5 are numbers."""
    path = folder / "scenario.yaml"
    path.write_text(QUEUE.replace("per_day: 0.5", "per_day: 5e-1").replace(
        "general: 100}", "general: 1_000}").replace("mean_days: 180", "mean_days: .5e3"),
        encoding="utf-8")
    scenario = load_scenario(path)
    simulation = scenario.spec.simulation
    assert simulation is not None and simulation.arrivals is not None
    assert simulation.arrivals.per_day == 0.5
    assert scenario.spec.plan is not None
    assert scenario.spec.plan.care_homes[0].beds.general == 1000
    assert simulation.stays is not None and simulation.stays.mean_days == 500.0


def test_every_problem_is_reported_once(folder: Path) -> None:
    """A value refused where it stands gets one message, not a second one from its field."""
    path = folder / "scenario.yaml"
    path.write_text(QUEUE.replace("general: 100}", "general: .inf}")
                    .replace("years: 2", "years: 010"), encoding="utf-8")
    code, output = validate(path)
    assert code == 2
    assert output.count("beds.general") == 1 and output.count("simulation.years") == 1
    assert "2 problems found" in output
