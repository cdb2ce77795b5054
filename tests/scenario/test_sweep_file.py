"""Sweep files and --grid arguments: read, with every problem located."""

from __future__ import annotations

import shutil
import textwrap
from pathlib import Path

import pytest

from carefacility.base.errors import ScenarioError
from carefacility.base.yaml_source import read_yaml_value
from carefacility.runner.sweep import sweep_design
from carefacility.scenario.sweep_file import (
    is_sweep_file,
    parse_grid,
    read_sweep_file,
    split_values,
    value_text,
)

ROOT = Path(__file__).resolve().parents[2]
ERLANG_C = ROOT / "scenarios" / "textbook" / "erlang_c.yaml"


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    shutil.copy(ERLANG_C, tmp_path / "erlang_c.yaml")
    return tmp_path


def _write(folder: Path, text: str) -> Path:
    path = folder / "sweep.yaml"
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def test_a_sweep_file_is_read(folder: Path) -> None:
    path = _write(folder, """\
        scenario: erlang_c.yaml
        out: out/sweep
        set:
          - simulation.years=2
        grid:
          plan.care_homes[home].beds.general: [755, 770]
          simulation.admitted_within_days: [30, 60.5]
        variants:
          - name: fifo_cap
            set:
              - simulation.max_waiting=100
        replications: 4
        seed: 3
        """)
    assert is_sweep_file(path) and not is_sweep_file(ERLANG_C)
    sweep = read_sweep_file(path)
    assert sweep.scenario_file == folder / "erlang_c.yaml"
    assert sweep.out_dir == folder / "out/sweep"
    assert sweep.overrides == ("simulation.years=2",)
    assert [(a.path, a.values) for a in sweep.axes] == [
        ("plan.care_homes[home].beds.general", ("755", "770")),
        ("simulation.admitted_within_days", ("30", "60.5"))]
    assert [(v.name, v.overrides) for v in sweep.variants] == [
        ("fifo_cap", ("simulation.max_waiting=100",))]
    assert (sweep.replications, sweep.seed) == (4, 3)
    design, scenarios = sweep_design(path)
    assert design.size == 5 == len(scenarios)
    assert design.sweep_variants()[-1].variant_id == "fifo_cap"


def test_every_problem_of_a_sweep_file_is_located(folder: Path) -> None:
    path = _write(folder, """\
        scenario: missing.yaml
        sett: []
        grid:
          simulation.years: []
          simulation.warmup_days: [1, 1]
          simulation.admitted_within_days: 30
        variants:
          - name: a b
            set: [simulation.max_waiting=1]
          - name: ok
          - {name: ok2, set: [noequals], extra: 1}
        replications: 0
        seed: -1
        """)
    with pytest.raises(ScenarioError) as caught:
        read_sweep_file(path)
    text = caught.value.report()
    file = str(path)
    for expected in (
        f"{file}:1:11: scenario: 'missing.yaml': no such file",
        f"{file}:2:1: sett: unknown key 'sett' (did you mean \"set\"?)",
        f"{file}:4:21: grid.simulation.years: a list of at least one value",
        f"{file}:5:27: grid.simulation.warmup_days: value 1 given twice",
        f"{file}:6:36: grid.simulation.admitted_within_days: a list of at least one value, "
        "e.g. [2000, 2500, 3000], got a number",
        f"{file}:8:11: variants[0].name: required: a name of letters",
        f"{file}:10:5: variants[1]: required field `set` is missing",
        f"{file}:11:34: variants[2].extra: unknown key 'extra'; allowed: name, set",
        f"{file}:11:23: (override): noequals: no '='",
        f"{file}:12:15: replications: a whole number from 1 to 10,000, got 0",
        f"{file}:13:7: seed: a whole number ≥ 0, got -1",
    ):
        assert expected in text, expected


def test_a_variant_problem_is_located_at_its_line_of_the_sweep_file(folder: Path) -> None:
    path = _write(folder, """\
        scenario: erlang_c.yaml
        set:
          - simulation.yeers=2
        grid:
          plan.care_homes[home].beds.general: [755, abc]
        variants:
          - name: x
            set:
              - simulation.max_wating=5
        """)
    with pytest.raises(ScenarioError) as caught:
        sweep_design(path)
    text = caught.value.report()
    assert f"{path}:3:5: simulation.yeers: simulation.yeers=2: unknown key 'yeers'" in text
    assert (f"{path}:5:45: plan.care_homes[0].beds.general: "
            "plan.care_homes[home].beds.general=\"abc\": Input should be a valid integer") in text
    assert f"{path}:9:9: simulation.max_wating: simulation.max_wating=5: unknown key" in text


def test_split_values_keeps_lists_mappings_and_quoted_text() -> None:
    assert split_values('1, [2, 3],{a: 1, b: 2}, "x,y" ,z') == [
        "1", "[2, 3]", "{a: 1, b: 2}", '"x,y"', "z"]
    assert split_values("") == [""]


@pytest.mark.parametrize("value", [3000, 0.9, True, "text", "2020-01-01", [1, 2],
                                   {"general": 10}, None, "a: b"])
def test_a_sweep_file_value_becomes_an_override_that_reads_back(value: object) -> None:
    read, problems = read_yaml_value(value_text(value), "test")
    assert not problems and read == value


def test_grid_arguments() -> None:
    axes, problems = parse_grid(["a.b=1,2", "c.d=[1, 2],[3]", "e.f=", "g.h=1,,2", "i.j=x,x",
                                 "k", "=1", "a.b=3"])
    assert [(axis.path, axis.values) for axis in axes] == [("a.b", ("1", "2")),
                                                           ("c.d", ("[1, 2]", "[3]"))]
    assert [problem.file for problem in problems] == [
        "--grid e.f=", "--grid g.h=1,,2", "--grid i.j=x,x", "--grid k", "--grid =1",
        "--grid a.b=3"]
