"""The back-test of a loaded scenario: its ``observed:`` figures against its projection (and,
after a run, its simulated KPIs). The comparison itself is
:func:`carefacility.targets.backtest.backtest`."""

from __future__ import annotations

import pandas as pd

from carefacility.population.projection import PopulationProjection
from carefacility.scenario.loader import Scenario
from carefacility.targets.backtest import backtest, observation_bases

__all__ = ["scenario_backtest"]


def scenario_backtest(scenario: Scenario, projection: PopulationProjection,
                      kpis: pd.DataFrame | None = None) -> pd.DataFrame:
    """The back-test table of ``scenario`` (empty when it lists no observations).

    Parameters
    ----------
    scenario : Scenario
    projection : PopulationProjection
        The scenario's projection.
    kpis : pandas.DataFrame, optional
        A run's KPIs, for ``beds`` and ``residents_year_end``.

    Returns
    -------
    pandas.DataFrame
        See :func:`carefacility.targets.backtest.backtest`.
    """
    spec = scenario.spec
    bases = observation_bases(spec.population, getattr(spec, "registered_population", None))
    return backtest(spec.observed, projection, bases=bases, plan=scenario.plan, kpis=kpis)
