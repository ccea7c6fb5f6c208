"""Outlets: sinks (rivers' ends, spill depressions) and terminal lakes, where water leaves.

``outflow[n, t]`` (hm3) is all the water reaching outlet n; at a sink it may carry a
penalty (USD/m3), e.g. unwanted winter spill to the Arnasay depression.
"""

from __future__ import annotations

import numpy as np
import pyomo.environ as pyo
import xarray as xr

from nexusmodel.model.arrays import SolutionValues, on_nodes
from nexusmodel.model.context import BuildContext, Term
from nexusmodel.model.expr import linear

NAME = "outlet"


def outlets(ctx: BuildContext) -> list[str]:
    return [n for n in ctx.water_nodes if ctx.is_outlet(n)]


def penalties(ctx: BuildContext) -> np.ndarray:
    """Penalty (USD/m3 = MUSD/hm3, undiscounted) on the outflow of each outlet: a sink's own
    penalty, 0 at terminal lakes; read by the objective and by the in-place updates."""
    return np.array(
        [
            getattr(ctx.basin.nodes[node], "penalty_usd_per_m3", 0.0)
            if ctx.basin.nodes[node].type == "sink"
            else 0.0
            for node in outlets(ctx)
        ],
        dtype=float,
    )


def add_to_model(m: pyo.ConcreteModel, ctx: BuildContext) -> None:
    b = m.outlet = pyo.Block()
    b.ids = pyo.Set(initialize=outlets(ctx), ordered=True)
    b.outflow = pyo.Var(b.ids, ctx.steps, within=pyo.NonNegativeReals)


def balance_terms(m: pyo.ConcreteModel, ctx: BuildContext) -> list[Term]:
    n = len(ctx.axis)
    return [Term(node, np.ones(n), m.outlet.outflow, (node,)) for node in outlets(ctx)]


def balance_rhs(ctx: BuildContext) -> dict[str, np.ndarray]:
    return {}


def objective(m: pyo.ConcreteModel, ctx: BuildContext) -> object:
    """- penalty * outflow at sinks with a penalty (MUSD)."""
    coefs: list[float] = []
    variables: list[object] = []
    for node, penalty in zip(outlets(ctx), penalties(ctx).tolist(), strict=True):
        if penalty:
            coefs += list(-penalty * ctx.discount)
            variables += [m.outlet.outflow[node, t] for t in ctx.steps]
    return linear(coefs, variables)


def extract(
    m: pyo.ConcreteModel, ctx: BuildContext, sol: SolutionValues
) -> dict[str, xr.DataArray]:
    ids = outlets(ctx)
    values = sol.array(m.outlet.outflow, (len(ids), len(ctx.axis)))
    return {"sink_inflow": on_nodes(ctx, ids, values)}
