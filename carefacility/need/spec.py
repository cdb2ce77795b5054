"""The scenario's ``need:`` section: care levels, their prevalence, transitions and demand rates.

Care levels, in the order used everywhere (:data:`~carefacility.need.levels.LEVELS`):

* ``independent`` (自理): no care need;
* ``partially_dependent`` (半失能): needs some help with daily living;
* ``dependent`` (失能): cannot care for themself (candidate for a nursing-type bed);
* ``dementia`` (失智): living with dementia.

**Precedence rule.** A person living with dementia is in ``dementia`` whatever their ADL status;
the three ADL levels describe people without dementia. Published ADL prevalences count people
with and without dementia, so when building the default table they are multiplied by
``1 - dementia prevalence`` (ASSUMPTION: ADL dependence and dementia independent — no joint
Chinese figure was found), and every person with dementia (all severities, as in Jia et al.
2020) is put in ``dementia`` (ASSUMPTION: all of them need some care).

**Where the defaults come from.** Every default is either computed from cited rows of the
packaged care-need review or labelled ASSUMPTION with its reason; the derivation, the packaged
tables and how to regenerate them are in :mod:`carefacility.need.defaults`. The per-level models
the section is built from are in :mod:`carefacility.need.levels`; this module holds the section
itself, the checks pydantic cannot make and the readers of the CSV tables a scenario names.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from pydantic import Field

from carefacility.base.errors import Problem, format_path
from carefacility.base.files import input_file
from carefacility.base.tables import quote_cell, read_table
from carefacility.base.yaml_source import YamlDocument
from carefacility.need.defaults import (
    DEFINITIONS,
    derive_application_rates,
    packaged_prevalence,
    packaged_recovery_rates,
)
from carefacility.need.levels import (
    CARE_LEVELS,
    LEVELS,
    SEX_KEYS,
    Fraction,
    LevelPrevalence,
    LevelRates,
    LevelRatios,
    PrevalenceTable,
    TransitionRate,
    _Section,
)
from carefacility.population.ages import parse_age_group

__all__ = [
    "MAX_RATE_PER_YEAR",
    "MAX_RATIO",
    "FieldProblem",
    "NeedSpec",
    "TransitionSpec",
    "check_need_spec",
    "default_need_spec",
    "need_problems",
    "read_prevalence_csv",
    "read_transition_rates_csv",
    "resolve_need_tables",
]


# --------------------------------------------------------------------------------------------
# the section
# --------------------------------------------------------------------------------------------
MAX_RATE_PER_YEAR = 100.0
"""Largest rate of the need section [per person-year]: 100 a year is a mean time of under
four days at a level, faster than any transition, application, discharge or withdrawal."""

MAX_RATIO = 1000.0
"""Largest death-rate multiplier of a level [ratio]."""

_RATE_FIELDS = ("bed_application_rate_per_year", "bed_application_rate_80plus_per_year",
                "bed_application_rate_60_64_per_year", "resident_discharge_rate_per_year",
                "waiting_withdrawal_rate_per_year")


def _default_rates() -> list[TransitionRate]:
    return list(packaged_recovery_rates())


class TransitionSpec(_Section):
    """Annual transition rates between care levels (a continuous-time Markov chain)."""

    method: Literal["prevalence_consistent", "rates_only"] = Field(
        "prevalence_consistent",
        description=(
            "prevalence_consistent: `rates` are fixed and the onset rates independent → "
            "partially dependent, partially dependent → dependent and any level → dementia "
            "(one rate for all three) are solved at each single age so that a cohort following "
            "the chain, with level death rates tied to the life table, keeps the prevalence "
            "curve by age (a smoothed version of `prevalence`); these three transitions must not "
            "appear in `rates`. rates_only: `rates` is the whole chain; missing transitions "
            "are 0."),
    )
    rates: list[TransitionRate] = Field(
        default_factory=_default_rates,
        description=(
            "Transition rates [per person-year]. Default: recovery partially dependent → "
            "independent and dependent → partially dependent from the CLHLS 1-year matrices "
            "(Hindawi Math Probl Eng 2022, Table 4; matrix logarithm, negatives clipped, "
            "log-linear in age, packaged in care_need_recovery_rates.csv; ASSUMPTION: CLHLS "
            "states 1/2/3 = the three ADL levels). Dementia is never left (ASSUMPTION: "
            "irreversible). Rows for one transition and sex must not overlap in age."),
    )
    rates_csv: str | None = Field(
        None,
        description="Instead of `rates`: CSV path relative to the scenario file, columns "
        "`from_level, to_level, age_group, sex, rate_per_year` [per person-year].",
    )


def _default_prevalence(data: dict[str, Any]) -> PrevalenceTable:
    return packaged_prevalence(data.get("definition", DEFINITIONS[0]))


def _default_application(data: dict[str, Any]) -> LevelRates:
    return derive_application_rates(packaged_prevalence(data.get("definition", DEFINITIONS[0])))


class NeedSpec(_Section):
    """The ``need:`` section: care levels, their prevalence and dynamics, and bed demand."""

    definition: Literal["census_self_care", "clhls_adl"] = Field(
        "census_self_care",
        description=(
            "Which published disability definition the default prevalence uses. "
            "census_self_care (narrow, default): dependent = census 'unable to care for self' "
            "(生活不能自理) 2.34 % of 60+ in 2020 (care_need_defaults.csv key "
            "dependent_census_2020_60plus: Guo et al., BMC Geriatr 2022), partially dependent "
            "= 失能+半失能 18.3 % of 60+ (key broad_survey_2015_60plus: 4th Sample Survey of the "
            "Aged Population 2015) minus dependent. clhls_adl: CLHLS 2011 Katz ADL, 65+ "
            "(keys clhls_2011_*: Jing, Li & Li 2017): dependent = moderate + severe 3.57 %, "
            "partially dependent = mild 6.99 %. Dementia in both: 6.0 % of 60+ (key "
            "dementia_2015_18_60plus: Jia et al., Lancet Public Health 2020). Age and sex "
            "patterns: see the carefacility.need.defaults module notes."),
    )
    prevalence: PrevalenceTable = Field(
        default_factory=_default_prevalence,
        description=(
            "Prevalence of each level by age group and sex at the base date [fraction]. "
            "Default: the packaged table of `definition` (care_need_prevalence.csv, derived "
            "from the rows named in `definition`; dementia takes precedence over ADL levels)."),
    )
    prevalence_csv: str | None = Field(
        None,
        description="Instead of `prevalence`: CSV path relative to the scenario file, columns "
        "`age_group, sex, partially_dependent, dependent, dementia` [fraction].",
    )
    transitions: TransitionSpec = Field(
        default_factory=TransitionSpec,
        description="Transition rates between levels [per person-year] (see TransitionSpec).",
    )
    mortality_relative_risk: LevelRatios = Field(
        default_factory=lambda: LevelRatios(
            independent=1.0, partially_dependent=1.44, dependent=4.45, dementia=1.68),
        description=(
            "Death-rate multipliers by level relative to independent [ratio]; level death "
            "rates are scaled so that their prevalence-weighted mean equals the life table's. "
            "Default (CLHLS 2002-14, BMC Geriatr 2021 doi:10.1186/s12877-021-02611-1, HRs by "
            "Katz level 1.44-4.45): partially_dependent 1.44 (key mortality_hr_mildest_level), "
            "dependent 4.45 (key mortality_hr_severest_level; the source finds smaller HRs at "
            "80+). dementia 1.68 is an ASSUMPTION: no Chinese dementia mortality ratio was "
            "found; the any-disability HR (key mortality_hr_disabled) is used, on top of the "
            "ADL mix (see dementia_mortality_basis)."),
    )
    dementia_mortality_basis: Literal["adl_mix", "independent"] = Field(
        "adl_mix",
        description=(
            "What mortality_relative_risk.dementia multiplies [-]. adl_mix (default): the "
            "prevalence-weighted ratio of the ADL levels at the same age and sex, because "
            "dementia takes precedence and (ASSUMPTION, as in the prevalence) people with dementia "
            "have the ADL mix of those without, so a dependent person with dementia does not "
            "die slower than one without; independent: the independent level's death rate."),
    )
    bed_application_rate_per_year: LevelRates = Field(
        default_factory=_default_application,
        description=(
            "Share of people at each level who apply for a care bed per year "
            "[per person-year]. Default: r0 × (1, 1.70, 1.70, 1.53) with the ratios of "
            "admission risk for ADL and cognitive decline (keys admission_rr_adl_decline, "
            "admission_rr_cognitive_decline: Peng & Wu, J Aging Health 2015) and r0 such that "
            "the census-weighted mean over 65+ is the CLHLS admission hazard "
            "-ln(1 - 0.008)/3 = 0.268 %/year (key admission_3y_2008_11). ASSUMPTIONS: "
            "'decline' read as being at the level; applications ≈ admissions because about "
            "half of all beds are empty (key vacancy_national). Used at ages 65+ (and at "
            "80+ unless bed_application_rate_80plus_per_year is given); ages 60-64 have their "
            "own rates, bed_application_rate_60_64_per_year."),
    )
    bed_application_rate_80plus_per_year: LevelRates | None = Field(
        None,
        description="Optional rates for people aged 80+ [per person-year]. Default None = "
        "the same as bed_application_rate_per_year, an ASSUMPTION: the review found no "
        "admission figure by age.",
    )
    bed_application_rate_60_64_per_year: LevelRates | None = Field(
        default_factory=LevelRates,
        description=(
            "Rates for people aged 60-64 [per person-year]; None = the same as "
            "bed_application_rate_per_year. Default 0 at every level, an ASSUMPTION: the only "
            "admission figure found is for ages 65+ (key admission_3y_2008_11; CLHLS samples "
            "65+), and the national stock of residents, 518.3万 registered-institution beds "
            "about half occupied (keys beds_registered_2022, vacancy_national: ≈ 259万 "
            "residents at the end of 2022, DERIVED), is already reproduced by applications "
            "at 65+ with the default stays (267万 in 2022 with scenarios/china.yaml, +3 %; "
            "tests/need/test_national_check.py); repeating the 65+ rates at 60-64 gives 379万 "
            "(+46 %). A scenario that states its residents (plan.starting_state.observed) "
            "scales all application rates, these included, to its own base year."),
    )
    low_income_share: Fraction = Field(
        0.0,
        description=(
            "Share of applicants who are low-income (特困) [fraction]. Default 0 is an "
            "ASSUMPTION: the review found no figure; 0 leaves the low-income priority inactive "
            "until a scenario gives a local share."),
    )
    resident_discharge_rate_per_year: LevelRates = Field(
        default_factory=lambda: LevelRates(
            independent=0.14, partially_dependent=0.14, dependent=0.14, dementia=0.14),
        description=(
            "Rate at which residents leave a care home alive, by level [per person-year]. "
            "ASSUMPTION (length of stay in Chinese care homes is a gap in the data): 0.14 for "
            "every level, calibrated so that the mean stay of the default applicants (with "
            "level changes, ageing past 80 and level death rates from the WPP 2024 life table "
            "2020-25) equals occupied beds / admissions = (518.3万 beds × 52 % occupied) / "
            "(0.268 %/year × 190.6 M census 65+) ≈ 5.3 years (keys beds_registered_2022, "
            "vacancy_national, admission_3y_2008_11; mixed years 2020-22: an order of "
            "magnitude, not a measurement); the default applicants, all aged 65+ (the 60-64 "
            "rates being 0), stay 5.2 years on average. A scenario that states its admissions "
            "as well as its residents (plan.starting_state.observed) fits its own."),
    )
    waiting_withdrawal_rate_per_year: LevelRates = Field(
        default_factory=LevelRates,
        description=(
            "Rate at which waiting applicants withdraw, by level [per person-year]. Default 0 "
            "is an ASSUMPTION: no mainland figure was found, and lists of >10,000 for 1,100 "
            "beds (Beijing No.1 Social Welfare Institute, 2013) suggest applicants rarely "
            "withdraw; waiting applicants still die at their level's death rate."),
    )


def default_need_spec() -> NeedSpec:
    """The need section with every default (census 'unable to care for self' definition)."""
    return NeedSpec()


# --------------------------------------------------------------------------------------------
# checks pydantic cannot make
# --------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class FieldProblem:
    """A problem with a field of the need section.

    Attributes
    ----------
    path : tuple of str and int
        Field path inside the ``need`` section, e.g. ``("prevalence", "male", "dependent", 3)``.
    message : str
        What was given and what is allowed.
    """

    path: tuple[str | int, ...]
    message: str

    def __str__(self) -> str:
        text = "need"
        for part in self.path:
            text += f"[{part}]" if isinstance(part, int) else f".{part}"
        return f"{text}: {self.message}"


def _age_group_problems(labels: Sequence[str], path: tuple[str | int, ...]
                        ) -> tuple[list[FieldProblem], list[tuple[int, int | None]]]:
    problems: list[FieldProblem] = []
    parsed: list[tuple[int, int | None]] = []
    for index, label in enumerate(labels):
        try:
            parsed.append(parse_age_group(str(label)))
        except ValueError as error:
            problems.append(FieldProblem((*path, index), str(error)))
            return problems, []
    if parsed[0][0] != 60:
        problems.append(FieldProblem((*path, 0), f"the first age group must start at 60 "
                                     f"(got {labels[0]!r})"))
    for index in range(1, len(parsed)):
        previous_end = parsed[index - 1][1]
        if previous_end is None or parsed[index][0] != previous_end:
            problems.append(FieldProblem(
                (*path, index), f"age groups must be contiguous and only the last open; "
                f"{labels[index - 1]!r} is followed by {labels[index]!r}"))
    if parsed[-1][1] is not None and parsed[-1][1] <= 100:
        problems.append(FieldProblem(
            (*path, len(parsed) - 1),
            f"the last age group must be open (e.g. '90+') or reach 100 (got {labels[-1]!r})"))
    return problems, parsed


def _prevalence_problems(table: PrevalenceTable) -> list[FieldProblem]:
    problems, _ = _age_group_problems(table.age_groups, ("prevalence", "age_groups"))
    n = len(table.age_groups)
    for sex in SEX_KEYS:
        columns = getattr(table, sex)
        ok = True
        for name in CARE_LEVELS:
            values = getattr(columns, name)
            if len(values) != n:
                ok = False
                problems.append(FieldProblem(
                    ("prevalence", sex, name),
                    f"has {len(values)} values but there are {n} age groups"))
        if not ok:
            continue
        for index in range(n):
            total = sum(getattr(columns, name)[index] for name in CARE_LEVELS)
            if total > 1.0 + 1e-12:
                problems.append(FieldProblem(
                    ("prevalence", sex, "dependent", index),
                    f"partially_dependent + dependent + dementia = {total:.6g} in age group "
                    f"{table.age_groups[index]!r}; the levels of one age group must sum to "
                    f"at most 1 (independent is the remainder)"))
    return problems


SOLVED_TRANSITIONS: tuple[tuple[str, str], ...] = (
    ("independent", "partially_dependent"),
    ("partially_dependent", "dependent"),
    ("independent", "dementia"),
    ("partially_dependent", "dementia"),
    ("dependent", "dementia"),
)
"""Transitions solved by ``method = prevalence_consistent`` (not allowed in ``rates``)."""


def _transition_problems(spec: TransitionSpec) -> list[FieldProblem]:
    problems: list[FieldProblem] = []
    seen: dict[tuple[str, str, str], list[tuple[int, int, int]]] = {}
    for index, rate in enumerate(spec.rates):
        path: tuple[str | int, ...] = ("transitions", "rates", index)
        if rate.from_level == rate.to_level:
            problems.append(FieldProblem((*path, "to_level"),
                                         f"from_level and to_level are both {rate.from_level!r}"))
            continue
        if spec.method == "prevalence_consistent" and (
                (rate.from_level, rate.to_level) in SOLVED_TRANSITIONS):
            problems.append(FieldProblem(
                (*path, "to_level"),
                f"{rate.from_level} → {rate.to_level} is solved from the prevalence when "
                f"method is prevalence_consistent; remove the row or use method rates_only"))
        try:
            start, end = parse_age_group(rate.age_group)
        except ValueError as error:
            problems.append(FieldProblem((*path, "age_group"), str(error)))
            continue
        stop = 100 if end is None else end - 1  # inclusive
        sexes = SEX_KEYS if rate.sex == "both" else (rate.sex,)
        for sex in sexes:
            key = (rate.from_level, rate.to_level, sex)
            for other, other_start, other_stop in seen.get(key, []):
                if start <= other_stop and other_start <= stop:
                    problems.append(FieldProblem(
                        (*path, "age_group"),
                        f"{rate.from_level} → {rate.to_level} ({sex}) ages {rate.age_group} "
                        f"overlap row {other} ({spec.rates[other].age_group})"))
            seen.setdefault(key, []).append((index, start, stop))
    return problems


def _magnitude_problems(spec: NeedSpec) -> list[FieldProblem]:
    """Rates and ratios that are not finite or beyond :data:`MAX_RATE_PER_YEAR` and
    :data:`MAX_RATIO` (the models bound them below only)."""
    problems: list[FieldProblem] = []

    def check(path: tuple[str | int, ...], value: float, maximum: float, unit: str) -> None:
        if not (math.isfinite(value) and value <= maximum):
            problems.append(FieldProblem(path, f"{value:g} is outside the allowed range 0 to "
                                               f"{maximum:g} {unit}"))

    for name in _RATE_FIELDS:
        rates = getattr(spec, name)
        if rates is not None:
            for level in LEVELS:
                check((name, level), getattr(rates, level), MAX_RATE_PER_YEAR,
                      "per person-year")
    for level in LEVELS:
        check(("mortality_relative_risk", level), getattr(spec.mortality_relative_risk, level),
              MAX_RATIO, "[ratio]")
    for index, rate in enumerate(spec.transitions.rates):
        check(("transitions", "rates", index, "rate_per_year"), rate.rate_per_year,
              MAX_RATE_PER_YEAR, "per person-year")
    return problems


def need_problems(spec: NeedSpec) -> list[FieldProblem]:
    """Every problem of a need section that field validation cannot see.

    Checks: age groups (from 60, contiguous, last open), one value per age group, levels of an
    age group summing to at most 1, transition rows (no self-transition, no overlap, no solved
    transition with ``prevalence_consistent``), the CSV paths not given together with the
    inline values they replace, and rates and ratios finite and at most
    :data:`MAX_RATE_PER_YEAR` and :data:`MAX_RATIO`. Lower bounds (rates ≥ 0, fractions in
    [0, 1], ratios > 0) are enforced by the model itself (``pydantic.ValidationError``, a
    ``ValueError``).

    Parameters
    ----------
    spec : NeedSpec

    Returns
    -------
    list of FieldProblem
        Empty when the section is usable.
    """
    problems = _prevalence_problems(spec.prevalence)
    problems += _transition_problems(spec.transitions)
    problems += _magnitude_problems(spec)
    if spec.prevalence_csv is not None and "prevalence" in spec.model_fields_set:
        problems.append(FieldProblem(("prevalence_csv",),
                                     "give either prevalence or prevalence_csv, not both"))
    if spec.transitions.rates_csv is not None and "rates" in spec.transitions.model_fields_set:
        problems.append(FieldProblem(("transitions", "rates_csv"),
                                     "give either rates or rates_csv, not both"))
    return problems


def check_need_spec(spec: NeedSpec) -> NeedSpec:
    """Raise ``ValueError`` listing every :func:`need_problems` entry; else return ``spec``."""
    problems = need_problems(spec)
    if problems:
        raise ValueError("\n".join(str(problem) for problem in problems))
    return spec


# --------------------------------------------------------------------------------------------
# CSV tables of the scenario
# --------------------------------------------------------------------------------------------
def read_prevalence_csv(path: Path, shown_as: str
                        ) -> tuple[PrevalenceTable | None, list[Problem]]:
    """Read a prevalence CSV: ``age_group, sex, partially_dependent, dependent, dementia``.

    Parameters
    ----------
    path : pathlib.Path
        The file.
    shown_as : str
        The path as the user wrote it (used in messages).

    Returns
    -------
    (PrevalenceTable or None, list of Problem)
        Problems are located by line and column; the table is None when there are any.
    """
    table, problems = read_table(path, shown_as, required=("age_group", "sex", *CARE_LEVELS))
    if table is None or problems:
        return None, problems
    groups: list[str] = []
    values: dict[tuple[str, str], list[float]] = {}
    for row_index, row in enumerate(table.rows):
        sex = row["sex"]
        if sex not in SEX_KEYS:
            problems.append(table.problem(row_index, "sex", f"{quote_cell(sex)} is not a sex; "
                                          "allowed: male, female"))
            continue
        if row["age_group"] not in groups:
            groups.append(row["age_group"])
        key = (row["age_group"], sex)
        if key in values:
            problems.append(table.problem(row_index, "age_group", f"age group "
                                          f"{quote_cell(key[0])} appears twice for {sex}"))
            continue
        values[key] = [table.number(row_index, name, problems, minimum=0, maximum=1)
                       for name in CARE_LEVELS]
    for group in groups:
        for sex in SEX_KEYS:
            if (group, sex) not in values:
                problems.append(Problem(shown_as, 0, 0, "age_group",
                                        f"age group {quote_cell(group)} has no row for {sex}"))
    if problems:
        return None, problems
    by_sex = {sex: LevelPrevalence(**{name: [values[(g, sex)][k] for g in groups]
                                      for k, name in enumerate(CARE_LEVELS)})
              for sex in SEX_KEYS}
    return PrevalenceTable(age_groups=groups, **by_sex), problems


def read_transition_rates_csv(path: Path, shown_as: str
                              ) -> tuple[list[TransitionRate] | None, list[Problem]]:
    """Read a transition-rate CSV: ``from_level, to_level, age_group, sex, rate_per_year``.

    Returns
    -------
    (list of TransitionRate or None, list of Problem)
    """
    table, problems = read_table(path, shown_as, required=("from_level", "to_level",
                                                           "rate_per_year"),
                                 optional=("age_group", "sex"))
    if table is None or problems:
        return None, problems
    rates: list[TransitionRate] = []
    for row_index, row in enumerate(table.rows):
        bad = False
        for column in ("from_level", "to_level"):
            if row[column] not in LEVELS:
                problems.append(table.problem(row_index, column, f"{quote_cell(row[column])} "
                                              f"is not a level; allowed: {', '.join(LEVELS)}"))
                bad = True
        sex = row.get("sex") or "both"
        if sex not in ("male", "female", "both"):
            problems.append(table.problem(row_index, "sex", f"{quote_cell(sex)}; allowed: "
                                          "male, female, both"))
            bad = True
        value = table.number(row_index, "rate_per_year", problems, minimum=0,
                             maximum=MAX_RATE_PER_YEAR)
        if bad or math.isnan(value):
            continue
        rates.append(TransitionRate(from_level=row["from_level"], to_level=row["to_level"],
                                    age_group=row.get("age_group") or "60+", sex=sex,
                                    rate_per_year=value))
    return (None if problems else rates), problems


def resolve_need_tables(spec: NeedSpec, base_dir: Path | str, *, allow_outside: bool = False,
                        doc: YamlDocument | None = None) -> tuple[NeedSpec, list[Problem]]:
    """Read the CSV tables a need section names and return it with the tables inline.

    Parameters
    ----------
    spec : NeedSpec
    base_dir : path
        Directory of the scenario file; CSV paths are relative to it.
    allow_outside : bool
        The scenario's ``allow_files_outside``: paths may then be absolute or lead out of
        ``base_dir`` (refused otherwise, :func:`carefacility.base.files.input_file`).
    doc : YamlDocument, optional
        The scenario document: a refused path is then located at its field in the scenario
        (else at the path itself).

    Returns
    -------
    (NeedSpec, list of Problem)
        The section with ``prevalence`` / ``transitions.rates`` filled from the CSVs and the
        CSV fields cleared, and the problems found in the tables (the section is returned
        unchanged when there are any).
    """
    base = Path(base_dir)
    problems: list[Problem] = []
    data = spec.model_dump(exclude_unset=True)

    def located(location: tuple[str, ...], given: str) -> Path | None:
        path, refused = input_file(base, given, allow_outside=allow_outside)
        if path is None:
            where = ("need", *location)
            problems.append(doc.problem(where, format_path(where), refused or "refused")
                            if doc is not None else Problem(given, 0, 0, "(file)",
                                                            refused or "refused"))
        return path

    prevalence_path = (located(("prevalence_csv",), spec.prevalence_csv)
                       if spec.prevalence_csv is not None else None)
    if spec.prevalence_csv is not None and prevalence_path is not None:
        table, found = read_prevalence_csv(prevalence_path, spec.prevalence_csv)
        problems += found
        if table is not None:
            data["prevalence"] = table.model_dump()
            data.pop("prevalence_csv", None)
    rates_path = (located(("transitions", "rates_csv"), spec.transitions.rates_csv)
                  if spec.transitions.rates_csv is not None else None)
    if spec.transitions.rates_csv is not None and rates_path is not None:
        rates, found = read_transition_rates_csv(rates_path, spec.transitions.rates_csv)
        problems += found
        if rates is not None:
            transitions = dict(data.get("transitions", {}))
            transitions["rates"] = [rate.model_dump() for rate in rates]
            transitions.pop("rates_csv", None)
            data["transitions"] = transitions
    if problems:
        return spec, problems
    return NeedSpec.model_validate(data), problems
