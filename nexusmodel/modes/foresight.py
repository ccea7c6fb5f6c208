"""The value of foresight: the three modes' decisions judged by one economic yardstick.

Each mode optimizes its own objective (economic or priority, over its own horizon); to
compare them, :func:`evaluate_net_benefit` prices every mode's results with the same
economic objective of the whole horizon, from the results Dataset alone::

    net benefit = crop revenue - crop cost                       (production clipped at 0)
                + demand-curve benefit of deliveries               (segments, highest first)
                - thermal and import cost + export revenue - unserved energy x VOLL
                - penalties: municipal shortage, environmental deficits (monthly and
                  annual), link minimum-flow deficits, water sent to penalised sinks
                - link transport costs
                + terminal value x end storage (reservoirs valued at the end)
                + end value x (end storage - initial storage) (other reservoirs, if given)

discounted like the model (MUSD). The spill tie-breaker and the penalties of scenario
release rules are left out (the breaches are in ``release_rule_breach``). Optimize's
value is its LP objective less those terms, so on a model whose energy is linear,
``optimize >= rolling >= simulate`` is what foresight is worth.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd
import xarray as xr

from nexusmodel.basin.basin import Basin
from nexusmodel.basin.schema import (
    DemandNode,
    EnergySystemNode,
    EnvironmentNode,
    MunicipalNode,
    ReservoirNode,
    SinkNode,
)
from nexusmodel.indicators import key_results_dict
from nexusmodel.model.context import discount_factors, nodes_of_class

USD_PER_MUSD = 1e6


def _discounts(ds: xr.Dataset) -> tuple[np.ndarray, dict[int, float]]:
    """(discount of each step, of each calendar year's first step), as the model's."""
    rate = float(ds.attrs.get("discount_rate", 0.0) or 0.0)
    times = pd.DatetimeIndex(ds["time"].values)
    step = discount_factors(rate, times)
    first: dict[int, float] = {}
    for y, d in zip(times.year, step, strict=True):
        first.setdefault(int(y), float(d))
    return step, first


def _at(ds: xr.Dataset, name: str, nodes: list[str]) -> np.ndarray:
    """(nodes, time) values of a node variable, NaN as 0."""
    if name not in ds or not nodes:
        return np.zeros((len(nodes), ds.sizes["time"]))
    return np.nan_to_num(ds[name].sel(node=nodes).values.astype(float))


def evaluate_net_benefit(
    ds: xr.Dataset,
    basin: Basin,
    end_value_usd_per_m3: Mapping[str, float] | None = None,
) -> float:
    """Economic net benefit of a run's results over the whole horizon (MUSD, discounted).

    ``basin`` gives the penalties, demand curves and terminal values (the basin the run
    was made with). ``end_value_usd_per_m3`` values the change of storage over the horizon
    of reservoirs without a terminal value (by reservoir id); without it that change is
    not valued (compare runs that end alike, or give one yardstick to all).
    """
    disc, year_disc = _discounts(ds)
    total = 0.0
    # food: revenue and cost by calendar year (USD)
    if "crop_revenue" in ds:
        by_year = (ds["crop_revenue"].fillna(0.0) - ds["crop_cost"].fillna(0.0)).sum(
            ("node", "crop")
        )
        total += (
            sum(
                float(v) * year_disc.get(int(y), 1.0)
                for y, v in zip(by_year["year"].values, by_year.values, strict=True)
            )
            / USD_PER_MUSD
        )
    # energy (USD) and unserved energy (GWh x USD/MWh x 1e-3 = MUSD)
    if "thermal_cost" in ds:
        money = ds["export_revenue"] - ds["thermal_cost"] - ds["import_cost"]
        total += float((money.sum("country").values * disc).sum()) / USD_PER_MUSD
    systems = {n.country: n for n in nodes_of_class(basin, EnergySystemNode).values()}
    if "unserved_energy" in ds:
        for c in ds["country"].values:
            node = systems.get(str(c))
            if node is not None:
                unserved = ds["unserved_energy"].sel(country=c).values
                total -= float((unserved * disc).sum()) * node.unserved_penalty_usd_per_mwh * 1e-3
    # towns: shortage penalty
    towns = list(nodes_of_class(basin, MunicipalNode).values())
    short = _at(ds, "shortage", [t.id for t in towns])
    for i, t in enumerate(towns):
        total -= float((short[i] * disc).sum()) * t.shortage_penalty_usd_per_m3
    # demand curves: the highest segments are served first
    users = list(nodes_of_class(basin, DemandNode).values())
    delivered = _at(ds, "delivery", [u.id for u in users])
    demanded = _at(ds, "demand", [u.id for u in users])
    month = pd.DatetimeIndex(ds["time"].values).month.to_numpy() - 1
    for i, u in enumerate(users):
        left = delivered[i].copy()
        if u.quadratic_benefit is not None:  # a x - b x^2 / 2 on each step's delivery
            a, b = (
                u.quadratic_benefit.value_usd_per_m3,
                u.quadratic_benefit.decline_usd_per_m3_per_hm3,
            )
            total += float((disc * (a * left - b * left**2 / 2)).sum())
        for seg in u.benefit_segments:  # concave: listed from the highest value down
            take = np.minimum(left, seg.share * demanded[i])
            left -= take
            total += float((take * disc * np.array(seg.monthly_values())[month]).sum())
    # environment: monthly and annual deficits (annual ones sit in the year's last step)
    envs = list(nodes_of_class(basin, EnvironmentNode).values())
    deficit = _at(ds, "env_deficit", [e.id for e in envs])
    for i, e in enumerate(envs):
        total -= float((deficit[i] * disc).sum()) * e.penalty_usd_per_m3
    # links: transport cost and minimum-flow deficits
    for link in basin.links:
        if link.id not in ds["link"].values:
            continue
        flow = ds["link_flow"].sel(link=link.id).values
        total -= float((flow * disc).sum()) * link.cost_usd_per_m3
        if link.min_flow_m3s > 0 and "link_min_flow_deficit" in ds:
            short_link = ds["link_min_flow_deficit"].sel(link=link.id).values
            total -= float((short_link * disc).sum()) * link.min_flow_penalty_usd_per_m3
    # sinks with a penalty
    sinks = [n for n in nodes_of_class(basin, SinkNode).values() if n.penalty_usd_per_m3]
    spilled = _at(ds, "sink_inflow", [n.id for n in sinks])
    for i, n in enumerate(sinks):
        total -= float((spilled[i] * disc).sum()) * n.penalty_usd_per_m3
    # storage left at the end
    ends = end_value_usd_per_m3 or {}
    for r in nodes_of_class(basin, ReservoirNode).values():
        end = float(np.nan_to_num(ds["storage"].sel(node=r.id).values[-1]))
        if r.end_storage == "value":
            total += end * r.terminal_value_usd_per_m3 * float(disc[-1])
        elif r.id in ends:
            total += (end - r.initial_storage_hm3) * float(ends[r.id]) * float(disc[-1])
    return float(total)


#: rows of the comparison table: (label, key result or computed name, format)
ROWS: tuple[tuple[str, str, str], ...] = (
    ("net benefit (MUSD, economic, discounted)", "net_benefit_musd", "{:,.1f}"),
    ("  vs perfect foresight (MUSD)", "net_benefit_loss_musd", "{:+,.1f}"),
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

    Net benefit is :func:`evaluate_net_benefit` for every mode; the loss is against the
    ``optimize`` column when there is one.
    """
    table: dict[str, dict[str, float]] = {}
    for mode, ds in results.items():
        kr = key_results_dict(ds)
        row = dict(kr)
        row["net_benefit_musd"] = evaluate_net_benefit(ds, basin, end_value_usd_per_m3)
        row["irrigation_shortage_km3_per_yr"] = (
            kr["irrigation_demand_km3_per_yr"] - kr["irrigation_delivery_km3_per_yr"]
        )
        storage = ds["storage"].where(ds["node_type"] == "reservoir")
        initial = sum(r.initial_storage_hm3 for r in nodes_of_class(basin, ReservoirNode).values())
        row["storage_change_km3"] = (float(storage.isel(time=-1).sum()) - initial) / 1000.0
        row["seconds"] = float((seconds or {}).get(mode, np.nan))
        table[mode] = row
    if "optimize" in table:
        best = table["optimize"]["net_benefit_musd"]
        for row in table.values():
            row["net_benefit_loss_musd"] = row["net_benefit_musd"] - best
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
