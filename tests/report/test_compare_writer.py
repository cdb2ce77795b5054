"""The compare folder: tables, variants.json, charts, staged with the folder rules."""

from __future__ import annotations

import json
from pathlib import Path

import matplotlib
import pandas as pd
import pytest

import carefacility as cf
from carefacility.report.compare_writer import write_compare_outputs
from carefacility.report.output_folder import OutputFolderError
from carefacility.runner.variants import CompareResult, Variant, compare_variants

matplotlib.use("Agg")

ROOT = Path(__file__).resolve().parents[2]
ERLANG_C = ROOT / "scenarios" / "textbook" / "erlang_c.yaml"
SHORT = ("simulation.years=2", "simulation.warmup_days=365")


@pytest.fixture(scope="module")
def compared() -> CompareResult:
    more = Variant("more_beds", ERLANG_C, ("plan.care_homes[home].beds.general=770",))
    return compare_variants([ERLANG_C, more], overrides=SHORT, replications=4, seed=9,
                            executor="serial")


def test_the_compare_folder(tmp_path: Path, compared: CompareResult) -> None:
    written = write_compare_outputs(compared, tmp_path / "out")
    names = sorted(path.name for path in written)
    assert names == sorted([
        "variants.csv", "differences.csv", "scorecards.csv", "kpis_by_replication.csv",
        "variants.json", "compare_share_served_within_threshold.png",
        "difference_share_served_within_threshold.png", "compare_wait_mean_days.png",
        "difference_wait_mean_days.png"])
    variants = pd.read_csv(tmp_path / "out" / "variants.csv", encoding="utf-8-sig")
    assert list(variants.columns) == ["variant", "year", "metric", "mean", "ci_low", "ci_high",
                                      "unit", "replications"]
    assert set(variants["variant"]) == {"erlang_c", "more_beds"}
    differences = pd.read_csv(tmp_path / "out" / "differences.csv", encoding="utf-8-sig")
    assert list(differences.columns[:8]) == ["variant", "baseline", "year", "metric",
                                             "mean_difference", "ci_low", "ci_high",
                                             "replications"]
    assert set(differences["variant"]) == {"more_beds"}
    cards = pd.read_csv(tmp_path / "out" / "scorecards.csv", encoding="utf-8-sig")
    assert {"status.erlang_c", "mean.erlang_c", "status.more_beds",
            "mean.more_beds"} <= set(cards.columns)
    about = json.loads((tmp_path / "out" / "variants.json").read_text(encoding="utf-8"))
    assert (about["seed"], about["replications"]) == (9, 4)
    assert about["carefacility_version"] == cf.__version__
    assert about["overrides"] == list(SHORT)
    assert [(v["name"], v["overrides"]) for v in about["variants"]] == [
        ("erlang_c", []), ("more_beds", ["plan.care_homes[home].beds.general=770"])]
    assert about["variants"][0]["scenario_file"] == str(ERLANG_C)
    assert (tmp_path / "out" / "compare_wait_mean_days.png").read_bytes()[:4] == b"\x89PNG"


def test_a_folder_with_other_files_is_left_alone(tmp_path: Path, compared: CompareResult
                                                 ) -> None:
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "mine.txt").write_text("x", encoding="utf-8")
    with pytest.raises(OutputFolderError, match="did not write"):
        write_compare_outputs(compared, tmp_path / "out")
    assert [p.name for p in (tmp_path / "out").iterdir()] == ["mine.txt"]


def test_the_api_writes_a_comparison(tmp_path: Path, compared: CompareResult) -> None:
    written = cf.write_compare(compared, tmp_path / "api", svg=True)
    assert (tmp_path / "api" / "compare_wait_mean_days.svg") in written
