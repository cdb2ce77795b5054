"""Run a scenario's plan against its care need: prepare once, replicate many times, summarise.

:func:`run` calls :func:`carefacility.runner.prepare.prepare_run` once, then
:func:`carefacility.runner.replicate.replicate` for every replication on the chosen executor,
and summarises the replications with 95 % confidence intervals; with targets it adds the
scorecard.
"""

from __future__ import annotations

import time

from carefacility._version import __version__
from carefacility.population.projection import PopulationProjection, project_population
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
        Use this projection instead of projecting ``scenario.population``.

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
        projection = project_population(scenario.population)
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
    metadata = {
        "scenario": scenario.name,
        "scenario_file": str(scenario.file),
        "carefacility_version": __version__,
        "seed": seed,
        "replications": replications,
        "executor": executor,
        "start_date": simulation.start_date.isoformat(),
        "years": simulation.years,
        "duration_seconds": round(time.perf_counter() - started, 3),
    }
    return RunResult(per_replication=per_replication, kpis=kpis, metadata=metadata,
                     tables=tables, scenario=scenario, projection=projection)
