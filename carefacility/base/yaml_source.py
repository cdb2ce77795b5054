"""Read a YAML file safely and remember where every value stands in it.

Planners' scenario files are small; anything very large or very deeply nested is refused, anchors
and aliases (which can expand exponentially) and explicit tags (``!!int 010``) are refused, and
duplicate keys — which YAML silently lets the last one win — are reported.

The file is read in one pass over the parser's events (libyaml's when PyYAML has it), building
the data, the position of every key and value and the problems together, without recursion.

What a plain (unquoted) value means
-----------------------------------
The YAML 1.2 core schema, with every place where YAML 1.1 (PyYAML's default) reads the same text
differently either refused with a located message or read the 1.2 way with a hint:

* **Numbers**: ``12``, ``-3``, ``1_000`` (underscores between digits are allowed), ``0.5``,
  ``1e-3``, ``.5``. A whole number with a **leading zero** (``010``) is refused: YAML 1.1 reads
  it as octal (8), YAML 1.2 as 10; write ``10`` (or ``"010"`` for text). ``.inf``, ``.nan``
  and numbers larger than :data:`MAX_MAGNITUDE` in size are refused: no count, rate, amount of
  days or share in a scenario is infinite or that large. ``0x1F``, ``0o17`` and base-60
  ``1:30`` are text (YAML 1.1 read ``1:30`` as 90); a field that needs a number then says so,
  with the hint.
* **Booleans**: ``true`` / ``false`` (any case as YAML 1.2 allows). ``yes``, ``no``, ``on``,
  ``off`` (which YAML 1.1 reads as booleans and YAML 1.2 as text) are kept as
  :class:`Yaml11Bool` text: a yes/no field reads them as YAML 1.1 does
  (``overflow_to_general: no`` keeps working), and any other field refuses them with a message
  saying that YAML 1.1 reads them as a boolean and to quote them for text (``name: no``:
  :func:`carefacility.scenario.checks.typed_value_problems`).
* **Dates** are kept as the text written, so the scenario models check and locate them
  (``2020-11-01``); nothing else becomes a date.
* **Null**: ``~``, ``null`` or nothing.
"""

from __future__ import annotations

import dataclasses
import math
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from carefacility.base.errors import Problem, format_path

__all__ = ["MAX_DEPTH", "MAX_FILE_BYTES", "MAX_MAGNITUDE", "Refused", "Yaml11Bool",
           "YamlDocument", "read_yaml", "read_yaml_value"]

MAX_FILE_BYTES = 2_000_000
"""Largest scenario file accepted [bytes]; tables belong in CSV files beside it."""

MAX_DEPTH = 32
"""Deepest nesting of mappings and lists accepted in a scenario file."""

MAX_MAGNITUDE = 10**12
"""Largest number accepted in a scenario file, in size (10^12): beyond any count of persons or
beds, rate, amount of days, year or seed a scenario gives. Fields have tighter bounds of their
own."""

Path_ = tuple[str | int, ...]

_Loader: type = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
"""The event source: libyaml's parser when PyYAML was built with it (10 times faster)."""


@dataclass
class YamlDocument:
    """A parsed YAML document with the positions of its keys and values.

    Attributes
    ----------
    file : str
        The file's path as given.
    data : Any
        The plain Python data (dicts, lists, scalars; dates as text).
    value_positions, key_positions : dict
        ``path -> (line, column)``, 1-based, for every value and every mapping key.
    hints : dict
        ``path -> text``: how a plain value was read where YAML 1.1 reads it differently
        (``1:30`` as text); added to any problem reported at that path.
    yes_no : list
        Paths of the unquoted yes/no/on/off values (:class:`Yaml11Bool`).
    """

    file: str
    data: Any
    value_positions: dict[Path_, tuple[int, int]] = field(default_factory=dict)
    key_positions: dict[Path_, tuple[int, int]] = field(default_factory=dict)
    hints: dict[Path_, str] = field(default_factory=dict)
    yes_no: list[Path_] = field(default_factory=list)

    def position(self, path: Path_, *, key: bool = False) -> tuple[int, int]:
        """Best known position for ``path``: its key or value, else its nearest ancestor."""
        path = tuple(path)
        while True:
            if key and path in self.key_positions:
                return self.key_positions[path]
            if path in self.value_positions:
                return self.value_positions[path]
            if path in self.key_positions:
                return self.key_positions[path]
            if not path:
                return (1, 1)
            path = path[:-1]

    def problem(self, path: Path_, field_name: str, message: str, *, key: bool = False) -> Problem:
        """A :class:`Problem` located at ``path`` in this document."""
        line, column = self.position(path, key=key)
        return Problem(self.file, line, column, field_name, message)


# --------------------------------------------------------------------------------------------
# plain scalars: the YAML 1.2 core schema, with YAML 1.1's other readings refused or hinted
# --------------------------------------------------------------------------------------------
_NULL = re.compile(r"^(?:~|null|Null|NULL|)$")
_BOOL = {"true": True, "True": True, "TRUE": True,
         "false": False, "False": False, "FALSE": False}
_BOOL_11 = frozenset({"yes", "Yes", "YES", "on", "On", "ON", "no", "No", "NO", "off", "Off",
                      "OFF"})
_LEADING_ZERO = re.compile(r"^[-+]?0[0-9_]+$")
_INT = re.compile(r"^[-+]?(?:0|[1-9](?:_?[0-9])*)$")
_FLOAT = re.compile(r"^[-+]?(?:\.[0-9](?:_?[0-9])*|[0-9](?:_?[0-9])*(?:\.(?:[0-9](?:_?[0-9])*)?)?)"
                    r"(?:[eE][-+]?[0-9]+)?$")
_NOT_FINITE = re.compile(r"^(?:[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$")
_SEXAGESIMAL = re.compile(r"^[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+(?:\.[0-9_]*)?$")
_MAX_DIGITS = 40
"""Longest run of digits converted at all (longer ones are refused without converting)."""


class Yaml11Bool(str):
    """An unquoted ``yes``, ``no``, ``on`` or ``off``: a boolean in YAML 1.1, text in YAML
    1.2. Kept as its text; :attr:`truth` is its YAML 1.1 meaning."""

    __slots__ = ()

    @property
    def truth(self) -> bool:
        """The boolean YAML 1.1 reads (``yes`` and ``on`` are true)."""
        return self.lower() in ("yes", "on")


class Refused(str):
    """The text of a plain value refused where it stands (a leading zero, ``.inf``, a number
    far too large): kept as text, so the file's structure stays as written (the key is still
    given) while no number is made of it; its problem is reported at its position."""

    __slots__ = ()


@dataclass(frozen=True)
class _Scalar:
    """A plain scalar as read: its value, a problem that refuses it, a hint for messages."""

    value: Any
    problem: str | None = None
    hint: str | None = None


def _too_large(text: str) -> str:
    return (f"{text} is far too large: no count, rate, amount of days or year in a scenario "
            "comes near it (numbers are accepted up to 10^12 in size; fields have tighter "
            "bounds)")


def _plain_scalar(text: str) -> _Scalar:
    """The meaning of an unquoted scalar (see the module notes)."""
    if _NULL.match(text):
        return _Scalar(None)
    if text in _BOOL:
        return _Scalar(_BOOL[text])
    if text in _BOOL_11:
        return _Scalar(Yaml11Bool(text))
    if _LEADING_ZERO.match(text):
        digits = text.replace("_", "")
        decimal = int(digits) if len(digits) <= _MAX_DIGITS else None
        yaml11 = "as text"
        if re.fullmatch(r"[-+]?0[0-7]+", digits) and len(digits) <= _MAX_DIGITS:
            yaml11 = f"as the octal number {int(digits, 8)}"
        plain = f"write {decimal}" if decimal is not None else "write it without the zero"
        return _Scalar(Refused(text), problem=(
            f"{text} has a leading zero: YAML 1.1 reads it {yaml11}, YAML 1.2 as a decimal "
            f"number; {plain} (or \"{text}\" in quotes if it is text, such as a code)"))
    if _INT.match(text):
        digits = text.replace("_", "")
        if len(digits.lstrip("+-")) > _MAX_DIGITS:
            return _Scalar(Refused(text), problem=_too_large(text[:20] + "..."))
        number = int(digits)
        if abs(number) > MAX_MAGNITUDE:
            return _Scalar(Refused(text), problem=_too_large(text))
        return _Scalar(number)
    if _NOT_FINITE.match(text):
        return _Scalar(Refused(text), problem=f"Input should be a finite number (got {text})")
    if _FLOAT.match(text):
        number = float(text.replace("_", ""))
        if not math.isfinite(number) or abs(number) > MAX_MAGNITUDE:
            return _Scalar(Refused(text), problem=_too_large(text))
        return _Scalar(number)
    if _SEXAGESIMAL.match(text):
        return _Scalar(text, hint=(
            f"{text} is read as text (YAML 1.1 read digits with colons as a base-60 "
            "number); write the number itself"))
    return _Scalar(text)


# --------------------------------------------------------------------------------------------
# reading
# --------------------------------------------------------------------------------------------
def _mark(mark: Any) -> tuple[int, int]:
    return (mark.line + 1, mark.column + 1) if mark is not None else (0, 0)


def _yaml_error_problem(error: yaml.YAMLError, file: str) -> Problem:
    """A located problem for a parser error; never the text of the file's line."""
    mark = getattr(error, "problem_mark", None) or getattr(error, "context_mark", None)
    line, col = _mark(mark)
    what = getattr(error, "problem", None) or type(error).__name__
    context = getattr(error, "context", None)
    if "nesting depth" in str(what):
        # PyYAML ≥ 6.0.4 stops deep nesting in its scanner, before our own limit is reached
        return Problem(file, line, col, "(document)", f"nesting deeper than {MAX_DEPTH} "
                       "levels; a scenario needs only a few levels")
    message = f"malformed YAML: {what}" + (f" ({context})" if context else "")
    return Problem(file, line, col, "(document)", message)


class _Stop(Exception):
    """Reading stops: the problem that stopped it is recorded."""


def _key_part(key: Any) -> str | int:
    """A mapping key as a part of a field path (text and whole numbers as they are)."""
    return key if isinstance(key, str | int) and not isinstance(key, bool) else str(key)


class _Frame:
    """A mapping or list being built, with its path and (for a mapping) the pending key."""

    __slots__ = ("container", "has_key", "key", "path", "seen")

    def __init__(self, container: dict | list, path: Path_):
        self.container = container
        self.path = path
        self.key: Any = None
        self.has_key = False
        self.seen: dict[Any, tuple[int, int]] = {}


class _Builder:
    """Builds data, positions and problems from parser events, iteratively."""

    def __init__(self, doc: YamlDocument):
        self.doc = doc
        self.problems: list[Problem] = []
        self.stack: list[_Frame] = []
        self.root: Any = None
        self.nodes = 0

    def stop(self, mark: Any, message: str) -> None:
        """Record a problem of the whole document and stop reading."""
        line, col = _mark(mark)
        self.problems.append(Problem(self.doc.file, line, col, "(document)", message))
        raise _Stop

    def _next(self) -> tuple[Path_, bool]:
        """Path of the next node and whether it is a mapping key."""
        if not self.stack:
            return (), False
        frame = self.stack[-1]
        if isinstance(frame.container, list):
            return (*frame.path, len(frame.container)), False
        if not frame.has_key:
            return frame.path, True
        return (*frame.path, _key_part(frame.key)), False

    def start(self, container: dict | list, mark: Any) -> None:
        """A mapping or list begins."""
        self.nodes += 1
        path, is_key = self._next()
        if is_key:
            self.stop(mark, "a key must be a name or a number, not a list or a mapping")
        self.doc.value_positions[path] = _mark(mark)
        self.stack.append(_Frame(container, path))

    def end(self) -> None:
        """The innermost mapping or list ends."""
        frame = self.stack.pop()
        self._put(frame.container)

    def scalar(self, value: Any, mark: Any, *, problem: str | None = None,
               hint: str | None = None) -> None:
        """A scalar, with the problem that refuses it or a hint on how it was read."""
        self.nodes += 1
        position = _mark(mark)
        path, is_key = self._next()
        if is_key:
            frame = self.stack[-1]
            key_path = (*path, _key_part(value))
            if problem is not None:
                self.problems.append(Problem(self.doc.file, *position, format_path(key_path),
                                             problem))
            if value in frame.seen:
                self.problems.append(Problem(
                    self.doc.file, *position, format_path(key_path),
                    f"duplicate key {value!r} (first at line {frame.seen[value][0]}); "
                    "each key may appear once"))
            frame.seen[value] = position
            self.doc.key_positions[key_path] = position
            frame.key = value
            frame.has_key = True
            return
        self.doc.value_positions[path] = position
        if problem is not None:
            self.problems.append(Problem(self.doc.file, *position, format_path(path), problem))
        if hint is not None:
            self.doc.hints[path] = hint
        if isinstance(value, Yaml11Bool):
            self.doc.yes_no.append(path)
        self._put(value)

    def _put(self, value: Any) -> None:
        """Put a finished value into its parent (a mapping's pending key, or a list)."""
        if not self.stack:
            self.root = value
            return
        frame = self.stack[-1]
        if isinstance(frame.container, list):
            frame.container.append(value)
        else:
            frame.container[frame.key] = value
            frame.key = None
            frame.has_key = False


def _build(text: str, doc: YamlDocument) -> tuple[list[Problem], int]:
    """Read the events of ``text`` into ``doc``; return the problems and the count of nodes."""
    builder = _Builder(doc)
    loader = _Loader(text)
    depth = 0
    documents = 0
    try:
        while loader.check_event():
            event = loader.get_event()
            kind = type(event).__name__
            if kind in ("StreamStartEvent", "StreamEndEvent", "DocumentEndEvent"):
                continue
            if kind == "DocumentStartEvent":
                documents += 1
                if documents > 1:
                    builder.stop(event.start_mark, "more than one YAML document (a second "
                                 "'---'); a scenario is one document")
                continue
            if kind == "AliasEvent" or getattr(event, "anchor", None) is not None:
                builder.stop(event.start_mark, "YAML anchors and aliases (&name, *name) are "
                             "not allowed; write the values out")
            if getattr(event, "tag", None) is not None:
                tag = str(event.tag).replace("tag:yaml.org,2002:", "!!")
                builder.stop(event.start_mark, f"explicit YAML tags ({tag}) are not "
                             "allowed; write the value plainly (in quotes for text)")
            if kind in ("MappingStartEvent", "SequenceStartEvent"):
                depth += 1
                if depth > MAX_DEPTH:
                    builder.stop(event.start_mark, f"nesting deeper than {MAX_DEPTH} levels; "
                                 "a scenario needs only a few levels")
                builder.start({} if kind == "MappingStartEvent" else [], event.start_mark)
            elif kind in ("MappingEndEvent", "SequenceEndEvent"):
                depth -= 1
                builder.end()
            elif kind == "ScalarEvent":
                if event.implicit[0]:
                    read = _plain_scalar(event.value)
                    builder.scalar(read.value, event.start_mark, problem=read.problem,
                                   hint=read.hint)
                else:
                    builder.scalar(event.value, event.start_mark)
    except _Stop:
        pass
    except yaml.YAMLError as error:
        builder.problems.append(_yaml_error_problem(error, doc.file))
    finally:
        dispose = getattr(loader, "dispose", None)
        if dispose is not None:
            dispose()
    doc.data = builder.root
    return builder.problems, builder.nodes


def read_yaml_value(text: str, file: str) -> tuple[Any, list[Problem]]:
    """Read one YAML flow value given on a command line (``40``, ``0.9``, ``[1, 2]``,
    ``{general: 10}``, text), by the same rules as a scenario file's values.

    Parameters
    ----------
    text : str
        The value as typed.
    file : str
        What problems name as their file (e.g. the ``--set`` argument).

    Returns
    -------
    (value, list of Problem)
        The value (``None`` for an empty text) and the problems found reading it.
    """
    doc = YamlDocument(file=file, data=None)
    problems, _ = _build("value: " + text, doc)
    value = doc.data.get("value") if isinstance(doc.data, dict) else None
    return value, [dataclasses.replace(problem, line=0, column=0, field="value")
                   for problem in problems]


def read_yaml(path: str | Path) -> tuple[YamlDocument | None, list[Problem]]:
    """Read and parse a YAML file, returning the document and every problem found.

    Parameters
    ----------
    path : str or pathlib.Path
        The file to read.

    Returns
    -------
    (YamlDocument or None, list of Problem)
        The document is ``None`` when it could not be parsed at all. Values refused where they
        stand (a leading zero, ``.inf``, a number too large) are their text in the data
        (:class:`Refused`), with a problem at their position.
    """
    file = str(path)
    target = Path(path)
    try:
        if target.is_dir():
            return None, [Problem(file, 0, 0, "(file)", "is a folder, not a scenario file; "
                                  "name the .yaml file")]
        if not target.is_file():
            return None, [Problem(file, 0, 0, "(file)", "file does not exist or is not a "
                                  "file")]
        size = target.stat().st_size
        if size > MAX_FILE_BYTES:
            return None, [
                Problem(file, 0, 0, "(file)",
                        f"file is {size:,} bytes; at most {MAX_FILE_BYTES:,} are accepted "
                        "(put large tables in CSV files referenced from the scenario)")
            ]
        raw = target.read_bytes()
    except (OSError, ValueError) as error:
        reason = error.strerror if isinstance(error, OSError) and error.strerror else (
            type(error).__name__)
        return None, [Problem(file, 0, 0, "(file)", f"cannot be read: {reason}")]
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = raw.count(b"\n", 0, error.start) + 1
        column = error.start - (raw.rfind(b"\n", 0, error.start) + 1) + 1
        return None, [
            Problem(file, line, column, "(file)",
                    f"not UTF-8 text (byte {error.start} cannot be read); save the file as "
                    "UTF-8")
        ]
    doc = YamlDocument(file=file, data=None)
    problems, nodes = _build(text, doc)
    fatal = [p for p in problems if p.field == "(document)"]
    if fatal:
        return None, fatal
    if nodes == 0:
        return None, [Problem(file, 1, 1, "(document)", "the file is empty (no YAML "
                              "content, only blank lines or comments)")]
    return doc, problems
