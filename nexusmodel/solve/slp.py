"""The head linearisation applied to a live LP, and the iteration on it (successive LP).

:class:`HeadLinearization` knows the energy rows of the reservoir plants in a live HiGHS
model and the columns they read; it writes a :class:`~nexusmodel.model.heads.Taylor`
expansion per plant into them in place (coefficients and right-hand sides), so that HiGHS
re-solves from its last basis. :func:`start_heads` puts the rows where a fresh build puts
them (head iteration) or at the fixed head of the initial storage; :func:`iterate`
re-expands around each solution and re-solves until the energy settles. The numbers
themselves (heads, slopes, expansions, exact energy) come from :mod:`nexusmodel.model.heads`.
"""

from __future__ import annotations

from typing import Protocol

import numpy as np
import pyomo.environ as pyo

from nexusmodel.errors import SolverError
from nexusmodel.model import heads
from nexusmodel.model.context import BuildContext
from nexusmodel.model.heads import Taylor
from nexusmodel.model.options import ModelOptions
from nexusmodel.solve.highs import HighsBackend, Solution


class ArraySolution(Protocol):
    """A solution that gives a Pyomo component's values as an array (HiGHS or stitched)."""

    def array(self, component: pyo.Component, shape: tuple[int, ...]) -> np.ndarray: ...


class HeadLinearization:
    """The energy rows of the reservoir plants in the live LP, and the point they expand around.

    Each row reads ``E - k H0 q - c S[t] - c S[t-1] = rhs`` (see
    :mod:`nexusmodel.model.components.hydropower`); moving the expansion point changes the
    coefficients of q, S[t] and S[t-1] and the right-hand side in place, so HiGHS re-solves
    from its last basis. A storage coefficient that the compiled LP lacks (a model built with
    ``head="fixed"``) is inserted by HiGHS, only slower. ``sync=False``: :meth:`sync_parameters`
    does not copy the expansions into the Pyomo parameters (a caller that reads them from
    :attr:`expansions`, e.g. the window loop: the copy is a third of the head iteration's
    own time in a 12-month window).
    """

    def __init__(self, m: pyo.ConcreteModel, backend: HighsBackend, *, sync: bool = True) -> None:
        ctx: BuildContext = m.context
        ps = heads.plants(ctx)
        n_t = len(ctx.axis)
        index = [i for i, p in enumerate(ps) if p.reservoir]
        reservoir_ids = list(m.reservoir.ids)
        self.ctx = ctx
        self.model = m
        self.sync = sync
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
        self.k = np.array([heads.energy_per_hm3_m(p) for p in self.plants]).reshape(-1, 1)
        self.backend = backend
        self.expansions: list[Taylor] = []

    @property
    def initial(self) -> np.ndarray:
        """Storage (hm3, plants x 1) each plant's reservoir starts from, as the context has it
        now (an update may have moved it)."""
        return np.array(
            [heads.initial_storage_hm3(self.ctx, p) for p in self.plants], dtype=float
        ).reshape(-1, 1)

    def point(self, sol: ArraySolution) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """(storage at the start, at the end, turbine flow, LP energy) of each reservoir plant."""
        n_t = self.shape[1]
        storage = sol.array(self.model.reservoir.storage, (self.n_reservoirs, n_t))[self.reservoir]
        start = np.concatenate([self.initial, storage[:, :-1]], axis=1)
        turbine = sol.array(self.model.hydropower.turbine, self.shape)[self.index]
        energy = sol.array(self.model.hydropower.energy, self.shape)[self.index]
        return start, storage, turbine, energy

    def exact_energy(self, start: np.ndarray, end: np.ndarray, turbine: np.ndarray) -> np.ndarray:
        """k * H(Sh) * q (GWh), the nonlinear energy at a point (Sh: mean or start storage)."""
        return heads.exact_energy(self.ctx, self.plants, start, end, turbine)

    def error(self, sol: ArraySolution) -> float:
        """Relative error of the LP energy of the reservoir plants at a solution (0 if none)."""
        if not self.plants:
            return 0.0
        start, end, turbine, energy = self.point(sol)
        exact = self.exact_energy(start, end, turbine).sum()
        return heads.linearization_error(float(energy.sum()), float(exact))

    def expand(self, start: np.ndarray, end: np.ndarray, turbine: np.ndarray) -> list[Taylor]:
        return [
            heads.taylor_expansion(self.ctx, p, start[i], end[i], turbine[i])
            for i, p in enumerate(self.plants)
        ]

    def apply(self, expansions: list[Taylor]) -> None:
        """Write the expansions' coefficients and right-hand sides into the live LP."""
        if not self.plants:
            return
        head = np.array([e.head for e in expansions])
        coef_end = np.array([e.coef_end for e in expansions])
        coef_start = np.array([e.coef_start for e in expansions])
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
            np.concatenate(
                [(-self.k * head).ravel(), -coef_end.ravel(), -coef_start[:, 1:].ravel()]
            ),
        )
        self.backend.set_row_bounds(rows.ravel(), rhs.ravel(), rhs.ravel())
        self.expansions = expansions

    def sync_parameters(self) -> None:
        """Copy the last expansion into the Pyomo parameters (head, storage coefficients, rhs)."""
        if not self.sync or not self.expansions:
            return
        b = self.model.hydropower
        steps = range(self.shape[1])
        for p, e in zip(self.plants, self.expansions, strict=True):
            for t in steps:
                b.head[p.node, t] = float(e.head[t])
            if hasattr(b, "storage_coef"):
                for t in steps:
                    b.storage_coef[p.node, t] = float(e.coef_end[t])
                    b.storage_coef_start[p.node, t] = float(e.coef_start[t])
                    b.taylor_rhs[p.node, t] = float(e.rhs[t])


def built_with_taylor(model: pyo.ConcreteModel) -> bool:
    """Whether the model's energy rows carry the storage terms (built with ``head="slp"``)."""
    return hasattr(model.hydropower, "storage_coef")


def start_heads(lin: HeadLinearization, iterate_heads: bool, *, sync: bool = False) -> None:
    """Put the energy rows where a fresh build of the current data puts them: expanded around
    the initial storage with half the turbine capacity (``iterate_heads``), or at the head
    of the initial storage with no storage terms (a fixed head). ``sync`` copies them into
    the Pyomo parameters too."""
    if not lin.plants:
        return
    ctx = lin.ctx
    if iterate_heads:
        lin.apply([heads.initial_expansion(ctx, p) for p in lin.plants])
    else:
        lin.apply([heads.fixed_expansion(ctx, p) for p in lin.plants])
    if sync:
        lin.sync_parameters()


def prepare_first_solve(lin: HeadLinearization, options: ModelOptions) -> None:
    """Before the first solve of a freshly compiled model: fixed heads for a model built for
    the head iteration but solved with ``head="fixed"``, the build's expansion for the
    reverse; nothing when build and solve agree (the compiled rows are already right)."""
    if not lin.plants:
        return
    slp = options.head == "slp"
    taylor = built_with_taylor(lin.model)
    if taylor and not slp:
        start_heads(lin, False)
    elif slp and not taylor:
        start_heads(lin, True)


def iterate(
    lin: HeadLinearization, sol: Solution, options: ModelOptions
) -> tuple[Solution, int, int, float]:
    """Re-expand around each solution and re-solve warm until total energy settles.

    Stops when the exact energy of the reservoir plants changes by less than
    ``slp_tolerance`` (relative) from one solution to the next and the LP's energy is that
    close to the exact energy. If the change flips sign (the iteration oscillates), a trust
    region bounds each plant reservoir's storage to within Delta of the last solution, Delta
    half the largest storage move so far (at least 0.1 % of the active storage), halved at
    every further flip. The bounds are lifted after the last re-solve (the solution and its
    duals stay those of the last LP, and ``backend.objective`` its objective).

    The re-solves are warm (dual simplex with Devex pricing from the last basis) until a
    warm re-solve takes more iterations than the model's cold solve (the first solve, or
    the last solve from no basis: a window's or ensemble member's first solve is itself
    warm); then cold. After an interior-point first solve they are cold. Decided on
    iteration counts, not on timings, so that the path and the optimum it picks do not
    depend on the machine's load. Returns (solution,
    re-solves, simplex iterations, seconds).
    """
    backend = lin.backend
    tol = options.slp_tolerance
    cold_iterations = max(backend.iterations, backend.cold_iterations, 1)
    # after an interior-point first solve the re-solves are cold too: from its crossover
    # basis, the dual simplex took longer than the interior point method (30 x 960: 37 s
    # against 28 s for the first re-solve; no gain measured at 100 x 480)
    warm = backend.last_algorithm != "ipm"
    start, end, turbine, _energy = lin.point(sol)
    exact = lin.exact_energy(start, end, turbine).sum()
    # smallest trust region (hm3)
    floor = 1e-3 * np.array([heads.active_storage_hm3(lin.ctx, p) for p in lin.plants])
    n, its, secs = 0, 0, 0.0
    change = 0.0
    delta: np.ndarray | None = None  # trust-region half-width per plant (hm3), None: off
    cols = lin.storage_cols.ravel()
    original: tuple[np.ndarray, np.ndarray] | None = None
    try:
        for _ in range(options.slp_max_iterations):
            lin.apply(lin.expand(start, end, turbine))
            if delta is not None:
                if original is None:
                    lower, upper = backend.col_bounds()
                    original = (lower[cols], upper[cols])
                low = np.maximum(original[0], (end - delta[:, None]).ravel())
                high = np.minimum(original[1], (end + delta[:, None]).ravel())
                backend.set_col_bounds(cols, low, np.maximum(high, low))
            status, seconds = backend.run(
                "simplex" if warm else "auto", options.time_limit_s, warm=warm, devex=True
            )
            warm = warm and backend.iterations <= cold_iterations
            secs += seconds
            its += backend.iterations
            n += 1
            if status not in ("optimal", "infeasible") and backend.last_warm:
                # numerical trouble from the old basis (e.g. "excessive dual values"): cold
                status, seconds = backend.run("auto", options.time_limit_s, warm=False)
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
