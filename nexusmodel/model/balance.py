"""The water balance at every node and step, assembled from the components' terms.

For node n and step t (hm3), with each component's terms on the left::

    sum of outflow links + consumption + S[t] - S[t-1] + evaporation
        - sum of (1 - loss) * inflow links  =  exogenous inflow[n,t] (+ constants moved right)

Its dual is the marginal value of water at n in step t (MUSD/hm3 = USD/m3, discounted).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from typing import Protocol

import numpy as np
import pyomo.environ as pyo

from nexusmodel.model.context import BuildContext, Term
from nexusmodel.model.expr import linear


def exogenous_inflow_hm3(ctx: BuildContext) -> np.ndarray:
    """Natural inflow at every water node on every step (hm3); zero except at sources."""
    out = np.zeros((len(ctx.water_nodes), len(ctx.axis)))
    for i, node in enumerate(ctx.water_nodes):
        if ctx.basin.nodes[node].type == "source":
            out[i] = ctx.m3s_to_hm3(ctx.monthly(ctx.series.inflow_m3s, node, "rate"))
    return out


class BalanceComponent(Protocol):
    """What the water balance asks of a component module (see ``model.components``)."""

    def balance_terms(self, m: pyo.ConcreteModel, ctx: BuildContext) -> list[Term]: ...

    def balance_rhs(self, ctx: BuildContext) -> dict[str, np.ndarray]: ...


def balance_rhs_hm3(
    ctx: BuildContext, components: Sequence[BalanceComponent] | None = None
) -> np.ndarray:
    """Right-hand side of every water-balance row (water nodes x steps, hm3): exogenous
    inflow plus each component's constants (reservoir evaporation from the fitted area's
    constant term, and the initial storage on the first step). Read by the build and by
    the in-place updates alike."""
    from nexusmodel.model import COMPONENTS

    rhs = exogenous_inflow_hm3(ctx)
    row_of = {n: i for i, n in enumerate(ctx.water_nodes)}
    for component in COMPONENTS if components is None else components:
        for node, values in component.balance_rhs(ctx).items():
            rhs[row_of[node]] += values
    return rhs


def add_water_balance(
    m: pyo.ConcreteModel, ctx: BuildContext, components: Sequence[BalanceComponent]
) -> None:
    terms: dict[str, list[Term]] = defaultdict(list)
    rhs = balance_rhs_hm3(ctx, components)
    row_of = {n: i for i, n in enumerate(ctx.water_nodes)}
    for component in components:
        for term in component.balance_terms(m, ctx):
            terms[term.node].append(term)
    m.nodes = pyo.Set(initialize=ctx.water_nodes, ordered=True)

    def water_balance(_m: pyo.ConcreteModel, n: str, t: int) -> object:
        """outflows + use + storage change - inflows = exogenous inflow   (hm3)."""
        coefs = []
        variables = []
        for term in terms[n]:
            if t - term.lag >= 0:
                coefs.append(float(term.coef[t]))
                variables.append(term.var[(*term.key, t - term.lag)])  # type: ignore[index]
        if not variables:
            return pyo.Constraint.Skip
        return linear(coefs, variables) == float(rhs[row_of[n], t])

    m.water_balance = pyo.Constraint(m.nodes, ctx.steps, rule=water_balance)
