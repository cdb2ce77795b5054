"""A single bed pool against Erlang B, Erlang C, Erlang-A and Cobham's priority formula."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
from des_helpers import (
    ALL_GENERAL,
    assert_in_ci,
    per_replication,
    replicate,
    single_pool_spec,
)

from carefacility.beds import simulate
from carefacility.queueing.erlang import erlang_b, mmc_wait
from carefacility.queueing.erlang_a import erlang_a
from carefacility.queueing.priority import priority_mmc_waits

BEDS = 10
SERVICE_RATE = 1.0  # mean stay 1 day: short stays give many admissions per simulated year


@pytest.mark.parametrize(
    ("kind", "gamma_shape"),
    [("exponential", 1.0), ("gamma", 4.0), ("deterministic", 1.0)],
)
def test_loss_system_blocking_is_erlang_b_for_any_stay_distribution(kind, gamma_shape):
    """M/G/c/c: blocking depends on the stay distribution only through its mean."""
    arrival_rate = 8.0
    spec = single_pool_spec(
        BEDS,
        arrival_rate,
        1 / SERVICE_RATE,
        kind=kind,
        gamma_shape=gamma_shape,
        max_waiting=0,
        n_years=4,
        warmup_days=20.0,
    )
    results = replicate(spec, 12)
    blocking = per_replication(results, lambda r: r.blocked.sum() / r.arrivals.sum())
    assert_in_ci(blocking, erlang_b(BEDS, arrival_rate / SERVICE_RATE), f"blocking ({kind})")
    assert all(r.waiting_at_year_end.sum() == 0 for r in results)


def test_waiting_list_matches_erlang_c():
    """M/M/c FIFO: P(wait > 0), mean wait and P(wait > t) of admitted applicants."""
    arrival_rate = 8.0
    spec = single_pool_spec(BEDS, arrival_rate, 1 / SERVICE_RATE, n_years=6, warmup_days=20.0)
    results = replicate(spec, 16)
    theory = mmc_wait(BEDS, arrival_rate, SERVICE_RATE)
    waits = [r.admitted_wait_days for r in results]
    assert_in_ci([np.mean(w > 0) for w in waits], theory.prob_wait, "P(wait > 0)")
    assert_in_ci([np.mean(w) for w in waits], theory.mean_wait, "mean wait [day]")
    for t in (0.25, 1.0):
        assert_in_ci([np.mean(w > t) for w in waits], theory.wait_tail(t), f"P(wait > {t})")
    queue = per_replication(results, lambda r: r.mean_waiting.mean())
    assert_in_ci(queue, theory.mean_queue_length, "time-average waiting list")


def test_deaths_and_withdrawals_while_waiting_match_erlang_a():
    """M/M/c+M: abandonment probability and queue length; deaths vs withdrawals split."""
    arrival_rate, death, withdrawal = 10.0, 0.4, 0.6
    spec = single_pool_spec(
        BEDS,
        arrival_rate,
        1 / SERVICE_RATE,
        n_years=4,
        warmup_days=20.0,
        waiting_death_rate_per_day=death,
        withdrawal_rate_per_day=withdrawal,
    )
    results = replicate(spec, 16)
    theory = erlang_a(BEDS, arrival_rate, SERVICE_RATE, death + withdrawal)
    abandon = per_replication(
        results, lambda r: (r.deaths_while_waiting.sum() + r.withdrawals.sum()) / r.arrivals.sum()
    )
    assert_in_ci(abandon, theory.prob_abandon, "P(abandon)")
    assert_in_ci(
        per_replication(results, lambda r: r.mean_waiting.mean()),
        theory.mean_queue_length,
        "time-average waiting list",
    )
    death_share = per_replication(
        results,
        lambda r: (
            r.deaths_while_waiting.sum() / (r.deaths_while_waiting.sum() + r.withdrawals.sum())
        ),
    )
    assert_in_ci(death_share, death / (death + withdrawal), "share of exits that are deaths")


def test_two_priority_classes_match_cobham():
    """Non-preemptive priority M/M/c: dependent applicants (rank 0) before independent."""
    beds, high, low = 5, 1.5, 2.5
    rate = np.zeros((6, 1, 4))
    rate[:, 0, 2] = high  # dependent: care_need criterion met
    rate[:, 0, 0] = low
    spec = single_pool_spec(
        beds,
        0.0,
        1 / SERVICE_RATE,
        n_years=6,
        warmup_days=20.0,
        discipline="priority",
        priority_order=("care_need",),
    )
    spec = replace(spec, arrival_rate_per_day=rate)
    assert spec.eligible_bed_types == ALL_GENERAL
    results = replicate(spec, 16)
    theory = priority_mmc_waits(beds, [high, low], SERVICE_RATE)
    for level, expected in zip((2, 0), theory, strict=True):
        waits = per_replication(
            results, lambda r, level=level: r.admitted_wait_days[r.admitted_level == level].mean()
        )
        assert_in_ci(waits, expected, f"mean wait of level {level} [day]")


def test_results_are_deterministic_per_seed_and_replication():
    spec = single_pool_spec(BEDS, 8.0, 1.0, n_years=1, waiting_death_rate_per_day=0.2)
    first = simulate(spec, 7, 0)
    again = simulate(spec, 7, 0)
    other = simulate(spec, 7, 1)
    for name, value in first.__dict__.items():
        if isinstance(value, np.ndarray):
            np.testing.assert_array_equal(value, getattr(again, name), err_msg=name)
    assert not np.array_equal(first.admitted_wait_days, other.admitted_wait_days)
