"""Scenario files: the declarative models, loading with located errors, and the JSON Schema.

A scenario is a YAML file a planner edits. :func:`load_scenario` reads it, validates every field
(types, units, ranges, unknown keys), reads the CSV tables it refers to, checks them, and returns
a :class:`Scenario` whose inputs are plain arrays ready for the models. If anything is wrong it
raises :class:`~carefacility.base.errors.ScenarioError` listing every problem at once as
``file:line:col: field: what was given, what is allowed``.

The population section is described here; the need, plan, targets and services sections are
added by later modules of the same shape.

A scenario whose ``simulation:`` gives both ``arrivals`` and ``stays`` needs no population (the
textbook queues): it then has no population-based parts — no ``registered_population``, ``need``,
``services``, ratio targets (``beds_per_1000_60plus``), observed starting state or back-test
observations, each refused with a located message saying why.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field, ValidationError

from carefacility.base.errors import Problem, ScenarioError, did_you_mean, format_path
from carefacility.base.files import OPT_IN
from carefacility.base.section import Section
from carefacility.base.yaml_source import Yaml11Bool, YamlDocument, read_yaml
from carefacility.beds.plan import PlanArrays, PlanSpec, resolve_plan
from carefacility.beds.simulation_spec import SimulationSpec, simulation_problems
from carefacility.need.spec import (
    NeedSpec,
    default_need_spec,
    need_problems,
    resolve_need_tables,
)
from carefacility.population.inputs import (
    PopulationInputs,
    check_population_sections,
    resolve_population,
)
from carefacility.population.projection import default_demand_basis, report_times
from carefacility.population.spec import (
    BasePopulationSpec,
    FertilitySpec,
    MigrationSpec,
    MortalitySpec,
    PopulationSpec,
)
from carefacility.scenario.checks import (
    document_kind,
    file_problems,
    number_problems,
    typed_value_problems,
)
from carefacility.scenario.overrides import (
    Override,
    apply_overrides,
    read_overrides,
    relocate_problems,
)
from carefacility.services.spec import (
    Communities,
    ServiceDemandSpec,
    ServiceSpecSection,
    ServicesSpec,
    resolve_services,
)
from carefacility.targets.backtest import (
    ObservationSpec,
    observation_bases,
    observation_problems,
)
from carefacility.targets.optimize_spec import CostsSpec, OptimizeSpec, optimize_problems
from carefacility.targets.spec import TargetSpec, target_problems

__all__ = [
    "NO_POPULATION",
    "BasePopulationSpec",
    "FertilitySpec",
    "MigrationSpec",
    "MortalitySpec",
    "PopulationSpec",
    "Scenario",
    "ScenarioSpec",
    "json_schema",
    "load_scenario",
    "validate_scenario",
]

NO_POPULATION = "none"
"""``Scenario.demand_basis`` of a scenario without a population."""


class ScenarioSpec(Section):
    """A whole scenario file."""

    name: str = Field(min_length=1, description="Short title shown on charts and reports.")
    description: str = Field("", description="Free text: place, sources, what the plan is.")
    allow_files_outside: bool = Field(
        False, description="Let the CSV paths of the scenario be absolute or lead out of the "
        "scenario file's folder (after resolving '..' and links). Default false: input files "
        "are data the scenario owns, kept in its folder or below it, so that a scenario from "
        "someone else cannot make this computer read its other files.")
    population: PopulationSpec | None = Field(
        None, description="The population whose elders make the care need (projected by age "
        "and sex). Required, except when simulation.arrivals and simulation.stays give the "
        "demand and the lengths of stay directly.")
    registered_population: PopulationSpec | None = Field(
        None, description="Optional second population on the registered (户籍) basis, beside a "
        "resident `population:`: the same fields (basis: registered), projected the same way "
        "with its own mortality and net inflow. Ratio targets with basis: registered are judged "
        "on it; population.demand_basis chooses whose elders make the demand.")
    need: NeedSpec | None = Field(None, description="Care levels, their transitions and bed "
                                  "applications; omitted = the documented defaults "
                                  "(carefacility.need.spec.default_need_spec).")
    plan: PlanSpec | None = Field(None, description="Zones, care homes, build schedule and "
                                  "starting state; needed by `carefacility run`.")
    simulation: SimulationSpec | None = Field(None, description="How to simulate the plan; "
                                              "needed by `carefacility run`.")
    services: ServicesSpec | None = Field(None, description="Day-care centres and meal "
                                          "points.")
    targets: list[TargetSpec] = Field(default_factory=list, description="The plan's targets, "
                                      "judged on the scorecard.")
    observed: list[ObservationSpec] = Field(
        default_factory=list, description="Published figures of the place (population, "
        "deaths, beds) that the back-test compares with the projection, each with its source.")
    optimize: OptimizeSpec | None = Field(
        None, description="How `carefacility optimize` searches for the smallest sufficient "
        "plan (confidence, indifference zones, replications, years, build rate, closures, "
        "robust variants); omitted = the documented defaults.")
    costs: CostsSpec | None = Field(
        None, description="Cost of a bed-year, a new bed and a day waited, for plan_costs.csv "
        "of `carefacility optimize`; omitted = no costs.")


@dataclass(frozen=True)
class Scenario:
    """A loaded, validated scenario.

    Attributes
    ----------
    spec : ScenarioSpec
        The file's content as validated models.
    file : pathlib.Path
        The scenario file.
    population : PopulationInputs or None
        The population inputs of the ``population:`` section with every table read into arrays
        (the primary population); None for a scenario without a population (demand and stays
        given in ``simulation.arrivals`` and ``simulation.stays``).
    """

    spec: ScenarioSpec
    file: Path
    population: PopulationInputs | None
    plan: PlanArrays | None = None
    need: NeedSpec | None = None
    """The need section with its CSV tables read inline (the defaults when omitted)."""
    communities: Communities | None = None
    """Communities with their elderly counts, when the services section gives them."""
    extra_populations: Mapping[str, PopulationInputs] = field(default_factory=dict)
    """The populations of the other bases by basis (``registered_population:``)."""
    overrides: tuple[str, ...] = ()
    """The ``PATH=VALUE`` overrides applied to the file, as given (``--set``)."""

    @property
    def name(self) -> str:
        """The scenario's title."""
        return self.spec.name

    @property
    def populations(self) -> dict[str, PopulationInputs]:
        """Every population by basis, the primary (``population:``) first; empty without a
        population."""
        if self.population is None:
            return {}
        return {self.population.basis: self.population,
                **{basis: inputs for basis, inputs in self.extra_populations.items()
                   if basis != self.population.basis}}

    @property
    def demand_basis(self) -> str:
        """The basis whose elders make the demand for beds and services
        (``population.demand_basis``; default resident when both bases are given); ``"none"``
        without a population."""
        if self.spec.population is None:
            return NO_POPULATION
        return default_demand_basis(list(self.populations), self.spec.population.demand_basis)

    @property
    def demand_population(self) -> PopulationInputs | None:
        """The population of :attr:`demand_basis` (None without a population)."""
        return self.populations.get(self.demand_basis)


def _model_at(path: tuple[str | int, ...]) -> type[BaseModel] | None:
    """The model class that holds the field at ``path`` (to list the keys it allows)."""
    model: Any = ScenarioSpec
    for part in path:
        if isinstance(part, int) or model is None:
            continue
        field = model.model_fields.get(part)
        if field is None:
            return None
        model = _section_type(field.annotation)
    return model


def _section_type(annotation: Any) -> type[BaseModel] | None:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in getattr(annotation, "__args__", ()) or ():
        found = _section_type(arg)
        if found is not None:
            return found
    return None


def _describe(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _pydantic_problems(error: ValidationError, doc: YamlDocument) -> list[Problem]:
    problems: list[Problem] = []
    for item in error.errors(include_url=False):
        loc = tuple(part for part in item["loc"])
        # pydantic appends the union member tried (e.g. 'float', 'dict[int,float]'); drop it
        clean = tuple(p for p in loc if not (isinstance(p, str) and ("[" in p or p in {
            "float", "int", "str", "function-after", "constrained-float"})))
        kind = item["type"]
        if kind == "extra_forbidden" and loc:
            # the unknown key is the file's own text (it may hold "[" too): keep it
            clean = (*(p for p in loc[:-1] if not (isinstance(p, str) and (
                "[" in p or p in {"float", "int", "str", "function-after",
                                  "constrained-float"}))), loc[-1])
            parent = _model_at(clean[:-1])
            allowed = list(parent.model_fields) if parent else []
            key = clean[-1]
            message = f"unknown key {key!r}{did_you_mean(str(key), allowed)}; allowed: " + (
                ", ".join(allowed)
            )
            problems.append(doc.problem(clean, format_path(clean), message, key=True))
        elif kind == "missing":
            problems.append(doc.problem(clean[:-1], format_path(clean),
                                        "required field is missing", key=True))
        else:
            given = _describe(item.get("input"))
            problems.append(doc.problem(clean, format_path(clean),
                                        f"{item['msg'].rstrip('.')} (got {given})"))
    # a union error repeats once per member; keep one message per place
    unique: dict[tuple[int, int, str], Problem] = {}
    for problem in problems:
        unique.setdefault((problem.line, problem.column, problem.field), problem)
    return list(unique.values())


def validate_scenario(path: str | Path, overrides: Sequence[str | Override] = ()
                      ) -> tuple[Scenario | None, list[Problem]]:
    """Load a scenario and return it with every problem found (no exception).

    Parameters
    ----------
    path : str or pathlib.Path
        The scenario YAML file; CSV paths inside it are relative to its folder and may not
        leave it unless the file sets ``allow_files_outside: true``.
    overrides : sequence of str or Override
        ``PATH=VALUE`` changes applied to the file before it is validated
        (:mod:`carefacility.scenario.overrides`); a problem at an overridden field is reported
        at its ``--set`` argument.

    Returns
    -------
    (Scenario or None, list of Problem)
        The scenario is ``None`` whenever any problem was found. Problems are reported once
        each; where the file's own text was refused (a leading zero, ``.inf``, a number far
        too large, a path out of the folder, a number given as a date) no second message about
        the same value follows, and a value YAML 1.1 reads otherwise gets a hint.
    """
    parsed, override_problems = read_overrides(overrides)
    doc, problems = read_yaml(path)
    if doc is None:
        return None, override_problems + problems
    if not isinstance(doc.data, dict):
        problems.append(doc.problem((), "(document)", "a scenario is a mapping of sections "
                                    "(name:, population:, plan:, simulation: ...), got "
                                    f"{document_kind(doc.data)}"))
        return None, override_problems + problems
    applied, not_applied = apply_overrides(doc, parsed)
    override_problems += not_applied
    base_dir = Path(path).resolve().parent
    opt_in = doc.data.get(OPT_IN)
    allow_outside = opt_in is True or (isinstance(opt_in, Yaml11Bool) and opt_in.truth)
    refused_files = file_problems(doc, base_dir, allow_outside=allow_outside)
    early = problems + refused_files + typed_value_problems(doc, ScenarioSpec)
    scenario, found = _validate_document(doc, Path(path), base_dir, allow_outside,
                                         refused_services=any(
                                             problem.field.startswith("services.")
                                             for problem in refused_files))
    problems = override_problems + relocate_problems(_finish(doc, early, found), applied)
    if problems:
        return None, problems
    assert scenario is not None
    return dataclasses.replace(scenario, overrides=tuple(override.text for override in parsed)
                               ), []


def _finish(doc: YamlDocument, early: list[Problem], later: list[Problem]) -> list[Problem]:
    """Every problem once: the ``early`` ones (the file's own text refused where it stands)
    first, a ``later`` one only where no early one stands at the same place and field, and
    the hint of a value YAML 1.1 reads otherwise added where a problem names that value."""
    problems = _first_at_each_place(early, later)
    if not doc.hints:
        return problems
    hints = {(*doc.position(path), format_path(path)): hint for path, hint in doc.hints.items()}
    return [dataclasses.replace(problem, message=f"{problem.message}; {hint}")
            if (hint := hints.get((problem.line, problem.column, problem.field))) is not None
            and hint not in problem.message else problem
            for problem in problems]


def _first_at_each_place(first: list[Problem], then: list[Problem]) -> list[Problem]:
    """``first``, and each of ``then`` where none of ``first`` stands at the same place and
    field (each problem once)."""
    taken = {(problem.line, problem.column, problem.field) for problem in first}
    return _unique(first + [problem for problem in then
                            if (problem.line, problem.column, problem.field) not in taken])


def _validate_document(doc: YamlDocument, path: Path, base_dir: Path, allow_outside: bool, *,
                       refused_services: bool) -> tuple[Scenario | None, list[Problem]]:
    """The checks of a scenario document that is a mapping: the models, the tables, and the
    checks across sections (every problem found, and the scenario when there is none)."""
    problems = _missing_population(doc.data, doc)
    if doc.data.get("population") is None:
        problems += _without_population_problems(doc.data, doc)
    try:
        spec = ScenarioSpec.model_validate(doc.data)
    except ValidationError as error:
        table_problems = check_population_sections(doc.data, doc, base_dir,
                                                   allow_outside=allow_outside)
        return None, _unique(problems + _pydantic_problems(error, doc) + table_problems
                             + _plan_and_simulation_problems(doc, base_dir, allow_outside)
                             + _services_and_targets_problems(doc, base_dir, allow_outside,
                                                              refused_services))
    out_of_bounds = number_problems(spec, doc)
    population = None
    extra_populations: dict[str, PopulationInputs] = {}
    bases: list[str] = []
    if spec.population is not None:
        population, population_problems = resolve_population(spec.population, doc, base_dir,
                                                             allow_outside=allow_outside)
        problems.extend(population_problems)
        extra_populations, basis_problems = _resolve_other_bases(spec, doc, base_dir,
                                                                 allow_outside)
        problems.extend(basis_problems)
        bases = _bases(spec)
    demand_basis = (default_demand_basis(bases, spec.population.demand_basis)
                    if spec.population is not None else NO_POPULATION)
    demand_population = (population if spec.population is not None
                         and demand_basis == spec.population.basis
                         else extra_populations.get(demand_basis))
    plan = None
    if spec.plan is not None:
        zones = demand_population.zones if demand_population is not None else ("all",)
        plan, plan_problems = resolve_plan(spec.plan, zones, doc, start_date=(
            spec.simulation.start_date if spec.simulation is not None else None),
            shares_required=spec.population is not None)
        problems.extend(plan_problems)
    if spec.simulation is not None:
        problems.extend(simulation_problems(spec.simulation, spec.plan, plan, doc,
                                            need_used=spec.population is not None))
    need = None
    if spec.population is not None and (spec.plan is not None or spec.need is not None):
        need, need_problems_found = _resolve_need(spec.need, doc, base_dir, allow_outside)
        problems.extend(need_problems_found)
    for key, section in _population_sections(spec):
        if spec.simulation is None:
            break
        reported, _ = report_times(section.base_date, section.horizon_year,
                                   section.report_date)
        start_year = spec.simulation.start_date.year
        if reported.size and start_year < reported[0]:
            problems.append(doc.problem(
                ("simulation", "start_date"), "simulation.start_date",
                f"{spec.simulation.start_date} is before the first year the {key.replace('_', ' ')}"
                f" is reported for ({reported[0]}, from base date {section.base_date} and "
                f"report date {section.report_date}); start in {reported[0]} or later"))
        last_year = spec.simulation.start_date.year + spec.simulation.years - 1
        if section.horizon_year < last_year:
            problems.append(doc.problem(
                (key, "horizon_year"), f"{key}.horizon_year",
                f"{section.horizon_year} ends before the simulation's last year "
                f"{last_year}; project the population at least that far"))
    communities = None
    if spec.services is not None and spec.population is not None:
        if spec.plan is None:
            problems.append(doc.problem(("services",), "services", "services are simulated "
                                        "with the plan: add `plan` and `simulation` sections",
                                        key=True))
        elif not refused_services:  # never read a file the scenario may not name
            # the plan's zones even when the plan has problems of its own (reported above)
            zones = plan.zones if plan is not None else _plan_zone_names(
                doc.data, demand_population.zones if demand_population is not None else None)
            if zones is not None:
                communities, service_problems = resolve_services(spec.services, zones, doc,
                                                                 base_dir)
                problems.extend(service_problems)
    if spec.targets:
        if spec.simulation is None:
            problems.append(doc.problem(("targets",), "targets", "targets are judged on a "
                                        "simulation: add `plan` and `simulation` sections",
                                        key=True))
        else:
            first = spec.simulation.start_date.year
            services = set()
            if spec.services is not None:
                services = {name for name, section in (("day_centre", spec.services.day_centres),
                                                       ("meal_point", spec.services.meal_points))
                            if section is not None}
            # without a population the basis is refused above; do not report it twice
            target_bases = bases or ["resident", "registered"]
            for target_path, message in target_problems(spec.targets, target_bases, first,
                                                        first + spec.simulation.years - 1,
                                                        services):
                location = ("targets", *target_path)
                problems.append(doc.problem(location, format_path(location), message))
    if spec.optimize is not None and spec.simulation is not None:
        first = spec.simulation.start_date.year
        for optimize_path, message in optimize_problems(spec.optimize, first,
                                                        first + spec.simulation.years - 1):
            location = ("optimize", *optimize_path)
            problems.append(doc.problem(location, format_path(location), message))
    if spec.observed and spec.population is not None:
        simulated = None
        if spec.plan is not None and spec.simulation is not None:
            first = spec.simulation.start_date.year
            simulated = (first, first + spec.simulation.years - 1)
        observed_bases = observation_bases(spec.population,
                                           getattr(spec, "registered_population", None))
        for observed_path, message in observation_problems(spec.observed, observed_bases,
                                                           simulated):
            location = ("observed", *observed_path)
            problems.append(doc.problem(location, format_path(location), message))
    if (spec.plan is None) != (spec.simulation is None):
        present, missing = ("plan", "simulation") if spec.plan else ("simulation", "plan")
        problems.append(doc.problem((present,), missing, f"a scenario with a `{present}` "
                                    f"section needs a `{missing}` section too", key=True))
    problems = _first_at_each_place(out_of_bounds, problems)
    if problems or (population is None and spec.population is not None):
        return None, problems
    return Scenario(spec=spec, file=path, population=population, plan=plan,
                    need=need, communities=communities,
                    extra_populations=extra_populations), []


def _missing_population(data: dict[str, Any], doc: YamlDocument) -> list[Problem]:
    """The ``population`` section is required unless ``simulation`` gives both ``arrivals``
    and ``stays`` (checked on the raw data, so it is reported with every other problem)."""
    if data.get("population") is not None:
        return []
    simulation = data.get("simulation")
    given = [key for key in ("arrivals", "stays")
             if isinstance(simulation, dict) and simulation.get(key) is not None]
    if len(given) == 2:
        return []
    lacking = " and ".join(key for key in ("arrivals", "stays") if key not in given)
    return [doc.problem((), "population", "required field is missing (a scenario may leave "
                        "it out only when simulation.arrivals and simulation.stays give the "
                        f"demand and the lengths of stay; simulation.{lacking} "
                        f"{'is' if ' and ' not in lacking else 'are'} not given)", key=True)]


def _without_population_problems(data: dict[str, Any], doc: YamlDocument) -> list[Problem]:
    """Everything a scenario without a population cannot have, each located with why
    (checked on the raw data, so it is reported with every other problem)."""
    problems: list[Problem] = []

    def at(location: tuple[str | int, ...], message: str) -> None:
        problems.append(doc.problem(location, format_path(location), message, key=True))

    why = "the scenario has no population (demand from simulation.arrivals)"
    if data.get("registered_population") is not None:
        at(("registered_population",), f"a second population basis needs the first: {why}; "
           "add `population:` or remove this section")
    if data.get("need") is not None:
        at(("need",), f"the care-need model turns a population into applicants and stays: "
           f"{why} and simulation.stays; remove this section")
    if data.get("services") is not None:
        at(("services",), f"day-care and meal demand comes from the population's elders: "
           f"{why}; add `population:` or remove this section")
    targets = data.get("targets")
    for index, target in enumerate(targets if isinstance(targets, list) else []):
        if not isinstance(target, dict):
            continue
        metric = target.get("metric")
        if isinstance(metric, str) and metric.startswith("beds_per_1000_60plus"):
            at(("targets", index, "metric"), f"{metric} counts beds per 1,000 persons aged "
               f"60+: {why}; add `population:` or judge an absolute figure (beds)")
        elif target.get("basis") is not None:
            at(("targets", index, "basis"), f"the basis says whose elders a ratio counts: "
               f"{why}; remove basis")
    observed = data.get("observed")
    for index, _observation in enumerate(observed if isinstance(observed, list) else []):
        at(("observed", index), f"observed figures are compared with the population "
           f"projection: {why}; add `population:` or remove them")
    plan = data.get("plan")
    state = plan.get("starting_state") if isinstance(plan, dict) else None
    if isinstance(state, dict) and state.get("observed") is not None:
        at(("plan", "starting_state", "observed"), f"observed residents calibrate the "
           f"care-need model: {why}; state the start with occupancy or census")
    return problems


def _plan_and_simulation_problems(doc: YamlDocument, base_dir: Path, allow_outside: bool
                                  ) -> list[Problem]:
    """The cross-checks of ``plan`` and ``simulation`` when the file as a whole did not
    validate: run on every part that is valid on its own, so that their problems are reported
    together with the structural ones."""
    data = doc.data
    raw_simulation = data.get("simulation")
    simulation: SimulationSpec | dict[str, Any] | None = None
    if isinstance(raw_simulation, dict):
        try:
            simulation = SimulationSpec.model_validate(raw_simulation)
        except ValidationError:
            simulation = raw_simulation
    plan = None
    problems: list[Problem] = []
    zones = _population_zones(data, doc, base_dir, allow_outside)
    try:
        plan = PlanSpec.model_validate(data.get("plan")) if data.get("plan") else None
    except ValidationError:
        plan = None
        problems += _zone_problems(data.get("plan"), zones, doc)
    plan_arrays = None
    if plan is not None and zones is None:  # the population has problems of its own
        problems += _zone_problems(data.get("plan"), None, doc)
    if plan is not None and zones is not None:
        start = simulation.start_date if isinstance(simulation, SimulationSpec) else None
        plan_arrays, found = resolve_plan(plan, zones, doc, start_date=start,
                                          shares_required=data.get("population") is not None)
        problems.extend(found)
    if simulation is not None:
        problems.extend(simulation_problems(simulation, plan, plan_arrays, doc,
                                            need_used=data.get("population") is not None))
    return problems


def _zone_problems(raw_plan: Any, zones: tuple[str, ...] | None, doc: YamlDocument
                   ) -> list[Problem]:
    """The checks of ``plan.zones`` (names, shares) when other parts of the plan have
    problems: the zones are checked alone, with a stand-in home that is not reported. When
    the population's zones cannot be read (it has problems too), only what holds whatever
    they are is checked: unique names and shares that sum to 1."""
    raw_zones = raw_plan.get("zones") if isinstance(raw_plan, dict) else None
    if not isinstance(raw_zones, list) or not raw_zones or not isinstance(raw_zones[0], dict):
        return []
    stand_in = {"zones": raw_zones, "starting_state": {"occupancy": 0.0},
                "care_homes": [{"name": "stand-in", "zone": raw_zones[0].get("name"),
                                "beds": {}}]}
    plan = _valid_or_none(PlanSpec, stand_in)
    if plan is None:
        return []
    _, found = resolve_plan(plan, zones or ("all",), doc, start_date=None,
                            shares_required=True)
    return [problem for problem in found if problem.field.startswith("plan.zones") and (
        zones is not None or "unique" in problem.message or "sums to" in problem.message)]


def _plan_zone_names(data: dict[str, Any], population_zones: tuple[str, ...] | None
                     ) -> tuple[str, ...] | None:
    """The zone names the plan section defines (``plan.zones``), read from the file even when
    the plan has problems; else the population's zones; None when neither can be read."""
    plan = data.get("plan")
    raw = plan.get("zones") if isinstance(plan, dict) else None
    if isinstance(raw, list):
        names = [zone.get("name") for zone in raw if isinstance(zone, dict)]
        if names and all(isinstance(name, str) and name for name in names):
            return tuple(names)
        return None
    return population_zones if population_zones is not None else ("all",)


def _services_and_targets_problems(doc: YamlDocument, base_dir: Path, allow_outside: bool,
                                   refused_services: bool) -> list[Problem]:
    """The cross-checks of ``services`` and ``targets`` when the file as a whole did not
    validate: each runs when the sections it needs are valid on their own, so that the first
    round of ``validate`` shows them beside the structural problems."""
    data = doc.data
    problems: list[Problem] = []
    simulation = _valid_or_none(SimulationSpec, data.get("simulation"))
    raw_services = data.get("services")
    services = _valid_or_none(ServicesSpec, raw_services)
    stand_in, replaced = _services_stand_in(raw_services) if services is None else (None, ())
    checked = services if services is not None else stand_in
    if checked is not None and data.get("population") is not None and not refused_services:
        zones = _plan_zone_names(data, _population_zones(data, doc, base_dir, allow_outside))
        if zones is not None:
            problems += [problem for problem in resolve_services(checked, zones, doc,
                                                                 base_dir)[1]
                         if not problem.field.startswith(replaced)]
    raw_targets = data.get("targets")
    years = _simulated_years(simulation, data.get("simulation"))
    if years is not None and isinstance(raw_targets, list) and raw_targets:
        read = [(index, _valid_or_none(TargetSpec, target))
                for index, target in enumerate(raw_targets)]
        valid = [(index, target) for index, target in read if target is not None]
        targets = [target for _, target in valid]
        if targets:
            raw_population = data.get("population")
            basis = raw_population.get("basis") if isinstance(raw_population, dict) else None
            bases = [basis if basis in ("registered", "resident") else "resident"]
            if data.get("registered_population") is not None:
                bases.append("registered")
            names = set()
            if services is not None:
                names = {name for name, section in (("day_centre", services.day_centres),
                                                    ("meal_point", services.meal_points))
                         if section is not None}
            for target_path, message in target_problems(
                    targets, bases if raw_population is not None else ["resident",
                                                                       "registered"],
                    *years, names):
                # the index among the valid targets back to the index in the file
                location = ("targets", valid[target_path[0]][0], *target_path[1:])
                problems.append(doc.problem(location, format_path(location), message))
    return problems


def _services_stand_in(raw: Any) -> tuple[ServicesSpec | None, tuple[str, ...]]:
    """The services section with its invalid parts other than the sites replaced, so that
    the sites can be checked against the plan's zones while those parts have problems.

    Returns the stand-in (None when the sites themselves, or the section's shape, are
    invalid) and the field paths replaced (problems there are the parts' own)."""
    if not isinstance(raw, dict):
        return None, ()
    copy = dict(raw)
    replaced: list[str] = []
    for key in ("day_centres", "meal_points"):
        service = copy.get(key)
        if not isinstance(service, dict):
            continue
        service = dict(service)
        if _valid_or_none(ServiceDemandSpec, service.get("demand")) is None:
            service["demand"] = {"eligible_levels": ["independent"], "uptake": 0.0,
                                 "attendance_probability": 1.0}
            replaced.append(f"services.{key}.demand")
        for field_name in ("open_weekdays", "overflow", "max_turned_away_share"):
            if field_name in service and _valid_or_none(
                    ServiceSpecSection, {**service, field_name: service[field_name]}
            ) is None and _valid_or_none(ServiceSpecSection, {
                    name: value for name, value in service.items() if name != field_name}
            ) is not None:
                del service[field_name]
                replaced.append(f"services.{key}.{field_name}")
        copy[key] = service
    return _valid_or_none(ServicesSpec, copy), tuple(replaced)


def _simulated_years(simulation: SimulationSpec | None, raw: Any) -> tuple[int, int] | None:
    """First and last simulated year, from the valid simulation section or, when it has
    problems elsewhere, from its own ``start_date`` and ``years`` if they can be read."""
    if simulation is not None:
        first = simulation.start_date.year
        return first, first + simulation.years - 1
    if not isinstance(raw, dict):
        return None
    start, years = str(raw.get("start_date", "")), raw.get("years")
    if len(start) >= 4 and start[:4].isdigit() and isinstance(years, int) and years >= 1:
        return int(start[:4]), int(start[:4]) + years - 1
    return None


def _valid_or_none(model: type[BaseModel], raw: Any) -> Any:
    """``raw`` validated as ``model``, or None when it is missing or has problems."""
    if raw is None:
        return None
    try:
        return model.model_validate(raw)
    except ValidationError:
        return None


def _population_zones(data: dict[str, Any], doc: YamlDocument, base_dir: Path,
                      allow_outside: bool) -> tuple[str, ...] | None:
    """Zones of the demand population when it can be read on its own (``("all",)`` without a
    population or without zones), None when it cannot."""
    raw = data.get("population")
    if raw is None:
        return ("all",)
    try:
        population = PopulationSpec.model_validate(raw)
    except ValidationError:
        return None
    if data.get("registered_population") is not None:
        return None  # the demand basis may be the other one: not checked before it validates
    inputs, _found = resolve_population(population, doc, base_dir, allow_outside=allow_outside)
    return inputs.zones if inputs is not None else None


def _unique(problems: list[Problem]) -> list[Problem]:
    """The problems without repeats, in their order."""
    return list(dict.fromkeys(problems))


def _population_sections(spec: ScenarioSpec) -> list[tuple[str, PopulationSpec]]:
    """``(key, section)`` of every population section the file has."""
    if spec.population is None:
        return []
    sections = [("population", spec.population)]
    if spec.registered_population is not None:
        sections.append(("registered_population", spec.registered_population))
    return sections


def _bases(spec: ScenarioSpec) -> list[str]:
    """The population bases the file projects, the primary first (none without one)."""
    if spec.population is None:
        return []
    bases = [spec.population.basis]
    if spec.registered_population is not None and "registered" not in bases:
        bases.append("registered")
    return bases


def _resolve_other_bases(spec: ScenarioSpec, doc: YamlDocument, base_dir: Path,
                         allow_outside: bool = False
                         ) -> tuple[dict[str, PopulationInputs], list[Problem]]:
    """The ``registered_population`` section read and checked, and the choice of
    ``population.demand_basis`` checked against the bases the file projects."""
    assert spec.population is not None
    problems: list[Problem] = []
    extra: dict[str, PopulationInputs] = {}
    second = spec.registered_population
    key = "registered_population"
    if second is not None:
        if spec.population.basis == "registered":
            problems.append(doc.problem(
                (key,), key, "population.basis is already registered; registered_population "
                "is the second basis beside a resident population: set population.basis: "
                "resident (and give the census population there) or remove this section",
                key=True))
        if second.basis != "registered":
            problems.append(doc.problem(
                (key, "basis"), f"{key}.basis", f"{second.basis!r}: this section is the "
                "registered (户籍) population; write basis: registered"))
        if second.demand_basis is not None:
            problems.append(doc.problem(
                (key, "demand_basis"), f"{key}.demand_basis", "demand_basis is chosen once, "
                "in `population:`; remove it here", key=True))
        inputs, found = resolve_population(second, doc, base_dir, section=key,
                                           allow_outside=allow_outside)
        problems.extend(found)
        if inputs is not None and not problems:
            extra["registered"] = inputs
    bases = _bases(spec)
    chosen = spec.population.demand_basis
    if chosen is not None and chosen not in bases:
        problems.append(doc.problem(
            ("population", "demand_basis"), "population.demand_basis",
            f"{chosen!r}: the scenario projects only the {' and '.join(bases)} population; add "
            f"a `registered_population:` section or choose {bases[0]}"))
    return extra, problems


def _resolve_need(need: NeedSpec | None, doc: YamlDocument, base_dir: Path,
                  allow_outside: bool = False) -> tuple[NeedSpec | None, list[Problem]]:
    """The need section with its tables read, or the defaults; problems located in the file."""
    if need is None:
        return default_need_spec(), []
    resolved, problems = resolve_need_tables(need, base_dir, allow_outside=allow_outside,
                                             doc=doc)
    for found in need_problems(resolved):
        location = ("need", *found.path)
        problems.append(doc.problem(location, format_path(location), found.message))
    return (None, problems) if problems else (resolved, [])


def load_scenario(path: str | Path, overrides: Sequence[str | Override] = ()) -> Scenario:
    """Load and validate a scenario file.

    Parameters
    ----------
    path : str or pathlib.Path
        The scenario YAML file; CSV paths inside it are relative to its folder.
    overrides : sequence of str or Override
        ``PATH=VALUE`` changes applied before validation
        (:mod:`carefacility.scenario.overrides`).

    Returns
    -------
    Scenario

    Raises
    ------
    ScenarioError
        With every problem found in the file and its tables.
    """
    scenario, problems = validate_scenario(path, overrides)
    if problems or scenario is None:
        raise ScenarioError(problems)
    return scenario


def json_schema() -> str:
    """The JSON Schema of scenario files, for editors (VS Code YAML, JetBrains)."""
    schema = ScenarioSpec.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "carefacility scenario"
    return json.dumps(schema, indent=2, ensure_ascii=False)
