"""Overrides: ``PATH=VALUE`` changes to a scenario given on the command line (``--set``).

A planner asks "what if Jiading built 3,000 nursing beds?" without copying the file::

    carefacility run scenarios/jiading.yaml --set plan.care_homes[jiading_homes].beds.nursing=3000

``PATH`` is the field's keys from the top of the file, joined by dots; an item of a list is
named by its 0-based index (``care_homes[0]`` or ``care_homes.0``) or by its ``name`` or ``id``
in brackets (``care_homes[jiading_homes]``, ``targets[admitted_within_30_days]``). ``VALUE`` is
read as a YAML flow value by the same rules as the file (``40``, ``0.9``, ``true``, ``[1, 2]``,
``{general: 10}``, text; a leading zero or ``.inf`` is refused as in the file).

The overrides are applied to the parsed file before it is validated, so every check of a
scenario applies to them, and a problem at an overridden field is reported at the argument
(``--set plan.care_homes[0].beds.genral=7000: plan.care_homes[0].beds.genral: ...``), not at a
line of the file that does not hold the value. A field the file omits is added (a section
too); a field that does not exist is the validator's "unknown field" with its suggestion.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from carefacility.base.errors import Problem, ScenarioError, format_path, name_list
from carefacility.base.yaml_source import YamlDocument, read_yaml_value

__all__ = ["ItemName", "Override", "apply_overrides", "override_label", "parse_override",
           "parse_overrides", "read_overrides", "relocate_problems"]

OPTION = "--set"
"""How the command line names an override (the file of its problems)."""


class ItemName(str):
    """A list item named by its ``name`` or ``id`` (``care_homes[jiading_homes]``)."""

    __slots__ = ()


PathPart = str | int | ItemName


@dataclass(frozen=True)
class Override:
    """One ``PATH=VALUE`` change.

    Attributes
    ----------
    text : str
        The argument as given (``plan.care_homes[0].beds.general=7000``).
    path : tuple of str, int or ItemName
        The keys, list indices and item names of ``PATH``, in order.
    value : Any
        ``VALUE`` read as YAML.
    """

    text: str
    path: tuple[PathPart, ...]
    value: Any

    @property
    def where(self) -> str:
        """How problems name this override: ``--set PATH=VALUE``."""
        return f"{OPTION} {self.text}"


def _is_key(part: PathPart) -> bool:
    """Whether ``part`` names a mapping's field (not a list index or item name)."""
    return isinstance(part, str) and not isinstance(part, ItemName)


def _problem(text: str, message: str, field: str = "(override)") -> Problem:
    return Problem(f"{OPTION} {text}", 0, 0, field, message)


def _split_path(text: str, path_text: str) -> tuple[tuple[PathPart, ...], list[Problem]]:
    """The parts of ``a.b[0].c[name]``; problems for an empty key or an unclosed bracket."""
    parts: list[PathPart] = []
    problems: list[Problem] = []
    position = 0
    key = ""

    def end_key(allow_empty: bool) -> None:
        nonlocal key
        if key:
            parts.append(int(key) if key.isdigit() and parts else key)
        elif not allow_empty:
            problems.append(_problem(text, f"empty key in {path_text!r} (keys are joined by "
                                     "single dots: simulation.replications)"))
        key = ""

    while position < len(path_text):
        char = path_text[position]
        if char == ".":
            end_key(allow_empty=bool(parts) and path_text[position - 1] == "]")
            position += 1
        elif char == "[":
            end_key(allow_empty=not parts or path_text[position - 1] == "]")
            close = path_text.find("]", position)
            if close < 0:
                problems.append(_problem(text, f"unclosed '[' in {path_text!r}"))
                return tuple(parts), problems
            inner = path_text[position + 1:close].strip()
            if not inner:
                problems.append(_problem(text, f"empty brackets in {path_text!r}: give an "
                                         "index (0, 1, ...) or an item's name"))
            elif inner.isdigit():
                parts.append(int(inner))
            else:
                parts.append(ItemName(inner.strip("'\"")))
            position = close + 1
        else:
            key += char
            position += 1
    end_key(allow_empty=bool(parts) and path_text.endswith("]"))
    if parts and not _is_key(parts[0]):
        problems.append(_problem(text, f"{path_text!r} must start with a section name "
                                 "(plan.care_homes[0])"))
    return tuple(parts), problems


def parse_override(text: str) -> Override:
    """Read one ``PATH=VALUE`` argument.

    Parameters
    ----------
    text : str
        E.g. ``simulation.replications=40`` or ``plan.care_homes[home_a].beds.nursing=300``.

    Returns
    -------
    Override

    Raises
    ------
    ScenarioError
        When the text has no ``=``, an empty path or key, an unclosed bracket, or a value YAML
        refuses (every problem at once).
    """
    overrides, problems = _parse([text])
    if problems:
        raise ScenarioError(problems)
    return overrides[0]


def _parse(texts: Iterable[str]) -> tuple[list[Override], list[Problem]]:
    overrides: list[Override] = []
    problems: list[Problem] = []
    for text in texts:
        path_text, equals, value_text = str(text).partition("=")
        path_text = path_text.strip()
        if not equals:
            problems.append(_problem(text, "no '=': give PATH=VALUE, e.g. "
                                     "simulation.replications=40"))
            continue
        if not path_text:
            problems.append(_problem(text, "no field before '=': give PATH=VALUE, e.g. "
                                     "simulation.replications=40"))
            continue
        path, found = _split_path(text, path_text)
        value, value_problems = read_yaml_value(value_text.strip(), f"{OPTION} {text}")
        problems += found + [dataclasses.replace(problem, field=path_text)
                             for problem in value_problems]
        if not found and not value_problems:
            overrides.append(Override(str(text), path, value))
    return overrides, problems


def read_overrides(texts: Iterable[str | Override]) -> tuple[list[Override], list[Problem]]:
    """Read several overrides (already read ones are kept as they are).

    Returns
    -------
    (list of Override, list of Problem)
        The well-formed overrides in order, and the problems of the malformed ones.
    """
    texts = list(texts)
    parsed, problems = _parse([text for text in texts if not isinstance(text, Override)])
    by_text = {override.text: override for override in parsed}
    return [text if isinstance(text, Override) else by_text[str(text)] for text in texts
            if isinstance(text, Override) or str(text) in by_text], problems


def parse_overrides(texts: Iterable[str | Override]) -> list[Override]:
    """Read several overrides; every problem at once.

    Raises
    ------
    ScenarioError
        Listing the problems of every malformed argument.
    """
    overrides, problems = read_overrides(texts)
    if problems:
        raise ScenarioError(problems)
    return overrides


def _item_names(items: list[Any]) -> list[str]:
    names = []
    for item in items:
        if isinstance(item, dict):
            for key in ("name", "id"):
                if isinstance(item.get(key), str):
                    names.append(item[key])
                    break
    return names


def _resolve_item(items: list[Any], part: int | ItemName) -> int | str:
    """The index of ``part`` in ``items``, or a message saying why there is none."""
    if isinstance(part, int):
        if part < len(items):
            return part
        return (f"index {part} is past the end of the list ({len(items)} item"
                f"{'s' if len(items) != 1 else ''}: 0 to {len(items) - 1})"
                if items else f"index {part}: the list is empty")
    for index, item in enumerate(items):
        if isinstance(item, dict) and part in (item.get("name"), item.get("id")):
            return index
    names = _item_names(items)
    allowed = f"the items are named {name_list(names)}" if names else (
        "its items have no name or id: use the index (0, 1, ...)")
    return f"no item named {str(part)!r}; {allowed}"


def apply_overrides(doc: YamlDocument, overrides: Sequence[Override]
                    ) -> tuple[dict[str, tuple[str | int, ...]], list[Problem]]:
    """Apply overrides to a parsed scenario in place, in order.

    Parameters
    ----------
    doc : YamlDocument
        The scenario as read (its ``data`` is changed).
    overrides : sequence of Override

    Returns
    -------
    (dict, list of Problem)
        Each applied override's ``where`` to the path it changed (list items as indices; the
        first field it added, when it added one: a problem there is the override's), and
        the problems of the overrides that could not be applied (an index past the end of a
        list, a name no item has, a key into a value that is not a mapping).
    """
    applied: dict[str, tuple[str | int, ...]] = {}
    problems: list[Problem] = []
    if not isinstance(doc.data, dict):
        return applied, problems
    for override in overrides:
        node: Any = doc.data
        resolved: list[str | int] = []
        created = 0  # length of the path of the first field the override adds (0: none)
        failure = ""
        for depth, part in enumerate(override.path):
            last = depth == len(override.path) - 1
            if isinstance(node, list):
                if _is_key(part):
                    failure = (f"{format_path(resolved)} is a list: name an item by its index "
                               f"or name in brackets ({format_path(resolved)}[0])")
                    break
                index = _resolve_item(node, part)
                if isinstance(index, str):
                    failure = f"{format_path(resolved)}: {index}"
                    break
                resolved.append(index)
                if last:
                    node[index] = override.value
                else:
                    node = node[index]
            elif isinstance(node, dict):
                if not _is_key(part):
                    failure = (f"{format_path(resolved) or 'the file'} is a mapping, not a "
                               f"list: name its field instead of [{part}]")
                    break
                key = str(part)
                resolved.append(key)
                if not created and node.get(key) is None:
                    created = len(resolved)
                if last:
                    node[key] = override.value
                else:
                    if node.get(key) is None:
                        node[key] = {} if _is_key(override.path[depth + 1]) else []
                    node = node[key]
            else:
                failure = (f"{format_path(resolved)} is a single value "
                           f"({type(node).__name__}), not a section: it has no field "
                           f"{part!r}")
                break
        if failure:
            problems.append(_problem(override.text, failure,
                                     override.text.partition("=")[0].strip()))
        else:
            applied[override.where] = tuple(resolved[:created or None])
    return applied, problems


def _under(field: str, path_text: str) -> bool:
    return field == path_text or field.startswith((path_text + ".", path_text + "["))


def relocate_problems(problems: Iterable[Problem],
                      applied: dict[str, tuple[str | int, ...]]) -> list[Problem]:
    """Problems at (or inside) an overridden field, located at the override's argument.

    The last override of a field wins, as it does when they are applied.
    """
    paths = [(where, format_path(path)) for where, path in applied.items()]
    out = []
    for problem in problems:
        for where, path_text in reversed(paths):
            if _under(problem.field, path_text):
                problem = dataclasses.replace(problem, file=where, line=0, column=0)
                break
        out.append(problem)
    return out


def override_label(overrides: Iterable[str | Override]) -> str:
    """A short label of overrides: the last two keys of each path and its value
    (``beds.nursing=3000, seed=3``); empty without overrides."""
    labels = []
    for override in overrides:
        text = override.text if isinstance(override, Override) else str(override)
        path_text, _, value = text.partition("=")
        keys = [key for key in path_text.replace("[", ".[").split(".") if key]
        labels.append(f"{'.'.join(keys[-2:])}={value.strip()}")
    return ", ".join(labels)
