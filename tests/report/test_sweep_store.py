"""A sweep's folder: variants stored whole and read back exactly, the folder rules kept."""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from carefacility.report.output_folder import OutputFolderError
from carefacility.report.sweep_store import FolderStore, open_sweep_folder
from carefacility.runner.sweep import VariantOutcome

KEY = {"scenario_sha256": "a" * 64, "overrides": ["x=1"], "seed": 1, "replications": 3}


def _outcome(seed: int = 0, key: dict | None = None) -> VariantOutcome:
    rng = np.random.default_rng(seed)
    per = pd.DataFrame({"replication": np.repeat([0, 1, 2], 2), "year": [2021, 2022] * 3,
                        "metric": "wait_mean_days", "value": rng.random(6) * 1e3,
                        "unit": "days"})
    per.loc[3, "value"] = np.nan
    kpis = pd.DataFrame({"year": [2021, 2022], "metric": "wait_mean_days",
                         "mean": rng.random(2), "ci_low": rng.random(2), "ci_high": rng.random(2),
                         "unit": "=days", "replications": 3})  # a formula-like text
    card = pd.DataFrame({"target": ["t"], "status": ["met"], "shortfall": [np.inf]})
    return VariantOutcome(per, kpis, card, {"variant": "v", "key": key or KEY})


def test_a_stored_variant_reads_back_exactly(tmp_path: Path) -> None:
    store = open_sweep_folder(tmp_path / "out", about={"grid": {}})
    outcome = _outcome()
    store.save("v", outcome)
    assert store.holds("v", KEY)
    back = store.load("v", KEY)
    assert back is not None
    pd.testing.assert_frame_equal(back.per_replication, outcome.per_replication)
    pd.testing.assert_frame_equal(back.kpis, outcome.kpis)
    pd.testing.assert_frame_equal(back.scorecard, outcome.scorecard)
    assert json.loads((tmp_path / "out" / "variants" / "v" / "variant.json").read_text(
        encoding="utf-8"))["key"] == KEY


def test_another_key_or_a_damaged_folder_is_not_read_back(tmp_path: Path) -> None:
    store = open_sweep_folder(tmp_path / "out", about={})
    store.save("v", _outcome())
    assert store.load("v", {**KEY, "seed": 2}) is None
    assert not store.holds("v", {**KEY, "replications": 4})
    table = tmp_path / "out" / "variants" / "v" / "kpis_by_replication.csv"
    whole = table.read_bytes()
    table.write_bytes(b"\n".join(whole.split(b"\n")[:4]) + b"\n")  # cut short by a crash
    assert store.load("v", KEY) is None
    table.write_bytes(whole)
    assert store.load("v", KEY) is not None
    (tmp_path / "out" / "variants" / "v" / "kpis.csv").unlink()
    assert not store.holds("v", KEY)
    assert store.load("v", KEY) is None
    assert store.load("missing", KEY) is None


def test_a_variant_is_replaced_whole(tmp_path: Path) -> None:
    store = open_sweep_folder(tmp_path / "out", about={})
    store.save("v", _outcome(0))
    new_key = {**KEY, "seed": 9}
    store.save("v", _outcome(1, new_key))
    back = store.load("v", new_key)
    assert back is not None
    pd.testing.assert_frame_equal(back.kpis, _outcome(1).kpis)
    assert sorted(p.name for p in (tmp_path / "out" / "variants").iterdir()) == ["v"]


def test_leftovers_of_a_killed_sweep_are_deleted_and_stored_variants_kept(
        tmp_path: Path) -> None:
    store = open_sweep_folder(tmp_path / "out", about={})
    store.save("v", _outcome())
    variants = tmp_path / "out" / "variants"
    dead = 2**22 + 12345  # above any pid the kernel hands out by default (pid_max 4,194,304)
    (variants / f".w.tmp-{dead}-abcd1234").mkdir()
    (variants / f".v.old-{dead}-abcd1234").mkdir()
    live = variants / f".x.tmp-{os.getpid()}-abcd1234"
    live.mkdir()
    reopened = open_sweep_folder(tmp_path / "out", about={"again": True})
    assert sorted(p.name for p in variants.iterdir()) == sorted(["v", live.name])
    assert reopened.load("v", KEY) is not None
    about = json.loads((tmp_path / "out" / "sweep.json").read_text(encoding="utf-8"))
    assert about == {"again": True, "finished": False}


def test_the_folder_rules_hold(tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    (out / "notes.txt").write_text("mine", encoding="utf-8")
    with pytest.raises(OutputFolderError, match="files carefacility did not write"):
        open_sweep_folder(out, about={})
    assert sorted(p.name for p in out.iterdir()) == ["notes.txt"]
    store = open_sweep_folder(out, about={}, force=True)
    assert isinstance(store, FolderStore)
    assert (out / "notes.txt").read_text(encoding="utf-8") == "mine"
    # the stored variants are carefacility's: only the user's file still needs --force
    store.save("v", _outcome())
    (out / "notes.txt").unlink()
    open_sweep_folder(out, about={})
    assert store.holds("v", KEY)
