"""Reservoirs: storage continuity with evaporation, storage rules and the end condition.

Variables: ``storage[r, t]`` (hm3, end of step t). The reservoir's water balance (in
:mod:`nexusmodel.model.balance`) carries storage change and evaporation::

    outflows + S[t] - S[t-1] + E[t] = inflows          (hm3)
    E[t] = e[t] * (a0 + a1 * Se[t])                    (hm3; e net evaporation in m,
                                                        A = a0 + a1*S the area in km2,
                                                        fitted over dead..full storage)

where Se, the storage whose area evaporates, is chosen by ``ModelOptions.evaporation_area``
(the scenario's ``solve: evaporation_area``): ``mean`` (default) the step's mean storage
(S[t-1] + S[t]) / 2, ``start`` the storage at the start of the step S[t-1] (WEAP and Pywr
take the area at the start of the step; the mean is closer for long steps).

Rules, each with a named slack (hard: slack fixed at 0, soft: penalised):
``S[t] + min_deficit >= max(dead, rule_min[t])``, ``S[t] - excess <= min(capacity, rule_max[t])``,
``S[T] + end_deficit >= S[0]`` (end_storage "initial"), or a terminal value of water.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyomo.environ as pyo
import xarray as xr

from nexusmodel.basin.schema import ReservoirNode
from nexusmodel.model.arrays import SolutionValues, on_nodes
from nexusmodel.model.context import BuildContext, Rule, Term
from nexusmodel.model.expr import linear

NAME = "reservoir"


def reservoirs(ctx: BuildContext) -> list[ReservoirNode]:
    return [n for n in ctx.basin.spec.nodes if isinstance(n, ReservoirNode)]


def area_fit(ctx: BuildContext, node: ReservoirNode) -> tuple[float, float]:
    """(a0 km2, a1 km2/hm3): least-squares line A = a0 + a1*S over dead..full storage."""
    table = ctx.basin.tables.level_area_storage.get(node.id)
    if table is None:
        return 0.0, 0.0
    grid = np.linspace(node.dead_storage_hm3, node.capacity_hm3, 25)
    area = np.interp(grid, table.storage_hm3, table.area_km2)
    a1, a0 = np.polyfit(grid, area, 1)
    return float(a0), float(a1)


def level_of(ctx: BuildContext, node_id: str, storage: np.ndarray) -> np.ndarray:
    """Water level (m) for storage (hm3) by linear interpolation in the level-area-storage table."""
    table = ctx.basin.tables.level_area_storage.get(node_id)
    if table is None:
        return np.full(np.shape(storage), np.nan)
    return np.interp(storage, table.storage_hm3, table.level_m)


def evaporation_m(ctx: BuildContext, node_id: str) -> np.ndarray:
    """Net evaporation depth on each step (m)."""
    return ctx.monthly(ctx.series.evaporation_mm, node_id, "volume") / 1000.0


@dataclass(frozen=True)
class ReservoirData:
    """The data-dependent numbers of the reservoirs' rows, read by the build and by the
    in-place updates (:mod:`nexusmodel.solve.lpdata`); reservoirs x steps, in
    :func:`reservoirs` order."""

    lower_hm3: np.ndarray  # max(dead storage, rule-curve minimum)
    upper_hm3: np.ndarray  # min(capacity, rule-curve maximum)
    evaporation_now: np.ndarray  # e[t] * a1 * w: evaporation's coefficient of S[t]
    evaporation_before: np.ndarray  # e[t] * a1 * (1 - w): its coefficient of S[t-1]


def end_weight(ctx: BuildContext) -> float:
    """w, the weight of the end-of-step storage in the evaporating area: 1/2 (``mean``) or
    0 (``start``)."""
    return 0.5 if ctx.options.evaporation_area == "mean" else 0.0


def data(ctx: BuildContext) -> ReservoirData:
    """Every data-dependent number of the reservoirs' own rows and balance coefficients."""
    nodes = reservoirs(ctx)
    n_t = len(ctx.axis)
    s = ctx.series
    w = end_weight(ctx)

    def stack(values: list[np.ndarray]) -> np.ndarray:
        return np.array(values, dtype=float).reshape(len(nodes), n_t)

    return ReservoirData(
        stack(
            [
                np.maximum(
                    r.dead_storage_hm3, ctx.axis.per_step(s.rule_min_hm3[r.id].to_numpy(), "rate")
                )
                for r in nodes
            ]
        ),
        stack(
            [
                np.minimum(
                    r.capacity_hm3, ctx.axis.per_step(s.rule_max_hm3[r.id].to_numpy(), "rate")
                )
                for r in nodes
            ]
        ),
        stack([evaporation_m(ctx, r.id) * area_fit(ctx, r)[1] * w for r in nodes]),
        stack([evaporation_m(ctx, r.id) * area_fit(ctx, r)[1] * (1.0 - w) for r in nodes]),
    )


def initial_storage_term(ctx: BuildContext) -> np.ndarray:
    """``S0 * (1 - e[0] a1 (1 - w))`` of each reservoir (hm3): the constant its first step's
    balance row carries, from the context's initial storage (w: :func:`end_weight`)."""
    out = []
    w = end_weight(ctx)
    for r in reservoirs(ctx):
        _a0, a1 = area_fit(ctx, r)
        e0 = float(evaporation_m(ctx, r.id)[0])
        out.append(r.initial_storage_hm3 * (1.0 - e0 * a1 * (1.0 - w)))
    return np.array(out)


def add_to_model(m: pyo.ConcreteModel, ctx: BuildContext) -> None:
    b = m.reservoir = pyo.Block()
    nodes = reservoirs(ctx)
    ids = [r.id for r in nodes]
    b.ids = pyo.Set(initialize=ids, ordered=True)
    b.storage = pyo.Var(b.ids, ctx.steps, within=pyo.NonNegativeReals)
    b.min_deficit = pyo.Var(b.ids, ctx.steps, within=pyo.NonNegativeReals, bounds=(0.0, 0.0))
    b.excess = pyo.Var(b.ids, ctx.steps, within=pyo.NonNegativeReals, bounds=(0.0, 0.0))
    b.end_deficit = pyo.Var(b.ids, within=pyo.NonNegativeReals, bounds=(0.0, 0.0))
    numbers = data(ctx)
    lower = {r.id: numbers.lower_hm3[i] for i, r in enumerate(nodes)}
    upper = {r.id: numbers.upper_hm3[i] for i, r in enumerate(nodes)}

    def min_storage(_b: pyo.Block, r: str, t: int) -> object:
        """S[r,t] + min_deficit[r,t] >= max(dead storage, rule-curve minimum)   (hm3)."""
        return linear([1.0, 1.0], [b.storage[r, t], b.min_deficit[r, t]]) >= float(lower[r][t])

    def max_storage(_b: pyo.Block, r: str, t: int) -> object:
        """S[r,t] - excess[r,t] <= min(capacity, rule-curve maximum)   (hm3)."""
        return linear([1.0, -1.0], [b.storage[r, t], b.excess[r, t]]) <= float(upper[r][t])

    b.min_storage = pyo.Constraint(b.ids, ctx.steps, rule=min_storage)
    b.max_storage = pyo.Constraint(b.ids, ctx.steps, rule=max_storage)
    last = len(ctx.axis) - 1
    ends = [r.id for r in nodes if r.end_storage == "initial"]
    b.with_end = pyo.Set(initialize=ends, ordered=True)
    initial = {r.id: r.initial_storage_hm3 for r in nodes}

    def end_storage(_b: pyo.Block, r: str) -> object:
        """S[r,T] + end_deficit[r] >= S[r,0]   (hm3): the horizon leaves as much as it found."""
        return linear([1.0, 1.0], [b.storage[r, last], b.end_deficit[r]]) >= initial[r]

    b.end_storage = pyo.Constraint(b.with_end, rule=end_storage)
    ctx.rules += [
        Rule(
            "minimum storage",
            b.min_deficit,
            "hm3",
            "step",
            "storage of {key} below its minimum (dead storage or rule curve) in {when} by {value:.1f} hm3",
        ),
        Rule(
            "maximum storage",
            b.excess,
            "hm3",
            "step",
            "storage of {key} above its capacity or rule curve in {when} by {value:.1f} hm3",
        ),
        Rule(
            "end storage",
            b.end_deficit,
            "hm3",
            "end",
            "final storage of {key} below its initial storage by {value:.1f} hm3",
        ),
    ]


def balance_terms(m: pyo.ConcreteModel, ctx: BuildContext) -> list[Term]:
    """+ (1 + e a1 w) S[t] + (-1 + e a1 (1 - w)) S[t-1] on the outflow side of the reservoir."""
    terms = []
    numbers = data(ctx)
    for i, r in enumerate(reservoirs(ctx)):
        terms.append(Term(r.id, 1.0 + numbers.evaporation_now[i], m.reservoir.storage, (r.id,)))
        terms.append(
            Term(r.id, -1.0 + numbers.evaporation_before[i], m.reservoir.storage, (r.id,), lag=1)
        )
    return terms


def balance_rhs(ctx: BuildContext) -> dict[str, np.ndarray]:
    """- e*a0 on every step, and + :func:`initial_storage_term` on the first (hm3)."""
    rhs = {}
    first = initial_storage_term(ctx)
    for i, r in enumerate(reservoirs(ctx)):
        a0, _a1 = area_fit(ctx, r)
        values = -evaporation_m(ctx, r.id) * a0
        values[0] += first[i]
        rhs[r.id] = values
    return rhs


def objective(m: pyo.ConcreteModel, ctx: BuildContext) -> object:
    """+ terminal value * S[T] for reservoirs whose end storage is valued (MUSD)."""
    last = len(ctx.axis) - 1
    valued = [r for r in reservoirs(ctx) if r.end_storage == "value"]
    disc = float(ctx.discount[last])
    return linear(
        [r.terminal_value_usd_per_m3 * disc for r in valued],
        [m.reservoir.storage[r.id, last] for r in valued],
    )


def extract(
    m: pyo.ConcreteModel, ctx: BuildContext, sol: SolutionValues
) -> dict[str, xr.DataArray]:
    nodes = reservoirs(ctx)
    ids = [r.id for r in nodes]
    shape = (len(ids), len(ctx.axis))
    storage = sol.array(m.reservoir.storage, shape)
    previous = np.concatenate(
        [np.array([[r.initial_storage_hm3] for r in nodes]).reshape(len(ids), 1), storage[:, :-1]],
        axis=1,
    )
    evap = np.zeros(shape)
    level = np.zeros(shape)
    w = end_weight(ctx)
    for i, r in enumerate(nodes):
        a0, a1 = area_fit(ctx, r)
        evaporating = w * storage[i] + (1.0 - w) * previous[i]
        evap[i] = evaporation_m(ctx, r.id) * (a0 + a1 * evaporating)
        level[i] = level_of(ctx, r.id, storage[i])
    min_dual = sol.row_duals(m.reservoir.min_storage, shape)
    max_dual = sol.row_duals(m.reservoir.max_storage, shape)
    # each bound's own dual (MUSD/hm3 = USD/m3, undiscounted), both as a gain (>= 0): per
    # hm3 more room under the maximum, and per hm3 less required by the minimum
    max_price = max_dual / ctx.discount
    min_price = -min_dual / ctx.discount
    return {
        "storage": on_nodes(ctx, ids, storage),
        "storage_max_price": on_nodes(ctx, ids, max_price),
        "storage_min_price": on_nodes(ctx, ids, min_price),
        "level": on_nodes(ctx, ids, level),
        "evaporation": on_nodes(ctx, ids, evap),
        "storage_bound_price": on_nodes(ctx, ids, np.abs(max_price) + np.abs(min_price)),
        "storage_min_deficit": on_nodes(ctx, ids, sol.array(m.reservoir.min_deficit, shape)),
        "_storage_previous": on_nodes(ctx, ids, previous),
    }
