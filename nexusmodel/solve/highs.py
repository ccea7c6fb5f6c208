"""HiGHS, fed the whole LP in one call and kept alive for warm re-solves.

Pyomo's ``LinearStandardFormCompiler`` turns the model into a sparse matrix (much faster
than handing HiGHS one row at a time); highspy takes it in a single ``passModel``. The
column and row of every Pyomo variable and constraint are remembered, so later changes
(new inflows for an ensemble member, a new head in the SLP loop, a rolling window's
initial storage) change only those bounds or coefficients, and HiGHS re-solves from its
last basis.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

import highspy
import numpy as np
import pyomo.environ as pyo
from pyomo.common.gc_manager import PauseGC
from pyomo.repn.plugins.standard_form import LinearStandardFormCompiler

INF = highspy.kHighsInf
#: Above this many columns a cold solve uses the interior point method (measured on the
#: synthetic benchmark basins: the simplex is 1-4x slower from ~80,000 columns up).
IPM_COLUMNS = 80_000


@dataclass
class Solution:
    """Primal values and duals of one solve, readable per Pyomo component as arrays."""

    x: np.ndarray
    row_dual: np.ndarray
    col_dual: np.ndarray
    backend: HighsBackend

    def array(self, component: pyo.Component, shape: tuple[int, ...]) -> np.ndarray:
        """Values of an indexed variable, in its index order, reshaped."""
        cols = self.backend.columns_of(component)
        values = np.where(cols >= 0, self.x[np.maximum(cols, 0)], 0.0)
        return values.reshape(shape)

    def reduced_costs(self, component: pyo.Component, shape: tuple[int, ...]) -> np.ndarray:
        """Reduced costs of an indexed variable (objective units per unit of the variable)."""
        cols = self.backend.columns_of(component)
        return np.where(cols >= 0, self.col_dual[np.maximum(cols, 0)], 0.0).reshape(shape)

    def row_duals(self, component: pyo.Component, shape: tuple[int, ...]) -> np.ndarray:
        """Duals of an indexed constraint: the gain in objective per unit more right-hand side."""
        rows = self.backend.rows_of(component)
        return np.where(rows >= 0, self.row_dual[np.maximum(rows, 0)], 0.0).reshape(shape)


def pass_hessian(
    highs: highspy.Highs, column: dict[int, int], diagonal: list[tuple[Any, float]], n_cols: int
) -> None:
    """Give HiGHS the objective's quadratic part ``sum q x^2 / 2`` (a diagonal Hessian, q <= 0
    when maximizing: a concave objective, a convex QP that HiGHS solves exactly with duals).
    Nothing to do when there is none (the model stays an LP)."""
    q = np.zeros(n_cols)
    for var, value in diagonal:
        i = column.get(id(var))
        if i is not None:  # a variable the compiler dropped (fixed) has no column
            q[i] += value
    cols = np.flatnonzero(q)
    if not cols.size:
        return
    hessian = highspy.HighsHessian()
    hessian.dim_ = n_cols
    hessian.format_ = highspy.HessianFormat.kTriangular
    hessian.start_ = np.searchsorted(cols, np.arange(n_cols + 1)).astype(np.int32)
    hessian.index_ = cols.astype(np.int32)
    hessian.value_ = q[cols]
    highs.passHessian(hessian)


@dataclass
class HighsBackend:
    """One compiled LP inside a live ``highspy.Highs`` object."""

    model: pyo.ConcreteModel
    highs: highspy.Highs
    column: dict[int, int]  # id(VarData) -> column
    row: dict[int, int]  # id(ConstraintData) -> row
    row_sign: np.ndarray  # +1, or -1 where the compiler negated a row
    compile_seconds: float
    _cols_cache: dict[int, np.ndarray] = field(default_factory=dict)
    _rows_cache: dict[int, np.ndarray] = field(default_factory=dict)
    _objective: float = 0.0  # of the last run (HiGHS forgets it when the LP is changed)
    _iterations: int = 0
    last_seconds: float = 0.0  # wall time of the last run
    last_algorithm: str = ""  # "simplex" or "ipm": what the last run used
    last_warm: bool = False  # whether the last run started from a basis
    cold_iterations: int = 0  # iterations of the last run that started without a basis
    live: Any = field(default=None, repr=False)  # its nexusmodel.solve.live.LiveModel

    @classmethod
    def from_model(cls, model: pyo.ConcreteModel, threads: int = 1) -> HighsBackend:
        """Compile the model and pass it to a new ``highspy.Highs`` (one thread by default)."""
        start = time.perf_counter()
        # the cyclic garbage collector would walk the whole Pyomo model (and what the build
        # left young) while we allocate the maps: pause it, as Pyomo's compiler does itself
        with PauseGC():
            return cls._compile(model, threads, start)

    @classmethod
    def _compile(cls, model: pyo.ConcreteModel, threads: int, start: float) -> HighsBackend:
        repn = LinearStandardFormCompiler().write(model, mixed_form=True, set_sense=None)
        a = repn.A.tocsc()
        n_rows, n_cols = a.shape
        bounds = [v.bounds for v in repn.columns]  # one bound evaluation per column, not four
        lower = np.array([-INF if lb is None else lb for lb, _ in bounds], dtype=float)
        upper = np.array([INF if ub is None else ub for _, ub in bounds], dtype=float)
        rhs = np.asarray(repn.rhs, dtype=float)
        kind = np.array([r.bound_type for r in repn.rows], dtype=int)
        row_lower = np.where(kind <= 0, rhs, -INF)  # bound_type -1: >=, 0: ==, +1: <=
        row_upper = np.where(kind >= 0, rhs, INF)
        cost = np.asarray(repn.c.todense(), dtype=float).ravel() if n_cols else np.zeros(0)
        lp = highspy.HighsLp()
        lp.num_col_ = n_cols
        lp.num_row_ = n_rows
        lp.col_cost_ = cost
        lp.col_lower_ = lower
        lp.col_upper_ = upper
        lp.row_lower_ = row_lower
        lp.row_upper_ = row_upper
        lp.offset_ = float(repn.c_offset[0]) if len(repn.c_offset) else 0.0
        lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
        lp.a_matrix_.start_ = a.indptr
        lp.a_matrix_.index_ = a.indices
        lp.a_matrix_.value_ = a.data
        lp.sense_ = highspy.ObjSense.kMaximize
        highs = highspy.Highs()
        highs.setOptionValue("output_flag", False)
        highs.setOptionValue("threads", threads)
        highs.passModel(lp)
        column = {id(v): i for i, v in enumerate(repn.columns)}
        pass_hessian(highs, column, getattr(model, "objective_hessian", None) or [], n_cols)
        row: dict[int, int] = {}
        sign = np.ones(n_rows)
        for i, entry in enumerate(repn.rows):
            row.setdefault(id(entry.constraint), i)
        return cls(model, highs, column, row, sign, time.perf_counter() - start)

    # --- index maps -------------------------------------------------------------------------
    def columns_of(self, component: pyo.Component) -> np.ndarray:
        key = id(component)
        if key not in self._cols_cache:
            self._cols_cache[key] = np.array(
                [self.column.get(id(v), -1) for v in component.values()], dtype=np.int64
            )
        return self._cols_cache[key]

    def rows_of(self, component: pyo.Component) -> np.ndarray:
        key = id(component)
        if key not in self._rows_cache:
            self._rows_cache[key] = np.array(
                [self.row.get(id(c), -1) for c in component.values()], dtype=np.int64
            )
        return self._rows_cache[key]

    # --- solving ----------------------------------------------------------------------------
    def run(
        self,
        algorithm: str = "auto",
        time_limit_s: float | None = None,
        *,
        warm: bool = True,
        devex: bool = False,
    ) -> tuple[str, float]:
        """Solve (warm from the last basis when there is one); return (status, seconds).

        ``auto`` is the dual simplex from a basis, and for a cold start the simplex on LPs
        up to ``IPM_COLUMNS`` columns and the interior point method (with crossover, so that
        a basis is left for warm re-solves) above: long horizons make the simplex slow.
        ``warm=False`` forgets the basis first (a cold solve, with presolve). ``devex``: a
        warm dual simplex prices with Devex weights instead of exact steepest-edge ones;
        after the matrix coefficients change (the head iteration) HiGHS would otherwise
        recompute the steepest-edge weights of the whole basis (one solve per row: about half
        a cold solve on 30 x 480), and its dual phase 1 can fail from such a basis.
        """
        h = self.highs
        if not warm:
            h.clearSolver()
        has_basis = h.getBasis().valid
        if algorithm == "auto":
            algorithm = "ipm" if h.getNumCol() > IPM_COLUMNS and not has_basis else "simplex"
        if time_limit_s is not None:
            h.setOptionValue("time_limit", float(time_limit_s))
        h.setOptionValue("simplex_dual_edge_weight_strategy", 1 if devex and has_basis else -1)
        status, seconds = self._run_once(algorithm, has_basis)
        failed = h.getModelStatus() in (
            highspy.HighsModelStatus.kSolveError,
            highspy.HighsModelStatus.kNotset,
        )
        if failed and algorithm == "ipm":
            # IPX can fail where the simplex does not (e.g. a singular crossover basis)
            h.clearSolver()
            status, more = self._run_once("simplex", False)
            seconds += more
            self.last_seconds = seconds
        return status, seconds

    def _run_once(self, algorithm: str, has_basis: bool) -> tuple[str, float]:
        h = self.highs
        h.setOptionValue("solver", "ipm" if algorithm == "ipm" else "simplex")
        if algorithm == "ipm":
            h.setOptionValue("run_crossover", "on")
        start = time.perf_counter()
        h.run()
        seconds = time.perf_counter() - start
        info = h.getInfo()
        self._objective = float(info.objective_function_value)
        self._iterations = int(
            max(info.simplex_iteration_count, 0) + max(info.ipm_iteration_count, 0)
        )
        self.last_seconds = seconds
        self.last_algorithm = algorithm
        self.last_warm = has_basis and algorithm != "ipm"
        if not has_basis:
            self.cold_iterations = self._iterations
        status = h.getModelStatus()
        if status == highspy.HighsModelStatus.kOptimal:
            return "optimal", seconds
        if status in (
            highspy.HighsModelStatus.kInfeasible,
            highspy.HighsModelStatus.kUnboundedOrInfeasible,
        ):
            return "infeasible", seconds
        if status == highspy.HighsModelStatus.kUnbounded:
            return "unbounded", seconds
        return h.modelStatusToString(status), seconds

    def solution(self) -> Solution:
        sol = self.highs.getSolution()
        return Solution(
            np.asarray(sol.col_value), np.asarray(sol.row_dual), np.asarray(sol.col_dual), self
        )

    @property
    def objective(self) -> float:
        """Objective of the last run (MUSD), still there after bounds or costs change."""
        return self._objective

    @property
    def iterations(self) -> int:
        """Simplex and interior-point iterations of the last run."""
        return self._iterations

    # --- changing data in place ---------------------------------------------------------------
    def set_row_bounds(self, rows: np.ndarray, lower: np.ndarray, upper: np.ndarray) -> None:
        rows = np.asarray(rows, dtype=np.int32)
        lower = np.where(np.isfinite(lower), lower, -INF)
        upper = np.where(np.isfinite(upper), upper, INF)
        # changeRowsBounds is in highspy but not in its type stubs
        self.highs.changeRowsBounds(len(rows), rows, lower.astype(float), upper.astype(float))  # type: ignore[attr-defined]

    def set_col_bounds(self, cols: np.ndarray, lower: np.ndarray, upper: np.ndarray) -> None:
        cols = np.asarray(cols, dtype=np.int32)
        lower = np.where(np.isfinite(lower), lower, -INF)
        upper = np.where(np.isfinite(upper), upper, INF)
        self.highs.changeColsBounds(len(cols), cols, lower.astype(float), upper.astype(float))

    def set_costs(self, cols: np.ndarray, costs: np.ndarray) -> None:
        cols = np.asarray(cols, dtype=np.int32)
        self.highs.changeColsCost(len(cols), cols, np.asarray(costs, dtype=float))

    def set_coefficients(self, rows: np.ndarray, cols: np.ndarray, values: np.ndarray) -> None:
        for r, c, v in zip(rows.tolist(), cols.tolist(), values.tolist(), strict=True):
            self.highs.changeCoeff(int(r), int(c), float(v))

    def costs(self) -> np.ndarray:
        return np.asarray(self.highs.getLp().col_cost_, dtype=float)

    def col_bounds(self) -> tuple[np.ndarray, np.ndarray]:
        lp = self.highs.getLp()
        return np.asarray(lp.col_lower_, dtype=float), np.asarray(lp.col_upper_, dtype=float)

    def row_bounds(self) -> tuple[np.ndarray, np.ndarray]:
        lp = self.highs.getLp()
        return np.asarray(lp.row_lower_, dtype=float), np.asarray(lp.row_upper_, dtype=float)
