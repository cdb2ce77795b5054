"""Nothing lost, nothing injected: `validate` runs every check `run` runs.

Every example scenario, and many variants of them with a number changed to something hostile
(0, -1, .inf, .nan, 1e30, a huge whole number, text, a leading zero, base 60) or a line
deleted, is given to :func:`carefacility.scenario.loader.load_scenario`; whatever loads (and has
the plan and simulation a run needs) is given to
:func:`carefacility.runner.prepare.prepare_run`. Loading may only ever fail with a
:class:`~carefacility.base.errors.ScenarioError`, and preparing a run of a scenario that loaded
may not fail at all: anything else means the loader let through an input the run cannot use.

The variants are drawn with fixed seeds, so a failure repeats; the whole file runs in about a
minute (preparing a run of a scenario with a population takes seconds, so only a few variants
of those are prepared, and the textbook queues, which prepare in milliseconds, take the rest).
"""

from __future__ import annotations

import random
import re
import shutil
import tempfile
import traceback
from pathlib import Path

import pytest

from carefacility.base.errors import ScenarioError
from carefacility.base.yaml_source import read_yaml
from carefacility.runner.prepare import prepare_run
from carefacility.scenario.loader import Scenario, load_scenario

ROOT = Path(__file__).resolve().parents[2]
SCENARIOS = ROOT / "scenarios"
EXAMPLES = sorted(SCENARIOS.glob("*.yaml")) + sorted((SCENARIOS / "textbook").glob("*.yaml"))

HOSTILE = ["0", "-1", ".inf", "-.inf", ".nan", "1e30", "1000000000000000000000000000000",
           "abc", "010", "1:30", "no", "99999999999", "1e-300", "2.5", "[]", "''"]
"""What a number of a scenario is replaced by."""

HOSTILE_DATES = ["1604188800", "2020-13-45", "9999-12-31", "1066-10-14", "20201101"]
"""What a date of a scenario is replaced by."""

_NUMBER = re.compile(r"-?\d[\d_]*(?:\.\d*)?(?:[eE][-+]?\d+)?")
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def _value_at(data: object, path: tuple[str | int, ...]) -> object:
    for part in path:
        data = data[part]  # type: ignore[index]
    return data


def _spots(text: str) -> tuple[list[tuple[int, int, int]], list[tuple[int, int, int]]]:
    """``(line index, start, end)`` of every number and every date the file gives as a value
    (found with the loader's own positions, so text, comments and keys are left alone)."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "scenario.yaml"
        path.write_text(text, encoding="utf-8")
        doc, _ = read_yaml(path)
    assert doc is not None
    lines = text.splitlines(keepends=True)
    numbers: list[tuple[int, int, int]] = []
    dates: list[tuple[int, int, int]] = []
    for where, (line, column) in sorted(doc.value_positions.items(), key=lambda item: item[1]):
        value = _value_at(doc.data, where)
        if isinstance(value, bool) or not isinstance(value, int | float | str):
            continue
        pattern, spots = ((_DATE, dates) if isinstance(value, str) else (_NUMBER, numbers))
        match = pattern.match(lines[line - 1], column - 1)
        if match is not None and (not isinstance(value, str) or match.group() == value):
            spots.append((line - 1, match.start(), match.end()))
    return numbers, dates


def variants(text: str, count: int, seed: int) -> list[tuple[str, str]]:
    """``count`` hostile variants of a scenario text: ``(what was changed, new text)``."""
    rng = random.Random(seed)
    lines = text.splitlines(keepends=True)
    numbers, dates = _spots(text)
    content = [index for index, line in enumerate(lines)
               if line.strip() and not line.lstrip().startswith("#")]
    out: list[tuple[str, str]] = []
    while len(out) < count:
        kind = rng.random()
        changed = list(lines)
        if kind < 0.15 or not numbers:
            index = rng.choice(content)
            what = f"line {index + 1} deleted"
            del changed[index]
        else:
            spots, choices = ((dates, HOSTILE_DATES) if kind < 0.25 and dates
                              else (numbers, HOSTILE))
            index, start, end = rng.choice(spots)
            new = rng.choice(choices)
            line = changed[index]
            what = f"line {index + 1}: {line[start:end]!r} -> {new!r}"
            changed[index] = line[:start] + new + line[end:]
        out.append((what, "".join(changed)))
    return out


def _runnable(scenario: Scenario) -> bool:
    return scenario.spec.plan is not None and scenario.spec.simulation is not None


def check(path: Path, what: str, *, prepare: bool, failures: list[str]) -> Scenario | None:
    """Load ``path`` (only a ScenarioError may stop it) and prepare a run of it when it loads
    and ``prepare`` is set (nothing may stop that); failures are added to ``failures``."""
    try:
        scenario = load_scenario(path)
    except ScenarioError as error:
        assert error.problems, "a ScenarioError without problems"
        assert all(problem.file and problem.message for problem in error.problems)
        return None
    except Exception:  # the test reports any other exception
        failures.append(f"load_scenario, {what}:\n{traceback.format_exc()}")
        return None
    if prepare and _runnable(scenario):
        try:
            prepare_run(scenario)
        except Exception:  # the test reports any exception
            failures.append(f"prepare_run after a successful load, {what}:\n"
                            f"{traceback.format_exc()}")
    return scenario


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    """A temporary copy of scenarios/data, where variants are written."""
    shutil.copytree(SCENARIOS / "data", tmp_path / "data")
    return tmp_path


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda path: path.stem)
def test_every_example_loads_and_prepares(example: Path) -> None:
    failures: list[str] = []
    scenario = check(example, example.name, prepare=True, failures=failures)
    assert not failures, failures[0]
    assert scenario is not None, f"{example.name} does not load"


@pytest.mark.parametrize("example", sorted((SCENARIOS / "textbook").glob("*.yaml")),
                         ids=lambda path: path.stem)
def test_hostile_variants_of_textbook_queues(folder: Path, example: Path) -> None:
    """Textbook queues prepare in milliseconds: every variant that loads is prepared."""
    failures: list[str] = []
    text = example.read_text(encoding="utf-8")
    path = folder / example.name
    for what, changed in variants(text, 80, seed=len(example.stem)):
        path.write_text(changed, encoding="utf-8")
        check(path, f"{example.name} {what}", prepare=True, failures=failures)
    assert not failures, f"{len(failures)} failures; the first:\n{failures[0]}"


@pytest.mark.parametrize(("name", "count", "prepared"),
                         [("zhuji", 80, 5), ("county", 60, 3), ("shanghai", 40, 2),
                          ("xicheng", 40, 2), ("jiading", 10, 1), ("china", 30, 0)])
def test_hostile_variants_of_places(folder: Path, name: str, count: int,
                                    prepared: int) -> None:
    """Scenarios with a population: every variant is loaded, the first ``prepared`` that load
    (and change a value) are prepared too (up to seconds each)."""
    failures: list[str] = []
    text = (SCENARIOS / f"{name}.yaml").read_text(encoding="utf-8")
    path = folder / f"{name}.yaml"
    left = prepared
    for what, changed in variants(text, count, seed=sum(map(ord, name))):
        path.write_text(changed, encoding="utf-8")
        scenario = check(path, f"{name}.yaml {what}", prepare=False, failures=failures)
        if scenario is not None and left > 0 and _runnable(scenario) and "deleted" not in what:
            left -= 1
            check(path, f"{name}.yaml {what}", prepare=True, failures=failures)
    assert not failures, f"{len(failures)} failures; the first:\n{failures[0]}"
    assert left < prepared or prepared == 0, "no variant loaded to be prepared"


def test_the_variants_are_hostile() -> None:
    """The mutation finds numbers and dates and changes them (the test above tests
    something)."""
    text = "a: 12\nb: [1.5, 2e3]\nc: 2020-11-01  # 7 in a comment\nd: x 3\n5: e\n"
    lines = text.splitlines(keepends=True)
    numbers, dates = _spots(text)
    assert [lines[i][s:e] for i, s, e in numbers] == ["12", "1.5", "2e3"]
    assert [lines[i][s:e] for i, s, e in dates] == ["2020-11-01"]
    changed = [new for _, new in variants(text, 20, seed=1)]
    assert all(new != text for new in changed)
