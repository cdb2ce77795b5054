# ---
# jupyter:
#   jupytext:
#     formats: ipynb,py:percent
#     text_representation:
#       extension: .py
#       format_name: percent
#       format_version: '1.3'
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Projecting the elderly population of a district
#
# This notebook loads the Xicheng scenario (`scenarios/xicheng.yaml`: the 2020 census of
# Xicheng district, Beijing), projects its population by single year of age and sex to 2035, and
# looks at the over-60s and over-80s. It uses only the package's public face,
# `import carefacility as cf`: `cf.load_scenario`, `cf.project` and the charts in `cf.plots`.
# To try your own district, copy the YAML file and change its tables.

# %%
# %matplotlib inline

import shutil
import tempfile
from pathlib import Path

import matplotlib.pyplot as plt
import pandas as pd

import carefacility as cf

# the notebooks run in notebooks/; find the folder that holds scenarios/ from here or above
ROOT = next(folder for folder in (Path.cwd(), *Path.cwd().parents)
            if (folder / "scenarios" / "xicheng.yaml").is_file())
SCENARIO = ROOT / "scenarios" / "xicheng.yaml"

scenario = cf.load_scenario(SCENARIO)
scenario.name

# %% [markdown]
# ## The projection
#
# `cf.project` runs the cohort-component projection: a year at a time, everyone ages, deaths
# follow the death rates (here China's UN WPP 2024 rates fitted to Beijing's life expectancy),
# births follow the fertility rate and
# migration is added. `projection.elderly` holds the 60+ and 80+ by year; the `_low` / `_high`
# columns are the same projection with every death rate 10 % higher / lower (a sensitivity band,
# not a confidence interval).

# %%
projection = cf.project(scenario)
elderly = projection.elderly
columns = ["year", "total", "pop_60plus", "pop_80plus", "share_60plus",
           "old_age_dependency_ratio", "pop_80plus_low", "pop_80plus_high"]
elderly.loc[elderly.year.isin([2020, 2025, 2030, 2035]), columns].round(3)

# %% [markdown]
# Accounting check: in every projection year, the population at the end = start + births −
# deaths + net migration (Xicheng's scenario assumes a net out-migration of 0.5 % a year, an
# ASSUMPTION with its range in the file).

# %%
c = projection.components
balance = c.population_start + c.births - c.deaths + c.net_migration - c.population_end
assert balance.abs().max() < 1e-6 * c.population_start.max()
c.head()

# %% [markdown]
# ## Who will be old
#
# The census year as bars, 2035 as outlines: the large cohorts born in the 1960s and early
# 1970s move past 60.

# %%
ax = cf.plots.population_pyramid(projection.population, years=(2020, 2035),
                                 title="Xicheng district: population 2020 and 2035")
ax.figure

# %%
ax = cf.plots.elderly_trend(elderly, title="Xicheng district: persons aged 60+ and 80+")
ax.figure

# %% [markdown]
# Every chart also speaks Chinese (`lang="zh"`, as `carefacility run --lang zh` does): the
# package ships a Chinese font, so this works on any machine after `pip install`.

# %%
ax = cf.plots.elderly_trend(elderly, lang="zh", title="西城区：60岁及以上与80岁及以上人口")
ax.figure

# %% [markdown]
# The number of over-80s first falls (the small cohorts born around 1940-1945) and then rises
# from about 2027, as the larger cohorts born after 1947 turn 80.
#
# ## How much depends on the death rates?
#
# The shaded band above is already part of the projection: `cf.project` (with its default
# `mortality_range=True`) projects again with every death rate 10 % higher and 10 % lower.
# (The file's `improvement_rate_per_year` would not move these numbers: it lowers death rates
# only after the last WPP period, 2095-2100.)

# %%
band = elderly.set_index("year").loc[[2020, 2025, 2030, 2035]]
pd.DataFrame({
    "80+ (death rates +10 %)": band.pop_80plus_low,
    "80+": band.pop_80plus,
    "80+ (death rates -10 %)": band.pop_80plus_high,
    "60+ (death rates +10 %)": band.pop_60plus_low,
    "60+": band.pop_60plus,
    "60+ (death rates -10 %)": band.pop_60plus_high,
}).round(0)

# %% [markdown]
# ## What if fertility recovers? Edit a copy of the scenario file
#
# A scenario is a file, so a variant is a copy of the file with a line changed. The copy goes
# into a temporary folder together with the tables it names (their paths are relative to the
# file). Here the TFR rises from 0.99 in 2020 to 1.5 in 2030 (a `{year: value}` path instead
# of a constant).

# %%
workdir = Path(tempfile.mkdtemp(prefix="carefacility_variant_"))


def scenario_variant(name: str, changes: dict[str, str]) -> Path:
    """A copy of the Xicheng file with each `old` text replaced by `new`, with its tables."""
    text = SCENARIO.read_text(encoding="utf-8")
    for old, new in changes.items():
        # every occurrence: the file projects two bases (resident and registered) alike
        assert old in text, f"{old!r} is not in {SCENARIO.name}"
        text = text.replace(old, new)
    folder = workdir / name
    shutil.copytree(SCENARIO.parent / "data", folder / "data")
    path = folder / SCENARIO.name
    path.write_text(text, encoding="utf-8")
    return path


more_births = cf.project(scenario_variant("more_births", {
    "tfr: 0.99": "tfr: {2020: 0.99, 2030: 1.5}"}))
shutil.rmtree(workdir)


def by_year(projection: cf.PopulationProjection, column: str) -> pd.Series:
    return projection.elderly.set_index("year")[column]


pd.DataFrame({
    "total (TFR 0.99)": by_year(projection, "total"),
    "total (TFR 1.5 by 2030)": by_year(more_births, "total"),
    "60+ share (TFR 0.99)": by_year(projection, "share_60plus"),
    "60+ share (TFR 1.5 by 2030)": by_year(more_births, "share_60plus"),
}).loc[[2020, 2025, 2030, 2035]].round(3)

# %% [markdown]
# More births change the base of the pyramid and, through the total, the 60+ share, but not the
# number of elderly people before 2080:

# %%
fig, axes = plt.subplots(1, 2, figsize=(12, 5.5), sharex=True, layout="constrained")
cf.plots.population_pyramid(projection.population, years=(2020, 2035), ax=axes[0],
                            title="TFR 0.99 (the scenario)")
cf.plots.population_pyramid(more_births.population, years=(2020, 2035), ax=axes[1],
                            title="TFR rising to 1.5 by 2030")
plt.show()
