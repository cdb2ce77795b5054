"""Age profiles of migration (Rogers–Castro model schedule) and net migrants by age and sex."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from carefacility.population.ages import N_AGES

__all__ = [
    "ROGERS_CASTRO_STANDARD",
    "distribute_net_migration",
    "rogers_castro_profile",
]

ROGERS_CASTRO_STANDARD: Mapping[str, float] = {
    "a1": 0.02,
    "alpha1": 0.1,
    "a2": 0.06,
    "alpha2": 0.1,
    "mu2": 20.0,
    "lambda2": 0.4,
    "c": 0.003,
}
"""'Fundamental' 7-parameter Rogers–Castro schedule suggested by Rogers & Castro (1981).

Rogers, A., Castro, L. J. (1981). *Model Migration Schedules*. IIASA Research Report RR-81-30,
Laxenburg; the same values are the ``rc9.fund`` set of the R package *migest* (Abel). Units:
``a*`` and ``c`` are rates [per year], ``alpha*``/``lambda*`` [per year of age], ``mu*`` [years].
"""

_RETIREMENT = ("a3", "alpha3", "mu3", "lambda3")
_ELDERLY = ("a4", "lambda4")
_KNOWN = (*ROGERS_CASTRO_STANDARD, *_RETIREMENT, *_ELDERLY)


def rogers_castro_profile(
    ages: np.ndarray | None = None, params: Mapping[str, float] | None = None
) -> np.ndarray:
    """Rogers–Castro model migration schedule, normalised to sum 1 over the given ages.

    ``M(x) = a1 exp(-alpha1 x) + a2 exp(-alpha2 (x - mu2) - exp(-lambda2 (x - mu2))) + c``
    ``+ a3 exp(-alpha3 (x - mu3) - exp(-lambda3 (x - mu3))) + a4 exp(lambda4 x)``, the last two
    (retirement and elderly) components only when their parameters are given.

    Parameters
    ----------
    ages : array_like, optional
        Ages at which to evaluate the schedule [years]; default ``0..100`` (100 stands for 100+).
    params : mapping, optional
        Parameters; missing ones of the 7-parameter core take the values of
        :data:`ROGERS_CASTRO_STANDARD` (Rogers & Castro 1981). The retirement component needs all
        of ``a3, alpha3, mu3, lambda3``; the elderly component both ``a4, lambda4``.

    Returns
    -------
    ndarray
        Share of migrants at each age (non-negative, sums to 1). With the standard parameters the
        peak is at age 23 (labour-market entry) with a secondary child component declining
        from age 0.
    """
    ages = np.arange(N_AGES, dtype=np.float64) if ages is None else np.asarray(ages, float)
    given = dict(params or {})
    unknown = sorted(set(given) - set(_KNOWN))
    if unknown:
        raise ValueError(
            f"unknown Rogers-Castro parameter(s) {unknown}; allowed: {', '.join(_KNOWN)}"
        )
    p = {**ROGERS_CASTRO_STANDARD, **given}
    for group in (_RETIREMENT, _ELDERLY):
        present = [name for name in group if name in p]
        if present and len(present) != len(group):
            raise ValueError(f"Rogers-Castro component needs all of {group}, got only {present}")
    if any(not np.isfinite(value) for value in p.values()):
        raise ValueError("Rogers-Castro parameters must be finite")
    if any(p[name] < 0 for name in ("a1", "a2", "c", *[n for n in ("a3", "a4") if n in p])):
        raise ValueError("Rogers-Castro levels a1, a2, a3, a4 and c must be >= 0")

    def peak(a: float, alpha: float, mu: float, lam: float) -> np.ndarray:
        shifted = ages - mu
        return a * np.exp(-alpha * shifted - np.exp(-lam * shifted))

    schedule = p["a1"] * np.exp(-p["alpha1"] * ages) + p["c"]
    schedule = schedule + peak(p["a2"], p["alpha2"], p["mu2"], p["lambda2"])
    if "a3" in p:
        schedule = schedule + peak(p["a3"], p["alpha3"], p["mu3"], p["lambda3"])
    if "a4" in p:
        schedule = schedule + p["a4"] * np.exp(p["lambda4"] * ages)
    total = schedule.sum()
    if not total > 0:
        raise ValueError("the Rogers-Castro schedule is zero at every age; check the levels")
    return schedule / total


def distribute_net_migration(
    total: np.ndarray | float,
    profile_male: np.ndarray,
    profile_female: np.ndarray,
    share_male: np.ndarray | float = 0.5,
) -> np.ndarray:
    """Spread net migrants over sex and age.

    Parameters
    ----------
    total : array_like, shape (...)
        Net migrants [persons per year]; negative for net out-migration.
    profile_male, profile_female : array_like, shape (101,)
        Non-negative age profiles (e.g. :func:`rogers_castro_profile`), rescaled here to sum 1.
    share_male : array_like, shape (...) or scalar
        Share of the net migrants who are male [fraction].

    Returns
    -------
    ndarray, shape (..., 2, 101)
        Net migrants by sex (male, female) and age 0..100+ [persons]; sums to ``total``.

    Notes
    -----
    A negative total uses the same age profile as a positive one: net out-migration is taken
    to have the age pattern of migration in general (a scaled copy of the in-migration profile),
    not a separate out-migration schedule. Ages are ages at the end of the year of migration, as
    :func:`~carefacility.population.cohort_component.project` expects.
    """
    total = np.asarray(total, dtype=np.float64)
    share_male = np.asarray(share_male, dtype=np.float64)
    profile_male = np.asarray(profile_male, dtype=np.float64)
    profile_female = np.asarray(profile_female, dtype=np.float64)
    if profile_male.shape != (N_AGES,) or profile_female.shape != (N_AGES,):
        raise ValueError(
            f"each profile must have {N_AGES} ages (0..99 and 100+), got shapes "
            f"{profile_male.shape} and {profile_female.shape}"
        )
    profiles = np.stack([profile_male, profile_female])
    if np.any(profiles < 0) or np.any(~np.isfinite(profiles)):
        raise ValueError("age profiles must be finite and >= 0")
    sums = profiles.sum(axis=-1, keepdims=True)
    if np.any(sums <= 0):
        raise ValueError("each age profile must have a positive sum")
    if np.any((share_male < 0) | (share_male > 1)):
        raise ValueError("share_male must lie between 0 and 1")
    sex_share = np.stack([share_male, 1.0 - share_male], axis=-1)  # (..., 2)
    return (total[..., None] * sex_share)[..., None] * (profiles / sums)
