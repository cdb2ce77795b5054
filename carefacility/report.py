"""Writers of a run's outputs: CSV tables (UTF-8 with BOM), charts (PNG and SVG)."""

from __future__ import annotations

from pathlib import Path

from carefacility import plots
from carefacility.outputs import staged_output, write_csv
from carefacility.population import PopulationProjection

__all__ = ["write_population_outputs"]


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
    names: list[str] = []
    with staged_output(out_dir, force=force) as out:
        write_csv(projection.population, out.path("population.csv"))
        write_csv(projection.elderly, out.path("elderly_summary.csv"))
        write_csv(projection.components, out.path("population_components.csv"))
        names += ["population.csv", "elderly_summary.csv", "population_components.csv"]

        years = (projection.first_year, projection.last_year)
        ax = plots.population_pyramid(projection.population, years, lang=lang,
                                      title=f"{title}: {plots.label('pyramid', lang)}")
        names += [p.name for p in plots.save_figure(ax, out.path("population_pyramid"))]
        ax = plots.elderly_trend(projection.elderly, lang=lang,
                                 title=f"{title}: {plots.label('elderly', lang)}")
        names += [p.name for p in plots.save_figure(ax, out.path("elderly_population"))]
        final = [out.final_path(name) for name in names]
    return final
