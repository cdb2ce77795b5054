"""Daily community services (day-care centres, meal points) against exact laws and by hand.

Statistical checks use fixed seeds and tolerances from the exact sampling distribution: a
chi-square goodness-of-fit p-value > 0.001, or a 99.9 % normal confidence interval whose
standard error comes from the exact moments of the model (delta method for a ratio).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

import numpy as np
import pytest
import scipy.stats

from carefacility.queueing.erlang import erlang_b
from carefacility.services.coverage import expected_turned_away, expected_turned_away_share
from carefacility.services.engine import (
    ServiceReplicationResult,
    iter_service_days,
    simulate_services,
)
from carefacility.services.engine_spec import DAYS_PER_YEAR, ServiceSpec

Z_999 = scipy.stats.norm.ppf(0.9995)  # two-sided 99.9 % interval
HUGE = 10**6  # a capacity that never binds [places/day]


def days_of(spec: ServiceSpec, field: str, seed: int = 1, chunk_days: int = 365) -> np.ndarray:
    """One site-day (or zone-day) field of a whole run, shape (n_days, ...)."""
    chunks = iter_service_days(spec, seed, 0, chunk_days=chunk_days)
    return np.concatenate([getattr(chunk, field) for chunk in chunks])


def chi_square_pvalue(sample: np.ndarray, pmf) -> float:
    """Goodness of fit of integer ``sample`` to ``pmf`` (no fitted parameters).

    Cells are the values whose expected count is ≥ 5, plus one cell for each tail.
    """
    n = sample.size
    values = np.arange(sample.max() + 200)
    expected = n * pmf(values)
    keep = np.flatnonzero(expected >= 5)
    low, high = keep[0], keep[-1]
    observed = np.bincount(np.clip(sample, low, high) - low, minlength=high - low + 1)
    cells = expected[low : high + 1].copy()
    cells[0] = expected[: low + 1].sum()  # lower tail: P(X ≤ low)
    cells[-1] = n - cells[:-1].sum()  # upper tail: whatever is left
    return float(scipy.stats.chisquare(observed, cells).pvalue)


def poisson_loss_moments(mean: float, capacity: float) -> tuple[float, float, float]:
    """``E[T]``, ``E[T²]`` and ``E[T D]`` for ``D ~ Poisson(mean)``, ``T = (D − capacity)^+``."""
    j = np.arange(int(mean + 40 * np.sqrt(mean) + 50))
    p = scipy.stats.poisson.pmf(j, mean)
    t = np.maximum(j - capacity, 0.0)
    return float(t @ p), float(t**2 @ p), float((t * j) @ p)


def ratio_interval(sites: list[tuple[float, float]], n_days: int) -> tuple[float, float]:
    """Exact turned-away share and its standard error over ``n_days`` days.

    ``sites`` lists independent Poisson demands ``(mean, capacity)`` summed each day (sites
    without overflow, or one pooled zone). The estimator is ``Σ T / Σ D``; its standard error
    is the delta-method one with exact moments: ``sqrt(Var(T − r D) / n) / E[D]``.
    """
    total_mean = sum(mean for mean, _ in sites)
    share = sum(expected_turned_away(mean, cap) for mean, cap in sites) / total_mean
    variance = 0.0
    for mean, capacity in sites:
        t1, t2, td = poisson_loss_moments(mean, capacity)
        # Var(T − rD) = Var T − 2 r Cov(T, D) + r² Var D, with Var D = mean
        variance += (t2 - t1**2) - 2 * share * (td - t1 * mean) + share**2 * mean
    return share, float(np.sqrt(variance / n_days) / total_mean)


def one_site_per_zone(n_zones: int, mean: float, capacity: int, **kwargs) -> ServiceSpec:
    """``n_zones`` independent copies of a one-site zone (many site-days per year)."""
    return ServiceSpec(
        kind="meal_point",
        site_zone=np.arange(n_zones),
        capacity_per_day=np.full(n_zones, capacity),
        expected_users_per_day=np.full((kwargs.pop("n_years", 5), n_zones), mean),
        **kwargs,
    )


# --------------------------------------------------------------------------------------------
# Daily demand law
# --------------------------------------------------------------------------------------------


def test_uncapped_poisson_demand_split_by_capacity_follows_its_poisson_law():
    """Zone demand 40/day over sites of capacity 1:3 → site demand Poisson(10) and Poisson(30)."""
    spec = ServiceSpec(
        kind="meal_point",
        site_zone=[0, 0],
        capacity_per_day=[HUGE, 3 * HUGE],
        expected_users_per_day=np.full((6, 1), 40.0),
    )
    demand = days_of(spec, "site_demand")
    for site, mean in enumerate([10.0, 30.0]):
        pvalue = chi_square_pvalue(demand[:, site], lambda k, m=mean: scipy.stats.poisson.pmf(k, m))
        print(
            f"site {site}: chi-square vs Poisson({mean:g}) over {demand.shape[0]} days, "
            f"p = {pvalue:.3f}"
        )
        assert pvalue > 0.001
    # the zone total is Poisson(40) (Poisson splitting)
    pvalue = chi_square_pvalue(demand.sum(axis=1), lambda k: scipy.stats.poisson.pmf(k, 40.0))
    print(f"zone total: chi-square vs Poisson(40), p = {pvalue:.3f}")
    assert pvalue > 0.001


def test_uncapped_binomial_demand_follows_its_binomial_law():
    """50 registered users, attendance 0.3, sites 3:2 → Bin(30, .3), Bin(20, .3), Bin(50, .3)."""
    spec = ServiceSpec(
        kind="day_centre",
        site_zone=[0, 0],
        capacity_per_day=[3 * HUGE, 2 * HUGE],
        demand_model="binomial",
        registered_users=np.full((6, 1), 50),
        attendance_probability=0.3,
    )
    demand = days_of(spec, "site_demand")
    for name, sample, users in [
        ("site 0", demand[:, 0], 30),
        ("site 1", demand[:, 1], 20),
        ("zone", demand.sum(axis=1), 50),
    ]:
        pvalue = chi_square_pvalue(sample, lambda k, n=users: scipy.stats.binom.pmf(k, n, 0.3))
        print(f"{name}: chi-square vs Binomial({users}, 0.3), p = {pvalue:.3f}")
        assert pvalue > 0.001


def test_binomial_users_are_apportioned_in_whole_numbers_that_add_up():
    """With attendance 1 the site demand is the apportioned users: 10 over 1:1:1 → 3, 4, 3."""
    spec = ServiceSpec(
        kind="day_centre",
        site_zone=[0, 0, 0, 1],
        capacity_per_day=[HUGE, HUGE, HUGE, HUGE],
        demand_model="binomial",
        registered_users=[[10, 7]],
        attendance_probability=1.0,
        expected_users_per_day=[[10.0, 7.0]],
    )
    demand = days_of(spec, "site_demand")
    assert np.all(demand == [3, 4, 3, 7])


# --------------------------------------------------------------------------------------------
# Loss: exact partial expectation, pooling, and why it is not Erlang B
# --------------------------------------------------------------------------------------------


def test_capped_site_turns_away_the_exact_poisson_partial_expectation():
    """One site, c = 30, daily demand Poisson(30): turned away = E[(D − 30)^+] / E[D]."""
    spec = one_site_per_zone(20, mean=30.0, capacity=30)
    result = simulate_services(spec, seed=3, replication=0)
    simulated = result.zone_turned_away.sum() / result.zone_demand.sum()
    n_days = int(result.site_open_days.sum())
    exact, se = ratio_interval([(30.0, 30)], n_days)
    print(
        f"turned away: simulated {simulated:.5f}, exact {exact:.5f} ± {Z_999 * se:.5f} "
        f"(99.9 %), {n_days} site-days"
    )
    assert abs(simulated - exact) <= Z_999 * se
    # the simulated yearly share is the KPI
    assert np.allclose(
        result.turned_away_share, result.zone_turned_away.sum(1) / result.zone_demand.sum(1)
    )


def test_daily_loss_is_not_erlang_b():
    """Erlang B(30, 30) ≈ 0.132 is far outside the CI of the daily loss ≈ 0.073.

    Erlang B is the loss of a pool whose users hold places for a random time; daily visits
    release every place at night, so the exact loss is the Poisson partial expectation.
    """
    spec = one_site_per_zone(20, mean=30.0, capacity=30)
    result = simulate_services(spec, seed=3, replication=0)
    simulated = result.zone_turned_away.sum() / result.zone_demand.sum()
    _, se = ratio_interval([(30.0, 30)], int(result.site_open_days.sum()))
    blocking = erlang_b(30, 30.0)
    print(f"Erlang B {blocking:.4f} vs simulated daily loss {simulated:.4f} (se {se:.5f})")
    assert abs(simulated - blocking) > 20 * Z_999 * se
    assert expected_turned_away_share(30.0, 30) < blocking


def two_site_zones(overflow: str, n_zones: int = 20) -> ServiceSpec:
    """Zones of two sites (20 and 15 places) facing Poisson(38) a day."""
    return ServiceSpec(
        kind="meal_point",
        site_zone=np.repeat(np.arange(n_zones), 2),
        capacity_per_day=np.tile([20, 15], n_zones),
        expected_users_per_day=np.full((5, n_zones), 38.0),
        overflow=overflow,
    )


def test_zone_overflow_pools_the_sites_of_a_zone():
    """overflow="zone": turned away = E[(D − (c1 + c2))^+] / E[D] with D ~ Poisson(38)."""
    result = simulate_services(two_site_zones("zone"), seed=5, replication=0)
    simulated = result.zone_turned_away.sum() / result.zone_demand.sum()
    n_days = int(result.zone_open_days.sum())
    exact, se = ratio_interval([(38.0, 35)], n_days)
    print(f"pooled: simulated {simulated:.5f}, exact {exact:.5f} ± {Z_999 * se:.5f}")
    assert abs(simulated - exact) <= Z_999 * se


def test_without_overflow_each_site_loses_on_its_own():
    """overflow="none": Σ_s E[(D_s − c_s)^+] / E[D], D_s ~ Poisson(38 c_s / 35) independent."""
    result = simulate_services(two_site_zones("none"), seed=5, replication=0)
    simulated = result.zone_turned_away.sum() / result.zone_demand.sum()
    n_days = int(result.zone_open_days.sum())
    exact, se = ratio_interval([(38.0 * 20 / 35, 20), (38.0 * 15 / 35, 15)], n_days)
    pooled = expected_turned_away_share(38.0, 35)
    print(
        f"unpooled: simulated {simulated:.5f}, exact {exact:.5f} ± {Z_999 * se:.5f}; "
        f"pooled would be {pooled:.5f}"
    )
    assert abs(simulated - exact) <= Z_999 * se
    assert exact > pooled


def test_zone_overflow_moves_whole_visits_within_capacity_every_day():
    """Each day: sites serve ≤ capacity, the zone turns away exactly (D − C)^+, nothing leaks."""
    spec = replace(
        two_site_zones("zone", n_zones=6),
        site_zone=[0, 1, 2, 3, 4, 5] * 2,
        capacity_per_day=[20] * 6 + [15] * 6,
    )  # sites not in zone order
    for chunk in iter_service_days(spec, seed=2, replication=0, chunk_days=100):
        capacity = np.where(chunk.site_open, spec.capacity_per_day, 0)
        assert np.all(chunk.site_served <= capacity)
        assert np.all(chunk.site_turned_away <= chunk.site_demand)
        zone = spec.site_zone
        zone_demand = np.stack([chunk.site_demand[:, zone == z].sum(1) for z in range(6)], 1)
        zone_served = np.stack([chunk.site_served[:, zone == z].sum(1) for z in range(6)], 1)
        zone_turned = np.stack([chunk.site_turned_away[:, zone == z].sum(1) for z in range(6)], 1)
        assert np.array_equal(zone_served, np.minimum(zone_demand, chunk.zone_capacity))
        assert np.array_equal(zone_turned, zone_demand - zone_served)
        # a site turns visits away only when the zone has no spare place left
        assert np.all((chunk.site_turned_away == 0) | (chunk.site_served == capacity))


# --------------------------------------------------------------------------------------------
# Calendar: weekdays, closure days, sites opening and closing
# --------------------------------------------------------------------------------------------


def calendar_spec() -> ServiceSpec:
    """Day centres Mon–Fri from Wed 2025-01-01; zone 0: A always, B from day 100, C until day
    198 (a Friday); zone 1: D from day 400; zone 2: no site. Holidays: days 0, 10, 366."""
    return ServiceSpec(
        kind="day_centre",
        site_zone=[0, 0, 0, 1],
        capacity_per_day=[HUGE, HUGE, HUGE, HUGE],
        expected_users_per_day=np.full((2, 3), 20.0),
        open_from_day=[0, 100, 0, 400],
        open_until_day=[np.inf, np.inf, 198, np.inf],
        open_weekdays=[True] * 5 + [False] * 2,
        first_weekday=2,
        closure_days=[0, 10, 366],
        first_year=2025,
    )


def expected_open_mask(spec: ServiceSpec) -> np.ndarray:
    """Open site-days computed independently with the calendar module."""
    start = dt.date(2025, 1, 1)
    mask = np.zeros((spec.n_days, spec.n_sites), dtype=bool)
    for day in range(spec.n_days):
        weekday_open = (start + dt.timedelta(days=day)).weekday() < 5
        for site in range(spec.n_sites):
            in_service = spec.open_from_day[site] <= day < spec.open_until_day[site]
            mask[day, site] = in_service and weekday_open and day not in (0, 10, 366)
    return mask


def test_sites_open_exactly_on_their_days():
    spec = calendar_spec()
    expected = expected_open_mask(spec)
    for chunk_days in (365, 50):
        assert np.array_equal(days_of(spec, "site_open", chunk_days=chunk_days), expected)
    # build / closure boundaries are exact: B opens on day 100 (a Friday), C's last day is 197
    assert expected[100, 1] and not expected[99, 1]
    assert expected[197, 2] and not expected[198, 2]
    result = simulate_services(spec, seed=1, replication=0)
    for year in range(2):
        days = slice(year * DAYS_PER_YEAR, (year + 1) * DAYS_PER_YEAR)
        assert np.array_equal(result.site_open_days[year], expected[days].sum(axis=0))
        assert np.array_equal(result.site_capacity_offered[year], HUGE * expected[days].sum(axis=0))


def test_closed_days_count_no_demand_and_zones_without_a_site_count_unserved():
    """Weekends and holidays: nothing wanted, nothing unmet. No site in service: all unmet."""
    spec = calendar_spec()
    open_mask = expected_open_mask(spec)
    demand = days_of(spec, "site_demand")
    no_site = days_of(spec, "zone_demand_no_site")
    assert np.all(demand[~open_mask] == 0)
    service_day = np.array(
        [
            (dt.date(2025, 1, 1) + dt.timedelta(days=d)).weekday() < 5 and d not in (0, 10, 366)
            for d in range(spec.n_days)
        ]
    )
    days = np.arange(spec.n_days)
    # zone 0 always has a site in service: never unserved for lack of a site, even at weekends
    assert np.all(no_site[:, 0] == 0)
    # zone 1 until day 400 and zone 2 always: demand only on service days
    zone_1_without = service_day & (days < 400)
    assert np.all(no_site[~zone_1_without, 1] == 0)
    assert np.all(no_site[~service_day, 2] == 0)
    result = simulate_services(spec, seed=1, replication=0)
    for year in range(2):
        in_year = (days // DAYS_PER_YEAR) == year
        assert result.zone_days_without_site[year, 1] == (zone_1_without & in_year).sum()
        assert result.zone_days_without_site[year, 2] == (service_day & in_year).sum()
        assert result.zone_days_without_site[year, 0] == 0
    assert np.array_equal(result.zone_unserved_no_site[:, 0], [0, 0])
    assert np.all(result.zone_unserved_no_site[:, 2] > 0)
    # with capacity that never binds, the only losses are zones without a site
    assert np.all(result.zone_turned_away == 0)
    lost = result.zone_unserved_no_site.sum(1) / result.zone_demand.sum(1)
    assert np.allclose(result.turned_away_share, lost)


def test_per_site_weekdays_send_the_zone_demand_to_the_sites_open_that_day():
    """Site 0 opens Mon–Fri, site 1 Saturdays only: on Saturdays site 1 gets the zone demand."""
    weekdays = [[1, 1, 1, 1, 1, 0, 0], [0, 0, 0, 0, 0, 1, 0]]
    spec = ServiceSpec(
        kind="day_centre",
        site_zone=[0, 0],
        capacity_per_day=[HUGE, HUGE],
        expected_users_per_day=np.full((10, 1), 30.0),
        open_weekdays=weekdays,
    )
    demand = days_of(spec, "site_demand")
    weekday = np.arange(spec.n_days) % 7
    assert np.all(demand[weekday == 6] == 0)  # Sundays: nobody opens, nothing counted
    assert np.all(demand[weekday < 5, 1] == 0) and np.all(demand[weekday == 5, 0] == 0)
    saturdays = demand[weekday == 5, 1]
    pvalue = chi_square_pvalue(saturdays, lambda k: scipy.stats.poisson.pmf(k, 30.0))
    assert pvalue > 0.001
    assert simulate_services(spec, 1, 0).zone_days_without_site.sum() == 0


# --------------------------------------------------------------------------------------------
# Accounting and the result object
# --------------------------------------------------------------------------------------------


def mixed_spec(demand_model: str = "poisson", overflow: str = "zone") -> ServiceSpec:
    """Five zones (one without sites), sites out of zone order, staggered openings, loads ~1."""
    rng = np.random.default_rng(7)
    site_zone = np.array([2, 0, 1, 0, 2, 1, 0, 3, 2])
    capacity = np.array([20, 15, 30, 10, 0, 25, 12, 18, 22])
    demand = {"expected_users_per_day": rng.uniform(20, 60, (3, 5))}
    if demand_model == "binomial":
        demand = {
            "registered_users": rng.integers(40, 120, (3, 5)),
            "attendance_probability": rng.uniform(0.2, 0.6, (3, 5)),
        }
    return ServiceSpec(
        kind="meal_point",
        site_zone=site_zone,
        capacity_per_day=capacity,
        open_from_day=[0, 0, 200, 0, 0, 0, 500, 400, 0],
        open_until_day=[np.inf, 700, np.inf, np.inf, np.inf, np.inf, np.inf, np.inf, 900],
        open_weekdays=np.tile([True] * 6 + [False], (9, 1)) | (np.arange(9) % 2 == 0)[:, None],
        first_weekday=4,
        closure_days=[20, 21, 22, 400],
        demand_model=demand_model,
        overflow=overflow,
        **demand,
    )


@pytest.mark.parametrize("demand_model", ["poisson", "binomial"])
@pytest.mark.parametrize("overflow", ["none", "zone"])
def test_accounting_identities(demand_model, overflow):
    spec = mixed_spec(demand_model, overflow)
    result = simulate_services(spec, seed=11, replication=2)
    zone = spec.site_zone
    by_zone = np.zeros((result.n_years, result.n_zones), dtype=np.int64)
    for name in ("demand", "served", "turned_away", "capacity_offered"):
        by_zone[:] = 0
        np.add.at(by_zone, (slice(None), zone), getattr(result, f"site_{name}"))
        extra = result.zone_unserved_no_site if name == "demand" else 0
        assert np.array_equal(getattr(result, f"zone_{name}"), by_zone + extra), name
    assert np.array_equal(
        result.zone_demand,
        result.zone_served + result.zone_turned_away + result.zone_unserved_no_site,
    )
    assert np.all(result.site_served <= result.site_capacity_offered)
    assert np.array_equal(
        result.site_capacity_offered, result.site_open_days * spec.capacity_per_day
    )
    if overflow == "none":
        assert np.array_equal(result.site_demand, result.site_served + result.site_turned_away)
    assert result.zone_demand[:, 4].sum() == result.zone_unserved_no_site[:, 4].sum() > 0
    assert np.all(result.site_demand[:, 4] == 0)  # zero capacity: no demand


def test_p95_and_turn_away_days_match_the_daily_values():
    spec = mixed_spec()
    result = simulate_services(spec, seed=4, replication=0)
    chunks = list(iter_service_days(spec, seed=4, replication=0, chunk_days=73))
    capacity = np.concatenate([c.zone_capacity for c in chunks])
    site_demand = np.concatenate([c.site_demand for c in chunks])
    site_turned = np.concatenate([c.site_turned_away for c in chunks])
    zone_demand = np.stack([site_demand[:, spec.site_zone == z].sum(1) for z in range(5)], 1)
    zone_turned = np.stack([site_turned[:, spec.site_zone == z].sum(1) for z in range(5)], 1)
    for year in range(spec.n_years):
        days = slice(year * DAYS_PER_YEAR, (year + 1) * DAYS_PER_YEAR)
        open_ = capacity[days] > 0
        ratio = np.where(open_, zone_demand[days] / np.where(open_, capacity[days], 1), np.nan)
        for z in range(5):
            if open_[:, z].any():
                p95 = np.nanpercentile(ratio[:, z], 95)
                assert result.zone_p95_demand_to_capacity[year, z] == pytest.approx(p95, rel=1e-12)
            else:
                assert np.isnan(result.zone_p95_demand_to_capacity[year, z])
        assert np.array_equal(result.zone_days_with_turn_away[year], (zone_turned[days] > 0).sum(0))
        assert np.array_equal(result.zone_open_days[year], open_.sum(0))


def test_kpis_summary_and_tidy_frame():
    spec = replace(mixed_spec(), kind="day_centre", first_year=2026)
    result = simulate_services(spec, seed=1, replication=0)
    assert isinstance(result, ServiceReplicationResult)
    served, offered = result.zone_served.sum(1), result.zone_capacity_offered.sum(1)
    assert np.allclose(result.utilisation, served / offered)
    lost = (result.zone_turned_away + result.zone_unserved_no_site).sum(1)
    assert np.allclose(result.turned_away_share, lost / result.zone_demand.sum(1))
    summary = result.summary()
    assert list(summary.index) == [2026, 2027, 2028]
    assert np.allclose(summary["utilisation"], result.utilisation)

    frame = result.to_frame()
    assert list(frame.columns) == ["kind", "year", "zone", "site", "metric", "value", "unit"]
    assert set(frame["year"]) == {2026, 2027, 2028}
    row = frame.query("year == 2027 and site == 2 and metric == 'served'")
    assert row["value"].item() == result.site_served[1, 2] and row["zone"].item() == 1
    assert row["unit"].item() == "visits"
    row = frame.query("year == 2026 and zone == 3 and site == -1 and metric == 'capacity_offered'")
    assert row["value"].item() == result.zone_capacity_offered[0, 3]
    assert row["unit"].item() == "place_days"
    row = frame.query("year == 2028 and zone == -1 and metric == 'turned_away_share'")
    assert row["value"].item() == pytest.approx(result.turned_away_share[2])
    assert set(frame.loc[frame.metric == "p95_demand_to_capacity", "unit"]) == {"ratio"}
    meals = simulate_services(mixed_spec(), seed=1, replication=0).to_frame()
    assert set(meals.loc[meals.metric == "demand", "unit"]) == {"meals"}


# --------------------------------------------------------------------------------------------
# Random numbers
# --------------------------------------------------------------------------------------------

ARRAY_FIELDS = [
    f for f in ServiceReplicationResult.__dataclass_fields__ if f.startswith(("site_", "zone_"))
]


def same(a: ServiceReplicationResult, b: ServiceReplicationResult) -> bool:
    return all(np.array_equal(getattr(a, f), getattr(b, f), equal_nan=True) for f in ARRAY_FIELDS)


@pytest.mark.parametrize("demand_model", ["poisson", "binomial"])
def test_same_seed_same_numbers_and_chunk_size_does_not_matter(demand_model):
    spec = mixed_spec(demand_model, "zone")
    reference = simulate_services(spec, seed=9, replication=1)
    assert same(reference, simulate_services(spec, seed=9, replication=1))
    for chunk_days in (1, 30, 100):
        assert same(reference, simulate_services(spec, 9, 1, chunk_days=chunk_days))
    assert not np.array_equal(
        reference.zone_demand, simulate_services(spec, seed=9, replication=2).zone_demand
    )
    assert not np.array_equal(
        reference.zone_demand, simulate_services(spec, seed=10, replication=1).zone_demand
    )


def test_streams_are_named_by_kind():
    """Day centres and meal points of the same run draw from different streams."""
    spec = mixed_spec()
    meals = simulate_services(spec, seed=1, replication=0)
    centres = simulate_services(replace(spec, kind="day_centre"), seed=1, replication=0)
    assert not np.array_equal(meals.site_demand, centres.site_demand)


# --------------------------------------------------------------------------------------------
# Bad input
# --------------------------------------------------------------------------------------------

GOOD = {
    "kind": "meal_point",
    "site_zone": [0, 1, 1, 2],
    "capacity_per_day": [10, 20, 30, 40],
    "expected_users_per_day": np.full((2, 3), 10.0),
}
BINOMIAL = {
    **{k: v for k, v in GOOD.items() if k != "expected_users_per_day"},
    "demand_model": "binomial",
    "registered_users": np.full((2, 3), 40),
    "attendance_probability": np.full((2, 3), 0.25),
}


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"capacity_per_day": [10, 20, 30, -5]}, r"capacity_per_day\[3\] must be ≥ 0 \(got -5\)"),
        ({"capacity_per_day": [10, 20, 30.5, 5]}, r"capacity_per_day\[2\] must be a whole"),
        ({"capacity_per_day": [10, 20, 30]}, r"capacity_per_day must have shape \(4,\)"),
        ({"site_zone": [0, 1, 3, 2]}, r"site_zone\[2\] = 3 but the demand arrays have only 3"),
        ({"site_zone": [0, -1, 1, 2]}, r"site_zone\[1\] must be ≥ 0 \(got -1\)"),
        ({"expected_users_per_day": [10.0, 20.0]}, r"expected_users_per_day must have shape"),
        (
            {"expected_users_per_day": [[1.0, -2.0, 1.0]]},
            r"expected_users_per_day\[0\]\[1\] must be ≥ 0 \(got -2\)",
        ),
        (
            {"expected_users_per_day": [[1.0, np.nan, 1.0]]},
            r"expected_users_per_day\[0\]\[1\] must be a number",
        ),
        ({"kind": "canteen"}, r"kind must be one of 'day_centre', 'meal_point'"),
        ({"overflow": "city"}, r"overflow must be one of 'none', 'zone'"),
        ({"demand_model": "negbin"}, r"demand_model must be one of"),
        ({"open_weekdays": [1, 1, 1, 1, 1]}, r"open_weekdays must have shape \(7,\) or"),
        ({"open_weekdays": [1, 1, 2, 1, 1, 0, 0]}, r"open_weekdays\[2\] must be a bool"),
        ({"first_weekday": 7}, r"first_weekday must lie in \[0, 6\] \(got 7\)"),
        ({"closure_days": [3, -1]}, r"closure_days\[1\] must be ≥ 0 \(got -1\)"),
        (
            {"open_from_day": [0, 400, 0, 0], "open_until_day": [np.inf, 300, np.inf, np.inf]},
            r"open_until_day\[1\] must be ≥ open_from_day\[1\] = 400 \(got 300\)",
        ),
        ({"open_from_day": [0, 0, 0]}, r"open_from_day must have shape \(4,\)"),
        (
            {"registered_users": np.full((2, 3), 40)},
            r"registered_users is used only with demand_model='binomial'",
        ),
    ],
)
def test_bad_input_names_the_field(changes, message):
    with pytest.raises(ValueError, match=message):
        ServiceSpec(**{**GOOD, **changes})


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        (
            {"attendance_probability": [[0.2, 1.5, 0.2], [0.2, 0.2, 0.2]]},
            r"attendance_probability\[0\]\[1\] must be ≤ 1 \(got 1.5\)",
        ),
        ({"attendance_probability": None}, r"needs attendance_probability"),
        (
            {"registered_users": [[40, 40.5, 40], [40, 40, 40]]},
            r"registered_users\[0\]\[1\] must be a whole number",
        ),
        (
            {"registered_users": np.full((2, 2), 40)},
            r"attendance_probability must have shape \(2, 2\) like registered_users",
        ),
        (
            {"expected_users_per_day": np.full((2, 3), 11.0)},
            r"expected_users_per_day\[0\]\[0\] must equal registered_users × attendance_prob",
        ),
    ],
)
def test_bad_binomial_input_names_the_field(changes, message):
    with pytest.raises(ValueError, match=message):
        ServiceSpec(**{**BINOMIAL, **changes})


def test_binomial_expected_users_default_to_the_product():
    spec = ServiceSpec(**BINOMIAL)
    assert np.array_equal(spec.expected_users_per_day, np.full((2, 3), 10.0))
    assert not spec.expected_users_per_day.flags.writeable


def test_bad_chunk_size():
    with pytest.raises(ValueError, match=r"chunk_days must be ≥ 1 \(got 0\)"):
        simulate_services(ServiceSpec(**GOOD), 1, 0, chunk_days=0)


def test_no_sites_at_all_leaves_every_zone_unserved():
    spec = ServiceSpec(
        kind="meal_point",
        site_zone=[],
        capacity_per_day=[],
        expected_users_per_day=np.full((1, 2), 5.0),
    )
    result = simulate_services(spec, 1, 0)
    assert np.array_equal(result.zone_unserved_no_site, result.zone_demand)
    assert np.all(result.turned_away_share == 1.0)
    assert np.all(np.isnan(result.utilisation))
