"""Care levels and the values a scenario gives per level: the building blocks of ``need:``.

:data:`LEVELS` names the care levels in the order used everywhere (what each means, and the
precedence of dementia, is told in :mod:`carefacility.need.spec`). The models here (prevalence by
age group and sex, a rate or a ratio per level, one transition rate) carry no defaults from the
packaged tables, so both the section (:mod:`carefacility.need.spec`) and the derivation of its
defaults (:mod:`carefacility.need.defaults`) can build on them without an import circle.
"""

from __future__ import annotations

from typing import Annotated, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

__all__ = [
    "CARE_LEVELS",
    "LEVELS",
    "SEX_KEYS",
    "LevelPrevalence",
    "LevelRates",
    "LevelRatios",
    "PrevalenceTable",
    "TransitionRate",
    "prevalence_array",
]

LEVELS: tuple[str, ...] = ("independent", "partially_dependent", "dependent", "dementia")
"""Care levels in index order (自理, 半失能, 失能, 失智)."""

CARE_LEVELS: tuple[str, ...] = LEVELS[1:]
"""The levels given in a prevalence table; ``independent`` is the remainder."""

SEX_KEYS: tuple[str, ...] = ("male", "female")

Level = Literal["independent", "partially_dependent", "dependent", "dementia"]
Fraction = Annotated[float, Field(ge=0, le=1)]
Rate = Annotated[float, Field(ge=0)]


class _Section(BaseModel):
    """Base of every need model: unknown keys are errors, values are immutable."""

    model_config = ConfigDict(extra="forbid", frozen=True)


# --------------------------------------------------------------------------------------------
# models
# --------------------------------------------------------------------------------------------
class LevelPrevalence(_Section):
    """Prevalence of the care levels for one sex, one value per age group [fraction]."""

    partially_dependent: list[Fraction] = Field(
        description="Share of the age-sex group partially dependent (半失能) [fraction].")
    dependent: list[Fraction] = Field(
        description="Share of the age-sex group dependent (失能) [fraction].")
    dementia: list[Fraction] = Field(
        description="Share of the age-sex group living with dementia (失智) [fraction].")


class PrevalenceTable(_Section):
    """Prevalence by age group and sex; ``independent`` is 1 minus the three levels."""

    age_groups: list[str] = Field(
        min_length=1,
        description='Contiguous age groups from 60, open last: "60-64", ..., "90+" [years].')
    male: LevelPrevalence = Field(description="Males [fraction].")
    female: LevelPrevalence = Field(description="Females [fraction].")


class LevelRates(_Section):
    """A rate for each care level [per person-year]."""

    independent: Rate = Field(0.0, description="Independent (自理) [per person-year].")
    partially_dependent: Rate = Field(
        0.0, description="Partially dependent (半失能) [per person-year].")
    dependent: Rate = Field(0.0, description="Dependent (失能) [per person-year].")
    dementia: Rate = Field(0.0, description="Living with dementia (失智) [per person-year].")

    def as_array(self) -> np.ndarray:
        """Values in :data:`LEVELS` order [per person-year]."""
        return np.array([getattr(self, name) for name in LEVELS], dtype=float)


class LevelRatios(_Section):
    """A ratio for each care level, relative to ``independent`` [ratio]."""

    independent: float = Field(1.0, gt=0, description="Independent [ratio].")
    partially_dependent: float = Field(1.0, gt=0, description="Partially dependent [ratio].")
    dependent: float = Field(1.0, gt=0, description="Dependent [ratio].")
    dementia: float = Field(1.0, gt=0, description="Living with dementia [ratio].")

    def as_array(self) -> np.ndarray:
        """Values in :data:`LEVELS` order [ratio]."""
        return np.array([getattr(self, name) for name in LEVELS], dtype=float)


class TransitionRate(_Section):
    """One transition rate between care levels for an age group and sex."""

    from_level: Level = Field(description="Level left.")
    to_level: Level = Field(description="Level entered (death comes from the life table).")
    age_group: str = Field("60+", description='Ages it applies to, e.g. "80-84" or "60+".')
    sex: Literal["male", "female", "both"] = Field("both", description="Sex it applies to.")
    rate_per_year: Rate = Field(description="Transitions per person-year at from_level.")


def prevalence_array(prevalence: PrevalenceTable) -> np.ndarray:
    """Prevalence of all four levels, ``[2 (male, female), n_groups, 4]`` [fraction]."""
    given = np.array([[getattr(getattr(prevalence, sex), name) for name in CARE_LEVELS]
                      for sex in SEX_KEYS], dtype=float).transpose(0, 2, 1)
    return np.concatenate([1.0 - given.sum(axis=-1, keepdims=True), given], axis=-1)
