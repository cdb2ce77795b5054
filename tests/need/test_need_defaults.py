"""The packaged defaults of the need section: traceable to the packaged source rows."""

from __future__ import annotations

import re

import numpy as np
import pydantic
import pytest
from scipy.special import logit

from carefacility.need import defaults as need_defaults
from carefacility.need import spec as need_spec
from carefacility.need.defaults import (
    DEFINITIONS,
    derive_application_rates,
    derive_prevalence,
    derive_recovery_rates,
    packaged_prevalence,
    packaged_recovery_rates,
    read_need_table,
    source_rows,
)
from carefacility.need.levels import prevalence_array
from carefacility.need.spec import NeedSpec, default_need_spec

MIDPOINTS = np.array([62.5, 67.5, 72.5, 77.5, 82.5, 87.5, 92.5])


def _weights() -> np.ndarray:
    """2020 census persons by sex and default age group, recomputed from the packaged CSVs."""
    census = read_need_table("care_need_weights_census2020.csv").set_index("age_group")
    wpp = read_need_table("care_need_weights_wpp2024_85plus_2020.csv").set_index("age_group")
    out = np.zeros((2, 7))
    for s, sex in enumerate(("male", "female")):
        out[s, :5] = census[sex].iloc[:5]
        tail = wpp[f"{sex}_thousands"]
        out[s, 5] = census.loc["85+", sex] * tail.iloc[0] / tail.sum()
        out[s, 6] = census.loc["85+", sex] * tail.iloc[1:].sum() / tail.sum()
    return out


def _crude(values: np.ndarray, mask: np.ndarray, by_sex: bool = False) -> np.ndarray:
    w = _weights()[:, mask]
    if by_sex:
        return (values[:, mask] * w).sum(axis=1) / w.sum(axis=1)
    return (values[:, mask] * w).sum() / w.sum()


def _tiers(definition: str) -> dict[str, np.ndarray]:
    """Undo the dementia precedence: dependent, broad (partially + dependent), dementia."""
    p = prevalence_array(packaged_prevalence(definition))  # [2, 7, 4]
    dementia = p[..., 3]
    return {"dependent": p[..., 2] / (1 - dementia),
            "broad": (p[..., 1] + p[..., 2]) / (1 - dementia), "dementia": dementia}


def _row(key: str) -> float:
    return float(source_rows().loc[key, "value"]) / 100


ALL = np.ones(7, dtype=bool)
OVER_65 = MIDPOINTS > 65


@pytest.mark.parametrize("definition", DEFINITIONS)
def test_packaged_prevalence_is_the_derivation(definition: str) -> None:
    packaged = prevalence_array(packaged_prevalence(definition))
    derived = prevalence_array(derive_prevalence(definition))
    np.testing.assert_allclose(packaged, derived, rtol=0, atol=1e-9)
    assert NeedSpec(definition=definition).prevalence == packaged_prevalence(definition)


def test_census_definition_reproduces_its_cited_rows() -> None:
    tiers = _tiers("census_self_care")
    assert _crude(tiers["dependent"], ALL) == pytest.approx(
        _row("dependent_census_2020_60plus"), abs=1e-9)
    assert _crude(tiers["broad"], ALL) == pytest.approx(_row("broad_survey_2015_60plus"),
                                                        abs=1e-9)
    male, female = _crude(tiers["dependent"], ALL, by_sex=True)
    assert female / male == pytest.approx(
        _row("dependent_shaanxi_2020_female") / _row("dependent_shaanxi_2020_male"), rel=1e-9)
    male, female = _crude(tiers["broad"], ALL, by_sex=True)
    assert female / male == pytest.approx(_row("broad_meta_female") / _row("broad_meta_male"),
                                          rel=1e-9)
    # age slope of the dependent tier = least-squares slope through the Shanghai 2010 rows
    shanghai = [_row(f"dependent_shanghai_2010_{k}") for k in ("60_64", "65_69", "70_74")]
    slope = np.polyfit([62.5, 67.5, 72.5], logit(shanghai), 1)[0]
    np.testing.assert_allclose(np.diff(logit(tiers["dependent"]), axis=1), 5 * slope, rtol=1e-9)


def test_clhls_definition_reproduces_its_cited_rows() -> None:
    tiers = _tiers("clhls_adl")
    dependent = _row("clhls_2011_moderate_65plus") + _row("clhls_2011_severe_65plus")
    assert _crude(tiers["dependent"], OVER_65) == pytest.approx(dependent, abs=1e-9)
    assert _crude(tiers["broad"] - tiers["dependent"], OVER_65) == pytest.approx(
        _row("clhls_2011_mild_65plus"), abs=1e-9)


@pytest.mark.parametrize("definition", DEFINITIONS)
def test_dementia_reproduces_its_cited_rows(definition: str) -> None:
    dementia = _tiers(definition)["dementia"]
    assert _crude(dementia, ALL) == pytest.approx(_row("dementia_2015_18_60plus"), abs=1e-9)
    male, female = _crude(dementia, OVER_65, by_sex=True)
    assert female / male == pytest.approx(
        _row("dementia_2019_65plus_female") / _row("dementia_2019_65plus_male"), rel=1e-9)
    slope = (logit(_row("dementia_2010_95_99")) - logit(_row("dementia_2010_65_69"))) / 30
    np.testing.assert_allclose(np.diff(logit(dementia), axis=1), 5 * slope, rtol=1e-9)


def test_recovery_rates_are_the_derivation_from_the_clhls_matrices() -> None:
    packaged = [rate.rate_per_year for rate in packaged_recovery_rates()]
    derived = [rate.rate_per_year for rate in derive_recovery_rates()]
    np.testing.assert_allclose(packaged, derived, rtol=1e-9)
    spec = default_need_spec()
    assert tuple(spec.transitions.rates) == packaged_recovery_rates()
    # recovery falls with age, as the CLHLS matrices (and Hou et al. 2019) say
    for start in (0, 7):
        assert np.all(np.diff(packaged[start:start + 7]) < 0)


def test_application_rates_reproduce_the_clhls_admission_hazard() -> None:
    spec = default_need_spec()
    rates = spec.bed_application_rate_per_year.as_array()
    assert rates[1] / rates[0] == pytest.approx(1.70)
    assert rates[3] / rates[0] == pytest.approx(1.53)
    p = prevalence_array(spec.prevalence)
    mean = _crude((p * rates).sum(axis=-1), OVER_65)
    assert mean == pytest.approx(-np.log(1 - 0.008) / 3, rel=1e-12)
    assert derive_application_rates(spec.prevalence) == spec.bed_application_rate_per_year


def _descriptions(model: type[pydantic.BaseModel]) -> dict[str, str]:
    return {name: field.description or "" for name, field in model.model_fields.items()}


def test_every_default_cites_a_source_row_or_says_assumption() -> None:
    keys = set(source_rows().index)
    documents = [need_spec.__doc__ or "", need_defaults.__doc__ or "",
                 *_descriptions(NeedSpec).values(),
                 *_descriptions(need_spec.TransitionSpec).values()]
    documents += [function.__doc__ or "" for function in (
        derive_prevalence, derive_recovery_rates, derive_application_rates)]
    text = " ".join(" ".join(documents).split())
    name = r"[a-z0-9]+_[a-z0-9_]*\*?"
    cited = {token for token in re.findall(rf"``({name})``", text)  # e.g. ``clhls_2011_*``
             if re.search(r"\d|\*", token)}
    for listing in re.findall(rf"\bkeys? ({name}(?:(?:, | and ){name})*)", text):
        cited |= set(re.split(r", | and ", listing))
    assert len(cited) >= 15
    for key in cited:
        if key.endswith("*"):
            assert any(k.startswith(key[:-1]) for k in keys), key
        else:
            assert key in keys, f"{key} is cited but not in care_need_defaults.csv"
    for name, description in _descriptions(NeedSpec).items():
        if name.endswith("_csv") or name in ("prevalence",):
            continue
        assert "key " in description or "ASSUMPTION" in description or "(see" in description, (
            name)
    assert "ASSUMPTION" in _descriptions(need_spec.TransitionSpec)["rates"]
    sources = read_need_table("care_need_defaults.csv")
    assert sources["source"].str.len().min() > 10
