"""Links: river reaches, canals and return channels carrying flow between nodes.

Variables (hm3 per step): ``flow[l, t]`` entering link l at its upstream end, bounded by the
link capacity; ``min_deficit[l, t]`` the named slack of the soft minimum flow::

    0 <= flow[l,t] <= cap[l,t]                       (capacity of the water entering the link)
    flow[l,t] + min_deficit[l,t] >= q_min[l,t]
    upstream node loses flow[l,t]; downstream node gains (1 - loss[l,t]) * flow[l,t]

Capacity, minimum flow, loss and cost are scalars or monthly profiles (:class:`LinkData`):
losses and capacities apply to the flow entering the link.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyomo.environ as pyo
import xarray as xr

from nexusmodel.model.arrays import SolutionValues
from nexusmodel.model.context import BuildContext, Rule, Term
from nexusmodel.model.expr import linear

NAME = "link"


@dataclass(frozen=True)
class LinkData:
    """The data-dependent numbers of the links' rows and costs (links in basin order x
    steps), read by the build and by the in-place updates (:mod:`nexusmodel.solve.lpdata`);
    a monthly profile (twelve values) gives each step its month's value."""

    capacity_hm3: np.ndarray  # inf where the link has none
    min_flow_hm3: np.ndarray  # 0 where the link has none
    loss_fraction: np.ndarray  # share of the flow entering the link that never arrives
    cost_usd_per_m3: np.ndarray  # transport cost, undiscounted (MUSD/hm3 = USD/m3)


def _on_steps(ctx: BuildContext, value: float | list[float]) -> np.ndarray:
    """A scalar, or a January-December profile taken at each step's month."""
    if isinstance(value, list):
        return np.asarray(value, dtype=float)[np.asarray(ctx.axis.start.month) - 1]
    return np.full(len(ctx.axis), float(value))


def data(ctx: BuildContext) -> LinkData:
    """Every data-dependent number of the link rows and objective."""
    links = ctx.basin.links
    shape = (len(links), len(ctx.axis))
    caps = np.full(shape, np.inf)
    minimum, loss, cost = np.zeros(shape), np.zeros(shape), np.zeros(shape)
    for i, link in enumerate(links):
        if link.capacity_m3s is not None:
            caps[i] = ctx.m3s_to_hm3(_on_steps(ctx, link.capacity_m3s))
        elif link.capacity_hm3_per_step is not None:
            caps[i] = _on_steps(ctx, link.capacity_hm3_per_step)
        minimum[i] = ctx.m3s_to_hm3(_on_steps(ctx, link.min_flow_m3s))
        loss[i] = _on_steps(ctx, link.loss_fraction)
        cost[i] = _on_steps(ctx, link.cost_usd_per_m3)
    return LinkData(caps, minimum, loss, cost)


def capacity_hm3(ctx: BuildContext) -> np.ndarray:
    """Capacity of every link on every step (hm3); inf where the link has none."""
    return data(ctx).capacity_hm3


def min_flow_hm3(ctx: BuildContext) -> np.ndarray:
    """Minimum flow of every link on every step (hm3; 0 where the link has none)."""
    return data(ctx).min_flow_hm3


def loss_fraction(ctx: BuildContext) -> np.ndarray:
    """Loss fraction of every link on every step (of the flow entering it)."""
    return data(ctx).loss_fraction


def add_to_model(m: pyo.ConcreteModel, ctx: BuildContext) -> None:
    b = m.link = pyo.Block()
    numbers = data(ctx)
    caps = numbers.capacity_hm3
    row = {lid: i for i, lid in enumerate(ctx.link_ids)}

    def bounds(_b: pyo.Block, lid: str, t: int) -> tuple[float, float | None]:
        cap = caps[row[lid], t]
        return (0.0, None if np.isinf(cap) else float(cap))

    b.flow = pyo.Var(ctx.link_ids, ctx.steps, bounds=bounds)
    with_min = [link.id for link in ctx.basin.links if link.has_min_flow]
    b.with_min = pyo.Set(initialize=with_min, ordered=True)
    b.min_deficit = pyo.Var(b.with_min, ctx.steps, within=pyo.NonNegativeReals)
    minimum = dict(zip(ctx.link_ids, numbers.min_flow_hm3, strict=True))

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
    loss = data(ctx).loss_fraction
    terms = []
    for i, link in enumerate(ctx.basin.links):
        terms.append(Term(link.from_, np.ones(n), m.link.flow, (link.id,)))
        terms.append(Term(link.to, -(1.0 - loss[i]), m.link.flow, (link.id,)))
    return terms


def balance_rhs(ctx: BuildContext) -> dict[str, np.ndarray]:
    return {}


def objective(m: pyo.ConcreteModel, ctx: BuildContext) -> object:
    """- sum_l,t disc[t] * (cost_l * flow[l,t] + penalty_l * min_deficit[l,t])   (MUSD)."""
    disc = ctx.discount
    cost = data(ctx).cost_usd_per_m3
    coefs: list[float] = []
    variables: list[object] = []
    for i, link in enumerate(ctx.basin.links):
        if cost[i].any():
            coefs += list(-cost[i] * disc)
            variables += [m.link.flow[link.id, t] for t in ctx.steps]
        if link.has_min_flow:
            coefs += list(-link.min_flow_penalty_usd_per_m3 * disc)
            variables += [m.link.min_deficit[link.id, t] for t in ctx.steps]
    return linear(coefs, variables)


def extract(
    m: pyo.ConcreteModel, ctx: BuildContext, sol: SolutionValues
) -> dict[str, xr.DataArray]:
    flow = sol.array(m.link.flow, (len(ctx.link_ids), len(ctx.axis)))
    numbers = data(ctx)
    loss = numbers.loss_fraction * flow
    deficit = np.zeros_like(flow)
    with_min = list(m.link.with_min)
    if with_min:
        values = sol.array(m.link.min_deficit, (len(with_min), len(ctx.axis)))
        for i, lid in enumerate(with_min):
            deficit[ctx.link_ids.index(lid)] = values[i]
    caps = numbers.capacity_hm3
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
