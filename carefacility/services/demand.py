"""Daily demand for day-care centres and meal points from the projected care need."""

from __future__ import annotations

import numpy as np
import pandas as pd

from carefacility.services.spec import ServiceDemandSpec

__all__ = ["eligible_persons", "expected_visits_per_day"]


def eligible_persons(need: pd.DataFrame, demand: ServiceDemandSpec, years: np.ndarray,
                     zones: tuple[str, ...]) -> np.ndarray:
    """Elders eligible for a service by year and zone [persons], shape (years, zones).

    Eligible are the persons aged 60+ at an eligible care level; if ``eligible_80plus``, also
    everyone else aged 80+; and ``living_alone_share`` of the remaining elders (living alone is
    taken as independent of level and age — an approximation stated here).

    Parameters
    ----------
    need : pandas.DataFrame
        ``year, zone, age, level, persons`` (from
        :func:`carefacility.need.projection.project_need`).
    demand : ServiceDemandSpec
    years : numpy.ndarray of int
    zones : tuple of str
        Zones in output order; a need frame with the single zone ``"all"`` is kept as is.
    """
    frame = need[need["year"].isin(years)]
    level_ok = frame["level"].isin(demand.eligible_levels).to_numpy()
    old = frame["age"].to_numpy() >= 80
    persons = frame["persons"].to_numpy(dtype=float)
    by_rule = level_ok | (old & demand.eligible_80plus)
    weight = np.where(by_rule, 1.0, demand.living_alone_share)
    table = frame.assign(eligible=persons * weight).pivot_table(
        index="year", columns="zone", values="eligible", aggfunc="sum")
    columns = list(zones) if set(zones) <= set(table.columns) else list(table.columns)
    return table.reindex(index=years, columns=columns).fillna(0.0).to_numpy()


def expected_visits_per_day(eligible: np.ndarray, demand: ServiceDemandSpec) -> np.ndarray:
    """Expected visits (or meals) wanted per open day: eligible × uptake × attendance."""
    return eligible * demand.uptake * demand.attendance_probability
