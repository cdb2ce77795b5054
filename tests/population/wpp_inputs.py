"""Constants shared by the demography tests (imported by name; not a conftest)."""

import numpy as np

WPP_AGE_STARTS = np.array([0, 1, *range(5, 101, 5)])
"""Abridged ages of the WPP nMx table: 0, 1-4, 5-9, ..., 95-99, 100+."""

WPP_PASFR_2023 = np.array([0.002, 3.2, 28.4, 36.9, 20.9, 7.8, 2.1, 0.6, 0.1])
"""A WPP-like percent age pattern of fertility for groups 10-14 ... 50-54 (sums to 100.002)."""

FERTILITY_STARTS = np.arange(10, 55, 5)
"""First ages of the fertility groups 10-14 ... 50-54."""
