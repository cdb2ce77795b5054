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
# # Does Xicheng's bed plan admit the people who need a bed?
#
# This notebook runs the Xicheng scenario (4,500 care beds from 2020, 46 % of them nursing-type),
# looks at the scorecard and the waits, and tries one change to the plan without editing the
# file: keeping nursing-type beds for dependent applicants only (the strict reading of the
# standard; the default lets any applicant take a free nursing-type bed, as homes do). It uses
# only `import carefacility as cf`: `cf.load_scenario`, `cf.run` and the charts in `cf.plots`.
#
# Three replications keep it quick (a few seconds); the scenario itself asks for 20, and the
# confidence intervals narrow with more.

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
result = cf.run(scenario, replications=3, executor="serial")
{key: result.metadata[key] for key in ("scenario", "seed", "replications", "executor",
                                        "start_date", "years")}

# %% [markdown]
# Every KPI is a mean over the replications with a 95 % confidence interval.

# %%
kpis = result.kpis
waits = kpis[kpis.metric.isin(["waiting_list_year_end", "wait_p95_days"])]
waits[waits.year.isin([2021, 2025, 2030, 2035])].round(1)

# %% [markdown]
# ## The scorecard
#
# One row per target and year: the simulated mean, its status and the shortfall.

# %%
card = result.scorecard
card[card.year.isin([2025, 2030, 2035])][
    ["target", "year", "simulated_mean", "status", "shortfall", "shortfall_unit"]]

# %%
# the targets keep the plan's own (partly Chinese) words: the package ships a Chinese font
ax = cf.plots.scorecard_chart(card[card.year.isin([2021, 2025, 2028, 2030, 2035])])
ax.figure

# %% [markdown]
# ## Beds and waits
#
# Occupied beds by type against the plan, with the pooled offered load (the beds that would be
# in use if nobody waited). The first year's occupancy is calibrated to the observed start (see
# the scenario's `starting_state.observed`); later years are results.

# %%
ax = cf.plots.bed_demand_supply(kpis, result.tables["analytic_cross_check"])
ax.figure

# %%
fig, axes = plt.subplots(2, 2, figsize=(13, 9), layout="constrained")
cf.plots.waiting_times(kpis, ax=axes[0, 0])
cf.plots.admitted_within_threshold(kpis, target=0.95, ax=axes[0, 1])
cf.plots.occupancy_by_type(kpis, ax=axes[1, 0])
# 55 % is the national 14th five-year-plan target for 2025, not a Xicheng one
cf.plots.nursing_share(kpis, target=0.55, ax=axes[1, 1])
plt.show()

# %% [markdown]
# ## A variant: nursing-type beds for dependent applicants only
#
# A scenario is a file, so the variant is a copy of it with one more line in its `simulation`
# section, written to a temporary folder together with the tables it names (their paths are
# relative to the file). `cf.run` also runs the other rule beside the scenario's own
# (`result.tables["eligibility_alternative"]`); the copy shows how to try any change.

# %%
STRICT = ("  eligible_bed_types: {independent: [general], partially_dependent: [general], "
          "dependent: [nursing], dementia: [dementia, nursing]}\n")

workdir = Path(tempfile.mkdtemp(prefix="carefacility_variant_"))
shutil.copytree(SCENARIO.parent / "data", workdir / "data")
text = SCENARIO.read_text(encoding="utf-8")
anchor = "  waiting_discipline: priority\n"
assert text.count(anchor) == 1, f"{anchor.strip()!r} is not exactly once in {SCENARIO.name}"
variant_file = workdir / "xicheng_strict_beds.yaml"
variant_file.write_text(text.replace(anchor, anchor + STRICT), encoding="utf-8")

strict = cf.run(variant_file, replications=3, executor="serial")
shutil.rmtree(workdir)
metrics = ["waiting_list_year_end", "share_served_within_threshold", "occupancy.nursing"]
pd.concat({"plan as written": result.summary(metrics),
           "nursing beds for dependent only": strict.summary(metrics)}, axis=1
          ).loc[[2021, 2025, 2030, 2035]].round(3)

# %%
fig, axes = plt.subplots(1, 2, figsize=(13, 5), sharey=True, layout="constrained")
cf.plots.occupancy_by_type(kpis, ax=axes[0], title="Plan as written")
cf.plots.occupancy_by_type(strict.kpis, ax=axes[1],
                           title="Nursing-type beds for dependent applicants only")
plt.show()

# %% [markdown]
# With nursing-type beds kept for dependent applicants, general beds fill first and a waiting
# list can form beside empty nursing-type beds; the scenario keeps the default (any applicant may
# take a free nursing-type bed, general beds preferred for the independent).
# `cf.write_report(result, "out/xicheng")` writes the tables, charts and report of a run.
