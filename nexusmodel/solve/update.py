"""Change a built model's data in place and re-solve warm: no rebuild, no recompile.

A built model lives on in its :class:`~nexusmodel.solve.highs.HighsBackend`. These functions
change the numbers of that live LP (row bounds, column bounds, costs, coefficients) through
the backend's maps from Pyomo components to rows and columns, so that the next
``backend.run()`` starts from the last basis::

    model = build_model(basin, options)
    report = solve(model)                                  # report.backend is the live LP
    update_inflows(model, report.backend, member_inflow)    # an ensemble member
    report = resolve(model, report.backend)                 # warm, with the head iteration

- :func:`update_inflows`: exogenous inflow (hm3, water nodes x steps): water-balance rows;
- :func:`update_initial_storage`: the storage a run starts from: the first step's balance
  row of each reservoir, its end rule, its plant's energy rows (:func:`reset_heads`);
- :func:`set_end_storage_value` / :func:`set_end_storage_target`: what the last storage is
  worth (USD/m3), or the storage to reach at the end with a penalty per m3 short (or hard);
- :func:`update_series`: every number derived from the horizon series and the time axis
  (demands, prices, crop needs, evaporation, capacities per step...), for new series of the
  same shape: another member, another year, a rolling window moved on.

The data functions also update the model's context (``model.context``: the basin's initial
storage, the series, the time axis) so that extraction, the head iteration and the
infeasibility diagnosis see the data solved; the state of the live LP (its layout, the data
it holds, the end rules, the heads) is the pair's :class:`~nexusmodel.solve.live.LiveModel`. The Pyomo expressions are *not* rewritten: after an update the backend
holds the current numbers, and a new ``solve(model)`` (which compiles the Pyomo model again)
would not see them: re-solve with :func:`resolve`. Year-indexed Pyomo components keep the
year labels of the build when :func:`update_series` moves a model to other dates; positions
are what count.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace

import numpy as np
import pyomo.environ as pyo

from nexusmodel.basin.basin import BasinSeries
from nexusmodel.model.balance import balance_rhs_hm3, exogenous_inflow_hm3
from nexusmodel.model.components import reservoir
from nexusmodel.model.context import BuildContext
from nexusmodel.model.options import ModelOptions
from nexusmodel.solve import SolveReport
from nexusmodel.solve.highs import INF, HighsBackend
from nexusmodel.solve.live import EndRule, live_model
from nexusmodel.solve.lpdata import (
    SeriesData,
    StructureError,
    series_data,
)
from nexusmodel.timeaxis import make_time_axis

__all__ = [
    "EndRule",
    "StructureError",
    "balance_rhs_hm3",
    "current_inflow_hm3",
    "current_data",
    "push_initial_storage",
    "reset_heads",
    "resolve",
    "set_end_storage_target",
    "set_end_storage_value",
    "update_initial_storage",
    "update_inflows",
    "update_series",
]


# --------------------------------------------------------------------------- the balance


def current_data(model: pyo.ConcreteModel, backend: HighsBackend) -> tuple[SeriesData, int]:
    """(series data, first step) the model's LP holds now (:meth:`LiveModel.current_data`)."""
    return live_model(model, backend).current_data()


def push_initial_storage(model: pyo.ConcreteModel, backend: HighsBackend) -> None:
    """The first step's balance row of each reservoir, from the context's initial storage."""
    live_model(model, backend).push_initial_storage()


def current_inflow_hm3(model: pyo.ConcreteModel) -> np.ndarray:
    """The exogenous inflow the model holds now (water nodes x steps, hm3)."""
    return exogenous_inflow_hm3(model.context)


def update_inflows(model: pyo.ConcreteModel, backend: HighsBackend, inflow_hm3: np.ndarray) -> None:
    """Give a built model new exogenous inflows (hm3 per step; water nodes x steps).

    ``inflow_hm3`` is ordered like ``model.context.water_nodes`` and the time axis; only
    source nodes may have inflow (elsewhere it must be 0). The water-balance rows take the
    new right-hand sides and the context's inflow series (m3/s) is replaced, so extracted
    results report and check the new inflow. With ten-day or daily steps the rate must be
    the same on every step of a month (the series are monthly).
    """
    ctx: BuildContext = model.context
    inflow = np.asarray(inflow_hm3, dtype=float)
    shape = (len(ctx.water_nodes), len(ctx.axis))
    if inflow.shape != shape:
        raise ValueError(f"inflow_hm3 has shape {inflow.shape}; the model needs {shape}")
    if not np.isfinite(inflow).all():
        raise ValueError("inflow_hm3 has NaN or infinite values")
    sources = [i for i, n in enumerate(ctx.water_nodes) if ctx.basin.nodes[n].type == "source"]
    others = np.setdiff1d(np.arange(shape[0]), sources)
    if others.size and np.abs(inflow[others]).max() > 0:
        bad = ctx.water_nodes[int(others[np.abs(inflow[others]).max(axis=1).argmax()])]
        raise ValueError(f"inflow_hm3 gives inflow to {bad}, which is not a source node")
    rate = inflow[sources] * 1e6 / ctx.axis.seconds  # m3/s per step
    pos = ctx.axis.month_pos
    columns = [ctx.water_nodes[i] for i in sources]
    frame = ctx.series.inflow_m3s.copy()
    monthly = frame[columns].to_numpy(dtype=float).T.copy()  # sources x months
    covered = np.unique(pos)
    weights = np.bincount(pos, weights=ctx.axis.days, minlength=monthly.shape[1])[covered]
    for k in range(len(sources)):
        sums = np.bincount(pos, weights=rate[k] * ctx.axis.days, minlength=monthly.shape[1])
        monthly[k, covered] = sums[covered] / weights
    if not np.allclose(monthly[:, pos], rate, rtol=1e-9, atol=1e-12):
        raise ValueError(
            "inflow_hm3 changes within a month: with ten-day or daily steps give the same "
            "rate (m3/s) on every step of a month"
        )
    frame[columns] = monthly.T
    live_model(model, backend).use_data(series=replace(ctx.series, inflow_m3s=frame))
    _push_balance(model, backend)


def _push_balance(model: pyo.ConcreteModel, backend: HighsBackend) -> None:
    """Water-balance rows from the context (exogenous inflow and components' constants)."""
    ctx: BuildContext = model.context
    live = live_model(model, backend)
    data, start = live.current_data()
    n_t = len(ctx.axis)
    if start != 0 or data.n_steps != n_t:
        data = data.window(start, start + n_t)
    rhs = balance_rhs_hm3(ctx)
    for r, term in zip(reservoir.reservoirs(ctx), reservoir.initial_storage_term(ctx), strict=True):
        rhs[ctx.water_nodes.index(r.id), 0] -= term
    data = replace(data, step={**data.step, "balance": rhs})
    live.set_current_data(data, 0)
    rows, node, t = live.layout.balance
    backend.set_row_bounds(rows, rhs[node, t], rhs[node, t])
    live.push_initial_storage()


# --------------------------------------------------------------------------- storage


def _end_state(model: pyo.ConcreteModel, backend: HighsBackend) -> dict[str, EndRule]:
    return live_model(model, backend).end_rules


def _as_reservoir_values(
    ctx: BuildContext, values: Mapping[str, float] | Sequence[float] | np.ndarray | float, what: str
) -> dict[str, float]:
    ids = [r.id for r in reservoir.reservoirs(ctx)]
    if isinstance(values, Mapping):
        unknown = sorted(set(values) - set(ids))
        if unknown:
            raise ValueError(f"{what}: {unknown} are not reservoirs of the model ({ids})")
        return {k: float(v) for k, v in values.items()}
    array = np.broadcast_to(np.asarray(values, dtype=float), (len(ids),))
    return dict(zip(ids, array.tolist(), strict=True))


def update_initial_storage(
    model: pyo.ConcreteModel,
    backend: HighsBackend,
    storage_hm3: Mapping[str, float] | Sequence[float] | np.ndarray,
    *,
    heads: bool = True,
) -> None:
    """Start the run from another storage (hm3; by reservoir id, or in reservoir order).

    Changes the first step's water-balance row of each reservoir (``+ S0 (1 - e a1 (1 - w))``),
    its end rule ``S[T] >= S0`` (unless a target was set with
    :func:`set_end_storage_target`), the basin in the context (so results and the head
    iteration start from the new storage) and, unless ``heads=False`` (a caller that sets
    them itself), its plant's energy rows (:func:`reset_heads`).
    """
    ctx: BuildContext = model.context
    new = _as_reservoir_values(ctx, storage_hm3, "storage_hm3")
    for r, s in new.items():
        if not np.isfinite(s) or s < 0:
            raise ValueError(f"storage_hm3[{r}] = {s}: must be finite and >= 0")
    by_id = {r.id: r for r in reservoir.reservoirs(ctx)}
    old = {r: by_id[r].initial_storage_hm3 for r in new}
    nodes = [
        n.model_copy(update={"initial_storage_hm3": new[n.id]})
        if n.id in new and new[n.id] != old[n.id]
        else n
        for n in ctx.basin.spec.nodes
    ]
    live = live_model(model, backend)
    live.use_data(basin=ctx.basin.with_spec(ctx.basin.spec.model_copy(update={"nodes": nodes})))
    live.push_initial_storage()
    _push_end_rows(model, backend)
    if heads:
        reset_heads(model, backend)


def _push_end_rows(model: pyo.ConcreteModel, backend: HighsBackend) -> None:
    ctx: BuildContext = model.context
    state = _end_state(model, backend)
    ends = list(model.reservoir.with_end)
    if not ends:
        return
    rows = backend.rows_of(model.reservoir.end_storage)
    cols = backend.columns_of(model.reservoir.end_deficit)
    last = len(ctx.axis) - 1
    ids = list(model.reservoir.ids)
    deficit_cols = cols[[ids.index(r) for r in ends]]
    by_id = {r.id: r for r in reservoir.reservoirs(ctx)}
    lower = np.empty(len(ends))
    upper = np.empty(len(ends))
    cost = np.zeros(len(ends))
    for i, r in enumerate(ends):
        rule = state[r]
        if not rule.active:
            lower[i], upper[i] = -INF, 0.0
            continue
        own = by_id[r].initial_storage_hm3
        lower[i] = own if rule.target_hm3 is None else rule.target_hm3
        upper[i] = 0.0 if rule.penalty_usd_per_m3 is None else INF
        if rule.penalty_usd_per_m3 is not None:
            cost[i] = -rule.penalty_usd_per_m3 * float(ctx.discount[last])
    backend.set_row_bounds(rows, lower, np.full(len(ends), INF))
    keep = deficit_cols >= 0
    backend.set_col_bounds(deficit_cols[keep], np.zeros(int(keep.sum())), upper[keep])
    backend.set_costs(deficit_cols[keep], cost[keep])


def reset_heads(
    model: pyo.ConcreteModel, backend: HighsBackend, options: ModelOptions | None = None
) -> None:
    """Put the reservoir plants' energy rows back where a build puts them, for the current
    initial storage: expanded around it with half the turbine capacity (head iteration), or
    at its head (``head="fixed"``). A re-solve from there follows the path of a fresh build."""
    live_model(model, backend).reset_heads(options)


def set_end_storage_value(
    model: pyo.ConcreteModel,
    backend: HighsBackend,
    value_usd_per_m3: Mapping[str, float] | Sequence[float] | np.ndarray | float,
) -> None:
    """Value the last step's storage at ``value_usd_per_m3`` (by reservoir, or one for all).

    The objective gains ``value * discount[T] * S[r, T]`` (MUSD; USD/m3 = MUSD/hm3) and the
    reservoir's end rule ``S[T] >= target`` is lifted: the value replaces it. A value of 0
    leaves the end storage free. Reservoirs not named keep their rule.
    """
    ctx: BuildContext = model.context
    values = _as_reservoir_values(ctx, value_usd_per_m3, "value_usd_per_m3")
    ids = list(model.reservoir.ids)
    last = len(ctx.axis) - 1
    cols = live_model(model, backend).layout.cols["storage"][:, last]
    pick = [ids.index(r) for r in values]
    set_cost_cols = cols[pick]
    costs = np.array([values[r] for r in values]) * float(ctx.discount[last])
    keep = set_cost_cols >= 0
    backend.set_costs(set_cost_cols[keep], costs[keep])
    state = _end_state(model, backend)
    for r in values:
        if r in state:
            state[r] = EndRule(active=False)
    _push_end_rows(model, backend)


def set_end_storage_target(
    model: pyo.ConcreteModel,
    backend: HighsBackend,
    target_hm3: Mapping[str, float] | Sequence[float] | np.ndarray | float,
    penalty_usd_per_m3: float | None = None,
) -> None:
    """Ask for ``S[r, T] >= target`` (hm3) at the end, hard (``penalty_usd_per_m3=None``) or
    with a penalty per m3 short (MUSD/hm3, discounted like the last step).

    Works on reservoirs built with an end rule (``end_storage: initial``); any terminal value
    they had is removed.
    """
    ctx: BuildContext = model.context
    targets = _as_reservoir_values(ctx, target_hm3, "target_hm3")
    state = _end_state(model, backend)
    missing = sorted(set(targets) - set(state))
    if missing:
        raise StructureError(
            f"{missing} have no end row: build the model with end_storage: initial for them"
        )
    if penalty_usd_per_m3 is not None and penalty_usd_per_m3 < 0:
        raise ValueError("penalty_usd_per_m3 must be >= 0")
    ids = list(model.reservoir.ids)
    last = len(ctx.axis) - 1
    cols = live_model(model, backend).layout.cols["storage"][:, last]
    zero = cols[[ids.index(r) for r in targets]]
    backend.set_costs(zero[zero >= 0], np.zeros(int((zero >= 0).sum())))
    for r, target in targets.items():
        state[r] = EndRule(float(target), penalty_usd_per_m3)
    _push_end_rows(model, backend)


# --------------------------------------------------------------------------- whole series


def update_series(
    model: pyo.ConcreteModel,
    backend: HighsBackend,
    series: BasinSeries,
    *,
    year_need: dict[int, dict[str, float]] | None = None,
) -> None:
    """Give a built model new horizon series of the same shape and push every number they
    and the time axis make: balance right-hand sides and evaporation coefficients, rule
    curves, link, turbine and generation capacities per step, energy demands and prices,
    municipal and demand volumes, crop needs, areas, prices and costs, environmental flows,
    scenario release rules, and every discounted cost (:mod:`nexusmodel.solve.lpdata`).

    The series may start on another date (a rolling window moved on) if the steps fall into
    calendar years the same way and need no row the model lacks; otherwise
    :class:`StructureError` (build a model for them). ``year_need`` (year -> crop -> hm3 per
    kha) is the whole year's crop need for the FAO-33 production function of a model that
    covers part of a year. Initial storage, end rules and heads are kept.
    """
    ctx: BuildContext = model.context
    live = live_model(model, backend)
    live.layout  # noqa: B018  records the build's years before the dates move
    axis = make_time_axis(series.months, ctx.axis.kind)
    old = (ctx.series, ctx.axis)
    live.use_data(series=series, axis=axis)
    try:
        data = series_data(ctx, year_need)
        live.push_series(data, ctx.discount)
    except StructureError:
        live.use_data(series=old[0], axis=old[1])
        raise
    _push_end_rows(model, backend)


# --------------------------------------------------------------------------- re-solving


def resolve(
    model: pyo.ConcreteModel,
    backend: HighsBackend,
    options: ModelOptions | None = None,
    *,
    fresh_heads: bool = True,
) -> SolveReport:
    """Re-solve a model after updates, warm from the last basis, with the head iteration.

    With ``fresh_heads`` the energy rows of reservoir plants start from the build's point
    (:func:`reset_heads`), so the answer does not depend on what was solved before (as a
    fresh build of the same data); else from the last solve's. Returns a
    :class:`~nexusmodel.solve.SolveReport` like :func:`nexusmodel.solve.solve` (raises
    :class:`~nexusmodel.errors.InfeasibleError` with the diagnosis if infeasible).
    """
    return live_model(model, backend).solve(options, fresh_heads=fresh_heads)
