"""Stitching windows into one run: the kept steps of every window copied into full-horizon
vectors of a model of the whole horizon, yearly slacks settled, the objective evaluated.

``extract_results`` then reads the stitched vectors (:class:`StitchedSolution`) as it reads
a HiGHS solution, so every mode gives the same results Dataset.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyomo.environ as pyo
from pyomo.core.base.var import VarData

from nexusmodel.model import heads
from nexusmodel.model.context import BuildContext
from nexusmodel.modes.window import Window, WindowModel
from nexusmodel.solve.live import layout

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


def _linear_terms(expr: object) -> list[tuple[float, VarData]]:
    """(coefficient, VarData) pairs of a linear Pyomo expression (constants dropped)."""
    from pyomo.core.expr.numeric_expr import (
        LinearExpression,
        MonomialTermExpression,
        SumExpression,
    )

    out: list[tuple[float, VarData]] = []
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
    every_step = set(range(n_steps))
    for con in full.component_objects(pyo.Constraint, active=True, descend_into=True):
        lasts = {k[-1] for k in con if isinstance(k, tuple)}
        if lasts and lasts <= every_step and len(lasts) > 1:
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
    n_t = len(ctx.axis)
    n_plants = len(full.hydropower.ids)
    return heads.energy_error(
        ctx,
        solution.array(full.reservoir.storage, (len(full.reservoir.ids), n_t)),
        solution.array(full.hydropower.turbine, (n_plants, n_t)),
        solution.array(full.hydropower.energy, (n_plants, n_t)),
    )
