"""Generic demand nodes with an economic demand curve in segments (CALVIN-style).

Per node n and segment s (hm3 per step; values in USD/m3 = MUSD/hm3)::

    0 <= x[n,s,t] <= share_s * demand[n,t];   delivery[n,t] = sum_s x[n,s,t]
    benefit = sum_s value_s[m(t)] * x[n,s,t]  (concave: values fall from segment to segment;
                                               m(t) the calendar month: one value, or twelve)
    sum of return links[n,t] = r * delivery[n,t]

A linear benefit is the one-segment case. At the optimum, the marginal value of water at
the node equals the value of the last segment served in part.

A quadratic benefit ``a x - b x^2 / 2`` (``quadratic_benefit``) is one segment of value a
with the objective's quadratic part ``-b x^2 / 2`` (:func:`objective_hessian`): HiGHS
solves the convex QP exactly, and the marginal value at the node is ``a - b x`` where the
optimum lands inside the demand.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyomo.environ as pyo
import xarray as xr

from nexusmodel.basin.basin import Basin
from nexusmodel.basin.schema import DemandNode
from nexusmodel.errors import InputError, Problem
from nexusmodel.model.arrays import SolutionValues, on_nodes
from nexusmodel.model.context import BuildContext, Term
from nexusmodel.model.expr import linear
from nexusmodel.model.options import ModelOptions

NAME = "demand"


def users(ctx: BuildContext) -> list[DemandNode]:
    return [n for n in ctx.basin.spec.nodes if isinstance(n, DemandNode)]


def segments_of(node: DemandNode) -> list[tuple[float, list[float]]]:
    """(share, value in each calendar month) of each segment of a node's curve; a quadratic
    benefit is one segment whose linear value is ``a`` (its ``-b x^2 / 2`` is in
    :func:`objective_hessian`)."""
    if node.quadratic_benefit is not None:
        return [(1.0, [node.quadratic_benefit.value_usd_per_m3] * 12)]
    return [(seg.share, seg.monthly_values()) for seg in node.benefit_segments]


def demand_hm3(ctx: BuildContext, node: str) -> np.ndarray:
    return ctx.monthly(ctx.series.demand_hm3, node, "volume")


@dataclass(frozen=True)
class DemandData:
    """The data-dependent numbers of the demand curves, by segment (users in :func:`users`
    order, each user's segments in file order), read by the build and by the in-place
    updates (:mod:`nexusmodel.solve.lpdata`)."""

    take_cap_hm3: np.ndarray  # segments x steps: the segment's share of the demand
    value: np.ndarray  # segments x steps: USD/m3 (= MUSD/hm3) taken, or the priority weight


def data(ctx: BuildContext) -> DemandData:
    """Every data-dependent number of the demand segments' bounds and objective."""
    nodes = users(ctx)
    priority = ctx.options.objective == "priority"
    n_t = len(ctx.axis)
    calendar_month = np.asarray(ctx.axis.start.month, dtype=int) - 1  # of each step
    caps, values = [], []
    for n in nodes:
        demand = demand_hm3(ctx, n.id)
        for share, by_month in segments_of(n):
            caps.append(share * demand)
            if priority:
                values.append(np.full(n_t, ctx.priority_weight("demand")))
            else:  # the value of each step's calendar month
                values.append(np.array(by_month)[calendar_month])
    return DemandData(
        np.array(caps, dtype=float).reshape(len(caps), n_t),
        np.array(values, dtype=float).reshape(len(values), n_t),
    )


def add_to_model(m: pyo.ConcreteModel, ctx: BuildContext) -> None:
    b = m.demand = pyo.Block()
    nodes = users(ctx)
    segments = [(n.id, s) for n in nodes for s in range(len(segments_of(n)))]
    b.segments = pyo.Set(initialize=segments, dimen=2, ordered=True)
    b.ids = pyo.Set(initialize=[n.id for n in nodes], ordered=True)
    caps = dict(zip(segments, data(ctx).take_cap_hm3, strict=True))
    b.take = pyo.Var(b.segments, ctx.steps, bounds=lambda _b, n, s, t: (0.0, float(caps[n, s][t])))
    rf = {n.id: n.return_fraction for n in nodes}
    segs_of = {n.id: [s for (nn, s) in segments if nn == n.id] for n in nodes}

    def returns(_b: pyo.Block, n: str, t: int) -> object:
        """sum of return links[n,t] - r * sum_s x[n,s,t] = 0   (hm3)."""
        links = ctx.links_out(n)
        segs = segs_of[n]
        if not links and rf[n] == 0:
            return pyo.Constraint.Skip  # fully consumptive, nothing to return
        return (
            linear(
                [1.0] * len(links) + [-rf[n]] * len(segs),
                [m.link.flow[lid, t] for lid in links] + [b.take[n, s, t] for s in segs],
            )
            == 0
        )

    b.returns = pyo.Constraint(b.ids, ctx.steps, rule=returns)
    m.objective_hessian = objective_hessian(m, ctx)


def objective_hessian(m: pyo.ConcreteModel, ctx: BuildContext) -> list[tuple[object, float]]:
    """The objective's quadratic part as (variable, q): objective += q * x^2 / 2 (MUSD).

    For a quadratic benefit ``a x - b x^2 / 2``, q = -b * discount[t] on the node's take;
    empty under the priority objective (ranks, not money). A solver must add these terms
    (HiGHS: :meth:`nexusmodel.solve.highs.HighsBackend.from_model` passes them as the
    Hessian); the Pyomo objective holds only the linear part.
    """
    if ctx.options.objective == "priority":
        return []
    out: list[tuple[object, float]] = []
    for node in users(ctx):
        if node.quadratic_benefit is not None:
            b = node.quadratic_benefit.decline_usd_per_m3_per_hm3
            for t in ctx.steps:
                out.append((m.demand.take[node.id, 0, t], -b * float(ctx.discount[t])))
    return out


def balance_terms(m: pyo.ConcreteModel, ctx: BuildContext) -> list[Term]:
    n = len(ctx.axis)
    return [
        Term(node.id, np.full(n, 1.0 - node.return_fraction), m.demand.take, (node.id, s))
        for node in users(ctx)
        for s in range(len(segments_of(node)))
    ]


def balance_rhs(ctx: BuildContext) -> dict[str, np.ndarray]:
    return {}


def objective(m: pyo.ConcreteModel, ctx: BuildContext) -> object:
    coefs: list[float] = []
    variables: list[object] = []
    values = iter(data(ctx).value)
    for node in users(ctx):
        for s in range(len(segments_of(node))):
            value = next(values)
            coefs += (value * ctx.discount).tolist()
            variables += [m.demand.take[node.id, s, t] for t in ctx.steps]
    return linear(coefs, variables)


def extract(
    m: pyo.ConcreteModel, ctx: BuildContext, sol: SolutionValues
) -> dict[str, xr.DataArray]:
    nodes = users(ctx)
    n_seg = len(list(m.demand.segments))
    takes = sol.array(m.demand.take, (n_seg, len(ctx.axis)))
    delivery = np.zeros((len(nodes), len(ctx.axis)))
    for k, (n, _s) in enumerate(m.demand.segments):
        delivery[[x.id for x in nodes].index(n)] += takes[k]
    ids = [n.id for n in nodes]
    demand = np.array([demand_hm3(ctx, n) for n in ids]).reshape(len(ids), len(ctx.axis))
    rf = np.array([n.return_fraction for n in nodes]).reshape(-1, 1)
    return {
        "delivery": on_nodes(ctx, ids, delivery),
        "demand": on_nodes(ctx, ids, demand),
        "consumption": on_nodes(ctx, ids, (1 - rf) * delivery),
        "return_flow": on_nodes(ctx, ids, rf * delivery),
    }


def check_window_modes(basin: Basin, options: ModelOptions, mode: str) -> None:
    """Refuse quadratic benefits in a mode of windows (rolling, simulate) with discounting:
    a window model's Hessian keeps the discount of the window it was built for, while its
    costs are pushed for each window (with a discount rate of 0 both stay right)."""
    quadratic = [
        n.id
        for n in basin.spec.nodes
        if isinstance(n, DemandNode) and n.quadratic_benefit is not None
    ]
    if quadratic and options.objective == "economic" and options.discount_rate > 0:
        raise InputError(
            [
                Problem(
                    f"nodes {quadratic}: quadratic_benefit",
                    f"cannot be discounted in {mode} mode (discount_rate "
                    f"{options.discount_rate:g})",
                    "run mode optimize, set discount_rate: 0, or give benefit_segments",
                )
            ],
            title=f"{mode} mode",
        )
