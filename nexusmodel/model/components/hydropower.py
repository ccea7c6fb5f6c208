"""Hydropower plants: on a reservoir outlet (head from storage) or run-of-river (fixed head).

Variables at plant p (its node's id): ``turbine[p, t]`` (hm3) and ``energy[p, t]`` (GWh)::

    turbine[p,t] <= q_max * seconds[t] / 1e6                      (turbine capacity, hm3)
    turbine[p,t] <= sum of outflows of the plant's node           (the rest is spill)
    energy[p,t]  = 0.002725 * eta * H[p,t] * turbine[p,t]          (GWh, H in m)
    energy[p,t]  <= installed MW * hours[t] / 1000                 (GWh)

H is a mutable parameter: fixed for run-of-river plants; for reservoir plants the solve
iterates on it (successive linear programming, :mod:`nexusmodel.solve.slp`).
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
import pyomo.environ as pyo
import xarray as xr

from nexusmodel.basin.schema import HydropowerNode, ReservoirNode
from nexusmodel.model.arrays import on_nodes
from nexusmodel.model.context import GWH_PER_HM3_M, BuildContext, Term
from nexusmodel.model.expr import linear

NAME = "hydropower"


class Plant(NamedTuple):
    node: str
    reservoir: bool
    installed_mw: float
    efficiency: float
    max_turbine_flow_m3s: float
    head_m: float  # fixed head, or nan for reservoir plants
    tailwater_level_m: float  # nan for run-of-river plants
    energy_system: str


def plants(ctx: BuildContext) -> list[Plant]:
    """Every plant in the basin, in node order."""
    out = []
    for node in ctx.basin.spec.nodes:
        if isinstance(node, ReservoirNode) and node.hydropower is not None:
            hp = node.hydropower
            out.append(
                Plant(
                    node.id,
                    True,
                    hp.installed_mw,
                    hp.efficiency,
                    hp.max_turbine_flow_m3s,
                    np.nan,
                    hp.tailwater_level_m,
                    ctx.basin.energy_system_of(node),
                )
            )
        elif isinstance(node, HydropowerNode):
            out.append(
                Plant(
                    node.id,
                    False,
                    node.installed_mw,
                    node.efficiency,
                    node.max_turbine_flow_m3s,
                    node.head_m,
                    np.nan,
                    ctx.basin.energy_system_of(node),
                )
            )
    return out


def head_from_storage(
    ctx: BuildContext, plant: Plant, storage_start: np.ndarray, storage_end: np.ndarray
) -> np.ndarray:
    """Head (m) over a step: level at the mean storage of the step minus the tailwater level."""
    from nexusmodel.model.components.reservoir import level_of

    level = level_of(ctx, plant.node, (storage_start + storage_end) / 2.0)
    return np.maximum(level - plant.tailwater_level_m, 0.0)


def initial_heads(ctx: BuildContext) -> np.ndarray:
    """Heads (plants x steps) to start from: fixed heads, or the head at initial storage."""
    heads = np.zeros((len(plants(ctx)), len(ctx.axis)))
    for i, p in enumerate(plants(ctx)):
        if p.reservoir:
            s0 = np.full(len(ctx.axis), ctx.basin.nodes[p.node].initial_storage_hm3)  # type: ignore[union-attr]
            heads[i] = head_from_storage(ctx, p, s0, s0)
        else:
            heads[i] = p.head_m
    return heads


def add_to_model(m: pyo.ConcreteModel, ctx: BuildContext) -> None:
    b = m.hydropower = pyo.Block()
    ps = plants(ctx)
    ids = [p.node for p in ps]
    b.ids = pyo.Set(initialize=ids, ordered=True)
    qmax = {p.node: ctx.m3s_to_hm3(p.max_turbine_flow_m3s) for p in ps}
    emax = {p.node: ctx.mw_to_gwh(p.installed_mw) for p in ps}
    b.turbine = pyo.Var(b.ids, ctx.steps, bounds=lambda _b, p, t: (0.0, float(qmax[p][t])))
    b.energy = pyo.Var(b.ids, ctx.steps, bounds=lambda _b, p, t: (0.0, float(emax[p][t])))
    heads = initial_heads(ctx)
    b.head = pyo.Param(
        b.ids,
        ctx.steps,
        mutable=True,
        initialize={(p.node, t): float(heads[i, t]) for i, p in enumerate(ps) for t in ctx.steps},
    )
    eta = {p.node: p.efficiency for p in ps}

    def energy_rule(_b: pyo.Block, p: str, t: int) -> object:
        """energy[p,t] - 0.002725 * eta * H[p,t] * turbine[p,t] = 0   (GWh)."""
        return b.energy[p, t] - GWH_PER_HM3_M * eta[p] * b.head[p, t] * b.turbine[p, t] == 0

    b.energy_def = pyo.Constraint(b.ids, ctx.steps, rule=energy_rule)
    out_links = {p.node: ctx.links_out(p.node) for p in ps}

    def release_rule(_b: pyo.Block, p: str, t: int) -> object:
        """sum of outflows[p,t] - turbine[p,t] >= 0   (hm3): turbines take part of the release."""
        links = out_links[p]
        return (
            linear(
                [1.0] * len(links) + [-1.0],
                [m.link.flow[lid, t] for lid in links] + [b.turbine[p, t]],
            )
            >= 0
        )

    b.release = pyo.Constraint(b.ids, ctx.steps, rule=release_rule)


def balance_terms(m: pyo.ConcreteModel, ctx: BuildContext) -> list[Term]:
    return []


def balance_rhs(ctx: BuildContext) -> dict[str, np.ndarray]:
    return {}


def objective(m: pyo.ConcreteModel, ctx: BuildContext) -> object:
    """Economic: energy is valued in the energy systems, spill costs a tie-breaker. Priority: weight * GWh."""
    ps = plants(ctx)
    disc = ctx.discount
    coefs: list[float] = []
    variables: list[object] = []
    if ctx.options.objective == "priority":
        weight = ctx.priority_weight("hydropower")
        for p in ps:
            coefs += list(weight * disc)
            variables += [m.hydropower.energy[p.node, t] for t in ctx.steps]
    # tie-breaker: - spill_penalty * (release - turbine) is + penalty * turbine up to a constant
    for p in ps:
        coefs += list(ctx.options.spill_penalty_usd_per_m3 * disc)
        variables += [m.hydropower.turbine[p.node, t] for t in ctx.steps]
    return linear(coefs, variables)


def extract(m: pyo.ConcreteModel, ctx: BuildContext, sol: object) -> dict[str, xr.DataArray]:
    ps = plants(ctx)
    ids = [p.node for p in ps]
    shape = (len(ids), len(ctx.axis))
    turbine = sol.array(m.hydropower.turbine, shape)  # type: ignore[attr-defined]
    energy = sol.array(m.hydropower.energy, shape)  # type: ignore[attr-defined]
    head = np.array([[pyo.value(m.hydropower.head[p, t]) for t in ctx.steps] for p in ids]).reshape(
        shape
    )
    return {
        "turbine_flow": on_nodes(ctx, ids, turbine),
        "energy": on_nodes(ctx, ids, energy),
        "head": on_nodes(ctx, ids, head),
    }
