"""What a plain YAML value means (YAML 1.2, with 1.1's other readings refused or hinted),
where input files may be, and what a message may quote of a table."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from carefacility.base.files import input_file, is_file_key
from carefacility.base.tables import quote_cell, read_table
from carefacility.base.yaml_source import Refused, Yaml11Bool, read_yaml


def read(tmp_path: Path, text: str):
    path = tmp_path / "doc.yaml"
    path.write_text(text, encoding="utf-8")
    return read_yaml(path)


@pytest.mark.parametrize(("text", "value"), [
    ("12", 12), ("-3", -3), ("+5", 5), ("0", 0), ("1_000", 1000), ("0.5", 0.5), (".5", 0.5),
    ("1e-3", 0.001), ("2E3", 2000.0), ("1.", 1.0), ("true", True), ("False", False),
    ("~", None), ("null", None), ("", None), ("2020-11-01", "2020-11-01"), ("1:30", "1:30"),
    ("0x1F", "0x1F"), ("0o17", "0o17"), ("=", "="), ("y", "y"), ("n", "n"),
    ('"010"', "010"), ("'no'", "no"), ('".inf"', ".inf"),
])
def test_plain_values(tmp_path: Path, text: str, value: object) -> None:
    doc, problems = read(tmp_path, f"a: {text}\n")
    assert problems == []
    assert doc is not None
    assert doc.data["a"] == value
    assert type(doc.data["a"]) is type(value)


@pytest.mark.parametrize(("text", "fragment"), [
    ("010", "YAML 1.1 reads it as the octal number 8, YAML 1.2 as a decimal number; write 10"),
    ("08", "YAML 1.1 reads it as text"),
    ("-007", "leading zero"),
    (".inf", "Input should be a finite number (got .inf)"),
    ("-.Inf", "finite number"),
    (".NaN", "finite number"),
    ("1e30", "far too large"),
    ("1e400", "far too large"),
    ("1000000000001", "far too large"),
    ("9" * 5000, "far too large"),
])
def test_refused_values_are_located_and_kept_as_text(tmp_path: Path, text: str,
                                                     fragment: str) -> None:
    doc, problems = read(tmp_path, f"name: x\nb:\n  c: [1, {text}]\n")
    assert doc is not None
    assert len(problems) == 1
    problem = problems[0]
    assert (problem.line, problem.column, problem.field) == (3, 10, "b.c[1]")
    assert fragment in problem.message
    assert isinstance(doc.data["b"]["c"][1], Refused)
    assert len(problem.message) < 400


def test_yes_no_on_off_are_kept_with_their_yaml_1_1_meaning(tmp_path: Path) -> None:
    doc, problems = read(tmp_path, "a: yes\nb: Off\nc: [no, ON]\n")
    assert problems == [] and doc is not None
    assert all(isinstance(doc.data[key], Yaml11Bool) for key in ("a", "b"))
    assert [doc.data["a"].truth, doc.data["b"].truth] == [True, False]
    assert doc.yes_no == [("a",), ("b",), ("c", 0), ("c", 1)]


def test_base_60_gets_a_hint(tmp_path: Path) -> None:
    doc, _ = read(tmp_path, "a: 1:30\n")
    assert doc is not None and "base-60" in doc.hints[("a",)]


@pytest.mark.parametrize(("text", "fragment"), [
    ("a: !!int 010\n", "explicit YAML tags (!!int)"),
    ("a: !custom x\n", "explicit YAML tags"),
    ("a: &x 1\nb: *x\n", "anchors and aliases"),
    ("a: 1\n---\nb: 2\n", "more than one YAML document"),
    ("? [a, b]\n: 1\n", "a key must be a name or a number"),
    ("a: [1\n", "malformed YAML"),
    ("a: " + "[" * 40 + "]" * 40 + "\n", "nesting deeper than"),
])
def test_refused_documents(tmp_path: Path, text: str, fragment: str) -> None:
    doc, problems = read(tmp_path, text)
    assert doc is None
    assert len(problems) == 1 and fragment in problems[0].message
    assert problems[0].line >= 1


def test_positions_of_keys_and_values(tmp_path: Path) -> None:
    doc, problems = read(tmp_path, "名字: 中文\nb:\n  - {c: 1, d: [2, 3]}\n  - 4\n2020: x\n")
    assert problems == [] and doc is not None
    assert doc.value_positions[("名字",)] == (1, 5)
    assert doc.key_positions[("b", 0, "d")] == (3, 12)
    assert doc.value_positions[("b", 0, "d", 1)] == (3, 19)
    assert doc.value_positions[("b", 1)] == (4, 5)
    assert doc.key_positions[(2020,)] == (5, 1)
    assert doc.data == {"名字": "中文", "b": [{"c": 1, "d": [2, 3]}, 4], 2020: "x"}


def test_duplicate_keys(tmp_path: Path) -> None:
    doc, problems = read(tmp_path, "a: 1\nb: {c: 1, c: 2}\na: 3\n")
    assert doc is not None and doc.data == {"a": 3, "b": {"c": 2}}
    assert sorted(problem.field for problem in problems) == ["a", "b.c"]
    assert all("duplicate key" in problem.message for problem in problems)


def test_parser_errors_never_quote_the_line(tmp_path: Path) -> None:
    doc, problems = read(tmp_path, "a: b: c: secret-token-123\n")
    assert doc is None
    assert "secret-token-123" not in problems[0].message


# --------------------------------------------------------------------------------------------
# input files
# --------------------------------------------------------------------------------------------
def test_input_files_stay_in_the_scenario_folder(tmp_path: Path) -> None:
    folder = tmp_path / "scenario"
    (folder / "data").mkdir(parents=True)
    (folder / "data" / "t.csv").write_text("a\n1\n", encoding="utf-8")
    (tmp_path / "secret.csv").write_text("x\n", encoding="utf-8")
    (folder / "data" / "link.csv").symlink_to(tmp_path / "secret.csv")
    inside, refused = input_file(folder, "data/t.csv")
    assert refused is None and inside == (folder / "data" / "t.csv").resolve()
    assert input_file(folder, "data/../data/t.csv")[1] is None
    for given in ("/etc/passwd", "../secret.csv", "data/../../secret.csv", "data/link.csv",
                  "C:\\\\Windows\\\\win.ini", "\\\\server\\\\share\\\\x.csv"):
        path, refused = input_file(folder, given)
        assert path is None and refused is not None, given
        assert "allow_files_outside: true" in refused
    assert input_file(folder, "")[1] is not None
    assert input_file(folder, "a\x00b")[1] is not None
    allowed, refused = input_file(folder, "../secret.csv", allow_outside=True)
    assert refused is None and allowed == (tmp_path / "secret.csv").resolve()
    assert input_file(folder, "data/link.csv", allow_outside=True)[1] is None


def test_file_keys() -> None:
    assert is_file_key("csv") and is_file_key("counts_csv") and is_file_key("rates_csv")
    assert not is_file_key("csvs") and not is_file_key(3) and not is_file_key("name")


@pytest.mark.parametrize(("cell", "shown"), [
    ("abc", "'abc'"), ("85+", "'85+'"), ("0.5", "'0.5'"), ("北京", "'北京'"),
    ("femal", "'femal'"), ("root:x:0:0:root:/root:/bin/bash", "a cell of 31 characters"),
    ("x" * 40, "a cell of 40 characters"), ("a\tb", "a cell of 3 characters"),
])
def test_cells_are_quoted_only_when_short_labels(cell: str, shown: str) -> None:
    assert quote_cell(cell) == shown


def test_table_messages_never_quote_a_content_line(tmp_path: Path) -> None:
    line = "daemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin"
    path = tmp_path / "t.csv"
    path.write_text(f"age_group,male,female\n{line},0.1,0.1\n0-4,{line},1\n", encoding="utf-8")
    table, problems = read_table(path, str(path), required=("age_group", "male", "female"))
    assert problems == [] and table is not None
    found: list = []
    value = table.number(1, "male", found)
    assert math.isnan(value)
    found.append(table.problem(0, "age_group", f"label {table.rows[0]['age_group']!r} is odd"))
    assert found and all(line not in str(problem) for problem in found)
    header = tmp_path / "h.csv"
    header.write_text(f"{line}\n1\n", encoding="utf-8")
    _, problems = read_table(header, str(header), required=("age_group",))
    assert problems and all(line not in str(problem) for problem in problems)
    assert any(problem.field == "(column 1)" for problem in problems)
