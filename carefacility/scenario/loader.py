"""Scenario files: the declarative models, loading with located errors, and the JSON Schema.

A scenario is a YAML file a planner edits. :func:`load_scenario` reads it, validates every field
(types, units, ranges, unknown keys), reads the CSV tables it refers to, checks them, and returns
a :class:`Scenario` whose inputs are plain arrays ready for the models. If anything is wrong it
raises :class:`~carefacility.base.errors.ScenarioError` listing every problem at once as
``file:line:col: field: what was given, what is allowed``.

The population section is described here; the need, plan, targets and services sections are
added by later modules of the same shape.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field, ValidationError

from carefacility.base.errors import Problem, ScenarioError, did_you_mean, format_path
from carefacility.base.section import Section
from carefacility.base.yaml_source import YamlDocument, read_yaml
from carefacility.beds.plan import PlanArrays, PlanSpec, SimulationSpec, resolve_plan
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
from carefacility.population.projection import report_times
from carefacility.population.spec import (
    BasePopulationSpec,
    FertilitySpec,
    MigrationSpec,
    MortalitySpec,
    PopulationSpec,
)
from carefacility.services.spec import Communities, ServicesSpec, resolve_services
from carefacility.targets.spec import TargetSpec, target_problems

__all__ = [
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

class ScenarioSpec(Section):
    """A whole scenario file."""

    name: str = Field(min_length=1, description="Short title shown on charts and reports.")
    description: str = Field("", description="Free text: place, sources, what the plan is.")
    population: PopulationSpec
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


@dataclass(frozen=True)
class Scenario:
    """A loaded, validated scenario.

    Attributes
    ----------
    spec : ScenarioSpec
        The file's content as validated models.
    file : pathlib.Path
        The scenario file.
    population : PopulationInputs
        The population inputs with every table read into arrays.
    """

    spec: ScenarioSpec
    file: Path
    population: PopulationInputs
    plan: PlanArrays | None = None
    need: NeedSpec | None = None
    """The need section with its CSV tables read inline (the defaults when omitted)."""
    communities: Communities | None = None
    """Communities with their elderly counts, when the services section gives them."""

    @property
    def name(self) -> str:
        """The scenario's title."""
        return self.spec.name


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
        if kind == "extra_forbidden":
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


def validate_scenario(path: str | Path) -> tuple[Scenario | None, list[Problem]]:
    """Load a scenario and return it with every problem found (no exception).

    Parameters
    ----------
    path : str or pathlib.Path
        The scenario YAML file.

    Returns
    -------
    (Scenario or None, list of Problem)
        The scenario is ``None`` whenever any problem was found.
    """
    doc, problems = read_yaml(path)
    if doc is None:
        return None, problems
    if not isinstance(doc.data, dict):
        given = _describe(doc.data)
        problems.append(doc.problem((), "(document)",
                                    f"a scenario is a mapping of sections, got {given}"))
        return None, problems
    try:
        spec = ScenarioSpec.model_validate(doc.data)
    except ValidationError as error:
        base_dir = Path(path).resolve().parent
        table_problems = check_population_sections(doc.data, doc, base_dir)
        return None, problems + _pydantic_problems(error, doc) + table_problems
    base_dir = Path(path).resolve().parent
    population, population_problems = resolve_population(spec.population, doc, base_dir)
    problems.extend(population_problems)
    plan = None
    if spec.plan is not None:
        zones = population.zones if population is not None else ("all",)
        plan, plan_problems = resolve_plan(spec.plan, zones, doc)
        problems.extend(plan_problems)
    need = None
    if spec.plan is not None or spec.need is not None:
        need, need_problems_found = _resolve_need(spec.need, doc, base_dir)
        problems.extend(need_problems_found)
    if spec.simulation is not None:
        reported, _ = report_times(spec.population.base_date, spec.population.horizon_year,
                                   spec.population.report_date)
        start_year = spec.simulation.start_date.year
        if reported.size and start_year < reported[0]:
            problems.append(doc.problem(
                ("simulation", "start_date"), "simulation.start_date",
                f"{spec.simulation.start_date} is before the first year the population is "
                f"reported for ({reported[0]}, from base date {spec.population.base_date} and "
                f"report date {spec.population.report_date}); start in {reported[0]} or later"))
        last_year = spec.simulation.start_date.year + spec.simulation.years - 1
        if spec.population.horizon_year < last_year:
            problems.append(doc.problem(
                ("population", "horizon_year"), "population.horizon_year",
                f"{spec.population.horizon_year} ends before the simulation's last year "
                f"{last_year}; project the population at least that far"))
    communities = None
    if spec.services is not None:
        if plan is None:
            problems.append(doc.problem(("services",), "services", "services are simulated "
                                        "with the plan: add `plan` and `simulation` sections",
                                        key=True))
        else:
            communities, service_problems = resolve_services(spec.services, plan.zones, doc,
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
            for path, message in target_problems(spec.targets, spec.population.basis, first,
                                                 first + spec.simulation.years - 1, services):
                location = ("targets", *path)
                problems.append(doc.problem(location, format_path(location), message))
    if (spec.plan is None) != (spec.simulation is None):
        present, missing = ("plan", "simulation") if spec.plan else ("simulation", "plan")
        problems.append(doc.problem((present,), missing, f"a scenario with a `{present}` "
                                    f"section needs a `{missing}` section too", key=True))
    if problems or population is None:
        return None, problems
    return Scenario(spec=spec, file=Path(path), population=population, plan=plan,
                    need=need, communities=communities), []


def _resolve_need(need: NeedSpec | None, doc: YamlDocument, base_dir: Path
                  ) -> tuple[NeedSpec | None, list[Problem]]:
    """The need section with its tables read, or the defaults; problems located in the file."""
    if need is None:
        return default_need_spec(), []
    resolved, problems = resolve_need_tables(need, base_dir)
    for found in need_problems(resolved):
        location = ("need", *found.path)
        problems.append(doc.problem(location, format_path(location), found.message))
    return (None, problems) if problems else (resolved, [])


def load_scenario(path: str | Path) -> Scenario:
    """Load and validate a scenario file.

    Parameters
    ----------
    path : str or pathlib.Path
        The scenario YAML file; CSV paths inside it are relative to its folder.

    Returns
    -------
    Scenario

    Raises
    ------
    ScenarioError
        With every problem found in the file and its tables.
    """
    scenario, problems = validate_scenario(path)
    if problems or scenario is None:
        raise ScenarioError(problems)
    return scenario


def json_schema() -> str:
    """The JSON Schema of scenario files, for editors (VS Code YAML, JetBrains)."""
    schema = ScenarioSpec.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "carefacility scenario"
    return json.dumps(schema, indent=2, ensure_ascii=False)
