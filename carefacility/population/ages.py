"""Age axis conventions and age-group labels.

The demographic engine works on single years of age 0, 1, ..., 99 and an open group 100+,
stored along the last axis of an array with ``N_AGES = 101`` entries; index ``OPEN_AGE = 100``
is the open group. Published inputs come in groups labelled like ``"0"``, ``"1-4"``,
``"5-9"``, ``"85+"``; this module parses and checks such labels.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np

__all__ = [
    "N_AGES",
    "OPEN_AGE",
    "SEXES",
    "AgeGroups",
    "check_age_groups",
    "parse_age_group",
]

OPEN_AGE = 100
"""First age of the open age group (100+) of the single-year age axis [years]."""

N_AGES = OPEN_AGE + 1
"""Number of entries on the single-year age axis: ages 0..99 and the open group 100+."""

SEXES = ("male", "female")
"""Order of the sex axis everywhere in the engine (index 0 = male, 1 = female)."""

_CLOSED = re.compile(r"^(\d+)\s*[-–~]\s*(\d+)$")
_OPEN = re.compile(r"^(\d+)\s*\+$")
_SINGLE = re.compile(r"^(\d+)$")


def _label(start: int, end: int | None) -> str:
    if end is None:
        return f"{start}+"
    return f"{start}" if end == start + 1 else f"{start}-{end - 1}"


def parse_age_group(label: str) -> tuple[int, int | None]:
    """Parse an age-group label into its start and (exclusive) end age.

    Parameters
    ----------
    label : str
        ``"0"`` (a single year), ``"1-4"`` (ages 1 to 4 inclusive), ``"85+"`` (open group).
        Surrounding blanks are ignored; an en dash or ``~`` may replace the hyphen.

    Returns
    -------
    start : int
        First age of the group [years].
    end : int or None
        First age *after* the group [years] (``"1-4"`` gives 5), or ``None`` for an open group.

    Raises
    ------
    ValueError
        If the label is not one of the forms above or its last age is below its first.

    Examples
    --------
    >>> parse_age_group("5-9")
    (5, 10)
    >>> parse_age_group("85+")
    (85, None)
    >>> parse_age_group("0")
    (0, 1)
    """
    text = str(label).strip()
    if match := _CLOSED.match(text):
        start, last = int(match.group(1)), int(match.group(2))
        if last < start:
            raise ValueError(
                f"age group {label!r}: last age {last} is below first age {start}; "
                'write groups as "first-last", e.g. "5-9"'
            )
        return start, last + 1
    if match := _OPEN.match(text):
        return int(match.group(1)), None
    if match := _SINGLE.match(text):
        start = int(match.group(1))
        return start, start + 1
    raise ValueError(
        f'age group {label!r} is not understood; use "5", "5-9" or "85+" '
        "(whole years, last age inclusive, + for the open group)"
    )


def check_age_groups(labels: Iterable[str]) -> list[str]:
    """List the problems of a sequence of age-group labels.

    A valid sequence starts at age 0, each group starts where the previous one ended (no gap,
    no overlap), and an open group (``"85+"``), if any, comes last.

    Parameters
    ----------
    labels : iterable of str
        Age-group labels in the order given by the source.

    Returns
    -------
    list of str
        Human-readable problems, in label order; empty when the groups are fine.

    Examples
    --------
    >>> check_age_groups(["0", "1-4", "5-9", "10+"])
    []
    >>> check_age_groups(["0-4", "10-14", "15+"])
    ['gap: "0-4" ends at age 4 but the next group "10-14" starts at 10 (ages 5-9 missing)']
    """
    labels = list(labels)
    problems: list[str] = []
    if not labels:
        return ["no age groups given"]
    parsed: list[tuple[str, int, int | None]] = []
    for position, label in enumerate(labels):
        try:
            start, end = parse_age_group(label)
        except ValueError as error:
            problems.append(f"group {position + 1}: {error}")
            continue
        parsed.append((str(label).strip(), start, end))
    if not parsed:
        return problems
    first_label, first_start, _ = parsed[0]
    if first_start != 0:
        problems.append(f'the first group "{first_label}" starts at age {first_start}, not 0')
    for (label, _, end), (next_label, next_start, _) in itertools.pairwise(parsed):
        if end is None:
            problems.append(
                f'the open group "{label}" is not last (followed by "{next_label}"); '
                "only the last group may be open"
            )
            continue
        if next_start > end:
            problems.append(
                f'gap: "{label}" ends at age {end - 1} but the next group "{next_label}" starts '
                f"at {next_start} (ages {end}-{next_start - 1} missing)"
            )
        elif next_start < end:
            problems.append(
                f'overlap: "{label}" ends at age {end - 1} but the next group "{next_label}" '
                f"starts at {next_start}"
            )
    return problems


@dataclass(frozen=True)
class AgeGroups:
    """A checked sequence of contiguous age groups starting at age 0.

    Attributes
    ----------
    starts : tuple of int
        First age of each group [years].
    ends : tuple of int or None
        First age after each group [years]; ``None`` for the open last group.
    is_open : bool
        Whether the last group is open (``"85+"``).
    """

    starts: tuple[int, ...]
    ends: tuple[int | None, ...]
    is_open: bool

    def __post_init__(self) -> None:
        if len(self.starts) != len(self.ends) or not self.starts:
            raise ValueError("AgeGroups needs one end per start and at least one group")
        if self.is_open != (self.ends[-1] is None):
            raise ValueError("is_open must be True exactly when the last end is None")
        problems = check_age_groups(self.labels)
        if problems:
            raise ValueError("invalid age groups: " + "; ".join(problems))

    @classmethod
    def from_labels(cls, labels: Sequence[str]) -> AgeGroups:
        """Build from labels such as ``["0", "1-4", ..., "85+"]``.

        Raises
        ------
        ValueError
            Listing every problem found by :func:`check_age_groups`.
        """
        problems = check_age_groups(labels)
        if problems:
            raise ValueError("invalid age groups: " + "; ".join(problems))
        bounds = [parse_age_group(label) for label in labels]
        return cls(
            starts=tuple(start for start, _ in bounds),
            ends=tuple(end for _, end in bounds),
            is_open=bounds[-1][1] is None,
        )

    @property
    def widths(self) -> np.ndarray:
        """Width of each group [years]; ``inf`` for the open group."""
        return np.array(
            [np.inf if e is None else e - s for s, e in zip(self.starts, self.ends, strict=True)],
            dtype=np.float64,
        )

    @property
    def open_start(self) -> int | None:
        """First age of the open group [years], or ``None`` when all groups are closed."""
        return self.starts[-1] if self.is_open else None

    @property
    def labels(self) -> tuple[str, ...]:
        """Canonical labels (``"0"``, ``"1-4"``, ``"85+"``)."""
        return tuple(_label(start, end) for start, end in zip(self.starts, self.ends, strict=True))

    def __len__(self) -> int:
        return len(self.starts)
