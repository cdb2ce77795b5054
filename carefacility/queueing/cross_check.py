"""Queueing-theory cross-check reported beside the simulated figures.

For each year the whole area is treated as one pooled M/M/c system in steady state: Poisson
applications at that year's rate, exponential stays with the mean stay implied by the care-need
model, and ``c`` = all beds. Pooling every bed into one pool, ignoring bed types, zones and the
starting state, makes these figures optimistic (a floor on waits); the simulation is the answer,
the cross-check says whether its order of magnitude is right.

Two further checks say why the simulation may disagree with the pooled figure:

- :func:`pool_queue_check`: each zone, care home or bed type as its own M/M/c fed by its own
  share of the applicants, and the service level applicants get from the separate pools. By the
  economy of scale of pooled servers (a pooled M/M/c at the same utilisation has a lower
  probability of waiting), fragmented pools serve worse than the one pool.
- :mod:`carefacility.queueing.transient` (``transient_occupancy_by_year``): occupancy of growing
  demand lags the stationary load, and the starting census decays only over a few mean stays.

:func:`explain_differences` turns these into a short English label per year.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike

from carefacility.queueing.erlang import erlang_b, mmc_wait
from carefacility.queueing.infinite_server import mminf_occupancy_quantile

__all__ = ["explain_differences", "pool_queue_check", "pooled_queue_check"]


def pooled_queue_check(years: np.ndarray, arrival_rate_per_day: np.ndarray,
                       mean_stay_days: np.ndarray, beds: np.ndarray,
                       threshold_days: float) -> pd.DataFrame:
    """Steady-state M/M/c and M/M/∞ figures per year for one pooled district-wide pool.

    Parameters
    ----------
    years : numpy.ndarray of int
    arrival_rate_per_day : numpy.ndarray
        Applications per day in each year [1/day].
    mean_stay_days : numpy.ndarray
        Mean length of stay of those admitted [days].
    beds : numpy.ndarray
        Beds in each year [beds].
    threshold_days : float
        T of "admitted within T days" [days].

    Returns
    -------
    pandas.DataFrame
        Per year: ``offered_load_beds`` (beds that would be in use if nobody waited),
        ``beds_needed_p95`` (M/M/∞ 95th percentile of that: beds to admit at once 95 % of the
        time), ``erlang_b_blocking`` (share finding every bed full), and when the load is below
        the beds ``prob_wait``, ``mean_wait_days`` and ``share_served_within_threshold``
        (Erlang C); ``nan`` when the pool is overloaded (waits grow without bound).
    """
    rows = []
    for year, rate, stay, servers in zip(years, arrival_rate_per_day, mean_stay_days, beds,
                                         strict=True):
        load = float(rate * stay)
        servers = int(servers)
        row = {"year": int(year), "arrival_rate_per_day": float(rate),
               "mean_stay_days": float(stay), "beds": servers, "offered_load_beds": load,
               "beds_needed_p95": mminf_occupancy_quantile(load, 0.95) if load > 0 else 0,
               "erlang_b_blocking": float(erlang_b(servers, load)) if servers > 0 else 1.0,
               "prob_wait": math.nan, "mean_wait_days": math.nan,
               "share_served_within_threshold": math.nan}
        if 0 < load < servers:
            queue = mmc_wait(servers, float(rate), 1.0 / float(stay))
            row.update(prob_wait=queue.prob_wait, mean_wait_days=queue.mean_wait,
                       share_served_within_threshold=1.0 - float(
                           queue.wait_tail(threshold_days)))
        rows.append(row)
    return pd.DataFrame(rows)


# --------------------------------------------------------------------------------------------
# Separate pools: zones, care homes, bed types
# --------------------------------------------------------------------------------------------

_POOL_COLUMNS = ("year", "pool", "kind", "arrival_rate_per_day", "mean_stay_days", "beds")
COMBINED_POOL = "combined"
"""``pool`` label of the applicant-weighted row of each year and kind in
:func:`pool_queue_check`."""


def _mmc_figures(rate: float, stay: float, servers: int, threshold_days: float) -> dict:
    """Erlang B / C figures of one M/M/c pool; Erlang C ones ``nan`` when no steady state."""
    load = rate * stay if rate > 0.0 else 0.0
    figures = {"offered_load_beds": load,
               "utilisation": load / servers if servers > 0 else math.nan,
               "stable": bool(load < servers or rate == 0.0),
               "erlang_b_blocking": float(erlang_b(servers, load)) if servers > 0 else 1.0,
               "prob_wait": math.nan, "mean_wait_days": math.nan,
               "share_served_within_threshold": math.nan}
    if servers > 0 and load < servers:
        queue = mmc_wait(servers, rate, 1.0 / stay if rate > 0.0 else 1.0)
        figures.update(prob_wait=queue.prob_wait, mean_wait_days=queue.mean_wait,
                       share_served_within_threshold=1.0 - float(
                           queue.wait_tail(threshold_days)))
    return figures


def _limits(figures: dict) -> tuple[float, float, float]:
    """``prob_wait``, ``mean_wait_days``, ``share_served_within_threshold``, with an
    overloaded pool at its limits as the load reaches the beds: 1, ``inf`` and 0."""
    if figures["stable"]:
        return (figures["prob_wait"], figures["mean_wait_days"],
                figures["share_served_within_threshold"])
    return 1.0, math.inf, 0.0


def _pool_table(pools: pd.DataFrame | Mapping[str, ArrayLike]) -> pd.DataFrame:
    table = pools.copy() if isinstance(pools, pd.DataFrame) else pd.DataFrame(dict(pools))
    missing = [name for name in _POOL_COLUMNS if name not in table.columns]
    if missing:
        raise ValueError(f"pools lacks the columns {missing} (needs {list(_POOL_COLUMNS)})")
    table = table.loc[:, list(_POOL_COLUMNS)].reset_index(drop=True)
    for name in ("arrival_rate_per_day", "beds"):
        values = table[name].to_numpy(dtype=float)
        bad = ~np.isfinite(values) | (values < 0.0)
        if np.any(bad):
            raise ValueError(f"pools.{name} must be finite and ≥ 0 (got {values[bad][0]} in "
                             f"row {int(np.argmax(bad))})")
    beds = table["beds"].to_numpy(dtype=float)
    fractional = beds != np.round(beds)
    if np.any(fractional):
        raise ValueError(f"pools.beds must be whole numbers of beds (got {beds[fractional][0]})")
    stays = table["mean_stay_days"].to_numpy(dtype=float)
    needs_stay = table["arrival_rate_per_day"].to_numpy(dtype=float) > 0.0
    bad = needs_stay & ~(np.isfinite(stays) & (stays > 0.0))
    if np.any(bad):
        raise ValueError(f"pools.mean_stay_days must be finite and > 0 where applicants arrive "
                         f"(got {stays[bad][0]} in row {int(np.argmax(bad))})")
    duplicated = table.duplicated(["year", "kind", "pool"])
    if duplicated.any():
        row = table.loc[duplicated].iloc[0]
        raise ValueError(f"pools repeats the pool {row['pool']!r} of kind {row['kind']!r} in "
                         f"year {row['year']}")
    return table


def pool_queue_check(years: ArrayLike, pools: pd.DataFrame | Mapping[str, ArrayLike],
                     threshold_days: float) -> pd.DataFrame:
    """Steady-state M/M/c figures per year for each separate pool, and what applicants get.

    Each pool (a zone, a care home, a bed type, ...) is its own M/M/c queue: Poisson
    applications at its own rate, exponential stays, ``c`` = its beds, and no applicant moves
    to another pool. The pools of one year and ``kind`` should split all of that year's
    applicants and beds (e.g. every zone once); then the ``combined`` row is the service level
    the applicants get from the separate pools, set beside the one pool of all beds.

    Parameters
    ----------
    years : array_like of int
        Years to report, in the order wanted; each must have at least one pool.
    pools : pandas.DataFrame or mapping of str to array_like
        One row per year and pool, with the columns ``year``, ``pool`` (name), ``kind`` (what
        splits the beds: ``'zone'``, ``'home'``, ``'bed_type'``, or any other label),
        ``arrival_rate_per_day`` (applications to the pool [1/day], ``≥ 0``),
        ``mean_stay_days`` (mean length of stay [day], ``> 0`` where applicants arrive) and
        ``beds`` (whole beds [beds], ``≥ 0``). Rows of years not in ``years`` are ignored.
    threshold_days : float
        T of "admitted within T days" [day], ``≥ 0``.

    Returns
    -------
    pandas.DataFrame
        Per year and kind, one row per pool (``is_combined`` False) then one ``combined`` row
        (``pool == "combined"``, ``is_combined`` True). Columns:

        - ``year``, ``kind``, ``pool``, ``is_combined``;
        - ``arrival_rate_per_day`` [1/day], ``mean_stay_days`` [day] and ``beds`` [beds]
          (combined: the sums, and the applicant-weighted mean stay ``Σλᵢ Sᵢ / Σλᵢ``);
        - ``offered_load_beds`` ``λ S`` [beds] (combined: the sum) and ``utilisation``
          ``λ S / c`` [-];
        - ``stable`` (``λ S < c``, or no applicants; combined: every pool stable);
        - ``erlang_b_blocking``: share of applicants finding every bed of their pool full
          (Erlang B, any load) [-];
        - ``prob_wait`` (Erlang C), ``mean_wait_days`` ``C / (cμ - λ)`` [day] and
          ``share_served_within_threshold`` ``1 - C e^{-(cμ - λ) T}`` [-]: ``nan`` for an
          unstable pool, as in :func:`pooled_queue_check`;
        - on combined rows the applicant-weighted (``λᵢ``) means of those four, an unstable
          pool counting at its limits as the load reaches the beds (prob_wait 1,
          mean_wait ``inf``, share 0: in steady state its waits grow without bound), and
          ``unstable_arrival_share`` (share of applicants in unstable pools [-]);
        - on combined rows ``pooled_erlang_b_blocking``, ``pooled_prob_wait``,
          ``pooled_mean_wait_days`` and ``pooled_share_served_within_threshold``: the same
          figures for one M/M/c of all the kind's beds, total applicants and the weighted mean
          stay (unstable at its limits likewise). ``nan`` on pool rows.

        A year and kind without applicants has ``nan`` weighted figures.

    Notes
    -----
    For pools with the same mean stay, pooling can only help: a pooled M/M/c at the same
    utilisation has a lower probability of waiting and a lower mean wait (the economy of scale
    of Erlang C; Smith & Whitt 1981), so the combined ``share_served_within_threshold`` is at
    most the pooled one and the combined ``prob_wait`` at least the pooled one. With very
    different stays between pools this is no longer guaranteed.

    References
    ----------
    .. [1] D. R. Smith and W. Whitt, "Resource sharing for efficiency in traffic systems",
       Bell System Technical Journal 60 (1981) 39-55.
    """
    threshold = float(threshold_days)
    if not (math.isfinite(threshold) and threshold >= 0.0):
        raise ValueError(f"threshold_days must be finite and ≥ 0 (got {threshold_days})")
    table = _pool_table(pools)
    rows: list[dict] = []
    for year in np.asarray(years).reshape(-1):
        in_year = table.loc[table["year"] == year]
        if in_year.empty:
            raise ValueError(f"pools has no pool in year {year}")
        for kind in pd.unique(in_year["kind"]):
            group = in_year.loc[in_year["kind"] == kind]
            weighted = np.zeros(4)
            total_rate = total_load = 0.0
            total_beds = 0
            unstable_rate = 0.0
            for pool in group.itertuples(index=False):
                rate = float(pool.arrival_rate_per_day)
                stay = float(pool.mean_stay_days)
                servers = int(pool.beds)
                figures = _mmc_figures(rate, stay, servers, threshold)
                rows.append({"year": year, "kind": kind, "pool": pool.pool, "is_combined": False,
                             "arrival_rate_per_day": rate, "mean_stay_days": stay,
                             "beds": servers, **figures})
                total_rate += rate
                total_load += figures["offered_load_beds"]
                total_beds += servers
                if rate > 0.0:
                    weighted += rate * np.array([figures["erlang_b_blocking"], *_limits(figures)])
                    if not figures["stable"]:
                        unstable_rate += rate
            rows.append(_combined_row(year, kind, total_rate, total_load, total_beds,
                                      weighted, unstable_rate, threshold))
    frame = pd.DataFrame(rows)
    columns = ["year", "kind", "pool", "is_combined", "arrival_rate_per_day", "mean_stay_days",
               "beds", "offered_load_beds", "utilisation", "stable", "erlang_b_blocking",
               "prob_wait", "mean_wait_days", "share_served_within_threshold",
               "unstable_arrival_share", "pooled_erlang_b_blocking", "pooled_prob_wait",
               "pooled_mean_wait_days", "pooled_share_served_within_threshold"]
    return frame.reindex(columns=columns)


def _combined_row(year: object, kind: object, rate: float, load: float, servers: int,
                  weighted: np.ndarray, unstable_rate: float, threshold: float) -> dict:
    """The applicant-weighted row of one year and kind, beside one pool of all its beds."""
    row = {"year": year, "kind": kind, "pool": COMBINED_POOL, "is_combined": True,
           "arrival_rate_per_day": rate, "beds": servers, "offered_load_beds": load,
           "utilisation": load / servers if servers > 0 else math.nan,
           "stable": unstable_rate == 0.0}
    names = ("erlang_b_blocking", "prob_wait", "mean_wait_days",
             "share_served_within_threshold")
    if rate <= 0.0:
        row.update({"mean_stay_days": math.nan, "unstable_arrival_share": math.nan,
                    **dict.fromkeys(names, math.nan),
                    **{f"pooled_{name}": math.nan for name in names}})
        return row
    stay = load / rate
    pooled = _mmc_figures(rate, stay, servers, threshold)
    row.update({"mean_stay_days": stay, "unstable_arrival_share": unstable_rate / rate,
                **dict(zip(names, weighted / rate, strict=True)),
                **dict(zip((f"pooled_{name}" for name in names),
                           (pooled["erlang_b_blocking"], *_limits(pooled)), strict=True))})
    return row


# --------------------------------------------------------------------------------------------
# Why the simulation and the pooled figure differ
# --------------------------------------------------------------------------------------------

_KIND_NAMES = {"zone": "zones", "home": "care homes", "bed_type": "bed types"}


def _share_text(share: float) -> str:
    """A share with enough decimals to tell it from 1 (0.9999998 stays 0.9999998)."""
    digits = 3
    if 0.0 < 1.0 - share < 1e-3:
        digits = min(12, math.ceil(-math.log10(1.0 - share) - 1e-9))
    return f"{share:.{digits}f}"


def _by_year(frame: pd.DataFrame | None, columns: tuple[str, ...], name: str
             ) -> pd.DataFrame | None:
    if frame is None:
        return None
    missing = [column for column in ("year", *columns) if column not in frame.columns]
    if missing:
        raise ValueError(f"{name} lacks the columns {missing}")
    if frame["year"].duplicated().any():
        raise ValueError(f"{name} has more than one row for a year")
    return frame.set_index("year")


def explain_differences(simulated: pd.DataFrame, pooled: pd.DataFrame, *,
                        pools: pd.DataFrame | None = None,
                        occupancy: pd.DataFrame | None = None,
                        restricted_bed_types: bool = False,
                        occupancy_tolerance_beds: float | None = None,
                        share_tolerance: float = 0.001) -> pd.DataFrame:
    """Per year, the structural causes that explain why the simulation and the pooled
    steady-state figure disagree, as a short English label.

    Rules, applied to each year of ``simulated``:

    1. The year *disagrees* when the pooled share lies outside the simulated confidence
       interval ``[ci_low, ci_high]`` widened by ``share_tolerance`` on each side (a gap
       smaller than that is not material: every replication may have served everybody, giving
       an interval of zero width at 1.0 beside a pooled 0.99998); otherwise its label is
       ``"agrees: ..."`` and no cause is given. A ``nan`` on either side gives
       ``"not compared: ..."``.
    2. A *cause* is an effect that is material and pushes the simulation away from the pooled
       figure in the direction of the disagreement (below it, or above it):

       - ``fragmentation:<kind>`` (one per kind in ``pools``): the applicant-weighted share of
         the separate pools differs from the pooled share by more than the CI half-width
         ``(ci_high - ci_low) / 2``. Label e.g. ``"zones (fragmentation): pooled 0.9999998 vs
         separate pools 0.950"``. Separate pools serve worse, so this explains a simulation
         below the pooled figure.
       - ``bed_types``: ``restricted_bed_types`` and no ``bed_type`` kind in ``pools`` for
         the year (the effect cannot be sized), with the simulation below the pooled figure.
         Label ``"bed types: eligibility restrictions split the beds into separate pools"``.
       - ``lag``: ``|lag_beds| > tolerance``. Occupancy below the stationary load (growing
         demand) leaves more beds free, so explains a simulation above the pooled figure;
         above it (falling demand), one below. Label e.g. ``"lag: occupancy 819 beds below the
         stationary load"``.
       - ``starting_census``: ``|starting_census_effect_beds| > tolerance``; more starting
         residents than the stationary load explain a simulation below the pooled figure,
         fewer one above. Label e.g. ``"starting census: occupancy 120 beds above the
         stationary load from the starting residents"``.

       The occupancy ``tolerance`` is ``occupancy_tolerance_beds`` when given, otherwise one
       standard deviation of the stationary M/M/∞ occupancy, ``√(stationary_load_beds)``
       (at least 1 bed): a smaller difference is within the occupancy's own noise.
    3. Material effects pushing the other way are listed in ``counter_effects``. A
       disagreement without a cause is labelled ``"unexplained: ..."``.

    Parameters
    ----------
    simulated : pandas.DataFrame
        Columns ``year``, ``mean``, ``ci_low``, ``ci_high``: the simulated share of applicants
        admitted within T [-] and its confidence interval, one row per year.
    pooled : pandas.DataFrame
        Columns ``year`` and ``share_served_within_threshold`` [-], e.g. the output of
        :func:`pooled_queue_check`; must cover every year of ``simulated``.
    pools : pandas.DataFrame, optional
        Output of :func:`pool_queue_check`; its ``combined`` rows give the share per kind.
    occupancy : pandas.DataFrame, optional
        Columns ``year``, ``stationary_load_beds``, ``lag_beds`` and
        ``starting_census_effect_beds`` [beds], e.g. the output of
        :func:`carefacility.queueing.transient.transient_occupancy_by_year`.
    restricted_bed_types : bool, optional
        Whether the plan has several bed types with eligibility restrictions. Default False.
    occupancy_tolerance_beds : float, optional
        Occupancy difference below which lag and starting census are not material [beds].
    share_tolerance : float, optional
        Gap between the pooled share and the simulated interval below which they agree [-].
        Default 0.001 (a tenth of a percentage point).

    Returns
    -------
    pandas.DataFrame
        One row per year of ``simulated``: ``year``, ``simulated_share``, ``ci_low``,
        ``ci_high``, ``pooled_share`` [-], ``disagrees`` (bool), ``causes`` (tuple of the cause
        keys above, in the order listed), ``label`` (the causes' labels joined by ``"; "``, or
        the ``agrees`` / ``unexplained`` / ``not compared`` text) and ``counter_effects``
        (labels of material effects pushing the other way, ``""`` if none).
    """
    sim = _by_year(simulated, ("mean", "ci_low", "ci_high"), "simulated")
    ref = _by_year(pooled, ("share_served_within_threshold",), "pooled")
    if sim is None or ref is None:
        raise ValueError("simulated and pooled are required")
    occ = _by_year(occupancy, ("stationary_load_beds", "lag_beds",
                               "starting_census_effect_beds"), "occupancy")
    combined = None
    if pools is not None:
        missing = [c for c in ("year", "kind", "is_combined", "share_served_within_threshold")
                   if c not in pools.columns]
        if missing:
            raise ValueError(f"pools lacks the columns {missing} (pass pool_queue_check's output)")
        combined = pools.loc[pools["is_combined"].astype(bool)]
    if occupancy_tolerance_beds is not None and not occupancy_tolerance_beds >= 0.0:
        raise ValueError(f"occupancy_tolerance_beds must be ≥ 0 (got {occupancy_tolerance_beds})")
    if not share_tolerance >= 0.0:
        raise ValueError(f"share_tolerance must be ≥ 0 (got {share_tolerance})")
    missing_years = [year for year in sim.index if year not in ref.index]
    if missing_years:
        raise ValueError(f"pooled has no row for the years {missing_years}")
    rows = []
    for year, row in sim.iterrows():
        mean, low, high = float(row["mean"]), float(row["ci_low"]), float(row["ci_high"])
        share = float(ref.at[year, "share_served_within_threshold"])
        out = {"year": year, "simulated_share": mean, "ci_low": low, "ci_high": high,
               "pooled_share": share, "disagrees": False, "causes": (), "label": "",
               "counter_effects": ""}
        rows.append(out)
        if math.isnan(mean) or math.isnan(share):
            side = "simulated share" if math.isnan(mean) else "pooled share (overloaded pool)"
            out["label"] = f"not compared: no {side}"
            continue
        if math.isnan(low) or math.isnan(high):
            low = high = mean
        if low - share_tolerance <= share <= high + share_tolerance:
            out["label"] = (f"agrees: pooled {_share_text(share)} within the simulated CI "
                            f"[{_share_text(low)}, {_share_text(high)}]")
            continue
        direction = -1 if share > high else 1  # simulation below (-1) or above (+1) pooled
        effects = _effects(year, share, (high - low) / 2.0, combined, occ,
                           restricted_bed_types, occupancy_tolerance_beds)
        causes = [(key, text) for key, text, push in effects if push == direction]
        others = [text for _key, text, push in effects if push != direction]
        out.update(disagrees=True, causes=tuple(key for key, _text in causes),
                   counter_effects="; ".join(others))
        out["label"] = "; ".join(text for _key, text in causes) or (
            f"unexplained: simulated {_share_text(mean)} vs pooled {_share_text(share)}")
    return pd.DataFrame(rows, columns=["year", "simulated_share", "ci_low", "ci_high",
                                       "pooled_share", "disagrees", "causes", "label",
                                       "counter_effects"])


def _effects(year: object, share: float, half_width: float, combined: pd.DataFrame | None,
             occ: pd.DataFrame | None, restricted_bed_types: bool,
             tolerance: float | None) -> list[tuple[str, str, int]]:
    """Material effects of one year: (key, label, +1 if it raises the simulated share above
    the pooled one, -1 if it lowers it)."""
    effects: list[tuple[str, str, int]] = []
    kinds: set[object] = set()
    if combined is not None:
        for entry in combined.loc[combined["year"] == year].itertuples(index=False):
            kinds.add(entry.kind)
            separate = float(entry.share_served_within_threshold)
            if math.isnan(separate) or abs(separate - share) <= half_width:
                continue
            name = _KIND_NAMES.get(str(entry.kind), str(entry.kind))
            effects.append((f"fragmentation:{entry.kind}",
                            f"{name} (fragmentation): pooled {_share_text(share)} vs separate "
                            f"pools {_share_text(separate)}", 1 if separate > share else -1))
    if restricted_bed_types and "bed_type" not in kinds:
        effects.append(("bed_types", "bed types: eligibility restrictions split the beds into "
                        "separate pools", -1))
    if occ is not None and year in occ.index:
        load = float(occ.at[year, "stationary_load_beds"])
        limit = tolerance if tolerance is not None else math.sqrt(max(load, 1.0))
        lag = float(occ.at[year, "lag_beds"])
        if abs(lag) > limit:
            effects.append(("lag", f"lag: occupancy {abs(lag):.0f} beds "
                            f"{'below' if lag < 0 else 'above'} the stationary load",
                            1 if lag < 0 else -1))
        census = float(occ.at[year, "starting_census_effect_beds"])
        if abs(census) > limit:
            effects.append(("starting_census", f"starting census: occupancy {abs(census):.0f} "
                            f"beds {'below' if census < 0 else 'above'} the stationary load "
                            f"from the starting residents", 1 if census < 0 else -1))
    return effects
