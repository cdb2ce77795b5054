"""Sweeps: the design, stored variants, resuming after an interruption, executors agree."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

import carefacility as cf
from carefacility.base.errors import ScenarioError
from carefacility.report.sweep_store import FolderStore, open_sweep_folder
from carefacility.runner.results import KPI_COLUMNS
from carefacility.runner.sweep import (
    MemoryStore,
    SweepDesign,
    VariantOutcome,
    run_sweep,
    sweep_design,
    variant_id,
)

ROOT = Path(__file__).resolve().parents[2]
ERLANG_C = ROOT / "scenarios" / "textbook" / "erlang_c.yaml"
SHORT = ("simulation.years=2", "simulation.warmup_days=365")
BEDS = "plan.care_homes[home].beds.general"
GRID = (f"{BEDS}=755,761,770", "simulation.admitted_within_days=30,60")


def _design(**kwargs: Any) -> tuple[SweepDesign, list]:
    return sweep_design(ERLANG_C, grid=kwargs.pop("grid", GRID), overrides=SHORT,
                        replications=kwargs.pop("replications", 3), seed=kwargs.pop("seed", 7),
                        **kwargs)


def test_the_grid_is_the_full_factorial_in_order() -> None:
    design, scenarios = _design()
    variants = design.sweep_variants()
    assert design.size == len(variants) == len(scenarios) == 6
    assert [item.grid for item in variants[:3]] == [
        {BEDS: "755", "simulation.admitted_within_days": "30"},
        {BEDS: "755", "simulation.admitted_within_days": "60"},
        {BEDS: "761", "simulation.admitted_within_days": "30"}]
    assert len({item.variant_id for item in variants}) == 6
    assert scenarios[5].spec.simulation.admitted_within_days == 60
    assert scenarios[5].plan.capacity_at(scenarios[5].spec.simulation.start_date).sum() == 770


def test_variant_ids_are_stable_and_readable() -> None:
    first = variant_id([f"{BEDS}=755", "simulation.admitted_within_days=30"])
    assert first == variant_id([f"{BEDS}=755", "simulation.admitted_within_days=30"])
    assert first.startswith("general=755_admitted_within_days=30-")
    assert first != variant_id([f"{BEDS}=755", "simulation.admitted_within_days=60"])


def test_a_sweep_table_has_the_grid_columns_then_the_kpis() -> None:
    design, scenarios = _design()
    result = run_sweep(design, scenarios=scenarios, executor="serial")
    assert list(result.table.columns) == [BEDS, "simulation.admitted_within_days", "variant",
                                          *KPI_COLUMNS]
    served = result.table[(result.table["metric"] == "share_served_within_threshold")
                          & (result.table["simulation.admitted_within_days"] == "30")]
    means = served.groupby(BEDS)["mean"].mean()
    # more beds, at least as many admitted within 30 days (same applicants in every plan)
    assert means["755"] <= means["761"] <= means["770"]
    assert set(result.scorecard["variant"]) == set(result.table["variant"])
    assert result.metadata["variants_run"] == 6


def test_grid_problems_are_located_at_their_arguments() -> None:
    with pytest.raises(ScenarioError) as caught:
        sweep_design(ERLANG_C, grid=[f"{BEDS}=755,770", "simulation.warmup_days=365,",
                                     "simulation.years=", "nope", f"{BEDS}=1,2",
                                     "plan.care_homes[0].beds.general=3,4",
                                     "simulation.seeed=1,2", "simulation.max_waiting=7,7"],
                     overrides=SHORT)
    text = caught.value.report()
    assert ("--grid simulation.warmup_days=365,: simulation.warmup_days: an empty value"
            in text)
    assert "--grid simulation.years=: simulation.years: no values after '='" in text
    assert "--grid nope: (grid): no '='" in text
    assert f"--grid {BEDS}=1,2: {BEDS}: {BEDS} is already swept by --grid {BEDS}=755,770" in text
    assert ("--grid plan.care_homes[0].beds.general=3,4: plan.care_homes[0].beds.general: the "
            f"same field as {BEDS}") in text
    assert "value 7 given twice" in text
    # the well-formed axes' variants are checked too, each problem at its --grid value
    assert ("--grid simulation.seeed=1: simulation.seeed: unknown key 'seeed' (did you mean "
            '"seed"?)') in text


def test_a_common_field_cannot_be_swept() -> None:
    with pytest.raises(ScenarioError, match="common to all variants"):
        sweep_design(ERLANG_C, grid=["simulation.seed=1,2"], overrides=SHORT)


class _InterruptingStore(FolderStore):
    """Stores variants, and raises Ctrl-C's KeyboardInterrupt right after the ``after``-th."""

    def __init__(self, out_dir: Path, after: int) -> None:
        super().__init__(out_dir)
        self.after = after
        self.saved = 0

    def save(self, variant_id: str, outcome: VariantOutcome) -> None:
        super().save(variant_id, outcome)
        self.saved += 1
        if self.saved == self.after:
            raise KeyboardInterrupt


@pytest.mark.parametrize("executor", ["serial", "processes"])
def test_an_interrupted_sweep_resumes_to_the_same_table(tmp_path: Path, executor: str) -> None:
    design, scenarios = _design()
    whole = cf.sweep(design, scenarios=scenarios, out_dir=tmp_path / "whole",
                     executor=executor, workers=2)
    broken = tmp_path / "broken"
    store = open_sweep_folder(broken, about={})
    with pytest.raises(KeyboardInterrupt):
        run_sweep(design, store=_InterruptingStore(broken, after=2), scenarios=scenarios,
                  executor=executor, workers=2)
    stored = sorted(p.name for p in (broken / "variants").iterdir())
    assert len(stored) >= 2 and not any(name.startswith(".") for name in stored)
    assert store.folder == broken / "variants"
    again = cf.sweep(design, scenarios=scenarios, out_dir=broken, executor=executor, workers=2)
    assert again.metadata["variants_read_back"] == len(stored)
    assert again.metadata["variants_run"] == 6 - len(stored)
    pd.testing.assert_frame_equal(again.table, whole.table)
    pd.testing.assert_frame_equal(again.scorecard, whole.scorecard)
    assert (broken / "sweep.csv").read_bytes() == (tmp_path / "whole" / "sweep.csv").read_bytes()


def test_a_changed_key_runs_the_variant_again(tmp_path: Path) -> None:
    scenario = tmp_path / "erlang_c.yaml"
    shutil.copy(ERLANG_C, scenario)
    grid = [f"{BEDS}=755,770"]
    first = cf.sweep(scenario, grid=grid, overrides=SHORT, replications=2, out_dir=tmp_path /
                     "out", executor="serial")
    assert first.metadata["variants_run"] == 2
    same = cf.sweep(scenario, grid=grid, overrides=SHORT, replications=2, out_dir=tmp_path /
                    "out", executor="serial")
    assert (same.metadata["variants_run"], same.metadata["variants_read_back"]) == (0, 2)
    for changed in ({"replications": 3}, {"seed": 99}, {"overrides": (*SHORT, "simulation."
                                                                       "max_waiting=5000")}):
        arguments = {"grid": grid, "overrides": SHORT, "replications": 2, **changed}
        again = cf.sweep(scenario, out_dir=tmp_path / "out", executor="serial", **arguments)
        assert again.metadata["variants_run"] == 2, changed
    # the scenario file itself changed (a comment is enough: its sha256 is the key)
    scenario.write_text(scenario.read_text(encoding="utf-8") + "\n# edited\n", encoding="utf-8")
    edited = cf.sweep(scenario, grid=grid, overrides=SHORT, replications=2,
                      out_dir=tmp_path / "out", executor="serial")
    assert edited.metadata["variants_run"] == 2
    # a grid grown by a value runs only the new variant
    grown = cf.sweep(scenario, grid=[f"{BEDS}=755,770,780"], overrides=SHORT, replications=2,
                     out_dir=tmp_path / "out", executor="serial")
    assert (grown.metadata["variants_run"], grown.metadata["variants_read_back"]) == (1, 2)


def test_serial_and_processes_give_identical_tables() -> None:
    design, scenarios = _design()
    serial = run_sweep(design, scenarios=scenarios, executor="serial", store=MemoryStore())
    pool = run_sweep(design, scenarios=scenarios, executor="processes", workers=2)
    pd.testing.assert_frame_equal(serial.table, pool.table)


def test_local_processes_and_a_dask_cluster_give_identical_tables(tmp_path: Path) -> None:
    """A real scheduler and two worker processes on 127.0.0.1, stopped after."""
    distributed = pytest.importorskip("distributed")
    design, scenarios = _design()
    local = cf.sweep(design, scenarios=scenarios, out_dir=tmp_path / "local",
                     executor="processes", workers=2)
    with distributed.LocalCluster(host="127.0.0.1", n_workers=2, threads_per_worker=1,
                                  processes=True, dashboard_address=None) as cluster:
        on_dask = cf.sweep(design, scenarios=scenarios, out_dir=tmp_path / "dask",
                           executor="dask", dask_address=cluster.scheduler_address)
    pd.testing.assert_frame_equal(local.table, on_dask.table)
    assert (tmp_path / "local" / "sweep.csv").read_bytes() == (
        tmp_path / "dask" / "sweep.csv").read_bytes()
