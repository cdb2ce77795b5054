"""The base-year calibration of a run: the scenario's observed starting state, the fit, its table.

:func:`calibrate_base_year` reads ``plan.starting_state`` (``occupancy``, ``resident_levels``,
``observed``), fits the need model to the observed residents with
:func:`carefacility.need.calibration.fit_base_year` and returns the calibrated need section,
the starting state the bed simulation starts from, and the table ``calibration`` of the run:
what was observed, what was fitted, and what the model gives back in the base year.

Conventions
-----------
* The base year is the first simulated year; its applicants are those of the need model on
  the scenario's report date of that year (as in the bed simulation).
* An observed count of residents is taken to hold in the base year; an observed occupancy is
  applied to the beds in force at the start (``simulation.start_date``).
* Without ``starting_state.occupancy`` the simulation starts with the observed residents (by
  bed type when given, else spread over the beds at the observed or implied occupancy); without
  ``resident_levels`` their care levels are the stationary mix of the base year's calibrated
  demand.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from carefacility.beds.plan import StartingStateSpec
from carefacility.beds.simulation_spec import LEVEL_NAMES
from carefacility.need.calibration import (
    BaseYearFit,
    calibrated_need_spec,
    fit_base_year,
    mean_residents_over,
    stationary_residents,
)
from carefacility.need.demand import DAYS_PER_YEAR, bed_demand, resident_dynamics
from carefacility.need.spec import NeedSpec
from carefacility.scenario.loader import Scenario

__all__ = ["CALIBRATION_COLUMNS", "RunCalibration", "calibrate_base_year", "calibration_metadata"]

CALIBRATION_COLUMNS = ["quantity", "value", "unit", "refers_to", "source"]
"""Columns of the ``calibration`` table."""


@dataclass(frozen=True)
class RunCalibration:
    """The calibrated inputs of a run.

    Attributes
    ----------
    need_spec : NeedSpec
        The need section with the fitted multipliers applied (unchanged without observations).
    occupancy : numpy.ndarray, shape (3,)
        Share of each bed type occupied on the first day [fraction].
    resident_levels : dict of str to float
        Care-level mix of the residents on the first day [fractions summing to 1].
    fit : BaseYearFit or None
        The fit, when the scenario states observations.
    table : pandas.DataFrame
        :data:`CALIBRATION_COLUMNS`.
    """

    need_spec: NeedSpec
    occupancy: np.ndarray
    resident_levels: dict[str, float]
    fit: BaseYearFit | None
    table: pd.DataFrame



def calibration_metadata(table: pd.DataFrame) -> dict[str, object]:
    """The fitted multipliers of a ``calibration`` table, for ``run_metadata.json``.

    Parameters
    ----------
    table : pandas.DataFrame
        :data:`CALIBRATION_COLUMNS`, as made by :func:`calibrate_base_year`.

    Returns
    -------
    dict
        ``calibrated`` and, when calibrated, ``observed_residents`` [persons],
        ``application_rate_multiplier`` and ``discharge_rate_multiplier`` [-].
    """
    values = dict(zip(table["quantity"], table["value"], strict=True))
    if "observed_residents" not in values:
        return {"calibrated": False}
    return {"calibrated": True,
            "observed_residents": round(float(values["observed_residents"]), 1),
            "application_rate_multiplier": round(float(values["application_rate_multiplier"]),
                                                 6),
            "discharge_rate_multiplier": round(float(values["discharge_rate_multiplier"]), 6)}


def _base_year_arrivals(need_frame: pd.DataFrame, spec: NeedSpec, year: int
                        ) -> tuple[np.ndarray, np.ndarray]:
    """Applicants per day by band and level ``(2, 4)``, and the share aged 80+ by level."""
    demand = bed_demand(need_frame, spec, [year])
    by_level = demand.arrival_rate_per_day[0].sum(axis=0)
    old = (demand.arrival_rate_per_day[0] * demand.share_80plus[0]).sum(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        share = np.where(by_level > 0, old / by_level, 0.0)
    return np.stack([by_level - old, old]), share


def calibrate_base_year(scenario: Scenario, need_frame: pd.DataFrame,
                        mx_base: np.ndarray) -> RunCalibration:
    """Fit the scenario's need model to its observed starting state.

    Parameters
    ----------
    scenario : Scenario
        With ``plan``, ``simulation`` and ``need``.
    need_frame : pandas.DataFrame
        Projected need (:func:`carefacility.need.projection.project_need`) covering the first
        simulated year.
    mx_base : numpy.ndarray, shape (2, A)
        Single-year death rates of the base year [per person-year] (those the residents' rates
        of the run use).

    Returns
    -------
    RunCalibration

    Raises
    ------
    ValueError
        If the observed figures cannot be fitted (see
        :func:`carefacility.need.calibration.fit_base_year`).
    """
    assert scenario.plan is not None and scenario.spec.plan is not None
    simulation = scenario.spec.simulation
    assert simulation is not None and scenario.need is not None
    state = scenario.spec.plan.starting_state
    start = simulation.start_date
    year = start.year
    beds = scenario.plan.capacity_at(start).sum(axis=0).astype(float)
    spec = scenario.need
    arrivals, share_80 = _base_year_arrivals(need_frame, spec, year)
    dynamics = resident_dynamics(spec, mx_base)
    observed = state.observed
    rows: list[tuple[str, float, str, str, str]] = []
    fit = None
    if observed is not None:
        residents = observed.residents
        target = residents.count(beds)
        try:
            fit = fit_base_year(arrivals, dynamics, target, None if observed.admissions is None
                                else observed.admissions.per_year)
        except ValueError as error:
            raise ValueError(f"{scenario.file}: plan.starting_state.observed: {error}") from None
        spec = calibrated_need_spec(spec, fit)
        dynamics = resident_dynamics(spec, mx_base)
        arrivals = arrivals * fit.application_multiplier
        when = residents.date.isoformat()
        if residents.occupancy is not None:
            rows.append(("observed_occupancy", residents.occupancy, "fraction of beds", when,
                         residents.source))
        if residents.by_bed_type is not None:
            for name, count in zip(("general", "nursing", "dementia"),
                                   residents.by_bed_type.as_array(), strict=True):
                rows.append((f"observed_residents.{name}", float(count), "persons", when,
                             residents.source))
        rows.append(("observed_residents", target, "persons", when, residents.source
                     if residents.occupancy is None else
                     f"DERIVED: observed occupancy × {beds.sum():,.0f} beds in force on {start}"))
        if observed.admissions is not None:
            rows.append(("observed_admissions", observed.admissions.per_year,
                         "persons per year", observed.admissions.date.isoformat(),
                         observed.admissions.source))
    occupancy = _starting_occupancy(state, beds)
    balance = stationary_residents(arrivals, dynamics)
    by_level = balance.sum(axis=0)
    levels = state.resident_levels or {
        level: float(value) for level, value in zip(LEVEL_NAMES, by_level / by_level.sum(),
                                                    strict=True)}
    mix = np.array([levels.get(level, 0.0) for level in LEVEL_NAMES], dtype=float)
    mix = mix / mix.sum()
    starting = float((np.rint(beds * occupancy)).sum())
    initial = starting * np.stack([mix * (1 - share_80), mix * share_80])
    year_mean = float(mean_residents_over(initial, arrivals, dynamics).sum())
    base = f"{year} (base year)"
    how = ("fitted to plan.starting_state.observed (carefacility.need.calibration)" if fit
           else "not calibrated: no plan.starting_state.observed; need defaults unscaled")
    rows += [
        ("beds_at_start", float(beds.sum()), "beds", start.isoformat(), "plan"),
        ("starting_residents", starting, "persons", start.isoformat(),
         "plan.starting_state.occupancy" if state.occupancy is not None
         else "plan.starting_state.observed"),
        ("application_rate_multiplier", fit.application_multiplier if fit else 1.0, "-",
         base, how),
        ("discharge_rate_multiplier", fit.discharge_multiplier if fit else 1.0, "-", base,
         how if fit is not None and observed is not None and observed.admissions is not None
         else "not fitted (no observed admissions)"),
    ]
    for name, rates in (("application_rate_60_64", spec.bed_application_rate_60_64_per_year),
                        ("application_rate_65plus", spec.bed_application_rate_per_year),
                        ("application_rate_80plus", spec.bed_application_rate_80plus_per_year),
                        ("discharge_rate", spec.resident_discharge_rate_per_year)):
        if rates is None:
            continue
        for level, value in zip(LEVEL_NAMES, rates.as_array(), strict=True):
            rows.append((f"{name}.{level}", float(value), "per person-year", base,
                         "need section × multiplier"))
    rows += [
        ("applicants", float(arrivals.sum() * DAYS_PER_YEAR), "persons per year", base,
         "need model (calibrated)"),
        ("mean_stay_of_applicants", float(balance.sum() / arrivals.sum()) if arrivals.sum() > 0
         else float("nan"), "days", base, "residents' care-level chain"),
        ("model_residents_uncalibrated", fit.residents_before if fit else float(balance.sum()),
         "persons", base, "stationary balance: applicants × mean stay, need defaults"),
        ("model_residents_stationary", float(balance.sum()), "persons", base,
         "stationary balance: applicants × mean stay (Little's law)"),
        ("model_residents_base_year_mean", year_mean, "persons", base,
         "deterministic mean over the base year from the starting residents, no bed limit"),
    ]
    if fit is not None:
        rows.append(("model_relative_error", year_mean / fit.observed_residents - 1.0,
                     "fraction", base, "model_residents_base_year_mean / observed_residents "
                     "- 1"))
    for level, value in zip(LEVEL_NAMES, by_level / by_level.sum(), strict=True):
        rows.append((f"stationary_level_mix.{level}", float(value), "fraction of residents",
                     base, "stationary balance"))
    table = pd.DataFrame(rows, columns=CALIBRATION_COLUMNS)
    return RunCalibration(need_spec=spec, occupancy=occupancy, resident_levels=levels, fit=fit,
                          table=table)


def _starting_occupancy(state: StartingStateSpec, beds: np.ndarray) -> np.ndarray:
    """Occupied share of each bed type on the first day [fraction], shape (3,)."""
    if state.occupancy is not None:
        return np.full(3, float(state.occupancy))
    assert state.observed is not None  # resolve_plan requires one of the two
    residents = state.observed.residents
    if residents.by_bed_type is not None:
        counts = residents.by_bed_type.as_array().astype(float)
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(beds > 0, counts / beds, 0.0)
    return np.full(3, residents.count(beds) / beds.sum() if beds.sum() > 0 else 0.0)
