"""The scenario's ``need:`` section: care levels, their prevalence, transitions and demand rates.

Care levels, in the order used everywhere (:data:`LEVELS`):

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

**Where the defaults come from.** Every default is either computed from rows of the packaged
``carefacility/data/care_need_defaults.csv`` (a copy of the project's care-need review, each row
with its source; rows are cited below by their ``key``) or labelled ASSUMPTION with its reason.
Derived tables are packaged as CSVs (``care_need_prevalence.csv``,
``care_need_recovery_rates.csv``) and re-derived by the tests; regenerate them with
``python -m carefacility.need.spec`` and review the diff.

Prevalence derivation (``definition``), per tier ``T`` (dependent; partially dependent +
dependent, called *broad*; dementia): a logit-linear age curve
``logit π_T(a, sex) = α_T + δ_T [sex = female] + β_T (a - 60)``, evaluated at group midpoints
(``start + 2.5`` for the open group 90+), with

* slope ``β_T`` from the cited age-specific rows (least squares on the logit scale),
* female offset ``δ_T`` so that the crude female/male ratio equals the cited sex rows,
* level ``α_T`` so that the crude rate equals the cited headline (60+ or 65+),

crude rates being weighted by the 2020 census population (``care_need_weights_census2020.csv``;
its 85+ group split into 85-89 and 90+ by UN WPP 2024 shares,
``care_need_weights_wpp2024_85plus_2020.csv``). Levels: ``dementia = π_M``,
``dependent = π_D (1 - π_M)``, ``partially_dependent = (π_B - π_D)(1 - π_M)``.
"""

from __future__ import annotations

import functools
import io
import math
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Annotated, Any, Literal

import numpy as np
import pandas as pd
import scipy.linalg
from pydantic import BaseModel, ConfigDict, Field
from scipy.optimize import brentq
from scipy.special import expit, logit

from carefacility.base.errors import Problem
from carefacility.base.tables import read_table
from carefacility.population.ages import parse_age_group

__all__ = [
    "DEFAULT_AGE_GROUPS",
    "DEFINITIONS",
    "LEVELS",
    "SEX_KEYS",
    "FieldProblem",
    "LevelPrevalence",
    "LevelRates",
    "LevelRatios",
    "NeedSpec",
    "PrevalenceTable",
    "TransitionRate",
    "TransitionSpec",
    "check_need_spec",
    "default_need_spec",
    "derive_application_rates",
    "derive_prevalence",
    "derive_recovery_rates",
    "need_problems",
    "packaged_prevalence",
    "packaged_recovery_rates",
    "read_need_table",
    "read_prevalence_csv",
    "read_transition_rates_csv",
    "resolve_need_tables",
    "source_rows",
    "write_derived_tables",
]

LEVELS: tuple[str, ...] = ("independent", "partially_dependent", "dependent", "dementia")
"""Care levels in index order (自理, 半失能, 失能, 失智)."""

CARE_LEVELS: tuple[str, ...] = LEVELS[1:]
"""The levels given in a prevalence table; ``independent`` is the remainder."""

DEFINITIONS: tuple[str, ...] = ("census_self_care", "clhls_adl")
"""Published disability definitions with packaged default prevalence."""

DEFAULT_AGE_GROUPS: tuple[str, ...] = (
    "60-64", "65-69", "70-74", "75-79", "80-84", "85-89", "90+"
)
"""Age groups of the packaged default tables."""

SEX_KEYS: tuple[str, ...] = ("male", "female")

ADMISSION_RATE_65PLUS_PER_YEAR = -math.log(1.0 - 0.008) / 3.0
"""Mean admission hazard of people aged 65+, ``-ln(1 - 0.008) / 3`` [per person-year]:
3-year institutionalisation 0.8 % in CLHLS 2008-11 (key ``admission_3y_2008_11``)."""

Level = Literal["independent", "partially_dependent", "dependent", "dementia"]
Fraction = Annotated[float, Field(ge=0, le=1)]
Rate = Annotated[float, Field(ge=0)]


class _Section(BaseModel):
    """Base of every need model: unknown keys are errors, values are immutable."""

    model_config = ConfigDict(extra="forbid", frozen=True)


# --------------------------------------------------------------------------------------------
# packaged data
# --------------------------------------------------------------------------------------------
def _data_text(name: str) -> str:
    return resources.files("carefacility").joinpath("data", name).read_text(encoding="utf-8-sig")


def read_need_table(name: str) -> pd.DataFrame:
    """Read a packaged ``carefacility/data/care_need_*.csv`` table, skipping ``#`` lines.

    Parameters
    ----------
    name : str
        File name, e.g. ``"care_need_defaults.csv"``.

    Returns
    -------
    pandas.DataFrame
        The table as stored (values as published, no unit conversion).
    """
    lines = [line for line in _data_text(name).splitlines() if not line.startswith("#")]
    return pd.read_csv(io.StringIO("\n".join(lines)), dtype={"age_group": str})


def source_rows() -> pd.DataFrame:
    """The cited rows of the care-need review, indexed by ``key`` (``care_need_defaults.csv``)."""
    return read_need_table("care_need_defaults.csv").set_index("key")


def _value(rows: pd.DataFrame, key: str) -> float:
    return float(rows.loc[key, "value"])


def _midpoint(label: str) -> float:
    start, end = parse_age_group(label)  # end is exclusive
    return start + 2.5 if end is None else (start + end) / 2.0


@functools.lru_cache(maxsize=1)
def _census_weights() -> np.ndarray:
    """2020 census persons by sex (rows male, female) and :data:`DEFAULT_AGE_GROUPS`."""
    census = read_need_table("care_need_weights_census2020.csv").set_index("age_group")
    wpp = read_need_table("care_need_weights_wpp2024_85plus_2020.csv").set_index("age_group")
    weights = np.zeros((2, len(DEFAULT_AGE_GROUPS)))
    for s, sex in enumerate(SEX_KEYS):
        weights[s, :5] = census.loc[list(DEFAULT_AGE_GROUPS[:5]), sex].to_numpy(float)
        tail = wpp[f"{sex}_thousands"].to_numpy(float)
        share_85_89 = tail[0] / tail.sum()
        weights[s, 5] = census.loc["85+", sex] * share_85_89
        weights[s, 6] = census.loc["85+", sex] * (1.0 - share_85_89)
    return weights


# --------------------------------------------------------------------------------------------
# derivations of the defaults
# --------------------------------------------------------------------------------------------
def _crude(values: np.ndarray, mask: np.ndarray) -> float:
    weights = _census_weights()[:, mask]
    return float((values[:, mask] * weights).sum() / weights.sum())


def _crude_by_sex(values: np.ndarray, mask: np.ndarray) -> np.ndarray:
    weights = _census_weights()[:, mask]
    return (values[:, mask] * weights).sum(axis=1) / weights.sum(axis=1)


def _curve(alpha: float, delta: float, beta: float) -> np.ndarray:
    ages = np.array([_midpoint(label) for label in DEFAULT_AGE_GROUPS])
    return expit(alpha + np.array([[0.0], [delta]]) + beta * (ages - 60.0))


def _fit_tier(beta: float, female_to_male: float, ratio_mask: np.ndarray, target: float,
              target_mask: np.ndarray) -> tuple[float, float]:
    """Level ``α`` and female offset ``δ`` of a logit-linear curve with slope ``β``."""

    def alpha_for(delta: float) -> float:
        return brentq(lambda a: _crude(_curve(a, delta, beta), target_mask) - target, -30, 30)

    def ratio_gap(delta: float) -> float:
        male, female = _crude_by_sex(_curve(alpha_for(delta), delta, beta), ratio_mask)
        return female / male - female_to_male

    delta = brentq(ratio_gap, -5.0, 5.0, xtol=1e-14)
    return alpha_for(delta), delta


def _slopes(rows: pd.DataFrame) -> dict[str, float]:
    weights = _census_weights().sum(axis=0)
    mids = np.array([_midpoint(label) for label in DEFAULT_AGE_GROUPS])
    shanghai = [_value(rows, f"dependent_shanghai_2010_{k}") / 100 for k in ("60_64", "65_69",
                                                                              "70_74")]
    beta_dependent = np.polyfit([62.5, 67.5, 72.5], logit(shanghai), 1)[0]
    # representative age of the meta-analysis groups 60-69, 70-79, 80+: census-weighted midpoint
    groups = [mids < 70, (mids > 70) & (mids < 80), mids > 80]
    ages = [float((weights[g] * mids[g]).sum() / weights[g].sum()) for g in groups]
    meta = [_value(rows, k) / 100 for k in ("broad_meta_60_69", "broad_meta_70_79",
                                            "broad_meta_80plus")]
    beta_broad = np.polyfit(ages, logit(meta), 1)[0]
    young, old = (_value(rows, k) / 100 for k in ("dementia_2010_65_69", "dementia_2010_95_99"))
    beta_dementia = (logit(old) - logit(young)) / (97.5 - 67.5)
    return {"dependent": float(beta_dependent), "broad": float(beta_broad),
            "dementia": float(beta_dementia)}


def _derive(definition: str) -> tuple[np.ndarray, dict[str, float]]:
    """Levels ``[2, G, 3]`` (partially dependent, dependent, dementia) and curve parameters."""
    if definition not in DEFINITIONS:
        raise ValueError(f"definition must be one of {DEFINITIONS} (got {definition!r})")
    rows = source_rows()
    beta = _slopes(rows)
    mids = np.array([_midpoint(label) for label in DEFAULT_AGE_GROUPS])
    all60 = np.ones(mids.size, dtype=bool)
    all65 = mids > 65
    sex_dependent = _value(rows, "dependent_shaanxi_2020_female") / _value(
        rows, "dependent_shaanxi_2020_male")
    sex_broad = _value(rows, "broad_meta_female") / _value(rows, "broad_meta_male")
    sex_dementia = _value(rows, "dementia_2019_65plus_female") / _value(
        rows, "dementia_2019_65plus_male")
    if definition == "census_self_care":
        dependent_target, dependent_mask = _value(rows, "dependent_census_2020_60plus"), all60
        broad_target, broad_mask = _value(rows, "broad_survey_2015_60plus"), all60
    else:
        dependent_target = _value(rows, "clhls_2011_moderate_65plus") + _value(
            rows, "clhls_2011_severe_65plus")
        broad_target = dependent_target + _value(rows, "clhls_2011_mild_65plus")
        dependent_mask = broad_mask = all65
    a_d, d_d = _fit_tier(beta["dependent"], sex_dependent, all60, dependent_target / 100,
                         dependent_mask)
    a_b, d_b = _fit_tier(beta["broad"], sex_broad, all60, broad_target / 100, broad_mask)
    a_m, d_m = _fit_tier(beta["dementia"], sex_dementia, all65,
                         _value(rows, "dementia_2015_18_60plus") / 100, all60)
    dependent = _curve(a_d, d_d, beta["dependent"])
    broad = _curve(a_b, d_b, beta["broad"])
    dementia = _curve(a_m, d_m, beta["dementia"])
    if np.any(broad < dependent):
        raise ValueError(f"derived broad prevalence below dependent for {definition}")
    levels = np.stack([(broad - dependent) * (1 - dementia), dependent * (1 - dementia),
                       dementia], axis=-1)
    parameters = {
        "alpha_dependent": a_d, "delta_dependent": d_d, "beta_dependent": beta["dependent"],
        "alpha_broad": a_b, "delta_broad": d_b, "beta_broad": beta["broad"],
        "alpha_dementia": a_m, "delta_dementia": d_m, "beta_dementia": beta["dementia"],
    }
    return levels, parameters


def derive_prevalence(definition: str) -> PrevalenceTable:
    """Derive the default prevalence table of a definition from the cited rows.

    Parameters
    ----------
    definition : {"census_self_care", "clhls_adl"}
        ``census_self_care``: dependent = census 'unable to care for self' (生活不能自理), level
        2.34 % of 60+ in 2020 (key ``dependent_census_2020_60plus``), age slope from the
        Shanghai 2010 census rows (``dependent_shanghai_2010_*``), sex ratio from Shaanxi 2020
        (``dependent_shaanxi_2020_*``); partially dependent = 失能+半失能 18.3 % of 60+
        (``broad_survey_2015_60plus``) minus dependent, age slope and sex ratio from the
        meta-analysis rows (``broad_meta_*``). ``clhls_adl``: CLHLS 2011 Katz ADL, 65+:
        dependent = moderate + severe 3.57 %, partially dependent = mild 6.99 %
        (``clhls_2011_*``), slopes and sex ratios as above. Dementia (both): 6.0 % of 60+
        (``dementia_2015_18_60plus``), slope from ``dementia_2010_*``, sex ratio from
        ``dementia_2019_65plus_*``.

    Returns
    -------
    PrevalenceTable
        By :data:`DEFAULT_AGE_GROUPS` and sex [fraction of the age-sex group].
    """
    levels, _ = _derive(definition)
    return _table_from_array(DEFAULT_AGE_GROUPS, levels)


def _table_from_array(age_groups: Sequence[str], levels: np.ndarray) -> PrevalenceTable:
    by_sex = {
        sex: LevelPrevalence(**{name: [float(v) for v in levels[s, :, k]]
                                for k, name in enumerate(CARE_LEVELS)})
        for s, sex in enumerate(SEX_KEYS)
    }
    return PrevalenceTable(age_groups=list(age_groups), **by_sex)


def _hindawi_generators() -> tuple[list[str], np.ndarray]:
    """Matrix logarithms of the published 1-year CLHLS matrices: labels, ``[B, 4, 4]``."""
    table = read_need_table("care_need_transition_matrices_clhls_hindawi2022.csv")
    table = table[table["horizon_years"] == 1]
    labels, generators = [], []
    for (age_group, sex), block in table.groupby(["age_group", "sex"], sort=False):
        matrix = np.zeros((4, 4))
        matrix[:3] = block.sort_values("from_state")[
            ["p_to_1", "p_to_2", "p_to_3", "p_to_4_death"]].to_numpy(float)
        matrix[3, 3] = 1.0
        matrix /= matrix.sum(axis=1, keepdims=True)  # published rows sum to 0.999-1.001
        generators.append(np.real(scipy.linalg.logm(matrix)))
        labels.append(f"{age_group} {sex}")
    return labels, np.array(generators)


def derive_recovery_rates() -> list[TransitionRate]:
    """Recovery rates (partially dependent → independent, dependent → partially dependent).

    From the CLHLS 1-year matrices (Hindawi Math Probl Eng 2022, packaged as
    ``care_need_transition_matrices_clhls_hindawi2022.csv``): rows normalised to 1, generator
    = real matrix logarithm, negative off-diagonal rates clipped to 0; the state 2 → 1 and
    3 → 2 rates of the 14 age × sex blocks are smoothed by one least-squares line of
    ``log rate`` on the block midpoint (both sexes pooled; clipped zeros left out) and the line
    is evaluated at the midpoints of :data:`DEFAULT_AGE_GROUPS` (60-64 is extrapolated: the
    sample starts at 65). ASSUMPTION: CLHLS states 1/2/3 = independent / partially dependent /
    dependent (the table pages do not define them); recovery goes one level at a time (the
    matrix logarithm gives |3 → 1| ≤ 0.05 per year with both signs).

    Returns
    -------
    list of TransitionRate
        Rates [per person-year], ``sex = "both"``.
    """
    labels, generators = _hindawi_generators()
    # CLHLS blocks "65-70", ..., "95+" are [65, 70), ..., 95+: midpoint = start + 2.5
    mids = np.array([float(label.split()[0].rstrip("+").split("-")[0]) + 2.5
                     for label in labels])
    targets = np.array([_midpoint(label) for label in DEFAULT_AGE_GROUPS])
    rates: list[TransitionRate] = []
    for (i, j), (source, target) in {
        (1, 0): ("partially_dependent", "independent"),
        (2, 1): ("dependent", "partially_dependent"),
    }.items():
        values = np.maximum(generators[:, i, j], 0.0)
        keep = values > 0
        slope, intercept = np.polyfit(mids[keep], np.log(values[keep]), 1)
        for label, age in zip(DEFAULT_AGE_GROUPS, targets, strict=True):
            rates.append(TransitionRate(from_level=source, to_level=target, age_group=label,
                                        sex="both",
                                        rate_per_year=float(np.exp(intercept + slope * age))))
    return rates


def derive_application_rates(prevalence: PrevalenceTable) -> LevelRates:
    """Bed application rates by level calibrated to the CLHLS admission hazard of 65+.

    ``rate_l = r0 · RR_l`` with ``RR = (1, 1.70, 1.70, 1.53)`` (ADL decline raises admission
    risk 70 %, cognitive decline 53 %; keys ``admission_rr_adl_decline``,
    ``admission_rr_cognitive_decline``; ASSUMPTION: 'decline' read as being at the level) and
    ``r0`` such that the 2020-census-weighted mean over ages 65+ equals
    :data:`ADMISSION_RATE_65PLUS_PER_YEAR` (ASSUMPTION: realised admissions ≈ applications,
    since about half of all beds stand empty, key ``vacancy_national``).

    Parameters
    ----------
    prevalence : PrevalenceTable
        With :data:`DEFAULT_AGE_GROUPS`.

    Returns
    -------
    LevelRates
        [per person-year].
    """
    if tuple(prevalence.age_groups) != DEFAULT_AGE_GROUPS:
        raise ValueError(f"prevalence must use the age groups {DEFAULT_AGE_GROUPS}")
    rows = source_rows()
    ratio = np.array([1.0, _value(rows, "admission_rr_adl_decline"),
                      _value(rows, "admission_rr_adl_decline"),
                      _value(rows, "admission_rr_cognitive_decline")])
    levels = prevalence_array(prevalence)  # [2, G, 4]
    mids = np.array([_midpoint(label) for label in DEFAULT_AGE_GROUPS])
    mean_ratio = _crude((levels * ratio).sum(axis=-1), mids > 65)
    base = ADMISSION_RATE_65PLUS_PER_YEAR / mean_ratio
    return LevelRates(**{name: float(base * r) for name, r in zip(LEVELS, ratio, strict=True)})


def prevalence_array(prevalence: PrevalenceTable) -> np.ndarray:
    """Prevalence of all four levels, ``[2 (male, female), n_groups, 4]`` [fraction]."""
    given = np.array([[getattr(getattr(prevalence, sex), name) for name in CARE_LEVELS]
                      for sex in SEX_KEYS], dtype=float).transpose(0, 2, 1)
    return np.concatenate([1.0 - given.sum(axis=-1, keepdims=True), given], axis=-1)


@functools.lru_cache(maxsize=len(DEFINITIONS))
def packaged_prevalence(definition: str) -> PrevalenceTable:
    """The packaged default prevalence of a definition (``care_need_prevalence.csv``).

    Parameters
    ----------
    definition : {"census_self_care", "clhls_adl"}

    Returns
    -------
    PrevalenceTable
        [fraction].
    """
    if definition not in DEFINITIONS:
        raise ValueError(f"definition must be one of {DEFINITIONS} (got {definition!r})")
    table = read_need_table("care_need_prevalence.csv")
    table = table[table["definition"] == definition]
    return _prevalence_from_frame(table)


def _prevalence_from_frame(table: pd.DataFrame) -> PrevalenceTable:
    groups = list(dict.fromkeys(table["age_group"]))
    by_sex = {}
    for sex in SEX_KEYS:
        part = table[table["sex"] == sex].set_index("age_group").loc[groups]
        by_sex[sex] = LevelPrevalence(**{name: part[name].astype(float).tolist()
                                         for name in CARE_LEVELS})
    return PrevalenceTable(age_groups=groups, **by_sex)


@functools.lru_cache(maxsize=1)
def packaged_recovery_rates() -> tuple[TransitionRate, ...]:
    """The packaged default recovery rates (``care_need_recovery_rates.csv``)."""
    table = read_need_table("care_need_recovery_rates.csv")
    return tuple(TransitionRate(**{k: (float(v) if k == "rate_per_year" else str(v))
                                   for k, v in row.items()})
                 for row in table.to_dict(orient="records"))


def write_derived_tables(directory: Path | str) -> list[Path]:
    """Write ``care_need_prevalence.csv`` and ``care_need_recovery_rates.csv`` (update step).

    Parameters
    ----------
    directory : path
        Usually ``carefacility/data``; review the diff before committing.

    Returns
    -------
    list of pathlib.Path
        The files written.
    """
    directory = Path(directory)
    lines = [
        "# Derived by carefacility.need.spec.derive_prevalence from care_need_defaults.csv "
        "(rows cited by key in need_spec.py) and the 2020 census weights "
        "(care_need_weights_*.csv); regenerate with `python -m carefacility.need.spec`.",
        "# Method: logit-linear age curve per tier (dependent D, broad B = partially dependent "
        "+ dependent, dementia M): logit p = alpha + delta[female] + beta (age - 60) at group "
        "midpoints (90+: 92.5); beta from the age rows, delta from the sex rows, alpha from the "
        "headline; levels: dementia = M, dependent = D (1 - M), partially_dependent = "
        "(B - D)(1 - M) (dementia takes precedence; ASSUMPTION: ADL and dementia independent).",
    ]
    frames = []
    for definition in DEFINITIONS:
        levels, parameters = _derive(definition)
        text = ", ".join(f"{k} = {v:.6g}" for k, v in parameters.items())
        lines.append(f"# {definition}: {text}")
        for s, sex in enumerate(SEX_KEYS):
            frame = pd.DataFrame(levels[s], columns=list(CARE_LEVELS))
            frame.insert(0, "sex", sex)
            frame.insert(0, "age_group", list(DEFAULT_AGE_GROUPS))
            frame.insert(0, "definition", definition)
            frames.append(frame)
    lines.append("# Values: fraction of the age-sex group at each level; independent = 1 - sum.")
    prevalence_path = directory / "care_need_prevalence.csv"
    body = pd.concat(frames).to_csv(index=False, float_format="%.10g", lineterminator="\n")
    prevalence_path.write_text("\n".join(lines) + "\n" + body, encoding="utf-8")
    rates = derive_recovery_rates()
    recovery_path = directory / "care_need_recovery_rates.csv"
    header = [
        "# Derived by carefacility.need.spec.derive_recovery_rates from "
        "care_need_transition_matrices_clhls_hindawi2022.csv (Hindawi Math Probl Eng 2022, "
        "art. 7980111, Table 4, CLHLS 1-year matrices); regenerate with "
        "`python -m carefacility.need.spec`.",
        "# Method: generator = real matrix logarithm of each published 1-year matrix (rows "
        "normalised), negative off-diagonals clipped to 0; state 2->1 and 3->2 rates smoothed "
        "by one log-linear least-squares line in age (both sexes pooled), evaluated at the "
        "group midpoints (60-64 extrapolated). ASSUMPTION: states 1/2/3 = independent / "
        "partially dependent / dependent.",
        "# rate_per_year: transitions per person-year at the from_level.",
    ]
    frame = pd.DataFrame([rate.model_dump() for rate in rates])
    body = frame.to_csv(index=False, float_format="%.10g", lineterminator="\n")
    recovery_path.write_text("\n".join(header) + "\n" + body, encoding="utf-8")
    return [prevalence_path, recovery_path]


# --------------------------------------------------------------------------------------------
# models
# --------------------------------------------------------------------------------------------
class LevelPrevalence(_Section):
    """Prevalence of the care levels for one sex, one value per age group [fraction]."""

    partially_dependent: list[Fraction] = Field(
        description="Share of the age-sex group partially dependent (半失能) [fraction].")
    dependent: list[Fraction] = Field(
        description="Share of the age-sex group dependent (失能) [fraction].")
    dementia: list[Fraction] = Field(
        description="Share of the age-sex group living with dementia (失智) [fraction].")


class PrevalenceTable(_Section):
    """Prevalence by age group and sex; ``independent`` is 1 minus the three levels."""

    age_groups: list[str] = Field(
        min_length=1,
        description='Contiguous age groups from 60, open last: "60-64", ..., "90+" [years].')
    male: LevelPrevalence = Field(description="Males [fraction].")
    female: LevelPrevalence = Field(description="Females [fraction].")


class LevelRates(_Section):
    """A rate for each care level [per person-year]."""

    independent: Rate = Field(0.0, description="Independent (自理) [per person-year].")
    partially_dependent: Rate = Field(
        0.0, description="Partially dependent (半失能) [per person-year].")
    dependent: Rate = Field(0.0, description="Dependent (失能) [per person-year].")
    dementia: Rate = Field(0.0, description="Living with dementia (失智) [per person-year].")

    def as_array(self) -> np.ndarray:
        """Values in :data:`LEVELS` order [per person-year]."""
        return np.array([getattr(self, name) for name in LEVELS], dtype=float)


class LevelRatios(_Section):
    """A ratio for each care level, relative to ``independent`` [ratio]."""

    independent: float = Field(1.0, gt=0, description="Independent [ratio].")
    partially_dependent: float = Field(1.0, gt=0, description="Partially dependent [ratio].")
    dependent: float = Field(1.0, gt=0, description="Dependent [ratio].")
    dementia: float = Field(1.0, gt=0, description="Living with dementia [ratio].")

    def as_array(self) -> np.ndarray:
        """Values in :data:`LEVELS` order [ratio]."""
        return np.array([getattr(self, name) for name in LEVELS], dtype=float)


class TransitionRate(_Section):
    """One transition rate between care levels for an age group and sex."""

    from_level: Level = Field(description="Level left.")
    to_level: Level = Field(description="Level entered (death comes from the life table).")
    age_group: str = Field("60+", description='Ages it applies to, e.g. "80-84" or "60+".')
    sex: Literal["male", "female", "both"] = Field("both", description="Sex it applies to.")
    rate_per_year: Rate = Field(description="Transitions per person-year at from_level.")


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
            "patterns: see need_spec module notes."),
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
            "half of all beds are empty (key vacancy_national); same rate at 60-64."),
    )
    bed_application_rate_80plus_per_year: LevelRates | None = Field(
        None,
        description="Optional rates for people aged 80+ [per person-year]. Default None = "
        "the same as bed_application_rate_per_year, an ASSUMPTION: the review found no "
        "admission figure by age.",
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
            "magnitude, not a measurement)."),
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


def need_problems(spec: NeedSpec) -> list[FieldProblem]:
    """Every problem of a need section that field validation cannot see.

    Checks: age groups (from 60, contiguous, last open), one value per age group, levels of an
    age group summing to at most 1, transition rows (no self-transition, no overlap, no solved
    transition with ``prevalence_consistent``), and the CSV paths not given together with the
    inline values they replace. Ranges (rates ≥ 0, fractions in [0, 1], ratios > 0) are
    enforced by the model itself (``pydantic.ValidationError``, a ``ValueError``).

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
            problems.append(table.problem(row_index, "sex",
                                          f"{sex!r} is not a sex; allowed: male, female"))
            continue
        if row["age_group"] not in groups:
            groups.append(row["age_group"])
        key = (row["age_group"], sex)
        if key in values:
            problems.append(table.problem(row_index, "age_group",
                                          f"age group {key[0]!r} appears twice for {sex}"))
            continue
        values[key] = [table.number(row_index, name, problems, minimum=0, maximum=1)
                       for name in CARE_LEVELS]
    for group in groups:
        for sex in SEX_KEYS:
            if (group, sex) not in values:
                problems.append(Problem(shown_as, 0, 0, "age_group",
                                        f"age group {group!r} has no row for {sex}"))
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
                problems.append(table.problem(row_index, column, f"{row[column]!r} is not a "
                                              f"level; allowed: {', '.join(LEVELS)}"))
                bad = True
        sex = row.get("sex") or "both"
        if sex not in ("male", "female", "both"):
            problems.append(table.problem(row_index, "sex",
                                          f"{sex!r}; allowed: male, female, both"))
            bad = True
        value = table.number(row_index, "rate_per_year", problems, minimum=0)
        if bad or math.isnan(value):
            continue
        rates.append(TransitionRate(from_level=row["from_level"], to_level=row["to_level"],
                                    age_group=row.get("age_group") or "60+", sex=sex,
                                    rate_per_year=value))
    return (None if problems else rates), problems


def resolve_need_tables(spec: NeedSpec, base_dir: Path | str
                        ) -> tuple[NeedSpec, list[Problem]]:
    """Read the CSV tables a need section names and return it with the tables inline.

    Parameters
    ----------
    spec : NeedSpec
    base_dir : path
        Directory of the scenario file; CSV paths are relative to it.

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
    if spec.prevalence_csv is not None:
        table, found = read_prevalence_csv(base / spec.prevalence_csv, spec.prevalence_csv)
        problems += found
        if table is not None:
            data["prevalence"] = table.model_dump()
            data.pop("prevalence_csv", None)
    if spec.transitions.rates_csv is not None:
        rates, found = read_transition_rates_csv(base / spec.transitions.rates_csv,
                                                 spec.transitions.rates_csv)
        problems += found
        if rates is not None:
            transitions = dict(data.get("transitions", {}))
            transitions["rates"] = [rate.model_dump() for rate in rates]
            transitions.pop("rates_csv", None)
            data["transitions"] = transitions
    if problems:
        return spec, problems
    return NeedSpec.model_validate(data), problems


if __name__ == "__main__":  # pragma: no cover - the deliberate update step of the derived CSVs
    target = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).parent / "data"
    for written in write_derived_tables(target):
        print(f"wrote {written}")
