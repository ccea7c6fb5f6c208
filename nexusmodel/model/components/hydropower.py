"""Hydropower plants: on a reservoir outlet (head from storage) or run-of-river (fixed head).

Variables at plant p (its node's id): ``turbine[p, t]`` (hm3) and ``energy[p, t]`` (GWh)::

    turbine[p,t] <= q_max * seconds[t] / 1e6                      (turbine capacity, hm3)
    turbine[p,t] <= sum of outflows of the plant's node           (the rest is spill)
    energy[p,t]  = k * H[p,t] * turbine[p,t]                       (run-of-river, fixed H)
    energy[p,t]  <= installed MW * hours[t] / 1000                 (GWh)

with k = 0.002725 * eta (GWh per hm3 and m). At a reservoir the head depends on the mean
storage of the step, Sbar[t] = (S[t-1] + S[t]) / 2, so the exact energy k * H(Sbar) * q is
bilinear. It is linearized by a first-order Taylor expansion around a point (Sbar0, q0)::

    energy[p,t] + cut[p,t] - lift[p,t]
        = k * (H0 * q + q0 * dH/dS(Sbar0) * (Sbar - Sbar0))      (H0 = H(Sbar0); 0 <= energy)
    energy[p,t] <= k * Hmax * q                                  (no water, no energy)

The plane is exact at the expansion point and first-order accurate near it. Far from it, it
can promise energy the water cannot give: with the turbines shut (q = 0) and the reservoir
above Sbar0 the plane is positive. The second row forbids that (Hmax, the head at full
storage, never cuts the exact energy k H(Sbar) q); ``cut >= 0`` (GWh) takes up the
difference so that the row stays feasible, at ``cut_cost`` (MUSD/GWh, 10 USD/MWh: more than
the turbine-flow tie-breaker is worth per GWh, so turbine flow beyond what the plant can use
is not counted as turbined). Conversely with the turbines shut and the reservoir below
Sbar0 the plane is negative: ``lift >= 0`` keeps energy >= 0 feasible, at ``lift_cost``, more
than any GWh is worth, so it is never used to make energy. Both are 0 at a converged point,
where the plane is the exact energy.

The build expands around the initial storage with half the turbine capacity; the solve
(``nexusmodel.solve``) re-expands around each solution (successive linear programming).
With ``ModelOptions.head == "fixed"`` the storage terms (and ``cut``, ``lift``) are left
out: H stays at the head of the initial storage.

``head[p,t]`` (H0), ``storage_coef[p,t]`` (k q0 dH/dS / 2, GWh per hm3 of S[t] and of
S[t-1]) and ``taylor_rhs[p,t]`` are mutable parameters; the solve keeps them in step with
the LP it solved.
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
#: Least cost (MUSD per GWh, i.e. 10 USD/MWh) of energy the Taylor plane promises beyond what
#: the plant can deliver; at least 100 x the turbine-flow tie-breaker (USD/m3), which keeps
#: it above that tie-breaker's worth per GWh down to ~4 m of head.
CUT_COST = 0.01


def cut_cost(ctx: BuildContext) -> float:
    return max(CUT_COST, 100.0 * ctx.options.spill_penalty_usd_per_m3)


def lift_cost(ctx: BuildContext) -> float:
    """Cost (MUSD/GWh) of lifting energy above the Taylor plane: twice the most a GWh can be
    worth (the dearest of unserved-energy penalties, thermal costs, import and export prices,
    plus the priority weight of hydropower), and at least 1 MUSD/GWh."""
    systems = ctx.basin.nodes_of_type("energy_system")
    prices = [k.unserved_penalty_usd_per_mwh for k in systems]  # type: ignore[attr-defined]
    s = ctx.series
    for frame in (
        s.thermal_cost_usd_per_mwh,
        s.import_price_usd_per_mwh,
        s.export_price_usd_per_mwh,
    ):
        if frame.size:
            prices.append(float(np.nanmax(frame.to_numpy(dtype=float))))
    worth = max(prices, default=0.0) * 1e-3
    if ctx.options.objective == "priority":
        worth += ctx.priority_weight("hydropower")
    return 2.0 * max(worth, 0.5)


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
    return head_at(ctx, plant, (np.asarray(storage_start) + np.asarray(storage_end)) / 2.0)


def head_at(ctx: BuildContext, plant: Plant, storage: np.ndarray | float) -> np.ndarray:
    """Head (m) at a storage (hm3): level from the level-area-storage table minus tailwater."""
    from nexusmodel.model.components.reservoir import level_of

    return np.maximum(
        level_of(ctx, plant.node, np.asarray(storage, float)) - plant.tailwater_level_m, 0.0
    )


def head_slope(ctx: BuildContext, plant: Plant, storage: np.ndarray) -> np.ndarray:
    """dH/dS (m per hm3) at a storage: central difference over 0.1 % of the active storage."""
    node = ctx.basin.nodes[plant.node]
    delta = 1e-3 * max(node.capacity_hm3 - node.dead_storage_hm3, 1.0)  # type: ignore[union-attr]
    storage = np.asarray(storage, float)
    return (head_at(ctx, plant, storage + delta) - head_at(ctx, plant, storage - delta)) / (
        2.0 * delta
    )


def max_head(ctx: BuildContext, plant: Plant) -> float:
    """Head (m) at full storage: no step of the plant can use a higher one."""
    return float(head_at(ctx, plant, ctx.basin.nodes[plant.node].capacity_hm3))  # type: ignore[union-attr]


class Taylor(NamedTuple):
    """The energy row of a reservoir plant expanded around (Sbar0, q0), on every step."""

    head: np.ndarray  # H0 = H(Sbar0) (m): coefficient k * H0 of the turbine flow
    storage_coef: np.ndarray  # k * q0 * dH/dS(Sbar0) / 2 (GWh/hm3): of S[t] and of S[t-1]
    rhs: np.ndarray  # right-hand side (GWh): - k q0 dH/dS Sbar0 (+ the S[-1] term at t = 0)


def taylor_expansion(
    ctx: BuildContext,
    plant: Plant,
    storage_start: np.ndarray,
    storage_end: np.ndarray,
    turbine: np.ndarray,
) -> Taylor:
    """Coefficients of ``E - k H0 q - c S[t] - c S[t-1] = rhs`` around the given point.

    That row is E = k * (H0 * q + q0 * dH/dS * (Sbar - Sbar0)). S[-1] is the initial
    storage, a constant: its term sits in the right-hand side of the first step. A turbine
    flow under 0.1 % of the turbine capacity counts as none (and a storage coefficient
    under 1e-8 GWh/hm3 as 0): such specks only make the LP harder to solve.
    """
    sbar0 = (np.asarray(storage_start, float) + np.asarray(storage_end, float)) / 2.0
    k = GWH_PER_HM3_M * plant.efficiency
    head = head_at(ctx, plant, sbar0)
    q0 = np.asarray(turbine, float)
    q0 = np.where(q0 < 1e-3 * ctx.m3s_to_hm3(plant.max_turbine_flow_m3s), 0.0, q0)
    coef = k * q0 * head_slope(ctx, plant, sbar0) / 2.0
    coef = np.where(np.abs(coef) < 1e-8, 0.0, coef)
    rhs = -2.0 * coef * sbar0
    rhs[0] += coef[0] * ctx.basin.nodes[plant.node].initial_storage_hm3  # type: ignore[union-attr]
    return Taylor(head, coef, rhs)


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


def initial_expansion(ctx: BuildContext, plant: Plant) -> Taylor:
    """Taylor point of the build: initial storage on every step, half the turbine capacity."""
    s0 = np.full(len(ctx.axis), ctx.basin.nodes[plant.node].initial_storage_hm3)  # type: ignore[union-attr]
    return taylor_expansion(ctx, plant, s0, s0, 0.5 * ctx.m3s_to_hm3(plant.max_turbine_flow_m3s))


def add_to_model(m: pyo.ConcreteModel, ctx: BuildContext) -> None:
    b = m.hydropower = pyo.Block()
    ps = plants(ctx)
    ids = [p.node for p in ps]
    n_t = len(ctx.axis)
    b.ids = pyo.Set(initialize=ids, ordered=True)
    qmax = {p.node: ctx.m3s_to_hm3(p.max_turbine_flow_m3s) * np.ones(n_t) for p in ps}
    emax = {p.node: ctx.mw_to_gwh(p.installed_mw) for p in ps}
    b.turbine = pyo.Var(b.ids, ctx.steps, bounds=lambda _b, p, t: (0.0, float(qmax[p][t])))
    taylor = ctx.options.head == "slp"
    expanded = {p.node for p in ps if p.reservoir} if taylor else set()
    b.energy = pyo.Var(b.ids, ctx.steps, bounds=lambda _b, p, t: (0.0, float(emax[p][t])))
    heads = initial_heads(ctx)
    b.head = pyo.Param(
        b.ids,
        ctx.steps,
        mutable=True,
        initialize={(p.node, t): float(heads[i, t]) for i, p in enumerate(ps) for t in ctx.steps},
    )
    k = {p.node: GWH_PER_HM3_M * p.efficiency for p in ps}
    at_reservoir = [p for p in ps if p.reservoir]
    b.with_storage = pyo.Set(initialize=[p.node for p in at_reservoir], ordered=True)
    if taylor:
        b.cut = pyo.Var(b.with_storage, ctx.steps, within=pyo.NonNegativeReals)
        b.lift = pyo.Var(b.with_storage, ctx.steps, within=pyo.NonNegativeReals)
        start = {p.node: initial_expansion(ctx, p) for p in at_reservoir}
        b.storage_coef = pyo.Param(
            b.with_storage,
            ctx.steps,
            mutable=True,
            initialize={(p, t): float(start[p].storage_coef[t]) for p in start for t in ctx.steps},
        )
        b.taylor_rhs = pyo.Param(
            b.with_storage,
            ctx.steps,
            mutable=True,
            initialize={(p, t): float(start[p].rhs[t]) for p in start for t in ctx.steps},
        )
    storage = m.reservoir.storage

    def energy_rule(_b: pyo.Block, p: str, t: int) -> object:
        """E - k H0 q [+ cut - lift - c S[t] - c S[t-1]] = [rhs]   (GWh; [reservoir, SLP])."""
        coefs = [1.0, -k[p] * b.head[p, t]]
        variables = [b.energy[p, t], b.turbine[p, t]]
        if p not in expanded:
            return linear(coefs, variables) == 0
        coefs += [1.0, -1.0]
        variables += [b.cut[p, t], b.lift[p, t]]
        coef = -b.storage_coef[p, t]
        coefs.append(coef)
        variables.append(storage[p, t])
        if t > 0:
            coefs.append(coef)
            variables.append(storage[p, t - 1])
        return linear(coefs, variables) == b.taylor_rhs[p, t]

    b.energy_def = pyo.Constraint(b.ids, ctx.steps, rule=energy_rule)
    hmax = {p.node: max_head(ctx, p) for p in at_reservoir}

    def head_limit(_b: pyo.Block, p: str, t: int) -> object:
        """E - k Hmax q <= 0   (GWh): no turbine flow, no energy, whatever the storage."""
        return linear([1.0, -k[p] * hmax[p]], [b.energy[p, t], b.turbine[p, t]]) <= 0

    b.head_limit = pyo.Constraint(b.with_storage, ctx.steps, rule=head_limit)
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
    if hasattr(m.hydropower, "cut"):  # the Taylor plane's gaps (see the module docstring)
        for p in m.hydropower.with_storage:
            coefs += list(-cut_cost(ctx) * disc)
            variables += [m.hydropower.cut[p, t] for t in ctx.steps]
            coefs += list(-lift_cost(ctx) * disc)
            variables += [m.hydropower.lift[p, t] for t in ctx.steps]
    return linear(coefs, variables)


def extract(m: pyo.ConcreteModel, ctx: BuildContext, sol: object) -> dict[str, xr.DataArray]:
    ps = plants(ctx)
    ids = [p.node for p in ps]
    shape = (len(ids), len(ctx.axis))
    turbine = sol.array(m.hydropower.turbine, shape)  # type: ignore[attr-defined]
    energy = sol.array(m.hydropower.energy, shape)  # type: ignore[attr-defined]
    head = np.fromiter(
        (d.value for d in m.hydropower.head.values()), dtype=float, count=shape[0] * shape[1]
    ).reshape(shape)
    return {
        "turbine_flow": on_nodes(ctx, ids, turbine),
        "energy": on_nodes(ctx, ids, energy),
        "head": on_nodes(ctx, ids, head),
    }
