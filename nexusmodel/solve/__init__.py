"""Solve a built model: HiGHS by default (any Pyomo solver by name), head iteration, diagnosis.

``solve(model, options) -> SolveReport``. Reservoir plants' heads are found by successive
linear programming: solve with the current heads, recompute each head from the storage the
solve chose (level at the step's mean storage minus tailwater), re-solve warm, and stop
when total energy changes by less than ``slp_tolerance``. The report gives the remaining
error of the LP energy against the exact nonlinear energy at the solution.

An infeasible run is re-solved elastically (every rule's slack freed, their sum minimised)
and an :class:`~nexusmodel.errors.InfeasibleError` names the rules, nodes and steps.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np
import pyomo.environ as pyo

from nexusmodel.errors import InfeasibleError, SolverError
from nexusmodel.model.components.hydropower import head_from_storage, plants
from nexusmodel.model.context import GWH_PER_HM3_M, BuildContext
from nexusmodel.solve.diagnose import elastic_diagnosis
from nexusmodel.solve.highs import HighsBackend, Solution


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


def update_heads(
    m: pyo.ConcreteModel, backend: HighsBackend, sol: Solution, damping: float = 0.5
) -> tuple[float, float]:
    """Move each reservoir plant's head towards the head at the solved storage.

    ``H_new = H_old + damping * (H(S) - H_old)``: damping stops the fixed-head iteration from
    oscillating between a drawn-down and a full reservoir. Returns (LP energy, exact energy)
    of the solution just found, in GWh.
    """
    ctx: BuildContext = m.context
    reservoir_ids = list(m.reservoir.ids)
    n_t = len(ctx.axis)
    storage = sol.array(m.reservoir.storage, (len(reservoir_ids), n_t))
    ps = plants(ctx)
    turbine = sol.array(m.hydropower.turbine, (len(ps), n_t))
    energy = sol.array(m.hydropower.energy, (len(ps), n_t))
    rows = backend.rows_of(m.hydropower.energy_def).reshape(len(ps), n_t)
    cols = backend.columns_of(m.hydropower.turbine).reshape(len(ps), n_t)
    lp_energy = 0.0
    exact_energy = 0.0
    for i, p in enumerate(ps):
        if not p.reservoir:
            continue
        r = reservoir_ids.index(p.node)
        start = np.concatenate([[ctx.basin.nodes[p.node].initial_storage_hm3], storage[r, :-1]])  # type: ignore[union-attr]
        exact_head = head_from_storage(ctx, p, start, storage[r])
        old_head = np.array([pyo.value(m.hydropower.head[p.node, t]) for t in range(n_t)])
        head = old_head + damping * (exact_head - old_head)
        factor = GWH_PER_HM3_M * p.efficiency
        lp_energy += energy[i].sum()
        exact_energy += (factor * exact_head * turbine[i]).sum()
        backend.set_coefficients(rows[i], cols[i], -factor * head)
        for t in range(n_t):
            m.hydropower.head[p.node, t] = float(head[t])
    return lp_energy, exact_energy


def solve(model: pyo.ConcreteModel, options: object | None = None) -> SolveReport:
    """Solve a model from :func:`nexusmodel.model.build_model`; raise on infeasibility."""
    ctx: BuildContext = model.context
    opts = options or ctx.options
    if opts.solver != "highs":  # type: ignore[attr-defined]
        return _solve_with_pyomo(model, opts.solver)  # type: ignore[attr-defined]
    backend = HighsBackend.from_model(model)
    timings = {"translate": backend.compile_seconds, "solve": 0.0}
    status, seconds = backend.run(opts.algorithm, opts.time_limit_s)  # type: ignore[attr-defined]
    timings["solve"] += seconds
    iterations = backend.iterations
    if status == "infeasible":
        message = (
            elastic_diagnosis(model, backend)
            if opts.diagnose_infeasible
            else "the problem is infeasible"
        )  # type: ignore[attr-defined]
        raise InfeasibleError(message)
    if status != "optimal":
        raise SolverError(f"HiGHS stopped with status '{status}' after {seconds:.1f} s")
    slp_iterations = 0
    error = 0.0
    has_reservoir_plants = any(p.reservoir for p in plants(ctx))
    if has_reservoir_plants:
        previous = None
        for _ in range(opts.slp_max_iterations if opts.head == "slp" else 1):  # type: ignore[attr-defined]
            lp_energy, exact_energy = update_heads(model, backend, backend.solution())
            error = abs(lp_energy - exact_energy) / max(exact_energy, 1e-9)
            if (
                opts.head != "slp"
                or error < opts.slp_tolerance
                or (
                    previous is not None
                    and abs(previous - lp_energy) < opts.slp_tolerance * max(lp_energy, 1e-9)
                )
            ):  # type: ignore[attr-defined]
                break
            previous = lp_energy
            status, seconds = backend.run("simplex", opts.time_limit_s)  # type: ignore[attr-defined]
            timings["solve"] += seconds
            iterations += backend.iterations
            slp_iterations += 1
            if status != "optimal":
                raise SolverError(
                    f"HiGHS stopped with status '{status}' in head iteration {slp_iterations}"
                )
    sol = backend.solution()
    if has_reservoir_plants:
        # heads now hold the values at the final solution: measure the remaining error there
        lp_energy, exact_energy = _energy_error(model, sol)
        error = abs(lp_energy - exact_energy) / max(exact_energy, 1e-9)
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


def _energy_error(m: pyo.ConcreteModel, sol: Solution) -> tuple[float, float]:
    """(LP energy, exact energy with the head at each step's solved storage), GWh, reservoir plants."""
    ctx: BuildContext = m.context
    reservoir_ids = list(m.reservoir.ids)
    n_t = len(ctx.axis)
    storage = sol.array(m.reservoir.storage, (len(reservoir_ids), n_t))
    ps = plants(ctx)
    turbine = sol.array(m.hydropower.turbine, (len(ps), n_t))
    energy = sol.array(m.hydropower.energy, (len(ps), n_t))
    lp, exact = 0.0, 0.0
    for i, p in enumerate(ps):
        if p.reservoir:
            r = reservoir_ids.index(p.node)
            start = np.concatenate([[ctx.basin.nodes[p.node].initial_storage_hm3], storage[r, :-1]])  # type: ignore[union-attr]
            head = head_from_storage(ctx, p, start, storage[r])
            lp += energy[i].sum()
            exact += (GWH_PER_HM3_M * p.efficiency * head * turbine[i]).sum()
    return lp, exact


def _solve_with_pyomo(model: pyo.ConcreteModel, solver_name: str) -> SolveReport:
    """Any solver Pyomo knows, through SolverFactory (fixed heads; duals imported)."""
    from nexusmodel.solve.pyomo_solution import PyomoSolution

    solver = pyo.SolverFactory(solver_name)
    if solver is None or not solver.available(exception_flag=False):
        raise SolverError(
            f"solver '{solver_name}' is not available here; the default 'highs' always is"
        )
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
