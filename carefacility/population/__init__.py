"""Population: the ``population:`` section and the cohort-component projection.

The demographic engine is plain numpy functions on arrays with ages 0..99 and 100+ on the last
axis (``N_AGES = 101``) and sex ``(male, female)`` on the axis before it: age groups,
graduation, life tables, fertility, migration and the projection step
(:mod:`~carefacility.population.cohort_component`). :mod:`~carefacility.population.spec` holds
the scenario section, :mod:`~carefacility.population.inputs` reads its tables into arrays and
:mod:`~carefacility.population.projection` projects them to tidy tables by report date;
:mod:`~carefacility.population.mortality_fit` fits a standard table of death rates to a place's
published life expectancy at birth; :mod:`~carefacility.population.registered` builds a
registered (户籍) base from published age bands and derives its net inflow.
"""

from carefacility.population.ages import (
    N_AGES,
    OPEN_AGE,
    SEXES,
    AgeGroups,
    check_age_groups,
    parse_age_group,
)
from carefacility.population.cohort_component import (
    ProjectionArrays,
    elderly_summary,
    project,
    project_step,
    to_tidy,
)
from carefacility.population.fertility import asfr_from_tfr, births
from carefacility.population.graduation import (
    geometric_tail_weights,
    graduate_counts,
    graduate_rates,
    monotone_split,
)
from carefacility.population.leslie import leslie_matrix, stable_population
from carefacility.population.lifetable import (
    MAX_AGE,
    LifeTable,
    SurvivalSchedule,
    abridged_life_table,
    apply_mortality_improvement,
    infant_separation_factors,
    nqx_to_nmx,
    projection_survival,
    single_year_life_table,
    single_year_mx,
    stationary_tail_weights,
)
from carefacility.population.migration import (
    ROGERS_CASTRO_STANDARD,
    distribute_net_migration,
    rogers_castro_profile,
)
from carefacility.population.mortality_fit import (
    fit_periods_to_e0,
    fit_to_e0,
    relational_rates,
)
from carefacility.population.reference import read_reference_csv, reference_sources

__all__ = [
    "MAX_AGE",
    "N_AGES",
    "OPEN_AGE",
    "ROGERS_CASTRO_STANDARD",
    "SEXES",
    "AgeGroups",
    "LifeTable",
    "ProjectionArrays",
    "SurvivalSchedule",
    "abridged_life_table",
    "apply_mortality_improvement",
    "asfr_from_tfr",
    "births",
    "check_age_groups",
    "distribute_net_migration",
    "elderly_summary",
    "fit_periods_to_e0",
    "fit_to_e0",
    "geometric_tail_weights",
    "graduate_counts",
    "graduate_rates",
    "infant_separation_factors",
    "leslie_matrix",
    "monotone_split",
    "nqx_to_nmx",
    "parse_age_group",
    "project",
    "project_step",
    "projection_survival",
    "read_reference_csv",
    "reference_sources",
    "relational_rates",
    "rogers_castro_profile",
    "single_year_life_table",
    "single_year_mx",
    "stable_population",
    "stationary_tail_weights",
    "to_tidy",
]
