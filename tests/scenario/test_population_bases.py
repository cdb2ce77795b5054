"""Two population bases in one scenario: `registered_population:`, the demand basis, ratio
targets on the basis they name, located errors, and both bases in the outputs."""

from __future__ import annotations

import math
from pathlib import Path

import pandas as pd
import pytest

from carefacility.api import project, run
from carefacility.report import plots
from carefacility.report.writer import write_population_outputs
from carefacility.runner.prepare import prepare_run
from carefacility.scenario.loader import load_scenario, validate_scenario

# the minimal scenario's population (conftest.MINIMAL) with more elders, as a registered basis
REGISTERED = """\
registered_population:
  basis: registered
  base_date: 2020-12-31
  horizon_year: 2030
  base_population:
    inline:
      age_groups: ["0-14", "15-59", "60-79", "80+"]
      male: [900, 2500, 1600, 200]
      female: [850, 2400, 1700, 320]
  mortality:
    measure: nMx
    csv: data/china_wpp2024_nmx.csv
  fertility:
    tfr: 1.1
    age_pattern:
      age_groups: ["15-19", "20-24", "25-29", "30-34", "35-39", "40-44", "45-49"]
      percent: [3, 25, 37, 22, 9, 3, 1]
  sex_ratio_at_birth: 1.1
  migration:
    net_per_year: 40
"""

PLAN = """\
plan:
  care_homes:
    - {name: a, zone: all, beds: {general: 100, nursing: 50}}
  starting_state:
    occupancy: 0.5
    resident_levels: {independent: 1.0}
simulation:
  start_date: 2021-01-01
  years: 3
  replications: 2
  seed: 7
"""


def problems_of(path: Path) -> dict[str, str]:
    scenario, problems = validate_scenario(path)
    assert scenario is None
    return {p.field: str(p) for p in problems}


def test_two_bases_load_with_the_resident_one_making_demand(write_scenario,
                                                             minimal: str) -> None:
    scenario = load_scenario(write_scenario(minimal + REGISTERED))
    assert list(scenario.populations) == ["resident", "registered"]
    assert scenario.population.basis == "resident"  # the primary one, as before
    assert scenario.demand_basis == "resident"
    assert scenario.demand_population is scenario.population
    projection = project(scenario)
    assert projection.basis == "resident" and projection.bases == ("resident", "registered")
    registered = projection.for_basis("registered").summary()
    assert registered.loc[2020, "pop_60plus"] == pytest.approx(3820)  # the base, 31 Dec 2020
    with pytest.raises(KeyError, match="no registered population"):
        project(write_scenario(minimal, "one.yaml")).for_basis("registered")


def test_one_population_is_its_own_demand_basis(write_scenario, minimal: str) -> None:
    text = minimal.replace("basis: resident", "basis: registered")
    scenario = load_scenario(write_scenario(text))
    assert scenario.demand_basis == "registered" and list(scenario.populations) == ["registered"]


def test_demand_basis_registered_drives_the_demand(write_scenario, minimal: str) -> None:
    both = minimal + REGISTERED + PLAN
    resident = prepare_run(load_scenario(write_scenario(both)))
    text = both.replace("  basis: resident\n", "  basis: resident\n  demand_basis: registered\n")
    registered = prepare_run(load_scenario(write_scenario(text, "r.yaml")))
    assert resident.basis == "resident" and registered.basis == "registered"
    # twice the elders, more applicants
    assert registered.pop_60plus[0] > 1.8 * resident.pop_60plus[0]
    assert (registered.spec.arrival_rate_per_day.sum()
            > 1.5 * resident.spec.arrival_rate_per_day.sum())
    assert set(registered.pop_60plus_by_basis) == {"resident", "registered"}


def test_ratio_targets_are_judged_on_the_basis_they_name(write_scenario, minimal: str) -> None:
    """150 beds: 78.5 per 1,000 resident elders (1,910) but 39.3 per 1,000 registered ones
    (3,820): a target of 60 is met on one basis and missed on the other."""
    targets = """\
targets:
  - {id: resident_60, metric: beds_per_1000_60plus, value: 60, basis: resident}
  - {id: registered_60, metric: beds_per_1000_60plus, value: 60, basis: registered}
"""
    scenario = load_scenario(write_scenario(minimal + REGISTERED + PLAN + targets))
    result = run(scenario, executor="serial")
    card = result.scorecard.set_index(["target", "year"])
    assert set(card.loc["resident_60", "status"]) == {"met"}
    assert set(card.loc["registered_60", "status"]) == {"missed"}
    first = card.loc[("registered_60", 2021)]
    assert first.metric == "beds_per_1000_60plus.registered"
    kpis = result.kpis.set_index(["year", "metric"])["mean"]
    registered_elders = kpis.loc[(2021, "pop_60plus.registered")]
    assert first.simulated_mean == pytest.approx(1000 * 150 / registered_elders)
    assert first.shortfall == math.ceil(60 * registered_elders / 1000 - 150)
    assert card.loc[("resident_60", 2021), "simulated_mean"] == pytest.approx(
        kpis.loc[(2021, "beds_per_1000_60plus")])  # the demand basis's plain metric


@pytest.mark.parametrize(("edit", "field", "expected"), [
    # a target on a basis the scenario does not project
    (lambda m: m + PLAN + "targets:\n  - {id: r, metric: beds_per_1000_60plus, value: 40, "
     "basis: registered}\n", "targets[0].basis", "add a `registered_population:` section"),
    (lambda m: m.replace("  basis: resident\n", "  basis: resident\n  demand_basis: "
                         "registered\n"), "population.demand_basis",
     "projects only the resident population"),
    (lambda m: m + REGISTERED.replace("  basis: registered", "  basis: resident"),
     "registered_population.basis", "write basis: registered"),
    (lambda m: m + REGISTERED.replace("  basis: registered\n", "  basis: registered\n  "
                                      "demand_basis: resident\n"),
     "registered_population.demand_basis", "in `population:`"),
    (lambda m: m.replace("basis: resident", "basis: registered") + REGISTERED,
     "registered_population", "population.basis is already registered"),
    (lambda m: m + REGISTERED.replace("csv: data/china_wpp2024_nmx.csv", "csv: data/no.csv"),
     "registered_population.mortality.csv", "not found"),
    (lambda m: m + REGISTERED.replace("horizon_year: 2030", "horizon_year: 2022") + PLAN,
     "registered_population.horizon_year", "ends before the simulation's last year"),
])
def test_basis_problems_are_located(write_scenario, minimal: str, edit, field: str,
                                    expected: str) -> None:
    text = edit(minimal)
    found = problems_of(write_scenario(text))
    assert field in found, found
    assert expected in found[field]
    # located on the line of the field
    line = int(found[field].split(":")[1])
    assert 1 <= line <= text.count("\n") + 1


def test_elderly_summary_has_both_bases(write_scenario, minimal: str, tmp_path: Path) -> None:
    scenario = load_scenario(write_scenario(minimal + REGISTERED + PLAN))
    projection = project(scenario)
    out = tmp_path / "out"
    write_population_outputs(projection, out, title="test")
    table = pd.read_csv(out / "elderly_summary.csv", encoding="utf-8-sig")
    for column in ("year", "zone", "total", "pop_60plus", "pop_65plus", "pop_80plus",
                   "share_60plus", "pop_60plus_low", "pop_60plus_high"):
        assert column in table.columns
    assert set(table["basis"]) == {"resident", "registered"}
    rows = table[(table.zone == "all") & (table.year == 2021)].set_index("basis")
    assert rows.loc["registered", "pop_60plus"] > rows.loc["resident", "pop_60plus"]
    # the run's table too
    prepared = prepare_run(scenario)
    assert set(prepared.tables["elderly_summary"]["basis"]) == {"resident", "registered"}
    # the chart draws both bases
    ax = plots.elderly_trend(projection.elderly_by_basis())
    labels = [line.get_label() for line in ax.get_lines()]
    assert any("(registered)" in text for text in labels)
    assert any("(resident)" in text for text in labels)
