"""Irrigation districts: crop areas, crop water, FAO-33 yield response, diversions and returns.

Per district d and crop c (areas in kha, water in hm3, production in kt)::

    0 <= A[d,c,y] <= A_max[d,c,y]                          (fallowing allowed)
    w[d,c,t] <= NIR[c,t] * A[d,c,y(t)]                      (net water up to the need;
                                                            NIR in hm3/kha = mm * 0.01)
    P[d,c,y] = Ym (1 - Ky) A + Ky Ym W[d,c,y] / NIR_y[c]    (FAO-33, linear form;
                                                            W = sum of w over the year)
    P[d,c,y] >= 0                                           (binding where Ky > 1)
    gross[d,t] = sum_c w[d,c,t] / (eff_conveyance * eff_field)
    return[d,t] = r * (gross - net)                         (leaves by the return links)
    consumption[d,t] = gross - return

Objective (MUSD): sum_y disc_y * (price * P / 1000 - cost * A / 1000).
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
import pyomo.environ as pyo
import xarray as xr

from nexusmodel.basin.schema import IrrigationNode
from nexusmodel.model.arrays import SolutionValues, on_nodes
from nexusmodel.model.context import BuildContext, Term
from nexusmodel.model.expr import linear

NAME = "irrigation"
HM3_PER_KHA_PER_MM = 0.01  # 1 mm over 1,000 ha is 10,000 m3


def districts(ctx: BuildContext) -> list[IrrigationNode]:
    return [n for n in ctx.basin.spec.nodes if isinstance(n, IrrigationNode)]


def pairs(ctx: BuildContext) -> list[tuple[str, str]]:
    """(district, crop) with an area in the basin files."""
    areas = ctx.basin.tables.irrigated_areas
    return [
        (d.id, c)
        for d in districts(ctx)
        for c in ctx.basin.tables.crops.index
        if (d.id, c) in areas.index
    ]


def efficiency(node: IrrigationNode) -> float:
    return node.conveyance_efficiency * node.field_efficiency


def need_hm3_per_kha(ctx: BuildContext, crop: str) -> np.ndarray:
    """Net irrigation need of one kha of the crop on each step (hm3)."""
    return ctx.monthly(ctx.series.crop_water_mm, crop, "volume") * HM3_PER_KHA_PER_MM


class Production(NamedTuple):
    """FAO-33 linear production of each (district, crop) pair (kt) in each year:
    ``P[y] = area[y] * A[y] + sum_{t in y} water[t] * w[t]``."""

    area: np.ndarray  # pairs x years (kt per kha): Ym (1 - Ky), or Ym in a year of no need
    water: np.ndarray  # pairs x steps (kt per hm3): Ky Ym / NIR_y, 0 in a year of no need
    has_need: np.ndarray  # pairs x years: NIR_y > 0 (the year's production counts water)


def production_coefficients(
    ctx: BuildContext,
    need: np.ndarray,
    step_year: np.ndarray,
    year_need: dict[int, dict[str, float]] | None = None,
) -> Production:
    """The FAO-33 coefficients of every pair, read by the build's production rows and by
    the in-place updates. NIR_y sums ``need`` (pairs x steps, hm3/kha) over the year's
    steps (``step_year``: position of each step's year in ``ctx.years``), unless
    ``year_need`` (year -> crop -> hm3/kha) gives it: a window covering part of a year
    uses the whole year's need."""
    crops = ctx.basin.tables.crops
    dc = pairs(ctx)
    n_y = len(ctx.years)
    a = np.zeros((len(dc), n_y))
    coef = np.zeros((len(dc), len(step_year)))
    has_need = np.zeros((len(dc), n_y), dtype=bool)
    for k, (_d, c) in enumerate(dc):
        ym, ky = float(crops.loc[c, "max_yield_t_per_ha"]), float(crops.loc[c, "ky"])
        for yi, y in enumerate(ctx.years):
            in_year = step_year == yi
            if year_need is not None and y in year_need:
                nir_y = float(year_need[y].get(c, 0.0))
            else:
                nir_y = float(need[k, in_year].sum())
            if nir_y > 0:
                a[k, yi] = ym * (1 - ky)
                coef[k, in_year] = ky * ym / nir_y
                has_need[k, yi] = True
            else:
                a[k, yi] = ym
    return Production(a, coef, has_need)


def area_max_kha(ctx: BuildContext) -> np.ndarray:
    """Area available to each pair in each year (kha; pairs x years)."""
    frame = ctx.series.area_max_ha
    dc = pairs(ctx)
    return np.array(
        [[float(frame.loc[y, (d, c)]) / 1000.0 for y in ctx.years] for d, c in dc]
    ).reshape(len(dc), len(ctx.years))


def crop_economics(ctx: BuildContext) -> tuple[np.ndarray, np.ndarray]:
    """(crop price in MUSD per kt, crop cost in MUSD per kha) of every pair and year
    (USD/t and USD/ha / 1000), undiscounted."""
    s = ctx.series
    dc = pairs(ctx)
    n_y = len(ctx.years)
    price = np.array(
        [[float(s.crop_price_usd_per_t.loc[y, c]) / 1000.0 for y in ctx.years] for _d, c in dc]
    ).reshape(len(dc), n_y)
    cost = np.array(
        [[float(s.crop_cost_usd_per_ha.loc[y, c]) / 1000.0 for y in ctx.years] for _d, c in dc]
    ).reshape(len(dc), n_y)
    return price, cost


def add_to_model(m: pyo.ConcreteModel, ctx: BuildContext) -> None:
    b = m.irrigation = pyo.Block()
    dc = pairs(ctx)
    b.pairs = pyo.Set(initialize=dc, dimen=2, ordered=True)
    years = ctx.years
    amax = dict(zip(dc, area_max_kha(ctx), strict=True))
    at_year = {y: k for k, y in enumerate(years)}
    b.area = pyo.Var(
        b.pairs, years, bounds=lambda _b, d, c, y: (0.0, float(amax[d, c][at_year[y]]))
    )
    need = {c: need_hm3_per_kha(ctx, c) for c in ctx.basin.tables.crops.index}
    b.water = pyo.Var(b.pairs, ctx.steps, within=pyo.NonNegativeReals)
    year_of = ctx.axis.years

    def water_limit(_b: pyo.Block, d: str, c: str, t: int) -> object:
        """w[d,c,t] - NIR[c,t] * A[d,c,y(t)] <= 0   (hm3)."""
        return (
            linear([1.0, -float(need[c][t])], [b.water[d, c, t], b.area[d, c, int(year_of[t])]])
            <= 0
        )

    b.water_limit = pyo.Constraint(b.pairs, ctx.steps, rule=water_limit)
    ky_of = ctx.basin.tables.crops["ky"].to_dict()
    steps_of = {y: ctx.steps_of_year(y) for y in years}
    step_year = np.searchsorted(np.asarray(years), year_of)
    n_t = len(ctx.axis)
    production = production_coefficients(
        ctx, np.array([need[c] for _d, c in dc]).reshape(len(dc), n_t), step_year
    )
    pair_of = {pair: k for k, pair in enumerate(dc)}
    year_pos = {y: yi for yi, y in enumerate(years)}

    def production_expr(d: str, c: str, y: int) -> tuple[list[float], list[object]]:
        k, yi = pair_of[d, c], year_pos[y]
        area_coef = float(production.area[k, yi])  # t/ha = kt/kha
        if not production.has_need[k, yi]:
            return [area_coef], [b.area[d, c, y]]
        ts = steps_of[y]
        water = production.water[k]
        return [area_coef] + [float(water[t]) for t in ts], [b.area[d, c, y]] + [
            b.water[d, c, int(t)] for t in ts
        ]

    b.production_terms = production_expr  # kept for extraction and the objective
    positive = [(d, c, y) for (d, c) in dc for y in years if ky_of[c] > 1]
    b.positive = pyo.Set(initialize=positive, dimen=3, ordered=True)

    def production_nonneg(_b: pyo.Block, d: str, c: str, y: int) -> object:
        """P[d,c,y] >= 0: below (1 - 1/Ky) of the need a crop with Ky > 1 yields nothing."""
        coefs, variables = production_expr(d, c, y)
        return linear(coefs, variables) >= 0

    b.production_nonneg = pyo.Constraint(b.positive, rule=production_nonneg)
    out_links = {d.id: ctx.links_out(d.id) for d in districts(ctx)}
    crops_of = {d.id: [c for (dd, c) in dc if dd == d.id] for d in districts(ctx)}
    ret = {d.id: d.return_fraction * (1.0 / efficiency(d) - 1.0) for d in districts(ctx)}
    b.ids = pyo.Set(initialize=[d.id for d in districts(ctx)], ordered=True)

    def returns(_b: pyo.Block, d: str, t: int) -> object:
        """sum of return links[d,t] = r * (1/eff - 1) * sum_c w[d,c,t]   (hm3)."""
        links = out_links[d]
        cs = crops_of[d]
        return (
            linear(
                [1.0] * len(links) + [-ret[d]] * len(cs),
                [m.link.flow[lid, t] for lid in links] + [b.water[d, c, t] for c in cs],
            )
            == 0
        )

    b.returns = pyo.Constraint(b.ids, ctx.steps, rule=returns)


def balance_terms(m: pyo.ConcreteModel, ctx: BuildContext) -> list[Term]:
    """consumption = gross - return = (1/eff - r (1/eff - 1)) * sum_c w[d,c,t]."""
    n = len(ctx.axis)
    terms = []
    for d in districts(ctx):
        factor = 1.0 / efficiency(d) - d.return_fraction * (1.0 / efficiency(d) - 1.0)
        for dd, c in pairs(ctx):
            if dd == d.id:
                terms.append(Term(d.id, np.full(n, factor), m.irrigation.water, (d.id, c)))
    return terms


def balance_rhs(ctx: BuildContext) -> dict[str, np.ndarray]:
    return {}


def objective(m: pyo.ConcreteModel, ctx: BuildContext) -> object:
    """sum_y disc_y (price/1000 * P - cost/1000 * A)   (MUSD); priority: weight * gross water."""
    b = m.irrigation
    coefs: list[float] = []
    variables: list[object] = []
    if ctx.options.objective == "priority":
        weight = ctx.priority_weight("irrigation")
        eff = {d.id: efficiency(d) for d in districts(ctx)}
        for d, c in pairs(ctx):
            coefs += list(weight * ctx.discount / eff[d])
            variables += [b.water[d, c, t] for t in ctx.steps]
        return linear(coefs, variables)
    years = ctx.years
    year_disc = {y: ctx.year_discount(y) for y in years}
    prices, costs = crop_economics(ctx)
    for k, (d, c) in enumerate(pairs(ctx)):
        for yi, y in enumerate(years):
            disc = year_disc[y]
            price = float(prices[k, yi])
            cost = float(costs[k, yi])
            pc, pv = b.production_terms(d, c, y)
            coefs += [price * disc * k for k in pc]
            variables += pv
            coefs.append(-cost * disc)
            variables.append(b.area[d, c, y])
    return linear(coefs, variables)


def extract(
    m: pyo.ConcreteModel, ctx: BuildContext, sol: SolutionValues
) -> dict[str, xr.DataArray]:
    b = m.irrigation
    dc = pairs(ctx)
    years = ctx.years
    n_t = len(ctx.axis)
    ds_ids = [d.id for d in districts(ctx)]
    crops = list(ctx.basin.tables.crops.index)
    water = sol.array(b.water, (len(dc), n_t))
    area = sol.array(b.area, (len(dc), len(years))) * 1000.0
    shape3 = (len(ds_ids), len(crops))
    crop_area = np.full((*shape3, len(years)), np.nan)
    crop_area_max = np.full_like(crop_area, np.nan)
    production = np.full_like(crop_area, np.nan)
    revenue = np.full_like(crop_area, np.nan)
    cost = np.full_like(crop_area, np.nan)
    crop_water = np.full((*shape3, n_t), np.nan)
    requirement = np.full_like(crop_water, np.nan)
    tab = ctx.basin.tables.crops
    s = ctx.series
    max_yield = tab["max_yield_t_per_ha"].to_dict()
    ky_of = tab["ky"].to_dict()
    prices = {c: s.crop_price_usd_per_t[c].to_dict() for c in s.crop_price_usd_per_t.columns}
    costs = {c: s.crop_cost_usd_per_ha[c].to_dict() for c in s.crop_cost_usd_per_ha.columns}
    steps_of = {y: ctx.steps_of_year(y) for y in years}
    for k, (d, c) in enumerate(dc):
        i, j = ds_ids.index(d), crops.index(c)
        crop_area[i, j] = area[k]
        crop_water[i, j] = water[k]
        need = need_hm3_per_kha(ctx, c)
        amax = s.area_max_ha[(d, c)].to_numpy(dtype=float)
        crop_area_max[i, j] = amax
        requirement[i, j] = need * amax[np.searchsorted(years, ctx.axis.years)] / 1000.0
        ym, ky = max_yield[c], ky_of[c]
        for yi, y in enumerate(years):
            ts = steps_of[y]
            nir_y = need[ts].sum()
            a_kha = area[k, yi] / 1000.0
            p_kt = (
                ym * a_kha
                if nir_y <= 0
                else ym * (1 - ky) * a_kha + ky * ym * water[k, ts].sum() / nir_y
            )
            production[i, j, yi] = max(p_kt, 0.0) * 1000.0
            revenue[i, j, yi] = production[i, j, yi] * prices[c][y]
            cost[i, j, yi] = area[k, yi] * costs[c][y]
    net = np.nansum(crop_water, axis=1)  # districts x steps
    eff = np.array([efficiency(d) for d in districts(ctx)])[:, None]
    rf = np.array([d.return_fraction for d in districts(ctx)])[:, None]
    gross = net / eff
    returned = rf * (gross - net)
    demand = np.nansum(requirement, axis=1) / eff

    def on_node_crop(values: np.ndarray, last_dim: str) -> xr.DataArray:
        full = np.full((len(ctx.water_nodes), len(crops), values.shape[-1]), np.nan)
        for i, d in enumerate(ds_ids):
            full[ctx.water_nodes.index(d)] = values[i]
        return xr.DataArray(full, dims=("node", "crop", last_dim))

    return {
        "crop_area": on_node_crop(crop_area, "year"),
        "crop_area_max": on_node_crop(crop_area_max, "year"),
        "production": on_node_crop(production, "year"),
        "crop_revenue": on_node_crop(revenue, "year"),
        "crop_cost": on_node_crop(cost, "year"),
        "crop_water": on_node_crop(crop_water, "time"),
        "crop_water_requirement": on_node_crop(requirement, "time"),
        "delivery": on_nodes(ctx, ds_ids, gross),
        "demand": on_nodes(ctx, ds_ids, demand),
        "consumption": on_nodes(ctx, ds_ids, gross - returned),
        "return_flow": on_nodes(ctx, ds_ids, returned),
    }
