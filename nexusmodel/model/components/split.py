"""Flow splits: fixed ratios among a junction's outflows.

For a junction j with weights w_k on its downstream nodes k (W = sum of the weights),
on every step t (hm3)::

    W * flow[j>k, t] - w_k * sum_l flow[j>l, t] = 0        for each downstream node k

so ``split: {A: 1, B: 3}`` sends a quarter of j's outflow to A and three quarters to B.
The rows hold in every mode (optimize, rolling, simulate): a split is physics (a weir, a
divisor), not a choice. The dual of a row is what one hm3 more on that branch, against the
ratio, would be worth (MUSD/hm3, discounted).
"""

from __future__ import annotations

import numpy as np
import pyomo.environ as pyo
import xarray as xr

from nexusmodel.basin.schema import JunctionNode
from nexusmodel.model.arrays import SolutionValues
from nexusmodel.model.context import BuildContext, Term
from nexusmodel.model.expr import linear

NAME = "split"


def splits(ctx: BuildContext) -> list[JunctionNode]:
    """Junctions with a ``split``, in file order."""
    return [n for n in ctx.basin.spec.nodes if isinstance(n, JunctionNode) and n.split]


def branches(ctx: BuildContext) -> list[tuple[str, str]]:
    """(junction, link id) of every branch of every split, in file order."""
    return [(j.id, lid) for j in splits(ctx) for lid in ctx.links_out(j.id)]


def add_to_model(m: pyo.ConcreteModel, ctx: BuildContext) -> None:
    b = m.split = pyo.Block()
    weight = {}
    for j in splits(ctx):
        assert j.split is not None
        for lid in ctx.links_out(j.id):
            weight[j.id, lid] = float(j.split[lid.split(">", 1)[1]])  # link id "FROM>TO"
    total = {j.id: sum(j.split.values()) for j in splits(ctx) if j.split}
    b.branches = pyo.Set(initialize=branches(ctx), dimen=2, ordered=True)

    def ratio(_b: pyo.Block, j: str, lid: str, t: int) -> object:
        """W * flow[j>k, t] - w_k * sum_l flow[j>l, t] = 0   (hm3)."""
        out = ctx.links_out(j)
        coefs = [(total[j] if other == lid else 0.0) - weight[j, lid] for other in out]
        return linear(coefs, [m.link.flow[other, t] for other in out]) == 0

    b.ratio = pyo.Constraint(b.branches, ctx.steps, rule=ratio)


def balance_terms(m: pyo.ConcreteModel, ctx: BuildContext) -> list[Term]:
    return []


def balance_rhs(ctx: BuildContext) -> dict[str, np.ndarray]:
    return {}


def objective(m: pyo.ConcreteModel, ctx: BuildContext) -> object:
    return linear([], [])


def extract(
    m: pyo.ConcreteModel, ctx: BuildContext, sol: SolutionValues
) -> dict[str, xr.DataArray]:
    return {}
