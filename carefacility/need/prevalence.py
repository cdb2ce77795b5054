"""Prevalence of the care levels at single ages, from the age-group table of the section.

Everything here is plain numpy on a validated :class:`~carefacility.need.spec.NeedSpec`. Ages are
single years 60..99 and the open group 100+ (index 40 of :data:`AGES`), as in the population
projection. :func:`base_prevalence` gives each age the value of its age group (the need of the
base year); :func:`prevalence_curve` is a smooth curve through the group midpoints, which the
care-level chain (:mod:`carefacility.need.chain`) uses for level death rates and onset rates.
"""

from __future__ import annotations

import numpy as np

from carefacility.need.levels import prevalence_array
from carefacility.need.spec import NeedSpec, check_need_spec
from carefacility.population.ages import parse_age_group

__all__ = ["AGES", "base_prevalence", "prevalence_curve"]

AGES = np.arange(60, 101)
"""Single ages of the need model [years]; 100 stands for the open group 100+."""

_FLOOR = 1e-12


def _groups(spec: NeedSpec) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Starts, last ages (inclusive; 10**6 for the open group) and midpoints of the groups."""
    parsed = [parse_age_group(label) for label in spec.prevalence.age_groups]  # end exclusive
    starts = np.array([start for start, _ in parsed], dtype=float)
    ends = np.array([1e6 if end is None else end - 1 for _, end in parsed], dtype=float)
    mids = np.array([start + 2.5 if end is None else (start + end) / 2
                     for start, end in parsed])
    return starts, ends, mids


def base_prevalence(spec: NeedSpec, ages: np.ndarray = AGES) -> np.ndarray:
    """Prevalence of each level at single ages: the value of the age group holding the age.

    Parameters
    ----------
    spec : NeedSpec
    ages : array_like of int
        Ages ≥ 60 [years].

    Returns
    -------
    numpy.ndarray, shape (2, n_ages, 4)
        Sexes (male, female) × ages × :data:`LEVELS` [fraction]; rows sum to 1.
    """
    check_need_spec(spec)
    starts, ends, _ = _groups(spec)
    ages = np.asarray(ages)
    index = np.searchsorted(starts, ages, side="right") - 1
    if np.any(index < 0) or np.any(ages > ends[index]):
        raise ValueError(f"ages must lie in the prevalence age groups (got {ages.tolist()})")
    return prevalence_array(spec.prevalence)[:, index, :]


def prevalence_curve(spec: NeedSpec, ages: np.ndarray) -> np.ndarray:
    """Smoothed prevalence curve: additive log-ratios interpolated linearly between midpoints.

    ``log(p_l / p_independent)`` is interpolated linearly in age between the age-group
    midpoints (``start + 2.5`` for the open group) and extrapolated linearly with the slope of
    the first and last segments; the result is mapped back to shares, so it is always a
    distribution. Levels at 0 are floored at 1e-12 on the log scale.

    Parameters
    ----------
    spec : NeedSpec
    ages : array_like of float
        Ages (fractional allowed) [years].

    Returns
    -------
    numpy.ndarray, shape (2, n_ages, 4)
        [fraction]; rows sum to 1.
    """
    check_need_spec(spec)
    _, _, mids = _groups(spec)
    shares = np.maximum(prevalence_array(spec.prevalence), _FLOOR)  # [2, G, 4]
    ratios = np.log(shares[..., 1:] / shares[..., :1])  # [2, G, 3]
    ages = np.asarray(ages, dtype=float)
    if mids.size == 1:
        values = np.repeat(ratios, ages.size, axis=1)
    else:
        segment = np.clip(np.searchsorted(mids, ages, side="right") - 1, 0, mids.size - 2)
        fraction = (ages - mids[segment]) / (mids[segment + 1] - mids[segment])
        left, right = ratios[:, segment, :], ratios[:, segment + 1, :]
        values = left + (right - left) * fraction[None, :, None]
    expo = np.exp(np.concatenate([np.zeros((*values.shape[:2], 1)), values], axis=-1))
    return expo / expo.sum(axis=-1, keepdims=True)
