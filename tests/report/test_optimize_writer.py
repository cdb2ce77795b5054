"""The optimize output folder: its tables, metadata and charts, written all or nothing."""

from __future__ import annotations

import json

import matplotlib
import pandas as pd
import pytest

from carefacility.report.optimize_writer import METADATA_FILE, write_optimize_outputs
from carefacility.report.output_folder import OutputFolderError
from carefacility.report.plan_plots import planned_against_needed
from carefacility.runner.optimize import MINIMAL_PLAN_COLUMNS, SUMMARY_COLUMNS, OptimizeResult

matplotlib.use("Agg")


def _plan() -> pd.DataFrame:
    rows = []
    for year, needed in ((2021, 120), (2022, 130)):
        for bed_type, share in (("general", 0.7), ("nursing", 0.3), ("all", 1.0)):
            beds = round(needed * share)
            rows.append({"year": year, "zone": "all", "bed_type": bed_type,
                         "beds_planned": round(100 * share), "beds_needed": beds,
                         "ci_low": beds - 2, "ci_high": beds, "method": "simulation",
                         "reached": year == 2021, "metric": "share_served_within_threshold",
                         "service_level": 0.96, "service_level_ci_low": 0.95,
                         "service_level_ci_high": 0.97})
            for method, factor in (("afm", 0.9), ("sipp", 1.05), ("sipp_lagged", 1.0)):
                rows.append({"year": year, "zone": "all", "bed_type": bed_type,
                             "beds_planned": round(100 * share),
                             "beds_needed": round(beds * factor), "method": method})
        rows.append({"year": year, "zone": "all", "bed_type": "all", "beds_planned": 100,
                     "beds_needed": 160, "method": "ratio"})
    return pd.DataFrame(rows).reindex(columns=MINIMAL_PLAN_COLUMNS)


def _result(costs: bool = True) -> OptimizeResult:
    summary = pd.DataFrame([{"variant": "central", "plan": "minimal", "target": "t",
                             "label": "95 % in 30 days", "metric": "share_served_within_"
                             "threshold", "group": "all", "year": 2021, "comparison": ">=",
                             "threshold": 0.95, "indifference": 0.005, "mean": 0.96,
                             "ci_low": 0.95, "ci_high": 0.97, "replications": 20,
                             "status": "met"}], columns=SUMMARY_COLUMNS)
    plan_costs = pd.DataFrame({"plan": ["minimal"], "year": ["total"], "total_cost": [1.0]})
    return OptimizeResult(minimal_plan=_plan(), summary=summary,
                          plan_costs=plan_costs if costs else None, minimal_sites=None,
                          search_log=pd.DataFrame({"year": [2021], "beds": [120]}),
                          messages=("a warning",), metadata={"seed": 1})


def test_the_folder_holds_tables_metadata_and_charts(tmp_path):
    written = write_optimize_outputs(_result(), tmp_path / "out", title="Test place")
    names = {path.name for path in written}
    assert {"minimal_plan.csv", "optimize_summary.csv", "plan_costs.csv",
            "optimize_search.csv", METADATA_FILE, "planned_vs_needed.png",
            "planned_vs_needed_general.png", "planned_vs_needed_nursing.png"} == names
    plan = pd.read_csv(tmp_path / "out" / "minimal_plan.csv", encoding="utf-8-sig")
    assert list(plan.columns) == MINIMAL_PLAN_COLUMNS
    assert (tmp_path / "out" / "minimal_plan.csv").read_bytes().startswith(b"\xef\xbb\xbf")
    about = json.loads((tmp_path / "out" / METADATA_FILE).read_text(encoding="utf-8"))
    assert about["warnings"] == ["a warning"] and about["seed"] == 1
    assert (tmp_path / "out" / "planned_vs_needed.png").read_bytes()[:4] == b"\x89PNG"


def test_a_second_write_without_costs_removes_the_old_costs_table(tmp_path):
    write_optimize_outputs(_result(), tmp_path / "out")
    written = write_optimize_outputs(_result(costs=False), tmp_path / "out", svg=True)
    assert not (tmp_path / "out" / "plan_costs.csv").exists()
    assert (tmp_path / "out" / "planned_vs_needed.svg").exists()
    assert all(path.exists() for path in written)


def test_a_folder_with_other_files_is_refused_and_left_alone(tmp_path):
    folder = tmp_path / "out"
    folder.mkdir()
    (folder / "notes.txt").write_text("mine", encoding="utf-8")
    with pytest.raises(OutputFolderError):
        write_optimize_outputs(_result(), folder)
    assert sorted(p.name for p in folder.iterdir()) == ["notes.txt"]


def test_the_chart_draws_the_plan_the_methods_and_the_interval():
    ax = planned_against_needed(_plan(), lang="en")
    texts = [text.get_text() for text in ax.get_legend().get_texts()]
    assert "Scenario's plan" in texts
    assert "Smallest sufficient plan (simulated)" in texts
    assert any("AFM" in text for text in texts) and any("lagged" in text for text in texts)
    assert any("not reached" in text for text in texts)  # 2022 was not reached
    assert ax.get_ylim()[0] == 0
    one_type = planned_against_needed(_plan(), bed_type="nursing", lang="en")
    assert "Nursing" in one_type.get_title()
