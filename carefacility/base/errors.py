"""Located input problems and the exception that carries all of them at once."""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

__all__ = ["Problem", "ScenarioError", "did_you_mean", "format_path"]


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


def did_you_mean(given: str, allowed: Iterable[str]) -> str:
    """Return ``' (did you mean "x"?)'`` for the closest allowed name, or ``''``."""
    matches = difflib.get_close_matches(str(given), list(allowed), n=1, cutoff=0.6)
    return f' (did you mean "{matches[0]}"?)' if matches else ""
