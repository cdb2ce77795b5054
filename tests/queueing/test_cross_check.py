"""Tests for carefacility.queueing.cross_check: the separate-pool check against the Erlang C
closed forms and the economy of scale of pooling, and the labels of explain_differences on
hand-made inputs."""

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st
from queueing_helpers import FAST

from carefacility.queueing.cross_check import (
    explain_differences,
    pool_queue_check,
    pooled_queue_check,
)
from carefacility.queueing.erlang import erlang_b, erlang_c, mmc_wait
from carefacility.queueing.transient import transient_occupancy_by_year

# --------------------------------------------------------------------------------------------
# Closed forms (exact rational arithmetic, small c)


# --------------------------------------------------------------------------------------------


def exact_erlang_c(servers: int, load: float) -> float:
    a = Fraction(load)
    waiting = a**servers / math.factorial(servers) * servers / (servers - a)
    idle = sum(a**k / math.factorial(k) for k in range(servers))
    return float(waiting / (idle + waiting))


def exact_erlang_b(servers: int, load: float) -> float:
    a = Fraction(load)
    terms = [a**k / math.factorial(k) for k in range(servers + 1)]
    return float(terms[-1] / sum(terms))


def pools_frame(year, kind, rates, stays, beds, names=None) -> pd.DataFrame:
    names = names or [f"{kind}-{i}" for i in range(len(rates))]
    return pd.DataFrame({"year": year, "pool": names, "kind": kind,
                         "arrival_rate_per_day": rates, "mean_stay_days": stays, "beds": beds})


# --------------------------------------------------------------------------------------------
# pool_queue_check


# --------------------------------------------------------------------------------------------


def test_each_pool_is_the_erlang_c_closed_form():
    threshold = 30.0
    rates, stays, beds = [0.05, 0.3, 0.02], [200.0, 90.0, 400.0], [12, 30, 10]
    table = pool_queue_check([2030], pools_frame(2030, "zone", rates, stays, beds), threshold)
    pools = table.loc[~table["is_combined"]].reset_index(drop=True)
    assert list(pools["pool"]) == ["zone-0", "zone-1", "zone-2"]
    for row, rate, stay, servers in zip(pools.itertuples(), rates, stays, beds, strict=True):
        load = rate * stay
        mu = 1.0 / stay
        prob_wait = exact_erlang_c(servers, load)
        assert row.offered_load_beds == pytest.approx(load, rel=1e-15)
        assert row.utilisation == pytest.approx(load / servers, rel=1e-15)
        assert row.prob_wait == pytest.approx(prob_wait, rel=1e-12)
        assert row.prob_wait == pytest.approx(erlang_c(servers, load), rel=1e-14)
        assert row.erlang_b_blocking == pytest.approx(exact_erlang_b(servers, load), rel=1e-12)
        assert row.mean_wait_days == pytest.approx(prob_wait / (servers * mu - rate), rel=1e-12)
        assert row.mean_wait_days == pytest.approx(mmc_wait(servers, rate, mu).mean_wait,
                                                   rel=1e-14)
        share = 1.0 - prob_wait * math.exp(-(servers * mu - rate) * threshold)
        assert row.share_served_within_threshold == pytest.approx(share, rel=1e-12)
        assert row.stable
        assert math.isnan(row.pooled_prob_wait)


def test_combined_row_is_the_applicant_weighted_mean_beside_one_pool():
    threshold = 14.0
    rates, stay, beds = np.array([0.1, 0.25, 0.05]), 100.0, [14, 30, 8]
    table = pool_queue_check([2031], pools_frame(2031, "home", rates, stay, beds), threshold)
    pools = table.loc[~table["is_combined"]]
    combined = table.loc[table["is_combined"]].iloc[0]
    assert combined["pool"] == "combined"
    assert combined["kind"] == "home"
    weights = rates / rates.sum()
    for name in ("prob_wait", "mean_wait_days", "share_served_within_threshold",
                 "erlang_b_blocking"):
        assert combined[name] == pytest.approx(float(weights @ pools[name].to_numpy()),
                                               rel=1e-14)
    assert combined["beds"] == sum(beds)
    assert combined["arrival_rate_per_day"] == pytest.approx(rates.sum())
    assert combined["offered_load_beds"] == pytest.approx(rates.sum() * stay)
    assert combined["mean_stay_days"] == pytest.approx(stay)
    assert combined["unstable_arrival_share"] == 0.0
    # the pooled figures: one M/M/c of all beds and applicants, in closed form
    load, servers, mu = rates.sum() * stay, sum(beds), 1.0 / stay
    pooled_wait = exact_erlang_c(servers, load)
    assert combined["pooled_prob_wait"] == pytest.approx(pooled_wait, rel=1e-12)
    assert combined["pooled_share_served_within_threshold"] == pytest.approx(
        1.0 - pooled_wait * math.exp(-(servers * mu - rates.sum()) * threshold), rel=1e-12)
    assert combined["pooled_erlang_b_blocking"] == pytest.approx(exact_erlang_b(servers, load),
                                                                 rel=1e-12)
    # ... which is pooled_queue_check's figure for the same totals
    reference = pooled_queue_check(np.array([2031]), np.array([rates.sum()]), np.array([stay]),
                                   np.array([servers]), threshold).iloc[0]
    assert combined["pooled_share_served_within_threshold"] == pytest.approx(
        reference["share_served_within_threshold"], rel=1e-14)


@pytest.mark.parametrize(("pools", "servers", "utilisation"),
                         [(2, 10, 0.8), (4, 25, 0.9), (10, 50, 0.95), (3, 200, 0.97)])
def test_identical_pools_lose_the_economy_of_scale(pools, servers, utilisation):
    # k identical M/M/c pools serve like one of them; pooled into one M/M/(kc) at the same
    # utilisation the probability of waiting is strictly lower (Erlang C falls with scale).
    stay, threshold = 365.0, 30.0
    rate = utilisation * servers / stay
    frame = pools_frame(2040, "zone", [rate] * pools, stay, [servers] * pools)
    combined = pool_queue_check([2040], frame, threshold).query("is_combined").iloc[0]
    single = erlang_c(servers, rate * stay)
    assert combined["prob_wait"] == pytest.approx(single, rel=1e-12)
    assert combined["pooled_prob_wait"] == pytest.approx(
        exact_erlang_c(pools * servers, pools * rate * stay), rel=1e-10)
    assert combined["pooled_prob_wait"] < single
    assert combined["pooled_share_served_within_threshold"] > (
        combined["share_served_within_threshold"])


@given(
    beds=st.lists(st.integers(1, 80), min_size=2, max_size=6),
    utilisations=st.lists(st.floats(0.01, 0.995), min_size=6, max_size=6),
    stay=st.floats(5.0, 2000.0),
    threshold=st.floats(0.0, 400.0),
)
@FAST
def test_separate_pools_never_beat_the_pooled_figure(beds, utilisations, stay, threshold):
    # Same mean stay in every pool: the applicant-weighted service level of the separate pools
    # is at most the pooled one (pooling only helps), and its P(wait) at least the pooled one.
    rates = [u * c / stay for u, c in zip(utilisations, beds, strict=False)]
    frame = pools_frame(2035, "bed_type", rates, stay, beds)
    combined = pool_queue_check([2035], frame, threshold).query("is_combined").iloc[0]
    pooled = pooled_queue_check(np.array([2035]), np.array([sum(rates)]), np.array([stay]),
                                np.array([sum(beds)]), threshold).iloc[0]
    tolerance = 1e-12
    assert combined["share_served_within_threshold"] <= (
        pooled["share_served_within_threshold"] + tolerance)
    assert combined["prob_wait"] >= pooled["prob_wait"] - tolerance
    assert combined["mean_wait_days"] >= pooled["mean_wait_days"] * (1 - tolerance)


def test_overloaded_pool_counts_at_its_limits_in_the_combined_row():
    threshold = 30.0
    # pool 0 is overloaded (load 12 > 10 beds), pool 1 is comfortable
    frame = pools_frame(2030, "zone", [0.12, 0.1], 100.0, [10, 20])
    table = pool_queue_check([2030], frame, threshold)
    overloaded = table.iloc[0]
    assert not overloaded["stable"]
    assert math.isnan(overloaded["prob_wait"])
    assert math.isnan(overloaded["share_served_within_threshold"])
    assert overloaded["erlang_b_blocking"] == pytest.approx(exact_erlang_b(10, 12.0), rel=1e-12)
    comfortable = table.iloc[1]
    combined = table.iloc[2]
    weight = 0.12 / 0.22
    assert not combined["stable"]
    assert combined["unstable_arrival_share"] == pytest.approx(weight)
    assert combined["prob_wait"] == pytest.approx(weight + (1 - weight)
                                                  * comfortable["prob_wait"])
    assert combined["share_served_within_threshold"] == pytest.approx(
        (1 - weight) * comfortable["share_served_within_threshold"])
    assert combined["mean_wait_days"] == math.inf
    # pooled, 22 Erlang on 30 beds is stable
    assert combined["pooled_prob_wait"] == pytest.approx(exact_erlang_c(30, 22.0), rel=1e-12)


def test_several_years_and_kinds_in_order():
    frame = pd.concat([
        pools_frame(2031, "zone", [0.1, 0.1], 50.0, [8, 8]),
        pools_frame(2030, "zone", [0.1, 0.1], 50.0, [8, 8]),
        pools_frame(2030, "bed_type", [0.15, 0.05], 50.0, [11, 5]),
        pools_frame(2030, "home", [0.0], 50.0, [0]),
        pools_frame(2029, "zone", [0.1], 50.0, [9]),  # a year not asked for: ignored
    ])
    table = pool_queue_check([2030, 2031], frame, 10.0)
    assert list(zip(table["year"], table["kind"], table["pool"], strict=True)) == [
        (2030, "zone", "zone-0"), (2030, "zone", "zone-1"), (2030, "zone", "combined"),
        (2030, "bed_type", "bed_type-0"), (2030, "bed_type", "bed_type-1"),
        (2030, "bed_type", "combined"), (2030, "home", "home-0"), (2030, "home", "combined"),
        (2031, "zone", "zone-0"), (2031, "zone", "zone-1"), (2031, "zone", "combined")]
    # a kind without applicants has no weighted figure
    assert math.isnan(table.iloc[7]["share_served_within_threshold"])
    # a mapping of arrays is accepted as well as a DataFrame
    as_mapping = pool_queue_check([2031], {c: frame[c].to_numpy() for c in frame.columns}, 10.0)
    pd.testing.assert_frame_equal(as_mapping, table.iloc[8:].reset_index(drop=True))


def test_pool_check_rejects_bad_input():
    good = pools_frame(2030, "zone", [0.1, 0.1], 50.0, [8, 8])
    with pytest.raises(ValueError, match="lacks the columns"):
        pool_queue_check([2030], good.drop(columns="kind"), 10.0)
    with pytest.raises(ValueError, match="repeats the pool"):
        pool_queue_check([2030], pd.concat([good, good.iloc[:1]]), 10.0)
    with pytest.raises(ValueError, match="whole numbers"):
        pool_queue_check([2030], good.assign(beds=[8.5, 8]), 10.0)
    with pytest.raises(ValueError, match="no pool in year 2031"):
        pool_queue_check([2031], good, 10.0)
    with pytest.raises(ValueError, match="mean_stay_days must be finite"):
        pool_queue_check([2030], good.assign(mean_stay_days=[0.0, 50.0]), 10.0)
    with pytest.raises(ValueError, match="threshold_days"):
        pool_queue_check([2030], good, -1.0)


def test_pooled_check_columns_unchanged():
    table = pooled_queue_check(np.array([2030]), np.array([1.0]), np.array([100.0]),
                               np.array([120]), 30.0)
    assert list(table.columns) == [
        "year", "arrival_rate_per_day", "mean_stay_days", "beds", "offered_load_beds",
        "beds_needed_p95", "erlang_b_blocking", "prob_wait", "mean_wait_days",
        "share_served_within_threshold"]
    assert table.iloc[0]["erlang_b_blocking"] == pytest.approx(erlang_b(120, 100.0))


# --------------------------------------------------------------------------------------------
# explain_differences on hand-made inputs


# --------------------------------------------------------------------------------------------


def simulated(years, mean, low, high) -> pd.DataFrame:
    return pd.DataFrame({"year": years, "mean": mean, "ci_low": low, "ci_high": high})


def pooled(years, share) -> pd.DataFrame:
    return pd.DataFrame({"year": years, "share_served_within_threshold": share})


def combined(year, kind, share) -> dict:
    return {"year": year, "kind": kind, "pool": "combined", "is_combined": True,
            "share_served_within_threshold": share}


def occupancy(years, load, lag, census) -> pd.DataFrame:
    return pd.DataFrame({"year": years, "stationary_load_beds": load, "lag_beds": lag,
                         "starting_census_effect_beds": census})


def test_fragmentation_explains_a_simulation_below_the_pooled_figure():
    pools = pd.DataFrame([combined(2030, "zone", 0.95), combined(2030, "bed_type", 0.9999),
                          {**combined(2030, "zone", 0.1), "is_combined": False}])
    out = explain_differences(simulated([2030], [0.944], [0.94], [0.948]),
                              pooled([2030], [0.9999998]), pools=pools).iloc[0]
    assert out["disagrees"]
    # bed types: 0.9999998 - 0.9999 = 1e-4 < half-width 0.004, not material
    assert out["causes"] == ("fragmentation:zone",)
    assert out["label"] == "zones (fragmentation): pooled 0.9999998 vs separate pools 0.950"
    assert out["counter_effects"] == ""


def test_no_cause_when_the_difference_is_within_the_ci():
    pools = pd.DataFrame([combined(2030, "home", 0.97)])
    occ = occupancy([2030], [900.0], [-20.0], [10.0])  # both below √900 = 30 beds
    # the pooled figure lies in the CI: agrees, whatever the other figures say
    agrees = explain_differences(simulated([2030], [0.96], [0.90], [0.99]),
                                 pooled([2030], [0.98]), pools=pools, occupancy=occ,
                                 restricted_bed_types=True).iloc[0]
    assert not agrees["disagrees"]
    assert agrees["causes"] == ()
    assert agrees["label"] == "agrees: pooled 0.980 within the simulated CI [0.900, 0.990]"
    # disagreement, but pooled - separate = 0.01 is within the half-width 0.02 and the
    # occupancy differences are within the tolerance: unexplained
    out = explain_differences(simulated([2030], [0.90], [0.88], [0.92]),
                              pooled([2030], [0.98]), pools=pools, occupancy=occ).iloc[0]
    assert out["disagrees"]
    assert out["causes"] == ()
    assert out["label"] == "unexplained: simulated 0.900 vs pooled 0.980"


def test_lag_explains_a_simulation_above_the_pooled_figure():
    occ = occupancy([2030, 2031], [10000.0, 10000.0], [-819.4, -50.0], [0.0, 0.0])
    out = explain_differences(simulated([2030, 2031], [0.99, 0.99], [0.985, 0.985],
                                        [0.995, 0.995]),
                              pooled([2030, 2031], [0.90, 0.90]), occupancy=occ)
    assert out.iloc[0]["causes"] == ("lag",)
    assert out.iloc[0]["label"] == "lag: occupancy 819 beds below the stationary load"
    # 50 beds is below √10000 = 100 beds: not material
    assert out.iloc[1]["causes"] == ()
    assert out.iloc[1]["label"].startswith("unexplained")
    # an explicit tolerance overrides the default
    strict = explain_differences(simulated([2031], [0.99], [0.985], [0.995]),
                                 pooled([2031], [0.90]), occupancy=occ.iloc[1:],
                                 occupancy_tolerance_beds=10.0).iloc[0]
    assert strict["causes"] == ("lag",)


def test_effects_pushing_the_other_way_are_counter_effects():
    pools = pd.DataFrame([combined(2030, "zone", 0.95)])
    occ = occupancy([2030], [10000.0], [-819.0], [300.0])
    out = explain_differences(simulated([2030], [0.944], [0.94], [0.948]),
                              pooled([2030], [0.9999998]), pools=pools, occupancy=occ,
                              restricted_bed_types=True).iloc[0]
    # below the pooled figure: fragmentation, bed types and a large starting census lower it;
    # the lag (occupancy below the stationary load) raises it
    assert out["causes"] == ("fragmentation:zone", "bed_types", "starting_census")
    assert out["label"] == (
        "zones (fragmentation): pooled 0.9999998 vs separate pools 0.950; bed types: "
        "eligibility restrictions split the beds into separate pools; starting census: "
        "occupancy 300 beds above the stationary load from the starting residents")
    assert out["counter_effects"] == "lag: occupancy 819 beds below the stationary load"


def test_starting_census_below_explains_a_simulation_above():
    occ = occupancy([2030], [400.0], [0.0], [-150.0])
    out = explain_differences(simulated([2030], [0.99], [0.98], [1.0]),
                              pooled([2030], [0.70]), occupancy=occ,
                              restricted_bed_types=True).iloc[0]
    assert out["causes"] == ("starting_census",)
    assert out["label"] == ("starting census: occupancy 150 beds below the stationary load "
                            "from the starting residents")
    assert out["counter_effects"] == ("bed types: eligibility restrictions split the beds into "
                                      "separate pools")


def test_a_sized_bed_type_split_replaces_the_flag():
    pools = pd.DataFrame([combined(2030, "bed_type", 0.93)])
    out = explain_differences(simulated([2030], [0.90], [0.89], [0.91]), pooled([2030], [0.99]),
                              pools=pools, restricted_bed_types=True).iloc[0]
    assert out["causes"] == ("fragmentation:bed_type",)
    assert out["label"] == "bed types (fragmentation): pooled 0.990 vs separate pools 0.930"


def test_missing_figures_are_not_compared():
    out = explain_differences(simulated([2030, 2031], [0.9, math.nan], [0.8, math.nan],
                                        [0.95, math.nan]),
                              pooled([2030, 2031], [math.nan, 0.9]))
    assert list(out["label"]) == ["not compared: no pooled share (overloaded pool)",
                                  "not compared: no simulated share"]
    assert not out["disagrees"].any()
    with pytest.raises(ValueError, match="pooled has no row"):
        explain_differences(simulated([2030], [0.9], [0.8], [0.95]), pooled([2031], [0.9]))
    with pytest.raises(ValueError, match="simulated lacks the columns"):
        explain_differences(pd.DataFrame({"year": [2030], "mean": [0.9]}),
                            pooled([2030], [0.9]))


def test_explain_from_the_checks_outputs():
    # End to end on the closed forms: 4 zones of 60 beds at 97 % utilisation each, pooled into
    # 240 beds, and growing demand from an empty start.
    stay, threshold, years = 365.0, 30.0, np.array([2030, 2031])
    rate_zone = 0.97 * 60 / stay
    frame = pd.concat([pools_frame(int(y), "zone", [rate_zone] * 4, stay, [60] * 4)
                       for y in years])
    pools = pool_queue_check(years, frame, threshold)
    pooled_table = pooled_queue_check(years, np.full(2, 4 * rate_zone), np.full(2, stay),
                                      np.full(2, 240), threshold)
    occ = transient_occupancy_by_year(years, np.full(2, 4 * rate_zone), stay,
                                      initial_census=4 * rate_zone * stay)
    separate = pools.query("is_combined")["share_served_within_threshold"].to_numpy()
    assert np.all(separate < pooled_table["share_served_within_threshold"].to_numpy())
    sim = simulated(years, separate, separate - 0.005, separate + 0.005)
    out = explain_differences(sim, pooled_table, pools=pools, occupancy=occ)
    assert all(causes == ("fragmentation:zone",) for causes in out["causes"])
    assert all(label.startswith("zones (fragmentation): pooled ") for label in out["label"])
