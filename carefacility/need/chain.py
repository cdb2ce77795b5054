"""The care-level chain: level changes and deaths of people aged 60+ as a Markov chain.

Everything here is plain numpy on a validated :class:`~carefacility.need.spec.NeedSpec`.

Model
-----
People aged 60+ are in one of the care levels :data:`~carefacility.need.levels.LEVELS` or dead.
Level changes follow a continuous-time Markov chain whose generator is constant within each
single year of age (:func:`care_level_generator`). Level death rates are tied to the
population's life table: at each age and sex ``mx_l = mx · RR_l / Σ_k p_k RR_k`` (ratios from
:func:`relative_risks`), so the prevalence-weighted mean of the level rates is the life table's
``mx`` (``p`` is the smoothed prevalence curve,
:func:`~carefacility.need.prevalence.prevalence_curve`).

With ``transitions.method = "prevalence_consistent"`` the onset rates (independent → partially
dependent, partially dependent → dependent, any level → dementia) are solved at each age so that a
cohort following the chain keeps the prevalence curve: the chain reproduces the base-year age
pattern instead of drifting to its own equilibrium, and need changes through the age structure and
mortality. For the cohort equation of level ``l``,
``dp_l/da = Σ_k p_k q_kl - p_l Σ_k q_lk - p_l (mx_l - mx)``, solved for the unknown rates in the
order dementia, dependent, partially dependent, using ``p`` and ``dp/da`` at mid-year of age.

Ages are single years 60..99 and the open group 100+ (index 40), as in the population projection.
"""

from __future__ import annotations

import warnings

import numpy as np

from carefacility.need.levels import LEVELS, SEX_KEYS
from carefacility.need.prevalence import _FLOOR, AGES, prevalence_curve
from carefacility.need.spec import NeedSpec, check_need_spec
from carefacility.population.ages import parse_age_group
from carefacility.population.lifetable import single_year_life_table
from carefacility.queueing.matrix_exponential import matrix_exponential

__all__ = [
    "STATES",
    "care_level_generator",
    "level_death_rates",
    "open_age_mx",
    "relative_risks",
    "transition_probabilities",
]

STATES: tuple[str, ...] = (*LEVELS, "dead")
"""States of the care-level chain: the four levels and death (absorbing, index 4)."""

_N = len(LEVELS)
_DEAD = _N


def open_age_mx(mx_single: np.ndarray) -> np.ndarray:
    """Death rates at ages 60..99 and of the open group 100+ from single-year rates.

    Parameters
    ----------
    mx_single : array_like, shape (..., A), A ≥ 101
        Central death rates at ages 0..A-2 and the open group A-1+ [per person-year]. With
        ``A > 101`` the 100+ rate is ``l(100) / T(100)`` of the single-year life table;
        with ``A = 101`` entry 100 is taken as the 100+ rate.

    Returns
    -------
    numpy.ndarray, shape (..., 41)
        [per person-year].
    """
    mx = np.asarray(mx_single, dtype=float)
    if mx.ndim < 1 or mx.shape[-1] < 101 or not np.all(np.isfinite(mx)) or np.any(mx < 0):
        raise ValueError(
            f"mx_single must be finite, ≥ 0, with ages 0..100+ on its last axis (got shape "
            f"{mx.shape})")
    if mx.shape[-1] == 101:
        return mx[..., 60:101].copy()
    table = single_year_life_table(mx)
    open_rate = table.lx[..., 100] / table.Tx[..., 100]
    return np.concatenate([mx[..., 60:100], open_rate[..., None]], axis=-1)


def _mx_by_sex(mx_single: np.ndarray) -> np.ndarray:
    mx = open_age_mx(mx_single)
    if mx.shape[:-1] != (2,):
        raise ValueError(f"mx_single must have shape (2, A) for (male, female) (got "
                         f"{np.shape(mx_single)})")
    return mx


def level_death_rates(spec: NeedSpec, mx_single: np.ndarray) -> np.ndarray:
    """Death rates by level tied to the life table: ``mx · RR_l / Σ_k p_k RR_k``.

    Parameters
    ----------
    spec : NeedSpec
    mx_single : array_like, shape (2, A)
        Single-year death rates of males and females, ages 0..A-1 (last open) [per
        person-year].

    Returns
    -------
    numpy.ndarray, shape (2, 41, 4)
        [per person-year] at ages 60..99, 100+; the weights ``p`` are
        ``prevalence_curve(spec, AGES + 0.5)``.
    """
    mx = _mx_by_sex(mx_single)
    weights = prevalence_curve(spec, AGES + 0.5)
    ratio = relative_risks(spec, weights)
    return mx[..., None] * ratio / (weights * ratio).sum(axis=-1, keepdims=True)


def relative_risks(spec: NeedSpec, prevalence: np.ndarray) -> np.ndarray:
    """Death-rate ratios of the levels relative to independent at each age [ratio].

    With ``dementia_mortality_basis = "adl_mix"`` the dementia ratio is
    ``RR_dementia × Σ_l p_l RR_l / Σ_l p_l`` over the three ADL levels: people with dementia have
    the ADL mix of people without it (the independence assumption of the prevalence) and
    ``RR_dementia`` on top; with ``"independent"`` it is ``RR_dementia`` itself.

    Parameters
    ----------
    spec : NeedSpec
    prevalence : numpy.ndarray, shape (..., 4)
        Level shares at each age [fraction].

    Returns
    -------
    numpy.ndarray, shape (..., 4)
    """
    base = spec.mortality_relative_risk.as_array()
    ratio = np.broadcast_to(base, prevalence.shape).copy()
    if spec.dementia_mortality_basis == "adl_mix":
        adl = prevalence[..., :3]
        mix = (adl * base[:3]).sum(axis=-1) / np.maximum(adl.sum(axis=-1), _FLOOR)
        ratio[..., 3] = base[3] * mix
    return ratio


def _fixed_rates(spec: NeedSpec) -> np.ndarray:
    """Rates given in ``transitions.rates`` at each sex and single age, ``[2, 41, 4, 4]``."""
    rates = np.zeros((2, AGES.size, _N, _N))
    for rate in spec.transitions.rates:
        start, end = parse_age_group(rate.age_group)
        stop = 100 if end is None else min(end - 1, 100)  # inclusive
        ages = (AGES >= start) & (AGES <= stop)
        sexes = [0, 1] if rate.sex == "both" else [SEX_KEYS.index(rate.sex)]
        i, j = LEVELS.index(rate.from_level), LEVELS.index(rate.to_level)
        for s in sexes:
            rates[s, ages, i, j] = rate.rate_per_year
    return rates


def _solve_onsets(spec: NeedSpec, fixed: np.ndarray, level_mx: np.ndarray, mx: np.ndarray
                  ) -> np.ndarray:
    """Add the prevalence-consistent onset rates to ``fixed`` (see the module notes)."""
    start = prevalence_curve(spec, AGES)
    end = prevalence_curve(spec, AGES + 1.0)
    end[:, -1] = start[:, -1]  # the open group 100+ keeps its distribution
    p = 0.5 * (start + end)
    dp = end - start
    excess = level_mx - mx[..., None]  # mx_l - mx, [2, 41, 4]
    out_fixed = fixed.sum(axis=-1)  # fixed exits by level

    def inflow(level: int) -> np.ndarray:
        return np.einsum("sak,sak->sa", p, fixed[..., level])

    ind, P, D, M = range(_N)  # level indices
    dementia = (dp[..., M] - inflow(M) + p[..., M] * (out_fixed[..., M] + excess[..., M])) / (
        1.0 - p[..., M])
    dependent = (dp[..., D] - inflow(D) + p[..., D] * (out_fixed[..., D] + dementia
                                                        + excess[..., D])) / p[..., P]
    partial = (dp[..., P] - inflow(P) + p[..., P] * (out_fixed[..., P] + dependent + dementia
                                                      + excess[..., P])) / p[..., ind]
    solved = {"dementia onset": dementia, "partially_dependent → dependent": dependent,
              "independent → partially_dependent": partial}
    for name, values in solved.items():
        if np.any(values < 0):
            ages = sorted({int(a) for a in AGES[np.nonzero(values < 0)[1]]})
            warnings.warn(
                f"{name} rate solved negative at ages {ages}; set to 0 there (the prevalence "
                f"falls with age faster than recovery and mortality can explain)",
                RuntimeWarning, stacklevel=3)
    rates = fixed.copy()
    rates[..., ind, P] += np.maximum(partial, 0.0)
    rates[..., P, D] += np.maximum(dependent, 0.0)
    for level in (ind, P, D):
        rates[..., level, M] += np.maximum(dementia, 0.0)
    return rates


def care_level_generator(spec: NeedSpec, mx_single: np.ndarray) -> np.ndarray:
    """Generator of the care-level chain at each sex and single age 60..100+.

    Parameters
    ----------
    spec : NeedSpec
    mx_single : array_like, shape (2, A)
        Single-year death rates of males and females [per person-year] (e.g. from
        :func:`carefacility.population.lifetable.single_year_mx`, ``A = 131``).

    Returns
    -------
    numpy.ndarray, shape (2, 41, 5, 5)
        ``Q[sex, age, i, j]`` [per year] over :data:`STATES`; rows sum to 0, death absorbing.
        Constant over each year of age ``[a, a + 1)``.
    """
    check_need_spec(spec)
    mx = _mx_by_sex(mx_single)
    level_mx = level_death_rates(spec, mx_single)
    fixed = _fixed_rates(spec)
    if spec.transitions.method == "prevalence_consistent":
        rates = _solve_onsets(spec, fixed, level_mx, mx)
    else:
        rates = fixed
    generator = np.zeros((2, AGES.size, _N + 1, _N + 1))
    generator[..., :_N, :_N] = rates
    generator[..., :_N, _DEAD] = level_mx
    diagonal = np.arange(_N + 1)
    generator[..., diagonal, diagonal] = 0.0
    generator[..., diagonal, diagonal] = -generator.sum(axis=-1)
    return generator


def transition_probabilities(generator: np.ndarray, years: float = 1.0) -> np.ndarray:
    """Transition probabilities ``expm(Q t)`` of every generator of a stack [probability].

    Parameters
    ----------
    generator : array_like, shape (..., 5, 5)
        Generators ``Q`` of the care-level chain [per year] (e.g. of
        :func:`care_level_generator`, or a stack of them over several years).
    years : float
        Time ``t`` [year].

    Returns
    -------
    numpy.ndarray, shape (..., 5, 5)
        ``P[..., i, j]``: probability of being in state ``j`` after ``t`` from ``i`` [-].

    Notes
    -----
    One batched call of :func:`carefacility.queueing.matrix_exponential.matrix_exponential`
    for the whole stack (scipy's scaling and squaring algorithm in numpy, equal to
    ``scipy.linalg.expm`` to rounding) rather than one LAPACK solve per matrix.
    """
    return matrix_exponential(np.asarray(generator, dtype=float) * years)
