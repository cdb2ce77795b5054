"""A fixed-seed run's kpis.csv and scorecard.csv equal the stored golden copies byte for byte.

Intended changes of results are made with ``python tests/golden/update_golden.py`` (the
deliberate update step) and reviewed in the diff.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent / "golden"))
from update_golden import CASES, FILES, GOLDEN, run_case


@pytest.mark.parametrize("name", sorted(CASES))
def test_fixed_seed_run_matches_golden_copy(name: str, tmp_path: Path) -> None:
    out = run_case(name, tmp_path / name)
    for file in FILES:
        expected = (GOLDEN / name / file).read_bytes()
        got = (out / file).read_bytes()
        assert got == expected, (
            f"{file} of the golden case {name!r} changed; if the change is intended, run "
            "`python tests/golden/update_golden.py` and review the diff")
