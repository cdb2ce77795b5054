"""Located input problems and the exception that carries all of them at once."""

from __future__ import annotations

import difflib
import itertools
from collections.abc import Iterable, Sequence, Sized
from dataclasses import dataclass

__all__ = ["MAX_SUGGESTION_NAMES", "Problem", "ScenarioError", "did_you_mean", "format_path",
           "name_list"]


def format_path(path: Sequence[str | int]) -> str:
    """Render a field path as ``population.mortality.male[3]``."""
    text = ""
    for part in path:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += f".{part}" if text else str(part)
    return text or "(document)"


@dataclass(frozen=True, order=True)
class Problem:
    """One thing wrong with an input file, with where it is.

    Attributes
    ----------
    file : str
        Path of the file as the user named it.
    line, column : int
        1-based position in ``file``; 0 when unknown.
    field : str
        Dotted field path (``population.base_date``) or CSV column name.
    message : str
        What was given and what is allowed.
    """

    file: str
    line: int
    column: int
    field: str
    message: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}:{self.column}" if self.line else self.file
        return f"{where}: {self.field}: {self.message}"


class ScenarioError(Exception):
    """Raised with every problem found in a scenario and its tables."""

    def __init__(self, problems: Iterable[Problem]):
        self.problems: list[Problem] = sorted(set(problems))
        super().__init__(self.report())

    def report(self) -> str:
        """All problems, one per line, ordered by file and position."""
        count = len(self.problems)
        lines = [str(problem) for problem in self.problems]
        lines.append(f"{count} problem{'s' if count != 1 else ''} found; nothing was written.")
        return "\n".join(lines)


MAX_SUGGESTION_NAMES = 500
"""Longest list of names searched for a "did you mean": beyond it no suggestion is made, so
that a file with thousands of names and as many typos is still checked in linear time."""


def did_you_mean(given: str, allowed: Iterable[str]) -> str:
    """Return ``' (did you mean "x"?)'`` for the closest allowed name, or ``''``.

    No suggestion is searched among more than :data:`MAX_SUGGESTION_NAMES` names.
    """
    if isinstance(allowed, Sized) and len(allowed) > MAX_SUGGESTION_NAMES:
        return ""
    names = list(allowed)
    if len(names) > MAX_SUGGESTION_NAMES:
        return ""
    matches = difflib.get_close_matches(str(given), names, n=1, cutoff=0.6)
    return f' (did you mean "{matches[0]}"?)' if matches else ""


def name_list(names: Iterable[object], limit: int = 12) -> str:
    """Names joined by commas, at most ``limit`` of them (then how many there are in all), so
    that a message stays short however many names a file defines."""
    if isinstance(names, Sized):  # a list or dict: no need to go through every name
        count = len(names)
        shown = [str(name) for name in itertools.islice(names, limit)]
    else:
        shown = []
        count = 0
        for name in names:
            count += 1
            if count <= limit:
                shown.append(str(name))
    text = ", ".join(shown)
    return text + (f", ... ({count:,} in all)" if count > limit else "")
