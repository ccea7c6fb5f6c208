"""Flow splits: fixed ratios among a junction's outflows, optionally above a residual flow.

For a junction j with weights w_k on its downstream nodes k (W = sum of the weights), on
every step t (hm3)::

    W * flow[j>k, t] - w_k * sum_l flow[j>l, t] + c_k * d[j,t] = c_k * R[j,t]     each k
    0 <= d[j,t] <= R[j,t]          (the residual minimum not met, penalised per hm3)

with R the residual minimum (hm3 per step; 0 without ``residual_to``), c_k = W - w_k on the
residual branch and -w_k on the others. So the first R - d of the flow goes to the
residual branch and the flow above it is split in the ratios: ``split: {A: 1, B: 3}``
sends a quarter to A and three quarters to B; with ``residual_to: B`` and a residual
minimum of 40, a flow of 100 sends 40 + 45 to B and 15 to A (Pywr's RiverSplitWithGauge,
a proportional abstraction above a hands-off flow). A flow below R goes all to the
residual branch and d = R - flow is a named slack (``residual flow``).

The rows hold in every mode (optimize, rolling, simulate): a split is physics (a weir, a
divisor) or a licence, not a choice.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyomo.environ as pyo
import xarray as xr

from nexusmodel.basin.schema import JunctionNode
from nexusmodel.model.arrays import SolutionValues, on_nodes
from nexusmodel.model.context import BuildContext, Rule, Term
from nexusmodel.model.expr import linear

NAME = "split"


def splits(ctx: BuildContext) -> list[JunctionNode]:
    """Junctions with a ``split``, in file order."""
    return [n for n in ctx.basin.spec.nodes if isinstance(n, JunctionNode) and n.split]


def branches(ctx: BuildContext) -> list[tuple[str, str]]:
    """(junction, link id) of every branch of every split, in file order."""
    return [(j.id, lid) for j in splits(ctx) for lid in ctx.links_out(j.id)]


def _target(link_id: str) -> str:
    return link_id.split(">", 1)[1]  # a link id is "FROM>TO"


def weights(ctx: BuildContext) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per branch (in :func:`branches` order): the weight w_k, the split's total W, and
    c_k, the coefficient of the residual minimum (W - w_k on the residual branch, else -w_k)."""
    w, total, c = [], [], []
    for j in splits(ctx):
        assert j.split is not None
        big_w = float(sum(j.split.values()))
        for lid in ctx.links_out(j.id):
            wk = float(j.split[_target(lid)])
            w.append(wk)
            total.append(big_w)
            c.append(big_w - wk if _target(lid) == j.residual_to else -wk)
    return np.array(w), np.array(total), np.array(c)


@dataclass(frozen=True)
class SplitData:
    """The data-dependent numbers of the splits (junctions in :func:`splits` order), read by
    the build and by the in-place updates (:mod:`nexusmodel.solve.lpdata`)."""

    residual_min_hm3: np.ndarray  # junctions x steps: R, 0 where there is no residual flow
    penalty: np.ndarray  # junctions: USD/m3 of residual minimum not met


def data(ctx: BuildContext) -> SplitData:
    nodes = splits(ctx)
    month = np.asarray(ctx.axis.start.month, dtype=int) - 1
    rows = []
    for j in nodes:
        rate = np.broadcast_to(np.asarray(j.residual_min_m3s, dtype=float), (12,))[month]
        rows.append(ctx.m3s_to_hm3(rate) if j.residual_to is not None else 0.0 * rate)
    return SplitData(
        np.array(rows, dtype=float).reshape(len(nodes), len(ctx.axis)),
        np.array([j.residual_penalty_usd_per_m3 for j in nodes], dtype=float),
    )


def add_to_model(m: pyo.ConcreteModel, ctx: BuildContext) -> None:
    b = m.split = pyo.Block()
    nodes = splits(ctx)
    ids = [j.id for j in nodes]
    b.ids = pyo.Set(initialize=ids, ordered=True)
    b.branches = pyo.Set(initialize=branches(ctx), dimen=2, ordered=True)
    residual = dict(zip(ids, data(ctx).residual_min_hm3, strict=True))
    b.deficit = pyo.Var(b.ids, ctx.steps, bounds=lambda _b, j, t: (0.0, float(residual[j][t])))
    w, total, c = weights(ctx)
    coef = {key: (w[k], total[k], c[k]) for k, key in enumerate(b.branches)}

    def ratio(_b: pyo.Block, j: str, lid: str, t: int) -> object:
        """W * flow[j>k] - w_k * sum_l flow[j>l] + c_k * d[j] = c_k * R[j]   (hm3)."""
        wk, big_w, ck = coef[j, lid]
        out = ctx.links_out(j)
        coefs = [(big_w if other == lid else 0.0) - wk for other in out] + [ck]
        variables = [m.link.flow[other, t] for other in out] + [b.deficit[j, t]]
        return linear(coefs, variables) == float(ck * residual[j][t])

    b.ratio = pyo.Constraint(b.branches, ctx.steps, rule=ratio)
    ctx.rules.append(
        Rule(
            "residual flow",
            b.deficit,
            "hm3",
            "step",
            "residual flow below {key} short of its minimum in {when} by {value:.1f} hm3",
        )
    )


def balance_terms(m: pyo.ConcreteModel, ctx: BuildContext) -> list[Term]:
    return []


def balance_rhs(ctx: BuildContext) -> dict[str, np.ndarray]:
    return {}


def objective(m: pyo.ConcreteModel, ctx: BuildContext) -> object:
    """- penalty * d[j,t] (MUSD): the residual minimum is met whenever the flow allows."""
    coefs: list[float] = []
    variables: list[object] = []
    numbers = data(ctx)
    for i, j in enumerate(splits(ctx)):
        coefs += (-numbers.penalty[i] * ctx.discount).tolist()
        variables += [m.split.deficit[j.id, t] for t in ctx.steps]
    return linear(coefs, variables)


def extract(
    m: pyo.ConcreteModel, ctx: BuildContext, sol: SolutionValues
) -> dict[str, xr.DataArray]:
    ids = [j.id for j in splits(ctx)]
    deficit = sol.array(m.split.deficit, (len(ids), len(ctx.axis)))
    return {"residual_deficit": on_nodes(ctx, ids, deficit)}
