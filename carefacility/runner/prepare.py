"""Prepare a run: everything deterministic, done once and shared by all replications.

:func:`prepare_run` does everything deterministic — population projection, care need, demand
by zone and level, the bed simulation's spec from the plan — and :func:`replicate` runs one
replication of the bed simulation and returns its yearly KPIs. :func:`run` does both and
summarises the replications with 95 % confidence intervals.

Conventions
-----------
* Model year ``y`` has 365 days and is labelled with the start date's year plus ``y`` (a start
  on 1 January makes them calendar years). A dated plan change falls in the model year of its
  calendar date (:func:`carefacility.runner.services.model_day`: the ``y``-th anniversary of the
  start plus the days since, the 366th day of a leap year mapped to the last day), so the plan
  arithmetic of each year matches the calendar.
* Demand in model year ``y`` uses the care need of the population on the scenario's report date
  of that calendar year.
* With one population zone and plan zones, demand is shared by the zones' elderly shares.
* With ``plan.starting_state.observed``, the need section's application (and discharge) rates
  are first fitted to the observed start
  (:func:`~carefacility.runner.calibration.calibrate_base_year`, table ``calibration``), and the
  simulation starts from that observation unless ``starting_state.occupancy`` is given.
* Residents' and waiting applicants' rates (level changes, deaths, discharges, withdrawals) are
  those of the care-need model with the life table of the first simulated year, held for the
  whole run (mortality improvement is not passed to residents).
* The starting waiting list's time already waited is spread evenly from 0 to twice
  ``waiting_list_mean_wait_days``.

Demand, stays and waiting exits given in the scenario
-----------------------------------------------------
* ``simulation.arrivals`` replaces the care-need model's applicants (the engine gets each model
  year's mean rate and the linear trend within it,
  :func:`carefacility.beds.simulation_spec.direct_arrivals`); applicants' shares aged 80+ and
  low-income are the need model's with a population, else 0. The ``bed_demand`` table then
  lists these arrivals.
* ``simulation.stays`` replaces the residents' care-level chain with a length-of-stay
  distribution; the pooled cross-check uses its mean, weighted by each year's applicants by level.
* ``simulation.waiting_exits`` replaces the waiting applicants' death and withdrawal rates;
  without it and without a population they are 0.
* ``plan.starting_state.census`` gives the starting residents by home and bed type; their levels
  follow ``resident_levels`` (default: the derivation above, or without a population the first
  year's applicants by level × their mean stay).
* Without a population (arrivals and stays given) nothing is projected: there are no
  ``elderly_summary``, ``care_need`` or ``calibration`` tables and no services, and
  ``PreparedRun.pop_60plus`` is NaN; :func:`carefacility.runner.simulation.run` leaves the
  ``pop_60plus`` and ``beds_per_1000_60plus`` KPIs out.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from carefacility.beds import BedSpec, InitialWaitingList, StayDistribution
from carefacility.beds.engine_spec import DEFAULT_ELIGIBLE_BED_TYPES
from carefacility.beds.plan import BED_TYPE_NAMES, PlanArrays
from carefacility.beds.simulation_spec import (
    LEVEL_NAMES,
    arrival_zone_shares,
    direct_arrivals,
    stay_distribution,
    waiting_exit_rates,
)
from carefacility.need.demand import BedDemand, ResidentDynamics, bed_demand, resident_dynamics
from carefacility.need.projection import project_need
from carefacility.population.projection import (
    PopulationProjection,
    anniversary,
    project_populations,
)
from carefacility.queueing.cross_check import pooled_queue_check
from carefacility.runner.calibration import RunCalibration, calibrate_base_year
from carefacility.runner.services import (
    model_day,
    prepare_services,
)
from carefacility.runner.structure_check import pools_check, transient_check, with_occupancy
from carefacility.scenario.loader import NO_POPULATION, Scenario
from carefacility.services.engine_spec import ServiceSpec

__all__ = ["DAYS_PER_YEAR", "PreparedRun", "capacity_schedule", "initial_residents",
           "prepare_run",
           "residents_by_level"]

DAYS_PER_YEAR = 365


@dataclass(frozen=True)
class PreparedRun:
    """The deterministic part of a run, shared by all replications.

    Attributes
    ----------
    spec : BedSpec
        The bed simulation's inputs.
    years : numpy.ndarray of int
        Label of each model year.
    capacity_mean : numpy.ndarray, shape (years, 3)
        Time-weighted mean beds by type in each model year [beds].
    capacity_year_end : numpy.ndarray, shape (years, 3)
        Beds by type at the end of each model year [beds].
    pop_60plus : numpy.ndarray, shape (years,)
        Persons aged 60+ on each year's report date [persons]; NaN without a population.
    basis : str
        Population basis (registered or resident) of ``pop_60plus``: the demand basis;
        ``"none"`` without a population.
    pop_60plus_by_basis : dict of str to numpy.ndarray
        With several bases, persons aged 60+ of each basis by model year [persons]
        (``beds_per_1000_60plus.<basis>`` and ``pop_60plus.<basis>`` KPIs); empty with one.
    tables : dict of str to pandas.DataFrame
        Deterministic tables: ``elderly_summary``, ``care_need``, ``bed_demand``,
        ``capacity_schedule`` (:func:`capacity_schedule`).
    """

    spec: BedSpec
    years: np.ndarray
    capacity_mean: np.ndarray
    capacity_year_end: np.ndarray
    pop_60plus: np.ndarray
    basis: str
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)
    services: tuple[ServiceSpec, ...] = ()
    zones: tuple[str, ...] = ("all",)
    service_rows: pd.DataFrame | None = None
    """Deterministic service KPIs (coverage, sites, sites needed) as ``year, metric, value,
    unit`` rows, appended to every replication's KPIs."""
    pop_60plus_by_basis: dict[str, np.ndarray] = field(default_factory=dict)


def initial_residents(capacity: np.ndarray, occupancy: float | np.ndarray,
                      level_mix: dict[str, float]) -> np.ndarray:
    """Residents at the start by home, bed type and level.

    Each home has ``round(occupancy × beds)`` residents in each bed type. Levels follow the mix
    over all homes, placed so that beds match needs as far as they can: dementia beds take
    dementia, then dependent residents; nursing beds dependent, then dementia, then partially
    dependent, then independent residents; general beds independent, then partially dependent,
    then the rest. Counts are whole numbers (largest remainder).

    Parameters
    ----------
    capacity : numpy.ndarray of int, shape (homes, 3)
    occupancy : float or numpy.ndarray of shape (3,)
        Share of beds occupied [fraction], for all beds or by bed type.
    level_mix : dict of str to float
        Share of residents at each level [fractions summing to 1].

    Returns
    -------
    numpy.ndarray of int, shape (homes, 3, 4)
    """
    occupied = np.rint(capacity * occupancy).astype(np.int64)
    return residents_by_level(occupied, level_mix)


def residents_by_level(occupied: np.ndarray, level_mix: dict[str, float]) -> np.ndarray:
    """Residents by home, bed type and level, given the residents by home and bed type.

    Levels follow the mix over all homes, placed so that beds match needs as far as they can
    (as in :func:`initial_residents`); counts are whole numbers (largest remainder).

    Parameters
    ----------
    occupied : numpy.ndarray of int, shape (homes, 3)
        Residents by home and bed type [persons].
    level_mix : dict of str to float
        Share of residents at each level [fractions summing to 1].

    Returns
    -------
    numpy.ndarray of int, shape (homes, 3, 4)
    """
    occupied = np.asarray(occupied, dtype=np.int64)
    mix = np.array([level_mix.get(level, 0.0) for level in LEVEL_NAMES], dtype=float)
    mix = mix / mix.sum()
    counts = _largest_remainder(mix, int(occupied.sum()))
    order = {2: (3, 2, 1, 0), 1: (2, 3, 1, 0), 0: (0, 1, 2, 3)}  # bed type -> level order
    residents = np.zeros((*occupied.shape, 4), dtype=np.int64)
    left = counts.copy()
    for bed_type in (2, 1, 0):
        # share each level's remaining residents across homes in proportion to their free beds
        for level in order[bed_type]:
            beds = occupied[:, bed_type] - residents[:, bed_type].sum(axis=1)
            available = int(beds.sum())
            take = min(int(left[level]), available)
            if take <= 0:
                continue
            residents[:, bed_type, level] += _largest_remainder(beds / available, take)
            left[level] -= take
    return residents


def _capacity_timeline(plan: PlanArrays, start: dt.date, n_years: int
                       ) -> tuple[np.ndarray, list[tuple[float, int, int, int, int]],
                                  np.ndarray, np.ndarray]:
    """Initial capacity, the changes after the start (in days), and yearly mean / year-end."""
    initial = plan.capacity_at(start)
    changes = [(model_day(when, start), home, source, target, beds)
               for when, home, source, target, beds in plan.capacity_changes if when > start]
    mean = np.zeros((n_years, 3))
    year_end = np.zeros((n_years, 3))
    capacity = initial.sum(axis=0).astype(float)
    position = 0.0
    ordered = sorted(changes)
    index = 0
    for year in range(n_years):
        end = (year + 1) * DAYS_PER_YEAR
        while index < len(ordered) and ordered[index][0] < end:
            day, _home, source, target, beds = ordered[index]
            mean[year] += capacity * (day - position)
            position = day
            if source >= 0:
                capacity[source] -= beds
            if target >= 0:
                capacity[target] += beds
            index += 1
        mean[year] += capacity * (end - position)
        position = end
        mean[year] /= DAYS_PER_YEAR
        year_end[year] = capacity
    return initial, changes, mean, year_end


def capacity_schedule(plan: PlanArrays, start: dt.date, n_years: int) -> pd.DataFrame:
    """The plan's beds in force by type from the start and after each dated change within the
    simulated years: ``date, bed_type, beds`` (ISO dates, beds in force from that date on)
    [beds], so that charts draw a build step on its date.

    Changes on the same date are applied together (one row per type and date).
    """
    initial = plan.capacity_at(start).sum(axis=0).astype(np.int64)
    end = anniversary(start, n_years)
    rows = [(start.isoformat(), BED_TYPE_NAMES[index], int(initial[index]))
            for index in range(len(BED_TYPE_NAMES))]
    capacity = initial.copy()
    changes = sorted((when, source, target, beds)
                     for when, _home, source, target, beds in plan.capacity_changes
                     if start < when < end)
    for position, (when, source, target, beds) in enumerate(changes):
        if source >= 0:
            capacity[source] -= beds
        if target >= 0:
            capacity[target] += beds
        last_of_date = position + 1 == len(changes) or changes[position + 1][0] != when
        if last_of_date:
            rows += [(when.isoformat(), BED_TYPE_NAMES[index], int(capacity[index]))
                     for index in range(len(BED_TYPE_NAMES))]
    return pd.DataFrame(rows, columns=["date", "bed_type", "beds"])


@dataclass(frozen=True)
class _NeedModel:
    """The care-need side of a run with a population: projection, need, calibration, the
    need model's applicants mapped to the plan's zones and the residents' rates."""

    projection: PopulationProjection
    need: pd.DataFrame
    calibration: RunCalibration
    demand: BedDemand
    rates: np.ndarray
    share_80: np.ndarray
    dynamics: ResidentDynamics


def _need_model(scenario: Scenario, plan: PlanArrays, years: np.ndarray,
                projection: PopulationProjection | None) -> _NeedModel:
    """Project the population (unless given), project the need, calibrate the base year and
    turn the need into applicants by plan zone and residents' rates."""
    assert scenario.need is not None and scenario.spec.simulation is not None
    first_year = int(years[0])
    projection = projection or project_populations(scenario.populations, scenario.demand_basis)
    missing = sorted({target.basis for target in scenario.spec.targets
                      if target.basis is not None} - set(projection.bases))
    if missing:
        raise ValueError(f"{scenario.file}: targets count {' and '.join(missing)} elders but the "
                         f"projection has only {', '.join(projection.bases)}")
    mx_by_year = projection.mx_single
    report_years = np.sort(projection.population["year"].unique())
    need = project_need(projection.population, scenario.need, mx_by_year)
    calibration = calibrate_base_year(_calibration_scenario(scenario), need, mx_by_year[
        min(int(np.searchsorted(report_years, first_year)), len(mx_by_year) - 1)])
    if plan.census_residents is not None:
        calibration = _census_calibration(calibration, plan.census_residents,
                                          scenario.spec.simulation.start_date)
    need_spec = calibration.need_spec  # application (and discharge) rates fitted to the start
    demand = bed_demand(need, need_spec, years)
    rates = demand.arrival_rate_per_day
    share_80 = demand.share_80plus
    if demand.zones == ("all",) and plan.zones != ("all",):
        assert plan.zone_shares is not None
        rates = rates * plan.zone_shares[None, :, None]
        share_80 = np.repeat(share_80, len(plan.zones), axis=1)
    elif demand.zones != plan.zones:
        order = [demand.zones.index(zone) for zone in plan.zones]
        rates, share_80 = rates[:, order], share_80[:, order]
    base_index = int(np.searchsorted(report_years, first_year))
    dynamics = resident_dynamics(need_spec, mx_by_year[min(base_index, len(mx_by_year) - 1)])
    return _NeedModel(projection=projection, need=need, calibration=calibration,
                      demand=demand, rates=rates, share_80=share_80, dynamics=dynamics)


def _calibration_scenario(scenario: Scenario) -> Scenario:
    """The scenario as the base-year calibration reads it: a census start is handed over as
    the occupancy it implies (census residents over the beds in force at the start)."""
    plan_spec = scenario.spec.plan
    census = scenario.plan.census_residents if scenario.plan is not None else None
    if plan_spec is None or census is None or scenario.spec.simulation is None:
        return scenario
    assert scenario.plan is not None
    beds = scenario.plan.capacity_at(scenario.spec.simulation.start_date).sum()
    occupancy = float(census.sum() / beds) if beds > 0 else 0.0
    state = plan_spec.starting_state.model_copy(update={"occupancy": occupancy})
    spec = scenario.spec.model_copy(update={
        "plan": plan_spec.model_copy(update={"starting_state": state})})
    return dataclasses.replace(scenario, spec=spec)


def _census_calibration(calibration: RunCalibration, census: np.ndarray, start: dt.date
                        ) -> RunCalibration:
    """The calibration with its ``starting_residents`` row set to the census count."""
    table = calibration.table.copy()
    row = table["quantity"] == "starting_residents"
    table.loc[row, "value"] = float(census.sum())
    table.loc[row, "source"] = "plan.starting_state.census"
    table.loc[row, "refers_to"] = start.isoformat()
    return dataclasses.replace(calibration, table=table)


def _stationary_level_mix(rate_by_level_per_day: np.ndarray,
                          stays: StayDistribution) -> dict[str, float]:
    """Residents' level mix in balance with the given applicants and stays (Little's law:
    applicants × mean stay, by level); all independent without applicants."""
    weights = np.asarray(rate_by_level_per_day, dtype=float) * np.asarray(stays.mean_days)
    if weights.sum() <= 0:
        return {"independent": 1.0}
    return {level: float(value) for level, value in
            zip(LEVEL_NAMES, weights / weights.sum(), strict=True)}


def _mean_stay_of_applicants(rates: np.ndarray, stays: StayDistribution) -> np.ndarray:
    """Mean stay of each year's applicants [days], weighted by their levels, shape (years,)."""
    weights = rates.sum(axis=1)  # (years, 4)
    mean_days = np.asarray(stays.mean_days, dtype=float)
    total = weights.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        weighted = (weights * mean_days[None]).sum(axis=1) / total
    return np.where(total > 0, weighted, mean_days.mean())


def _direct_demand_frame(years: np.ndarray, zones: tuple[str, ...], rates: np.ndarray,
                         trend: np.ndarray, share_80: np.ndarray,
                         low_income: float | np.ndarray) -> pd.DataFrame:
    """The ``bed_demand`` table of applicants given in ``simulation.arrivals``."""
    index = pd.MultiIndex.from_product([years, zones, list(LEVEL_NAMES)],
                                       names=["year", "zone", "level"])
    shape = rates.shape
    return pd.DataFrame({
        "applicants_per_year": (rates * DAYS_PER_YEAR).reshape(-1),
        "arrival_rate_per_day": rates.reshape(-1),
        "arrival_trend_per_day_per_day": trend.reshape(-1),
        "share_80plus": np.broadcast_to(share_80, shape).reshape(-1),
        "share_low_income": np.broadcast_to(low_income, shape).reshape(-1),
        "source": "simulation.arrivals",
    }, index=index).reset_index()


def prepare_run(scenario: Scenario, projection: PopulationProjection | None = None
                ) -> PreparedRun:
    """Everything deterministic a run needs: projection, need, demand, the bed spec.

    Parameters
    ----------
    scenario : Scenario
        A loaded scenario with ``plan`` and ``simulation`` sections.
    projection : PopulationProjection, optional
        A projection to use instead of projecting the scenario's populations (e.g. one made in
        a notebook). Demand comes from it (its basis should be ``scenario.demand_basis``);
        ratio targets on another basis need that basis in its ``other_bases``. Not used by a
        scenario without a population.

    Returns
    -------
    PreparedRun

    Raises
    ------
    ValueError
        Without ``plan`` and ``simulation`` sections, or when a target counts the elders of a
        basis the projection lacks.
    """
    plan_spec = scenario.spec.plan
    simulation = scenario.spec.simulation
    if scenario.plan is None or simulation is None or plan_spec is None or (
            scenario.population is not None and scenario.need is None):
        raise ValueError(f"{scenario.file}: `carefacility run` needs `plan` and `simulation` "
                         "sections")
    plan = scenario.plan
    state = plan_spec.starting_state
    first_year = simulation.start_date.year
    years = np.arange(first_year, first_year + simulation.years)
    model = (_need_model(scenario, plan, years, projection)
             if scenario.population is not None else None)
    stays = stay_distribution(simulation.stays) if simulation.stays is not None else None

    # applicants: given in the scenario, or the need model's
    trend = None
    if simulation.arrivals is not None:
        arrival_shares = arrival_zone_shares(simulation.arrivals, plan)
        rates, trend = direct_arrivals(simulation.arrivals, arrival_shares, simulation.years)
        share_80 = model.share_80 if model is not None else np.zeros(rates.shape)
    else:
        assert model is not None  # the loader requires a population without arrivals
        arrival_shares = None
        rates, share_80 = model.rates, model.share_80
    low_income = (model.calibration.need_spec.low_income_share if model is not None else 0.0)

    # residents' and waiting applicants' rates
    resident_rates: dict[str, Any] = {}
    if model is not None:
        dynamics = model.dynamics
        resident_rates = {
            "resident_generator_per_day": dynamics.resident_generator_per_day,
            "resident_death_rate_per_day": dynamics.resident_death_rate_per_day,
            "discharge_rate_per_day": dynamics.discharge_rate_per_day,
            "band_ageing_rate_per_day": dynamics.band_ageing_rate_per_day,
        }
    if simulation.waiting_exits is not None:
        withdrawal, waiting_death = waiting_exit_rates(simulation.waiting_exits)
    elif model is not None:
        withdrawal = model.dynamics.waiting_withdrawal_rate_per_day
        waiting_death = model.dynamics.waiting_death_rate_60plus_per_day
    else:
        withdrawal = waiting_death = np.zeros(len(LEVEL_NAMES))

    initial, changes, capacity_mean, capacity_year_end = _capacity_timeline(
        plan, simulation.start_date, simulation.years)
    if state.resident_levels is not None:
        levels = dict(state.resident_levels)
    elif model is not None:
        levels = model.calibration.resident_levels
    else:
        assert stays is not None  # the loader requires stays without a population
        levels = _stationary_level_mix(rates[0].sum(axis=0), stays)
    if plan.census_residents is not None:
        residents = residents_by_level(plan.census_residents, levels)
    elif model is not None:
        residents = initial_residents(initial, model.calibration.occupancy, levels)
    else:
        residents = initial_residents(initial, float(state.occupancy or 0.0), levels)
    waiting = None
    if state.waiting_list_persons:
        mix = state.waiting_list_levels or levels
        if arrival_shares is not None:
            shares = arrival_shares
        elif plan.zone_shares is not None:
            shares = plan.zone_shares
        else:
            assert model is not None
            shares = _zone_elderly_shares(model.projection, plan.zones, first_year)
        weights = np.outer(shares, [mix.get(level, 0.0) for level in LEVEL_NAMES]).reshape(-1)
        counts = _largest_remainder(weights / weights.sum(), state.waiting_list_persons)
        counts = counts.reshape(len(plan.zones), 4)
        waiting = InitialWaitingList.from_counts(counts)
        # evenly spread waits, handed out in a well-mixed (golden-ratio) order so that no
        # zone or level gets all the long or all the short waits
        spread = np.linspace(0.0, 2 * state.waiting_list_mean_wait_days, waiting.size)
        spread = spread[np.argsort((np.arange(waiting.size) * 0.6180339887498949) % 1.0)]
        waiting = InitialWaitingList(zone=waiting.zone, level=waiting.level, waited_days=spread)

    options: dict[str, Any] = {}
    if simulation.eligible_bed_types is not None:
        defaults = dict(zip(LEVEL_NAMES, DEFAULT_ELIGIBLE_BED_TYPES, strict=True))
        for level, types in simulation.eligible_bed_types.items():
            defaults[level] = tuple(BED_TYPE_NAMES.index(t) for t in types)
        options["eligible_bed_types"] = tuple(defaults[level] for level in LEVEL_NAMES)
    if simulation.priority_order is not None:
        options["priority_order"] = tuple(simulation.priority_order)
    if trend is not None and np.any(trend != 0):
        options["arrival_trend_per_day_per_day"] = trend
    if stays is not None:
        options["stay_distribution"] = stays
    spec = BedSpec(
        home_zone=plan.home_zone,
        **options,
        initial_capacity=initial,
        arrival_rate_per_day=rates,
        share_80plus=share_80,
        share_low_income=low_income,
        capacity_changes=changes,
        overflow_to_general=simulation.overflow_to_general,
        placement=simulation.placement,
        allow_other_zones=simulation.allow_other_zones,
        discipline=simulation.waiting_discipline,
        max_waiting=simulation.max_waiting,
        waiting_death_rate_per_day=waiting_death,
        withdrawal_rate_per_day=withdrawal,
        **resident_rates,
        initial_residents=residents,
        initial_waiting_list=waiting,
        warmup_days=simulation.warmup_days,
        wait_threshold_days=simulation.admitted_within_days,
        first_year=first_year,
    )
    if stays is not None:
        mean_stay = _mean_stay_of_applicants(rates, stays)
    else:
        assert model is not None
        # mean stay of each year's applicants, by their level and age-band mix
        per_level = rates.sum(axis=1)  # (years, 4)
        old = (rates * share_80).sum(axis=1)
        by_band = np.stack([per_level - old, old], axis=1)  # (years, band, level)
        with np.errstate(invalid="ignore", divide="ignore"):
            mean_stay = (by_band * model.dynamics.expected_length_of_stay_days[None]).sum(
                axis=(1, 2)) / by_band.sum(axis=(1, 2))
    cross_check = pooled_queue_check(years, rates.sum(axis=(1, 2)), mean_stay,
                                     capacity_year_end.sum(axis=1),
                                     simulation.admitted_within_days)
    # the plan's structure beside the pooled figures: separate pools, lag, starting census
    cross_check = with_occupancy(cross_check, transient_check(spec, years, mean_stay))
    pools = pools_check(spec, years, mean_stay)
    structure = {"cross_check_pools": pools} if pools is not None else {}
    if simulation.arrivals is not None:
        demand_table = _direct_demand_frame(years, plan.zones, rates, trend, share_80,
                                            low_income)
    else:
        assert model is not None
        demand_table = model.demand.frame
    if model is None:
        return PreparedRun(
            spec=spec, years=years, capacity_mean=capacity_mean,
            capacity_year_end=capacity_year_end, pop_60plus=np.full(years.size, np.nan),
            basis=NO_POPULATION, zones=plan.zones,
            tables={"bed_demand": demand_table, "analytic_cross_check": cross_check,
                    "capacity_schedule": capacity_schedule(plan, simulation.start_date,
                                                          years.size),
                    **structure},
        )
    projection = model.projection
    summary = projection.summary()
    pop_60plus = summary["pop_60plus"].reindex(years).to_numpy(dtype=float)
    by_basis = {basis: projection.for_basis(basis).summary()["pop_60plus"].reindex(years)
                .to_numpy(dtype=float) for basis in projection.bases
                } if len(projection.bases) > 1 else {}
    services, service_rows = prepare_services(scenario, model.need, years,
                                              zone_elders=_zone_elders(projection, plan, years))
    return PreparedRun(
        spec=spec, years=years, capacity_mean=capacity_mean,
        capacity_year_end=capacity_year_end, pop_60plus=pop_60plus, basis=projection.basis,
        services=services, zones=plan.zones, service_rows=service_rows,
        pop_60plus_by_basis=by_basis,
        tables={"elderly_summary": projection.elderly_by_basis(),
                "care_need": model.need.groupby(["year", "zone", "level"], as_index=False)
                ["persons"].sum(),
                "bed_demand": demand_table,
                "calibration": model.calibration.table,
                "analytic_cross_check": cross_check,
                "capacity_schedule": capacity_schedule(plan, simulation.start_date,
                                                          years.size), **structure},
    )


def _zone_elders(projection: PopulationProjection, plan: PlanArrays, years: np.ndarray
                 ) -> np.ndarray:
    """Persons aged 60+ by year and plan zone [persons], shape (years, zones)."""
    table = projection.elderly
    if plan.zone_shares is not None:
        total = table[table["zone"] == "all"].set_index("year")["pop_60plus"]
        return total.reindex(years).to_numpy(float)[:, None] * plan.zone_shares[None]
    wide = table.pivot_table(index="year", columns="zone", values="pop_60plus")
    return wide.reindex(index=years, columns=list(plan.zones)).to_numpy(float)


def _largest_remainder(shares: np.ndarray, total: int) -> np.ndarray:
    """Whole numbers summing to ``total`` in proportion to ``shares`` (largest remainder;
    ties go to the first)."""
    wanted = shares * total
    counts = np.floor(wanted).astype(np.int64)
    counts[np.argsort(-(wanted - counts), kind="stable")[: total - counts.sum()]] += 1
    return counts


def _zone_elderly_shares(projection: PopulationProjection, zones: tuple[str, ...],
                         year: int) -> np.ndarray:
    table = projection.elderly
    rows = table[(table["zone"].isin(zones))]
    first = rows[rows["year"] == max(min(year, rows["year"].max()), rows["year"].min())]
    values = first.set_index("zone")["pop_60plus"].reindex(list(zones)).to_numpy(dtype=float)
    return values / values.sum()


