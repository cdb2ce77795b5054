"""Coverage arithmetic for community services: which communities have a site, how many sites.

Plans promise day-care centres (日间照料中心) and meal points (助餐点) "in every community"
(村(社区)) and set a number of sites per sub-district (街镇, a *zone*). Two pure questions:

- :func:`coverage` — with these sites open, which communities and what share of the elders are
  covered?
- :func:`sites_needed` — how many sites of a given daily capacity does a zone need so that the
  expected share of demand turned away stays below a target?

The second uses the exact daily loss law of the simulation in :mod:`carefacility.services.engine`:
daily demand ``D`` is Poisson (or binomial) and independent from day to day, so ``n`` pooled
sites of capacity ``c`` turn away ``E[(D − n c)^+]`` a day. This is *not* Erlang B, which
assumes users hold a place for a random time and applies to enrolment (M/G/c/c), not to daily
visits.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

# scipy.stats.poisson's numbers without importing scipy.stats (half a second); the binomial
# law (rarely used) still imports it
from carefacility.queueing.distributions import poisson_logpmf, poisson_pmf, poisson_sf

__all__ = ["coverage", "expected_turned_away", "expected_turned_away_share", "sites_needed"]

FloatArray = NDArray[np.float64]


# --------------------------------------------------------------------------------------------
# Coverage of communities
# --------------------------------------------------------------------------------------------


def _index_array(value: ArrayLike, name: str) -> NDArray[np.int64]:
    array = np.asarray(value)
    if array.ndim != 1:
        raise ValueError(f"{name} must be a 1-D array (got shape {array.shape})")
    if array.size == 0:
        return np.zeros(0, dtype=np.int64)
    numbers = np.asarray(array, dtype=np.float64)
    bad = ~np.isfinite(numbers) | (numbers < 0) | (numbers != np.round(numbers))
    if np.any(bad):
        index = int(np.argmax(bad))
        raise ValueError(f"{name}[{index}] must be a whole number ≥ 0 (got {array[index]!r})")
    return numbers.astype(np.int64)


def coverage(
    community_zone: ArrayLike,
    community_elders: ArrayLike,
    site_zone: ArrayLike,
    site_open: ArrayLike,
    site_communities: Sequence[Iterable[int]] | None = None,
) -> dict[str, Any]:
    """Share of communities and of elders covered by open sites.

    A community is covered when an open site is in its zone (no catchments given) or when an
    open site lists it in its catchment (catchments given; zones are then not used).

    Parameters
    ----------
    community_zone : array_like of int, shape (n_communities,)
        Zone (街镇) of each community.
    community_elders : array_like, shape (n_communities,)
        Elders (e.g. ``pop_60plus``) living in each community [persons], ≥ 0.
    site_zone : array_like of int, shape (n_sites,)
        Zone of each site.
    site_open : array_like of bool, shape (n_sites,)
        Whether each site is open (built and not closed).
    site_communities : sequence of n_sites iterables of int, optional
        Catchment of each site: indices of the communities it serves.

    Returns
    -------
    dict
        ``share_of_communities_covered`` [-]: covered communities / communities (NaN when
        there is no community); ``share_of_elders_covered`` [-]: elders in covered communities /
        all elders (NaN when there are no elders at all); ``communities_without_service``:
        sorted indices of the uncovered communities (int array); ``community_covered``: bool
        array, shape (n_communities,).

    Notes
    -----
    A community with 0 elders counts as a community (in the community share) but does not
    change the elder share. A zone with no site leaves all its communities uncovered.
    """
    zone = _index_array(community_zone, "community_zone")
    elders = np.asarray(community_elders, dtype=np.float64)
    if elders.shape != zone.shape:
        raise ValueError(
            f"community_elders must have shape {zone.shape} like community_zone "
            f"(got shape {elders.shape})"
        )
    bad = ~np.isfinite(elders) | (elders < 0)
    if np.any(bad):
        index = int(np.argmax(bad))
        raise ValueError(f"community_elders[{index}] must be ≥ 0 (got {elders[index]!r})")
    sites = _index_array(site_zone, "site_zone")
    is_open = np.asarray(site_open)
    if is_open.shape != sites.shape:
        raise ValueError(
            f"site_open must have shape {sites.shape} like site_zone (got shape {is_open.shape})"
        )
    if is_open.dtype != np.bool_:
        numbers = np.asarray(is_open, dtype=np.float64)
        bad = (numbers != 0) & (numbers != 1)
        if np.any(bad):
            index = int(np.argmax(bad))
            raise ValueError(f"site_open[{index}] must be a bool (got {is_open[index]!r})")
        is_open = numbers.astype(bool)

    n_communities = zone.size
    if site_communities is None:
        covered = np.isin(zone, sites[is_open])
    else:
        if len(site_communities) != sites.size:
            raise ValueError(
                f"site_communities must list one catchment per site ({sites.size}) "
                f"(got {len(site_communities)})"
            )
        covered = np.zeros(n_communities, dtype=bool)
        for site, catchment in enumerate(site_communities):
            members = _index_array(
                np.fromiter(catchment, dtype=np.float64), f"site_communities[{site}]"
            )
            if members.size and members.max() >= n_communities:
                position = int(np.argmax(members >= n_communities))
                raise ValueError(
                    f"site_communities[{site}][{position}] = {members[position]} but there are "
                    f"only {n_communities} communities (indices 0..{n_communities - 1})"
                )
            if is_open[site]:
                covered[members] = True
    total_elders = float(elders.sum())
    return {
        "share_of_communities_covered": float(covered.mean()) if n_communities else math.nan,
        "share_of_elders_covered": (
            float(elders[covered].sum()) / total_elders if total_elders > 0 else math.nan
        ),
        "communities_without_service": np.flatnonzero(~covered),
        "community_covered": covered,
    }


# --------------------------------------------------------------------------------------------
# Daily loss law and the number of sites
# --------------------------------------------------------------------------------------------


def _nonnegative(value: ArrayLike, name: str) -> FloatArray:
    array = np.asarray(value, dtype=np.float64)
    bad = ~np.isfinite(array) | (array < 0)
    if np.any(bad):
        index = tuple(int(i) for i in np.argwhere(bad)[0])
        label = name + "".join(f"[{i}]" for i in index)
        raise ValueError(f"{label} must be finite and ≥ 0 (got {array[index]!r})")
    return array


_LARGE_MEAN = 1e5
"""Above this mean, ``E[(D − x)^+]`` is summed term by term (scipy's incomplete gamma function
loses relative accuracy there: ~1e-4 at a mean of 10⁶)."""


def _poisson_loss(mean: FloatArray, capacity: FloatArray) -> FloatArray:
    """``E[(D − x)^+]`` for ``D ~ Poisson(mean)``, element-wise (arrays already broadcast)."""
    # With k = floor(x): E[(D − x)^+] = Σ_{j>k} (j − x) p_j = m P(D ≥ k) − x P(D ≥ k + 1)
    #                                 = m p_k + (m − x) P(D > k).
    # Both terms are ≥ 0 when x ≤ m (no cancellation); above the mean the second is negative
    # and only ~log10((x − m)²/m) digits are lost: relative error < 1e-7 up to a mean of 10⁵
    # (checked against 40-digit arithmetic in the tests).
    k = np.floor(capacity)
    loss = mean * poisson_pmf(k, mean) + (mean - capacity) * poisson_sf(k, mean)
    loss = np.atleast_1d(np.maximum(loss, 0.0))
    large = np.atleast_1d(mean > _LARGE_MEAN)
    if large.any():
        flat_mean = np.atleast_1d(mean)
        flat_capacity = np.atleast_1d(capacity)
        for index in zip(*np.nonzero(large), strict=True):
            loss[index] = _poisson_loss_by_terms(
                float(flat_mean[index]), float(flat_capacity[index])
            )
    return loss.reshape(np.shape(mean))


def _poisson_loss_by_terms(mean: float, capacity: float) -> float:
    """``E[(D − x)^+]`` summed term by term (positive terms only; for large means)."""
    # Terms further than 40 standard deviations from the mean are below 1e-300.
    width = int(40.0 * math.sqrt(mean)) + 100
    k = math.floor(capacity)
    if k >= mean:
        j = np.arange(k + 1, k + 1 + width, dtype=np.float64)
        return float(np.sum((j - capacity) * np.exp(poisson_logpmf(j, mean))))
    # E[(D − x)^+] = (m − x) + E[(x − D)^+], the second a finite sum of positive terms
    j = np.arange(max(0, k - width), k + 1, dtype=np.float64)
    below = float(np.sum((capacity - j) * np.exp(poisson_logpmf(j, mean))))
    return (mean - capacity) + below


def _binomial_loss(users: FloatArray, probability: FloatArray, capacity: FloatArray) -> FloatArray:
    """``E[(D − x)^+]`` for ``D ~ Binomial(n, p)``, element-wise."""
    import scipy.stats  # here, not at import: it is slow to import

    # E[D 1{D ≥ k+1}] = n p P(D' ≥ k) with D' ~ Binomial(n − 1, p), so with k = floor(x):
    # E[(D − x)^+] = n p P(D' > k − 1) − x P(D > k).
    k = np.floor(capacity)
    reduced = np.maximum(users - 1, 0)
    head = users * probability * scipy.stats.binom.sf(k - 1, reduced, probability)
    loss = head - capacity * scipy.stats.binom.sf(k, users, probability)
    return np.maximum(loss, 0.0)


def expected_turned_away(
    mean_daily_demand: ArrayLike,
    capacity: ArrayLike,
    demand_model: str = "poisson",
    registered_users: ArrayLike | None = None,
) -> FloatArray | float:
    """Expected demand turned away per day, ``E[(D − capacity)^+]`` [visits/day or meals/day].

    Parameters
    ----------
    mean_daily_demand : float or array_like
        ``E[D]`` [visits/day], ≥ 0.
    capacity : float or array_like
        Places (or meals) available that day [places/day], ≥ 0; broadcast with the mean.
    demand_model : {"poisson", "binomial"}
        Law of ``D``: Poisson with that mean, or ``Binomial(registered_users, mean /
        registered_users)``.
    registered_users : int or array_like, optional
        Binomial model only: registered users [persons], whole numbers ≥ the mean.

    Returns
    -------
    float or numpy.ndarray
        A float for scalar inputs, otherwise an array of the broadcast shape.
    """
    mean = _nonnegative(mean_daily_demand, "mean_daily_demand")
    places = _nonnegative(capacity, "capacity")
    if demand_model == "poisson":
        if registered_users is not None:
            raise ValueError("registered_users is used only with demand_model='binomial'")
        mean, places = np.broadcast_arrays(mean, places)
        loss = _poisson_loss(mean, places)
    elif demand_model == "binomial":
        if registered_users is None:
            raise ValueError("demand_model='binomial' needs registered_users")
        users = _nonnegative(registered_users, "registered_users")
        if np.any(users != np.round(users)):
            raise ValueError("registered_users must be whole numbers")
        mean, places, users = np.broadcast_arrays(mean, places, users)
        too_many = mean > users
        if np.any(too_many):
            index = tuple(int(i) for i in np.argwhere(too_many)[0])
            raise ValueError(
                f"mean_daily_demand{list(index)} must be ≤ registered_users = {users[index]:g} "
                f"(got {mean[index]!r})"
            )
        probability = np.divide(mean, users, out=np.zeros(mean.shape), where=users > 0)
        loss = _binomial_loss(users, probability, places)
    else:
        raise ValueError(f"demand_model must be 'poisson' or 'binomial' (got {demand_model!r})")
    return float(loss) if loss.ndim == 0 else loss


def expected_turned_away_share(
    mean_daily_demand: ArrayLike,
    capacity: ArrayLike,
    demand_model: str = "poisson",
    registered_users: ArrayLike | None = None,
) -> FloatArray | float:
    """Expected share of daily demand turned away, ``E[(D − capacity)^+] / E[D]`` [-].

    The exact loss of one site (or one pool of sites, ``overflow="zone"``) of ``capacity``
    places facing independent daily demand ``D ~ Poisson(mean_daily_demand)`` (or binomial);
    the long-run share of demand turned away in :func:`carefacility.services.engine.
    simulate_services`. Defined as 0 when the mean is 0.

    Parameters
    ----------
    mean_daily_demand, capacity, demand_model, registered_users
        As in :func:`expected_turned_away`.

    Returns
    -------
    float or numpy.ndarray
        Share in [0, 1]; a float for scalar inputs.

    Notes
    -----
    This is not Erlang B: ``B(c, A)`` is the loss of a system where each user holds a place for
    a random time (mean ``1/μ``) and ``A = λ/μ`` places are busy on average. Daily visits hold
    a place for one day and the next day starts empty, so the loss is the partial expectation
    above, which is smaller than ``B(c, A)`` at the same load.

    Examples
    --------
    >>> round(expected_turned_away_share(30.0, 30), 4)
    0.0726
    """
    mean = _nonnegative(mean_daily_demand, "mean_daily_demand")
    loss = np.asarray(expected_turned_away(mean, capacity, demand_model, registered_users))
    positive = np.broadcast_to(mean, loss.shape) > 0
    share = np.divide(loss, mean, out=np.zeros(loss.shape), where=positive)
    share = np.clip(share, 0.0, 1.0)
    return float(share) if share.ndim == 0 else share


def sites_needed(
    mean_daily_demand: ArrayLike,
    capacity_per_site: ArrayLike,
    max_turned_away_share: ArrayLike,
    demand_model: str = "poisson",
    registered_users: ArrayLike | None = None,
) -> NDArray[np.int64] | int:
    """Smallest number of sites keeping the expected share turned away at or below a target.

    The zone's sites are pooled (``overflow="zone"``): ``n`` sites of capacity ``c`` serve
    ``min(D, n c)`` a day. Returns the smallest whole ``n ≥ 0`` with
    ``E[(D − n c)^+] / E[D] ≤ max_turned_away_share`` (exact partial expectations, no
    simulation); 0 when the mean demand is 0. Vectorised: the inputs broadcast (e.g. one mean
    per zone).

    Parameters
    ----------
    mean_daily_demand : float or array_like
        Expected visits (or meals) wanted per open day [visits/day], ≥ 0.
    capacity_per_site : float or array_like
        Places (or meals) per site per day [places/day], > 0.
    max_turned_away_share : float or array_like
        Target expected share turned away [-], in (0, 1].
    demand_model : {"poisson", "binomial"}
        Law of the daily demand, see :func:`expected_turned_away`.
    registered_users : int or array_like, optional
        Binomial model only [persons].

    Returns
    -------
    int or numpy.ndarray of int
        Sites needed [sites]; an int for scalar inputs.

    Examples
    --------
    >>> sites_needed(100.0, 30, 0.05)
    4
    """
    mean = _nonnegative(mean_daily_demand, "mean_daily_demand")
    capacity = _nonnegative(capacity_per_site, "capacity_per_site")
    target = np.asarray(max_turned_away_share, dtype=np.float64)
    bad = ~(target > 0) | ~(target <= 1)
    if np.any(bad):
        index = tuple(int(i) for i in np.argwhere(bad)[0]) if target.ndim else ()
        label = "max_turned_away_share" + "".join(f"[{i}]" for i in index)
        raise ValueError(f"{label} must lie in (0, 1] (got {target[index]!r})")
    zero = capacity <= 0
    if np.any(zero):
        index = tuple(int(i) for i in np.argwhere(zero)[0]) if capacity.ndim else ()
        label = "capacity_per_site" + "".join(f"[{i}]" for i in index)
        raise ValueError(f"{label} must be > 0 (got {capacity[index]!r})")
    arrays = [mean, capacity, target]
    if registered_users is not None:
        arrays.append(_nonnegative(registered_users, "registered_users"))
    broadcast = np.broadcast_arrays(*arrays)
    mean, capacity, target = (np.array(a, dtype=np.float64) for a in broadcast[:3])
    users = np.array(broadcast[3]) if registered_users is not None else None

    def share(n: NDArray[np.int64]) -> FloatArray:
        return np.asarray(
            expected_turned_away_share(mean, n * capacity, demand_model, users), dtype=np.float64
        )

    share(np.zeros(mean.shape, dtype=np.int64))  # validates the model and its inputs
    # bracket: share(low) > target ≥ share(high); start above the mean by a few std devs
    low = np.full(mean.shape, -1, dtype=np.int64)  # share(-1) counts as > target
    high = np.ceil((mean + 6.0 * np.sqrt(mean) + 1.0) / capacity).astype(np.int64)
    while True:
        failing = share(high) > target
        if not failing.any():
            break
        low = np.where(failing, high, low)
        high = np.where(failing, 2 * high, high)
    # integer bisection on every element at once
    while np.any(high - low > 1):
        middle = (low + high) // 2
        middle = np.where(high - low > 1, middle, high)
        ok = share(np.maximum(middle, 0)) <= target
        high = np.where(ok & (high - low > 1), middle, high)
        low = np.where(~ok & (high - low > 1), middle, low)
    result = np.where(mean > 0, high, 0).astype(np.int64)
    return int(result) if result.ndim == 0 else result
