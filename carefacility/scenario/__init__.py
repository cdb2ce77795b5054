"""The scenario file as a whole: the sections of every stage put together, checks across them,
loading with every problem located, and the JSON Schema."""

from carefacility.scenario.loader import (
    Scenario,
    ScenarioSpec,
    json_schema,
    load_scenario,
    validate_scenario,
)

__all__ = ["Scenario", "ScenarioSpec", "json_schema", "load_scenario", "validate_scenario"]
