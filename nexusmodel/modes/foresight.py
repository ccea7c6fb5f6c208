"""The value of foresight: the three modes' decisions judged by one economic yardstick.

Each mode optimizes its own objective (economic or priority, over its own horizon); to
compare them, every mode's results are priced with the same economic terms of the whole
horizon, from the results Dataset alone (:mod:`nexusmodel.results.net_benefit`): each
run's own **net benefit** (crops, energy, demand-curve benefits, transport costs, terminal
storage value; the figure ``nexusmodel run`` prints), its **penalties** shown apart, and
:func:`evaluate_net_benefit` = net benefit - penalties + the change of storage valued at
one price for all, the yardstick of the loss against perfect foresight. The spill
tie-breaker, the Taylor plane's cut and lift and the penalties of scenario release rules
are left out (the breaches are in ``release_rule_breach``). Optimize's yardstick is its LP
objective less those terms, so on a model whose energy is linear,
``optimize >= rolling >= simulate`` is what foresight is worth.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd
import xarray as xr

from nexusmodel.basin.basin import Basin
from nexusmodel.basin.schema import ReservoirNode
from nexusmodel.indicators import key_results_dict
from nexusmodel.model.context import nodes_of_class
from nexusmodel.results.net_benefit import (
    BENEFIT_PARTS,
    PENALTY_PARTS,
    net_benefit_attrs,
    net_benefit_parts,
)


def evaluate_net_benefit(
    ds: xr.Dataset,
    basin: Basin,
    end_value_usd_per_m3: Mapping[str, float] | None = None,
) -> float:
    """Net benefit less penalties of a run's results over the whole horizon (MUSD,
    discounted): the yardstick the modes are compared by (:func:`net_benefit_parts`).

    ``basin`` gives the penalties, demand curves and terminal values (the basin the run
    was made with). ``end_value_usd_per_m3`` values the change of storage over the horizon
    of reservoirs without a terminal value (by reservoir id); without it that change is
    not valued (compare runs that end alike, or give one yardstick to all).
    """
    parts = net_benefit_parts(ds, basin, end_value_usd_per_m3)
    return float(sum(parts[k] for k in BENEFIT_PARTS) - sum(parts[k] for k in PENALTY_PARTS))


#: rows of the comparison table: (label, key result or computed name, format)
ROWS: tuple[tuple[str, str, str], ...] = (
    ("net benefit (MUSD, whole horizon, discounted)", "net_benefit_musd", "{:,.1f}"),
    ("penalties, shown apart (MUSD)", "penalties_musd", "{:,.1f}"),
    ("end storage change valued (MUSD)", "end_storage_value_musd", "{:+,.1f}"),
    ("  vs perfect foresight (MUSD, all three)", "net_benefit_loss_musd", "{:+,.1f}"),
    ("irrigation shortage (km3/yr)", "irrigation_shortage_km3_per_yr", "{:.3f}"),
    ("irrigation coverage (%)", "irrigation_coverage_pct", "{:.2f}"),
    ("municipal coverage (%)", "municipal_coverage_pct", "{:.2f}"),
    ("hydropower winter Oct-Mar (GWh/yr)", "hydropower_winter_gwh_per_yr", "{:,.0f}"),
    ("hydropower summer Apr-Sep (GWh/yr)", "hydropower_summer_gwh_per_yr", "{:,.0f}"),
    ("thermal generation (GWh/yr)", "thermal_gwh_per_yr", "{:,.0f}"),
    ("ecological compliance (% of months)", "env_compliance_pct", "{:.1f}"),
    ("inflow to the Aral Sea / terminal lakes (km3/yr)", "terminal_inflow_km3_per_yr", "{:.3f}"),
    ("reservoir storage change over the run (km3)", "storage_change_km3", "{:+.2f}"),
    ("wall time (s)", "seconds", "{:.1f}"),
)


def value_of_foresight(
    results: Mapping[str, xr.Dataset],
    basin: Basin,
    end_value_usd_per_m3: Mapping[str, float] | None = None,
    seconds: Mapping[str, float] | None = None,
) -> pd.DataFrame:
    """The modes side by side (one column per mode, rows :data:`ROWS`), from their results.

    Net benefit and penalties are each run's own figures (:func:`net_benefit_attrs`, what
    ``nexusmodel run`` prints); the loss against the ``optimize`` column (when there is one)
    compares net benefit - penalties + the end storage change valued at one price for all
    (:func:`evaluate_net_benefit`).
    """
    table: dict[str, dict[str, float]] = {}
    for mode, ds in results.items():
        kr = key_results_dict(ds)
        row = dict(kr)
        own = net_benefit_attrs(ds, basin)  # the run's own figure (as ``nexusmodel run``)
        row["net_benefit_musd"] = own["net_benefit_musd"]
        row["penalties_musd"] = own["penalties_musd"]
        row["yardstick_musd"] = evaluate_net_benefit(ds, basin, end_value_usd_per_m3)
        row["end_storage_value_musd"] = (
            row["yardstick_musd"] - own["net_benefit_musd"] + own["penalties_musd"]
        )
        row["irrigation_shortage_km3_per_yr"] = (
            kr["irrigation_demand_km3_per_yr"] - kr["irrigation_delivery_km3_per_yr"]
        )
        storage = ds["storage"].where(ds["node_type"] == "reservoir")
        initial = sum(r.initial_storage_hm3 for r in nodes_of_class(basin, ReservoirNode).values())
        row["storage_change_km3"] = (float(storage.isel(time=-1).sum()) - initial) / 1000.0
        row["seconds"] = float((seconds or {}).get(mode, np.nan))
        table[mode] = row
    if "optimize" in table:
        best = table["optimize"]["yardstick_musd"]
        for row in table.values():
            row["net_benefit_loss_musd"] = row["yardstick_musd"] - best
    frame = pd.DataFrame(
        {mode: [row.get(key, np.nan) for _label, key, _fmt in ROWS] for mode, row in table.items()},
        index=[label for label, _key, _fmt in ROWS],
    )
    frame.index.name = "indicator"
    return frame


def format_table(frame: pd.DataFrame) -> list[list[str]]:
    """Rows of strings (label, then one value per mode), formatted per :data:`ROWS`."""
    fmt = {label: f for label, _key, f in ROWS}
    out = []
    for label, row in frame.iterrows():
        out.append(
            [str(label)]
            + ["" if not np.isfinite(v) else fmt.get(str(label), "{:.3g}").format(v) for v in row]
        )
    return out


def reference_end_values(ds: xr.Dataset) -> dict[str, float]:
    """Mean marginal value of water at each reservoir over a run (USD/m3, clipped at 0): one
    price for the storage the modes leave at the end, the same for every mode."""
    out = {}
    for node, kind in zip(ds["node"].values, ds["node_type"].values, strict=True):
        if kind == "reservoir":
            out[str(node)] = max(float(np.nanmean(ds["marginal_value"].sel(node=node).values)), 0.0)
    return out
