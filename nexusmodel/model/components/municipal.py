"""Towns and industry: supplied first, through a large shortage penalty or a hard rule.

Per municipal node m (hm3 per step)::

    delivery[m,t] + shortage[m,t] = demand[m,t]
    sum of return links[m,t] = r * delivery[m,t];   consumption = (1 - r) * delivery

Objective: - penalty * shortage (MUSD); priority objective: + weight * delivery.
With ``municipal_hard`` the shortage is a hard rule (its slack fixed at 0).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyomo.environ as pyo
import xarray as xr

from nexusmodel.basin.schema import MunicipalNode
from nexusmodel.model.arrays import SolutionValues, on_nodes
from nexusmodel.model.context import BuildContext, Rule, Term
from nexusmodel.model.expr import linear

NAME = "municipal"


def towns(ctx: BuildContext) -> list[MunicipalNode]:
    return [n for n in ctx.basin.spec.nodes if isinstance(n, MunicipalNode)]


def demand_hm3(ctx: BuildContext, node: str) -> np.ndarray:
    return ctx.monthly(ctx.series.municipal_hm3, node, "volume")


@dataclass(frozen=True)
class MunicipalData:
    """The data-dependent numbers of the towns' rows and costs, read by the build and by the
    in-place updates (:mod:`nexusmodel.solve.lpdata`); towns in :func:`towns` order, costs
    undiscounted (MUSD/hm3 = USD/m3)."""

    demand_hm3: np.ndarray  # towns x steps
    delivery_weight: np.ndarray  # towns: priority objective's weight (0 in the economic one)
    shortage_cost: np.ndarray  # towns: economic objective's penalty (0 in the priority one)


def data(ctx: BuildContext) -> MunicipalData:
    """Every data-dependent number of the municipal rows and objective."""
    ts = towns(ctx)
    priority = ctx.options.objective == "priority"
    weight = ctx.priority_weight("municipal") if priority else 0.0
    return MunicipalData(
        np.array([demand_hm3(ctx, t.id) for t in ts]).reshape(len(ts), len(ctx.axis)),
        np.full(len(ts), weight),
        np.array([0.0 if priority else t.shortage_penalty_usd_per_m3 for t in ts]),
    )


def add_to_model(m: pyo.ConcreteModel, ctx: BuildContext) -> None:
    b = m.municipal = pyo.Block()
    ids = [n.id for n in towns(ctx)]
    b.ids = pyo.Set(initialize=ids, ordered=True)
    numbers = data(ctx)
    demand = {n: numbers.demand_hm3[i] for i, n in enumerate(ids)}
    hard = ctx.options.municipal_hard
    b.delivery = pyo.Var(b.ids, ctx.steps, within=pyo.NonNegativeReals)
    b.shortage = pyo.Var(b.ids, ctx.steps, bounds=lambda _b, n, t: (0.0, 0.0 if hard else None))

    def supply(_b: pyo.Block, n: str, t: int) -> object:
        """delivery[m,t] + shortage[m,t] = demand[m,t]   (hm3)."""
        return linear([1.0, 1.0], [b.delivery[n, t], b.shortage[n, t]]) == float(demand[n][t])

    b.supply = pyo.Constraint(b.ids, ctx.steps, rule=supply)
    rf = {n.id: n.return_fraction for n in towns(ctx)}
    out_links = {n: ctx.links_out(n) for n in ids}

    def returns(_b: pyo.Block, n: str, t: int) -> object:
        """sum of return links[m,t] - r * delivery[m,t] = 0   (hm3)."""
        links = out_links[n]
        return (
            linear(
                [1.0] * len(links) + [-rf[n]],
                [m.link.flow[lid, t] for lid in links] + [b.delivery[n, t]],
            )
            == 0
        )

    b.returns = pyo.Constraint(b.ids, ctx.steps, rule=returns)
    ctx.rules.append(
        Rule(
            "municipal supply",
            b.shortage,
            "hm3",
            "step",
            "municipal supply of {key} short in {when} by {value:.1f} hm3",
        )
    )


def balance_terms(m: pyo.ConcreteModel, ctx: BuildContext) -> list[Term]:
    n = len(ctx.axis)
    return [
        Term(t.id, np.full(n, 1.0 - t.return_fraction), m.municipal.delivery, (t.id,))
        for t in towns(ctx)
    ]


def balance_rhs(ctx: BuildContext) -> dict[str, np.ndarray]:
    return {}


def objective(m: pyo.ConcreteModel, ctx: BuildContext) -> object:
    b = m.municipal
    numbers = data(ctx)
    coefs: list[float] = []
    variables: list[object] = []
    for i, town in enumerate(towns(ctx)):
        if ctx.options.objective == "priority":
            coefs += list(numbers.delivery_weight[i] * ctx.discount)
            variables += [b.delivery[town.id, t] for t in ctx.steps]
        else:
            coefs += list(-numbers.shortage_cost[i] * ctx.discount)
            variables += [b.shortage[town.id, t] for t in ctx.steps]
    return linear(coefs, variables)


def extract(
    m: pyo.ConcreteModel, ctx: BuildContext, sol: SolutionValues
) -> dict[str, xr.DataArray]:
    ids = [n.id for n in towns(ctx)]
    shape = (len(ids), len(ctx.axis))
    delivery = sol.array(m.municipal.delivery, shape)
    demand = np.array([demand_hm3(ctx, n) for n in ids]).reshape(shape)
    rf = np.array([n.return_fraction for n in towns(ctx)]).reshape(-1, 1)
    return {
        "delivery": on_nodes(ctx, ids, delivery),
        "demand": on_nodes(ctx, ids, demand),
        "consumption": on_nodes(ctx, ids, (1 - rf) * delivery),
        "return_flow": on_nodes(ctx, ids, rf * delivery),
    }
