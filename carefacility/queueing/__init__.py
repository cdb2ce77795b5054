"""Queueing theory in closed form: Erlang B / C / A, M/M/inf and M(t)/M/inf (transient, under
growing demand and from a starting census), priority queues, continuous-time Markov chains (with
the matrix exponential of a whole stack of small generators at once), and the analytic
cross-checks printed beside the simulation (one pooled pool, separate pools per
zone / home / bed type, and the structural causes of a disagreement)."""

from carefacility.queueing.cross_check import (
    explain_differences,
    pool_queue_check,
    pooled_queue_check,
)
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
from carefacility.queueing.matrix_exponential import matrix_exponential
from carefacility.queueing.priority import priority_mmc_waits
from carefacility.queueing.transient import (
    MtInfiniteServerResult,
    mt_infinite_server_mean,
    mt_infinite_server_occupancy,
    mt_infinite_server_year_average,
    transient_occupancy_by_year,
)

__all__ = [
    "ErlangAResult",
    "MMcWaitResult",
    "MtInfiniteServerResult",
    "ctmc_expected_sojourn",
    "ctmc_expected_time_to_absorption",
    "ctmc_occupancy",
    "ctmc_transition_probabilities",
    "erlang_a",
    "erlang_b",
    "erlang_c",
    "explain_differences",
    "littles_law_L",
    "matrix_exponential",
    "mmc_wait",
    "mminf_occupancy_pmf",
    "mminf_occupancy_quantile",
    "mt_infinite_server_mean",
    "mt_infinite_server_occupancy",
    "mt_infinite_server_year_average",
    "pool_queue_check",
    "pooled_queue_check",
    "priority_mmc_waits",
    "servers_for_blocking",
    "servers_for_wait",
    "transient_occupancy_by_year",
]
