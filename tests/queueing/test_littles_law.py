"""Tests for carefacility.queueing.littles_law."""

from __future__ import annotations

import numpy as np
import pytest

from carefacility.queueing.erlang import mmc_wait
from carefacility.queueing.littles_law import littles_law_L

# --------------------------------------------------------------------------------------------
# Little's law


# --------------------------------------------------------------------------------------------


def test_littles_law():
    assert littles_law_L(2.0, 3.5) == 7.0
    np.testing.assert_allclose(littles_law_L([1.0, 2.0], [10.0, 0.5]), [10.0, 1.0])
    fifo = mmc_wait(6, 5.0, 1.0)
    assert littles_law_L(5.0, fifo.mean_wait) == pytest.approx(fifo.mean_queue_length)
