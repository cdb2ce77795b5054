"""Variants on common random numbers: equal to plain runs, paired differences, checks first."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats

import carefacility as cf
from carefacility.base.errors import ScenarioError
from carefacility.runner.variants import (
    DIFFERENCE_COLUMNS,
    Variant,
    VariantError,
    as_variants,
    compare_variants,
    load_variants,
    paired_differences,
    scorecards_side_by_side,
    variants_from_arguments,
)

ROOT = Path(__file__).resolve().parents[2]
ERLANG_C = ROOT / "scenarios" / "textbook" / "erlang_c.yaml"
XICHENG = ROOT / "scenarios" / "xicheng.yaml"
# the Erlang C queue (761 beds, 1 applicant a day, exponential stays of 730 days), short
SHORT = ("simulation.years=3", "simulation.warmup_days=730")
BEDS = "plan.care_homes[home].beds.general"


def test_a_variant_equals_a_plain_run_of_the_same_scenario_and_overrides() -> None:
    more = Variant("more", ERLANG_C, (f"{BEDS}=766",))
    result = compare_variants([ERLANG_C, more], overrides=SHORT, replications=6, seed=11,
                              executor="processes", workers=2)
    for variant, own in (("erlang_c", ()), ("more", more.overrides)):
        plain = cf.run(cf.load_scenario(ERLANG_C, [*SHORT, *own]), replications=6, seed=11,
                       executor="serial")
        mine = result.results[variant]
        pd.testing.assert_frame_equal(mine.kpis, plain.kpis)
        pd.testing.assert_frame_equal(mine.per_replication, plain.per_replication)
        pd.testing.assert_frame_equal(mine.scorecard, plain.scorecard)
        tidy = result.kpis[result.kpis["variant"] == variant].drop(columns="variant")
        pd.testing.assert_frame_equal(tidy.reset_index(drop=True), plain.kpis)


def test_a_population_variant_equals_a_plain_run_and_shares_the_projection() -> None:
    short = ("simulation.years=2",)
    more = Variant("more_nursing", XICHENG,
                   ("plan.care_homes[xicheng_homes_2015].beds.nursing=1600",))
    result = compare_variants([XICHENG, more], overrides=short, replications=2, seed=3,
                              executor="serial")
    plain = cf.run(cf.load_scenario(XICHENG, [*short, *more.overrides]), replications=2,
                   seed=3, executor="serial")
    pd.testing.assert_frame_equal(result.results["more_nursing"].kpis, plain.kpis)
    # the plan changed, the population did not: one projection for both
    assert result.metadata["projections"] == 1
    # the population's own KPIs are the same numbers in both
    elders = result.kpis[result.kpis["metric"] == "pop_60plus"]
    assert elders.groupby("year")["mean"].nunique().eq(1).all()


def test_a_population_change_is_projected_on_its_own() -> None:
    less = Variant("less_migration", XICHENG, ("population.migration.net_per_year=0",))
    result = compare_variants([XICHENG, less], overrides=("simulation.years=2",),
                              replications=2, seed=3, executor="serial")
    assert result.metadata["projections"] == 2
    elders = result.kpis[result.kpis["metric"] == "pop_60plus"].pivot(
        index="year", columns="variant", values="mean")
    # less out-migration, more elders (a monotonicity of the projection, not a stored figure)
    assert (elders["less_migration"] > elders["xicheng"]).all()


def test_common_random_numbers_make_the_paired_interval_much_narrower() -> None:
    """Two plans 2 beds apart meet the same applicants with the same stays: the paired CI of
    the difference in mean wait is far narrower than one from independent runs (measured
    0.05–0.2 of it over seeds; the width of the paired interval grows with the difference
    between the plans, whose effect on the wait varies between replications)."""
    more = Variant("more", ERLANG_C, (f"{BEDS}=763",))
    result = compare_variants([ERLANG_C, more], overrides=SHORT, replications=20, seed=5,
                              executor="processes", workers=2)
    per = {name: run.per_replication for name, run in result.results.items()}
    # the arrivals are common: every replication has the same applicants in both plans
    applicants = [frame[frame["metric"] == "applicants"]["value"].to_numpy()
                  for frame in per.values()]
    np.testing.assert_array_equal(applicants[0], applicants[1])
    differences = result.differences.set_index(["year", "metric"])
    kpis = result.kpis.set_index(["variant", "year", "metric"])
    for year in (2021, 2022, 2023):
        paired = differences.loc[(year, "wait_mean_days")]
        half_paired = (paired["ci_high"] - paired["ci_low"]) / 2
        halves = [(kpis.loc[(v, year, "wait_mean_days"), "ci_high"]
                   - kpis.loc[(v, year, "wait_mean_days"), "ci_low"]) / 2
                  for v in ("erlang_c", "more")]
        unpaired = float(np.hypot(*halves))  # two independent runs: variances add
        assert half_paired < 0.35 * unpaired, (year, half_paired, unpaired)
        # more beds never lengthen the mean wait (monotonicity), here on the same applicants
        assert paired["mean_difference"] <= 0.0
        assert paired["replications"] == 20
    beds = differences.loc[(2021, "beds")]
    assert (beds["mean_difference"], beds["ci_low"], beds["ci_high"]) == (2.0, 2.0, 2.0)


def test_paired_differences_are_the_t_interval_of_the_differences() -> None:
    rng = np.random.default_rng(1)
    base = rng.normal(10, 3, size=8)
    shift = rng.normal(-1, 0.2, size=8)

    def frame(values: np.ndarray) -> pd.DataFrame:
        return pd.DataFrame({"replication": np.arange(8), "year": 2021, "metric": "wait",
                             "value": values, "unit": "days"})

    table = paired_differences({"a": frame(base), "b": frame(base + shift)}, "a")
    assert list(table.columns) == DIFFERENCE_COLUMNS
    row = table.iloc[0]
    half = stats.t.ppf(0.975, 7) * shift.std(ddof=1) / np.sqrt(8)
    assert row["variant"] == "b" and row["baseline"] == "a"
    assert row["mean_difference"] == pytest.approx(shift.mean())
    assert row["ci_low"] == pytest.approx(shift.mean() - half)
    assert row["ci_high"] == pytest.approx(shift.mean() + half)


def test_paired_differences_leave_out_pairs_with_a_missing_value() -> None:
    first = pd.DataFrame({"replication": [0, 1, 2], "year": 2021, "metric": "share",
                          "value": [0.2, np.nan, 0.4], "unit": "fraction of applicants"})
    second = first.assign(value=[0.9, 0.5, 1.0])
    row = paired_differences({"a": first, "b": second}, "a").iloc[0]
    assert row["replications"] == 2
    assert row["mean_difference"] == pytest.approx(0.65)
    # differences 0.7 and 0.6: half-width t(0.975, 1) × 0.0707 / sqrt(2) = 0.635, so the
    # interval reaches past 1: a difference of shares is not truncated to [0, 1]
    assert row["ci_high"] == pytest.approx(0.65 + stats.t.ppf(0.975, 1) * 0.05, rel=1e-9)
    assert row["ci_high"] > 1.0


def test_scorecards_side_by_side() -> None:
    card = pd.DataFrame({"target": ["t"], "label": ["T"], "year": [2021], "metric": ["m"],
                         "comparison": [">="], "threshold": [0.9], "simulated_mean": [0.8],
                         "status": ["missed"]})
    wide = scorecards_side_by_side({"a": card, "b": card.assign(simulated_mean=0.95,
                                                                status="met"), "c": None})
    assert list(wide.columns) == ["target", "label", "year", "metric", "comparison",
                                  "threshold", "status.a", "mean.a", "status.b", "mean.b"]
    assert wide.loc[0, "status.a"] == "missed" and wide.loc[0, "status.b"] == "met"


def test_every_problem_of_every_variant_at_once() -> None:
    variants = [Variant("base", ERLANG_C, (f"{BEDS}=abc",), argument="--variant base:"),
                Variant("other", ERLANG_C, ("plan.care_homes[home].beds.genral=3",),
                        argument="--variant other:"),
                Variant("seeded", ERLANG_C, ("simulation.seed=4",), argument="--variant seeded:")]
    with pytest.raises(ScenarioError) as caught:
        load_variants(variants, ["simulation.yeers=2"])
    text = caught.value.report()
    assert f"--variant base:{BEDS}=abc: plan.care_homes[0].beds.general:" in text
    assert 'did you mean "general"' in text and "--variant other:" in text
    assert "--variant seeded:simulation.seed=4: simulation.seed:" in text
    assert "common to all variants" in text
    # a common override's problem once, not once per variant
    assert text.count("--set simulation.yeers=2") == 1
    assert "4 problems found" in text


def test_variants_must_share_start_and_years() -> None:
    with pytest.raises(VariantError, match=r"share simulation.start_date and simulation.years"):
        compare_variants([ERLANG_C, Variant("longer", ERLANG_C, ("simulation.years=4",))],
                         overrides=SHORT, replications=2, executor="serial")


def test_variant_names() -> None:
    named = as_variants([ERLANG_C, ERLANG_C, Variant("x", ERLANG_C)])
    assert [v.name for v in named] == ["erlang_c", "erlang_c-2", "x"]
    with pytest.raises(VariantError, match="given twice"):
        as_variants([Variant("x", ERLANG_C), Variant("x", ERLANG_C)])
    with pytest.raises(VariantError, match="letters, digits"):
        as_variants([Variant("a b", ERLANG_C)])


def test_variant_arguments() -> None:
    variants, problems = variants_from_arguments(
        [ERLANG_C], ["more:a.b=1", "more:c.d=2", "bad", "erlang_c:x=1", "x=1:y"])
    assert [(v.name, v.overrides) for v in variants] == [
        ("erlang_c", ()), ("more", ("a.b=1", "c.d=2"))]
    assert variants[1].scenario_file == ERLANG_C
    assert sorted(p.file for p in problems) == ["--variant bad", "--variant erlang_c:x=1",
                                                "--variant x=1:y"]
