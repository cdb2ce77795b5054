"""carefacility — elderly-care capacity planning.

Project the elderly population, turn it into care need, and simulate a plan's care beds and
community services against that need::

    import carefacility as cf

    scenario = cf.load_scenario("scenarios/xicheng.yaml")
    projection = cf.project(scenario)
    result = cf.run(scenario, replications=20, seed=1)
    cf.write_report(result, "out/xicheng")
    cf.backtest(scenario)                         # its `observed` figures against the projection
    cf.plots.elderly_trend(projection.elderly)   # every chart returns its Axes

The package is laid out as the pipeline: ``scenario`` (the file) → ``population`` → ``need`` →
``beds`` / ``services`` → ``targets`` → ``run`` → ``report``, with ``queueing`` (closed forms)
and ``base`` (located errors, YAML and tables, random streams) beneath them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from carefacility._version import __version__

if TYPE_CHECKING:
    from carefacility.api import (
        backtest,
        compare,
        load_scenario,
        optimize,
        project,
        run,
        sweep,
        write_compare,
        write_optimize,
        write_report,
    )
    from carefacility.population.projection import PopulationProjection
    from carefacility.report import plots
    from carefacility.runner.results import RunResult
    from carefacility.runner.variants import Variant
    from carefacility.scenario.loader import Scenario

__all__ = [
    "PopulationProjection",
    "RunResult",
    "Scenario",
    "Variant",
    "__version__",
    "backtest",
    "compare",
    "load_scenario",
    "optimize",
    "plots",
    "project",
    "run",
    "sweep",
    "write_compare",
    "write_optimize",
    "write_report",
]

_PUBLIC = {
    "backtest": "carefacility.api",
    "compare": "carefacility.api",
    "sweep": "carefacility.api",
    "write_compare": "carefacility.api",
    "optimize": "carefacility.api",
    "write_optimize": "carefacility.api",
    "load_scenario": "carefacility.api",
    "project": "carefacility.api",
    "run": "carefacility.api",
    "write_report": "carefacility.api",
    "PopulationProjection": "carefacility.population.projection",
    "RunResult": "carefacility.runner.results",
    "Scenario": "carefacility.scenario.loader",
    "Variant": "carefacility.runner.variants",
    "plots": "carefacility.report.plots",
}


def __getattr__(name: str) -> Any:
    # the public face is imported on first use, so `import carefacility` (and the CLI's --help)
    # does not load pandas, scipy and matplotlib
    if name in _PUBLIC:
        import importlib

        module = importlib.import_module(_PUBLIC[name])
        return module if module.__name__.endswith(f".{name}") else getattr(module, name)
    raise AttributeError(f"module 'carefacility' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
