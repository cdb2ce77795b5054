"""Run a scenario's plan against its care need: prepare once, replicate many times, summarise.

:func:`run` calls :func:`carefacility.runner.prepare.prepare_run` once, then
:func:`carefacility.runner.replicate.replicate` for every replication on the chosen executor,
and summarises the replications with 95 % confidence intervals; with targets it adds the
scorecard, with observations the back-test (``tables["backtest"]``). The base-year calibration
done in preparation is ``tables["calibration"]`` (its multipliers also in the metadata), and the
other eligibility rule, run beside the scenario's on the same random streams, is
``tables["eligibility_alternative"]`` (:mod:`carefacility.runner.eligibility`). The analytic
cross-check (``tables["analytic_cross_check"]``, with ``cross_check_pools``) carries the
structural causes that explain a gap between simulation and theory
(:mod:`carefacility.runner.structure_check`).

A scenario without a population (demand and stays given in ``simulation.arrivals`` and
``simulation.stays``) is run without a projection (``RunResult.projection`` is None); its KPIs
have no ``pop_60plus`` or ``beds_per_1000_60plus`` rows (they would be NaN: there are no
elders to count), and its metadata says ``"population": false``.
"""

from __future__ import annotations

import time
from dataclasses import replace

import pandas as pd

from carefacility._version import __version__
from carefacility.base.progress import Progress
from carefacility.population.projection import (
    PopulationProjection,
    project_population,
    project_populations,
)
from carefacility.runner.backtest import scenario_backtest
from carefacility.runner.calibration import calibration_metadata
from carefacility.runner.decide import replicate_until_decided
from carefacility.runner.eligibility import alternative_inputs, compare_rules
from carefacility.runner.executors import Batch, Executor, run_batches
from carefacility.runner.prepare import PreparedRun, prepare_run
from carefacility.runner.replicate import replicate
from carefacility.runner.results import RunResult, summarise_replications
from carefacility.runner.structure_check import (
    explain_run,
    restricted_bed_types,
    structural_pools,
)
from carefacility.scenario.loader import Scenario
from carefacility.targets.scorecard import scorecard

__all__ = ["DEFAULT_MAX_REPLICATIONS", "POPULATION_METRICS", "run"]

DEFAULT_MAX_REPLICATIONS = 400
"""Default cap on the replications of ``run(..., until_decided=True)``."""

POPULATION_METRICS = ("pop_60plus", "beds_per_1000_60plus")
"""KPIs that count elders (with a ``.<basis>`` suffix too), left out of a run without a
population."""


def _without_population_metrics(per_replication: pd.DataFrame) -> pd.DataFrame:
    """The KPI rows of a run without a population: those counting elders left out."""
    metric = per_replication["metric"].astype(str)
    counted = metric.isin(POPULATION_METRICS) | metric.str.startswith(
        tuple(f"{name}." for name in POPULATION_METRICS))
    return per_replication[~counted].reset_index(drop=True)


def run(scenario: Scenario, *, replications: int | None = None, seed: int | None = None,
        executor: Executor = "processes", workers: int | None = None,
        dask_address: str | None = None,
        projection: PopulationProjection | None = None, until_decided: bool = False,
        max_replications: int | None = None, prepared: PreparedRun | None = None,
        progress: Progress | None = None) -> RunResult:
    """Project, simulate ``replications`` times and summarise.

    Parameters
    ----------
    scenario : Scenario
        With ``plan`` and ``simulation`` sections.
    replications, seed : int, optional
        Override the scenario's ``simulation.replications`` / ``simulation.seed``.
    executor, workers, dask_address
        Where replications run (see
        :func:`carefacility.runner.executors.run_replications`); results do not depend on it.
    projection : PopulationProjection, optional
        Use this projection instead of projecting the scenario's populations (every basis,
        :func:`carefacility.population.projection.project_populations`). Ignored by a
        scenario without a population.
    until_decided : bool
        Add replications until every target is met or missed at 95 % or ``max_replications``
        ran (:func:`carefacility.runner.decide.replicate_until_decided`); ``replications`` is
        then the first round. Without targets it has no effect. The rounds are
        ``tables["decide_rounds"]``.
    max_replications : int, optional
        Cap of ``until_decided`` (default :data:`DEFAULT_MAX_REPLICATIONS`, or
        ``replications`` when larger).
    prepared : PreparedRun, optional
        The run's inputs when already prepared from this scenario and ``projection``
        (:func:`~carefacility.runner.prepare.prepare_run`, as :func:`carefacility.api.estimate`
        does), so that they are not prepared twice.
    progress : Progress, optional
        Times the stages (``prepare``, ``replications``, ``summary``) and shows them
        (:class:`carefacility.base.progress.ConsoleProgress`); by default nothing is shown.
        The stages' seconds are ``metadata["stage_seconds"]``.

    Returns
    -------
    RunResult
    """
    started = time.perf_counter()
    progress = progress if progress is not None else Progress()
    simulation = scenario.spec.simulation
    if simulation is None:
        raise ValueError(f"{scenario.file}: `carefacility run` needs a `simulation` section")
    replications = simulation.replications if replications is None else replications
    seed = simulation.seed if seed is None else seed
    if scenario.population is None:
        projection = None
    elif projection is None:
        projection = project_populations(scenario.populations, scenario.demand_basis)
    else:  # a projection of the demand basis alone: project the scenario's other bases beside
        missing = {basis: inputs for basis, inputs in scenario.populations.items()
                   if basis != projection.basis and basis not in projection.other_bases}
        if missing:
            projection = replace(projection, other_bases={
                **projection.other_bases,
                **{basis: project_population(inputs) for basis, inputs in missing.items()}})
    if prepared is None:
        with progress.stage("prepare"):
            prepared = prepare_run(scenario, projection)
    tables = dict(prepared.tables)

    def other_rule() -> list[Batch]:
        """The other eligibility rule's replications (none when the scenario asks for none)."""
        count = min(simulation.alternative_rule_replications, replications)
        return [Batch(alternative_inputs(prepared), list(range(count)))] if count else []

    def run_stage(name: str, batches: list[Batch]) -> list[pd.DataFrame]:
        """The batches' replications on one pool of workers, as the progress stage ``name``."""
        if not batches:
            return []
        with progress.stage(name, total=sum(len(b.indices) for b in batches)) as stage:
            return run_batches(replicate, batches, seed=seed, executor=executor,
                               workers=workers, dask_address=dask_address,
                               on_done=stage.advance)

    if until_decided and scenario.spec.targets:
        cap = max_replications if max_replications is not None else max(
            DEFAULT_MAX_REPLICATIONS, replications)
        with progress.stage("replications", total=replications) as stage:
            decided = replicate_until_decided(
                prepared, scenario.spec.targets, replications=replications,
                max_replications=cap, seed=seed, executor=executor, workers=workers,
                dask_address=dask_address, cross_check=tables.get("analytic_cross_check"),
                threshold_days=simulation.admitted_within_days, stage=stage)
        per_replication = decided.per_replication
        replications = int(decided.rounds["replications"].iloc[-1])
        tables["decide_rounds"] = decided.rounds
        # the other rule after the last round: how many it runs depends on the rounds
        others = run_stage("other eligibility rule", other_rule())
    else:
        # the run's replications and the other eligibility rule's, on one pool of workers
        per_replication, *others = run_stage(
            "replications", [Batch(prepared, list(range(replications))), *other_rule()])
    alternative_frame = others[0] if others else None
    with progress.stage("summary"):
        if projection is None:
            per_replication = _without_population_metrics(per_replication)
        kpis = summarise_replications(per_replication)
        if scenario.spec.targets:
            tables["scorecard"] = scorecard(scenario.spec.targets, kpis,
                                            cross_check=tables.get("analytic_cross_check"),
                                            threshold_days=simulation.admitted_within_days)
        # which structural cause explains a gap between the simulation and the pooled figures
        tables["analytic_cross_check"] = explain_run(
            kpis, tables["analytic_cross_check"],
            pools=structural_pools(tables.get("cross_check_pools"), prepared.spec),
            occupancy=tables["analytic_cross_check"],
            restricted=restricted_bed_types(prepared.spec))
        if scenario.spec.observed and projection is not None:
            tables["backtest"] = scenario_backtest(scenario, projection, kpis)
        if alternative_frame is not None:
            # the other eligibility rule beside the scenario's (same random streams)
            tables["eligibility_alternative"] = compare_rules(prepared, per_replication,
                                                              alternative_frame)
    metadata = {
        "scenario": scenario.name,
        "scenario_file": str(scenario.file),
        "overrides": list(scenario.overrides),
        "carefacility_version": __version__,
        "seed": seed,
        "replications": replications,
        "until_decided": bool(until_decided and scenario.spec.targets),
        "executor": executor,
        "start_date": simulation.start_date.isoformat(),
        "years": simulation.years,
        "population": projection is not None,
        "calibration": (calibration_metadata(tables["calibration"]) if "calibration" in tables
                        else {"calibrated": False}),
        "duration_seconds": round(time.perf_counter() - started, 3),
        "stage_seconds": {name: round(value, 3) for name, value in progress.seconds.items()},
    }
    return RunResult(per_replication=per_replication, kpis=kpis, metadata=metadata,
                     tables=tables, scenario=scenario, projection=projection)
