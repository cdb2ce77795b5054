"""The ``population:`` section of a scenario file: base population, mortality, fertility,
sex ratio at birth and migration, each field with its unit.

The models check types and ranges; :mod:`carefacility.population.inputs` reads the tables they
name and checks their contents.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from pydantic import Field

from carefacility.base.section import Section

__all__ = [
    "AgePatternSpec",
    "BasePopulationSpec",
    "E0BySexSpec",
    "FertilitySpec",
    "GroupedBySex",
    "MigrationSpec",
    "MortalityFitSpec",
    "MortalitySpec",
    "PopulationSpec",
]

MAX_PERSONS = 1e10
"""Largest count of persons a population field takes (the world has fewer than 10^10)."""

Percent = Annotated[float, Field(ge=0, le=100, allow_inf_nan=False)]
YearPath = dict[int, float]
"""A value by calendar year, ``{2020: 1.3, 2030: 1.5}``: linear between years, flat outside."""
Tfr = Annotated[float, Field(ge=0, le=10, allow_inf_nan=False)]
Srb = Annotated[float, Field(ge=0.8, le=1.4, allow_inf_nan=False)]
Year = Annotated[int, Field(ge=1900, le=2300)]
"""A calendar year a projection can refer to."""


class GroupedBySex(Section):
    """Values by age group for each sex, written inline in the scenario."""

    age_groups: list[str] = Field(
        min_length=1,
        description='Age group labels in order: "0", "1-4", "5-9", ..., "85+" (open group last).',
    )
    male: list[float] = Field(description="One value per age group, males.")
    female: list[float] = Field(description="One value per age group, females.")


class BasePopulationSpec(Section):
    """The population at the base date, by age group and sex (and optionally by zone)."""

    csv: str | None = Field(
        None,
        description=(
            "CSV path relative to the scenario file, columns `age_group, male, female` and "
            "optionally `zone` [persons]."
        ),
    )
    inline: GroupedBySex | None = Field(
        None, description="The same table written inline [persons]."
    )
    scale_to_total: float | None = Field(
        None,
        gt=0,
        le=MAX_PERSONS,
        allow_inf_nan=False,
        description=(
            "Optional: rescale all counts proportionally to this total [persons], e.g. to move "
            "a census count to a registered total (at most 10^10). Say why in a comment."
        ),
    )
    match_shares: dict[str, Annotated[float, Field(gt=0, lt=1, allow_inf_nan=False)]] | None = (
        Field(
        None,
        description=(
            'Optional: published shares of the total by age band, e.g. {"0-14": 0.1345, '
            '"60+": 0.187} [fraction]. The table is reweighted to the nearest age structure '
            "(chi-square distance over the bands the labels cut) that has exactly these shares; "
            "within each band the table's own structure is kept. For places with published "
            "shares but no age table: give a reference table (e.g. the national census) here."
        ),
    ))


class E0BySexSpec(Section):
    """Life expectancy at birth of one calendar year, by sex."""

    male: float | None = Field(None, description="Life expectancy at birth, males [years], "
                               "20 to 100.")
    female: float | None = Field(None, description="Life expectancy at birth, females [years], "
                                 "20 to 100.")


class MortalityFitSpec(Section):
    """Move the standard table (``csv``/``inline``) to a place's published life expectancy.

    Give ``year`` with ``male`` and ``female`` (one level per sex fitted at that year and kept
    for every period, so the standard's improvement over time continues), or ``path`` (each
    period fitted to the e0 interpolated at its midpoint). See
    :mod:`carefacility.population.mortality_fit`. Ranges, missing values and the source are
    checked when the tables are read, so that every problem is reported at once.
    """

    method: Literal["brass_logit", "proportional_hazards"] | None = Field(
        None,
        description="Required: the relational model. brass_logit: Brass logit of l(x) with "
        "slope 1, Y_local = alpha + Y_standard (changes child and adult mortality most, old-age "
        "rates converge to the standard's); proportional_hazards: nMx_local = k * "
        "nMx_standard at every age.",
    )
    source: str | None = Field(
        None, description="Required: where the e0 come from (publisher, year, page or URL)."
    )
    year: Year | None = Field(
        None, description="Calendar year of `male` and `female`; its e0 is matched on 1 July "
        "[year]. Must lie within the table's periods."
    )
    male: float | None = Field(None, description="Life expectancy at birth of males in `year` "
                               "[years], 20 to 100.")
    female: float | None = Field(None, description="Life expectancy at birth of females in "
                                 "`year` [years], 20 to 100.")
    path: dict[Year, E0BySexSpec] | None = Field(
        None,
        description="Instead of year/male/female: e0 by calendar year, {2015: {male: 80.47, "
        "female: 85.09}, 2020: {...}} [years], increasing years within the table's periods. "
        "Linear between years, each period fitted at its midpoint; the first and last years "
        "are matched exactly, and before/after them the standard's improvement continues.",
    )


class MortalitySpec(Section):
    """Death rates by age group and sex, for one or several periods."""

    measure: Literal["nMx", "qx"] = Field(
        "nMx",
        description="nMx: central death rate [deaths per person-year]; qx: probability of dying "
        "within the age group [0-1].",
    )
    csv: str | None = Field(
        None,
        description="CSV path, columns `age_group, male, female` and optionally `period` "
        '("2020-2025": the rates of 1 Jul 2020 - 30 Jun 2025; log-linear between period '
        "midpoints, flat outside).",
    )
    inline: GroupedBySex | None = Field(None, description="One period's rates written inline.")
    improvement_rate_per_year: float = Field(
        0.0,
        ge=-0.05,
        le=0.10,
        allow_inf_nan=False,
        description="Annual decline of every death rate after the last period's midpoint "
        "[fraction per year], e.g. 0.01 = 1 % lower each year.",
    )
    fit_e0: MortalityFitSpec | None = Field(
        None,
        description="Optional: fit the table (the standard) to the place's published life "
        "expectancy at birth by sex [years]; nMx tables only.",
    )


class AgePatternSpec(Section):
    """Distribution of fertility over the mother's age [percent, sums to 100]."""

    age_groups: list[str] = Field(min_length=1, description='e.g. "15-19", "20-24", ...')
    percent: list[Percent] = Field(description="Share of the TFR in each group [percent].")


class FertilitySpec(Section):
    """Fertility as a TFR path with an age pattern, or as age-specific rates."""

    tfr: Tfr | dict[int, Tfr] | None = Field(
        None, description="Total fertility rate [children per woman], a number or {year: value}."
    )
    age_pattern: AgePatternSpec | None = Field(None, description="Age pattern of the TFR.")
    age_pattern_csv: str | None = Field(
        None, description="CSV path, columns `age_group, percent` and optionally `year`."
    )
    asfr_csv: str | None = Field(
        None,
        description="Instead of tfr + pattern: CSV path, columns `age_group, asfr` "
        "[births per woman per year] and optionally `year`.",
    )


class MigrationSpec(Section):
    """Net migration: a yearly total spread by a model age profile, or counts by age and sex."""

    net_per_year: float | YearPath = Field(
        0.0, description="Net migrants per year [persons], a number or {year: value}."
    )
    share_male: float = Field(0.5, ge=0, le=1, allow_inf_nan=False,
                              description="Share of net migrants who are male.")
    profile: Literal["rogers_castro"] = Field(
        "rogers_castro",
        description="Age profile of net migrants: the Rogers-Castro model schedule.",
    )
    counts_csv: str | None = Field(
        None,
        description="Instead of net_per_year: CSV path, columns `age_group, male, female` and "
        "optionally `year` [net migrants per year, by age at the end of the year].",
    )


class PopulationSpec(Section):
    """Inputs of the cohort-component projection.

    A scenario's ``population:`` section is one of these; a second one for the registered basis
    may follow as ``registered_population:`` (same fields, ``basis: registered``), projected the
    same way with its own mortality and net inflow.
    """

    basis: Literal["registered", "resident"] = Field(
        description="registered (户籍) or resident (常住) population."
    )
    demand_basis: Literal["registered", "resident"] | None = Field(
        None,
        description="Only in `population:`: whose elders make the demand for beds and services "
        "when the scenario has both bases. Default: resident when both are given (elders need "
        "care where they live), else the one population's basis.",
    )
    base_date: dt.date = Field(
        description="Reference date of the base population, e.g. 2020-11-01 for the census. "
        "31 December stands for the year-end count (24:00, as registered counts 年末 are "
        "published); any other date for its start (00:00, the census standard time)."
    )
    horizon_year: Year = Field(description="Last calendar year to project (1 to 100 years "
                               "after the base date's year).")
    report_date: Literal["year_end", "mid_year"] = Field(
        "year_end",
        description="Which day of each year the outputs describe: 31 Dec (as registered counts "
        "are published) or 1 Jul (as UN WPP estimates).",
    )
    base_population: BasePopulationSpec
    mortality: MortalitySpec
    fertility: FertilitySpec
    sex_ratio_at_birth: Srb | dict[int, Srb] = Field(
        description="Male births per female birth, a number or {year: value} (e.g. 1.11)."
    )
    migration: MigrationSpec = Field(default_factory=MigrationSpec)
