"""Links: river reaches, canals and return channels carrying flow between nodes.

Variables (hm3 per step): ``flow[l, t]`` entering link l at its upstream end, bounded by the
link capacity; ``min_deficit[l, t]`` the named slack of the soft minimum flow.
"""

from __future__ import annotations

import numpy as np
import pyomo.environ as pyo
import xarray as xr

from nexusmodel.model.arrays import SolutionValues
from nexusmodel.model.context import BuildContext, Rule, Term
from nexusmodel.model.expr import linear

NAME = "link"


def capacity_hm3(ctx: BuildContext) -> np.ndarray:
    """Capacity of every link on every step (hm3); inf where the link has none."""
    caps = np.full((len(ctx.link_ids), len(ctx.axis)), np.inf)
    for i, link in enumerate(ctx.basin.links):
        if link.capacity_m3s is not None:
            caps[i] = ctx.m3s_to_hm3(link.capacity_m3s)
    return caps


def min_flow_hm3(ctx: BuildContext) -> np.ndarray:
    """Minimum flow of every link on every step (hm3; 0 where the link has none)."""
    return np.array(
        [ctx.m3s_to_hm3(link.min_flow_m3s) * np.ones(len(ctx.axis)) for link in ctx.basin.links],
        dtype=float,
    ).reshape(len(ctx.link_ids), len(ctx.axis))


def add_to_model(m: pyo.ConcreteModel, ctx: BuildContext) -> None:
    b = m.link = pyo.Block()
    caps = capacity_hm3(ctx)
    row = {lid: i for i, lid in enumerate(ctx.link_ids)}

    def bounds(_b: pyo.Block, lid: str, t: int) -> tuple[float, float | None]:
        cap = caps[row[lid], t]
        return (0.0, None if np.isinf(cap) else float(cap))

    b.flow = pyo.Var(ctx.link_ids, ctx.steps, bounds=bounds)
    with_min = [link.id for link in ctx.basin.links if link.min_flow_m3s > 0]
    b.with_min = pyo.Set(initialize=with_min, ordered=True)
    b.min_deficit = pyo.Var(b.with_min, ctx.steps, within=pyo.NonNegativeReals)
    minimum = dict(zip(ctx.link_ids, min_flow_hm3(ctx), strict=True))

    def min_flow(_b: pyo.Block, lid: str, t: int) -> object:
        """flow[l,t] + min_deficit[l,t] >= q_min[l] * seconds[t] / 1e6   (hm3)."""
        return linear([1.0, 1.0], [b.flow[lid, t], b.min_deficit[lid, t]]) >= float(minimum[lid][t])

    b.min_flow = pyo.Constraint(b.with_min, ctx.steps, rule=min_flow)
    ctx.rules.append(
        Rule(
            "minimum flow",
            b.min_deficit,
            "hm3",
            "step",
            "minimum flow on link {key} in {when}: short by {value:.1f} hm3",
        )
    )


def balance_terms(m: pyo.ConcreteModel, ctx: BuildContext) -> list[Term]:
    """A link leaves its upstream node (+flow) and reaches its downstream node (-(1-loss) flow)."""
    n = len(ctx.axis)
    terms = []
    for link in ctx.basin.links:
        terms.append(Term(link.from_, np.ones(n), m.link.flow, (link.id,)))
        terms.append(
            Term(link.to, np.full(n, -(1.0 - link.loss_fraction)), m.link.flow, (link.id,))
        )
    return terms


def balance_rhs(ctx: BuildContext) -> dict[str, np.ndarray]:
    return {}


def objective(m: pyo.ConcreteModel, ctx: BuildContext) -> object:
    """- sum_l,t disc[t] * (cost_l * flow[l,t] + penalty_l * min_deficit[l,t])   (MUSD)."""
    disc = ctx.discount
    coefs: list[float] = []
    variables: list[object] = []
    for link in ctx.basin.links:
        if link.cost_usd_per_m3:
            coefs += list(-link.cost_usd_per_m3 * disc)
            variables += [m.link.flow[link.id, t] for t in ctx.steps]
        if link.min_flow_m3s > 0:
            coefs += list(-link.min_flow_penalty_usd_per_m3 * disc)
            variables += [m.link.min_deficit[link.id, t] for t in ctx.steps]
    return linear(coefs, variables)


def extract(
    m: pyo.ConcreteModel, ctx: BuildContext, sol: SolutionValues
) -> dict[str, xr.DataArray]:
    flow = sol.array(m.link.flow, (len(ctx.link_ids), len(ctx.axis)))
    loss = np.array([link.loss_fraction for link in ctx.basin.links])[:, None] * flow
    deficit = np.zeros_like(flow)
    with_min = list(m.link.with_min)
    if with_min:
        values = sol.array(m.link.min_deficit, (len(with_min), len(ctx.axis)))
        for i, lid in enumerate(with_min):
            deficit[ctx.link_ids.index(lid)] = values[i]
    caps = capacity_hm3(ctx)
    reduced = sol.reduced_costs(m.link.flow, flow.shape)
    at_cap = np.isfinite(caps) & (flow >= caps - 1e-6)
    price = np.where(at_cap, np.maximum(reduced, 0.0), 0.0) / ctx.discount
    dims = ("link", "time")
    return {
        "link_flow": xr.DataArray(flow, dims=dims),
        "link_loss": xr.DataArray(loss, dims=dims),
        "link_min_flow_deficit": xr.DataArray(deficit, dims=dims),
        "link_capacity_price": xr.DataArray(price, dims=dims),
    }
