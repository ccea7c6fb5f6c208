"""Shared land of irrigation districts: crop choice within the district's land, perennials.

Crop areas ``A[d,c,y]`` (kha) are decisions of :mod:`~nexusmodel.model.components.irrigation`
(each up to its available area, FAO-33 yield response). This module adds, per district d
with ``land_ha`` (kha = ha / 1000)::

    sum_c A[d,c,y] <= land[d]                               (the crops share the land)

so that, with scarce water, the district grows the crop worth most per m3, and with
plenty of water the crop worth most per ha. For a perennial crop c of d (an orchard,
``perennial_crops: {c: replanting cost USD/ha}``), in every year after the model's first::

    A[d,c,y] + U[d,c,y] >= A[d,c,y-1],   U >= 0 costs replanting / 1000 MUSD per kha

so its area is not fallowed in a dry year and planted again the next at no cost (its yield
still falls with water, by Ky). In rolling windows the rows link the years of one window.
"""

from __future__ import annotations

import numpy as np
import pyomo.environ as pyo
import xarray as xr

from nexusmodel.basin.schema import IrrigationNode
from nexusmodel.model.arrays import SolutionValues
from nexusmodel.model.components.irrigation import pairs
from nexusmodel.model.context import BuildContext, Term, nodes_of_class
from nexusmodel.model.expr import linear

NAME = "land"


def limited(ctx: BuildContext) -> list[IrrigationNode]:
    """Districts with a land limit, in file order."""
    return [
        n for n in ctx.basin.spec.nodes if isinstance(n, IrrigationNode) and n.land_ha is not None
    ]


def perennials(ctx: BuildContext) -> list[tuple[str, str]]:
    """(district, crop) pairs of perennial crops that have an area, in the irrigation order."""
    spec = nodes_of_class(ctx.basin, IrrigationNode)
    return [(d, c) for d, c in pairs(ctx) if c in spec[d].perennial_crops]


def replant_cost(ctx: BuildContext) -> np.ndarray:
    """MUSD per kha of each perennial pair (USD/ha / 1000), undiscounted."""
    spec = nodes_of_class(ctx.basin, IrrigationNode)
    return np.array([spec[d].perennial_crops[c] / 1000.0 for d, c in perennials(ctx)], dtype=float)


def add_to_model(m: pyo.ConcreteModel, ctx: BuildContext) -> None:
    b = m.land = pyo.Block()
    years = ctx.years
    area = m.irrigation.area
    crops_of = {d.id: [c for dd, c in m.irrigation.pairs if dd == d.id] for d in limited(ctx)}
    land = {d.id: float(d.land_ha or 0.0) / 1000.0 for d in limited(ctx)}
    b.ids = pyo.Set(initialize=[d.id for d in limited(ctx)], ordered=True)

    def shared(_b: pyo.Block, d: str, y: int) -> object:
        """sum_c A[d,c,y] <= land[d]   (kha)."""
        cs = crops_of[d]
        return linear([1.0] * len(cs), [area[d, c, y] for c in cs]) <= land[d]

    b.shared = pyo.Constraint(b.ids, years, rule=shared)
    b.perennial = pyo.Set(initialize=perennials(ctx), dimen=2, ordered=True)
    b.uproot = pyo.Var(b.perennial, years, within=pyo.NonNegativeReals)
    later = [(d, c, y) for d, c in perennials(ctx) for y in years[1:]]
    b.later = pyo.Set(initialize=later, dimen=3, ordered=True)

    def kept(_b: pyo.Block, d: str, c: str, y: int) -> object:
        """A[d,c,y] + U[d,c,y] - A[d,c,y-1] >= 0   (kha)."""
        before = years[years.index(y) - 1]
        return linear([1.0, 1.0, -1.0], [area[d, c, y], b.uproot[d, c, y], area[d, c, before]]) >= 0

    b.kept = pyo.Constraint(b.later, rule=kept)


def balance_terms(m: pyo.ConcreteModel, ctx: BuildContext) -> list[Term]:
    return []


def balance_rhs(ctx: BuildContext) -> dict[str, np.ndarray]:
    return {}


def objective(m: pyo.ConcreteModel, ctx: BuildContext) -> object:
    """- replanting cost * U[d,c,y] * discount of the year (MUSD)."""
    if ctx.options.objective == "priority":
        return linear([], [])
    cost = replant_cost(ctx)
    coefs: list[float] = []
    variables: list[object] = []
    for k, (d, c) in enumerate(perennials(ctx)):
        for y in ctx.years:
            coefs.append(-float(cost[k]) * ctx.year_discount(y))
            variables.append(m.land.uproot[d, c, y])
    return linear(coefs, variables)


def extract(
    m: pyo.ConcreteModel, ctx: BuildContext, sol: SolutionValues
) -> dict[str, xr.DataArray]:
    """``land_price``: the gain per ha more land in a district and year (USD/ha)."""
    ids = [d.id for d in limited(ctx)]
    n_y = len(ctx.years)
    duals = sol.row_duals(m.land.shared, (len(ids), n_y)) if ids else np.zeros((0, n_y))
    out = np.full((len(ctx.water_nodes), n_y), np.nan)
    index = {n: i for i, n in enumerate(ctx.water_nodes)}
    for row, d in zip(duals, ids, strict=True):
        # MUSD per kha = 1000 USD/ha, undiscounted by the year's first step
        out[index[d]] = row / np.array([ctx.year_discount(y) for y in ctx.years]) * 1000.0
    return {"land_price": xr.DataArray(out, dims=("node", "year"))}
