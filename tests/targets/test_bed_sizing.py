"""The analytic methods against their definitions: Erlang C sizing, the average flow model as
the M(t)/M/∞ mean, lag-SIPP below SIPP under growth, the ratio method's arithmetic, mean stays
of the residents' chain."""

from __future__ import annotations

import math

import numpy as np
import pytest

from carefacility.beds import BedSpec, StayDistribution
from carefacility.queueing.erlang import erlang_c, mmc_wait, servers_for_wait
from carefacility.targets.bed_sizing import (
    NORM_BEDS_PER_1000_60PLUS,
    beds_per_indifference_zone,
    expected_stay_days,
    group_mean_stay_days,
    pool_beds,
    ratio_beds,
    servers_for_constraints,
)
from carefacility.targets.service_levels import ServiceConstraint

SHARE = ServiceConstraint("t", "share_served_within_threshold", ">=", 0.95, 0.005)


@pytest.mark.parametrize(("rate", "stay", "days", "level"),
                         [(1.0, 730.0, 30.0, 0.95), (4.0, 10.0, 2.0, 0.9),
                          (50.0, 365.0, 30.0, 0.8)])
def test_share_constraint_is_servers_for_wait(rate, stay, days, level):
    constraint = ServiceConstraint("t", "share_served_within_threshold", ">=", level, 0.005)
    assert servers_for_constraints(rate, stay, [constraint], days) == servers_for_wait(
        rate, 1 / stay, days, level)


def test_other_constraints_follow_the_mmc_formulas():
    rate, stay = 4.0, 10.0
    mu = 1 / stay
    p_wait = ServiceConstraint("p", "p_wait", "<=", 0.2, 0.005)
    beds = int(servers_for_constraints(rate, stay, [p_wait], 2.0))
    assert erlang_c(beds, rate * stay) <= 0.2 < erlang_c(beds - 1, rate * stay)
    mean_wait = ServiceConstraint("w", "wait_mean_days", "<=", 0.5, 1.0)
    beds = int(servers_for_constraints(rate, stay, [mean_wait], 2.0))
    assert mmc_wait(beds, rate, mu).mean_wait <= 0.5 < mmc_wait(beds - 1, rate, mu).mean_wait
    p95 = ServiceConstraint("q", "wait_p95_days", "<=", 1.0, 1.0)
    beds = int(servers_for_constraints(rate, stay, [p95], 2.0))
    assert mmc_wait(beds, rate, mu).wait_quantile(0.95) <= 1.0
    assert mmc_wait(beds - 1, rate, mu).wait_quantile(0.95) > 1.0
    queue = ServiceConstraint("n", "waiting_list_year_end", "<=", 3.0, 5.0)
    beds = int(servers_for_constraints(rate, stay, [queue], 2.0, waiting_list_share=0.5))
    assert mmc_wait(beds, rate, mu).mean_queue_length <= 1.5
    assert mmc_wait(beds - 1, rate, mu).mean_queue_length > 1.5
    # several constraints: the most demanding one
    both = int(servers_for_constraints(rate, stay, [p_wait, mean_wait], 2.0))
    assert both == max(servers_for_constraints(rate, stay, [c], 2.0)
                       for c in (p_wait, mean_wait))


def test_no_applicants_need_no_beds_and_unknown_constraints_no_answer():
    assert servers_for_constraints(0.0, 10.0, [SHARE], 30.0) == 0.0
    abandoned = ServiceConstraint("a", "abandoned_share", "<=", 0.01, 0.005)
    assert math.isnan(servers_for_constraints(1.0, 10.0, [abandoned], 30.0))


def test_afm_is_the_offered_load_at_a_stationary_start():
    years = np.array([2021, 2022, 2023])
    rate, stay = np.full(3, 2.0), np.full(3, 50.0)
    table = pool_beds(years, rate, stay, [SHARE], 30.0, initial_census=100.0)
    np.testing.assert_allclose(table["transient_mean_beds"], 100.0, rtol=1e-9)
    assert (table["afm"] == 100).all()
    # SIPP: Erlang C with the year's rate and stay
    assert (table["sipp"] == servers_for_wait(2.0, 1 / 50, 30.0, 0.95)).all()
    np.testing.assert_array_equal(table["sipp_lagged"], table["sipp"])


def test_under_growth_the_afm_and_lagged_sipp_lag_behind_the_stationary_figures():
    years = np.arange(2021, 2031)
    rate = np.linspace(1.0, 2.0, 10)
    stay = np.full(10, 700.0)
    # start at the load of the first year's rate, rising by a tenth a year
    table = pool_beds(years, rate, stay, [SHARE], 30.0, initial_census=700.0,
                      arrival_trend_per_day_per_day=(rate[1] - rate[0]) / 365)
    assert (table["transient_mean_beds"] < table["offered_load_beds"]).iloc[1:].all()
    assert (table["sipp_lagged"] <= table["sipp"]).all()
    assert (table["sipp_lagged"] < table["sipp"]).iloc[2:].all()
    assert table["afm"].is_monotonic_increasing


def test_ratio_method():
    np.testing.assert_array_equal(ratio_beds(np.array([10_000.0, 12_345.0]), 40.0),
                                  [400.0, 494.0])
    assert math.isnan(ratio_beds(np.array([np.nan]), 40.0)[0])
    assert NORM_BEDS_PER_1000_60PLUS == 40.0


def _spec(**changes) -> BedSpec:
    fields = dict(home_zone=[0], initial_capacity=[[10, 0, 0]],
                  arrival_rate_per_day=np.full((2, 1, 4), 0.25))
    fields.update(changes)
    return BedSpec(**fields)


def test_expected_stay_of_a_stay_distribution_is_its_mean():
    spec = _spec(stay_distribution=StayDistribution("exponential", mean_days=[10, 20, 30, 40]))
    np.testing.assert_allclose(expected_stay_days(spec), [[10, 20, 30, 40]] * 2)


def test_expected_stay_of_the_residents_chain_solves_the_absorption_equations():
    death = np.array([[0.01, 0.02, 0.04, 0.05], [0.03, 0.04, 0.06, 0.08]])
    ageing = np.array([0.002, 0.002, 0.001, 0.001])
    spec = _spec(resident_death_rate_per_day=death, band_ageing_rate_per_day=ageing)
    stay = expected_stay_days(spec)
    # band 1 (absorbing age band, no level changes): 1 / death
    np.testing.assert_allclose(stay[1], 1 / death[1])
    # band 0: τ0 = (1 + a τ1) / (a + d0)
    np.testing.assert_allclose(stay[0], (1 + ageing * stay[1]) / (ageing + death[0]))
    # level changes: independent becomes dependent at rate g; dependent dies at d2
    generator = np.zeros((4, 4))
    generator[0, 2], generator[0, 0] = 0.01, -0.01
    spec = _spec(resident_generator_per_day=generator,
                 resident_death_rate_per_day=[0.0, 0.02, 0.04, 0.05])
    stay = expected_stay_days(spec)
    np.testing.assert_allclose(stay[0, 0], 1 / 0.01 + 1 / 0.04)


def test_group_mean_stay_weights_levels_by_their_applicants():
    rate = np.zeros((1, 1, 4))
    rate[0, 0, 0], rate[0, 0, 2] = 3.0, 1.0
    spec = _spec(arrival_rate_per_day=rate,
                 stay_distribution=StayDistribution("exponential", mean_days=[10, 20, 30, 40]))
    np.testing.assert_allclose(group_mean_stay_days(spec, [0, 2]), [(3 * 10 + 30) / 4])
    assert np.isnan(group_mean_stay_days(spec, [1])[0])


def test_beds_per_indifference_zone():
    # one bed changes the share served a lot in a small pool: the tolerance is one bed
    assert beds_per_indifference_zone(4.0, 10.0, 2.0, 46, 0.005) == 1
    # a large pool: a bed changes it little; never more than 1 % of the beds
    big = beds_per_indifference_zone(10.0, 700.0, 30.0, 7300, 0.05)
    assert 1 <= big <= 73
    assert beds_per_indifference_zone(1.0, 10.0, 2.0, 5, 0.005) == 1  # unstable: 1
