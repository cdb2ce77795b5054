"""Bed demand and resident dynamics, checked by hand and against the stock-flow stay."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from carefacility.need.defaults import read_need_table, source_rows
from carefacility.need.demand import bed_demand, resident_dynamics
from carefacility.need.levels import prevalence_array
from carefacility.need.spec import NeedSpec, default_need_spec


def test_bed_demand_on_a_hand_made_frame() -> None:
    spec = NeedSpec(bed_application_rate_per_year={
        "independent": 0.001, "partially_dependent": 0.01, "dependent": 0.05, "dementia": 0.02},
        bed_application_rate_80plus_per_year={
        "independent": 0.002, "partially_dependent": 0.02, "dependent": 0.1, "dementia": 0.04},
        bed_application_rate_60_64_per_year=None,  # 60-64 as 65-79
        low_income_share=0.1)
    frame = pd.DataFrame([
        (2030, "north", 70, "male", "dependent", 365.0),
        (2030, "north", 85, "female", "dependent", 730.0),
        (2030, "south", 62, "male", "independent", 3650.0),
        (2031, "north", 90, "male", "dementia", 100.0),
    ], columns=["year", "zone", "age", "sex", "level", "persons"])
    demand = bed_demand(frame, spec)
    assert demand.zones == ("north", "south")
    assert demand.arrival_rate_per_day.shape == (2, 2, 4)
    assert demand.arrival_rate_per_day[0, 0, 2] == (365.0 * 0.05 + 730.0 * 0.1) / 365
    assert demand.arrival_rate_per_day[0, 1, 0] == 3650.0 * 0.001 / 365
    assert demand.arrival_rate_per_day[1, 0, 3] == 100.0 * 0.04 / 365
    assert demand.share_80plus[0, 0, 2] == pytest.approx(73.0 / (18.25 + 73.0), rel=1e-15)
    assert demand.share_80plus[0, 1, 0] == 0.0
    assert np.all(demand.share_low_income == 0.1)
    assert demand.arrival_rate_per_day.sum() == pytest.approx(
        demand.frame["arrival_rate_per_day"].sum(), rel=1e-15)
    only_2031 = bed_demand(frame, spec, years=[2031])
    assert only_2031.arrival_rate_per_day.shape == (1, 2, 4)
    with pytest.raises(ValueError, match="not in need_frame"):
        bed_demand(frame, spec, years=[2040])


def test_ages_60_64_have_their_own_application_rates() -> None:
    rates = {"independent": 0.001, "partially_dependent": 0.01, "dependent": 0.05,
             "dementia": 0.02}
    frame = pd.DataFrame([
        (2030, "all", 64, "male", "dependent", 365.0),
        (2030, "all", 65, "male", "dependent", 365.0),
    ], columns=["year", "zone", "age", "sex", "level", "persons"])
    default = bed_demand(frame, NeedSpec(bed_application_rate_per_year=rates))
    # the default 60-64 rates are 0 (ASSUMPTION, see NeedSpec): only the 65-year-olds apply
    assert default.arrival_rate_per_day[0, 0, 2] == pytest.approx(365.0 * 0.05 / 365)
    own = bed_demand(frame, NeedSpec(bed_application_rate_per_year=rates,
                                     bed_application_rate_60_64_per_year={"dependent": 0.01}))
    assert own.arrival_rate_per_day[0, 0, 2] == pytest.approx(365.0 * 0.06 / 365)
    same = bed_demand(frame, NeedSpec(bed_application_rate_per_year=rates,
                                      bed_application_rate_60_64_per_year=None))
    assert same.arrival_rate_per_day[0, 0, 2] == pytest.approx(365.0 * 0.1 / 365)


def test_resident_dynamics_shapes_and_rows(mx_single: np.ndarray) -> None:
    dynamics = resident_dynamics(default_need_spec(), mx_single)
    generator = dynamics.resident_generator_per_day
    assert generator.shape == (2, 4, 4)
    np.testing.assert_allclose(generator.sum(axis=-1), 0, atol=1e-15)
    assert np.all(dynamics.resident_death_rate_per_day > 0)
    assert np.all(dynamics.resident_death_rate_per_day[1] > dynamics.resident_death_rate_per_day[0])
    assert dynamics.waiting_death_rate_60plus_per_day.shape == (4,)
    assert np.all(dynamics.band_ageing_rate_per_day > 0)
    assert np.all(np.isfinite(dynamics.expected_length_of_stay_days))


def test_default_discharge_rate_matches_the_stock_flow_stay(mx_single: np.ndarray) -> None:
    """The ASSUMPTION on discharge: mean stay of the default applicants ≈ residents /
    admissions (518.3万 beds × 52 % occupied over 0.268 %/year of census 65+) within 10 %."""
    spec = default_need_spec()
    rows = source_rows()
    residents = float(rows.loc["beds_registered_2022", "value"]) * (
        1 - float(rows.loc["vacancy_national", "value"]) / 100)
    census = read_need_table("care_need_weights_census2020.csv").set_index("age_group")
    over_65 = census.drop(index="60-64")[["male", "female"]].to_numpy().sum()
    target_years = residents / (-np.log(1 - 0.008) / 3 * over_65)
    p = prevalence_array(spec.prevalence)  # [2, 7, 4]
    weights = np.zeros((2, 7))  # persons by sex and default age group (85+ split by WPP)
    weights[:, :5] = census.iloc[:5][["male", "female"]].to_numpy().T
    tail = read_need_table("care_need_weights_wpp2024_85plus_2020.csv")
    for s, sex in enumerate(("male", "female")):
        share = tail[f"{sex}_thousands"].iloc[0] / tail[f"{sex}_thousands"].sum()
        weights[s, 5] = census.loc["85+", sex] * share
        weights[s, 6] = census.loc["85+", sex] * (1 - share)
    rates = np.tile(spec.bed_application_rate_per_year.as_array(), (7, 1))
    rates[0] = spec.bed_application_rate_60_64_per_year.as_array()  # 60-64: 0 by default
    applicants = weights[..., None] * p * rates
    by_band = np.stack([applicants[:, :4].sum(axis=(0, 1)), applicants[:, 4:].sum(axis=(0, 1))])
    stay_years = resident_dynamics(spec, mx_single).expected_length_of_stay_days / 365
    mean_stay = (stay_years * by_band).sum() / by_band.sum()
    assert mean_stay == pytest.approx(target_years, rel=0.10)
