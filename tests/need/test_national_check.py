"""The national check: China's population with the default need holds the published residents.

Published (care_need_params.md sections 3.1-3.2; rows ``beds_registered_2022`` and
``vacancy_national`` of care_need_defaults.csv): 518.3万 beds in registered institutions at the
end of 2022, about half of them occupied — about 259万 residents (DERIVED). The default need
model, applied to ``scenarios/china.yaml`` (UN WPP 2024, mid-year), gives the expected residents
of a year as the stationary balance applicants × expected stay (Little's law per care level
and age band; no simulation needed). It must come within 10 % of the published figure in
2020-2022.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from carefacility.need.calibration import stationary_residents
from carefacility.need.defaults import source_rows
from carefacility.need.demand import bed_demand, resident_dynamics
from carefacility.need.projection import project_need
from carefacility.need.spec import NeedSpec, default_need_spec
from carefacility.population.projection import project_population
from carefacility.scenario.loader import load_scenario

OCCUPANCY = 0.50
"""'≈50 %' (care_need_params.md section 0 and 3.2: national vacancy "above 48 %")."""


SCENARIOS = Path(__file__).resolve().parents[2] / "scenarios"


@pytest.fixture(scope="module")
def china():
    return project_population(load_scenario(SCENARIOS / "china.yaml").population)


def _residents(projection, spec: NeedSpec, year: int) -> float:
    years = np.sort(projection.population["year"].unique())
    need = project_need(projection.population, spec, projection.mx_single)
    demand = bed_demand(need, spec, [year])
    by_level = demand.arrival_rate_per_day[0].sum(axis=0)
    old = (demand.arrival_rate_per_day[0] * demand.share_80plus[0]).sum(axis=0)
    index = min(int(np.searchsorted(years, year)), len(projection.mx_single) - 1)
    dynamics = resident_dynamics(spec, projection.mx_single[index])
    return float(stationary_residents(np.stack([by_level - old, old]), dynamics).sum())


def test_default_need_holds_the_published_national_residents(china) -> None:
    published = float(source_rows().loc["beds_registered_2022", "value"]) * OCCUPANCY
    assert published == pytest.approx(2_591_500)
    spec = default_need_spec()
    for year in (2020, 2021, 2022):
        model = _residents(china, spec, year)
        assert model / published - 1 == pytest.approx(0.0, abs=0.10), (year, model)


def test_repeating_the_65plus_rates_at_60_64_overshoots(china) -> None:
    """Why the 60-64 rates have their own default: the 65+ rates repeated overshoot by > 25 %."""
    published = float(source_rows().loc["beds_registered_2022", "value"]) * OCCUPANCY
    old_rule = default_need_spec().model_copy(update={
        "bed_application_rate_60_64_per_year": None})
    assert _residents(china, old_rule, 2022) / published - 1 > 0.25
    description = NeedSpec.model_fields["bed_application_rate_60_64_per_year"].description
    assert "ASSUMPTION" in description
