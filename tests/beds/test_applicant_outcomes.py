"""Outcomes of applicants by the year they arrived in (``cohort_*``) and the run-on.

The shares over all applicants are checked against Erlang B, Erlang C and Erlang-A, the counts
against an accounting identity, and the run-on against the reported figures it must not change.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
from des_helpers import assert_in_ci, mixed_spec, per_replication, replicate, single_pool_spec

from carefacility.beds import StayDistribution, simulate
from carefacility.beds.monitor import BedReplicationResult
from carefacility.queueing.erlang import erlang_b, mmc_wait
from carefacility.queueing.erlang_a import erlang_a

BEDS = 10
SERVICE_RATE = 1.0  # mean stay 1 day

COHORT_FIELDS = (
    "cohort_admitted",
    "cohort_served_within_threshold",
    "cohort_waited",
    "cohort_abandoned",
    "cohort_still_waiting",
)


def loaded_spec(**changes):
    """:func:`mixed_spec` with three times the applicants and quicker exits from the list, so
    that applicants wait, give up and (with a cap) are blocked."""
    rate = 3 * mixed_spec().arrival_rate_per_day
    fields = dict(
        arrival_rate_per_day=rate, waiting_death_rate_per_day=0.01, withdrawal_rate_per_day=0.02
    )
    return mixed_spec(**(fields | changes))


def pooled_share(result: BedReplicationResult, name: str) -> float:
    """Share of all applicants of the reported years counted in ``name``."""
    return getattr(result, name).sum() / result.arrivals.sum()


def assert_identity(result: BedReplicationResult) -> None:
    """arrivals = admitted + abandoned + blocked + still waiting, per year and level."""
    np.testing.assert_array_equal(
        result.arrivals,
        result.cohort_admitted
        + result.cohort_abandoned
        + result.blocked
        + result.cohort_still_waiting,
    )
    assert np.all(result.cohort_served_within_threshold <= result.cohort_admitted)
    assert np.all(result.cohort_waited >= result.blocked)
    assert np.all(result.cohort_waited <= result.arrivals)
    for name in COHORT_FIELDS:
        assert getattr(result, name).shape == (result.n_years, 4)


@pytest.mark.parametrize(
    "changes",
    [
        {"max_waiting": 6},
        {"max_waiting": 6, "warmup_days": 200.0, "band_ageing_rate_per_day": 0.001},
        {"run_on_days": 0.0, "discipline": "longest_wait", "max_waiting": 6},
        {
            "stay_distribution": StayDistribution("gamma", 250.0, gamma_shape=2.0),
            "arrival_trend_per_day_per_day": 0.0001,
            "max_waiting": 4,
        },
    ],
)
def test_every_applicant_has_exactly_one_outcome(changes):
    """Patience, a capped list, capacity changes, an initial list (in no cohort), warm-up."""
    spec = loaded_spec(**changes)
    assert spec.initial_waiting_list.size > 0 and spec.capacity_changes.shape[0] > 0
    for replication in range(3):
        result = simulate(spec, 3, replication)
        assert_identity(result)
    # the test bites: patience and the cap both act in these runs
    assert result.cohort_abandoned.sum() > 0 and result.blocked.sum() > 0


def test_run_on_changes_no_reported_figure():
    spec = loaded_spec(max_waiting=6, warmup_days=100.0)
    results = [simulate(replace(spec, run_on_days=days), 5, 1) for days in (0.0, None, 400.0)]
    assert results[1].wait_threshold_days == spec.run_on_length_days == 30.0
    for name, value in results[0].__dict__.items():
        if isinstance(value, np.ndarray) and not name.startswith("cohort_"):
            for other in results[1:]:
                np.testing.assert_array_equal(value, getattr(other, name), err_msg=name)
    # without a run-on the reported applicants still waiting are part of the list at the
    # horizon; a run-on can only resolve some of them
    still = [r.cohort_still_waiting.sum() for r in results]
    assert 0 < still[0] <= results[0].waiting_at_year_end[-1].sum()
    assert still[2] <= still[1] <= still[0]


@pytest.mark.parametrize("days", [-1.0, float("inf"), float("nan")])
def test_run_on_days_must_be_finite_and_not_negative(days):
    with pytest.raises(ValueError, match="run_on_days"):
        mixed_spec(run_on_days=days)


def test_served_share_of_all_applicants_equals_share_of_admissions_when_nobody_leaves():
    """No patience, no cap, empty start: every applicant is admitted, so the share over all
    applicants (by arrival year) and over admissions (by admission year) agree when pooled."""
    spec = single_pool_spec(BEDS, 8.5, 1 / SERVICE_RATE, n_years=3, wait_threshold_days=0.2)
    rate = spec.arrival_rate_per_day.copy()
    rate[-1] = 0.0  # nobody arrives in the last year: the queue empties before the horizon
    spec = replace(spec, arrival_rate_per_day=rate)
    for replication in range(3):
        result = simulate(spec, 17, replication)
        assert_identity(result)
        assert result.waiting_at_year_end[-1].sum() == 0
        assert result.cohort_still_waiting.sum() == 0 and result.blocked.sum() == 0
        assert result.cohort_admitted.sum() == result.admissions.sum() == result.arrivals.sum()
        served = served_count(result, spec.wait_threshold_days)
        assert result.cohort_served_within_threshold.sum() == served
        assert 0 < served < result.arrivals.sum()
        assert pooled_share(result, "cohort_served_within_threshold") == np.mean(
            result.admitted_wait_days <= spec.wait_threshold_days
        )
    # with arrivals in the last year, those waiting at the horizon are admitted in the run-on
    spec = replace(
        spec, arrival_rate_per_day=np.full_like(rate, 9.5) * (np.arange(4) == 0), run_on_days=50.0
    )
    n_late = 0
    for replication in range(6):
        result = simulate(spec, 17, replication)
        late = result.waiting_at_year_end[-1].sum()
        n_late += late > 0
        assert result.cohort_still_waiting.sum() == 0
        assert result.cohort_admitted.sum() - result.admissions.sum() == late
        extra = result.cohort_served_within_threshold.sum() - served_count(
            result, spec.wait_threshold_days
        )
        assert 0 <= extra <= late
    assert n_late > 0


def served_count(result: BedReplicationResult, threshold_days: float) -> int:
    """Admissions in the reported years after a wait ≤ ``threshold_days``."""
    return int(np.sum(result.admitted_wait_days <= threshold_days))


def test_loss_system_blocked_share_and_p_wait_are_erlang_b():
    arrival_rate = 8.0
    spec = single_pool_spec(
        BEDS, arrival_rate, 1 / SERVICE_RATE, max_waiting=0, n_years=4, warmup_days=20.0
    )
    results = replicate(spec, 12)
    theory = erlang_b(BEDS, arrival_rate / SERVICE_RATE)
    for result in results:
        assert_identity(result)
        np.testing.assert_array_equal(result.cohort_waited, result.blocked)
        assert result.cohort_abandoned.sum() == result.cohort_still_waiting.sum() == 0
    assert_in_ci(per_replication(results, lambda r: pooled_share(r, "blocked")), theory,
                 "blocked share")
    assert_in_ci(per_replication(results, lambda r: pooled_share(r, "cohort_waited")), theory,
                 "p_wait")


def test_p_wait_and_served_within_threshold_of_all_applicants_are_erlang_c():
    arrival_rate, threshold = 8.0, 0.25
    spec = single_pool_spec(
        BEDS,
        arrival_rate,
        1 / SERVICE_RATE,
        n_years=5,
        warmup_days=20.0,
        wait_threshold_days=threshold,
    )
    results = replicate(spec, 16)
    theory = mmc_wait(BEDS, arrival_rate, SERVICE_RATE)
    for result in results:
        assert_identity(result)
    assert_in_ci(
        per_replication(results, lambda r: pooled_share(r, "cohort_waited")),
        theory.prob_wait,
        "p_wait",
    )
    assert_in_ci(
        per_replication(results, lambda r: pooled_share(r, "cohort_served_within_threshold")),
        1.0 - theory.wait_tail(threshold),
        f"served within {threshold} days (all applicants)",
    )


def test_abandoned_share_is_erlang_a():
    arrival_rate, patience_days = 10.0, 2.0
    spec = single_pool_spec(
        BEDS,
        arrival_rate,
        1 / SERVICE_RATE,
        n_years=4,
        warmup_days=20.0,
        withdrawal_rate_per_day=1 / patience_days,
    )
    results = replicate(spec, 16)
    theory = erlang_a(BEDS, arrival_rate, SERVICE_RATE, 1 / patience_days)
    for result in results:
        assert_identity(result)
    assert_in_ci(
        per_replication(results, lambda r: pooled_share(r, "cohort_abandoned")),
        theory.prob_abandon,
        "abandoned share",
    )


def test_summary_and_tidy_table_carry_the_outcome_shares():
    result = simulate(loaded_spec(max_waiting=6), 1, 0)
    summary = result.summary()
    applicants = result.arrivals.sum(axis=1)
    expected = {
        "share_served_within_30_days": result.cohort_served_within_threshold,
        "p_wait": result.cohort_waited,
        "abandoned_share": result.cohort_abandoned,
        "blocked_share": result.blocked,
        "still_waiting_share": result.cohort_still_waiting,
    }
    for column, count in expected.items():
        np.testing.assert_array_equal(summary[column], count.sum(axis=1) / applicants)
    np.testing.assert_array_equal(
        summary["share_of_admissions_within_30_days"], result.share_admitted_within_threshold
    )
    assert "share_admitted_within_30_days" not in summary.columns
    frame = result.to_frame()
    for name in COHORT_FIELDS:
        rows = frame[frame.metric == name]
        assert len(rows) == 4 * result.n_years and set(rows.unit) == {"persons"}
        np.testing.assert_array_equal(rows.value, getattr(result, name).reshape(-1))
