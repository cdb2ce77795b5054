"""Stages are timed, and shown as bars on a terminal, as plain lines elsewhere, or not at all."""

from __future__ import annotations

import io
import time

import pytest

from carefacility.base import progress as progress_module
from carefacility.base.progress import ConsoleProgress, Progress, format_stage_seconds


def run_stages(progress: Progress, pause_seconds: float = 0.0) -> None:
    with progress.stage("prepare"):
        time.sleep(pause_seconds)
    with progress.stage("replications", total=3) as stage:
        for _ in range(3):
            time.sleep(pause_seconds)
            stage.advance()
        stage.grow(1)
        stage.advance()
    with progress.stage("prepare"):  # a stage run twice adds up
        pass


def test_stages_are_timed_in_order_and_add_up() -> None:
    progress = Progress()
    started = time.perf_counter()
    run_stages(progress, pause_seconds=0.01)
    elapsed = time.perf_counter() - started
    assert list(progress.seconds) == ["prepare", "replications"]
    assert progress.seconds["replications"] >= 0.03
    assert progress.total_seconds <= elapsed
    assert format_stage_seconds({"load": 0.51, "report": 1.0}) == "load 0.5 s, report 1.0 s"


def test_a_stage_is_timed_even_when_it_fails() -> None:
    progress = Progress()
    with pytest.raises(RuntimeError), progress.stage("report"):
        raise RuntimeError("disk full")
    assert "report" in progress.seconds


def test_quiet_shows_nothing_and_still_times() -> None:
    stream = io.StringIO()
    progress = ConsoleProgress(stream, quiet=True, terminal=True)
    run_stages(progress)
    assert stream.getvalue() == ""
    assert set(progress.seconds) == {"prepare", "replications"}


def test_a_quick_job_prints_nothing_where_the_output_is_not_a_terminal() -> None:
    stream = io.StringIO()
    run_stages(ConsoleProgress(stream, terminal=False))
    assert stream.getvalue() == ""


def test_a_long_stage_prints_plain_lines_with_the_count_and_time_left(monkeypatch) -> None:
    monkeypatch.setattr(progress_module, "PLAIN_LINE_INTERVAL_SECONDS", 0.0)
    stream = io.StringIO()
    run_stages(ConsoleProgress(stream, terminal=False))
    lines = stream.getvalue().splitlines()
    assert "\r" not in stream.getvalue()  # plain lines, no bar redrawing
    assert any(line.startswith("replications: 1/3 done in") and "s left" in line
               for line in lines)
    assert any(line.startswith("replications: ") and line.endswith("(4 of 4)")
               for line in lines)


def test_verbose_prints_every_stage_start_and_end() -> None:
    stream = io.StringIO()
    run_stages(ConsoleProgress(stream, verbose=True, terminal=False))
    lines = stream.getvalue().splitlines()
    assert lines[0] == "prepare: started"
    assert lines[1].startswith("prepare: ") and lines[1].endswith(" s")
    assert "replications: started (3 to do)" in lines


def test_a_terminal_gets_a_bar_with_the_count_that_vanishes_at_the_end(monkeypatch) -> None:
    pytest.importorskip("tqdm")
    monkeypatch.setattr(progress_module, "BAR_REFRESH_SECONDS", 0.0)
    stream = io.StringIO()
    progress = ConsoleProgress(stream, terminal=True)
    with progress.stage("replications", total=4) as stage:
        stage.advance()
        stage.advance()
    text = stream.getvalue()
    assert "replications: 2/4" in text
    assert "left" in text
    assert text.endswith("\r") and text.split("\r")[-2].strip() == ""  # the bar is cleared


def test_a_bar_leaves_no_thread_and_tqdm_as_it_was() -> None:
    tqdm = pytest.importorskip("tqdm")
    import threading

    interval = tqdm.tqdm.monitor_interval
    threads = threading.active_count()
    progress = ConsoleProgress(io.StringIO(), terminal=True)
    with progress.stage("replications", total=2) as stage:
        stage.advance()
        assert threading.active_count() == threads  # forking stays safe while it runs
    assert tqdm.tqdm.monitor_interval == interval
