"""Solve a built model: HiGHS by default (any Pyomo solver by name), head iteration, diagnosis.

``solve(model, options) -> SolveReport``. A reservoir plant's energy k * H(Sbar) * q is
bilinear (head from the step's mean storage Sbar, times turbine flow q). It is found by
successive linear programming on its first-order Taylor expansion
E = k * (H0 * q + q0 * dH/dS(Sbar0) * (Sbar - Sbar0)) (rows in
:mod:`nexusmodel.model.components.hydropower`): solve, re-expand around the solution just
found, re-solve warm, and stop when the total energy changes by less than
``slp_tolerance``; if the iteration oscillates a trust region on storage damps it. Unlike
iterating on a fixed head, the storage term prices head: the LP sees what drawing a
reservoir down costs in energy. ``head="fixed"`` solves once with the head of the initial
storage. The report gives the remaining error of the LP energy against the exact nonlinear
energy k * H(Sbar) * q at the solution.

An infeasible run is re-solved elastically (every rule's slack freed, their sum minimised)
and an :class:`~nexusmodel.errors.InfeasibleError` names the rules, nodes and steps.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np
import pyomo.environ as pyo
from pyomo.common.gc_manager import PauseGC

from nexusmodel.errors import InfeasibleError, SolverError
from nexusmodel.model.components.hydropower import (
    Taylor,
    head_from_storage,
    initial_expansion,
    plants,
    taylor_expansion,
)
from nexusmodel.model.context import GWH_PER_HM3_M, BuildContext
from nexusmodel.solve.diagnose import elastic_diagnosis
from nexusmodel.solve.highs import HighsBackend, Solution
from nexusmodel.solve.solvers import check_solver_name


@dataclass
class SolveReport:
    """What a solve did: status, objective (million USD), iterations, timings (s), accuracy."""

    status: str
    objective_musd: float
    iterations: int
    timings: dict[str, float] = field(default_factory=dict)
    slp_iterations: int = 0
    energy_linearization_error: float = 0.0  # |LP energy - exact energy| / exact, whole horizon
    solver: str = "highs"
    solution: Solution | None = None
    backend: HighsBackend | None = None

    def summary(self) -> str:
        times = ", ".join(f"{k} {v:.2f} s" for k, v in self.timings.items())
        return f"{self.status}: objective {self.objective_musd:,.1f} million USD ({self.iterations} iterations; {times})"


class HeadLinearization:
    """The energy rows of the reservoir plants in the live LP, and the point they expand around.

    Each row reads ``E - k H0 q - c S[t] - c S[t-1] = rhs`` (see
    :mod:`nexusmodel.model.components.hydropower`); moving the expansion point changes the
    coefficients of q, S[t] and S[t-1] and the right-hand side in place, so HiGHS re-solves
    from its last basis. A storage coefficient that the compiled LP lacks (a model built with
    ``head="fixed"``) is inserted by HiGHS, only slower.
    """

    def __init__(self, m: pyo.ConcreteModel, backend: HighsBackend) -> None:
        ctx: BuildContext = m.context
        ps = plants(ctx)
        n_t = len(ctx.axis)
        index = [i for i, p in enumerate(ps) if p.reservoir]
        reservoir_ids = list(m.reservoir.ids)
        self.ctx = ctx
        self.model = m
        self.plants = [ps[i] for i in index]
        self.shape = (len(ps), n_t)
        self.index = np.array(index, dtype=np.int64)
        self.reservoir = np.array(
            [reservoir_ids.index(p.node) for p in self.plants], dtype=np.int64
        )
        self.n_reservoirs = len(reservoir_ids)
        self.rows = backend.rows_of(m.hydropower.energy_def).reshape(self.shape)[self.index]
        self.turbine_cols = backend.columns_of(m.hydropower.turbine).reshape(self.shape)[self.index]
        storage_cols = backend.columns_of(m.reservoir.storage).reshape(len(reservoir_ids), n_t)
        self.storage_cols = storage_cols[self.reservoir]
        self.initial = np.array(
            [ctx.basin.nodes[p.node].initial_storage_hm3 for p in self.plants]  # type: ignore[union-attr]
        ).reshape(-1, 1)
        self.k = np.array([GWH_PER_HM3_M * p.efficiency for p in self.plants]).reshape(-1, 1)
        self.backend = backend

    def point(self, sol: Solution) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """(storage at the start, at the end, turbine flow, LP energy) of each reservoir plant."""
        n_t = self.shape[1]
        storage = sol.array(self.model.reservoir.storage, (self.n_reservoirs, n_t))[self.reservoir]
        start = np.concatenate([self.initial, storage[:, :-1]], axis=1)
        turbine = sol.array(self.model.hydropower.turbine, self.shape)[self.index]
        energy = sol.array(self.model.hydropower.energy, self.shape)[self.index]
        return start, storage, turbine, energy

    def exact_energy(self, start: np.ndarray, end: np.ndarray, turbine: np.ndarray) -> np.ndarray:
        """k * H(Sbar) * q (GWh), the nonlinear energy at a point."""
        heads = np.array(
            [head_from_storage(self.ctx, p, start[i], end[i]) for i, p in enumerate(self.plants)]
        ).reshape(turbine.shape)
        return self.k * heads * turbine

    def expand(self, start: np.ndarray, end: np.ndarray, turbine: np.ndarray) -> list[Taylor]:
        return [
            taylor_expansion(self.ctx, p, start[i], end[i], turbine[i])
            for i, p in enumerate(self.plants)
        ]

    def apply(self, expansions: list[Taylor]) -> None:
        """Write the expansions' coefficients and right-hand sides into the live LP."""
        if not self.plants:
            return
        head = np.array([e.head for e in expansions])
        coef = np.array([e.storage_coef for e in expansions])
        rhs = np.array([e.rhs for e in expansions])
        rows = self.rows
        lagged = rows[:, 1:]
        self.backend.set_coefficients(
            np.concatenate([rows.ravel(), rows.ravel(), lagged.ravel()]),
            np.concatenate(
                [
                    self.turbine_cols.ravel(),
                    self.storage_cols.ravel(),
                    self.storage_cols[:, :-1].ravel(),
                ]
            ),
            np.concatenate([(-self.k * head).ravel(), -coef.ravel(), -coef[:, 1:].ravel()]),
        )
        self.backend.set_row_bounds(rows.ravel(), rhs.ravel(), rhs.ravel())
        self.expansions = expansions

    def sync_parameters(self) -> None:
        """Copy the last expansion into the Pyomo parameters (head, storage_coef, taylor_rhs)."""
        expansions = getattr(self, "expansions", None)
        if not expansions:
            return
        b = self.model.hydropower
        steps = range(self.shape[1])
        for p, e in zip(self.plants, expansions, strict=True):
            for t in steps:
                b.head[p.node, t] = float(e.head[t])
            if hasattr(b, "storage_coef"):
                for t in steps:
                    b.storage_coef[p.node, t] = float(e.storage_coef[t])
                    b.taylor_rhs[p.node, t] = float(e.rhs[t])


def _fixed_expansions(m: pyo.ConcreteModel, lin: HeadLinearization) -> list[Taylor]:
    """The fixed-head rows: H0 from the model's head parameter, no storage terms."""
    n_t = lin.shape[1]
    return [
        Taylor(
            np.array([pyo.value(m.hydropower.head[p.node, t]) for t in range(n_t)]),
            np.zeros(n_t),
            np.zeros(n_t),
        )
        for p in lin.plants
    ]


def solve(model: pyo.ConcreteModel, options: object | None = None) -> SolveReport:
    """Solve a model from :func:`nexusmodel.model.build_model`; raise on infeasibility."""
    with PauseGC():  # no full passes of the cyclic collector over the model in between
        return _solve(model, options)


def _solve(model: pyo.ConcreteModel, options: object | None) -> SolveReport:
    ctx: BuildContext = model.context
    opts = options or ctx.options
    if opts.solver != "highs":  # type: ignore[attr-defined]
        return _solve_with_pyomo(model, opts.solver)  # type: ignore[attr-defined]
    backend = HighsBackend.from_model(model)
    timings = {"translate": backend.compile_seconds, "solve": 0.0}
    lin = HeadLinearization(model, backend)
    slp = bool(lin.plants) and opts.head == "slp"  # type: ignore[attr-defined]
    built_with_taylor = hasattr(model.hydropower, "storage_coef")
    if lin.plants and not slp and built_with_taylor:
        lin.apply(_fixed_expansions(model, lin))  # built for SLP, solved with fixed heads
    elif slp and not built_with_taylor:
        lin.apply([initial_expansion(ctx, p) for p in lin.plants])  # built fixed, solved SLP
    status, seconds = backend.run(opts.algorithm, opts.time_limit_s)  # type: ignore[attr-defined]
    timings["solve"] += seconds
    return finish_solve(model, backend, lin, status, timings, opts)


def finish_solve(
    model: pyo.ConcreteModel,
    backend: HighsBackend,
    lin: HeadLinearization,
    status: str,
    timings: dict[str, float],
    opts: object,
) -> SolveReport:
    """After a first solve: diagnose infeasibility, iterate on the heads, measure their error.

    Shared by :func:`solve` and :func:`nexusmodel.solve.update.resolve`; ``timings["solve"]``
    already holds the first solve's seconds.
    """
    iterations = backend.iterations
    if status == "infeasible":
        raise InfeasibleError(
            elastic_diagnosis(model, backend)
            if opts.diagnose_infeasible  # type: ignore[attr-defined]
            else "the problem is infeasible"
        )
    if status != "optimal":
        raise SolverError(f"HiGHS stopped with status '{status}' after {timings['solve']:.1f} s")
    sol = backend.solution()
    slp_iterations = 0
    if lin.plants and opts.head == "slp":  # type: ignore[attr-defined]
        sol, slp_iterations, its, secs = _slp(lin, sol, opts)
        iterations += its
        timings["solve"] += secs
    error = 0.0
    if lin.plants:
        start, end, turbine, energy = lin.point(sol)
        exact = lin.exact_energy(start, end, turbine).sum()
        error = abs(energy.sum() - exact) / max(exact, 1e-9)
    return SolveReport(
        status="optimal",
        objective_musd=backend.objective,
        iterations=iterations,
        timings=timings,
        slp_iterations=slp_iterations,
        energy_linearization_error=error,
        solution=sol,
        backend=backend,
    )


def _slp(lin: HeadLinearization, sol: Solution, opts: object) -> tuple[Solution, int, int, float]:
    """Re-expand around each solution and re-solve warm until total energy settles.

    Stops when the exact energy of the reservoir plants changes by less than
    ``slp_tolerance`` (relative) from one solution to the next and the LP's energy is that
    close to the exact energy. If the change flips sign (the iteration oscillates), a trust
    region bounds each plant reservoir's storage to within Delta of the last solution, Delta
    half the largest storage move so far (at least 0.1 % of the active storage), halved at
    every further flip. The bounds are lifted after the last re-solve (the solution and its
    duals stay those of the last LP, and ``backend.objective`` its objective). Returns
    (solution, re-solves, simplex iterations, seconds).
    """
    backend = lin.backend
    tol = opts.slp_tolerance  # type: ignore[attr-defined]
    # warm re-solves (dual simplex from the last basis) unless the first solve needed the
    # interior point method, or a warm re-solve turns out slower than that cold first solve
    cold_seconds = backend.last_seconds
    warm = backend.last_algorithm != "ipm"
    start, end, turbine, _energy = lin.point(sol)
    exact = lin.exact_energy(start, end, turbine).sum()
    nodes = lin.ctx.basin.nodes
    active = [nodes[p.node].capacity_hm3 - nodes[p.node].dead_storage_hm3 for p in lin.plants]  # type: ignore[union-attr]
    floor = 1e-3 * np.array(active, dtype=float)  # smallest trust region (hm3)
    n, its, secs = 0, 0, 0.0
    change = 0.0
    delta: np.ndarray | None = None  # trust-region half-width per plant (hm3), None: off
    cols = lin.storage_cols.ravel()
    original: tuple[np.ndarray, np.ndarray] | None = None
    try:
        for _ in range(opts.slp_max_iterations):  # type: ignore[attr-defined]
            lin.apply(lin.expand(start, end, turbine))
            if delta is not None:
                if original is None:
                    lower, upper = backend.col_bounds()
                    original = (lower[cols], upper[cols])
                low = np.maximum(original[0], (end - delta[:, None]).ravel())
                high = np.minimum(original[1], (end + delta[:, None]).ravel())
                backend.set_col_bounds(cols, low, np.maximum(high, low))
            status, seconds = backend.run(
                "simplex" if warm else "auto",
                opts.time_limit_s,  # type: ignore[attr-defined]
                warm=warm,
            )
            warm = warm and seconds <= cold_seconds
            secs += seconds
            its += backend.iterations
            n += 1
            if status not in ("optimal", "infeasible") and backend.last_warm:
                # numerical trouble from the old basis (e.g. "excessive dual values"): cold
                status, seconds = backend.run("auto", opts.time_limit_s, warm=False)  # type: ignore[attr-defined]
                warm = False
                secs += seconds
                its += backend.iterations
            if status != "optimal":
                raise SolverError(f"HiGHS stopped with status '{status}' in head iteration {n}")
            sol = backend.solution()
            previous_end = end
            start, end, turbine, energy = lin.point(sol)
            previous, previous_change = exact, change
            exact = lin.exact_energy(start, end, turbine).sum()
            change = exact - previous
            scale = tol * max(exact, 1e-9)
            if abs(change) < scale and abs(energy.sum() - exact) < scale:
                break
            if change * previous_change < 0:  # oscillating: (tighter) trust region
                moved = np.maximum(np.abs(end - previous_end).max(axis=1), floor)
                delta = 0.5 * (moved if delta is None else np.minimum(delta, moved))
    finally:
        if original is not None:
            backend.set_col_bounds(cols, original[0], original[1])
    lin.sync_parameters()
    return sol, n, its, secs


def _solve_with_pyomo(model: pyo.ConcreteModel, solver_name: str) -> SolveReport:
    """Any solver Pyomo knows, through SolverFactory (fixed heads; duals imported)."""
    from nexusmodel.solve.pyomo_solution import PyomoSolution

    check_solver_name(solver_name)  # a known name only: Pyomo would run a path as a program
    solver = pyo.SolverFactory(solver_name)
    if solver is None or not solver.available(exception_flag=False):
        raise SolverError(
            f"solver '{solver_name}' is not available here; the default 'highs' always is"
        )
    hp = model.hydropower
    if hasattr(hp, "storage_coef"):  # fixed heads: drop the Taylor storage terms
        for param in (hp.storage_coef, hp.taylor_rhs):
            for data in param.values():
                data.value = 0.0
    if not hasattr(model, "dual"):
        model.dual = pyo.Suffix(direction=pyo.Suffix.IMPORT)
        model.rc = pyo.Suffix(direction=pyo.Suffix.IMPORT)
    start = time.perf_counter()
    result = solver.solve(model, load_solutions=False)
    seconds = time.perf_counter() - start
    condition = str(result.solver.termination_condition)
    if condition != "optimal":
        raise (
            InfeasibleError(f"{solver_name}: {condition}")
            if "infeasible" in condition
            else SolverError(f"{solver_name}: {condition}")
        )
    model.solutions.load_from(result)
    return SolveReport(
        status="optimal",
        objective_musd=float(pyo.value(model.objective)),
        iterations=0,
        timings={"solve": seconds},
        solver=solver_name,
        solution=PyomoSolution(model),  # type: ignore[arg-type]
    )
