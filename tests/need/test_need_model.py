"""Care-level chain, projected need and bed demand, checked against theory and by hand."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from scipy.stats import binom

from carefacility.base.streams import stream
from carefacility.need.model import (
    AGES,
    LEVELS,
    base_prevalence,
    bed_demand,
    care_level_generator,
    level_death_rates,
    open_age_mx,
    prevalence_curve,
    project_need,
    relative_risks,
    resident_dynamics,
    transition_probabilities,
)
from carefacility.need.spec import (
    NeedSpec,
    default_need_spec,
    prevalence_array,
    read_need_table,
    source_rows,
)
from carefacility.population import parse_age_group, read_reference_csv, single_year_mx
from carefacility.population.lifetable import single_year_life_table

WPP_AGE_STARTS = np.array([0, 1, *range(5, 101, 5)])


@pytest.fixture(scope="module")
def mx_single() -> np.ndarray:
    """UN WPP 2024 China 2020-2025 single-year death rates, shape (2, 131)."""
    table = read_reference_csv("china_wpp2024_mx5_all_periods.csv")
    table = table[table["period"] == "2020-2025"].copy()
    table["age"] = [parse_age_group(str(label))[0] for label in table["age_start"]]
    nmx = np.stack([table[table["sex"] == sex].sort_values("age")["nMx"].to_numpy()
                    for sex in ("male", "female")])
    return single_year_mx(nmx, WPP_AGE_STARTS)


def _still_spec(prevalence: dict | None = None) -> NeedSpec:
    """No transitions, equal death rates at every level."""
    extra = {} if prevalence is None else {"prevalence": prevalence}
    return NeedSpec(transitions={"method": "rates_only", "rates": []},
                    mortality_relative_risk={}, **extra)


def _population(years: range, zones: tuple[str, ...], seed: int = 1) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    rows = [(y, z, a, s, float(rng.integers(0, 5000)))
            for y in years for z in zones for a in range(55, 101) for s in ("male", "female")]
    return pd.DataFrame(rows, columns=["year", "zone", "age", "sex", "population"])


@pytest.mark.parametrize("definition", ["census_self_care", "clhls_adl"])
@pytest.mark.parametrize("basis", ["adl_mix", "independent"])
def test_level_death_rates_average_to_the_life_table(mx_single: np.ndarray, definition: str,
                                                     basis: str) -> None:
    spec = NeedSpec(definition=definition, dementia_mortality_basis=basis)
    level_mx = level_death_rates(spec, mx_single)
    weights = prevalence_curve(spec, AGES + 0.5)
    np.testing.assert_allclose((weights * level_mx).sum(axis=-1), open_age_mx(mx_single),
                               rtol=1e-12, atol=0)
    ratio = relative_risks(spec, weights)
    np.testing.assert_allclose(level_mx / level_mx[..., :1], ratio, rtol=1e-12)


def test_default_generator_is_a_valid_generator(mx_single: np.ndarray) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no onset rate clipped for the defaults
        generator = care_level_generator(default_need_spec(), mx_single)
    assert generator.shape == (2, 41, 5, 5)
    off = generator.copy()
    off[..., np.arange(5), np.arange(5)] = 0
    assert np.all(off >= 0)
    np.testing.assert_allclose(generator.sum(axis=-1), 0, atol=1e-12)
    assert np.all(generator[..., 4, :] == 0)  # death absorbing
    assert np.all(generator[..., 3, :3] == 0)  # dementia never left


def _simulate(generators: np.ndarray, states: np.ndarray, rng: np.random.Generator,
              record: tuple[int, ...]) -> dict[int, np.ndarray]:
    """Gillespie simulation of individuals, one piecewise-constant generator per year."""
    state = states.copy()
    counts = {}
    for year, matrix in enumerate(generators, start=1):
        clock = np.zeros(state.size)
        active = state != 4
        while active.any():
            who = np.flatnonzero(active)
            clock[who] += rng.exponential(1.0 / -matrix[state[who], state[who]])
            ended = clock[who] >= 1.0
            active[who[ended]] = False
            movers = who[~ended]
            jump = matrix[state[movers]].copy()
            jump[np.arange(movers.size), state[movers]] = 0.0
            cumulative = np.cumsum(jump / jump.sum(axis=1, keepdims=True), axis=1)
            draw = rng.random(movers.size)
            state[movers] = np.minimum((draw[:, None] > cumulative).sum(axis=1), 4)
            active[movers[state[movers] == 4]] = False
        if year in record:
            counts[year] = np.bincount(state, minlength=5)
    return counts


@pytest.mark.parametrize("sex", [0, 1])
def test_monte_carlo_individuals_reproduce_expm(mx_single: np.ndarray, sex: int) -> None:
    """20,000 people aged 70 followed 10 years: each state count at t = 1, 5, 10 lies in the
    exact binomial 99.9 % interval around n · (p0 Π expm(Q(70 + k)))."""
    spec = default_need_spec()
    generators = care_level_generator(spec, mx_single)[sex, 10:20]
    n = 20_000
    rng = stream(20240601, 0, f"test.need.monte_carlo.{sex}")
    start = np.append(base_prevalence(spec, [70])[sex, 0], 0.0)
    states = rng.choice(5, size=n, p=start)
    counts = _simulate(generators, states, rng, (1, 5, 10))
    distribution = start.copy()
    steps = transition_probabilities(generators)
    for year in range(1, 11):
        distribution = distribution @ steps[year - 1]
        if year in counts:
            low, high = binom.interval(0.999, n, distribution)
            assert np.all((counts[year] >= low) & (counts[year] <= high)), (
                year, counts[year], n * distribution)
    assert counts[10][4] > 0.1 * n  # deaths happened, so the test can fail on them


def test_prevalence_consistent_cohort_keeps_the_curve(mx_single: np.ndarray) -> None:
    spec = default_need_spec()
    steps = transition_probabilities(care_level_generator(spec, mx_single))
    curve = prevalence_curve(spec, AGES.astype(float))
    for sex in (0, 1):
        state = np.append(curve[sex, 0], 0.0)
        for k in range(40):
            state = state @ steps[sex, k]
            np.testing.assert_allclose(state[:4] / state[:4].sum(), curve[sex, k + 1],
                                       atol=2e-3)


def test_still_chain_gives_base_prevalence_times_population(mx_single: np.ndarray) -> None:
    flat = {"age_groups": ["60+"],
            "male": {"partially_dependent": [0.2], "dependent": [0.05], "dementia": [0.1]},
            "female": {"partially_dependent": [0.25], "dependent": [0.06],
                       "dementia": [0.12]}}
    spec = _still_spec(flat)
    population = _population(range(2020, 2026), ("a", "b"))
    need = project_need(population, spec, mx_single)
    expected = prevalence_array(spec.prevalence)[:, 0, :]  # [2, 4]
    pop60 = population[population["age"] >= 60].set_index(["year", "zone", "age", "sex"])
    merged = need.join(pop60, on=["year", "zone", "age", "sex"])
    share = expected[merged["sex"].map({"male": 0, "female": 1}).to_numpy(),
                     merged["level"].map(LEVELS.index).to_numpy()]
    np.testing.assert_allclose(merged["persons"], share * merged["population"], rtol=1e-12)


def test_still_chain_carries_cohorts_unchanged(mx_single: np.ndarray) -> None:
    spec = _still_spec()  # the default age-varying prevalence, no transitions, equal RRs
    population = _population(range(2020, 2031), ("a",))
    need = project_need(population, spec, mx_single)
    persons = need.set_index(["year", "zone", "sex", "age", "level"])["persons"]
    base = base_prevalence(spec)
    pop = population.set_index(["year", "zone", "sex", "age"])["population"]
    for year in (2020, 2024, 2030):
        for s, sex in enumerate(("male", "female")):
            for age in (60, 63, 75, 90, 100):
                cohort_age = max(age - (year - 2020), 60) if age < 100 else None
                if cohort_age is None:
                    continue
                for k, level in enumerate(LEVELS):
                    assert persons[(year, "a", sex, age, level)] == pytest.approx(
                        base[s, cohort_age - 60, k] * pop[(year, "a", sex, age)], rel=1e-12)


def test_persons_by_level_sum_to_the_population(mx_single: np.ndarray) -> None:
    population = _population(range(2020, 2031), ("a", "b", "c"))
    need = project_need(population, default_need_spec(), mx_single)
    total = need.groupby(["year", "zone"])["persons"].sum()
    expected = population[population["age"] >= 60].groupby(["year", "zone"])["population"].sum()
    np.testing.assert_allclose(total.to_numpy(), expected.loc[total.index].to_numpy(),
                               rtol=1e-12)
    assert need["persons"].min() >= 0


def test_stationary_population_keeps_its_need(mx_single: np.ndarray) -> None:
    """With a constant life-table population the 60+ level shares stay within 5 % (relative)
    of the base year over 20 years: the chain does not drift to another prevalence."""
    table = single_year_life_table(mx_single)
    person_years = np.concatenate([table.Lx[:, 60:100], table.Tx[:, 100:101]], axis=1)
    rows = [(y, "z", a, sex, person_years[s, a - 60] * 1e6) for y in range(2020, 2041)
            for s, sex in enumerate(("male", "female")) for a in range(60, 101)]
    population = pd.DataFrame(rows, columns=["year", "zone", "age", "sex", "population"])
    need = project_need(population, default_need_spec(), mx_single)
    shares = need.groupby(["year", "level"])["persons"].sum().unstack()[list(LEVELS)]
    shares = shares.div(shares.sum(axis=1), axis=0)
    np.testing.assert_allclose(shares.loc[2040], shares.loc[2020], rtol=0.05)


def test_bad_population_is_refused(mx_single: np.ndarray) -> None:
    population = _population(range(2020, 2023), ("a",))
    with pytest.raises(ValueError, match="consecutive"):
        project_need(population[population["year"] != 2021], default_need_spec(), mx_single)
    broken = population.copy()
    broken.loc[broken.index[-1], "population"] = -1.0
    with pytest.raises(ValueError, match="≥ 0"):
        project_need(broken, default_need_spec(), mx_single)


def test_bed_demand_on_a_hand_made_frame() -> None:
    spec = NeedSpec(bed_application_rate_per_year={
        "independent": 0.001, "partially_dependent": 0.01, "dependent": 0.05, "dementia": 0.02},
        bed_application_rate_80plus_per_year={
        "independent": 0.002, "partially_dependent": 0.02, "dependent": 0.1, "dementia": 0.04},
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
    applicants = weights[..., None] * p * spec.bed_application_rate_per_year.as_array()
    by_band = np.stack([applicants[:, :4].sum(axis=(0, 1)), applicants[:, 4:].sum(axis=(0, 1))])
    stay_years = resident_dynamics(spec, mx_single).expected_length_of_stay_days / 365
    mean_stay = (stay_years * by_band).sum() / by_band.sum()
    assert mean_stay == pytest.approx(target_years, rel=0.10)


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
