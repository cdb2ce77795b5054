"""Prevalence at single ages, checked against a census row the derivation does not use."""

from __future__ import annotations

import numpy as np

from carefacility.need.defaults import source_rows
from carefacility.need.prevalence import AGES, prevalence_curve
from carefacility.need.spec import default_need_spec
from carefacility.population.lifetable import single_year_life_table


def test_dependent_curve_agrees_with_census_health_expectancy(mx_single: np.ndarray) -> None:
    """Check against a row not used in the derivation: the share of life after 60 lived unable
    to care for self in 2020 (Lu et al. 2023: 3.37 % men, 4.56 % women) from the stationary
    population of the WPP life table; accepted within -40 % / +20 %."""
    spec = default_need_spec()
    table = single_year_life_table(mx_single)
    person_years = np.concatenate([table.Lx[:, 60:100], table.Tx[:, 100:101]], axis=1)
    curve = prevalence_curve(spec, AGES + 0.5)
    unable = curve[..., 2] / (1 - curve[..., 3])  # undo the dementia precedence
    model = (person_years * unable).sum(axis=1) / person_years.sum(axis=1)
    rows = source_rows()
    lu = 1 - rows.loc[["dfle_share_2020_male", "dfle_share_2020_female"], "value"].to_numpy(
        float) / 100
    assert np.all(model > 0.6 * lu) and np.all(model < 1.2 * lu), (model, lu)
