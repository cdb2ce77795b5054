"""Writers of a run's outputs: CSV tables (UTF-8 with BOM), charts (PNG and SVG)."""

from __future__ import annotations

import json
from pathlib import Path

from carefacility import plots
from carefacility.outputs import StagedOutput, staged_output, write_csv
from carefacility.population import PopulationProjection
from carefacility.results import RunResult

__all__ = ["write_population_outputs", "write_run_outputs"]


def write_population_outputs(projection: PopulationProjection, out_dir: str | Path, *,
                             title: str, lang: plots.Lang = "en",
                             force: bool = False) -> list[Path]:
    """Write the population projection's tables and charts into ``out_dir``.

    Files: ``population.csv`` (year, zone, age, sex, population), ``elderly_summary.csv``,
    ``population_components.csv`` (births, deaths and migration of each projection step),
    ``population_pyramid.png/.svg`` (base year against the horizon) and
    ``elderly_population.png/.svg`` (60+ and 80+ by year).

    Returns
    -------
    list of pathlib.Path
        The files as they stand in ``out_dir`` after the write.
    """
    with staged_output(out_dir, force=force) as out:
        names = _write_projection(out, projection, title, lang)
        final = [out.final_path(name) for name in names]
    return final


def write_run_outputs(result: RunResult, projection: PopulationProjection,
                      out_dir: str | Path, *, title: str, lang: plots.Lang = "en",
                      force: bool = False) -> list[Path]:
    """Write a simulation run's outputs (and its population projection) into ``out_dir``.

    Files: ``kpis.csv`` (``year, metric, mean, ci_low, ci_high, unit, replications``: every KPI
    with its 95 % confidence interval over replications), ``kpis_by_replication.csv``,
    ``care_need.csv`` (persons by year, zone and care level), ``bed_demand.csv`` (applicants by
    year, zone and level), ``analytic_cross_check.csv`` (one pooled M/M/c pool per year, see
    :mod:`carefacility.cross_check`), ``run_metadata.json``, and the population projection's files.

    Returns
    -------
    list of pathlib.Path
    """
    with staged_output(out_dir, force=force) as out:
        write_csv(result.kpis, out.path("kpis.csv"))
        write_csv(result.per_replication, out.path("kpis_by_replication.csv"))
        names = ["kpis.csv", "kpis_by_replication.csv"]
        for name in ("scorecard", "care_need", "bed_demand", "analytic_cross_check"):
            if name in result.tables:
                write_csv(result.tables[name], out.path(f"{name}.csv"))
                names.append(f"{name}.csv")
        out.path("run_metadata.json").write_text(
            json.dumps(result.metadata, indent=2, ensure_ascii=False), encoding="utf-8")
        names.append("run_metadata.json")
        names += _write_projection(out, projection, title, lang)
        final = [out.final_path(name) for name in names]
    return final


def _write_projection(out: StagedOutput, projection: PopulationProjection, title: str,
                      lang: plots.Lang) -> list[str]:
    write_csv(projection.population, out.path("population.csv"))
    write_csv(projection.elderly, out.path("elderly_summary.csv"))
    write_csv(projection.components, out.path("population_components.csv"))
    names = ["population.csv", "elderly_summary.csv", "population_components.csv"]
    years = (projection.first_year, projection.last_year)
    ax = plots.population_pyramid(projection.population, years, lang=lang,
                                  title=f"{title}: {plots.label('pyramid', lang)}")
    names += [p.name for p in plots.save_figure(ax, out.path("population_pyramid"))]
    ax = plots.elderly_trend(projection.elderly, lang=lang,
                             title=f"{title}: {plots.label('elderly', lang)}")
    names += [p.name for p in plots.save_figure(ax, out.path("elderly_population"))]
    return names
