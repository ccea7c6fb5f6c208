"""Links: river reaches, canals and return channels carrying flow between nodes.

Variables (hm3 per step): ``flow[l, t]`` entering link l at its upstream end, bounded by the
link capacity; ``min_deficit[l, t]`` the named slack of the soft minimum flow::

    0 <= flow[l,t] <= cap[l,t]                       (capacity of the water entering the link)
    flow[l,t] + min_deficit[l,t] >= q_min[l,t]
    upstream node loses flow[l,t]; downstream node gains (1 - loss[l,t]) * flow[l,t]

Capacity, minimum flow, loss and cost are scalars or monthly profiles (:class:`LinkData`):
losses and capacities apply to the flow entering the link. A flow-dependent loss
(``loss_segments``) splits the flow into segments of rising loss::

    flow[l,t] = sum_k segment[l,k,t],   0 <= segment[l,k,t] <= width_k * seconds[t] / 1e6
    downstream node gains sum_k (1 - loss_k) * segment[l,k,t]

a concave piecewise-linear outflow(inflow). It is exact (the low-loss segments fill first)
whenever water is worth something downstream; where it is not, the model may as well lose
water in a higher segment (a free disposal, as with any spill).
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
    # flow-dependent losses: (link id, k) of every segment, its width (hm3, segments x steps;
    # inf for the last, unbounded one) and its loss fraction; loss_fraction is 0 on such links
    segment_keys: list[tuple[str, int]]
    segment_cap_hm3: np.ndarray
    segment_loss: np.ndarray


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
    keys: list[tuple[str, int]] = []
    widths: list[np.ndarray] = []
    seg_loss: list[float] = []
    for link in links:
        below = 0.0
        for k, seg in enumerate(link.loss_segments or ()):
            keys.append((link.id, k))
            if seg.up_to_m3s is None:
                widths.append(np.full(len(ctx.axis), np.inf))
            else:
                widths.append(ctx.m3s_to_hm3(seg.up_to_m3s - below))
                below = seg.up_to_m3s
            seg_loss.append(seg.loss_fraction)
    seg_cap = np.array(widths, dtype=float).reshape(len(keys), len(ctx.axis))
    return LinkData(caps, minimum, loss, cost, keys, seg_cap, np.array(seg_loss, dtype=float))


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
    seg_cap = dict(zip(numbers.segment_keys, numbers.segment_cap_hm3, strict=True))
    b.segments = pyo.Set(initialize=numbers.segment_keys, dimen=2, ordered=True)

    def segment_bounds(_b: pyo.Block, lid: str, k: int, t: int) -> tuple[float, float | None]:
        cap = seg_cap[(lid, k)][t]
        return (0.0, None if np.isinf(cap) else float(cap))

    b.segment = pyo.Var(b.segments, ctx.steps, bounds=segment_bounds)
    parts: dict[str, list[int]] = {}
    for lid, k in numbers.segment_keys:
        parts.setdefault(lid, []).append(k)
    b.segmented = pyo.Set(initialize=list(parts), ordered=True)

    def segment_sum(_b: pyo.Block, lid: str, t: int) -> object:
        """flow[l,t] - sum_k segment[l,k,t] = 0   (hm3): the flow split by loss segment."""
        ks = parts[lid]
        return (
            linear([1.0] + [-1.0] * len(ks), [b.flow[lid, t]] + [b.segment[lid, k, t] for k in ks])
            == 0
        )

    b.segment_sum = pyo.Constraint(b.segmented, ctx.steps, rule=segment_sum)
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
    numbers = data(ctx)
    terms = []
    for i, link in enumerate(ctx.basin.links):
        terms.append(Term(link.from_, np.ones(n), m.link.flow, (link.id,)))
        if not link.loss_segments:
            terms.append(Term(link.to, -(1.0 - numbers.loss_fraction[i]), m.link.flow, (link.id,)))
    for key, seg_loss in zip(numbers.segment_keys, numbers.segment_loss, strict=True):
        to = ctx.basin.links[ctx.link_ids.index(key[0])].to
        terms.append(Term(to, np.full(n, -(1.0 - seg_loss)), m.link.segment, key))
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
    if numbers.segment_keys:
        segments = sol.array(m.link.segment, (len(numbers.segment_keys), len(ctx.axis)))
        for (lid, _k), seg_loss, seg in zip(
            numbers.segment_keys, numbers.segment_loss, segments, strict=True
        ):
            loss[ctx.link_ids.index(lid)] += seg_loss * seg
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
