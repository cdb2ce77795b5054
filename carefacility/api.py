"""The public face: load a scenario, project its population, run its plan, write the report,
and back-test the projection against the place's published figures.

These five functions are what the command line calls and what a notebook needs (and
:func:`estimate`, what a run will cost before it starts)::

    import carefacility as cf

    scenario = cf.load_scenario("scenarios/xicheng.yaml")
    result = cf.run(scenario, replications=20, seed=1)
    result.kpis                 # year, metric, mean, ci_low, ci_high, unit, replications
    result.scorecard            # one row per target and year
    cf.backtest(scenario)       # observed figures against the projection, with their errors
    cf.write_report(result, "out/xicheng", lang="zh")

Each stage's own functions stay available in its subpackage (``carefacility.population``,
``carefacility.need``, ``carefacility.beds``, ...) for those who enter the pipeline midway.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Literal

import pandas as pd

from carefacility.base.progress import Progress
from carefacility.population.projection import (
    PopulationProjection,
    project_populations,
)
from carefacility.runner.estimate import RunEstimate
from carefacility.runner.executors import Executor
from carefacility.runner.results import RunResult
from carefacility.runner.simulation import DEFAULT_MAX_REPLICATIONS
from carefacility.runner.simulation import run as _run
from carefacility.scenario.loader import Scenario
from carefacility.scenario.loader import load_scenario as _load_scenario

__all__ = ["backtest", "estimate", "load_scenario", "project", "run", "write_report"]

Lang = Literal["en", "zh"]


def load_scenario(path: str | Path, overrides: Sequence[str] = ()) -> Scenario:
    """Read, validate and resolve a scenario file with every table it names.

    Parameters
    ----------
    path : str or pathlib.Path
        The scenario's YAML file; table paths in it are relative to the file.
    overrides : sequence of str
        ``PATH=VALUE`` changes applied to the file before it is validated, as the command
        line's ``--set`` (e.g. ``"simulation.replications=40"``,
        ``"plan.care_homes[home_a].beds.nursing=300"``); see
        :mod:`carefacility.scenario.overrides`. The scenario keeps them in ``overrides`` and a
        run's metadata lists them.

    Returns
    -------
    Scenario

    Raises
    ------
    carefacility.base.errors.ScenarioError
        Listing every problem as ``file:line:col: field: given, allowed``.
    """
    return _load_scenario(path, overrides)


def _as_scenario(scenario: Scenario | str | Path) -> Scenario:
    return scenario if isinstance(scenario, Scenario) else load_scenario(scenario)


def project(scenario: Scenario | str | Path, *, mortality_range: bool = True
            ) -> PopulationProjection:
    """Project the scenario's population to its horizon year.

    Parameters
    ----------
    scenario : Scenario or path
        A loaded scenario or its file.
    mortality_range : bool
        Also project with death rates 10 % lower and higher (the sensitivity band of the
        60+ and 80+ chart, an ASSUMPTION; see
        :func:`carefacility.population.projection.with_mortality_range`).

    Returns
    -------
    PopulationProjection
        ``population`` (year, zone, age, sex, population), ``elderly`` (60+ and 80+ by year)
        and the components of change, all as DataFrames, of the demand basis; a scenario with
        a ``registered_population`` has the other basis in ``other_bases``
        (``projection.for_basis("registered")``; ``projection.elderly_by_basis()`` has both).

    Raises
    ------
    ValueError
        If the scenario has no population (its demand is given in ``simulation.arrivals``).
    """
    scenario = _as_scenario(scenario)
    if scenario.population is None:
        raise ValueError(f"{scenario.file}: no `population` section to project (the demand "
                         "is given in simulation.arrivals); `carefacility run` simulates it")
    return project_populations(scenario.populations, scenario.demand_basis,
                               mortality_range=mortality_range)


def run(scenario: Scenario | str | Path, *, replications: int | None = None,
        seed: int | None = None, executor: Executor = "processes", workers: int | None = None,
        dask_address: str | None = None, until_decided: bool = False,
        max_replications: int | None = None,
        projection: PopulationProjection | None = None,
        progress: Progress | None = None,
        estimate: RunEstimate | None = None) -> RunResult:
    """Simulate the scenario's plan against its care need, many replications.

    Parameters
    ----------
    scenario : Scenario or path
        A scenario with ``plan`` and ``simulation`` sections.
    replications, seed : int, optional
        Override ``simulation.replications`` / ``simulation.seed``.
    executor : {"processes", "serial", "dask"}
        Where replications run; the numbers do not depend on it.
    workers : int, optional
        Worker processes (default: all CPUs).
    dask_address : str, optional
        A Dask scheduler's address; by default a local cluster on 127.0.0.1.
    until_decided : bool
        Add replications (``replications`` is the first round) until every target is met or
        missed at 95 %, or ``max_replications`` ran (default 400); the rounds are
        ``tables["decide_rounds"]``.
    max_replications : int, optional
        The cap of ``until_decided``.
    projection : PopulationProjection, optional
        The scenario's projection when already made (``project(scenario)``), so that it is
        not projected again; ignored for a scenario without a population.
    progress : carefacility.base.progress.Progress, optional
        Times the stages and shows them while they run:
        ``ConsoleProgress()`` (from :mod:`carefacility.base.progress`) draws a progress bar
        with the time left on a terminal; by default nothing is shown. Stage times are in
        ``result.metadata["stage_seconds"]``.
    estimate : RunEstimate, optional
        What :func:`estimate` returned for the same scenario and projection: its prepared
        inputs are used, not prepared again.

    Returns
    -------
    RunResult
        ``kpis`` (means with 95 % CIs over replications), ``per_replication``, ``scorecard``,
        the deterministic ``tables``, ``metadata``, and the ``scenario`` and ``projection``
        it came from (``projection`` is None for a scenario without a population, whose KPIs
        then have no ``pop_60plus`` or ``beds_per_1000_60plus`` rows).

    Raises
    ------
    carefacility.runner.executors.DaskAddressError
        When ``dask_address`` is malformed or no Dask scheduler answers there.
    """
    scenario = _as_scenario(scenario)
    if scenario.plan is None or scenario.spec.simulation is None:
        raise ValueError(f"{scenario.file}: no `plan` and `simulation` sections; "
                         "carefacility.project projects the population alone")
    if scenario.population is None:
        projection = None
    elif projection is None:
        progress = progress if progress is not None else Progress()
        with progress.stage("project"):
            projection = project(scenario)
    prepared = estimate.prepared if estimate is not None else None
    return _run(scenario, replications=replications, seed=seed, executor=executor,
                workers=workers, dask_address=dask_address, projection=projection,
                until_decided=until_decided, max_replications=max_replications,
                prepared=prepared, progress=progress)


def estimate(scenario: Scenario | str | Path, *, replications: int | None = None,
             executor: Executor = "processes", workers: int | None = None,
             dask_address: str | None = None, until_decided: bool = False,
             max_replications: int | None = None,
             projection: PopulationProjection | None = None,
             progress: Progress | None = None,
             per_replication_sheet: bool = False) -> RunEstimate:
    """What :func:`run` with the same arguments will cost: events, time, memory, output size.

    The run is prepared (projection, care need, demand, the bed simulation's inputs: about
    half a second for a district, :func:`carefacility.runner.prepare.prepare_run`) but nothing
    is simulated; pass the estimate to :func:`run` (``run(..., estimate=estimate)``) and it
    uses these prepared inputs instead of preparing again. The formula and the measurements
    behind it are in :mod:`carefacility.runner.estimate`.

    Parameters
    ----------
    scenario : Scenario or path
        A scenario with ``plan`` and ``simulation`` sections.
    replications : int, optional
        Overrides ``simulation.replications``.
    executor, workers, dask_address
        Where replications would run (as for :func:`run`); with a ``dask_address`` the
        cluster's memory is not counted.
    until_decided : bool
        Count the cap of replications (``max_replications``, default 400): the most that can
        run.
    max_replications : int, optional
        The cap of ``until_decided``.
    projection : PopulationProjection, optional
        The scenario's projection when already made.
    progress : carefacility.base.progress.Progress, optional
        Times (and shows) the preparation as the stage ``prepare``.
    per_replication_sheet : bool
        The report will put the per-replication KPIs into ``results.xlsx`` too
        (``write_report(..., per_replication_sheet=True)``), which costs time and memory.

    Returns
    -------
    RunEstimate
        ``events``, ``seconds``, ``peak_bytes``, ``output_bytes``, ``text`` and the
        ``prepared`` inputs.
    """
    from carefacility.runner.estimate import estimate_run
    from carefacility.runner.prepare import prepare_run

    scenario = _as_scenario(scenario)
    simulation = scenario.spec.simulation
    if scenario.plan is None or simulation is None:
        raise ValueError(f"{scenario.file}: no `plan` and `simulation` sections to estimate")
    kept = simulation.replications if replications is None else replications
    if until_decided and scenario.spec.targets:
        kept = max_replications if max_replications is not None else max(
            DEFAULT_MAX_REPLICATIONS, kept)
    alternative = min(simulation.alternative_rule_replications, kept)
    progress = progress if progress is not None else Progress()
    with progress.stage("prepare"):
        prepared = prepare_run(scenario,
                               projection if scenario.population is not None else None)
    return estimate_run(prepared, kept, workers, executor=executor,
                        bed_only_replications=alternative,
                        remote=executor == "dask" and dask_address is not None,
                        per_replication_sheet=per_replication_sheet)


def backtest(scenario: Scenario | str | Path, *, result: RunResult | None = None
             ) -> pd.DataFrame:
    """Compare the scenario's ``observed`` figures with its projection.

    Parameters
    ----------
    scenario : Scenario or path
        A scenario with an ``observed`` section (an empty table without one).
    result : RunResult, optional
        A run of the scenario (:func:`run`): its projection is used, and its KPIs for
        ``residents_year_end`` (blank without a run) and ``beds``.

    Returns
    -------
    pandas.DataFrame
        One row per observation: ``year, basis, metric, observed, projected, error,
        relative_error, use, source`` (``error`` = projected − observed [persons or beds],
        ``relative_error`` = error / observed [fraction], ``use`` = ``calibration`` up to the
        base year, ``backtest`` after it); see :mod:`carefacility.targets.backtest`.
    """
    from carefacility.runner.backtest import scenario_backtest

    scenario = _as_scenario(scenario)
    if scenario.population is None:
        raise ValueError(f"{scenario.file}: no `population` section: there is no projection "
                         "to compare observed figures with")
    if result is not None and result.projection is not None:
        return scenario_backtest(scenario, result.projection, result.kpis)
    return scenario_backtest(scenario, project(scenario, mortality_range=False))


def write_report(result: RunResult | PopulationProjection, out_dir: str | Path, *,
                 lang: Lang = "en", title: str | None = None, force: bool = False,
                 svg: bool = False, per_replication_sheet: bool = False,
                 workers: int | None = None) -> list[Path]:
    """Write a run's (or a projection's) tables, charts, workbook and report into a folder.

    The write is staged: a failure leaves an earlier folder as it was.

    Parameters
    ----------
    result : RunResult or PopulationProjection
        What :func:`run` or :func:`project` returned.
    out_dir : str or pathlib.Path
        The output folder (created if missing).
    lang : {"en", "zh"}
        Language of the report and chart labels.
    title : str, optional
        Title of the report and charts (default: the scenario's name).
    force : bool
        Write into a folder that holds files carefacility did not write.
    svg : bool
        Also save every chart as SVG (``<chart>.svg``) and embed the SVGs in ``report.html``.
        By default the charts are PNG only (150 dpi), embedded as PNG, and an SVG of the same
        chart that an earlier write left in the folder is removed.
    per_replication_sheet : bool
        Put the KPIs of every replication (``kpis_by_replication``) into ``results.xlsx`` too;
        by default they are in ``kpis_by_replication.csv`` only (the workbook's ``about``
        sheet says so), which makes the workbook several times faster to write. Ignored for a
        projection.
    workers : int, optional
        Draw the charts on this many processes (forked, on Linux) while the workbook is
        written; the files are the same. By default (None) all is done in this process.
        Ignored for a projection.

    Returns
    -------
    list of pathlib.Path
        The files written.
    """
    from carefacility.report.writer import write_population_outputs
    from carefacility.report.writer import write_report as _write_report

    if isinstance(result, PopulationProjection):
        return write_population_outputs(result, out_dir, title=title or "", lang=lang,
                                        force=force, svg=svg)
    scenario = result.scenario
    return _write_report(result, out_dir, projection=result.projection, scenario=scenario,
                         title=title or (scenario.name if scenario is not None else None),
                         lang=lang, force=force, svg=svg,
                         per_replication_sheet=per_replication_sheet, workers=workers)
