"""Drawing processes started before a run (``start_chart_drawing``): the charts of the
projection drawn ahead, the run's charts drawn on them, and the same files as when everything
is drawn at the end in this process."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest

import carefacility as cf
from carefacility.report import fonts
from carefacility.report import writer as report

pytestmark = pytest.mark.skipif(not report._can_fork(),
                                reason="drawing processes are forked (Linux, no other threads)")


@pytest.fixture(scope="module")
def xicheng(request):
    root = Path(request.config.rootpath)
    scenario = cf.load_scenario(root / "scenarios" / "xicheng.yaml")
    projection = cf.project(scenario)
    result = cf.run(scenario, replications=2, seed=7, executor="serial", projection=projection)
    return scenario, projection, result


@pytest.fixture(scope="module")
def drawn_here(xicheng, tmp_path_factory) -> Path:
    """The report with every chart drawn in this process, at the end."""
    _, _, result = xicheng
    out = tmp_path_factory.mktemp("here") / "xicheng"
    cf.write_report(result, out)
    return out


def _files(folder: Path) -> dict[str, bytes]:
    return {path.name: path.read_bytes() for path in folder.iterdir() if path.is_file()}


def _children() -> set[int]:
    import multiprocessing

    return {process.pid for process in multiprocessing.active_children()}


def test_charts_drawn_ahead_and_on_the_processes_are_the_charts_drawn_here(
        xicheng, drawn_here: Path, tmp_path: Path, monkeypatch) -> None:
    scenario, projection, result = xicheng
    before = _children()
    drawn_in_this_process = []
    render = report._render_chart

    def spy(job):  # a drawing process appends to its own copy of the list
        drawn_in_this_process.append(job.key)
        return render(job)

    monkeypatch.setattr(report, "_render_chart", spy)
    with report.start_chart_drawing(2) as drawing:
        assert isinstance(drawing, report.ChartDrawing) and drawing.usable
        drawing.draw_ahead(projection, scenario)
        ahead = len(drawing._ahead)
        assert ahead == 3  # the pyramid, the elderly and the back-test (no run figure in it)
        cf.write_report(result, tmp_path / "x")
        assert drawing._next == 10  # the ahead charts were used, not drawn again
        folder = drawing._folder
    assert drawn_in_this_process == []
    assert not folder.exists() and _children() == before
    assert report._ACTIVE_DRAWING[0] is None
    here, there = _files(drawn_here), _files(tmp_path / "x")
    assert there.keys() == here.keys()
    for name, content in here.items():
        if name != "results.xlsx":  # (its zip entries carry the time they were written)
            assert there[name] == content, name  # byte for byte, PNGs and report.html too


def test_charts_drawn_ahead_for_other_options_are_not_used(xicheng, tmp_path: Path) -> None:
    scenario, projection, result = xicheng
    with report.start_chart_drawing(2) as drawing:
        drawing.draw_ahead(projection, scenario, lang="zh", title="another title")
        cf.write_report(result, tmp_path / "en")  # English, the scenario's name: drawn again
        assert drawing._next == 3 + 10


def test_a_dead_drawing_process_leaves_its_charts_to_this_process(
        xicheng, drawn_here: Path, tmp_path: Path) -> None:
    _, _, result = xicheng
    with report.start_chart_drawing(2) as drawing:
        drawing._processes[0].kill()
        drawing._processes[0].join()
        cf.write_report(result, tmp_path / "x")
        assert not drawing.usable
    for name, content in _files(drawn_here).items():
        if name.endswith(".png"):
            assert (tmp_path / "x" / name).read_bytes() == content, name


def test_errors_and_warnings_of_the_drawing_processes_reach_the_caller(
        xicheng, tmp_path: Path, monkeypatch) -> None:
    _, _, result = xicheng
    # the processes inherit the environment and the patches made before they start
    monkeypatch.setenv(fonts.IGNORE_SYSTEM_FONTS_ENV, "1")
    fonts.system_cjk_family.cache_clear()
    with report.start_chart_drawing(2), pytest.warns(fonts.MissingCJKFontWarning,
                                                      match="\u9f98"):
        cf.write_report(result, tmp_path / "en", title="西城区\u9f98")
    fonts.system_cjk_family.cache_clear()

    def broken_install() -> str:
        raise RuntimeError("carefacility's Chinese chart font is missing")

    monkeypatch.setattr(fonts, "cjk_font_family", broken_install)
    with report.start_chart_drawing(2), pytest.raises(RuntimeError,
                                                      match="Chinese chart font is missing"):
        cf.write_report(result, tmp_path / "zh", lang="zh")
    assert not (tmp_path / "zh").exists()


def test_no_drawing_processes_where_they_would_not_pay_or_are_unsafe() -> None:
    for workers in (None, 0, 1):
        drawing = report.start_chart_drawing(workers)
        assert not drawing.usable
        drawing.draw_ahead(None)
        drawing.close()
    stop = threading.Event()
    thread = threading.Thread(target=stop.wait)
    thread.start()
    try:  # another thread runs: forking could copy a held lock
        assert not report.start_chart_drawing(2).usable
    finally:
        stop.set()
        thread.join()


def test_carefacility_run_draws_on_processes_the_charts_drawn_here(drawn_here: Path,
                                                                   tmp_path: Path) -> None:
    root = Path(__file__).resolve().parents[2]
    out = tmp_path / "run"
    # the fixture's run (2 replications, seed 7) on two processes, its charts drawn ahead and
    # on two drawing processes
    subprocess.run(
        [sys.executable, "-m", "carefacility.cli", "run",
         str(root / "scenarios" / "xicheng.yaml"), "--out", str(out), "--replications", "2",
         "--seed", "7", "--workers", "2", "--quiet"],
        check=True, cwd=tmp_path, env=os.environ | {"PYTHONHASHSEED": "0"}, timeout=600)
    charts = [path.name for path in drawn_here.glob("*.png")]
    assert len(charts) == 10
    for name in charts:
        assert (out / name).read_bytes() == (drawn_here / name).read_bytes(), name
