"""Read a YAML file safely and remember where every value stands in it.

Planners' scenario files are small; anything very large or very deeply nested is refused before
it is parsed, anchors and aliases (which can expand exponentially) are refused, and duplicate keys
— which YAML silently lets the last one win — are reported.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from carefacility.base.errors import Problem, format_path

__all__ = ["MAX_DEPTH", "MAX_FILE_BYTES", "YamlDocument", "read_yaml"]

MAX_FILE_BYTES = 2_000_000
"""Largest scenario file accepted [bytes]; tables belong in CSV files beside it."""

MAX_DEPTH = 32
"""Deepest nesting of mappings and lists accepted in a scenario file."""

Path_ = tuple[str | int, ...]


@dataclass
class YamlDocument:
    """A parsed YAML document with the positions of its keys and values.

    Attributes
    ----------
    file : str
        The file's path as given.
    data : Any
        The plain Python data (dicts, lists, scalars, dates).
    value_positions, key_positions : dict
        ``path -> (line, column)``, 1-based, for every value and every mapping key.
    """

    file: str
    data: Any
    value_positions: dict[Path_, tuple[int, int]] = field(default_factory=dict)
    key_positions: dict[Path_, tuple[int, int]] = field(default_factory=dict)

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


class _Loader(yaml.SafeLoader):
    """Safe loader that keeps dates as text, so the scenario model validates (and locates) them."""


_Loader.add_constructor(
    "tag:yaml.org,2002:timestamp", lambda loader, node: loader.construct_scalar(node)
)


def _mark(mark: Any) -> tuple[int, int]:
    return (mark.line + 1, mark.column + 1) if mark is not None else (0, 0)


def _prescan(text: str, file: str) -> list[Problem]:
    """Refuse deep nesting and aliases using the token stream (iterative, no recursion)."""
    problems: list[Problem] = []
    depth = 0
    try:
        for token in yaml.scan(text, Loader=yaml.SafeLoader):
            name = type(token).__name__
            if name in {
                "BlockMappingStartToken",
                "BlockSequenceStartToken",
                "FlowMappingStartToken",
                "FlowSequenceStartToken",
            }:
                depth += 1
                if depth > MAX_DEPTH:
                    line, col = _mark(token.start_mark)
                    problems.append(
                        Problem(file, line, col, "(document)",
                                f"nesting deeper than {MAX_DEPTH} levels; "
                                "a scenario needs only a few levels")
                    )
                    return problems
            elif name in {"BlockEndToken", "FlowMappingEndToken", "FlowSequenceEndToken"}:
                depth -= 1
            elif name in {"AliasToken", "AnchorToken"}:
                line, col = _mark(token.start_mark)
                problems.append(
                    Problem(file, line, col, "(document)",
                            "YAML anchors and aliases (&name, *name) are not allowed; "
                            "write the values out")
                )
                return problems
    except yaml.YAMLError as error:
        problems.append(_yaml_error_problem(error, file))
    return problems


def _yaml_error_problem(error: yaml.YAMLError, file: str) -> Problem:
    mark = getattr(error, "problem_mark", None) or getattr(error, "context_mark", None)
    line, col = _mark(mark)
    what = getattr(error, "problem", None) or str(error)
    context = getattr(error, "context", None)
    message = f"malformed YAML: {what}" + (f" ({context})" if context else "")
    return Problem(file, line, col, "(document)", message)


def _walk(node: yaml.Node, path: Path_, doc: YamlDocument, problems: list[Problem]) -> None:
    """Record positions of every key and value (iterative to avoid deep recursion)."""
    stack: list[tuple[yaml.Node, Path_]] = [(node, path)]
    while stack:
        current, current_path = stack.pop()
        doc.value_positions[current_path] = _mark(current.start_mark)
        if isinstance(current, yaml.MappingNode):
            seen: dict[Any, tuple[int, int]] = {}
            for key_node, value_node in current.value:
                key = key_node.value if isinstance(key_node, yaml.ScalarNode) else str(key_node)
                key_path = (*current_path, _scalar_key(key_node))
                position = _mark(key_node.start_mark)
                if key in seen:
                    problems.append(
                        Problem(doc.file, *position, format_path(key_path),
                                f"duplicate key {key!r} (first at line {seen[key][0]}); "
                                "each key may appear once")
                    )
                seen[key] = position
                doc.key_positions[key_path] = position
                stack.append((value_node, key_path))
        elif isinstance(current, yaml.SequenceNode):
            for index, item in enumerate(current.value):
                stack.append((item, (*current_path, index)))


def _scalar_key(node: yaml.Node) -> str | int:
    """Key as the constructor will produce it (ints stay ints so year keys match)."""
    if isinstance(node, yaml.ScalarNode) and node.tag == "tag:yaml.org,2002:int":
        try:
            return int(node.value.replace("_", ""))
        except ValueError:
            return node.value
    return node.value if isinstance(node, yaml.ScalarNode) else str(node)


def read_yaml(path: str | Path) -> tuple[YamlDocument | None, list[Problem]]:
    """Read and parse a YAML file, returning the document and every problem found.

    Parameters
    ----------
    path : str or pathlib.Path
        The file to read.

    Returns
    -------
    (YamlDocument or None, list of Problem)
        The document is ``None`` when it could not be parsed at all.
    """
    file = str(path)
    target = Path(path)
    if not target.is_file():
        return None, [Problem(file, 0, 0, "(file)", "file does not exist or is not a file")]
    size = target.stat().st_size
    if size > MAX_FILE_BYTES:
        return None, [
            Problem(file, 0, 0, "(file)",
                    f"file is {size:,} bytes; at most {MAX_FILE_BYTES:,} are accepted "
                    "(put large tables in CSV files referenced from the scenario)")
        ]
    raw = target.read_bytes()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        return None, [
            Problem(file, 0, 0, "(file)",
                    f"not UTF-8 text (byte {error.start}); save the file as UTF-8")
        ]
    problems = _prescan(text, file)
    if problems:
        return None, problems
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None, [Problem(file, 1, 1, "(document)", "the file is empty")]
        data = loader.construct_document(node)
    except yaml.YAMLError as error:
        return None, [_yaml_error_problem(error, file)]
    except (RecursionError, ValueError, TypeError, OverflowError) as error:
        return None, [Problem(file, 0, 0, "(document)", f"cannot read YAML: {error}")]
    finally:
        loader.dispose()
    doc = YamlDocument(file=file, data=data)
    _walk(node, (), doc, problems)
    return doc, problems
