"""The packaged defaults of the ``need:`` section, derived from cited sources.

**Where the defaults come from.** Every default is either computed from rows of the packaged
``carefacility/data/care_need_defaults.csv`` (a copy of the project's care-need review, each row
with its source; rows are cited below by their ``key``) or labelled ASSUMPTION with its reason.
Derived tables are packaged as CSVs (``care_need_prevalence.csv``,
``care_need_recovery_rates.csv``) and re-derived by the tests; regenerate them with
``python -m carefacility.need.defaults`` (into ``carefacility/data``, or into the folder given as
its argument) and review the diff. The bed application rates are derived when a section is built
(:func:`derive_application_rates`).

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
``dependent = π_D (1 - π_M)``, ``partially_dependent = (π_B - π_D)(1 - π_M)`` (the precedence
rule of :mod:`carefacility.need.spec`).
"""

from __future__ import annotations

import functools
import io
import math
import sys
from collections.abc import Sequence
from importlib import resources
from pathlib import Path

import numpy as np
import pandas as pd

from carefacility.need.levels import (
    CARE_LEVELS,
    LEVELS,
    SEX_KEYS,
    LevelPrevalence,
    LevelRates,
    PrevalenceTable,
    TransitionRate,
    prevalence_array,
)
from carefacility.population.ages import parse_age_group

__all__ = [
    "ADMISSION_RATE_65PLUS_PER_YEAR",
    "DEFAULT_AGE_GROUPS",
    "DEFINITIONS",
    "derive_application_rates",
    "derive_prevalence",
    "derive_recovery_rates",
    "packaged_prevalence",
    "packaged_recovery_rates",
    "read_need_table",
    "source_rows",
    "write_derived_tables",
]

DEFINITIONS: tuple[str, ...] = ("census_self_care", "clhls_adl")
"""Published disability definitions with packaged default prevalence."""

DEFAULT_AGE_GROUPS: tuple[str, ...] = (
    "60-64", "65-69", "70-74", "75-79", "80-84", "85-89", "90+"
)
"""Age groups of the packaged default tables."""

ADMISSION_RATE_65PLUS_PER_YEAR = -math.log(1.0 - 0.008) / 3.0
"""Mean admission hazard of people aged 65+, ``-ln(1 - 0.008) / 3`` [per person-year]:
3-year institutionalisation 0.8 % in CLHLS 2008-11 (key ``admission_3y_2008_11``)."""


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
    from scipy.special import expit  # scipy is imported where it is used: a fast `import`

    ages = np.array([_midpoint(label) for label in DEFAULT_AGE_GROUPS])
    return expit(alpha + np.array([[0.0], [delta]]) + beta * (ages - 60.0))


def _fit_tier(beta: float, female_to_male: float, ratio_mask: np.ndarray, target: float,
              target_mask: np.ndarray) -> tuple[float, float]:
    """Level ``α`` and female offset ``δ`` of a logit-linear curve with slope ``β``."""
    from scipy.optimize import brentq

    def alpha_for(delta: float) -> float:
        return brentq(lambda a: _crude(_curve(a, delta, beta), target_mask) - target, -30, 30)

    def ratio_gap(delta: float) -> float:
        male, female = _crude_by_sex(_curve(alpha_for(delta), delta, beta), ratio_mask)
        return female / male - female_to_male

    delta = brentq(ratio_gap, -5.0, 5.0, xtol=1e-14)
    return alpha_for(delta), delta


def _slopes(rows: pd.DataFrame) -> dict[str, float]:
    from scipy.special import logit

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
    import scipy.linalg

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
        "# Derived by carefacility.need.defaults.derive_prevalence from care_need_defaults.csv "
        "(rows cited by key in carefacility/need/defaults.py) and the 2020 census weights "
        "(care_need_weights_*.csv); regenerate with `python -m carefacility.need.defaults`.",
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
        "# Derived by carefacility.need.defaults.derive_recovery_rates from "
        "care_need_transition_matrices_clhls_hindawi2022.csv (Hindawi Math Probl Eng 2022, "
        "art. 7980111, Table 4, CLHLS 1-year matrices); regenerate with "
        "`python -m carefacility.need.defaults`.",
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


if __name__ == "__main__":  # pragma: no cover - the deliberate update step of the derived CSVs
    packaged = Path(__file__).resolve().parents[1] / "data"  # carefacility/data
    target = Path(sys.argv[1]) if len(sys.argv) > 1 else packaged
    for written in write_derived_tables(target):
        print(f"wrote {written}")
