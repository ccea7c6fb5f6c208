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
# # 02 · Comparing scenarios: irrigation, hydropower and the Aral Sea
#
# This notebook runs the baseline next to other scenarios and reads the trade-offs between
# the three big users of the Syr Darya:
#
# * **irrigation** in the Fergana valley, the Hungry Steppe, Turkestan and Kyzylorda;
# * **hydropower**, above all Toktogul and the Naryn cascade, which Kyrgyzstan wants in winter;
# * **the Northern Aral Sea**, which gets what is left at the end of the river.
#
# Two kinds of scenario are compared:
#
# * the **scenario files** in `scenarios/` (climate, efficiency, population, ecological-flow
#   variants of the baseline), each run as it is with its horizon cut;
# * two **variants built in the notebook** with `apply_parameters` from
#   `nexusmodel.calibration`. It returns a new `Basin` with a horizon series scaled or a
#   node field changed, which is how to try an idea without writing a file:
#   * `inflow -20 %`: 20 % less natural inflow at every source, every month (dry years);
#   * `canals +15 %`: conveyance efficiency of every district up by 15 % (lining, repairs).
#
# As in notebook 01, the horizon is **5 years** of mean hydrology, to keep the notebook
# fast. The scenario files ramp their changes: nothing in the first year, the full change in
# the last year of the horizon. Cut to 5 years, their means show about half of the change
# they describe for 2050.
#
# > Illustrative data (`data/syr_darya/SOURCES.md`): these are demonstrations of the method.

# %%
import dataclasses
import time
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import xarray as xr

from nexusmodel import (
    apply_scenario,
    build_model,
    extract_results,
    indicators,
    load_basin,
    load_scenario,
    plots,
    run_scenario,
)
from nexusmodel.calibration import Parameter, apply_parameters
from nexusmodel.errors import NexusModelError
from nexusmodel.solve import solve

ROOT = next(p for p in [Path.cwd(), *Path.cwd().parents] if (p / "scenarios").is_dir())
YEARS = 5
pd.set_option("display.precision", 2)


def shorten(scenario, years=YEARS):
    """The scenario with its horizon cut to ``years`` (a copy: the file is not touched)."""
    horizon = scenario.spec.horizon.model_copy(update={"years": years})
    return dataclasses.replace(scenario, spec=scenario.spec.model_copy(update={"horizon": horizon}))


# %% [markdown]
# ## The baseline basin and the variants

# %%
baseline_scenario = shorten(load_scenario(ROOT / "scenarios" / "baseline.yaml"))
basin = apply_scenario(load_basin(baseline_scenario.basin_path), baseline_scenario)
options = baseline_scenario.options

inflow = Parameter("inflow factor", "inflow", (0.5, 1.5), 1.0)
canals = Parameter("conveyance factor", "conveyance_efficiency", (0.8, 1.25), 1.0, mode="scale")

variants = {
    "baseline": {},
    "inflow -20 %": {inflow: 0.8},
    "canals +15 %": {canals: 1.15},
}
pd.DataFrame(
    {
        name: {
            "natural inflow, km3/yr": float(
                apply_parameters(basin, change)
                .series.inflow_m3s.mul(basin.series.months.days_in_month * 0.0864, axis=0)
                .sum()
                .sum()
                / YEARS
                / 1000
            ),
            "mean conveyance efficiency": np.mean(
                [
                    n.conveyance_efficiency
                    for n in apply_parameters(basin, change).nodes_of_type("irrigation")
                ]
            ),
        }
        for name, change in variants.items()
    }
).T.round(3)


# %% [markdown]
# ## Run them
#
# Each run is `build_model -> solve -> extract_results` on the changed basin, with the
# scenario's options (head iteration on). The results go into one cube with a `scenario`
# dimension. The indicators and plots reduce over time only, so they give one value per
# scenario.


# %%
def run_basin(b):
    model = build_model(b, options)
    return extract_results(model, solve(model))


runs = {}
start = time.perf_counter()
for name, change in variants.items():
    runs[name] = run_basin(apply_parameters(basin, change))
print(f"{len(runs)} runs in {time.perf_counter() - start:.1f} s")

# %% [markdown]
# The scenario files, each with its own basin, drivers and options. A file that cannot be
# loaded against the current code is reported and skipped.

# %%
for path in sorted((ROOT / "scenarios").glob("*.yaml"))[:8]:
    if path.stem == "baseline":
        continue
    try:
        runs[path.stem] = run_scenario(shorten(load_scenario(path))).results
        print(f"ran {path.name}")
    except NexusModelError as exc:
        print(f"skipped {path.name}: {str(exc).splitlines()[0]}")
print("scenarios:", ", ".join(runs))

# %%
common = set.intersection(*(set(ds.data_vars) for ds in runs.values()))
cube = xr.concat(
    [ds[sorted(common)].drop_attrs() for ds in runs.values()],
    dim=pd.Index(list(runs), name="scenario"),
    coords="minimal",
    compat="override",
    join="outer",
)
print(cube.sizes)

# %% [markdown]
# ## Key results against the baseline

# %%
plots.comparison_table(cube).pivot_table(
    index="indicator", columns="scenario", values="value", sort=False
).round(2)

# %%
fig, ax = plt.subplots(figsize=(10, 6))
plots.plot_scenario_comparison(cube, ax=ax)
plt.show()

# %% [markdown]
# ## The three-way trade-off
#
# One row per scenario, with each sector's headline figure: irrigation delivery and food,
# hydropower in winter and in summer, and what reaches the Northern Aral Sea.

# %%
key = indicators.key_results(cube)
tradeoff = pd.DataFrame(
    {
        "irrigation delivery, km3/yr": key["irrigation_delivery_km3_per_yr"].to_series(),
        "irrigation coverage, %": key["irrigation_coverage_pct"].to_series(),
        "food, kt/yr": key["food_production_kt_per_yr"].to_series(),
        "hydropower winter, GWh/yr": key["hydropower_winter_gwh_per_yr"].to_series(),
        "hydropower summer, GWh/yr": key["hydropower_summer_gwh_per_yr"].to_series(),
        "thermal, GWh/yr": key["thermal_gwh_per_yr"].to_series(),
        "to the Aral Sea, km3/yr": key["terminal_inflow_km3_per_yr"].to_series(),
    }
)
tradeoff.round(2)

# %%
change = (tradeoff - tradeoff.loc["baseline"]).drop(index="baseline")
change.round(2)

# %% [markdown]
# The Aral Sea's inflow against irrigation delivery, with the winter hydropower as the size
# of each point: the triangle of the nexus in one picture.

# %%
fig, ax = plt.subplots(figsize=(7, 5))
winter = tradeoff["hydropower winter, GWh/yr"]
ax.scatter(
    tradeoff["irrigation delivery, km3/yr"],
    tradeoff["to the Aral Sea, km3/yr"],
    s=300 * winter / winter.max(),
    alpha=0.6,
)
for name, row in tradeoff.iterrows():
    ax.annotate(
        name,
        (row["irrigation delivery, km3/yr"], row["to the Aral Sea, km3/yr"]),
        textcoords="offset points",
        xytext=(6, 6),
    )
ax.set_xlabel("irrigation delivery (km³/yr)")
ax.set_ylabel("inflow to the Northern Aral Sea (km³/yr)")
ax.set_title("Irrigation against the Aral Sea (point size: winter hydropower)")
plt.show()

# %% [markdown]
# ## Where the water went: Toktogul and the districts
#
# Toktogul's storage in each scenario, and supply against demand with 20 % less inflow.

# %%
fig, ax = plt.subplots(figsize=(10, 4))
for i, name in enumerate(runs):
    plots.plot_storage(
        runs[name], ax=ax, nodes=["R_TOK"], bounds=(i == 0), rules=False, label=name, color=f"C{i}"
    )
ax.set_title("Toktogul storage by scenario")
ax.legend(fontsize=8)
plt.show()

# %%
fig, axes = plt.subplots(1, 2, figsize=(13, 4), sharex=True)
plots.plot_supply(runs["baseline"], ax=axes[0])
axes[0].set_title("baseline")
plots.plot_supply(runs["inflow -20 %"], ax=axes[1])
axes[1].set_title("inflow -20 %")
plt.tight_layout()
plt.show()

# %% [markdown]
# The marginal value of water tells which users bind. Here it is at the head of the
# system (Toktogul), in the Fergana valley and at the sea, averaged over summer and over
# winter, in USD/m3.

# %%
mv = cube["marginal_value"].sel(node=["R_TOK", "D_FER", "D_KZO", "E_NAS"])
summer = mv.where(mv["time"].dt.month.isin([4, 5, 6, 7, 8, 9])).mean("time")
winter = mv.where(~mv["time"].dt.month.isin([4, 5, 6, 7, 8, 9])).mean("time")
pd.concat({"summer": summer.to_pandas(), "winter": winter.to_pandas()}, axis=1).round(3)

# %%
print("Reading the trade-offs (numbers from the runs above):")
for name, row in change.iterrows():
    print(
        f"- {name}: irrigation {row['irrigation delivery, km3/yr']:+.2f} km3/yr, "
        f"winter hydropower {row['hydropower winter, GWh/yr']:+.0f} GWh/yr, "
        f"thermal {row['thermal, GWh/yr']:+.0f} GWh/yr, "
        f"Aral Sea {row['to the Aral Sea, km3/yr']:+.2f} km3/yr"
    )

# %% [markdown]
# **Reading the trade-offs.** The model maximises the basin's net benefit. Where water is
# short it first gives up the uses that earn least per m3. Those are rice and fodder, and
# the Aral Sea above its soft target, whose penalty is small. High-value crops and towns are
# cut last.
#
# * With **less water** (`inflow -20 %`, the dry climate files) the loss falls on the Aral
#   Sea, on low-value irrigation and on Kyrgyz winter hydropower. Toktogul keeps water back
#   for the summer releases the districts downstream value more. The price of that water
#   is the rise in marginal values at Toktogul and in the districts.
# * **Better canals** (`canals +15 %`, the efficiency file) cut the gross withdrawal:
#   delivery at the canal heads falls while crops get the same net water. Whether the
#   saving reaches the sea or is used upstream depends on what the water is worth in each
#   place. Better efficiency also cuts return flows, so part of the "saving" was already
#   being reused downstream.
# * **Demand-side** files (population, ecological flows) move less in a mean year. The
#   mean year has enough water for towns, and the sea's soft target is already met.
# * **New storage upstream** (a Kambarata-1 file, if present) mostly shifts Kyrgyz
#   generation into winter. What it changes downstream in a mean year is in the numbers
#   printed above.
#
# These are allocation trade-offs of an optimizer with perfect foresight over a mean year.
# They bound what coordinated operation could achieve. They do not forecast what the
# countries will do.
