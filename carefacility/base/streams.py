"""Named random streams.

Every stochastic process draws from its own :class:`numpy.random.Generator`, derived from the
run's seed, the replication index and the process name through
``numpy.random.SeedSequence(seed, spawn_key=(replication, crc32(name)))``. The key never depends
on execution order, so serial, process-pool and Dask runs give identical numbers, adding a stream
never shifts the others, and two scenarios run with the same seed share random numbers (common
random numbers).
"""

from __future__ import annotations

import zlib

import numpy as np

__all__ = ["stream", "stream_key"]


def stream_key(name: str) -> int:
    """Return the stable 32-bit key of a stream name (CRC-32 of its UTF-8 bytes).

    Python's ``hash()`` is salted per process and must never be used for this.
    """
    return zlib.crc32(name.encode("utf-8"))


def stream(seed: int, replication: int, name: str) -> np.random.Generator:
    """Return the random generator for one named process in one replication.

    Parameters
    ----------
    seed : int
        The run's seed (non-negative).
    replication : int
        Replication index, 0-based.
    name : str
        Name of the stochastic process, e.g. ``"arrivals"`` or ``"stay.home-12"``.

    Returns
    -------
    numpy.random.Generator
        A PCG64 generator whose state depends only on ``(seed, replication, name)``.
    """
    if seed < 0 or replication < 0:
        raise ValueError(f"seed and replication must be >= 0 (got {seed}, {replication})")
    sequence = np.random.SeedSequence(seed, spawn_key=(replication, stream_key(name)))
    return np.random.Generator(np.random.PCG64(sequence))
