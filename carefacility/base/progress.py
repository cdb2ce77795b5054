"""Stages of a long job, timed, and shown while they run.

A job (``carefacility run``) is a sequence of named stages: loading the scenario, projecting
the population, preparing the run, the replications, the report. Library code receives a
:class:`Progress` and wraps each stage in :meth:`Progress.stage`; a counted stage (the
replications) is advanced as each unit finishes. The base class shows nothing and only keeps
the wall-clock seconds of every stage (:attr:`Progress.seconds`), so a notebook or a test sees
no output; :class:`ConsoleProgress` shows the stages on a terminal with a progress bar and an
estimate of the time left (tqdm), or as plain lines where the output is not a terminal (a log
file, CI), and nothing at all when quiet.

Times are wall-clock seconds (:func:`time.perf_counter`) of the process that runs the job,
stages included however they are spread over worker processes.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, TextIO

__all__ = ["ConsoleProgress", "Progress", "Stage", "format_stage_seconds"]

PLAIN_LINE_INTERVAL_SECONDS = 10.0
"""Where the output is not a terminal, a counted stage prints a line at most this often [s]
(and once when it ends)."""

BAR_REFRESH_SECONDS = 0.2
"""A terminal's progress bar is redrawn at most this often [s]."""


class Stage:
    """A running stage: count finished units with :meth:`advance`, add units with :meth:`grow`.

    Attributes
    ----------
    name : str
        The stage's name, as shown (e.g. ``"replications"``).
    total : int or None
        Units of work in the stage (None: not counted).
    done : int
        Units finished so far.
    started : float
        :func:`time.perf_counter` at the start [s].
    """

    def __init__(self, progress: Progress, name: str, total: int | None) -> None:
        self.progress = progress
        self.name = name
        self.total = total
        self.done = 0
        self.started = time.perf_counter()

    def advance(self, units: int = 1) -> None:
        """Count ``units`` more finished units of work."""
        self.done += units
        self.progress._advanced(self)

    def grow(self, units: int) -> None:
        """Add ``units`` units of work to the stage's total (a run that decides to go on)."""
        self.total = (self.total or 0) + units
        self.progress._grown(self)

    @property
    def elapsed_seconds(self) -> float:
        """Wall-clock time since the stage started [s]."""
        return time.perf_counter() - self.started

    @property
    def remaining_seconds(self) -> float | None:
        """Time left at the pace so far [s] (None before the first unit, or uncounted)."""
        if not self.total or self.done <= 0:
            return None
        return self.elapsed_seconds / self.done * max(self.total - self.done, 0)


class Progress:
    """Times the stages of a job and shows nothing (the default of every library function).

    Attributes
    ----------
    seconds : dict of str to float
        Wall-clock seconds of each finished stage, in the order they ran [s]; a stage run
        twice adds up.
    """

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}

    @contextmanager
    def stage(self, name: str, total: int | None = None) -> Iterator[Stage]:
        """Time the stage ``name`` (``total`` units of work, if counted) while it runs.

        Parameters
        ----------
        name : str
            What the stage does, as shown to the user (``"replications"``).
        total : int, optional
            Units of work (replications); the stage's :class:`Stage` counts them.

        Yields
        ------
        Stage
        """
        current = Stage(self, name, total)
        self._started(current)
        try:
            yield current
        finally:
            seconds = current.elapsed_seconds
            self.seconds[name] = self.seconds.get(name, 0.0) + seconds
            self._finished(current, seconds)

    @property
    def total_seconds(self) -> float:
        """Seconds of all finished stages together [s]."""
        return sum(self.seconds.values())

    # what a subclass shows; the base class shows nothing
    def _started(self, stage: Stage) -> None:
        """A stage began."""

    def _advanced(self, stage: Stage) -> None:
        """A unit of a counted stage finished."""

    def _grown(self, stage: Stage) -> None:
        """A counted stage got more units."""

    def _finished(self, stage: Stage, seconds: float) -> None:
        """A stage ended after ``seconds``."""


_BAR_CLASS: list[type] = []


def _bar_class() -> type:
    """tqdm's bar without its monitor thread (a process with threads must not fork, and the
    report's charts are drawn on forked processes); tqdm is imported on first use."""
    if not _BAR_CLASS:
        from tqdm import tqdm

        _BAR_CLASS.append(type("StageBar", (tqdm,), {"monitor_interval": 0}))
    return _BAR_CLASS[0]


def format_stage_seconds(seconds: dict[str, float]) -> str:
    """``"load 0.5 s, replications 2.1 s"``: each stage's wall-clock seconds, in order."""
    return ", ".join(f"{name} {value:.1f} s" for name, value in seconds.items())


class ConsoleProgress(Progress):
    """Shows each stage while it runs: a tqdm bar on a terminal, plain lines elsewhere.

    Parameters
    ----------
    stream : file, optional
        Where to write (default ``sys.stderr``, so that the command's results on stdout stay
        clean).
    verbose : bool
        Also print a line with the time of every stage as it ends (on a terminal, too).
    quiet : bool
        Show nothing (the stages are still timed).
    terminal : bool, optional
        Whether ``stream`` is a terminal (default: ``stream.isatty()``). On a terminal a
        counted stage gets a progress bar with the time left, another stage its name while it
        runs; both vanish when it ends. Elsewhere (a log, CI) a counted stage prints a line
        (done, total, time left) at most every :data:`PLAIN_LINE_INTERVAL_SECONDS`, and any
        stage that took longer than that prints one when it ends; a quick job prints nothing.
        With ``verbose`` every stage prints a line when it starts and when it ends.
    """

    def __init__(self, stream: TextIO | None = None, *, verbose: bool = False,
                 quiet: bool = False, terminal: bool | None = None) -> None:
        super().__init__()
        self.stream = stream if stream is not None else sys.stderr
        self.verbose = verbose
        self.quiet = quiet
        if terminal is None:
            isatty = getattr(self.stream, "isatty", None)
            terminal = bool(isatty()) if callable(isatty) else False
        self.terminal = terminal
        self._bars: dict[int, Any] = {}
        self._last_line: dict[int, float] = {}

    def _write(self, text: str) -> None:
        self.stream.write(text + "\n")
        self.stream.flush()

    def _started(self, stage: Stage) -> None:
        if self.quiet:
            return
        if self.terminal:
            self._bars[id(stage)] = _bar_class()(
                total=stage.total, desc=stage.name, file=self.stream, leave=False,
                unit=" rep" if stage.total else "it", dynamic_ncols=True,
                bar_format=("{desc}: {n_fmt}/{total_fmt} |{bar}| {elapsed} elapsed, "
                            "{remaining} left" if stage.total else "{desc} …"),
                mininterval=BAR_REFRESH_SECONDS)
        else:
            self._last_line[id(stage)] = time.perf_counter()
            if self.verbose:
                self._write(f"{stage.name}: started" + (
                    f" ({stage.total} to do)" if stage.total else ""))

    def _advanced(self, stage: Stage) -> None:
        if self.quiet:
            return
        bar = self._bars.get(id(stage))
        if bar is not None:
            bar.update(stage.done - bar.n)
            return
        now = time.perf_counter()
        if now - self._last_line.get(id(stage), 0.0) >= PLAIN_LINE_INTERVAL_SECONDS \
                and stage.done < (stage.total or 0):
            self._last_line[id(stage)] = now
            left = stage.remaining_seconds
            self._write(f"{stage.name}: {stage.done}/{stage.total} done in "
                        f"{stage.elapsed_seconds:.0f} s" + (
                            f", about {left:.0f} s left" if left is not None else ""))

    def _grown(self, stage: Stage) -> None:
        bar = self._bars.get(id(stage))
        if bar is not None:
            bar.total = stage.total
            bar.refresh()

    def _finished(self, stage: Stage, seconds: float) -> None:
        if self.quiet:
            return
        bar = self._bars.pop(id(stage), None)
        if bar is not None:
            bar.close()
        self._last_line.pop(id(stage), None)
        if self.verbose or (not self.terminal and seconds >= PLAIN_LINE_INTERVAL_SECONDS):
            counted = f" ({stage.done} of {stage.total})" if stage.total else ""
            self._write(f"{stage.name}: {seconds:.1f} s{counted}")
