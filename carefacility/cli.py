"""Command line: ``carefacility init | validate | schema | project | run | compare | sweep |
backtest | report``.

The commands that read a scenario take ``--set PATH=VALUE`` (repeatable) to change a field
for this command only (:mod:`carefacility.scenario.overrides`).

Thin by design: parse the arguments, call the public face (:mod:`carefacility.api`), write the
outputs, set the exit code.
Exit codes: 0 success, 2 bad input (every problem printed, nothing written), 1 other failure.

Every error is a message, never a traceback: a located scenario report (exit 2), or one line
naming what went wrong (exit 2 for bad input — the scenario, the output folder, the Dask
address, a run too large to start without ``--yes`` — else 1: a failed write, a worker that
died, a bug), with a hint to run again with ``carefacility --debug ...``, which prints the
traceback instead.
"""

from __future__ import annotations

import sys
import time
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any, NoReturn

import click

from carefacility._version import __version__
from carefacility.base.errors import ScenarioError
from carefacility.report.output_folder import OutputFolderError

EXIT_BAD_INPUT = 2
EXIT_FAILURE = 1
DEBUG_HINT = "run again with `carefacility --debug ...` for the traceback"


def _fail_bad_input(message: str) -> NoReturn:
    click.echo(message, err=True)
    sys.exit(EXIT_BAD_INPUT)


def _one_line(text: str) -> str:
    """The first non-blank line of ``text``, stripped."""
    lines = [line.strip() for line in str(text).splitlines() if line.strip()]
    return lines[0] if lines else ""


def _describe(error: BaseException) -> tuple[str, int]:
    """One line saying what ``error`` is, and the exit code it gives."""
    if isinstance(error, ScenarioError):
        return error.report(), EXIT_BAD_INPUT
    if isinstance(error, OutputFolderError):
        return _one_line(str(error)), EXIT_BAD_INPUT
    if isinstance(error, OSError):  # disk full, permission denied, missing file ...
        where = error.filename if error.filename is not None else None
        reason = error.strerror or _one_line(str(error)) or type(error).__name__
        return (f"{where}: {reason}" if where is not None else reason), EXIT_FAILURE
    if isinstance(error, MemoryError):
        return ("out of memory: use fewer replications or workers (the estimate printed "
                "before the run says how much is needed)"), EXIT_FAILURE
    text = _one_line(str(error))
    message = f"{type(error).__name__}: {text}" if text else type(error).__name__
    # the library raises ValueError for inputs it cannot use (e.g. a target on a population
    # basis the scenario lacks)
    return message, EXIT_BAD_INPUT if isinstance(error, ValueError) else EXIT_FAILURE


class _Main(click.Group):
    """The command group: turns any error escaping a command into a message and exit code."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except (click.exceptions.ClickException, click.exceptions.Exit,
                click.exceptions.Abort):
            raise
        except Exception as error:
            message, code = _describe(error)
            if ctx.params.get("debug"):
                click.echo(traceback.format_exc().rstrip(), err=True)
            elif isinstance(error, ScenarioError):
                click.echo(message, err=True)
            else:
                click.echo(f"carefacility: error: {message} ({DEBUG_HINT})", err=True)
            ctx.exit(code)


def _verbosity_options(command: Callable[..., None]) -> Callable[..., None]:
    """--quiet and --verbose, shared by the commands that take long."""
    command = click.option("--verbose", "-v", is_flag=True,
                           help="Print each stage's time as it ends, and where each output "
                                "file went.")(command)
    return click.option("--quiet", "-q", is_flag=True,
                        help="Print nothing but errors (no progress, no summary).")(command)


def _progress(quiet: bool, verbose: bool) -> Any:
    """The progress display of a command: bars on a terminal, plain lines elsewhere."""
    from carefacility.base.progress import ConsoleProgress

    return ConsoleProgress(quiet=quiet, verbose=verbose)


_SVG_HELP = ("Also save every chart as SVG (for print or editing) and embed the SVGs in "
             "report.html; by default charts are PNG (150 dpi).")
_LONG_HELP = ("Put every table into results.xlsx as a sheet too (long format, as in its CSV "
              "file), after the bureau's grids; by default the tables are in their CSV files.")
_SHEET_HELP = ("Put the per-replication KPIs (kpis_by_replication) into results.xlsx too; "
               "by default they are in kpis_by_replication.csv only.")


_SET_HELP = ("Change a field of the scenario for this run, PATH=VALUE (repeatable), e.g. "
             "--set simulation.replications=40 or "
             "--set 'plan.care_homes[home_a].beds.nursing=300'; list items by index or name "
             "in brackets. Checked like the file; the run's metadata lists the changes.")


def _set_option(command: Callable[..., None]) -> Callable[..., None]:
    """--set PATH=VALUE (repeatable): overrides applied to the scenario before it is checked
    (:mod:`carefacility.scenario.overrides`)."""
    return click.option("--set", "overrides", multiple=True, metavar="PATH=VALUE",
                        help=_SET_HELP)(command)


def _executor_options(command: Callable[..., None]) -> Callable[..., None]:
    """--executor, --workers and --dask-address, shared by the commands that simulate."""
    command = click.option("--dask-address", default=None,
                           help="Dask scheduler address (e.g. tcp://10.0.0.5:8786); default: "
                                "a local one.")(command)
    command = click.option("--workers", type=click.IntRange(1), default=None,
                           help="Worker processes (default: all CPUs).")(command)
    return click.option("--executor", type=click.Choice(["processes", "serial", "dask"]),
                        default="processes", show_default=True,
                        help="Where replications run; results are identical whichever is "
                             "used.")(command)


def _output_options(command: Callable[..., None]) -> Callable[..., None]:
    """--out, --lang, --force and --svg, shared by the commands that write a folder."""
    command = click.option("--svg", is_flag=True, help=_SVG_HELP)(command)
    command = click.option("--force", is_flag=True,
                           help="Write into a folder that holds other files.")(command)
    command = click.option("--lang", type=click.Choice(["en", "zh"]), default="en",
                           show_default=True, help="Language of chart labels.")(command)
    return click.option("--out", "out_dir", required=True,
                        type=click.Path(file_okay=False, path_type=Path),
                        help="Output folder (created if missing).")(command)


@click.group(cls=_Main, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="carefacility")
@click.option("--debug", is_flag=True, envvar="CAREFACILITY_DEBUG",
              help="Show the traceback of an error instead of a one-line message "
                   "(give it before the command: carefacility --debug run ...).")
def main(debug: bool) -> None:
    """Elderly-care capacity planning: project the elderly population, simulate the plan."""


@main.command()
@click.argument("scenario_file", type=click.Path(dir_okay=False, path_type=Path))
@_set_option
def validate(scenario_file: Path, overrides: tuple[str, ...]) -> None:
    """Check SCENARIO_FILE and its tables; print every problem as file:line:col."""
    from carefacility.scenario.loader import validate_scenario

    scenario, problems = validate_scenario(scenario_file, overrides)
    if problems:
        _fail_bad_input(ScenarioError(problems).report())
    assert scenario is not None
    click.echo(f"{scenario_file}: OK ({scenario.name})")


@main.command()
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path))
@click.option("--name", required=True, help="The place, e.g. 某某区.")
@click.option("--total-population", type=int, default=None,
              help="Persons of the basis at --base-date (with the national age structure).")
@click.option("--share-60plus", type=float, default=None,
              help="Share aged 60+ as a fraction, e.g. 0.26 (with the national structure).")
@click.option("--census-csv", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="The place's own census table (age_group, male, female) instead of the "
                   "national structure; copied into DIRECTORY/data.")
@click.option("--basis", type=click.Choice(["registered", "resident"]), default="registered",
              show_default=True, help="户籍 (registered) or 常住 (resident) population.")
@click.option("--base-date", type=click.DateTime(["%Y-%m-%d"]), default="2020-12-31",
              show_default=True, help="Date of the population figures.")
@click.option("--horizon-year", type=int, default=2035, show_default=True,
              help="Last year projected and simulated.")
@click.option("--beds", type=int, default=1000, show_default=True,
              help="Care beds at the start.")
@click.option("--nursing-share", type=float, default=0.55, show_default=True,
              help="Nursing-type share of the beds (fraction).")
@click.option("--zones", default="", help="Zones (街镇) separated by commas; default one zone.")
@click.option("--services/--no-services", default=True, show_default=True,
              help="Write the day-care and meal-point block.")
@click.option("--targets/--no-targets", default=True, show_default=True,
              help="Write the targets block.")
@click.option("--force", is_flag=True, help="Overwrite an existing DIRECTORY/scenario.yaml.")
def init(directory: Path, name: str, total_population: int | None,
         share_60plus: float | None, census_csv: Path | None, basis: str, base_date: Any,
         horizon_year: int, beds: int, nursing_share: float, zones: str, services: bool,
         targets: bool, force: bool) -> None:
    """Write a commented starting scenario for a new place into DIRECTORY.

    DIRECTORY/scenario.yaml validates and runs at once: the population is the national 7th
    census structure reweighted to --share-60plus and scaled to --total-population (or the
    place's own --census-csv), with China's WPP 2024 rates; every value says its source or
    ASSUMPTION, and lines marked REPLACE are placeholders for the place's own figures. The
    national tables it names are copied into DIRECTORY/data.
    """
    from carefacility.scenario.template import TemplateOptions, write_template

    missing = []
    if census_csv is None:
        missing = [option for option, value in (("--total-population", total_population),
                                                ("--share-60plus", share_60plus))
                   if value is None]
    if missing:
        _fail_bad_input(f"{' and '.join(missing)}: needed with the national age structure "
                        "(or give the place's --census-csv)")
    options = TemplateOptions(
        name=name, total_population=total_population or 0,
        share_60plus=share_60plus if share_60plus is not None else 0.0, basis=basis,
        base_date=base_date.date(), horizon_year=horizon_year, beds=beds,
        nursing_share=nursing_share,
        zones=tuple(zone.strip() for zone in zones.split(",")) if zones.strip() else (),
        census_csv=census_csv, services=services, targets=targets)
    try:
        written = write_template(directory, options, force=force)
    except ValueError as error:
        _fail_bad_input(str(error))
    click.echo(f"{written[0]}: written; check it with `carefacility validate {written[0]}`, "
               "then replace the lines marked REPLACE")
    for path in written[1:]:
        click.echo(f"  copied {path}")


@main.command()
def schema() -> None:
    """Print the JSON Schema of scenario files (for editor completion and checks)."""
    from carefacility.scenario.loader import json_schema

    click.echo(json_schema())


@main.command()
@click.argument("scenario_file", type=click.Path(dir_okay=False, path_type=Path))
@_output_options
@_set_option
@_verbosity_options
def project(scenario_file: Path, out_dir: Path, lang: str, force: bool, svg: bool,
            overrides: tuple[str, ...], quiet: bool, verbose: bool) -> None:
    """Project the population of SCENARIO_FILE; write tables and charts to --out."""
    started = time.perf_counter()
    progress = _progress(quiet, verbose)
    from carefacility import api

    scenario = _load_scenario(scenario_file, overrides, progress)
    if scenario.population is None:
        _fail_bad_input(f"{scenario_file}: no `population` section to project (the demand is "
                        "given in simulation.arrivals); `carefacility run` simulates it")
    _check_output_folder(out_dir, force=force, estimated_bytes=0)
    with progress.stage("project"):
        projection = api.project(scenario)
    try:
        with progress.stage("report"):
            written = api.write_report(projection, out_dir, title=scenario.name,
                                       lang=lang, force=force, svg=svg)  # type: ignore[arg-type]
    except (OutputFolderError, RuntimeError) as error:
        _fail_bad_input(str(error))
    if quiet:
        return
    seconds = time.perf_counter() - started
    click.echo(f"{scenario.name}: projected {projection.first_year}-{projection.last_year} "
               f"in {seconds:.1f} s")
    for path in written:
        click.echo(f"  wrote {path}")


def _load_scenario(scenario_file: Path, overrides: tuple[str, ...],
                   progress: Any = None) -> Any:
    """The scenario of a command, timed as the stage ``load`` when there is a ``progress``;
    every problem printed and exit 2 when it has any."""
    from carefacility import api

    try:
        if progress is None:
            return api.load_scenario(scenario_file, overrides)
        with progress.stage("load"):
            return api.load_scenario(scenario_file, overrides)
    except ScenarioError as error:
        _fail_bad_input(error.report())


def _check_output_folder(out_dir: Path, *, force: bool, estimated_bytes: int) -> None:
    """Stop with exit 2 before any work when the output folder cannot take the outputs
    (:func:`carefacility.report.output_folder.check_output_folder`)."""
    from carefacility.report.output_folder import check_output_folder

    try:
        check_output_folder(out_dir, force=force, estimated_bytes=estimated_bytes)
    except OutputFolderError as error:
        _fail_bad_input(_one_line(str(error)))


@main.command()
@click.argument("scenario_file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--out", "out_dir", required=True, type=click.Path(file_okay=False, path_type=Path),
              help="Output folder (created if missing).")
@click.option("--replications", type=click.IntRange(1, 10_000), default=None,
              help="Replications (default: the scenario's simulation.replications).")
@click.option("--seed", type=click.IntRange(0), default=None,
              help="Seed (default: the scenario's simulation.seed).")
@_executor_options
@click.option("--until-decided", is_flag=True,
              help="Add replications until every target is met or missed at 95 % "
                   "(or --max-replications ran); --replications is the first round.")
@click.option("--max-replications", type=click.IntRange(2, 10_000), default=None,
              help="Cap of --until-decided (default 400).")
@click.option("--lang", type=click.Choice(["en", "zh"]), default="en", show_default=True,
              help="Language of chart labels.")
@click.option("--force", is_flag=True, help="Write into a folder that holds other files.")
@click.option("--svg", is_flag=True, help=_SVG_HELP)
@click.option("--per-replication-sheet", is_flag=True, help=_SHEET_HELP)
@click.option("--long-sheets", is_flag=True, help=_LONG_HELP)
@_set_option
@click.option("--yes", "-y", "yes", is_flag=True,
              help="Run even when the estimate says it would take more than 15 min or more "
                   "memory than is available (the estimate is printed before such a run).")
@_verbosity_options
def run(scenario_file: Path, out_dir: Path, replications: int | None, seed: int | None,
        executor: str, workers: int | None, dask_address: str | None, until_decided: bool,
        max_replications: int | None, lang: str, force: bool, svg: bool,
        per_replication_sheet: bool, long_sheets: bool, overrides: tuple[str, ...], yes: bool,
        quiet: bool, verbose: bool) -> None:
    """Simulate the plan of SCENARIO_FILE against its care need; write KPIs with 95 % CIs.

    Before any work: the output folder and the Dask address are checked, and the run's time,
    memory and output size are estimated; the estimate is printed when the run would take
    more than a minute or 1 GB, and the run stops (exit 2) unless --yes when it would take
    more than 15 min or more memory than the machine has available.

    While it works it shows each stage (a progress bar with the time left on a terminal, plain
    lines elsewhere); at the end it prints the time of the whole command, by stage.
    """
    started = time.perf_counter()
    progress = _progress(quiet, verbose)
    from carefacility import api
    from carefacility.base.progress import format_stage_seconds
    from carefacility.report.writer import start_chart_drawing
    from carefacility.runner.estimate import (
        KPIS_PER_YEAR_UPPER,
        estimate_output_bytes,
        needs_confirmation,
        should_print,
    )
    from carefacility.runner.executors import (
        DaskAddressError,
        check_dask_address,
        check_dask_scheduler,
        default_workers,
    )
    from carefacility.runner.simulation import DEFAULT_MAX_REPLICATIONS

    progress.seconds["import"] = time.perf_counter() - started
    # processes for the report's charts: they load matplotlib while the scenario loads and
    # draw the projection's charts while the replications run (none with --executor serial)
    charts = start_chart_drawing(None if executor == "serial" else workers or default_workers())
    click.get_current_context().call_on_close(charts.close)
    scenario = _load_scenario(scenario_file, overrides, progress)
    simulation = scenario.spec.simulation
    if scenario.plan is None or simulation is None:
        _fail_bad_input(f"{scenario_file}: no `plan` and `simulation` sections; "
                        "`carefacility project` projects the population alone")
    if until_decided and not scenario.spec.targets:
        _fail_bad_input(f"{scenario_file}: --until-decided needs `targets` to decide")
    if dask_address is not None:
        try:
            dask_address = check_dask_scheduler(dask_address) if executor == "dask" else \
                check_dask_address(dask_address)
        except DaskAddressError as error:
            _fail_bad_input(f"--dask-address: {error}")
    # the most KPI rows the run can write: the output folder must hold them
    kept = replications or simulation.replications
    if until_decided:
        kept = max_replications if max_replications is not None else max(
            DEFAULT_MAX_REPLICATIONS, kept)
    _check_output_folder(out_dir, force=force, estimated_bytes=estimate_output_bytes(
        kept * simulation.years * KPIS_PER_YEAR_UPPER))

    projection = None
    if scenario.population is not None:
        with progress.stage("project"):
            projection = api.project(scenario)
        charts.draw_ahead(projection, scenario, lang=lang, svg=svg)
    estimate = api.estimate(scenario, replications=replications, executor=executor,
                            workers=workers, dask_address=dask_address,  # type: ignore[arg-type]
                            until_decided=until_decided, max_replications=max_replications,
                            projection=projection, progress=progress,
                            per_replication_sheet=per_replication_sheet)
    too_large = needs_confirmation(estimate)
    if too_large and not yes:
        smaller = ("fewer --workers (each holds a replication in memory) or a smaller plan"
                   if "memory" in too_large else "fewer --replications")
        _fail_bad_input(f"{scenario_file}: not started: {too_large}; estimate: {estimate.text}. "
                        f"Run again with --yes to start it anyway, or with {smaller}")
    if (too_large or should_print(estimate)) and not quiet:
        click.echo(f"estimate: {estimate.text}")
    try:
        result = api.run(scenario, replications=replications, seed=seed,
                         executor=executor, workers=workers,  # type: ignore[arg-type]
                         dask_address=dask_address, until_decided=until_decided,
                         max_replications=max_replications, projection=projection,
                         progress=progress, estimate=estimate)
    except DaskAddressError as error:
        _fail_bad_input(f"--dask-address: {error}")
    try:
        with progress.stage("report"):
            written = api.write_report(
                result, out_dir, lang=lang, force=force,  # type: ignore[arg-type]
                svg=svg, per_replication_sheet=per_replication_sheet, long_sheets=long_sheets,
                # charts are drawn on the run's worker count (none when asked to run serially)
                workers=None if executor == "serial" else workers or default_workers())
    except (OutputFolderError, RuntimeError) as error:
        _fail_bad_input(str(error))
    if quiet:
        return
    meta = result.metadata
    click.echo(f"{scenario.name}: {meta['replications']} replications of {meta['years']} "
               f"years (seed {meta['seed']}) in {time.perf_counter() - started:.1f} s")
    click.echo(f"  {format_stage_seconds(progress.seconds)}")
    card = result.scorecard
    if until_decided and card is not None:
        undecided = int((card["status"] == "at_risk").sum())
        click.echo("  every target decided at 95 %" if undecided == 0 else
                   f"  {undecided} target-years still at risk after {meta['replications']} "
                   "replications (the cap): see replications_to_decide in scorecard.csv")
    for path in written:
        click.echo(f"  wrote {path}")


@main.command()
@click.argument("scenario_file", type=click.Path(dir_okay=False, path_type=Path))
@_output_options
@_set_option
def backtest(scenario_file: Path, out_dir: Path, lang: str, force: bool, svg: bool,
             overrides: tuple[str, ...]) -> None:
    """Compare the `observed` figures of SCENARIO_FILE with its projection.

    Writes backtest.csv (observed, projected, error, relative error, calibration or back-test,
    source) and backtest_chart to --out. Simulated figures (residents_year_end) are left blank:
    `carefacility run` fills them.
    """
    from carefacility import api
    from carefacility.report.writer import write_backtest_outputs

    scenario = _load_scenario(scenario_file, overrides)
    if not scenario.spec.observed:
        _fail_bad_input(f"{scenario_file}: no `observed` section: list the place's published "
                        "figures (year, basis, metric, value, source) to compare with")
    _check_output_folder(out_dir, force=force, estimated_bytes=0)
    table = api.backtest(scenario)
    try:
        written = write_backtest_outputs(table, out_dir, title=scenario.name, svg=svg,
                                         lang=lang, force=force)  # type: ignore[arg-type]
    except (OutputFolderError, RuntimeError) as error:
        _fail_bad_input(str(error))
    click.echo(f"{scenario.name}: {len(table)} observed figures")
    for use in ("backtest", "calibration"):
        errors = table.loc[table["use"] == use, "relative_error"].dropna()
        if len(errors):
            click.echo(f"  {use}: {len(errors)}, mean absolute relative error "
                       f"{100 * errors.abs().mean():.1f} %")
    blank = int(table["projected"].isna().sum())
    if blank:
        click.echo(f"  {blank} need a simulation: `carefacility run` fills them")
    for path in written:
        click.echo(f"  wrote {path}")


@main.command()
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path))
@click.option("--lang", type=click.Choice(["en", "zh"]), default="en", show_default=True,
              help="Language of the report, chart labels and workbook notes.")
@click.option("--force", is_flag=True, help="Write into a folder that holds other files.")
@click.option("--svg", is_flag=True, help=_SVG_HELP)
@click.option("--per-replication-sheet", is_flag=True, help=_SHEET_HELP)
@click.option("--long-sheets", is_flag=True, help=_LONG_HELP)
@_verbosity_options
def report(directory: Path, lang: str, force: bool, svg: bool, per_replication_sheet: bool,
           long_sheets: bool, quiet: bool, verbose: bool) -> None:
    """Rebuild report.html, results.xlsx and the charts of DIRECTORY from its CSV/JSON files.

    Nothing is simulated again; a failure leaves DIRECTORY unchanged.
    """
    started = time.perf_counter()
    progress = _progress(quiet, verbose)
    from carefacility.report.writer import rebuild_report
    from carefacility.runner.executors import default_workers

    try:
        with progress.stage("report"):
            # the charts are drawn on every CPU while the workbook is written
            written = rebuild_report(directory, lang=lang,  # type: ignore[arg-type]
                                     force=force, svg=svg,
                                     per_replication_sheet=per_replication_sheet,
                                     long_sheets=long_sheets, workers=default_workers())
    except (FileNotFoundError, OutputFolderError, RuntimeError, KeyError) as error:
        _fail_bad_input(str(error).strip("'\""))
    if quiet:
        return
    click.echo(f"{directory}: report rebuilt in {time.perf_counter() - started:.1f} s")
    for path in written:
        click.echo(f"  wrote {path}")


def _replication_options(command: Callable[..., None]) -> Callable[..., None]:
    """--replications, --seed, --executor, --workers and --dask-address of compare and sweep
    (common to all variants)."""
    for option in reversed((
        click.option("--replications", type=click.IntRange(1, 10_000), default=None,
                     help="Replications of every variant (default: the first scenario's "
                          "simulation.replications)."),
        click.option("--seed", type=click.IntRange(0), default=None,
                     help="Seed of every variant (default: the first scenario's "
                          "simulation.seed)."),
    )):
        command = option(command)
    return _executor_options(command)


def _checked_dask_address(executor: str, dask_address: str | None) -> str | None:
    """The Dask address checked as ``run`` checks it (exit 2 when it is bad)."""
    from carefacility.runner.executors import (
        DaskAddressError,
        check_dask_address,
        check_dask_scheduler,
    )

    if dask_address is None:
        return None
    try:
        return (check_dask_scheduler(dask_address) if executor == "dask"
                else check_dask_address(dask_address))
    except DaskAddressError as error:
        _fail_bad_input(f"--dask-address: {error}")


@main.command()
@click.argument("scenario_files", nargs=-1, required=True,
                type=click.Path(dir_okay=False, path_type=Path))
@_output_options
@_set_option
@click.option("--variant", "variant_texts", multiple=True, metavar="NAME:PATH=VALUE",
              help="A variant of the first file with a change of its own (repeatable; the "
                   "same NAME again adds another change), e.g. "
                   "more_beds:plan.care_homes[0].beds.nursing=3000.")
@_replication_options
@_verbosity_options
def compare(scenario_files: tuple[Path, ...], out_dir: Path, lang: str, force: bool, svg: bool,
            overrides: tuple[str, ...], variant_texts: tuple[str, ...],
            replications: int | None, seed: int | None, executor: str, workers: int | None,
            dask_address: str | None, quiet: bool, verbose: bool) -> None:
    """Run the plans of SCENARIO_FILES (and --variant changes) side by side and compare them.

    All variants run with the same seed and replication indices (common random numbers: each
    meets the same applicants), on one pool of workers. The first is the baseline: the
    difference of each other variant from it is taken replication by replication, with its
    own 95 % CI. Writes variants.csv, differences.csv, scorecards.csv, kpis_by_replication.csv,
    variants.json and charts to --out. Every file and change is checked first; all problems
    are printed at once (exit 2, nothing written).
    """
    started = time.perf_counter()
    progress = _progress(quiet, verbose)
    from carefacility import api
    from carefacility.base.progress import format_stage_seconds
    from carefacility.runner.estimate import KPIS_PER_YEAR_UPPER, estimate_output_bytes
    from carefacility.runner.variants import (
        VariantError,
        check_comparable,
        load_variants,
        variants_from_arguments,
    )

    variants, problems = variants_from_arguments(scenario_files, variant_texts)
    if len(scenario_files) + len(variant_texts) < 2:
        _fail_bad_input("carefacility compare: give at least two variants: two scenario files, "
                        "or one with --variant NAME:PATH=VALUE")
    scenarios = []
    with progress.stage("load"):
        try:
            scenarios = load_variants(variants, overrides)
        except ScenarioError as error:
            problems += error.problems
    if problems:
        _fail_bad_input(ScenarioError(problems).report())
    try:
        check_comparable(variants, scenarios)
    except VariantError as error:
        _fail_bad_input(f"carefacility compare: {error}")
    simulation = scenarios[0].spec.simulation
    assert simulation is not None
    dask_address = _checked_dask_address(executor, dask_address)
    kept = (replications or simulation.replications) * len(variants)
    _check_output_folder(out_dir, force=force, estimated_bytes=estimate_output_bytes(
        kept * simulation.years * KPIS_PER_YEAR_UPPER))
    result = api.compare(variants, overrides=overrides, replications=replications, seed=seed,
                         executor=executor, workers=workers,  # type: ignore[arg-type]
                         dask_address=dask_address, progress=progress, scenarios=scenarios)
    try:
        with progress.stage("report"):
            written = api.write_compare(result, out_dir, lang=lang,  # type: ignore[arg-type]
                                        force=force, svg=svg)
    except (OutputFolderError, RuntimeError) as error:
        _fail_bad_input(str(error))
    if quiet:
        return
    meta = result.metadata
    click.echo(f"{len(variants)} variants, {meta['replications']} replications each of "
               f"{meta['years']} years (seed {meta['seed']}), baseline {meta['baseline']}, in "
               f"{time.perf_counter() - started:.1f} s")
    click.echo(f"  {format_stage_seconds(progress.seconds)}")
    for path in written:
        click.echo(f"  wrote {path}")


@main.command()
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--grid", "grid_texts", multiple=True, metavar="PATH=V1,V2,...",
              help="A field and the values it takes (repeatable: every combination runs), "
                   "e.g. plan.care_homes[jiading_homes].beds.nursing=2125,2500,3000.")
@click.option("--out", "out_dir", default=None, type=click.Path(file_okay=False, path_type=Path),
              help="Output folder (created if missing); a sweep file may name it (out:).")
@click.option("--lang", type=click.Choice(["en", "zh"]), default="en", show_default=True,
              help="Language of chart labels.")
@click.option("--force", is_flag=True, help="Write into a folder that holds other files.")
@click.option("--svg", is_flag=True, help=_SVG_HELP)
@_set_option
@_replication_options
@_verbosity_options
def sweep(file: Path, grid_texts: tuple[str, ...], out_dir: Path | None, lang: str,
          force: bool, svg: bool, overrides: tuple[str, ...], replications: int | None,
          seed: int | None, executor: str, workers: int | None, dask_address: str | None,
          quiet: bool, verbose: bool) -> None:
    """Run every combination of --grid values of FILE (a scenario), or the sweep file FILE.

    Each variant is stored in --out/variants/<variant_id>/ as soon as its replications finish;
    running the same command again reads the stored variants back and runs only the others
    (a changed scenario, seed or replications runs again), so Ctrl-C or a killed worker loses
    nothing finished. At the end: sweep.csv (one column per grid field, then variant, year,
    metric, mean, ci_low, ci_high, unit, replications), sweep_scorecard.csv, sweep.json and
    charts. Every variant is checked first; all problems are printed at once (exit 2, nothing
    written).
    """
    started = time.perf_counter()
    progress = _progress(quiet, verbose)
    from concurrent.futures import BrokenExecutor

    from carefacility import api
    from carefacility.base.progress import format_stage_seconds
    from carefacility.runner.estimate import KPIS_PER_YEAR_UPPER, estimate_output_bytes
    from carefacility.runner.sweep import sweep_design

    with progress.stage("load"):
        try:
            design, scenarios = sweep_design(file, grid=grid_texts, overrides=overrides,
                                             replications=replications, seed=seed)
        except ScenarioError as error:
            _fail_bad_input(error.report())
    out_dir = out_dir if out_dir is not None else design.out_dir
    if out_dir is None:
        _fail_bad_input(f"{file}: no output folder: give --out DIR (or `out:` in a sweep file)")
    simulation = scenarios[0].spec.simulation
    assert simulation is not None
    dask_address = _checked_dask_address(executor, dask_address)
    kept = (design.replications or simulation.replications) * design.size
    _check_output_folder(out_dir, force=force, estimated_bytes=estimate_output_bytes(
        kept * simulation.years * KPIS_PER_YEAR_UPPER))
    try:
        result = api.sweep(design, scenarios=scenarios, out_dir=out_dir, force=force,
                           lang=lang, svg=svg, executor=executor,  # type: ignore[arg-type]
                           workers=workers, dask_address=dask_address, progress=progress)
    except KeyboardInterrupt:
        click.echo(f"\ninterrupted: the variants that finished are stored in "
                   f"{out_dir / 'variants'}; run the same command again to run the others",
                   err=True)
        sys.exit(130)
    except BrokenExecutor as error:
        click.echo(f"carefacility: error: a worker process died ({_one_line(str(error))}); the "
                   f"variants that finished are stored in {out_dir / 'variants'}: run the same "
                   "command again to run the others", err=True)
        sys.exit(EXIT_FAILURE)
    except OutputFolderError as error:
        _fail_bad_input(str(error))
    if quiet:
        return
    meta = result.metadata
    click.echo(f"{design.size} variants ({meta['variants_run']} run, "
               f"{meta['variants_read_back']} read back), {meta['replications']} replications "
               f"each (seed {meta['seed']}), in {time.perf_counter() - started:.1f} s")
    click.echo(f"  {format_stage_seconds(progress.seconds)}")
    click.echo(f"  wrote {Path(out_dir) / 'sweep.csv'}, sweep_scorecard.csv, sweep.json, "
               f"charts and variants/ ({design.size} folders)")


def _plan_lines(result: Any) -> list[str]:
    """Per year and bed type: the plan's beds, the beds needed and each method's answer."""
    plan = result.minimal_plan
    simulated = plan[(plan["method"] == "simulation") & (plan["zone"] == "all")]
    if simulated["bed_type"].nunique() == 2:  # one bed type: its total is the same line
        simulated = simulated[simulated["bed_type"] != "all"]
    methods = [m for m in ("afm", "sipp", "sipp_lagged", "sipp_pooled", "ratio")
               if m in set(plan["method"])]
    answers = plan[(plan["zone"] == "all") & plan["method"].isin(methods)].set_index(
        ["year", "bed_type", "method"])["beds_needed"]
    header = (f"  {'year':<5} {'bed type':<9} {'planned':>9} {'needed':>9} {'interval':>19}"
              + "".join(f" {m:>11}" for m in methods))
    lines = [header]

    def number(value: float) -> str:
        return "" if value != value else f"{value:,.0f}"  # NaN: blank

    for row in simulated.itertuples(index=False):
        low, high = number(row.ci_low), number(row.ci_high)
        interval = f"[{low or '?'}, {high or '?'}]"
        mark = "" if row.reached is not False else " *"
        cells = "".join(f" {number(answers.get((row.year, row.bed_type, m), float('nan'))):>11}"
                        for m in methods)
        lines.append(f"  {row.year:<5} {row.bed_type:<9} {number(row.beds_planned):>9} "
                     f"{number(row.beds_needed) + mark:>9} {interval:>19}{cells}")
    return lines


@main.command()
@click.argument("scenario_file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--out", "out_dir", required=True, type=click.Path(file_okay=False, path_type=Path),
              help="Output folder (created if missing).")
@click.option("--lang", type=click.Choice(["en", "zh"]), default="en", show_default=True,
              help="Language of chart labels.")
@click.option("--force", is_flag=True, help="Write into a folder that holds other files.")
@click.option("--svg", is_flag=True, help="Also save every chart as SVG; by default charts are "
              "PNG (150 dpi).")
@_set_option
@click.option("--replications", type=click.IntRange(2, 10_000), default=None,
              help="Replications of the first stage of the sequential test of each candidate "
                   "plan (default: optimize.replications, 10).")
@click.option("--seed", type=click.IntRange(0), default=None,
              help="Seed (default: the scenario's simulation.seed).")
@_executor_options
@click.option("--robust", is_flag=True,
              help="Size against the demographic variants too (death rates ±10 % and the "
                   "scenario's optimize.robust override sets): the most beds any needs.")
@click.option("--years", "years_text", default=None, metavar="FIRST-LAST",
              help="Plan years to optimise, e.g. 2021-2030 (default: optimize.years, else "
                   "every simulated year).")
@_verbosity_options
def optimize(scenario_file: Path, out_dir: Path, lang: str, force: bool, svg: bool,
             overrides: tuple[str, ...], replications: int | None, seed: int | None,
             executor: str, workers: int | None, dask_address: str | None, robust: bool,
             years_text: str | None, quiet: bool, verbose: bool) -> None:
    """Find the smallest sufficient plan of SCENARIO_FILE: per year, the fewest beds by type
    (and zone) such that every service-level target holds with the stated confidence.

    Beds built at the start are a floor and capacity only grows unless optimize.allow_closures.
    Writes minimal_plan.csv (beside the AFM, SIPP, lagged SIPP and ratio answers),
    optimize_summary.csv, plan_costs.csv (with costs:), the search's decisions, metadata and
    charts to --out, and prints the beds needed by year and type. A target that no plan within
    the bounds reaches is a warning naming the target, year and best plan found (exit 0, the
    best plan written); a scenario without a service-level target is an error (exit 2).
    """
    started = time.perf_counter()
    progress = _progress(quiet, verbose)
    from carefacility import api
    from carefacility.base.progress import format_stage_seconds
    from carefacility.runner.optimize import no_target_message
    from carefacility.targets.optimize_spec import parse_years
    from carefacility.targets.service_levels import service_constraints

    progress.seconds["import"] = time.perf_counter() - started
    scenario = _load_scenario(scenario_file, overrides, progress)
    simulation = scenario.spec.simulation
    if scenario.plan is None or simulation is None:
        _fail_bad_input(f"{scenario_file}: no `plan` and `simulation` sections: "
                        "`carefacility optimize` sizes a plan's beds")
    if not service_constraints(scenario.spec.targets):
        _fail_bad_input(no_target_message(scenario))
    years = None
    if years_text is not None:
        first_year = simulation.start_date.year
        last_year = first_year + simulation.years - 1
        try:
            years = parse_years(years_text)
        except ValueError as error:
            _fail_bad_input(f"--years: {error}")
        outside = [year for year in years if not first_year <= year <= last_year]
        if outside:
            _fail_bad_input(f"--years {years_text}: {outside[0]} is outside the simulated "
                            f"years {first_year}-{last_year}")
    dask_address = _checked_dask_address(executor, dask_address)
    _check_output_folder(out_dir, force=force, estimated_bytes=0)
    result = api.optimize(scenario, replications=replications, seed=seed,
                          executor=executor, workers=workers,  # type: ignore[arg-type]
                          dask_address=dask_address, robust=robust, years=years,
                          progress=progress)
    try:
        with progress.stage("report"):
            written = api.write_optimize(result, out_dir, lang=lang,  # type: ignore[arg-type]
                                         force=force, svg=svg)
    except (OutputFolderError, RuntimeError) as error:
        _fail_bad_input(str(error))
    for message in result.messages:
        click.echo(f"warning: {message}", err=True)
    if quiet:
        return
    meta = result.metadata
    click.echo(f"{scenario.name}: smallest sufficient plan {meta['years'][0]}-{meta['years'][1]}"
               f" (seed {meta['seed']}, {100 * meta['confidence']:g} % confidence, "
               f"indifference zone {meta['indifference_zone']:g}"
               + (", robust" if robust else "") + f") in {time.perf_counter() - started:.1f} s")
    click.echo(f"  {format_stage_seconds(progress.seconds)}")
    click.echo(f"  {meta['search_simulations']} candidate plans, {meta['search_replications']} "
               f"replications searched; {meta['verification_replications_run']} to verify")
    for line in _plan_lines(result):
        click.echo(line)
    if not result.reached:
        click.echo("  * not reached within the bounds: see the warnings above", err=False)
    for path in written:
        click.echo(f"  wrote {path}")

if __name__ == "__main__":  # pragma: no cover
    main()
