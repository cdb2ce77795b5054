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
from typing import TYPE_CHECKING, Literal

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

if TYPE_CHECKING:
    from collections.abc import Mapping
    from typing import Any

    from carefacility.runner.optimize import OptimizeResult
    from carefacility.runner.sweep import SweepDesign, SweepResult
    from carefacility.runner.variants import CompareResult, Variant

__all__ = ["backtest", "compare", "estimate", "load_scenario", "optimize", "project", "run",
           "sweep", "write_compare", "write_optimize", "write_report"]

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


def compare(scenarios_or_variants: Sequence[Variant | str | Path], *,
            overrides: Sequence[str] = (), replications: int | None = None,
            seed: int | None = None, executor: Executor = "processes",
            workers: int | None = None, dask_address: str | None = None,
            progress: Progress | None = None,
            scenarios: Sequence[Scenario] | None = None) -> CompareResult:
    """Run plan variants side by side on common random numbers and compare them.

    Every variant is checked before anything runs (all problems at once); each distinct
    population is projected once; all variants' replications run on one pool of workers with
    the same seed and replication indices, so each variant meets the same applicants
    (:mod:`carefacility.runner.variants` lists the common random streams)::

        from carefacility.runner.variants import Variant

        result = cf.compare(["scenarios/jiading.yaml",
                             Variant("more_nursing", "scenarios/jiading.yaml",
                                     ("plan.care_homes[jiading_homes].beds.nursing=3000",))],
                            replications=20)
        result.differences   # each variant minus the first, paired by replication, 95 % CI

    Parameters
    ----------
    scenarios_or_variants : sequence of path or Variant
        The variants; a file is a variant named by its stem. The first is the baseline.
    overrides : sequence of str
        ``PATH=VALUE`` changes applied to every variant (before a variant's own).
    replications, seed : int, optional
        Common to all variants; by default the baseline's ``simulation.replications`` and
        ``simulation.seed``. A variant may not set them itself.
    executor, workers, dask_address
        Where replications run (as for :func:`run`); the numbers do not depend on it.
    progress : carefacility.base.progress.Progress, optional
        Times and shows the stages (``ConsoleProgress()`` draws a bar with the time left over
        all variants' replications).
    scenarios : sequence of Scenario, optional
        The variants already loaded, with ``overrides`` and their own
        (:func:`carefacility.runner.variants.load_variants`), so that they are not loaded
        again.

    Returns
    -------
    carefacility.runner.variants.CompareResult
        ``kpis`` (``variant, year, metric, mean, ci_low, ci_high, unit, replications``),
        ``differences`` (paired by replication, with their own 95 % CI), ``scorecards`` (side
        by side), ``results`` (each variant's run) and ``metadata``.

    Raises
    ------
    carefacility.base.errors.ScenarioError
        Every problem of every variant (files and overrides).
    carefacility.runner.variants.VariantError
        When the variants differ in start date or years, or two have one name.
    """
    from carefacility.runner.variants import compare_variants

    return compare_variants(scenarios_or_variants, overrides=overrides,
                            replications=replications, seed=seed, executor=executor,
                            workers=workers, dask_address=dask_address, progress=progress,
                            scenarios=scenarios)


def write_compare(result: CompareResult, out_dir: str | Path, *, lang: Lang = "en",
                  force: bool = False, svg: bool = False) -> list[Path]:
    """Write a comparison (:func:`compare`) into a folder: ``variants.csv``,
    ``differences.csv``, ``scorecards.csv``, ``kpis_by_replication.csv``, ``variants.json``
    and charts (:mod:`carefacility.report.compare_writer`); staged, as :func:`write_report`.

    Returns
    -------
    list of pathlib.Path
        The files written.
    """
    from carefacility.report.compare_writer import write_compare_outputs

    return write_compare_outputs(result, out_dir, lang=lang, force=force, svg=svg)


def sweep(source: str | Path | SweepDesign, *,
          grid: Sequence[str] | Mapping[str, Sequence[Any]] = (),
          variants: Mapping[str, Sequence[str]] | None = None, overrides: Sequence[str] = (),
          replications: int | None = None, seed: int | None = None,
          out_dir: str | Path | None = None, force: bool = False, lang: Lang = "en",
          svg: bool = False, executor: Executor = "processes", workers: int | None = None,
          dask_address: str | None = None, progress: Progress | None = None,
          scenarios: Sequence[Scenario] | None = None) -> SweepResult:
    """Run every variant of a grid (and listed variants) of one scenario; resumable.

    With ``out_dir`` each variant is stored in ``out_dir/variants/<variant_id>/`` as soon as
    its replications finish, and calling again with the same arguments reads back the stored
    variants instead of running them (:mod:`carefacility.runner.sweep`); at the end
    ``sweep.csv``, ``sweep_scorecard.csv``, ``sweep.json`` and a chart are written
    (:mod:`carefacility.report.sweep_store`)::

        result = cf.sweep("scenarios/jiading.yaml", out_dir="out/sweep", grid={
            "plan.care_homes[jiading_homes].beds.nursing": [2125, 2500, 3000],
            "simulation.admitted_within_days": [30, 60, 90]})
        result.table        # grid columns, variant, year, metric, mean, ci_low, ci_high, ...

    Parameters
    ----------
    source : path or SweepDesign
        A scenario file (with ``grid`` and/or ``variants``), a sweep file
        (:mod:`carefacility.scenario.sweep_file`), or a design already made.
    grid : sequence of str or mapping
        ``PATH=V1,V2,...`` texts or ``{PATH: [V1, V2, ...]}``; the full factorial is run.
    variants : mapping of str to sequence of str, optional
        Further variants by name, each a list of ``PATH=VALUE`` changes.
    overrides : sequence of str
        ``PATH=VALUE`` changes applied to every variant.
    replications, seed : int, optional
        Common to all variants (default: the sweep file's, else the scenario's).
    out_dir : str or pathlib.Path, optional
        The output folder; without it nothing is stored or written (nor resumed).
    force, lang, svg
        As for :func:`write_report`.
    executor, workers, dask_address
        Where replications run; the numbers do not depend on it.
    progress : carefacility.base.progress.Progress, optional
        Times and shows the stages; the replications of all variants to run are one counted
        stage with the time left.
    scenarios : sequence of Scenario, optional
        With a ``SweepDesign``: its variants already loaded
        (:func:`carefacility.runner.sweep.load_sweep`).

    Returns
    -------
    carefacility.runner.sweep.SweepResult

    Raises
    ------
    carefacility.base.errors.ScenarioError
        Every problem of the sweep file, the grid and every variant, before anything runs.
    carefacility.report.output_folder.OutputFolderError
        When ``out_dir`` cannot be used.
    """
    from carefacility.runner.sweep import MemoryStore, SweepDesign, run_sweep, sweep_design

    progress = progress if progress is not None else Progress()
    if isinstance(source, SweepDesign):
        design = source
    else:
        with progress.stage("load"):
            design, scenarios = sweep_design(source, grid=grid, variants=variants,
                                             overrides=overrides, replications=replications,
                                             seed=seed)
    store: Any = MemoryStore()
    if out_dir is not None:
        from carefacility.report.sweep_store import open_sweep_folder

        store = open_sweep_folder(out_dir, force=force, about={
            "scenario_file": str(design.scenario_file), "overrides": list(design.overrides),
            "grid": {axis.path: list(axis.values) for axis in design.axes},
            "variants": [item.variant_id for item in design.sweep_variants()]})
    result = run_sweep(design, store=store, executor=executor, workers=workers,
                       dask_address=dask_address, progress=progress, scenarios=scenarios)
    if out_dir is not None:
        from carefacility.report.sweep_store import write_sweep_outputs

        with progress.stage("report"):
            write_sweep_outputs(result, out_dir, lang=lang, force=force, svg=svg)
    return result


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
                 workers: int | None = None, long_sheets: bool = False) -> list[Path]:
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
    long_sheets : bool
        ``results.xlsx`` opens with the bureau's grids (the scorecard as targets × years, the
        KPIs, population, care need and bed demand with years as columns); with
        ``long_sheets`` every table follows as a sheet too (by default the long tables are in
        their CSV files only). Ignored for a projection.

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
                         per_replication_sheet=per_replication_sheet, workers=workers,
                         long_sheets=long_sheets)


def optimize(scenario: Scenario | str | Path, *, confidence: float | None = None,
             replications: int | None = None, seed: int | None = None,
             executor: Executor = "processes", workers: int | None = None,
             dask_address: str | None = None, robust: bool = False,
             years: tuple[int, int] | None = None,
             progress: Progress | None = None) -> OptimizeResult:
    """The smallest sufficient plan: for each plan year, the fewest beds by type (and zone)
    such that every service-level target holds with a stated confidence.

    Each bed type is sized for the applicants whose preferred bed it is, years are searched
    forward in time on common random numbers with a sequential test and an indifference zone,
    and the plan found is checked with fresh replications beside the plan with one bed fewer
    of each type, the scenario's own plan and each analytic method's plan (AFM, SIPP, lagged
    SIPP, the ratio); :mod:`carefacility.runner.optimize` states the procedure and its
    guarantee::

        result = cf.optimize("scenarios/jiading.yaml", seed=1)
        result.minimal_plan      # year, zone, bed_type, beds_planned, beds_needed, ci_low, ...
        result.beds()            # beds needed by year and type (simulated)
        result.summary           # the service levels at the plan, one bed fewer, the scenario's
        cf.write_optimize(result, "out/jiading-minimal")

    Parameters
    ----------
    scenario : Scenario or path
        With ``plan``, ``simulation`` and at least one service-level target; its optional
        ``optimize:`` section sets the search, ``costs:`` the costs.
    confidence : float, optional
        Overrides ``optimize.confidence`` (one-sided, per decision).
    replications : int, optional
        Overrides ``optimize.replications`` (the first stage of the sequential test).
    seed : int, optional
        Overrides ``simulation.seed``.
    executor, workers, dask_address
        Where replications run (as for :func:`run`); the result does not depend on it.
    robust : bool
        Size against the scenario's demographic variants too (the death-rate band and the
        ``optimize.robust`` override sets): per year and type the most beds any needs.
    years : (int, int), optional
        First and last plan year to optimise (default ``optimize.years``, else every year).
    progress : carefacility.base.progress.Progress, optional
        Times and shows the stages (``ConsoleProgress()`` shows a bar with the time left).

    Returns
    -------
    carefacility.runner.optimize.OptimizeResult

    Raises
    ------
    ValueError
        Without ``plan``/``simulation``, without a service-level target (the message names
        the metrics allowed), or with years outside the simulation.
    """
    from carefacility.runner.optimize import optimize_plan

    scenario = _as_scenario(scenario)
    return optimize_plan(scenario, confidence=confidence, replications=replications, seed=seed,
                         executor=executor, workers=workers, dask_address=dask_address,
                         robust=robust, years=years, progress=progress)


def write_optimize(result: OptimizeResult, out_dir: str | Path, *, lang: Lang = "en",
                   force: bool = False, svg: bool = False) -> list[Path]:
    """Write an optimisation's tables and charts into a folder (a staged write:
    :mod:`carefacility.report.optimize_writer` lists the files).

    Returns
    -------
    list of pathlib.Path
        The files written.
    """
    from carefacility.report.optimize_writer import write_optimize_outputs

    return write_optimize_outputs(result, out_dir, lang=lang, force=force, svg=svg)
