"""Checks of a scenario file that no single section makes: input file paths, dates, and the
size of every number, each located in the file.

* :func:`file_problems`: every file a scenario names (``csv:``, ``*_csv:``, in any section)
  lies in the scenario's folder, unless the scenario sets ``allow_files_outside: true``
  (:func:`carefacility.base.files.input_file`).
* :func:`typed_value_problems`: every field the models read as a date is written
  ``YYYY-MM-DD``, a year from :data:`DATE_YEARS`; a number is never taken for a date (pydantic
  would read ``1604188800`` as seconds since 1970). And an unquoted ``yes``, ``no``, ``on`` or
  ``off`` (:class:`~carefacility.base.yaml_source.Yaml11Bool`) is read only by a yes/no field:
  anywhere else (``name: no``) it is refused with how YAML 1.1 reads it and how to quote it.
* :func:`number_problems`: no number in the validated sections is infinite, NaN or larger than
  :data:`~carefacility.base.yaml_source.MAX_MAGNITUDE` in size, however it was written (YAML
  refuses ``.inf`` and ``1e30`` where they stand; this catches ``"inf"`` in quotes, which the
  models would read as a number).
"""

from __future__ import annotations

import datetime as dt
import functools
import math
import re
import types
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any, Literal, Union, get_args, get_origin

from pydantic import BaseModel

from carefacility.base.errors import Problem, format_path
from carefacility.base.files import input_file, is_file_key
from carefacility.base.yaml_source import MAX_MAGNITUDE, Yaml11Bool, YamlDocument

__all__ = ["DATE_YEARS", "document_kind", "file_problems", "number_problems",
           "typed_value_problems"]

DATE_YEARS = (1900, 2200)
"""First and last year of any date in a scenario."""

_ISO_DATE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})$")

Location = tuple[str | int, ...]


def _part(key: Any) -> str | int:
    """A key of the file's data as a part of a field path (as :mod:`yaml_source` records)."""
    return key if isinstance(key, str | int) and not isinstance(key, bool) else str(key)


def document_kind(data: Any) -> str:
    """What a document that is not a mapping is, in words (never its content)."""
    if data is None:
        return "nothing"
    if isinstance(data, list):
        return f"a list of {len(data)} item{'s' if len(data) != 1 else ''}"
    if isinstance(data, bool):
        return "a yes/no value"
    if isinstance(data, int | float):
        return "a number"
    return "a line of text"


def file_problems(doc: YamlDocument, base_dir: Path, *, allow_outside: bool) -> list[Problem]:
    """Located problems of every file path in the scenario (``csv``, ``*_csv`` keys).

    Parameters
    ----------
    doc : YamlDocument
    base_dir : pathlib.Path
        The scenario file's folder.
    allow_outside : bool
        The scenario's ``allow_files_outside``.

    Returns
    -------
    list of Problem
    """
    problems: list[Problem] = []
    for where in doc.key_positions:
        if not (where and is_file_key(where[-1])):
            continue
        try:
            given = _value_at(doc.data, where)
        except (KeyError, IndexError, TypeError):
            continue
        if isinstance(given, str):
            _, refused = input_file(base_dir, given, allow_outside=allow_outside)
            if refused is not None:
                problems.append(doc.problem(where, format_path(where), refused))
    return problems


def _value_at(data: Any, path: Location) -> Any:
    """The value at ``path`` in the file's data (keys as the positions record them)."""
    for part in path:
        if isinstance(data, dict) and part not in data:
            part = next(key for key in data if _part(key) == part)
        data = data[part]
    return data


def _date_message(value: Any) -> str | None:
    """Why ``value`` is not a date as a scenario writes one, or None."""
    example = "write a date as YYYY-MM-DD (e.g. 2020-11-01)"
    if isinstance(value, bool | Yaml11Bool):
        return f"a yes/no value is not a date; {example}"
    if isinstance(value, int | float):
        return f"{value} is a number, not a date; {example}"
    if not isinstance(value, str):
        return None  # a list or mapping: the model says what is wrong
    match = _ISO_DATE.match(value.strip())
    if match is None:
        shown = repr(value) if len(value) <= 40 else repr(value[:37] + "...")
        return f"{shown} is not a date; {example}"
    year = int(match.group(1))
    if not DATE_YEARS[0] <= year <= DATE_YEARS[1]:
        return (f"{value}: the year must lie between {DATE_YEARS[0]} and {DATE_YEARS[1]}")
    return None


def _yaml11_message(value: Yaml11Bool) -> str:
    return (f"unquoted {value} is a boolean ({str(value.truth).lower()}) in YAML 1.1 and text "
            "in YAML 1.2, and this field takes no yes/no value; write what it takes (for "
            f"text, quote it: \"{value}\")")


def _strip(annotation: Any) -> Any:
    """The type inside ``Annotated[...]`` layers."""
    while get_origin(annotation) is Annotated:
        annotation = get_args(annotation)[0]
    return annotation


def _visit(annotation: Any, value: Any, path: Location,
           found: Callable[[Location, Any, Any], None]) -> None:
    """Call ``found(path, annotation, value)`` for every value of the file's data that
    ``annotation`` reads as a single value (a date, a number, a text, a yes/no), going
    through lists, mappings, unions and section models."""
    if value is None:
        return
    annotation = _strip(annotation)
    origin = get_origin(annotation)
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        if isinstance(value, dict):
            for key, item in value.items():
                info = annotation.model_fields.get(key) if isinstance(key, str) else None
                if info is not None:
                    _visit(info.annotation, item, (*path, key), found)
        elif isinstance(value, Yaml11Bool):
            found(path, annotation, value)
    elif origin is Union or origin is types.UnionType:
        arms = [_strip(arm) for arm in get_args(annotation)]
        if isinstance(value, Yaml11Bool) and bool in arms:
            return
        for arm in arms:
            if arm is not type(None):
                _visit(arm, value, path, found)
    elif origin in (list, tuple, set, frozenset):
        args = get_args(annotation)
        if isinstance(value, list) and args:
            for index, item in enumerate(value):
                _visit(args[0], item, (*path, index), found)
        elif isinstance(value, Yaml11Bool):
            found(path, annotation, value)
    elif origin is dict:
        args = get_args(annotation)
        if isinstance(value, dict) and len(args) == 2:
            for key, item in value.items():
                _visit(args[1], item, (*path, _part(key)), found)
        elif isinstance(value, Yaml11Bool):
            found(path, annotation, value)
    else:
        found(path, annotation, value)


@functools.cache
def _has_dates(annotation: Any) -> bool:
    """Whether ``annotation`` reads a date anywhere inside it (so its values are visited)."""
    annotation = _strip(annotation)
    if annotation is dt.date:
        return True
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return any(_has_dates(info.annotation) for info in annotation.model_fields.values())
    return any(_has_dates(arg) for arg in get_args(annotation))


def _visit_dates(annotation: Any, value: Any, path: Location,
                 found: Callable[[Location, Any, Any], None]) -> None:
    """:func:`_visit`, going only into the parts of ``annotation`` that hold dates."""
    if value is None or not _has_dates(annotation):
        return
    annotation = _strip(annotation)
    origin = get_origin(annotation)
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        if isinstance(value, dict):
            for key, item in value.items():
                info = annotation.model_fields.get(key) if isinstance(key, str) else None
                if info is not None:
                    _visit_dates(info.annotation, item, (*path, key), found)
    elif origin is Union or origin is types.UnionType:
        for arm in get_args(annotation):
            _visit_dates(arm, value, path, found)
    elif origin in (list, tuple, set, frozenset):
        args = get_args(annotation)
        if isinstance(value, list) and args:
            for index, item in enumerate(value):
                _visit_dates(args[0], item, (*path, index), found)
    elif origin is dict:
        args = get_args(annotation)
        if isinstance(value, dict) and len(args) == 2:
            for key, item in value.items():
                _visit_dates(args[1], item, (*path, _part(key)), found)
    else:
        found(path, annotation, value)


def _annotation_at(model: type[BaseModel], path: Location) -> Any:
    """The annotation that reads the value at ``path`` (None where no field does)."""
    annotation: Any = model
    for part in path:
        annotation = _strip(annotation)
        origin = get_origin(annotation)
        if origin is Union or origin is types.UnionType:
            # the arm that goes on: a section or a mapping for a name, a list for an index
            arms = [_strip(arm) for arm in get_args(annotation)]
            wanted = (list, tuple) if isinstance(part, int) else (dict,)
            arms = [arm for arm in arms if get_origin(arm) in wanted or (
                not isinstance(part, int) and isinstance(arm, type)
                and issubclass(arm, BaseModel))]
            if not arms:
                return None
            annotation = arms[0]
            origin = get_origin(annotation)
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            info = annotation.model_fields.get(part) if isinstance(part, str) else None
            if info is None:
                return None
            annotation = info.annotation
        elif origin in (list, tuple) and isinstance(part, int):
            annotation = get_args(annotation)[0] if get_args(annotation) else None
        elif origin is dict:
            annotation = get_args(annotation)[1] if len(get_args(annotation)) == 2 else None
        else:
            return None
    return annotation


def typed_value_problems(doc: YamlDocument, model: type[BaseModel]) -> list[Problem]:
    """Located problems of dates and of unquoted yes/no/on/off, by the field that reads them.

    Dates are found by going through the parts of ``model`` that hold dates; every unquoted
    yes/no/on/off of the file (``doc.yes_no``) is looked up at its path: a field that reads it
    as a boolean takes it, any other refuses it.

    Parameters
    ----------
    doc : YamlDocument
        The scenario file (its data as read: dates as text, yes/no/on/off as
        :class:`~carefacility.base.yaml_source.Yaml11Bool`).
    model : type of pydantic.BaseModel
        The scenario model (:class:`carefacility.scenario.loader.ScenarioSpec`).

    Returns
    -------
    list of Problem
    """
    problems: dict[Location, Problem] = {}

    def found(path: Location, annotation: Any, value: Any) -> None:
        message = None
        if annotation is dt.date:
            message = _date_message(value)
        elif isinstance(value, Yaml11Bool) and annotation is not bool:
            message = _yaml11_message(value)
        if message is not None and path not in problems:
            problems[path] = doc.problem(path, format_path(path), message)

    _visit_dates(model, doc.data, (), found)
    for path in doc.yes_no:
        annotation = _annotation_at(model, path)
        if annotation is not None:
            _visit(annotation, _value_at(doc.data, path), path, found)
    return list(problems.values())


def _bounded(annotation: Any, constraints: list[Any]) -> bool:
    """Whether the constraints keep a number within ±MAX_MAGNITUDE (and so finite)."""
    lower = upper = None
    for item in constraints:
        for name in ("ge", "gt"):
            lower = getattr(item, name, lower) if getattr(item, name, None) is not None else lower
        for name in ("le", "lt"):
            upper = getattr(item, name, upper) if getattr(item, name, None) is not None else upper
    return (lower is not None and upper is not None and -MAX_MAGNITUDE <= lower
            and upper <= MAX_MAGNITUDE)


@functools.cache
def _may_hold_bad_number(annotation: Any, constraints: tuple[Any, ...] = ()) -> bool:
    """Whether a value read by ``annotation`` (with the field's ``constraints``) may hold a
    number that is not finite or is larger than MAX_MAGNITUDE: its models' numbers without
    both bounds (so that the walk of :func:`number_problems` skips what cannot hold one)."""
    found = list(constraints)
    while get_origin(annotation) is Annotated:
        args = get_args(annotation)
        annotation = args[0]
        for item in args[1:]:
            found.extend(getattr(item, "metadata", None) or [item])
    if annotation in (bool, str, dt.date, type(None)) or get_origin(annotation) is Literal:
        return False
    if annotation in (int, float):
        return not _bounded(annotation, found)
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return bool(_fields_to_visit(annotation))
    args = get_args(annotation)
    origin = get_origin(annotation)
    if origin is Union or origin is types.UnionType:  # the field's bounds hold for each arm
        return any(_may_hold_bad_number(arg, tuple(found)) for arg in args)
    if origin is dict and len(args) == 2:
        return _may_hold_bad_number(args[1])
    if args:
        return any(_may_hold_bad_number(arg) for arg in args)
    return True  # anything else: visit it


@functools.cache
def _fields_to_visit(model: type[BaseModel]) -> tuple[str, ...]:
    """The fields of ``model`` that may hold a number out of bounds."""
    return tuple(name for name, info in model.model_fields.items()
                 if _may_hold_bad_number(info.annotation, tuple(info.metadata)))


def number_problems(spec: BaseModel, doc: YamlDocument) -> list[Problem]:
    """Located problems of every number in a validated section that is not finite or is larger
    than :data:`~carefacility.base.yaml_source.MAX_MAGNITUDE` in size.

    Only the fields whose type may hold such a number are visited (a number field bounded on
    both sides within the limit cannot), so that a plan of thousands of homes is checked fast.

    Parameters
    ----------
    spec : pydantic.BaseModel
        The validated scenario (or a section of it, located from the document's top).
    doc : YamlDocument

    Returns
    -------
    list of Problem
    """
    problems: list[Problem] = []
    stack: list[tuple[Any, Location]] = [(spec, ())]
    while stack:
        value, path = stack.pop()
        if isinstance(value, BaseModel):
            stack.extend((getattr(value, name), (*path, name))
                         for name in _fields_to_visit(type(value)))
        elif isinstance(value, dict):
            stack.extend((item, (*path, _part(key))) for key, item in value.items())
        elif isinstance(value, list | tuple):
            stack.extend((item, (*path, index)) for index, item in enumerate(value))
        elif isinstance(value, bool):
            continue
        elif isinstance(value, int | float):
            if isinstance(value, float) and not math.isfinite(value):
                message = f"Input should be a finite number (got {value})"
            elif abs(value) > MAX_MAGNITUDE:
                message = (f"{value:g} is far too large (numbers are accepted up to 10^12 in "
                           "size; fields have tighter bounds)")
            else:
                continue
            problems.append(doc.problem(path, format_path(path), message))
    return problems
