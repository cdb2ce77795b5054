"""The scenario files of scenarios/textbook/ against their closed forms, run as a user runs them.

Each file is loaded and run through the public face (``cf.load_scenario`` and ``cf.run``, the
code behind ``carefacility run``); one file also goes through the command line. A figure is the
mean over replications of each replication's average over the reported years (every reported
year is stationary or has its own closed form), with a 95 % t interval over the replications —
which must contain the closed form. The statistical test at the end checks that these intervals
cover as often as they claim (``pytest -m statistical``).
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats

import carefacility as cf
from carefacility.queueing.erlang import erlang_b, mmc_wait
from carefacility.queueing.erlang_a import erlang_a
from carefacility.queueing.priority import priority_mmc_waits

TEXTBOOK = Path(__file__).resolve().parents[1] / "scenarios" / "textbook"


def _interval(values: np.ndarray, confidence: float = 0.95) -> tuple[float, float]:
    values = np.asarray(values, dtype=float)
    half = stats.t.ppf(0.5 + confidence / 2, values.size - 1) * values.std(ddof=1) / math.sqrt(
        values.size)
    return float(values.mean() - half), float(values.mean() + half)


def _per_replication(result: cf.RunResult, metric: str, years: list[int] | None = None
                     ) -> np.ndarray:
    """Each replication's average of ``metric`` over the reported years (or ``years``)."""
    table = result.per_replication
    table = table[table["metric"] == metric]
    if years is not None:
        table = table[table["year"].isin(years)]
    assert len(table), f"no KPI {metric}"
    return table.groupby("replication")["value"].mean().to_numpy()


def _assert_covers(result: cf.RunResult, metric: str, theory: float,
                   years: list[int] | None = None) -> None:
    low, high = _interval(_per_replication(result, metric, years))
    assert low <= theory <= high, (
        f"{result.scenario.name}: {metric} closed form {theory:.6g} outside the 95 % interval "
        f"[{low:.6g}, {high:.6g}]")


@pytest.fixture(scope="module")
def runs() -> dict[str, cf.RunResult]:
    """Every textbook file, run once with its own settings."""
    return {path.stem: cf.run(cf.load_scenario(path))
            for path in sorted(TEXTBOOK.glob("*.yaml"))}


def test_every_textbook_file_is_checked(runs) -> None:
    assert set(runs) == {"erlang_b", "erlang_c", "priority", "erlang_a", "growing_demand"}


def test_erlang_b_blocking(runs) -> None:
    result = runs["erlang_b"]
    blocking = float(erlang_b(100, 0.1 * 900))
    _assert_covers(result, "blocked_share", blocking)
    _assert_covers(result, "p_wait", blocking)  # nobody waits: not admitted at once = blocked
    assert (result.per_replication.query("metric == 'waiting_list_year_end'")["value"]
            == 0).all()


def test_erlang_c_wait_probability_tail_and_mean(runs) -> None:
    result = runs["erlang_c"]
    theory = mmc_wait(761, 1.0, 1 / 730)
    _assert_covers(result, "p_wait", theory.prob_wait)
    _assert_covers(result, "share_served_within_threshold", 1 - float(theory.wait_tail(30)))
    _assert_covers(result, "wait_mean_days", theory.mean_wait)


def test_all_applicant_share_equals_admitted_only_share_when_nobody_leaves(runs) -> None:
    """Erlang C: nobody withdraws or dies on the list, so the two shares estimate the same."""
    result = runs["erlang_c"]
    served = _per_replication(result, "share_served_within_threshold")
    admitted = _per_replication(result, "share_of_admissions_within_threshold")
    low, high = _interval(served - admitted)  # paired: same replications
    assert low <= 0 <= high
    assert (_per_replication(result, "abandoned_share") == 0).all()


def test_priority_waits_are_cobhams(runs) -> None:
    result = runs["priority"]
    high, low = priority_mmc_waits(20, [0.4, 0.5], 1 / 20)
    _assert_covers(result, "wait_mean_days.dependent", float(high))
    _assert_covers(result, "wait_mean_days.independent", float(low))


def test_erlang_a_abandonment_wait_probability_and_list_length(runs) -> None:
    result = runs["erlang_a"]
    theory = erlang_a(3, 0.2, 0.1, 0.05)
    _assert_covers(result, "abandoned_share", theory.prob_abandon)
    _assert_covers(result, "p_wait", theory.prob_wait)
    _assert_covers(result, "waiting_list_mean", theory.mean_queue_length)
    # the admitted-only share overstates the service level where applicants leave the list
    served = _per_replication(result, "share_served_within_threshold")
    admitted = _per_replication(result, "share_of_admissions_within_threshold")
    assert _interval(admitted - served)[0] > 0


@pytest.mark.parametrize("year_index", [9, 19])
def test_growing_demand_follows_the_transient_mean(runs, year_index) -> None:
    """Residents at the end of years 10 and 20 against the exact M(t)/M/∞ mean."""
    result = runs["growing_demand"]
    a, b, mu = 2.0, 0.001, 1 / 900
    t = 365.0 * (year_index + 1)
    decay = math.exp(-mu * t)
    theory = a / mu * (1 - decay) + b * (t / mu - (1 - decay) / mu**2)
    year = int(result.kpis["year"].min()) + year_index
    _assert_covers(result, "residents_year_end", theory, years=[year])


def test_textbook_file_through_the_command_line(tmp_path) -> None:
    """`carefacility run` writes the all-applicant service levels with their intervals."""
    from click.testing import CliRunner

    from carefacility.cli import main

    out = tmp_path / "run"
    outcome = CliRunner().invoke(main, ["run", str(TEXTBOOK / "erlang_b.yaml"), "--out",
                                        str(out), "--replications", "4"])
    assert outcome.exit_code == 0, outcome.output
    kpis = pd.read_csv(out / "kpis.csv", encoding="utf-8-sig")
    blocked = kpis[kpis["metric"] == "blocked_share"]
    assert len(blocked) == 10 and (blocked["ci_low"] <= blocked["ci_high"]).all()
    assert (out / "report.html").exists()


def _coverage(scenario: cf.Scenario, seeds: range, theory: float,
              replications: int | None = None) -> int:
    """How many of the seeds' 95 % intervals of P(wait) contain ``theory``."""
    covered = 0
    for seed in seeds:
        result = cf.run(scenario, replications=replications, seed=seed)
        low, high = _interval(_per_replication(result, "p_wait"))
        covered += low <= theory <= high
    return covered


@pytest.mark.statistical
def test_erlang_c_intervals_cover_as_often_as_they_claim() -> None:
    """The horizon method on a long-stay case: over 40 seeds, the 95 % interval of P(wait)
    (the file's 40 replications each, an 8-year warm-up from the offered load) must contain
    Erlang C about 95 % of the time. The count of intervals that cover is Binomial(40, 0.95)
    when they are right; a count whose lower tail probability is below 1 % (33 or fewer)
    fails the test."""
    scenario = cf.load_scenario(TEXTBOOK / "erlang_c.yaml")
    theory = mmc_wait(761, 1.0, 1 / 730).prob_wait
    seeds = range(100, 140)
    covered = _coverage(scenario, seeds, theory)
    assert stats.binom.cdf(covered, len(seeds), 0.95) >= 0.01, (
        f"only {covered} of {len(seeds)} intervals contain P(wait) = {theory:.4f}")


@pytest.mark.statistical
def test_erlang_c_intervals_from_an_empty_start_do_not_cover(tmp_path) -> None:
    """Why the horizon method: the same case started empty without a warm-up spends years
    filling up, so its intervals estimate the transient, not the steady state, and miss Erlang
    C far more often than 5 % (fewer than half of 20 seeds cover)."""
    text = (TEXTBOOK / "erlang_c.yaml").read_text(encoding="utf-8")
    text = text.replace("census: [{home: home, general: 730}]", "census: [{home: home}]")
    text = text.replace("warmup_days: 2920", "warmup_days: 0")
    path = tmp_path / "erlang_c_empty_start.yaml"
    path.write_text(text, encoding="utf-8")
    theory = mmc_wait(761, 1.0, 1 / 730).prob_wait
    covered = _coverage(cf.load_scenario(path), range(100, 120), theory, replications=10)
    assert covered < 10, f"{covered} of 20 intervals cover even from an empty start"
