"""Packaged reference tables (``carefacility/data/*.csv``) with their ``#`` source lines."""

from __future__ import annotations

import io
from importlib import resources

import pandas as pd

__all__ = ["read_reference_csv", "reference_sources"]


def _read_text(name: str) -> str:
    if "/" in name or "\\" in name or not name.endswith(".csv"):
        raise ValueError(f"name must be a CSV file name in carefacility/data, got {name!r}")
    resource = resources.files("carefacility").joinpath("data", name)
    if not resource.is_file():
        available = sorted(
            entry.name
            for entry in resources.files("carefacility").joinpath("data").iterdir()
            if entry.name.endswith(".csv")
        )
        raise FileNotFoundError(f"no packaged table {name!r}; available: {', '.join(available)}")
    return resource.read_text(encoding="utf-8-sig")


def read_reference_csv(name: str) -> pd.DataFrame:
    """Read a packaged reference table, skipping the ``#`` lines that name its source.

    Parameters
    ----------
    name : str
        File name in ``carefacility/data``, e.g. ``"china_wpp2024_mx5_all_periods.csv"``.

    Returns
    -------
    pandas.DataFrame
        The table as published (no unit conversion); e.g. the WPP death-rate table has columns
        ``period, sex, age_start, nMx`` with ``age_start`` as text (``"100+"`` for the open group).
    """
    lines = [line for line in _read_text(name).splitlines() if not line.startswith("#")]
    return pd.read_csv(io.StringIO("\n".join(lines)))


def reference_sources(name: str) -> list[str]:
    """The ``#`` source lines of a packaged reference table, without the leading ``# ``."""
    return [
        line.lstrip("#").strip() for line in _read_text(name).splitlines() if line.startswith("#")
    ]
