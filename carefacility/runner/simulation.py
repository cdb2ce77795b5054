"""Run a scenario's plan against its care need: prepare once, replicate many times, summarise.

:func:`run` calls :func:`carefacility.runner.prepare.prepare_run` once, then
:func:`carefacility.runner.replicate.replicate` for every replication on the chosen executor,
and summarises the replications with 95 % confidence intervals; with targets it adds the
scorecard, with observations the back-test (``tables["backtest"]``). The base-year calibration
done in preparation is ``tables["calibration"]`` (its multipliers also in the metadata), and the
other eligibility rule, run beside the scenario's on the same random streams, is
``tables["eligibility_alternative"]`` (:mod:`carefacility.runner.eligibility`).
"""

from __future__ import annotations

import time
from dataclasses import replace

from carefacility._version import __version__
from carefacility.population.projection import (
    PopulationProjection,
    project_population,
    project_populations,
)
from carefacility.runner.backtest import scenario_backtest
from carefacility.runner.calibration import calibration_metadata
from carefacility.runner.eligibility import eligibility_alternative
from carefacility.runner.executors import Executor, run_replications
from carefacility.runner.prepare import prepare_run
from carefacility.runner.replicate import replicate
from carefacility.runner.results import RunResult, summarise_replications
from carefacility.scenario.loader import Scenario
from carefacility.targets.scorecard import scorecard

__all__ = ["run"]


def run(scenario: Scenario, *, replications: int | None = None, seed: int | None = None,
        executor: Executor = "processes", workers: int | None = None,
        dask_address: str | None = None,
        projection: PopulationProjection | None = None) -> RunResult:
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
        :func:`carefacility.population.projection.project_populations`).

    Returns
    -------
    RunResult
    """
    started = time.perf_counter()
    simulation = scenario.spec.simulation
    if simulation is None:
        raise ValueError(f"{scenario.file}: `carefacility run` needs a `simulation` section")
    replications = simulation.replications if replications is None else replications
    seed = simulation.seed if seed is None else seed
    if projection is None:
        projection = project_populations(scenario.populations, scenario.demand_basis)
    else:  # a projection of the demand basis alone: project the scenario's other bases beside
        missing = {basis: inputs for basis, inputs in scenario.populations.items()
                   if basis != projection.basis and basis not in projection.other_bases}
        if missing:
            projection = replace(projection, other_bases={
                **projection.other_bases,
                **{basis: project_population(inputs) for basis, inputs in missing.items()}})
    prepared = prepare_run(scenario, projection)
    per_replication = run_replications(replicate, prepared, replications=replications,
                                       seed=seed, executor=executor, workers=workers,
                                       dask_address=dask_address)
    kpis = summarise_replications(per_replication)
    tables = dict(prepared.tables)
    if scenario.spec.targets:
        tables["scorecard"] = scorecard(scenario.spec.targets, kpis,
                                        cross_check=tables.get("analytic_cross_check"),
                                        threshold_days=simulation.admitted_within_days)
    if scenario.spec.observed:
        tables["backtest"] = scenario_backtest(scenario, projection, kpis)
    alternative = min(simulation.alternative_rule_replications, replications)
    if alternative:  # the other eligibility rule beside the scenario's (same random streams)
        tables["eligibility_alternative"] = eligibility_alternative(
            prepared, per_replication, seed=seed, replications=alternative, executor=executor,
            workers=workers, dask_address=dask_address)
    metadata = {
        "scenario": scenario.name,
        "scenario_file": str(scenario.file),
        "carefacility_version": __version__,
        "seed": seed,
        "replications": replications,
        "executor": executor,
        "start_date": simulation.start_date.isoformat(),
        "years": simulation.years,
        "calibration": calibration_metadata(tables["calibration"]),
        "duration_seconds": round(time.perf_counter() - started, 3),
    }
    return RunResult(per_replication=per_replication, kpis=kpis, metadata=metadata,
                     tables=tables, scenario=scenario, projection=projection)
