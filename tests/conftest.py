"""Shared fixtures: paths to the example scenarios and a writer for small scenario files."""

from __future__ import annotations

import shutil
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SCENARIOS = ROOT / "scenarios"


@pytest.fixture
def scenario_dir(tmp_path: Path) -> Path:
    """A temporary folder holding a copy of scenarios/data, for scenarios written by tests."""
    shutil.copytree(SCENARIOS / "data", tmp_path / "data")
    return tmp_path


@pytest.fixture
def write_scenario(scenario_dir: Path):
    """Write YAML text (dedented) to scenario.yaml in the temporary folder; return its path."""

    def write(text: str, name: str = "scenario.yaml") -> Path:
        path = scenario_dir / name
        path.write_text(textwrap.dedent(text), encoding="utf-8")
        return path

    return write


@pytest.fixture
def scenarios() -> Path:
    """The repository's scenarios/ folder."""
    return SCENARIOS


@pytest.fixture
def minimal() -> str:
    """A small valid scenario (inline base population, packaged WPP death rates)."""
    return MINIMAL


MINIMAL = """\
name: test
population:
  basis: resident
  base_date: 2020-11-01
  horizon_year: 2030
  base_population:
    inline:
      age_groups: ["0-14", "15-59", "60-79", "80+"]
      male: [1000, 3000, 800, 100]
      female: [950, 2900, 850, 160]
  mortality:
    measure: nMx
    csv: data/china_wpp2024_nmx.csv
  fertility:
    tfr: 1.1
    age_pattern:
      age_groups: ["15-19", "20-24", "25-29", "30-34", "35-39", "40-44", "45-49"]
      percent: [3, 25, 37, 22, 9, 3, 1]
  sex_ratio_at_birth: 1.1
"""
