"""Interconnectors: lines between energy systems (the Central Asian Power System).

Two flows per line l and step t (GWh, at the sending end), each ``0 <= f <= capacity_mw *
hours[t] / 1000``: ``forward[l, t]`` from ``from`` to ``to`` and ``backward[l, t]`` the other
way. In the balances (:func:`energy_terms`, supply side)::

    from system:  - forward + (1 - loss) * backward
    to system:    + (1 - loss) * forward - backward

Objective (MUSD): - wheeling cost (USD/MWh) x (forward + backward). With a loss > 0 both flows
at once only lose energy, so the optimum never uses them together unless energy is in surplus.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyomo.environ as pyo
import xarray as xr

from nexusmodel.basin.schema import InterconnectorSpec
from nexusmodel.model.arrays import SolutionValues
from nexusmodel.model.context import BuildContext, Term
from nexusmodel.model.expr import linear

NAME = "interconnectors"
MUSD_PER_GWH_PER_USD_MWH = 1e-3


def lines(ctx: BuildContext) -> list[InterconnectorSpec]:
    return list(ctx.basin.spec.interconnectors)


@dataclass(frozen=True)
class LineData:
    """Data-dependent numbers of the lines (lines x steps), read by the build and the updates."""

    capacity_gwh: np.ndarray
    cost_usd_per_mwh: np.ndarray


def data(ctx: BuildContext) -> LineData:
    ls = lines(ctx)
    n_t = len(ctx.axis)
    return LineData(
        np.array([ctx.mw_to_gwh(c.capacity_mw) for c in ls], dtype=float).reshape(len(ls), n_t),
        np.array([np.full(n_t, c.wheeling_cost_usd_per_mwh) for c in ls], dtype=float).reshape(
            len(ls), n_t
        ),
    )


def add_to_model(m: pyo.ConcreteModel, ctx: BuildContext) -> None:
    b = m.interconnectors = pyo.Block()
    ls = lines(ctx)
    b.ids = pyo.Set(initialize=[c.id for c in ls], ordered=True)
    cap = {c.id: data(ctx).capacity_gwh[i] for i, c in enumerate(ls)}
    b.forward = pyo.Var(b.ids, ctx.steps, bounds=lambda _b, c, t: (0.0, float(cap[c][t])))
    b.backward = pyo.Var(b.ids, ctx.steps, bounds=lambda _b, c, t: (0.0, float(cap[c][t])))


def energy_terms(m: pyo.ConcreteModel, ctx: BuildContext) -> dict[tuple[str, int], list]:
    """What each line takes from and brings to the systems it joins (GWh, supply side)."""
    b = m.interconnectors
    out: dict[tuple[str, int], list] = {}
    for c in lines(ctx):
        kept = 1.0 - c.loss_fraction
        for t in ctx.steps:
            out.setdefault((c.from_, t), []).extend(
                [(-1.0, b.forward[c.id, t]), (kept, b.backward[c.id, t])]
            )
            out.setdefault((c.to, t), []).extend(
                [(kept, b.forward[c.id, t]), (-1.0, b.backward[c.id, t])]
            )
    return out


def balance_terms(m: pyo.ConcreteModel, ctx: BuildContext) -> list[Term]:
    return []


def balance_rhs(ctx: BuildContext) -> dict[str, np.ndarray]:
    return {}


def objective(m: pyo.ConcreteModel, ctx: BuildContext) -> object:
    """- wheeling cost x energy sent, both ways (MUSD, discounted)."""
    b = m.interconnectors
    cost = data(ctx).cost_usd_per_mwh
    disc = ctx.discount * MUSD_PER_GWH_PER_USD_MWH
    coefs: list[float] = []
    variables: list[object] = []
    for i, c in enumerate(lines(ctx)):
        if cost[i].any():
            for var in (b.forward, b.backward):
                coefs += list(-cost[i] * disc)
                variables += [var[c.id, t] for t in ctx.steps]
    return linear(coefs, variables)


def extract(
    m: pyo.ConcreteModel, ctx: BuildContext, sol: SolutionValues
) -> dict[str, xr.DataArray]:
    """``interconnector_flow`` (signed, + from ``from`` to ``to``, at the sending end),
    ``interconnector_loss`` (GWh) and ``interconnector_cost`` (USD) by line and step."""
    ls = lines(ctx)
    shape = (len(ls), len(ctx.axis))
    b = m.interconnectors
    fwd = sol.array(b.forward, shape) if ls else np.zeros(shape)
    bwd = sol.array(b.backward, shape) if ls else np.zeros(shape)
    loss = np.array([c.loss_fraction for c in ls]).reshape(-1, 1)
    coords = {
        "interconnector": [c.id for c in ls],
        "interconnector_from": ("interconnector", [c.from_ for c in ls]),
        "interconnector_to": ("interconnector", [c.to for c in ls]),
        "interconnector_loss_fraction": ("interconnector", [c.loss_fraction for c in ls]),
    }
    dims = ("interconnector", "time")
    return {
        "interconnector_flow": xr.DataArray(fwd - bwd, dims=dims, coords=coords),
        "interconnector_loss": xr.DataArray(loss * (fwd + bwd), dims=dims, coords=coords),
        "interconnector_cost": xr.DataArray(
            (fwd + bwd) * data(ctx).cost_usd_per_mwh * 1000.0, dims=dims, coords=coords
        ),
    }
