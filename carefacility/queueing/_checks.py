"""Argument checks and the scalar-or-array output shared by the queueing closed forms.

Private to :mod:`carefacility.queueing`. Every check raises ``ValueError`` (``TypeError`` for a
non-integer number of servers) naming the argument, the value given and the values allowed.
"""

from __future__ import annotations

import math
import operator

import numpy as np
from numpy.typing import NDArray


def _check_servers(servers: int, minimum: int) -> int:
    try:
        count = operator.index(servers)
    except TypeError:
        raise TypeError(
            f"servers must be an integer number of servers (beds) (got {servers!r} of type "
            f"{type(servers).__name__}); round it explicitly before calling"
        ) from None
    if isinstance(servers, bool):
        raise TypeError(f"servers must be an integer, not a bool (got {servers!r})")
    if count < minimum:
        raise ValueError(f"servers must be ≥ {minimum} (got {count})")
    return count


def _check_scalar(value: float, name: str, *, positive: bool = False) -> float:
    number = float(value)
    if not math.isfinite(number):
        raise ValueError(f"{name} must be finite (got {number})")
    if positive and number <= 0.0:
        raise ValueError(f"{name} must be > 0 (got {number})")
    if number < 0.0:
        raise ValueError(f"{name} must be ≥ 0 (got {number})")
    return number


def _check_array_nonnegative(values: NDArray[np.float64], name: str) -> None:
    for rule, bad in (("finite", ~np.isfinite(values)), ("≥ 0", values < 0.0)):
        if np.any(bad):
            if values.ndim == 0:
                raise ValueError(f"{name} must be {rule} (got {float(values)})")
            where = tuple(int(i) for i in np.argwhere(bad)[0])
            index = ", ".join(map(str, where))
            raise ValueError(f"{name} must be {rule} (got {float(values[where])} at [{index}])")


def _check_probability(value: float, name: str, *, allow_one: bool) -> float:
    number = float(value)
    upper_ok = number <= 1.0 if allow_one else number < 1.0
    if not (0.0 <= number and upper_ok):
        interval = "[0, 1]" if allow_one else "[0, 1)"
        raise ValueError(f"{name} must lie in {interval} (got {number})")
    return number


def _as_output(values: NDArray[np.float64], scalar: bool) -> float | NDArray[np.float64]:
    return float(values) if scalar else values
