"""The run's cross-check with the plan's structure: separate pools pool by pool against Erlang C,
capacity by home, bed-type restrictions, and the structural causes named after a run."""

from __future__ import annotations

import textwrap
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import carefacility as cf
from carefacility.beds import BedSpec, StayDistribution
from carefacility.queueing.erlang import mmc_wait
from carefacility.runner.structure_check import (
    capacity_by_home_at_year_end,
    pools_check,
    restricted_bed_types,
    structural_pools,
)

ALL_GENERAL = ((0,), (0,), (0,), (0,))


def two_zone_spec(**changes) -> BedSpec:
    """Zone 0: homes 0 and 1 (30 + 10 beds); zone 1: home 2 (25 beds); exponential stays."""
    rate = np.zeros((3, 2, 4))
    rate[:, 0, 0] = 0.5
    rate[:, 1, 0] = 0.3
    fields = dict(home_zone=[0, 0, 1], initial_capacity=[[30, 0, 0], [10, 0, 0], [25, 0, 0]],
                  arrival_rate_per_day=rate, eligible_bed_types=ALL_GENERAL,
                  stay_distribution=StayDistribution("exponential", 60.0),
                  capacity_changes=[(400.0, 1, -1, 0, 5)], wait_threshold_days=30.0)
    fields.update(changes)
    return BedSpec(**fields)


def test_capacity_by_home_follows_the_changes() -> None:
    beds = capacity_by_home_at_year_end(two_zone_spec())[..., 0]
    assert beds.tolist() == [[30, 10, 25], [30, 15, 25], [30, 15, 25]]  # +5 on day 400


def test_each_zone_pool_is_erlang_c_on_its_beds_and_applicants() -> None:
    spec = two_zone_spec()
    years = np.array([2021, 2022, 2023])
    table = pools_check(spec, years, np.full(3, 60.0))
    zones = table[(table["kind"] == "zone") & ~table["is_combined"]].set_index(["year", "pool"])
    for year, zone_beds in ((2021, (40, 25)), (2022, (45, 25))):
        for zone, (beds, rate) in enumerate(zip(zone_beds, (0.5, 0.3), strict=True)):
            row = zones.loc[(year, f"zone {zone}")]
            theory = mmc_wait(beds, rate, 1 / 60)
            assert row["beds"] == beds
            assert row["prob_wait"] == pytest.approx(theory.prob_wait, rel=1e-12)
            assert row["share_served_within_threshold"] == pytest.approx(
                1 - float(theory.wait_tail(30.0)), rel=1e-12)
    homes = table[(table["kind"] == "home") & ~table["is_combined"]].set_index(["year", "pool"])
    # a home gets its zone's applicants in proportion to its share of the zone's beds
    assert homes.loc[(2022, "home 1"), "arrival_rate_per_day"] == pytest.approx(0.5 * 15 / 45)


def test_one_home_has_no_separate_pools() -> None:
    spec = BedSpec(home_zone=[0], initial_capacity=[[10, 0, 0]],
                   arrival_rate_per_day=np.full((2, 1, 4), 0.01))
    assert pools_check(spec, np.array([2021, 2022]), np.full(2, 100.0)) is None


def test_bed_types_restrict_only_when_a_level_may_not_take_them_all() -> None:
    assert not restricted_bed_types(two_zone_spec())  # general beds only
    mixed = two_zone_spec(initial_capacity=[[20, 10, 0], [10, 0, 0], [25, 0, 0]],
                          eligible_bed_types=((0, 1), (0, 1), (1,), (1,)))
    assert restricted_bed_types(mixed)  # dependent applicants cannot take general beds
    open_to_all = two_zone_spec(initial_capacity=[[20, 10, 0], [10, 0, 0], [25, 0, 0]],
                                eligible_bed_types=((0, 1),) * 4)
    assert not restricted_bed_types(open_to_all)


def test_only_zones_closed_to_each_other_are_structural_pools() -> None:
    spec = two_zone_spec()
    table = pools_check(spec, np.array([2021, 2022, 2023]), np.full(3, 60.0))
    assert structural_pools(table, spec) is None  # applicants may go to the other zone
    closed = two_zone_spec(allow_other_zones=False)
    kinds = set(structural_pools(table, closed)["kind"])
    assert kinds == {"zone"}  # homes of a zone share their applicants in the simulation


def _closed_zones_file(tmp_path: Path) -> Path:
    path = tmp_path / "closed_zones.yaml"
    path.write_text(textwrap.dedent("""\
        name: two closed zones
        plan:
          zones: [{name: north}, {name: south}]
          care_homes:
            - {name: a, zone: north, beds: {general: 12}}
            - {name: b, zone: south, beds: {general: 12}}
          starting_state:
            census: [{home: a, general: 9}, {home: b, general: 9}]
        simulation:
          start_date: 2021-01-01
          years: 3
          replications: 40
          seed: 3
          warmup_days: 200
          alternative_rule_replications: 0
          allow_other_zones: false
          arrivals: {per_day: 1.1, zone_shares: {north: 0.5, south: 0.5}}
          stays: {distribution: exponential, mean_days: 20}
        """), encoding="utf-8")
    return path


def test_a_run_names_closed_zones_as_the_cause_of_a_worse_service_level(tmp_path) -> None:
    """Two closed zones of 12 beds each serve worse than one pool of 24 beds: the pooled
    M/M/c figure is above the simulated interval and the cause is the zones."""
    result = cf.run(cf.load_scenario(_closed_zones_file(tmp_path)), executor="serial")
    check = result.tables["analytic_cross_check"].set_index("year")
    served = result.kpis.query("metric == 'share_served_within_threshold'").set_index("year")
    pools = result.tables["cross_check_pools"]
    separate = pools[(pools["kind"] == "zone") & pools["is_combined"]].set_index("year")
    below = 0
    for year in check.index:
        pooled = check.loc[year, "share_served_within_threshold"]
        assert separate.loc[year, "share_served_within_threshold"] < pooled
        if pooled > served.loc[year, "ci_high"] + 0.001:
            below += 1
            assert "fragmentation:zone" in check.loc[year, "structural_cause_keys"]
    assert below >= 2  # the pooled figure overstates the service level of closed zones
    assert (check["structural_causes"] != "").all()
    assert {"transient_mean_beds", "lag_beds", "starting_census_effect_beds"} <= set(check)


def test_run_tables_are_written(tmp_path) -> None:
    result = cf.run(cf.load_scenario(_closed_zones_file(tmp_path)), executor="serial",
                    replications=3)
    written = cf.write_report(result, tmp_path / "out")
    names = {Path(path).name for path in written}
    assert {"analytic_cross_check.csv", "cross_check_pools.csv"} <= names
    table = pd.read_csv(tmp_path / "out" / "analytic_cross_check.csv", encoding="utf-8-sig")
    assert "structural_causes" in table
