"""Hydropower plants: on a reservoir outlet (head from storage) or run-of-river (fixed head).

Variables at plant p (its node's id): ``turbine[p, t]`` (hm3) and ``energy[p, t]`` (GWh)::

    turbine[p,t] <= q_max * seconds[t] / 1e6                      (turbine capacity, hm3)
    turbine[p,t] <= sum of river outflows of the plant's node     (the rest is spill)
    energy[p,t]  = k * H[p,t] * turbine[p,t]                       (run-of-river, fixed H)
    energy[p,t]  <= installed MW * hours[t] / 1000                 (GWh)

with k = 0.002725 * eta (GWh per hm3 and m). Only the water that passes the turbines makes
energy: the outflows of kind ``river`` (:func:`turbined_links`). Canal off-takes above the dam
and spill channels (kind ``canal``, ``return``, ``spill``) leave the node without passing them. At a reservoir the head depends on the mean
storage of the step, Sh[t] = (S[t-1] + S[t]) / 2, or with ``solve: head_storage: start`` on
its storage at the start, Sh[t] = S[t-1] (the initial storage at t = 0); either way the exact
energy k * H(Sh) * q is bilinear. It is linearized by a first-order Taylor expansion around
a point (Sh0, q0)::

    energy[p,t] + cut[p,t] - lift[p,t]
        = k * (H0 * q + q0 * dH/dS(Sh0) * (Sh - Sh0))            (H0 = H(Sh0); 0 <= energy)
    energy[p,t] <= k * Hmax * q                                  (no water, no energy)

The plane is exact at the expansion point and first-order accurate near it. Far from it, it
can promise energy the water cannot give: with the turbines shut (q = 0) and the reservoir
above Sh0 the plane is positive. The second row forbids that (Hmax, the head at full
storage, never cuts the exact energy k H(Sh) q); ``cut >= 0`` (GWh) takes up the
difference so that the row stays feasible, at ``cut_cost`` (MUSD/GWh, 10 USD/MWh: more than
the turbine-flow tie-breaker is worth per GWh, so turbine flow beyond what the plant can use
is not counted as turbined). Conversely with the turbines shut and the reservoir below
Sh0 the plane is negative: ``lift >= 0`` keeps energy >= 0 feasible, at ``lift_cost``, more
than any GWh is worth, so it is never used to make energy. Both are 0 at a converged point,
where the plane is the exact energy.

The build expands around the initial storage with half the turbine capacity; the solve
re-expands around each solution (successive linear programming, :mod:`nexusmodel.solve.slp`).
The heads and the expansions themselves are numbers only: :mod:`nexusmodel.model.heads`.
With ``ModelOptions.head == "fixed"`` the storage terms (and ``cut``, ``lift``) are left
out: H stays at the head of the initial storage.

``head[p,t]`` (H0), ``storage_coef[p,t]`` and ``storage_coef_start[p,t]`` (GWh per hm3 of
S[t] and of S[t-1]: k q0 dH/dS / 2 each at the mean storage; 0 and k q0 dH/dS at the start
storage) and ``taylor_rhs[p,t]`` are mutable parameters; the solve keeps them in step with
the LP it solved.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyomo.environ as pyo
import xarray as xr

from nexusmodel.model.arrays import SolutionValues, on_nodes
from nexusmodel.model.components import energy_system
from nexusmodel.model.context import GWH_PER_HM3_M, BuildContext, Term
from nexusmodel.model.expr import linear
from nexusmodel.model.heads import (  # the heads and their expansions (numpy), re-exported
    Plant,
    Taylor,
    head_at,
    head_from_storage,
    initial_expansion,
    initial_heads,
    max_head,
    plants,
    taylor_expansion,
)

__all__ = [
    "CUT_COST",
    "NAME",
    "HydropowerData",
    "Plant",
    "Taylor",
    "add_to_model",
    "balance_rhs",
    "balance_terms",
    "cut_cost",
    "data",
    "extract",
    "head_at",
    "head_from_storage",
    "initial_expansion",
    "initial_heads",
    "lift_cost",
    "max_head",
    "objective",
    "plants",
    "taylor_expansion",
    "turbined_links",
]

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
    prices = [k.unserved_penalty_usd_per_mwh for k in energy_system.systems(ctx)]
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


@dataclass(frozen=True)
class HydropowerData:
    """The data-dependent numbers of the plants' rows and costs, read by the build and by
    the in-place updates (:mod:`nexusmodel.solve.lpdata`); plants in :func:`plants` order,
    costs undiscounted."""

    turbine_cap_hm3: np.ndarray  # plants x steps: turbine capacity over each step
    energy_cap_gwh: np.ndarray  # plants x steps: installed capacity over each step
    turbine_value: float  # MUSD per hm3 turbined: the tie-breaker against needless spill
    energy_weight: float  # priority objective: weight per GWh (0 in the economic one)
    cut_cost: float  # MUSD/GWh of energy the Taylor plane promises beyond the water's
    lift_cost: float  # MUSD/GWh of energy lifted above the Taylor plane


def data(ctx: BuildContext) -> HydropowerData:
    """Every data-dependent number of the hydropower rows and objective."""
    ps = plants(ctx)
    n_t = len(ctx.axis)
    priority = ctx.options.objective == "priority"
    return HydropowerData(
        np.array([ctx.m3s_to_hm3(p.max_turbine_flow_m3s) * np.ones(n_t) for p in ps]).reshape(
            len(ps), n_t
        ),
        np.array([ctx.mw_to_gwh(p.installed_mw) for p in ps]).reshape(len(ps), n_t),
        ctx.options.spill_penalty_usd_per_m3,
        ctx.priority_weight("hydropower") if priority else 0.0,
        cut_cost(ctx),
        lift_cost(ctx),
    )


def turbined_links(ctx: BuildContext, node: str) -> list[str]:
    """The outflows of ``node`` that pass its turbines: those of kind ``river`` (a canal
    taking water above the dam, a return channel or a spillway bypasses them)."""
    kinds = {link.id: link.kind for link in ctx.basin.links}
    return [lid for lid in ctx.links_out(node) if kinds[lid] == "river"]


def add_to_model(m: pyo.ConcreteModel, ctx: BuildContext) -> None:
    b = m.hydropower = pyo.Block()
    ps = plants(ctx)
    ids = [p.node for p in ps]
    b.ids = pyo.Set(initialize=ids, ordered=True)
    numbers = data(ctx)
    qmax = {p.node: numbers.turbine_cap_hm3[i] for i, p in enumerate(ps)}
    emax = {p.node: numbers.energy_cap_gwh[i] for i, p in enumerate(ps)}
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
        b.storage_coef = pyo.Param(  # of S[t]
            b.with_storage,
            ctx.steps,
            mutable=True,
            initialize={(p, t): float(start[p].coef_end[t]) for p in start for t in ctx.steps},
        )
        b.storage_coef_start = pyo.Param(  # of S[t-1]
            b.with_storage,
            ctx.steps,
            mutable=True,
            initialize={(p, t): float(start[p].coef_start[t]) for p in start for t in ctx.steps},
        )
        b.taylor_rhs = pyo.Param(
            b.with_storage,
            ctx.steps,
            mutable=True,
            initialize={(p, t): float(start[p].rhs[t]) for p in start for t in ctx.steps},
        )
    storage = m.reservoir.storage

    def energy_rule(_b: pyo.Block, p: str, t: int) -> object:
        """E - k H0 q [+ cut - lift - c_end S[t] - c_start S[t-1]] = [rhs]
        (GWh; [reservoir, SLP])."""
        coefs = [1.0, -k[p] * b.head[p, t]]
        variables = [b.energy[p, t], b.turbine[p, t]]
        if p not in expanded:
            return linear(coefs, variables) == 0
        coefs += [1.0, -1.0]
        variables += [b.cut[p, t], b.lift[p, t]]
        coefs.append(-b.storage_coef[p, t])
        variables.append(storage[p, t])
        if t > 0:
            coefs.append(-b.storage_coef_start[p, t])
            variables.append(storage[p, t - 1])
        return linear(coefs, variables) == b.taylor_rhs[p, t]

    b.energy_def = pyo.Constraint(b.ids, ctx.steps, rule=energy_rule)
    hmax = {p.node: max_head(ctx, p) for p in at_reservoir}

    def head_limit(_b: pyo.Block, p: str, t: int) -> object:
        """E - k Hmax q <= 0   (GWh): no turbine flow, no energy, whatever the storage."""
        return linear([1.0, -k[p] * hmax[p]], [b.energy[p, t], b.turbine[p, t]]) <= 0

    b.head_limit = pyo.Constraint(b.with_storage, ctx.steps, rule=head_limit)
    out_links = {p.node: turbined_links(ctx, p.node) for p in ps}

    def release_rule(_b: pyo.Block, p: str, t: int) -> object:
        """sum of river outflows[p,t] - turbine[p,t] >= 0   (hm3): turbines take part of
        the water leaving by the river (canal off-takes above the dam do not pass them)."""
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
    numbers = data(ctx)
    coefs: list[float] = []
    variables: list[object] = []
    if ctx.options.objective == "priority":
        for p in ps:
            coefs += list(numbers.energy_weight * disc)
            variables += [m.hydropower.energy[p.node, t] for t in ctx.steps]
    # tie-breaker: - spill_penalty * (release - turbine) is + penalty * turbine up to a constant
    for p in ps:
        coefs += list(numbers.turbine_value * disc)
        variables += [m.hydropower.turbine[p.node, t] for t in ctx.steps]
    if hasattr(m.hydropower, "cut"):  # the Taylor plane's gaps (see the module docstring)
        for p in m.hydropower.with_storage:
            coefs += list(-numbers.cut_cost * disc)
            variables += [m.hydropower.cut[p, t] for t in ctx.steps]
            coefs += list(-numbers.lift_cost * disc)
            variables += [m.hydropower.lift[p, t] for t in ctx.steps]
    return linear(coefs, variables)


def extract(
    m: pyo.ConcreteModel, ctx: BuildContext, sol: SolutionValues
) -> dict[str, xr.DataArray]:
    ps = plants(ctx)
    ids = [p.node for p in ps]
    shape = (len(ids), len(ctx.axis))
    turbine = sol.array(m.hydropower.turbine, shape)
    energy = sol.array(m.hydropower.energy, shape)
    head = np.fromiter(
        (d.value for d in m.hydropower.head.values()), dtype=float, count=shape[0] * shape[1]
    ).reshape(shape)
    return {
        "turbine_flow": on_nodes(ctx, ids, turbine),
        "energy": on_nodes(ctx, ids, energy),
        "head_m": on_nodes(ctx, ids, head),  # not "head": ds.head is an xarray method
    }
