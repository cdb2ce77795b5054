"""The design of a sweep as a planner gives it: ``--grid PATH=V1,V2,...`` arguments or a sweep
file, read with located errors.

A grid axis is one field and the values it takes; the grid's variants are every combination
(full factorial). A sweep file (YAML) names the base scenario and gives the grid and/or a list
of variants by name, and optionally the overrides common to all, the replications and the
seed::

    # sweep.yaml: Jiading's nursing beds against the waiting threshold
    scenario: jiading.yaml                # relative to this file
    out: ../out/jiading_sweep             # the output folder (--out replaces it)
    set: [simulation.years=10]           # applied to every variant (like --set)
    grid:
      plan.care_homes[jiading_homes].beds.nursing: [2125, 2500, 3000]
      simulation.admitted_within_days: [30, 60]
    variants:                            # beside the grid's
      - {name: no_migration, set: [population.migration.net_per_year=0]}
    replications: 20
    seed: 20240101

Every problem of the file is reported at once as ``file:line:col: field: what is wrong``, and
a problem of a variant's scenario caused by a value of the sweep file is reported at that
value's line (:attr:`SweepFile.positions`).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from carefacility.base.errors import Problem, ScenarioError, did_you_mean, format_path
from carefacility.base.yaml_source import Refused, Yaml11Bool, YamlDocument, read_yaml
from carefacility.scenario.checks import document_kind
from carefacility.scenario.overrides import ItemName, read_overrides

__all__ = ["MAX_GRID_VARIANTS", "SWEEP_KEYS", "GridAxis", "SweepFile", "SweepFileVariant",
           "grid_size", "is_sweep_file", "parse_grid", "read_sweep_file", "same_field_problems",
           "split_values", "value_text"]

SWEEP_KEYS = ("scenario", "description", "out", "set", "grid", "variants", "replications",
              "seed")
"""The keys of a sweep file."""

MAX_GRID_VARIANTS = 10_000
"""Most variants a sweep may have (the product of its axes' lengths plus the listed ones)."""

_NAME = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.\-]*$")


@dataclass(frozen=True)
class GridAxis:
    """One field of a grid and the values it takes.

    Attributes
    ----------
    path : str
        The field, as written (``plan.care_homes[jiading_homes].beds.nursing``).
    values : tuple of str
        Each value as ``VALUE`` text of an override (``2500``, ``[1, 2]``).
    argument : str
        Where it was given: ``--grid PATH=V1,V2`` (problems of its overrides are reported
        there), or the sweep file.
    positions : dict of str to (str, int, int)
        For a sweep file: each override's text (``PATH=VALUE``) to its value's place.
    """

    path: str
    values: tuple[str, ...]
    argument: str = ""
    positions: dict[str, tuple[str, int, int]] = field(default_factory=dict, compare=False,
                                                      repr=False)

    def overrides(self) -> list[str]:
        """The axis' overrides, ``PATH=VALUE`` for each value in order."""
        return [f"{self.path}={value}" for value in self.values]


@dataclass(frozen=True)
class SweepFileVariant:
    """A variant listed by name in a sweep file."""

    name: str
    overrides: tuple[str, ...]
    positions: dict[str, tuple[str, int, int]] = field(default_factory=dict, compare=False,
                                                      repr=False)


@dataclass(frozen=True)
class SweepFile:
    """A sweep file, read and checked.

    Attributes
    ----------
    file : pathlib.Path
        The sweep file.
    scenario_file : pathlib.Path
        The base scenario (``scenario:``, relative to the sweep file's folder).
    axes : tuple of GridAxis
    variants : tuple of SweepFileVariant
    overrides : tuple of str
        Applied to every variant (``set:``).
    replications, seed : int or None
    description : str
    out_dir : pathlib.Path or None
        The output folder (``out:``, relative to the sweep file's folder).
    positions : dict of str to (str, int, int)
        Each common override's text to its place in the file.
    """

    file: Path
    scenario_file: Path
    axes: tuple[GridAxis, ...] = ()
    variants: tuple[SweepFileVariant, ...] = ()
    overrides: tuple[str, ...] = ()
    replications: int | None = None
    seed: int | None = None
    description: str = ""
    out_dir: Path | None = None
    positions: dict[str, tuple[str, int, int]] = field(default_factory=dict, compare=False,
                                                      repr=False)


def split_values(text: str) -> list[str]:
    """Split ``V1,V2,...`` at the commas that are not inside brackets, braces or quotes
    (``1,[2, 3],"a,b"`` gives ``1``, ``[2, 3]``, ``"a,b"``); each value stripped."""
    values: list[str] = []
    depth = 0
    quote = ""
    current = ""
    for char in text:
        if quote:
            quote = "" if char == quote else quote
        elif char in "\"'":
            quote = char
        elif char in "[{":
            depth += 1
        elif char in "]}":
            depth = max(0, depth - 1)
        elif char == "," and depth == 0:
            values.append(current.strip())
            current = ""
            continue
        current += char
    values.append(current.strip())
    return values


def _path_key(path_text: str) -> tuple[Any, ...] | None:
    """A field path in a form where ``care_homes[0]`` and ``care_homes.0`` are the same."""
    parsed, problems = read_overrides([f"{path_text}=0"])
    return tuple(parsed[0].path) if parsed and not problems else None


def _resolved(data: Any, path: tuple[Any, ...]) -> tuple[Any, ...]:
    """``path`` with each item name replaced by the item's index in ``data`` (as far as the
    data goes: the rest is kept as written)."""
    out: list[Any] = []
    node = data
    for part in path:
        if isinstance(node, list) and isinstance(part, ItemName):
            index = next((i for i, item in enumerate(node) if isinstance(item, dict)
                          and part in (item.get("name"), item.get("id"))), None)
            if index is not None:
                part = index
        out.append(part)
        if isinstance(node, list) and isinstance(part, int) and part < len(node):
            node = node[part]
        elif isinstance(node, dict) and isinstance(part, str) and part in node:
            node = node[part]
        else:
            node = None
    return tuple(out)


def same_field_problems(axes: list[GridAxis] | tuple[GridAxis, ...], scenario_file: str | Path
                        ) -> list[Problem]:
    """Grid axes that name one field of the scenario in two ways (``care_homes[0]`` and
    ``care_homes[home_a]``), each after the first reported at its argument or line."""
    doc, _ = read_yaml(scenario_file)
    data = doc.data if doc is not None else None
    seen: dict[tuple[Any, ...], GridAxis] = {}
    problems = []
    for axis in axes:
        key = _path_key(axis.path)
        if key is None:
            continue
        resolved = _resolved(data, key)
        first = seen.setdefault(resolved, axis)
        if first is axis:
            continue
        message = (f"the same field as {first.path}; give each field once, with all its "
                   "values")
        place = next(iter(axis.positions.values()), None)
        if place is not None:
            problems.append(Problem(place[0], place[1], place[2], f"grid.{axis.path}", message))
        else:
            problems.append(Problem(axis.argument or "--grid", 0, 0, axis.path, message))
    return problems


def grid_size(axes: tuple[GridAxis, ...] | list[GridAxis]) -> int:
    """Variants of a full factorial grid (1 without axes)."""
    size = 1
    for axis in axes:
        size *= len(axis.values)
    return size


def parse_grid(texts: list[str] | tuple[str, ...]) -> tuple[list[GridAxis], list[Problem]]:
    """Read ``--grid PATH=V1,V2,...`` arguments.

    Returns
    -------
    (list of GridAxis, list of Problem)
        The axes in order, and every problem, located at its argument (``--grid TEXT``): no
        ``=``, no field, an empty value list or value, a value given twice, a field given in
        two ``--grid`` arguments, or a malformed field path.
    """
    axes: list[GridAxis] = []
    problems: list[Problem] = []
    seen: dict[tuple[Any, ...], str] = {}
    for text in texts:
        where = f"--grid {text}"
        path_text, equals, values_text = str(text).partition("=")
        path_text = path_text.strip()
        if not equals or not path_text:
            problems.append(Problem(where, 0, 0, "(grid)", (
                "no '=': " if not equals else "no field before '=': ") +
                "give PATH=V1,V2,..., e.g. plan.care_homes[0].beds.nursing=2000,2500,3000"))
            continue
        values = split_values(values_text)
        found = _value_problems(values)
        key = _path_key(path_text)
        if key is None:
            _, malformed = read_overrides([f"{path_text}=0"])
            found += [problem.message for problem in malformed]
        elif key in seen:
            found.append(f"{path_text} is already swept by --grid {seen[key]}; give each field "
                         "once, with all its values")
        else:
            seen[key] = text
        problems += [Problem(where, 0, 0, path_text, message) for message in found]
        if not found:
            axes.append(GridAxis(path_text, tuple(values), argument=where))
    return axes, problems


def _value_problems(values: list[str]) -> list[str]:
    if not any(values):
        return ["no values after '=': give V1,V2,... (at least one value)"]
    found = []
    if any(not value for value in values):
        found.append("an empty value (two commas in a row, or a comma at an end); give "
                     "V1,V2,... without empty values")
    repeated = sorted({value for value in values if value and values.count(value) > 1})
    if repeated:
        found.append(f"value{'s' if len(repeated) > 1 else ''} {', '.join(repeated)} given "
                     "twice; each value once")
    return found


def value_text(value: Any) -> str:
    """A value read from a sweep file as the ``VALUE`` text of an override that reads back
    as the same value (a number as written, text in JSON quotes, lists and mappings as JSON,
    which YAML reads as flow values)."""
    if isinstance(value, Yaml11Bool | Refused):
        return str(value)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if value is None:
        return "null"
    return json.dumps(value, ensure_ascii=False)


class _Reader:
    """Collects the located problems of one sweep file."""

    def __init__(self, doc: YamlDocument) -> None:
        self.doc = doc
        self.problems: list[Problem] = []

    def at(self, path: tuple[str | int, ...], message: str, *, key: bool = False) -> None:
        self.problems.append(self.doc.problem(path, format_path(path), message, key=key))

    def place(self, path: tuple[str | int, ...]) -> tuple[str, int, int]:
        line, column = self.doc.position(path)
        return (self.doc.file, line, column)

    def texts(self, value: Any, path: tuple[str | int, ...], what: str
              ) -> tuple[list[str], dict[str, tuple[str, int, int]]]:
        """A list of ``PATH=VALUE`` texts (``set:``), checked as overrides."""
        if value is None:
            return [], {}
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            self.at(path, f"{what} is a list of PATH=VALUE texts, e.g. "
                    "[simulation.years=10], got " + (
                        document_kind(value) if not isinstance(value, list) else
                        "a list with an item that is not text (quote an item holding ': ')"))
            return [], {}
        positions = {text: self.place((*path, index)) for index, text in enumerate(value)}
        _, malformed = read_overrides(value)
        for problem in malformed:
            text = problem.file.removeprefix("--set ")
            file, line, column = positions.get(text, self.place(path))
            self.problems.append(Problem(file, line, column, problem.field,
                                         f"{text}: {problem.message}"))
        return list(value), positions


def _int(reader: _Reader, data: dict[str, Any], key: str, low: int, high: int | None
         ) -> int | None:
    value = data.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < low or (
            high is not None and value > high):
        allowed = f"from {low:,} to {high:,}" if high is not None else f"≥ {low}"
        reader.at((key,), f"a whole number {allowed}, got {value!r}")
        return None
    return value


def _axes(reader: _Reader, grid: Any) -> list[GridAxis]:
    if grid is None:
        return []
    if not isinstance(grid, dict):
        reader.at(("grid",), "a mapping of field paths to lists of values, e.g. "
                  "{simulation.admitted_within_days: [30, 60]}, got " + document_kind(grid))
        return []
    axes = []
    seen: dict[tuple[Any, ...], str] = {}
    for path_text, values in grid.items():
        where = ("grid", str(path_text))
        if not isinstance(values, list) or not values:
            reader.at(where, "a list of at least one value, e.g. [2000, 2500, 3000], got " + (
                "an empty list" if isinstance(values, list) else document_kind(values)))
            continue
        texts = [value_text(value) for value in values]
        repeated = sorted({text for text in texts if texts.count(text) > 1})
        if repeated:
            reader.at(where, f"value{'s' if len(repeated) > 1 else ''} {', '.join(repeated)} "
                      "given twice; each value once")
            continue
        key = _path_key(str(path_text))
        if key is None:
            _, malformed = read_overrides([f"{path_text}=0"])
            for problem in malformed:
                reader.at(where, problem.message, key=True)
            continue
        if key in seen:
            reader.at(where, f"the same field as {seen[key]} above; give each field once",
                      key=True)
            continue
        seen[key] = str(path_text)
        positions = {f"{path_text}={text}": reader.place((*where, index))
                     for index, text in enumerate(texts)}
        axes.append(GridAxis(str(path_text), tuple(texts), argument=reader.doc.file,
                             positions=positions))
    return axes


def _variants(reader: _Reader, listed: Any) -> list[SweepFileVariant]:
    if listed is None:
        return []
    if not isinstance(listed, list):
        reader.at(("variants",), "a list of variants, each {name: ..., set: [PATH=VALUE, "
                  "...]}, got " + document_kind(listed))
        return []
    variants = []
    names: dict[str, int] = {}
    for index, item in enumerate(listed):
        where: tuple[str | int, ...] = ("variants", index)
        if not isinstance(item, dict):
            reader.at(where, "a variant is {name: ..., set: [PATH=VALUE, ...]}, got " +
                      document_kind(item))
            continue
        for key in item:
            if key not in ("name", "set"):
                reader.at((*where, str(key)), f"unknown key {key!r}"
                          f"{did_you_mean(str(key), ['name', 'set'])}; allowed: name, set",
                          key=True)
        name = item.get("name")
        if not isinstance(name, str) or not _NAME.match(name):
            reader.at((*where, "name") if "name" in item else where,
                      "required: a name of letters, digits, '_', '.' and '-' (it names the "
                      f"variant's folder), got {name!r}" if "name" in item else
                      "required field `name` is missing", key="name" not in item)
            name = None
        elif name in names:
            reader.at((*where, "name"), f"variant {name!r} is already listed "
                      f"(variants[{names[name]}]); each name once")
            name = None
        else:
            names[name] = index
        if "set" not in item:
            reader.at(where, "required field `set` is missing: the variant's PATH=VALUE "
                      "changes", key=True)
            continue
        texts, positions = reader.texts(item.get("set"), (*where, "set"), "set")
        if not texts and isinstance(item.get("set"), list):
            reader.at((*where, "set"), "give at least one PATH=VALUE change")
        if name is not None and texts:
            variants.append(SweepFileVariant(name, tuple(texts), positions))
    return variants


def is_sweep_file(path: str | Path) -> bool:
    """Whether ``path`` is a sweep file (a YAML mapping with a ``scenario`` key and no
    ``name``) rather than a scenario file; False for anything that cannot be read."""
    doc, _ = read_yaml(path)
    return (doc is not None and isinstance(doc.data, dict) and "scenario" in doc.data
            and "name" not in doc.data)


def read_sweep_file(path: str | Path) -> SweepFile:
    """Read and check a sweep file.

    Parameters
    ----------
    path : str or pathlib.Path

    Returns
    -------
    SweepFile

    Raises
    ------
    ScenarioError
        With every problem of the file, each as ``file:line:col: field: message``: an unknown
        key, no ``scenario`` or one that does not exist, a grid that is not a mapping of lists,
        a value given twice, a field given twice, a variant without a name or changes, a name
        given twice, replications or seed out of range, neither grid nor variants, or more
        than :data:`MAX_GRID_VARIANTS` variants. The overrides themselves are checked
        against the scenario when the sweep runs.
    """
    path = Path(path)
    doc, problems = read_yaml(path)
    if doc is None:
        raise ScenarioError(problems)
    if not isinstance(doc.data, dict):
        raise ScenarioError([*problems, doc.problem((), "(document)", (
            "a sweep file is a mapping (scenario:, grid:, variants:, replications:, seed:), "
            f"got {document_kind(doc.data)}"))])
    reader = _Reader(doc)
    reader.problems += problems
    data: dict[str, Any] = doc.data
    for key in data:
        if key not in SWEEP_KEYS:
            reader.at((str(key),), f"unknown key {key!r}{did_you_mean(str(key), SWEEP_KEYS)}; "
                      f"allowed: {', '.join(SWEEP_KEYS)}", key=True)
    scenario = data.get("scenario")
    scenario_file = path.parent
    if not isinstance(scenario, str) or not scenario.strip():
        reader.at(("scenario",) if "scenario" in data else (), (
            "the base scenario's file, relative to this file (scenario: jiading.yaml), got "
            f"{scenario!r}") if "scenario" in data else "required field `scenario` is missing: "
            "the base scenario's file, relative to this file", key="scenario" not in data)
    else:
        scenario_file = path.parent / scenario
        if not scenario_file.is_file():
            reader.at(("scenario",), f"{scenario!r}: no such file (looked for "
                      f"{scenario_file}); the path is relative to the sweep file's folder")
    description = data.get("description") or ""
    if not isinstance(description, str):
        reader.at(("description",), f"text, got {document_kind(description)}")
        description = ""
    out = data.get("out")
    if out is not None and (not isinstance(out, str) or not out.strip()):
        reader.at(("out",), "the output folder, relative to this file (out: out/sweep), got "
                  f"{out!r}")
        out = None
    common, positions = reader.texts(data.get("set"), ("set",), "set")
    axes = _axes(reader, data.get("grid"))
    variants = _variants(reader, data.get("variants"))
    replications = _int(reader, data, "replications", 1, 10_000)
    seed = _int(reader, data, "seed", 0, None)
    if data.get("grid") is None and data.get("variants") is None:
        reader.at((), "neither `grid` nor `variants`: give the fields to sweep (grid: "
                  "{PATH: [V1, V2]}) or the variants (variants: [{name: ..., set: [...]}])")
    size = (grid_size(axes) if axes else 0) + len(variants)
    if size > MAX_GRID_VARIANTS:
        reader.at(("grid",) if axes else ("variants",),
                  f"{size:,} variants; at most {MAX_GRID_VARIANTS:,} in one sweep")
    if reader.problems:
        raise ScenarioError(reader.problems)
    return SweepFile(file=path, scenario_file=scenario_file, axes=tuple(axes),
                     variants=tuple(variants), overrides=tuple(common),
                     replications=replications, seed=seed, description=description,
                     out_dir=path.parent / out if out is not None else None,
                     positions=positions)
