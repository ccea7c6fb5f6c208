"""The net benefit of a run, priced from its results alone, and its decomposition.

One figure for every consumer (``nexusmodel run``, ``--mode all``, the report): the
**net benefit** is the sum of the economic benefit and cost terms of the objective::

    crops            crop revenue - crop cost                  (by calendar year)
    energy           export revenue - thermal cost - import cost - line wheeling cost
                     (thermal cost: the aggregate thermal plant and every generator's
                     variable cost, fuel / efficiency + O&M)
    demand_benefit   demand-curve benefit of deliveries        (segments by month, quadratic)
    transport_cost   - link transport costs
    storage_value    terminal value x end storage (reservoirs with ``end_storage: value``)
                     [+ a yardstick's value of the storage change, :func:`net_benefit_parts`]

all discounted like the model (one rate, ``attrs["discount_rate"]``, MUSD). The
**penalties** are shown apart (MUSD, discounted, positive numbers)::

    unserved_energy        unserved energy x VOLL
    municipal_shortage     town shortage x its penalty
    environmental_deficit  monthly and annual environmental deficits x penalty
    min_flow_deficit       link minimum-flow deficits x penalty
    penalised_outflow      water sent to penalised sinks x penalty

Left out of both: the turbine-flow tie-breaker, the Taylor plane's cut and lift (model
devices, not money) and the penalties of scenario release rules (their breaches are in
``release_rule_breach``). The LP objective (``attrs["objective_musd"]``) is net benefit -
penalties + those devices.
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
from nexusmodel.model.context import discount_factors, nodes_of_class

USD_PER_MUSD = 1e6
#: the economic terms of the net benefit and the penalties shown apart (MUSD, discounted)
BENEFIT_PARTS = ("crops", "energy", "demand_benefit", "transport_cost", "storage_value")
PENALTY_PARTS = (
    "unserved_energy",
    "municipal_shortage",
    "environmental_deficit",
    "min_flow_deficit",
    "penalised_outflow",
)

__all__ = [
    "BENEFIT_PARTS",
    "PENALTY_PARTS",
    "net_benefit_attrs",
    "net_benefit_parts",
    "net_benefit_text",
]


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


def net_benefit_parts(
    ds: xr.Dataset,
    basin: Basin,
    end_value_usd_per_m3: Mapping[str, float] | None = None,
) -> dict[str, float]:
    """Every term of :data:`BENEFIT_PARTS` and :data:`PENALTY_PARTS` (MUSD, discounted;
    penalties as positive costs) of a run's results over its whole horizon.

    ``basin`` gives the penalties, demand curves and terminal values (the basin the run
    was made with). ``end_value_usd_per_m3`` values the change of storage over the horizon
    of reservoirs without a terminal value (by reservoir id), added to ``storage_value``
    (a yardstick to compare runs that end differently; none in a run's own figure).
    """
    disc, year_disc = _discounts(ds)
    parts = dict.fromkeys(BENEFIT_PARTS + PENALTY_PARTS, 0.0)
    if "crop_revenue" in ds:
        by_year = (ds["crop_revenue"].fillna(0.0) - ds["crop_cost"].fillna(0.0)).sum(
            ("node", "crop")
        )
        parts["crops"] = (
            sum(
                float(v) * year_disc.get(int(y), 1.0)
                for y, v in zip(by_year["year"].values, by_year.values, strict=True)
            )
            / USD_PER_MUSD
        )
    if "thermal_cost" in ds:
        money = ds["export_revenue"] - ds["thermal_cost"] - ds["import_cost"]
        parts["energy"] = float((money.sum("country").values * disc).sum()) / USD_PER_MUSD
    if "interconnector_cost" in ds and ds.sizes.get("interconnector", 0):
        wheeling = ds["interconnector_cost"].sum("interconnector").values
        parts["energy"] -= float((wheeling * disc).sum()) / USD_PER_MUSD
    systems = {n.country: n for n in nodes_of_class(basin, EnergySystemNode).values()}
    if "unserved_energy" in ds:
        for c in ds["country"].values:
            system = systems.get(str(c))
            if system is not None:
                unserved = ds["unserved_energy"].sel(country=c).values
                parts["unserved_energy"] += (
                    float((unserved * disc).sum()) * system.unserved_penalty_usd_per_mwh * 1e-3
                )
    towns = list(nodes_of_class(basin, MunicipalNode).values())
    short = _at(ds, "shortage", [t.id for t in towns])
    for i, t in enumerate(towns):
        parts["municipal_shortage"] += (
            float((short[i] * disc).sum()) * t.shortage_penalty_usd_per_m3
        )
    users = list(nodes_of_class(basin, DemandNode).values())
    delivered = _at(ds, "delivery", [u.id for u in users])
    demanded = _at(ds, "demand", [u.id for u in users])
    month = pd.DatetimeIndex(ds["time"].values).month.to_numpy() - 1
    for i, u in enumerate(users):
        left = delivered[i].copy()
        if u.quadratic_benefit is not None:  # a x - b x^2 / 2 on each step's delivery
            a = u.quadratic_benefit.value_usd_per_m3
            b = u.quadratic_benefit.decline_usd_per_m3_per_hm3
            parts["demand_benefit"] += float((disc * (a * left - b * left**2 / 2)).sum())
        for seg in u.benefit_segments:  # concave in every month: listed from the highest down
            take = np.minimum(left, seg.share * demanded[i])
            left -= take
            value = np.array(seg.monthly_values())[month]
            parts["demand_benefit"] += float((take * disc * value).sum())
    envs = list(nodes_of_class(basin, EnvironmentNode).values())
    deficit = _at(ds, "env_deficit", [e.id for e in envs])
    for i, e in enumerate(envs):
        parts["environmental_deficit"] += float((deficit[i] * disc).sum()) * e.penalty_usd_per_m3
    for link in basin.links:
        if link.id not in ds["link"].values:
            continue
        flow = ds["link_flow"].sel(link=link.id).values
        parts["transport_cost"] -= float((flow * _link_cost(ds, link) * disc).sum())
        if link.min_flow_m3s and "link_min_flow_deficit" in ds:
            short_link = ds["link_min_flow_deficit"].sel(link=link.id).values
            parts["min_flow_deficit"] += (
                float((short_link * disc).sum()) * link.min_flow_penalty_usd_per_m3
            )
    sinks = [n for n in nodes_of_class(basin, SinkNode).values() if n.penalty_usd_per_m3]
    spilled = _at(ds, "sink_inflow", [n.id for n in sinks])
    for i, n in enumerate(sinks):
        parts["penalised_outflow"] += float((spilled[i] * disc).sum()) * n.penalty_usd_per_m3
    ends = end_value_usd_per_m3 or {}
    for r in nodes_of_class(basin, ReservoirNode).values():
        end = float(np.nan_to_num(ds["storage"].sel(node=r.id).values[-1]))
        if r.end_storage == "value":
            parts["storage_value"] += end * r.terminal_value_usd_per_m3 * float(disc[-1])
        elif r.id in ends:
            parts["storage_value"] += (
                (end - r.initial_storage_hm3) * float(ends[r.id]) * float(disc[-1])
            )
    return parts


def _link_cost(ds: xr.Dataset, link: object) -> np.ndarray | float:
    """A link's transport cost (USD/m3) on each step: a monthly profile or a scalar."""
    cost = link.cost_usd_per_m3  # type: ignore[attr-defined]
    if isinstance(cost, (list, tuple)):
        months = pd.DatetimeIndex(ds["time"].values).month
        return np.asarray(cost, dtype=float)[months - 1]
    return float(cost)


def net_benefit_attrs(ds: xr.Dataset, basin: Basin) -> dict[str, float]:
    """``net_benefit_musd``, ``penalties_musd`` and each part as ``net_benefit_<part>_musd``
    / ``penalty_<part>_musd`` (MUSD, discounted at ``attrs["discount_rate"]``): the
    results' attributes every consumer reads."""
    parts = net_benefit_parts(ds, basin)
    out = {
        "net_benefit_musd": sum(parts[k] for k in BENEFIT_PARTS),
        "penalties_musd": sum(parts[k] for k in PENALTY_PARTS),
    }
    out.update({f"net_benefit_{k}_musd": parts[k] for k in BENEFIT_PARTS})
    out.update({f"penalty_{k}_musd": parts[k] for k in PENALTY_PARTS})
    return out


def net_benefit_text(ds: xr.Dataset) -> str:
    """'net benefit N million USD (whole horizon, discounted at r %/yr); penalties P
    million USD apart' from a results Dataset's attributes."""
    rate = 100.0 * float(ds.attrs.get("discount_rate", 0.0) or 0.0)
    net = float(ds.attrs.get("net_benefit_musd", np.nan))
    penalties = float(ds.attrs.get("penalties_musd", np.nan))
    return (
        f"net benefit {net:,.0f} million USD (whole horizon, discounted at {rate:g} %/yr; "
        f"tie-breakers and penalties left out); penalties {penalties:,.0f} million USD apart"
    )
