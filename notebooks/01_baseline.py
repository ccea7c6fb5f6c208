# ---
# jupyter:
#   jupytext:
#     text_representation:
#       extension: .py
#       format_name: percent
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # 01 · The Syr Darya baseline
#
# This notebook runs the baseline scenario (`scenarios/baseline.yaml`: mean hydrology,
# today's areas, towns and plants) and explores what comes out. The results are one
# xarray `Dataset`. We select from it with plain xarray and compute planning indicators from
# it with `nexusmodel.indicators`. The plots come from `nexusmodel.plots`.
#
# To keep the notebook fast, the 30-year horizon of the scenario file is cut to **5 years**.
# With climatology (the same mean year repeated), five years already show the annual cycle
# and how the reservoirs settle into it.
#
# > The Syr Darya data are **illustrative and approximate** (`data/syr_darya/SOURCES.md`).
# > Read the results as a demonstration of the method, not as facts about the basin.

# %%
import dataclasses
import time
from pathlib import Path

import matplotlib.pyplot as plt
import pandas as pd
from IPython.display import display

from nexusmodel import indicators, load_basin, load_scenario, plots, run_scenario
from nexusmodel.results.variables import VARIABLES

ROOT = next(p for p in [Path.cwd(), *Path.cwd().parents] if (p / "scenarios").is_dir())
pd.set_option("display.precision", 2)

# %% [markdown]
# ## Run the baseline over a shorter horizon
#
# `load_scenario` returns a frozen `Scenario`, and its settings (`spec`) are a frozen
# pydantic model. A variant is a copy with one field changed: `model_copy(update=...)` on the
# settings and `dataclasses.replace` on the scenario. `run_scenario` then chains
# `load_basin -> apply_scenario -> build_model -> solve -> extract_results` in the scenario's
# solve mode and returns a `RunResult` (`mode`, `results`, `report`, `seconds`).

# %%
scenario = load_scenario(ROOT / "scenarios" / "baseline.yaml")
horizon = scenario.spec.horizon.model_copy(update={"years": 5})
scenario = dataclasses.replace(scenario, spec=scenario.spec.model_copy(update={"horizon": horizon}))

start = time.perf_counter()
run = run_scenario(scenario)
print(run.report.summary())
print(f"whole run: {time.perf_counter() - start:.1f} s")
ds = run.results

# %% [markdown]
# ## The results Dataset
#
# Each variable carries its `units` and a `long_name`. Node variables are NaN where they do
# not apply: there is no `storage` at a junction. The attributes record the solve, the
# water-balance check and the scenario's provenance.

# %%
display(ds)

# %%
pd.DataFrame(
    [
        (name, ", ".join(v.dims), v.units, v.long_name)
        for name, v in VARIABLES.items()
        if name in ds
    ],
    columns=["variable", "dims", "units", "meaning"],
).set_index("variable").head(20)

# %%
print("largest water-balance residual:", ds.attrs["water_balance_max_residual_hm3"], "hm3")
print("energy linearisation error:", f"{ds.attrs['energy_linearization_error']:.2e}")

# %% [markdown]
# ## Selecting with xarray
#
# Storage of Toktogul month by month, then its mean annual cycle. The reservoir fills with
# snowmelt in summer and is drawn down in winter for Kyrgyz electricity.

# %%
toktogul = ds["storage"].sel(node="R_TOK")
cycle = toktogul.groupby("time.month").mean() / 1000  # km3
print(cycle.to_series().round(2).to_string())
print(
    f"winter drawdown (end Sep -> end Mar): {float(cycle.sel(month=9) - cycle.sel(month=3)):.2f} km3"
)

# %% [markdown]
# Water delivered to each irrigation district, per year (km3/yr). The `node_type`
# coordinate selects the districts. For the Northern Aral Sea we take the links that end
# there (`link_to`). `link_flow` is what enters a link at its upstream end and `link_loss`
# is what the reach loses on the way, so the sea receives the difference. That difference
# is the `env_flow` of the sea.

# %%
districts = ds["node"][ds["node_type"] == "irrigation"]
delivery = ds["delivery"].sel(node=districts).groupby("time.year").sum() / 1000
delivery.to_pandas().round(2)

# %%
to_aral = ds["link"][ds["link_to"] == "E_NAS"]
arriving = (ds["link_flow"] - ds["link_loss"]).sel(link=to_aral).sum("link")
pd.DataFrame(
    {
        "leaving Koksaray and Kyzylorda": ds["link_flow"].sel(link=to_aral).sum("link"),
        "reaching the sea": arriving,
        "env_flow": ds["env_flow"].sel(node="E_NAS"),
    }
).groupby(ds["time"].dt.year.values).sum().div(1000).round(2)

# %% [markdown]
# Sums by country use the `node_country` coordinate, here for the water consumed (it leaves
# the basin: crop evapotranspiration, towns, losses).

# %%
consumed = ds["consumption"].fillna(0).groupby("node_country").sum().sum("time") / 1000 / 5
consumed.to_series().round(2).rename("consumption, km3/yr")

# %% [markdown]
# ## Indicators
#
# `key_results` gives the headline numbers, per year of the horizon. Supply coverage,
# hydropower by country and the inflow to the Aral Sea come from the same module.

# %%
pd.Series(indicators.key_results_dict(ds)).round(2).to_frame("baseline")

# %%
indicators.supply_coverage(ds, by="country").to_series().round(3)

# %%
indicators.hydropower_generation(ds, by="country").to_series().round(0)

# %%
indicators.terminal_inflow(ds)["per_year"].to_pandas().round(2)

# %% [markdown]
# ## Plots
#
# Storage with capacity and dead storage. Supply against demand by district. Hydropower by
# calendar month, stacked by country. The marginal value of water, node by month: what one
# more m3 would be worth there, from the duals of the water balance.

# %%
basin = load_basin(scenario.basin_path)
fig, ax = plt.subplots(figsize=(9, 4))
plots.plot_storage(ds, ax=ax, nodes=["R_TOK", "R_KAI", "R_CHD"], basin=basin)
ax.set_title("Reservoir storage, baseline (mean hydrology)")
plt.show()

# %%
fig, axes = plt.subplots(1, 2, figsize=(13, 4))
plots.plot_supply(ds, ax=axes[0])
plots.plot_hydropower(ds, ax=axes[1])
plt.tight_layout()
plt.show()

# %%
fig, ax = plt.subplots(figsize=(10, 6))
plots.plot_marginal_value(ds, ax=ax)
plt.show()

# %%
fig, ax = plt.subplots(figsize=(9, 6))
plots.plot_network(ds, basin=basin, ax=ax)
plt.show()

# %% [markdown]
# **Reading the baseline.** In the mean year the districts get nearly all the water they
# ask for. Toktogul swings by several km3 between its summer peak and its spring low,
# because winter power and summer irrigation pull on the same store. The Northern Aral gets
# at least its soft target of 1.5 km3/yr, after large losses in the lower reach. The
# marginal values show where water is scarce: downstream districts in summer, and
# reservoirs whose stored water is worth winter energy.
# Notebook 02 changes the inputs and reads the trade-offs.
