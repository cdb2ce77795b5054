"""Shared by the tests of carefacility.queueing: hypothesis settings and strict numerics."""

from __future__ import annotations

import contextlib
import warnings

import numpy as np
from hypothesis import settings

FAST = settings(max_examples=60, deadline=None)


@contextlib.contextmanager
def strict_numerics():
    """Turn every warning and floating-point overflow/invalid/division into an error."""
    with warnings.catch_warnings(), np.errstate(over="raise", invalid="raise", divide="raise"):
        warnings.simplefilter("error")
        yield
