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

Other shared resources of a district (``resources: {r: {limit, per_ha: {c: use}}}``, e.g.
labour days or a budget in USD), each year (thousand units)::

    sum_c use[d,r,c] * A[d,c,y] <= limit[d,r] / 1000

and a water right (``water_right_hm3``), over the steps of each calendar year::

    sum over t in y, links l into d of flow[l,t] <= right[d] * share[y]     (hm3)

with ``share`` the part of the year the steps cover. The right is refused in the modes of
windows (rolling, simulate): a window would need what earlier windows of the year took.
"""

from __future__ import annotations

import numpy as np
import pyomo.environ as pyo
import xarray as xr

from nexusmodel.basin.basin import Basin
from nexusmodel.basin.schema import IrrigationNode
from nexusmodel.errors import InputError, Problem
from nexusmodel.model.arrays import SolutionValues
from nexusmodel.model.components.irrigation import pairs
from nexusmodel.model.components.withdrawal_limits import covered_share
from nexusmodel.model.context import BuildContext, Term, nodes_of_class
from nexusmodel.model.expr import linear

NAME = "land"


def limited(ctx: BuildContext) -> list[IrrigationNode]:
    """Districts with a land limit, in file order."""
    return [
        n for n in ctx.basin.spec.nodes if isinstance(n, IrrigationNode) and n.land_ha is not None
    ]


def resource_rows(ctx: BuildContext) -> list[tuple[str, str]]:
    """(district, resource) pairs of the districts' resource limits, in file order."""
    return [
        (n.id, r)
        for n in ctx.basin.spec.nodes
        if isinstance(n, IrrigationNode)
        for r in n.resources
    ]


def resource_names(ctx: BuildContext) -> list[str]:
    """Every resource name of the basin, each once, in the order first met."""
    return list(dict.fromkeys(r for _d, r in resource_rows(ctx)))


def rights(ctx: BuildContext) -> list[IrrigationNode]:
    """Districts with a water right, in file order."""
    return [
        n
        for n in ctx.basin.spec.nodes
        if isinstance(n, IrrigationNode) and n.water_right_hm3 is not None
    ]


def check_window_modes(basin: Basin, mode: str) -> None:
    """Refuse water rights in a mode of windows: a window's yearly row would have to carry
    what the year's earlier windows diverted."""
    nodes = [
        n.id
        for n in basin.spec.nodes
        if isinstance(n, IrrigationNode) and n.water_right_hm3 is not None
    ]
    if nodes:
        raise InputError(
            [
                Problem(
                    f"nodes {nodes}: water_right_hm3",
                    f"is not supported in {mode} mode (a window sees only part of a year)",
                    "run mode optimize, or remove water_right_hm3",
                )
            ],
            title=f"{mode} mode",
        )


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
    spec = nodes_of_class(ctx.basin, IrrigationNode)
    b.resource_ids = pyo.Set(initialize=resource_rows(ctx), dimen=2, ordered=True)

    def resource(_b: pyo.Block, d: str, r: str, y: int) -> object:
        """sum_c use[d,r,c] * A[d,c,y] <= limit[d,r] / 1000   (thousand units)."""
        limit = spec[d].resources[r]
        cs = [c for dd, c in m.irrigation.pairs if dd == d]
        use = [float(limit.per_ha.get(c, 0.0)) for c in cs]
        return linear(use, [area[d, c, y] for c in cs]) <= limit.limit / 1000.0

    b.resource = pyo.Constraint(b.resource_ids, years, rule=resource)
    b.right_ids = pyo.Set(initialize=[n.id for n in rights(ctx)], ordered=True)

    def right(_b: pyo.Block, d: str, y: int) -> object:
        """sum of the flows into d over the steps of y <= right[d] * share   (hm3)."""
        links = [link.id for link in ctx.basin.links if link.to == d]
        flows = [m.link.flow[lid, int(t)] for t in ctx.steps_of_year(y) for lid in links]
        cap = float(spec[d].water_right_hm3 or 0.0) * covered_share(ctx, y, tuple(range(1, 13)))
        return linear([1.0] * len(flows), flows) <= cap

    b.right = pyo.Constraint(b.right_ids, years, rule=right)


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
    """``land_price``: the gain per ha more land in a district and year (USD/ha);
    ``resource_price``: per unit more of a resource (USD/unit); ``water_right_price``: per
    m3 more of a water right (USD/m3)."""
    ids = [d.id for d in limited(ctx)]
    n_y = len(ctx.years)
    undiscount = np.array([ctx.year_discount(y) for y in ctx.years])
    index = {n: i for i, n in enumerate(ctx.water_nodes)}
    rows = resource_rows(ctx)
    names = resource_names(ctx)
    res = np.full((len(ctx.water_nodes), len(names), n_y), np.nan)
    if rows:
        res_duals = sol.row_duals(m.land.resource, (len(rows), n_y))
        for (d, r), row in zip(rows, res_duals, strict=True):
            # MUSD per thousand units = 1000 USD per unit
            res[index[d], names.index(r)] = row / undiscount * 1000.0
    right_ids = [n.id for n in rights(ctx)]
    price = np.full((len(ctx.water_nodes), n_y), np.nan)
    if right_ids:
        right_duals = sol.row_duals(m.land.right, (len(right_ids), n_y))
        for d, row in zip(right_ids, right_duals, strict=True):
            price[index[d]] = row / undiscount  # MUSD/hm3 = USD/m3
    duals = sol.row_duals(m.land.shared, (len(ids), n_y)) if ids else np.zeros((0, n_y))
    out = np.full((len(ctx.water_nodes), n_y), np.nan)
    for row, d in zip(duals, ids, strict=True):
        # MUSD per kha = 1000 USD/ha, undiscounted by the year's first step
        out[index[d]] = row / undiscount * 1000.0
    return {
        "land_price": xr.DataArray(out, dims=("node", "year")),
        "resource_price": xr.DataArray(
            res, dims=("node", "resource", "year"), coords={"resource": names}
        ),
        "water_right_price": xr.DataArray(price, dims=("node", "year")),
    }
