"""Little's law, ``L = λ W``: the mean number in a system from its arrival rate and the mean
time each arrival spends in it, whatever the arrival and service processes."""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

from carefacility.queueing._checks import _as_output

__all__ = ["littles_law_L"]


def littles_law_L(arrival_rate: ArrayLike, mean_time: ArrayLike) -> float | NDArray[np.float64]:
    """Mean number in a system from Little's law, ``L = λ W``.

    Parameters
    ----------
    arrival_rate : float or array_like
        Long-run arrival rate ``λ`` [1/time].
    mean_time : float or array_like
        Mean time each arrival spends in the system ``W`` [time].

    Returns
    -------
    float or numpy.ndarray
        Mean number in the system ``L`` [-] (e.g. mean occupied beds).
    """
    rate = np.asarray(arrival_rate, dtype=float)
    duration = np.asarray(mean_time, dtype=float)
    number = rate * duration
    return _as_output(number, number.ndim == 0)
