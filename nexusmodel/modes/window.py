"""Solving a horizon window by window, on window models built once and updated in place.

A *window* solves steps ``start .. stop - 1`` and keeps the first ``keep`` of them; the
storage at the end of the kept steps starts the next window. Windows run on models of the
same components built on a slice of the horizon (``build_model`` on a Basin whose series
are cut to the window). A model is built once per *structure* and reused:

- the structure of a window is how its steps fall into calendar years (a 12-month window
  starting in March has 10 steps of one year and 2 of the next: its crop areas and annual
  targets are indexed over two years) and which rows the data need; it depends only on the
  calendar month of the start and on the length. So a 12-month rolling horizon uses 12
  models, one per starting month, each reused every year, and month-by-month simulation 1;
- everything else that changes from one window to the next is data, pushed into the live
  HiGHS LP before the warm re-solve (:mod:`nexusmodel.solve.lpdata` and
  :mod:`nexusmodel.solve.update`): inflows, demands, prices, evaporation coefficients and
  crop needs of the window's calendar months, days per step, initial storage, end-of-window
  storage value or target, crop-area bounds, the remainder of annual targets, heads.

Reusing the model of the same calendar window a year earlier also gives HiGHS its best warm
start: the problem differs little from the one its basis solved.

Yearly quantities in windows that cut calendar years:

- *crop areas*: the area of year y is decided by the window that keeps the first step of
  y's irrigation season (the first month any crop needs water), and fixed afterwards; a
  window before that plans with a free, tentative area. If the deciding window does not
  reach the season's last month (month-by-month simulation), it cannot weigh the season's
  water against the area, and the area available is planted (as WEAP and Pywr take demand
  areas as given); the FAO-33 floor ``P >= 0`` of that year is then not imposed (a crop
  short of water yields nothing, production is clipped at 0 in the results). Production
  uses the whole calendar year's crop need, and the water already given in the kept steps
  of the year counts in the floor;
- *annual targets and caps* (environmental inflow targets, annual spill caps): what the kept
  steps of the year already delivered is deducted, and the remainder is spread over the
  year's remaining days: a window asks for the share of its own days;
- *scenario seasonal release shares* are imposed only in windows covering whole calendar
  years (a 12-month window starting in January); the stitched results report the breaches.

The kept steps of every window are stitched into one full-horizon solution of a model of
the whole horizon (:class:`Stitcher`), so ``extract_results`` gives the same Dataset as
the optimize mode and checks the water balance over the stitched run.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field, fields, replace
from typing import NamedTuple

import numpy as np
import pyomo.environ as pyo

from nexusmodel.basin.basin import Basin, BasinSeries
from nexusmodel.model import build_model
from nexusmodel.model.components.hydropower import head_from_storage, plants
from nexusmodel.model.context import GWH_PER_HM3_M, BuildContext
from nexusmodel.model.options import ModelOptions
from nexusmodel.solve.highs import HighsBackend
from nexusmodel.solve.lpdata import (
    SeriesData,
    StructureError,
    layout,
    push_series_data,
    series_data,
)
from nexusmodel.timeaxis import TimeAxis

YEARLY_FRAMES = ("area_max_ha", "crop_price_usd_per_t", "crop_cost_usd_per_ha")


class ArrayTable(NamedTuple):
    """A level-area-storage table as numpy arrays (the same numbers as the DataFrame):
    the head iteration of a window interpolates in it thousands of times."""

    level_m: np.ndarray
    area_km2: np.ndarray
    storage_hm3: np.ndarray


def with_array_tables(basin: Basin) -> Basin:
    """The basin with its level-area-storage tables read into numpy arrays."""
    tables = {
        node: ArrayTable(
            table["level_m"].to_numpy(dtype=float),
            table["area_km2"].to_numpy(dtype=float),
            table["storage_hm3"].to_numpy(dtype=float),
        )
        for node, table in basin.tables.level_area_storage.items()
    }
    return replace(basin, tables=replace(basin.tables, level_area_storage=tables))


@dataclass(frozen=True)
class Window:
    """Steps ``start .. stop - 1`` solved, the first ``keep`` of them kept."""

    start: int
    stop: int
    keep: int

    @property
    def length(self) -> int:
        return self.stop - self.start


def plan_windows(n_steps: int, window: int, keep: int) -> list[Window]:
    """Windows of ``window`` steps moving on by ``keep``; the last one, which reaches the
    end of the horizon, keeps all its steps (it may be shorter)."""
    if window < 1 or keep < 1 or keep > window:
        raise ValueError(f"need 1 <= keep ({keep}) <= window ({window})")
    out: list[Window] = []
    start = 0
    while start < n_steps:
        stop = min(start + window, n_steps)
        if stop == n_steps:
            out.append(Window(start, stop, stop - start))
            break
        out.append(Window(start, stop, keep))
        start += keep
    return out


def slice_series(series: BasinSeries, start: int, stop: int) -> BasinSeries:
    """The series of months ``start .. stop - 1`` (yearly tables: the years they touch)."""
    months = series.months[start:stop]
    years = sorted(set(months.year))
    parts = {}
    for f in fields(BasinSeries):
        frame = getattr(series, f.name)
        parts[f.name] = frame.loc[years] if f.name in YEARLY_FRAMES else frame.iloc[start:stop]
    return BasinSeries(**parts)


class BatchedBackend:
    """A :class:`HighsBackend` whose bound and cost changes wait until the next solve.

    A window changes a few hundred bounds and costs through a dozen small calls; buffered,
    they reach HiGHS in one call per kind (the last change of an entry wins). Anything
    that reads the LP, solves or changes coefficients flushes first; everything else is
    the wrapped backend's.
    """

    def __init__(self, backend: HighsBackend) -> None:
        self.wrapped = backend
        self._pending: dict[str, list[tuple[np.ndarray, ...]]] = {"row": [], "col": [], "cost": []}

    def __getattr__(self, name: str) -> object:
        return getattr(self.wrapped, name)

    def set_row_bounds(self, rows: np.ndarray, lower: np.ndarray, upper: np.ndarray) -> None:
        self._pending["row"].append(
            (np.asarray(rows), np.asarray(lower, float), np.asarray(upper, float))
        )

    def set_col_bounds(self, cols: np.ndarray, lower: np.ndarray, upper: np.ndarray) -> None:
        self._pending["col"].append(
            (np.asarray(cols), np.asarray(lower, float), np.asarray(upper, float))
        )

    def set_costs(self, cols: np.ndarray, costs: np.ndarray) -> None:
        self._pending["cost"].append((np.asarray(cols), np.asarray(costs, float)))

    def flush(self) -> None:
        for kind, apply in (
            ("row", self.wrapped.set_row_bounds),
            ("col", self.wrapped.set_col_bounds),
            ("cost", self.wrapped.set_costs),
        ):
            parts = self._pending[kind]
            if not parts:
                continue
            self._pending[kind] = []
            joined = [np.concatenate([np.ravel(p[i]) for p in parts]) for i in range(len(parts[0]))]
            ids = joined[0]
            # keep the last change of every entry
            _, first_from_end = np.unique(ids[::-1], return_index=True)
            pick = ids.size - 1 - first_from_end
            apply(*(a[pick] for a in joined))  # type: ignore[operator]

    def set_coefficients(self, rows: np.ndarray, cols: np.ndarray, values: np.ndarray) -> None:
        self.wrapped.set_coefficients(rows, cols, values)

    def run(self, *args: object, **kwargs: object) -> tuple[str, float]:
        self.flush()
        return self.wrapped.run(*args, **kwargs)  # type: ignore[arg-type]

    def solution(self) -> object:
        self.flush()
        return self.wrapped.solution()

    def costs(self) -> np.ndarray:
        self.flush()
        return self.wrapped.costs()

    def col_bounds(self) -> tuple[np.ndarray, np.ndarray]:
        self.flush()
        return self.wrapped.col_bounds()

    def row_bounds(self) -> tuple[np.ndarray, np.ndarray]:
        self.flush()
        return self.wrapped.row_bounds()


@dataclass
class WindowModel:
    """One built window model and its live LP."""

    model: pyo.ConcreteModel
    backend: BatchedBackend
    length: int
    uses: int = 0


@dataclass
class WindowStats:
    """Time spent per window (s): total, inside HiGHS; and the models built."""

    seconds: list[float] = field(default_factory=list)
    highs_seconds: list[float] = field(default_factory=list)
    iterations: int = 0
    slp_iterations: int = 0
    models_built: int = 0
    build_seconds: float = 0.0  # building and compiling window models
    translate_seconds: float = 0.0  # of which compiling them for HiGHS
    relaxed_windows: int = 0


class WindowModels:
    """The window models of one basin and options, built on demand, one per structure.

    ``extra_constraints`` is passed to :func:`~nexusmodel.model.build_model` (simulation
    adds its rule-curve block with it). Every reservoir of a window model is built with an
    end row (``end_storage: initial``), so that any end rule can be set in place.
    """

    def __init__(
        self,
        basin: Basin,
        options: ModelOptions,
        extra_constraints: Callable[[pyo.ConcreteModel, BuildContext], None] | None = None,
    ) -> None:
        if basin.series is None:
            raise ValueError("the basin has no horizon series: apply a scenario first")
        self.basin = basin
        self.options = options
        self.extra = extra_constraints
        self.full_ctx = BuildContext.from_basin(basin, options)
        self.data: SeriesData = series_data(self.full_ctx)
        axis = self.full_ctx.axis
        self.axis = axis
        self.years_since_start = np.asarray(axis.years_since_start, dtype=float)
        self.models: dict[tuple[int, tuple[int, ...]], list[WindowModel]] = {}
        self.stats = WindowStats()
        nodes = [
            n.model_copy(update={"end_storage": "initial", "terminal_value_usd_per_m3": 0.0})
            if n.type == "reservoir"
            else n
            for n in basin.spec.nodes
        ]
        self._window_spec = basin.spec.model_copy(update={"nodes": nodes})
        self._fast_basin = with_array_tables(basin)

    def window_axis(self, start: int, stop: int) -> TimeAxis:
        """The horizon's time axis cut to the window; its steps point into the full series."""
        a = self.axis
        return TimeAxis(
            a.start[start:stop],
            a.days[start:stop],
            a.month_pos[start:stop],
            a.month_share[start:stop],
            a.kind,
        )

    def discount(self, start: int, stop: int) -> np.ndarray:
        """Discount factors of the window's steps, from the window's start."""
        ys = self.years_since_start[start:stop]
        return (1.0 + self.options.discount_rate) ** -(ys - ys[0])

    def model_for(self, win: Window) -> WindowModel:
        """A window model with the window's series data pushed in (built if none fits)."""
        years = self.data.step_year[win.start : win.stop]
        key = (win.length, tuple(np.bincount(years - years[0]).tolist()))
        disc = self.discount(win.start, win.stop)
        for wm in self.models.get(key, []):
            ctx: BuildContext = wm.model.context
            old_axis = ctx.axis
            ctx.axis = self.window_axis(win.start, win.stop)
            try:
                push_series_data(wm.model, wm.backend, self.data, disc, win.start)
            except StructureError:
                ctx.axis = old_axis
                continue
            wm.uses += 1
            return wm
        wm = self._build(win)
        ctx = wm.model.context
        ctx.axis = self.window_axis(win.start, win.stop)
        push_series_data(wm.model, wm.backend, self.data, disc, win.start)
        self.models.setdefault(key, []).append(wm)
        wm.uses += 1
        return wm

    def _build(self, win: Window) -> WindowModel:
        start = time.perf_counter()
        series = slice_series(self.basin.series, win.start, win.stop)  # type: ignore[arg-type]
        window_basin = self._fast_basin.with_spec(self._window_spec).with_series(series)
        model = build_model(window_basin, self.options, self.extra)
        backend = BatchedBackend(HighsBackend.from_model(model))
        layout(model, backend)  # type: ignore[arg-type]  # records the build's calendar years
        # from here on the context reads the horizon's series through the window's axis
        model.context.series = self.basin.series
        self.stats.models_built += 1
        self.stats.build_seconds += time.perf_counter() - start
        self.stats.translate_seconds += backend.wrapped.compile_seconds
        return WindowModel(model, backend, win.length)


# --------------------------------------------------------------------------- stitching


class StitchedSolution:
    """Full-horizon values of a run stitched from windows, read like a HiGHS Solution: one
    flat vector per kind (values and reduced costs of variables, duals of constraints) and
    the slice of each full-model component in it."""

    def __init__(self, full: pyo.ConcreteModel) -> None:
        self.var_slices: dict[str, slice] = {}
        self.con_slices: dict[str, slice] = {}
        for ctype, slices in ((pyo.Var, self.var_slices), (pyo.Constraint, self.con_slices)):
            start = 0
            for comp in full.component_objects(ctype, active=True, descend_into=True):
                slices[comp.name] = slice(start, start + len(comp))
                start += len(comp)
        n_var = max((sl.stop for sl in self.var_slices.values()), default=0)
        n_con = max((sl.stop for sl in self.con_slices.values()), default=0)
        self.x = np.zeros(n_var)
        self.reduced = np.zeros(n_var)
        self.duals = np.zeros(n_con)

    def _get(
        self,
        vector: np.ndarray,
        slices: dict[str, slice],
        component: pyo.Component,
        shape: tuple[int, ...],
    ) -> np.ndarray:
        sl = slices.get(component.name)  # type: ignore[attr-defined]
        return np.zeros(shape) if sl is None else vector[sl].reshape(shape)

    def values(self, name: str) -> np.ndarray | None:
        """The stitched values of a full-model variable (a view), in index order."""
        sl = self.var_slices.get(name)
        return None if sl is None else self.x[sl]

    def array(self, component: pyo.Component, shape: tuple[int, ...]) -> np.ndarray:
        return self._get(self.x, self.var_slices, component, shape)

    def reduced_costs(self, component: pyo.Component, shape: tuple[int, ...]) -> np.ndarray:
        return self._get(self.reduced, self.var_slices, component, shape)

    def row_duals(self, component: pyo.Component, shape: tuple[int, ...]) -> np.ndarray:
        return self._get(self.duals, self.con_slices, component, shape)


def _key_tuple(key: object) -> tuple:
    return key if isinstance(key, tuple) else (key,)


STEP, YEAR, STATIC = 0, 1, 2


@dataclass
class _Gather:
    """Where the LP entries of one window model go in the stitched vectors."""

    ids: np.ndarray  # window columns or rows
    kind: np.ndarray  # STEP, YEAR or STATIC per entry
    when: np.ndarray  # step or year position in the window (STATIC: 0)
    pos0: np.ndarray  # position in the stitched vector for a window at step 0, year 0
    lookup: list[tuple[np.ndarray, str, list[tuple], np.ndarray, int]]  # sparse components


class Stitcher:
    """Copies each window's kept steps into full-horizon vectors of a full model.

    Step-indexed components take the kept steps; year-indexed ones the values of the last
    window that covered the year (crop areas: fixed once decided); others the last window's.
    Duals and reduced costs are rescaled from the window's discounting to the horizon's.
    """

    def __init__(self, full_model: pyo.ConcreteModel) -> None:
        self.full = full_model
        ctx: BuildContext = full_model.context
        self.n_steps = len(ctx.axis)
        self.years = [int(y) for y in ctx.years]
        self.step_year = np.searchsorted(np.asarray(self.years), ctx.axis.years)
        self.solution = StitchedSolution(full_model)
        self._gathers: dict[int, tuple[_Gather, _Gather]] = {}
        self._product: dict[tuple[str, int], tuple[dict[tuple, int], int] | None] = {}
        self._full_index: dict[str, dict[tuple, int]] = {}
        self.heads: dict[str, np.ndarray] = {}

    def _product_layout(self, name: str, kind: int) -> tuple[dict[tuple, int], int] | None:
        """(prefix -> position, length of the time index) if the full component is a product
        of prefixes and the steps (or years) in index order, else None."""
        if (name, kind) not in self._product:
            comp = self.full.find_component(name)
            labels = list(range(self.n_steps)) if kind == STEP else self.years
            n_time = len(labels)
            keys = [_key_tuple(k) for k in comp]
            out = None
            if keys and len(keys) % n_time == 0:
                prefixes = [k[:-1] for k in keys[::n_time]]
                if [(*p, w) for p in prefixes for w in labels] == keys:
                    out = ({p: i for i, p in enumerate(prefixes)}, n_time)
            self._product[(name, kind)] = out
        return self._product[(name, kind)]

    def _full_keys(self, name: str) -> dict[tuple, int]:
        if name not in self._full_index:
            comp = self.full.find_component(name)
            self._full_index[name] = {_key_tuple(k): i for i, k in enumerate(comp)}
        return self._full_index[name]

    def _gather(self, wm: WindowModel, ctype: type, slices: dict[str, slice]) -> _Gather:
        lay = layout(wm.model, wm.backend)
        ids_of = wm.backend.columns_of if ctype is pyo.Var else wm.backend.rows_of
        parts: list[tuple[np.ndarray, ...]] = []
        lookup = []
        for comp in wm.model.component_objects(ctype, active=True, descend_into=True):
            name = comp.name
            if name not in slices or not len(comp):
                continue
            keys = [_key_tuple(k) for k in comp]
            last = [k[-1] for k in keys]
            timed = all(len(k) > 1 for k in keys)
            if timed and all(isinstance(v, int) and 0 <= v < wm.length for v in last):
                kind, when = STEP, np.array(last, dtype=np.int64)
            elif timed and all(isinstance(v, int) and v in lay.build_years for v in last):
                kind = YEAR
                when = np.array([lay.build_years.index(v) for v in last], dtype=np.int64)
            else:
                kind, when = STATIC, np.zeros(len(keys), dtype=np.int64)
            ids = ids_of(comp)
            offset = slices[name].start
            product = self._product_layout(name, kind) if kind != STATIC else None
            if product is not None:
                pos, n_time = product
                base = np.array([pos.get(k[:-1], -1) for k in keys], dtype=np.int64)
                pos0 = np.where(base >= 0, offset + base * n_time, -1)
            elif kind == STATIC:
                index = self._full_keys(name)
                pos0 = np.array(
                    [offset + index[k] if k in index else -1 for k in keys], dtype=np.int64
                )
            else:
                lookup.append((ids, name, [k[:-1] for k in keys], when, kind))
                continue
            parts.append((ids, np.full(len(keys), kind), when, pos0))
        if parts:
            joined = [np.concatenate([p[i] for p in parts]) for i in range(4)]
        else:
            joined = [np.zeros(0, np.int64)] * 4
        return _Gather(joined[0], joined[1], joined[2], joined[3], lookup)  # type: ignore[arg-type]

    def record(self, wm: WindowModel, win: Window, sol: object, scale: float) -> None:
        """Copy the kept steps of a solved window (``scale``: window-to-horizon discount)."""
        key = id(wm.model)
        if key not in self._gathers:
            self._gathers[key] = (
                self._gather(wm, pyo.Var, self.solution.var_slices),
                self._gather(wm, pyo.Constraint, self.solution.con_slices),
            )
        first_year = int(self.step_year[win.start])
        out = self.solution
        for g, targets, sources in (
            (self._gathers[key][0], (out.x, out.reduced), (sol.x, sol.col_dual)),  # type: ignore[attr-defined]
            (self._gathers[key][1], (out.duals,), (sol.row_dual,)),  # type: ignore[attr-defined]
        ):
            shift = np.where(g.kind == STEP, win.start, np.where(g.kind == YEAR, first_year, 0))
            keep = ((g.kind != STEP) | (g.when < win.keep)) & (g.pos0 >= 0)
            pos = (g.pos0 + g.when * (g.kind != STATIC) + shift)[keep]
            ids = g.ids[keep]
            present = ids >= 0
            for i, (target, source) in enumerate(zip(targets, sources, strict=True)):
                values = np.where(present, source[np.maximum(ids, 0)], 0.0)
                target[pos] = values * (scale if (i > 0 or g is self._gathers[key][1]) else 1.0)
            for ids, name, prefixes, when, kind in g.lookup:
                index = self._full_keys(name)
                offset = (
                    self.solution.var_slices
                    if g is self._gathers[key][0]
                    else self.solution.con_slices
                )[name].start
                for i, (p, w) in enumerate(zip(prefixes, when.tolist(), strict=True)):
                    if kind == STEP and w >= win.keep:
                        continue
                    label = win.start + w if kind == STEP else self.years[first_year + w]
                    j = index.get((*p, label))
                    if j is None or ids[i] < 0:
                        continue
                    for k, (target, source) in enumerate(zip(targets, sources, strict=True)):
                        factor = scale if (k > 0 or g is self._gathers[key][1]) else 1.0
                        target[offset + j] = source[ids[i]] * factor

    def record_heads(self, plant: str, start: int, heads: np.ndarray) -> None:
        arr = self.heads.setdefault(plant, np.full(self.n_steps, np.nan))
        arr[start : start + len(heads)] = heads


# --------------------------------------------------------------------------- after stitching


def _linear_terms(expr: object) -> list[tuple[float, object]]:
    """(coefficient, VarData) pairs of a linear Pyomo expression (constants dropped)."""
    from pyomo.core.expr.numeric_expr import (
        LinearExpression,
        MonomialTermExpression,
        SumExpression,
    )

    out: list[tuple[float, object]] = []
    stack = [(1.0, expr)]
    while stack:
        factor, e = stack.pop()
        if isinstance(e, MonomialTermExpression):
            coef, var = e.args
            out.append((factor * float(pyo.value(coef)), var))
        elif isinstance(e, LinearExpression | SumExpression):
            stack.extend((factor, a) for a in e.args)
        elif getattr(e, "is_variable_type", lambda: False)():
            out.append((factor, e))
    return out


class _Values:
    """Stitched value of any full-model VarData (0 where none), and setting one."""

    def __init__(self, full: pyo.ConcreteModel, solution: StitchedSolution) -> None:
        self.solution = solution
        self._where: dict[int, int] = {}
        self._done: set[str] = set()

    def _position(self, var: object) -> int:
        comp = var.parent_component()  # type: ignore[attr-defined]
        if comp.name not in self._done:
            start = self.solution.var_slices[comp.name].start
            for i, v in enumerate(comp.values()):
                self._where[id(v)] = start + i
            self._done.add(comp.name)
        return self._where[id(var)]

    def __call__(self, var: object) -> float:
        return float(self.solution.x[self._position(var)])

    def set(self, var: object, value: float) -> None:
        self.solution.x[self._position(var)] = value


def settle_slacks(full: pyo.ConcreteModel, solution: StitchedSolution) -> None:
    """Recompute every yearly and end-of-horizon rule slack from the stitched steps.

    A window sees only part of a year, so its annual slacks (environmental annual target,
    annual spill cap, seasonal release share, end storage) are not the horizon's: each is
    set to the smallest value that satisfies its row, given the stitched step values.
    """
    ctx: BuildContext = full.context
    slack_names = {r.slack.name for r in ctx.rules if r.period in ("year", "end")}  # type: ignore[attr-defined]
    if not slack_names:
        return
    values = _Values(full, solution)
    n_steps = len(ctx.axis)
    for con in full.component_objects(pyo.Constraint, active=True, descend_into=True):
        first = next(iter(con.keys()), None) if len(con) else None
        if isinstance(first, tuple) and isinstance(first[-1], int) and first[-1] < n_steps:
            continue  # step-indexed rows hold no yearly slack
        for data in con.values():
            terms = _linear_terms(data.body)
            slack = [(a, v) for a, v in terms if v.parent_component().name in slack_names]
            if len(slack) != 1:
                continue
            a, var = slack[0]
            rest = sum(c * values(v) for c, v in terms if v is not var)
            need = 0.0
            if data.has_lb():
                need = max(need, (float(pyo.value(data.lower)) - rest) / a) if a > 0 else need
            if data.has_ub():
                need = max(need, (rest - float(pyo.value(data.upper))) / -a) if a < 0 else need
            values.set(var, max(need, 0.0))


def objective_value(full: pyo.ConcreteModel, solution: StitchedSolution) -> float:
    """The full model's objective (MUSD) at the stitched values."""
    values = _Values(full, solution)
    expr = full.objective.expr
    total = sum(c * values(v) for c, v in _linear_terms(expr))
    return float(total + _constant(expr))


def _constant(expr: object) -> float:
    from pyomo.core.expr.numeric_expr import LinearExpression, SumExpression

    if isinstance(expr, LinearExpression | SumExpression):
        return float(
            sum(
                pyo.value(a)
                for a in expr.args
                if not hasattr(a, "args") and not getattr(a, "is_variable_type", lambda: False)()
            )
        )
    return 0.0


def energy_error(full: pyo.ConcreteModel, solution: StitchedSolution) -> float:
    """|LP energy - exact energy| / exact energy of the reservoir plants over the run."""
    ctx: BuildContext = full.context
    res_ids = list(full.reservoir.ids)
    n_t = len(ctx.axis)
    ps = plants(ctx)
    if not any(p.reservoir for p in ps):
        return 0.0
    storage = solution.array(full.reservoir.storage, (len(res_ids), n_t))
    turbine = solution.array(full.hydropower.turbine, (len(ps), n_t))
    energy = solution.array(full.hydropower.energy, (len(ps), n_t))
    lp = exact = 0.0
    for i, p in enumerate(ps):
        if not p.reservoir:
            continue
        r = res_ids.index(p.node)
        start = np.concatenate([[ctx.basin.nodes[p.node].initial_storage_hm3], storage[r, :-1]])  # type: ignore[union-attr]
        head = head_from_storage(ctx, p, start, storage[r])
        lp += energy[i].sum()
        exact += (GWH_PER_HM3_M * p.efficiency * head * turbine[i]).sum()
    return abs(lp - exact) / max(exact, 1e-9)


__all__ = [
    "StitchedSolution",
    "Stitcher",
    "Window",
    "WindowModel",
    "WindowModels",
    "WindowStats",
    "energy_error",
    "objective_value",
    "plan_windows",
    "settle_slacks",
    "slice_series",
]
