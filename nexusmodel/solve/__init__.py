"""Solve a built model: HiGHS by default (any Pyomo solver by name), head iteration, diagnosis.

``solve(model, options) -> SolveReport``. The head iteration lives in
:mod:`nexusmodel.solve.slp`, the head numbers in :mod:`nexusmodel.model.heads`. A reservoir plant's energy k * H(Sbar) * q is
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

import pyomo.environ as pyo
from pyomo.common.gc_manager import PauseGC

from nexusmodel.errors import InfeasibleError, SolverError
from nexusmodel.model.context import BuildContext
from nexusmodel.model.options import ModelOptions
from nexusmodel.solve.diagnose import elastic_diagnosis
from nexusmodel.solve.highs import HighsBackend, Solution
from nexusmodel.solve.slp import HeadLinearization, iterate, prepare_first_solve
from nexusmodel.solve.solvers import check_solver_name

__all__ = ["HeadLinearization", "SolveReport", "finish_solve", "solve"]


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


def solve(model: pyo.ConcreteModel, options: ModelOptions | None = None) -> SolveReport:
    """Solve a model from :func:`nexusmodel.model.build_model`; raise on infeasibility."""
    with PauseGC():  # no full passes of the cyclic collector over the model in between
        return _solve(model, options)


def _solve(model: pyo.ConcreteModel, options: ModelOptions | None) -> SolveReport:
    ctx: BuildContext = model.context
    opts = options or ctx.options
    if opts.solver != "highs":
        if getattr(model, "objective_hessian", None):
            raise SolverError(
                f"solver {opts.solver!r}: the model has quadratic benefits "
                "(quadratic_benefit), which only the built-in solver highs passes on"
            )
        return _solve_with_pyomo(model, opts.solver)
    backend = HighsBackend.from_model(model)
    timings = {"translate": backend.compile_seconds, "solve": 0.0}
    lin = HeadLinearization(model, backend)
    prepare_first_solve(lin, opts)
    status, seconds = backend.run(opts.algorithm, opts.time_limit_s)
    timings["solve"] += seconds
    return finish_solve(model, backend, lin, status, timings, opts)


def finish_solve(
    model: pyo.ConcreteModel,
    backend: HighsBackend,
    lin: HeadLinearization,
    status: str,
    timings: dict[str, float],
    opts: ModelOptions,
) -> SolveReport:
    """After a first solve: diagnose infeasibility, iterate on the heads, measure their error.

    Shared by :func:`solve` and :func:`nexusmodel.solve.update.resolve`; ``timings["solve"]``
    already holds the first solve's seconds.
    """
    iterations = backend.iterations
    if status == "infeasible":
        raise InfeasibleError(
            elastic_diagnosis(model, backend)
            if opts.diagnose_infeasible
            else "the problem is infeasible"
        )
    if status != "optimal":
        raise SolverError(f"HiGHS stopped with status '{status}' after {timings['solve']:.1f} s")
    sol = backend.solution()
    slp_iterations = 0
    if lin.plants and opts.head == "slp":
        sol, slp_iterations, its, secs = iterate(lin, sol, opts)
        iterations += its
        timings["solve"] += secs
    return SolveReport(
        status="optimal",
        objective_musd=backend.objective,
        iterations=iterations,
        timings=timings,
        slp_iterations=slp_iterations,
        energy_linearization_error=lin.error(sol),
        solution=sol,
        backend=backend,
    )


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
        for param in (hp.storage_coef, hp.storage_coef_start, hp.taylor_rhs):
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
