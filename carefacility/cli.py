"""Command line: ``carefacility validate | schema | project | run | backtest | report``.

Thin by design: parse the arguments, call the public face (:mod:`carefacility.api`), write the
outputs, set the exit code.
Exit codes: 0 success, 2 bad input (every problem printed, nothing written), 1 other failure.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from pathlib import Path

import click

from carefacility._version import __version__
from carefacility.base.errors import ScenarioError
from carefacility.report.output_folder import OutputFolderError

EXIT_BAD_INPUT = 2


def _fail_bad_input(message: str) -> None:
    click.echo(message, err=True)
    sys.exit(EXIT_BAD_INPUT)


def _output_options(command: Callable[..., None]) -> Callable[..., None]:
    """--out, --lang and --force, shared by the commands that write a folder."""
    command = click.option("--force", is_flag=True,
                           help="Write into a folder that holds other files.")(command)
    command = click.option("--lang", type=click.Choice(["en", "zh"]), default="en",
                           show_default=True, help="Language of chart labels.")(command)
    return click.option("--out", "out_dir", required=True,
                        type=click.Path(file_okay=False, path_type=Path),
                        help="Output folder (created if missing).")(command)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="carefacility")
def main() -> None:
    """Elderly-care capacity planning: project the elderly population, simulate the plan."""


@main.command()
@click.argument("scenario_file", type=click.Path(dir_okay=False, path_type=Path))
def validate(scenario_file: Path) -> None:
    """Check SCENARIO_FILE and its tables; print every problem as file:line:col."""
    from carefacility.scenario.loader import validate_scenario

    scenario, problems = validate_scenario(scenario_file)
    if problems:
        _fail_bad_input(ScenarioError(problems).report())
    assert scenario is not None
    click.echo(f"{scenario_file}: OK ({scenario.name})")


@main.command()
def schema() -> None:
    """Print the JSON Schema of scenario files (for editor completion and checks)."""
    from carefacility.scenario.loader import json_schema

    click.echo(json_schema())


@main.command()
@click.argument("scenario_file", type=click.Path(dir_okay=False, path_type=Path))
@_output_options
def project(scenario_file: Path, out_dir: Path, lang: str, force: bool) -> None:
    """Project the population of SCENARIO_FILE; write tables and charts to --out."""
    from carefacility import api

    started = time.perf_counter()
    try:
        scenario = api.load_scenario(scenario_file)
    except ScenarioError as error:
        _fail_bad_input(error.report())
    if scenario.population is None:
        _fail_bad_input(f"{scenario_file}: no `population` section to project (the demand is "
                        "given in simulation.arrivals); `carefacility run` simulates it")
    projection = api.project(scenario)
    try:
        written = api.write_report(projection, out_dir, title=scenario.name,
                                   lang=lang, force=force)  # type: ignore[arg-type]
    except (OutputFolderError, RuntimeError) as error:
        _fail_bad_input(str(error))
    seconds = time.perf_counter() - started
    click.echo(f"{scenario.name}: projected {projection.first_year}-{projection.last_year} "
               f"in {seconds:.1f} s")
    for path in written:
        click.echo(f"  wrote {path}")


@main.command()
@click.argument("scenario_file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--out", "out_dir", required=True, type=click.Path(file_okay=False, path_type=Path),
              help="Output folder (created if missing).")
@click.option("--replications", type=click.IntRange(1, 10_000), default=None,
              help="Replications (default: the scenario's simulation.replications).")
@click.option("--seed", type=click.IntRange(0), default=None,
              help="Seed (default: the scenario's simulation.seed).")
@click.option("--executor", type=click.Choice(["processes", "serial", "dask"]),
              default="processes", show_default=True,
              help="Where replications run; results are identical whichever is used.")
@click.option("--workers", type=click.IntRange(1), default=None,
              help="Worker processes (default: all CPUs).")
@click.option("--dask-address", default=None,
              help="Dask scheduler address (e.g. tcp://10.0.0.5:8786); default: a local one.")
@click.option("--until-decided", is_flag=True,
              help="Add replications until every target is met or missed at 95 % "
                   "(or --max-replications ran); --replications is the first round.")
@click.option("--max-replications", type=click.IntRange(2, 10_000), default=None,
              help="Cap of --until-decided (default 400).")
@click.option("--lang", type=click.Choice(["en", "zh"]), default="en", show_default=True,
              help="Language of chart labels.")
@click.option("--force", is_flag=True, help="Write into a folder that holds other files.")
def run(scenario_file: Path, out_dir: Path, replications: int | None, seed: int | None,
        executor: str, workers: int | None, dask_address: str | None, until_decided: bool,
        max_replications: int | None, lang: str, force: bool) -> None:
    """Simulate the plan of SCENARIO_FILE against its care need; write KPIs with 95 % CIs."""
    from carefacility import api

    try:
        scenario = api.load_scenario(scenario_file)
    except ScenarioError as error:
        _fail_bad_input(error.report())
    if scenario.plan is None or scenario.spec.simulation is None:
        _fail_bad_input(f"{scenario_file}: no `plan` and `simulation` sections; "
                        "`carefacility project` projects the population alone")
    if until_decided and not scenario.spec.targets:
        _fail_bad_input(f"{scenario_file}: --until-decided needs `targets` to decide")
    result = api.run(scenario, replications=replications, seed=seed,
                     executor=executor, workers=workers,  # type: ignore[arg-type]
                     dask_address=dask_address, until_decided=until_decided,
                     max_replications=max_replications)
    try:
        written = api.write_report(result, out_dir, lang=lang, force=force)  # type: ignore
    except (OutputFolderError, RuntimeError) as error:
        _fail_bad_input(str(error))
    meta = result.metadata
    click.echo(f"{scenario.name}: {meta['replications']} replications of {meta['years']} "
               f"years (seed {meta['seed']}) in {meta['duration_seconds']:.1f} s")
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
def backtest(scenario_file: Path, out_dir: Path, lang: str, force: bool) -> None:
    """Compare the `observed` figures of SCENARIO_FILE with its projection.

    Writes backtest.csv (observed, projected, error, relative error, calibration or back-test,
    source) and backtest_chart to --out. Simulated figures (residents_year_end) are left blank:
    `carefacility run` fills them.
    """
    from carefacility import api
    from carefacility.report.writer import write_backtest_outputs

    try:
        scenario = api.load_scenario(scenario_file)
    except ScenarioError as error:
        _fail_bad_input(error.report())
    if not scenario.spec.observed:
        _fail_bad_input(f"{scenario_file}: no `observed` section: list the place's published "
                        "figures (year, basis, metric, value, source) to compare with")
    table = api.backtest(scenario)
    try:
        written = write_backtest_outputs(table, out_dir, title=scenario.name,
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
def report(directory: Path, lang: str, force: bool) -> None:
    """Rebuild report.html, results.xlsx and the charts of DIRECTORY from its CSV/JSON files.

    Nothing is simulated again; a failure leaves DIRECTORY unchanged.
    """
    from carefacility.report.writer import rebuild_report

    started = time.perf_counter()
    try:
        written = rebuild_report(directory, lang=lang, force=force)  # type: ignore[arg-type]
    except (FileNotFoundError, OutputFolderError, RuntimeError, KeyError) as error:
        _fail_bad_input(str(error).strip("'\""))
    click.echo(f"{directory}: report rebuilt in {time.perf_counter() - started:.1f} s")
    for path in written:
        click.echo(f"  wrote {path}")


if __name__ == "__main__":  # pragma: no cover
    main()
