"""Queueing theory in closed form: Erlang B / C / A, M/M/inf and M(t)/M/inf, priority queues,
continuous-time Markov chains, and the analytic cross-check printed beside the simulation."""

from carefacility.queueing.ctmc import (
    ctmc_expected_sojourn,
    ctmc_expected_time_to_absorption,
    ctmc_occupancy,
    ctmc_transition_probabilities,
)
from carefacility.queueing.erlang import (
    MMcWaitResult,
    erlang_b,
    erlang_c,
    mmc_wait,
    servers_for_blocking,
    servers_for_wait,
)
from carefacility.queueing.erlang_a import ErlangAResult, erlang_a
from carefacility.queueing.infinite_server import mminf_occupancy_pmf, mminf_occupancy_quantile
from carefacility.queueing.littles_law import littles_law_L
from carefacility.queueing.priority import priority_mmc_waits

__all__ = [
    "ErlangAResult",
    "MMcWaitResult",
    "ctmc_expected_sojourn",
    "ctmc_expected_time_to_absorption",
    "ctmc_occupancy",
    "ctmc_transition_probabilities",
    "erlang_a",
    "erlang_b",
    "erlang_c",
    "littles_law_L",
    "mmc_wait",
    "mminf_occupancy_pmf",
    "mminf_occupancy_quantile",
    "priority_mmc_waits",
    "servers_for_blocking",
    "servers_for_wait",
]
