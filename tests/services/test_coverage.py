"""Coverage of communities by sites, the exact daily loss law and the number of sites needed."""

from __future__ import annotations

import math

import numpy as np
import pytest
import scipy.stats

from carefacility.services.coverage import (
    coverage,
    expected_turned_away,
    expected_turned_away_share,
    sites_needed,
)

# --------------------------------------------------------------------------------------------
# coverage
# --------------------------------------------------------------------------------------------

# six communities in four zones; community 1 has no elders; zone 2 has no site
COMMUNITY_ZONE = [0, 0, 1, 1, 2, 3]
COMMUNITY_ELDERS = [100, 0, 50, 50, 200, 100]
SITE_ZONE = [0, 1, 1, 3]


def test_zone_coverage_by_hand():
    result = coverage(COMMUNITY_ZONE, COMMUNITY_ELDERS, SITE_ZONE, [True, False, False, True])
    # covered: zone 0 (communities 0, 1) and zone 3 (community 5)
    assert result["share_of_communities_covered"] == pytest.approx(3 / 6)
    assert result["share_of_elders_covered"] == pytest.approx(200 / 500)
    assert result["communities_without_service"].tolist() == [2, 3, 4]
    assert result["community_covered"].tolist() == [True, True, False, False, False, True]


def test_all_open_still_misses_the_zone_without_sites():
    result = coverage(COMMUNITY_ZONE, COMMUNITY_ELDERS, SITE_ZONE, [1, 1, 1, 1])
    assert result["communities_without_service"].tolist() == [4]
    assert result["share_of_communities_covered"] == pytest.approx(5 / 6)
    assert result["share_of_elders_covered"] == pytest.approx(300 / 500)


def test_a_community_without_elders_counts_as_a_community_not_in_the_elder_share():
    """Covering community 1 (0 elders) raises the community share, not the elder share."""
    catchments = [{0}, {2}, {3}, {5}]
    without = coverage(COMMUNITY_ZONE, COMMUNITY_ELDERS, SITE_ZONE, [1, 0, 1, 1], catchments)
    catchments[0] = {0, 1}
    with_ = coverage(COMMUNITY_ZONE, COMMUNITY_ELDERS, SITE_ZONE, [1, 0, 1, 1], catchments)
    assert without["share_of_communities_covered"] == pytest.approx(3 / 6)
    assert with_["share_of_communities_covered"] == pytest.approx(4 / 6)
    assert without["share_of_elders_covered"] == with_["share_of_elders_covered"]
    assert with_["share_of_elders_covered"] == pytest.approx(250 / 500)


def test_catchments_replace_zones():
    """With catchments, only listed communities of open sites are covered (zones ignored)."""
    catchments = [np.array([0, 1]), [2], [3, 4], []]
    result = coverage(
        COMMUNITY_ZONE, COMMUNITY_ELDERS, SITE_ZONE, [True, False, True, True], catchments
    )
    # site 1 (closed) would cover 2; site 2 covers 3 and 4 although 4 is in another zone
    assert result["communities_without_service"].tolist() == [2, 5]
    assert result["share_of_elders_covered"] == pytest.approx(350 / 500)


def test_degenerate_geographies():
    no_elders = coverage([0, 1], [0, 0], [0], [True])
    assert math.isnan(no_elders["share_of_elders_covered"])
    assert no_elders["share_of_communities_covered"] == 0.5
    no_sites = coverage([0, 1], [10, 30], [], [])
    assert no_sites["share_of_communities_covered"] == 0.0
    assert no_sites["share_of_elders_covered"] == 0.0
    no_communities = coverage([], [], [0], [True])
    assert math.isnan(no_communities["share_of_communities_covered"])


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (([0, 1], [10], [0], [True]), r"community_elders must have shape \(2,\)"),
        (([0, 1], [10, -1], [0], [True]), r"community_elders\[1\] must be ≥ 0"),
        (([0, 1.5], [10, 1], [0], [True]), r"community_zone\[1\] must be a whole number"),
        (([0, 1], [10, 1], [0, 1], [True]), r"site_open must have shape \(2,\)"),
        (([0, 1], [10, 1], [0], [2]), r"site_open\[0\] must be a bool"),
        (([0, 1], [10, 1], [0], [True], [[0], [1]]), r"one catchment per site \(1\)"),
        (
            ([0, 1], [10, 1], [0], [True], [[0, 2]]),
            r"site_communities\[0\]\[1\] = 2 but there are only 2 communities",
        ),
    ],
)
def test_coverage_rejects_bad_input(args, message):
    with pytest.raises(ValueError, match=message):
        coverage(*args)


# --------------------------------------------------------------------------------------------
# exact loss law
# --------------------------------------------------------------------------------------------


def direct_loss(mean: float, capacity: float) -> float:
    """E[(D − x)^+] by summing positive terms over the whole support that matters."""
    j = np.arange(int(mean + 40 * math.sqrt(mean) + 100))
    return float(np.sum(np.maximum(j - capacity, 0.0) * scipy.stats.poisson.pmf(j, mean)))


@pytest.mark.parametrize("mean", [0.3, 5.0, 30.0, 400.0])
@pytest.mark.parametrize("offset", [-4.0, -1.0, 0.0, 0.5, 1.0, 2.5, 6.0])
def test_loss_equals_the_direct_sum(mean, offset):
    """x = mean + offset standard deviations (including non-integer capacities)."""
    capacity = max(0.0, mean + offset * math.sqrt(mean))
    assert expected_turned_away(mean, capacity) == pytest.approx(
        direct_loss(mean, capacity), rel=1e-9, abs=1e-300
    )


@pytest.mark.parametrize("mean", [1e3, 1e5, 1e6])
def test_loss_is_accurate_for_large_means(mean):
    """Against 40-digit arithmetic, up to 12 standard deviations above the mean."""
    mpmath = pytest.importorskip("mpmath")
    mpmath.mp.dps = 40
    for z in (-3.0, 0.0, 1.0, 3.0, 6.0, 12.0):
        capacity = round(mean + z * math.sqrt(mean))
        m, k = mpmath.mpf(mean), capacity
        p_k = mpmath.exp(k * mpmath.log(m) - m - mpmath.loggamma(k + 1))
        tail = mpmath.gammainc(k + 1, 0, m, regularized=True)  # P(D > k)
        exact = float(m * p_k + (m - capacity) * tail)
        assert expected_turned_away(mean, capacity) == pytest.approx(exact, rel=1e-7)


def test_binomial_loss_equals_the_direct_sum():
    for users, probability, capacity in [
        (20, 0.5, 8),
        (50, 0.3, 15.5),
        (200, 0.9, 170),
        (5, 0.2, 0),
    ]:
        j = np.arange(users + 1)
        direct = np.sum(np.maximum(j - capacity, 0) * scipy.stats.binom.pmf(j, users, probability))
        value = expected_turned_away(users * probability, capacity, "binomial", users)
        assert value == pytest.approx(direct, rel=1e-12, abs=1e-15)


def test_share_edge_cases_and_vectorisation():
    assert expected_turned_away_share(0.0, 10) == 0.0
    assert expected_turned_away_share(7.0, 0) == pytest.approx(1.0)
    shares = expected_turned_away_share(np.array([[10.0, 20.0], [30.0, 40.0]]), 30)
    assert shares.shape == (2, 2)
    assert np.all(np.diff(shares.ravel()) > 0)


# --------------------------------------------------------------------------------------------
# sites needed
# --------------------------------------------------------------------------------------------


def brute_force_sites(mean: float, capacity: float, target: float) -> int:
    if mean == 0:
        return 0
    n = 0
    while min(1.0, direct_loss(mean, n * capacity) / mean) > target:  # share ≤ 1 exactly
        n += 1
    return n


MEANS = np.array([0.0, 0.5, 8.0, 35.0, 120.0, 333.0, 900.0])


@pytest.mark.parametrize("capacity", [10, 30, 45.5])
@pytest.mark.parametrize("target", [1.0, 0.2, 0.05, 0.01, 1e-4])
def test_sites_needed_equals_a_brute_force_search(capacity, target):
    expected = [brute_force_sites(m, capacity, target) for m in MEANS]
    assert sites_needed(MEANS, capacity, target).tolist() == expected


def test_sites_needed_is_monotone_in_the_target_and_meets_it():
    targets = np.array([0.5, 0.2, 0.1, 0.05, 0.02, 0.01, 1e-3, 1e-6])
    needed = sites_needed(MEANS[:, None], 30, targets[None, :])
    assert np.all(np.diff(needed, axis=1) >= 0)  # stricter target → never fewer sites
    assert np.all(np.diff(needed, axis=0) >= 0)  # more demand → never fewer sites
    share = expected_turned_away_share(MEANS[:, None], needed * 30)
    assert np.all(share <= targets)
    fewer = expected_turned_away_share(MEANS[1:, None], np.maximum(needed[1:] - 1, 0) * 30)
    assert np.all((fewer > targets) | (needed[1:] == 0))


def test_sites_needed_scalar_and_binomial():
    assert sites_needed(100.0, 30, 0.05) == 4
    assert isinstance(sites_needed(100.0, 30, 0.05), int)
    # 60 registered users attending with probability 0.5: at most 60 a day, so 2 sites of 30
    # turn nobody away, and 1 site turns away E[(D − 30)^+] / 30
    assert sites_needed(30.0, 30, 1e-9, "binomial", registered_users=60) == 2
    one = expected_turned_away_share(30.0, 30, "binomial", 60)
    assert sites_needed(30.0, 30, one, "binomial", registered_users=60) == 1


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"max_turned_away_share": 0.0}, r"max_turned_away_share must lie in \(0, 1\]"),
        ({"max_turned_away_share": [0.1, 1.5]}, r"max_turned_away_share\[1\] must lie in"),
        ({"capacity_per_site": 0}, r"capacity_per_site must be > 0"),
        ({"mean_daily_demand": [3.0, -1.0]}, r"mean_daily_demand\[1\] must be finite and ≥ 0"),
        ({"demand_model": "negbin"}, r"demand_model must be 'poisson' or 'binomial'"),
        ({"demand_model": "binomial"}, r"needs registered_users"),
    ],
)
def test_sites_needed_rejects_bad_input(kwargs, message):
    args = {"mean_daily_demand": 40.0, "capacity_per_site": 30, "max_turned_away_share": 0.05}
    with pytest.raises(ValueError, match=message):
        sites_needed(**{**args, **kwargs})
