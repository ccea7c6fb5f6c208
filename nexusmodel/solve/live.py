"""One live model: a built Pyomo model compiled into HiGHS, and everything its updates need.

:class:`LiveModel` owns, for one build kept alive across many solves:

- ``model``: the Pyomo model (its ``context`` is the data the LP holds now; only the
  methods here and :mod:`nexusmodel.solve.update` change it, and they change the live LP
  with it);
- ``backend``: the :class:`~nexusmodel.solve.highs.HighsBackend` (or a batching wrapper);
- ``layout``: where each data array goes in the LP (:class:`~nexusmodel.solve.lpdata.Layout`);
- the compiled push plan and the :class:`~nexusmodel.solve.lpdata.SeriesData` (with its
  first step) the LP holds now, the end rule of each reservoir, and
- ``heads``: the reservoir plants' energy rows (:class:`~nexusmodel.solve.slp.HeadLinearization`);
- ``base_basis``: a stored simplex basis that every :meth:`solve` can start from, so that
  the answer does not depend on what was solved before (ensembles, frontiers).

Rolling and simulation windows (:mod:`nexusmodel.modes.window`), ensemble members
(:mod:`nexusmodel.ensemble.persistent`) and frontier points (:mod:`nexusmodel.frontier`) all
hold one. :func:`live_model` finds the one of a (model, backend) pair, so the functional
API of :mod:`nexusmodel.solve.update` keeps working on that pair.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

import highspy
import numpy as np
import pyomo.environ as pyo

from nexusmodel.model.components import reservoir
from nexusmodel.model.context import BuildContext
from nexusmodel.model.options import ModelOptions
from nexusmodel.solve import SolveReport, finish_solve
from nexusmodel.solve.highs import HighsBackend
from nexusmodel.solve.lpdata import Layout, PushPlan, SeriesData, series_data
from nexusmodel.solve.slp import HeadLinearization, built_with_taylor, start_heads

if TYPE_CHECKING:
    from nexusmodel.basin.basin import Basin, BasinSeries
    from nexusmodel.timeaxis import TimeAxis


@dataclass(frozen=True)
class EndRule:
    """The end row ``S[r,T] + end_deficit[r] >= target`` of one reservoir, as it stands."""

    target_hm3: float | None = None  # None: the reservoir's own initial storage (the build's)
    penalty_usd_per_m3: float | None = None  # None: hard (end_deficit fixed at 0)
    active: bool = True  # False: lifted (a terminal value or nothing replaces it)


class LiveModel:
    """A built model kept alive in HiGHS for warm re-solves after in-place updates."""

    def __init__(self, model: pyo.ConcreteModel, backend: HighsBackend) -> None:
        self.model = model
        self.backend = backend
        self.build_seconds = 0.0
        self._layout: Layout | None = None
        self._plan: tuple[SeriesData, PushPlan] | None = None
        self._data: tuple[SeriesData, int] | None = None
        self._end_rules: dict[str, EndRule] | None = None
        self._reservoir_rows: np.ndarray | None = None
        self._heads: HeadLinearization | None = None
        self.base_basis: highspy.HighsBasis | None = None
        self.cold_starts = False  # every solve from no basis (when no base basis could be had)
        self._base_matrix: highspy.HighsSparseMatrix | None = None
        backend.live = self

    @classmethod
    def build(
        cls,
        basin: Basin,
        options: ModelOptions,
        extra_constraints: Callable[[pyo.ConcreteModel, BuildContext], None] | None = None,
    ) -> LiveModel:
        """Build the model of a basin and compile it into a new HiGHS object."""
        from nexusmodel.model import build_model

        start = time.perf_counter()
        model = build_model(basin, options, extra_constraints)
        live = cls(model, HighsBackend.from_model(model))
        live.layout  # noqa: B018  records the build's calendar years
        live.build_seconds = time.perf_counter() - start
        return live

    # --- what it holds ------------------------------------------------------------------------
    @property
    def context(self) -> BuildContext:
        ctx: BuildContext = self.model.context
        return ctx

    @property
    def options(self) -> ModelOptions:
        return self.context.options

    @property
    def layout(self) -> Layout:
        """Where each array of the series data goes in the LP (computed on first use)."""
        if self._layout is None:
            self._layout = Layout(self.model, self.backend)
        return self._layout

    @property
    def heads(self) -> HeadLinearization:
        """The reservoir plants' energy rows in the LP."""
        if self._heads is None:
            self._heads = HeadLinearization(self.model, self.backend)
        return self._heads

    @property
    def end_rules(self) -> dict[str, EndRule]:
        """The end rule of every reservoir built with one (``end_storage: initial``)."""
        if self._end_rules is None:
            self._end_rules = {r: EndRule() for r in self.model.reservoir.with_end}
        return self._end_rules

    def use_data(
        self,
        *,
        basin: Basin | None = None,
        series: BasinSeries | None = None,
        axis: TimeAxis | None = None,
    ) -> None:
        """Make the context describe the data the LP is given (the basin with its initial
        storage, the horizon series, the time axis), so that extraction, the head
        iteration and the diagnosis read the data solved. The one place that changes a
        live model's context; the caller pushes the matching numbers into the LP."""
        ctx = self.context
        if basin is not None:
            ctx.basin = basin
        if series is not None:
            ctx.series = series
        if axis is not None:
            ctx.axis = axis

    def current_data(self) -> tuple[SeriesData, int]:
        """(series data, first step) the LP holds now; from the context if nothing was
        pushed yet."""
        if self._data is None:
            self._data = (series_data(self.context), 0)
        return self._data

    def set_current_data(self, data: SeriesData, start: int = 0) -> None:
        self._data = (data, start)

    # --- pushing data -------------------------------------------------------------------------
    def push_series(self, data: SeriesData, discount: np.ndarray, start: int = 0) -> None:
        """Write the data of steps ``start .. start + model steps - 1`` into the LP (costs
        times ``discount``, per model step), then the initial-storage term of the
        reservoirs' first balance rows. The compiled plan is kept for the next push of the
        same data (a rolling run pushes one horizon's data window after window)."""
        if self._plan is None or self._plan[0] is not data:
            self._plan = (data, PushPlan(self.model, self.layout, data))
        self._plan[1].push(self.backend, data, start, discount)
        self._data = (data, start)
        self.push_initial_storage()

    def push_initial_storage(self) -> None:
        """The first step's balance row of each reservoir: data + S0 (1 - e[0] a1 (1 - w)),
        with S0 from the context (w: the evaporating area's weight of the end storage)."""
        data, start = self.current_data()
        ctx = self.context
        res = reservoir.reservoirs(ctx)
        if not res:
            return
        if self._reservoir_rows is None:
            self._reservoir_rows = np.array([ctx.water_nodes.index(r.id) for r in res])
        s0 = np.array([r.initial_storage_hm3 for r in res])
        before0 = data.step["res_before"][:, start]
        base = data.step["balance"][self._reservoir_rows, start]
        rows = self.layout.reservoir_balance_t0
        keep = rows >= 0
        rhs = (base + s0 * (1.0 - before0))[keep]
        self.backend.set_row_bounds(rows[keep], rhs, rhs)

    def reset_heads(self, options: ModelOptions | None = None) -> None:
        """The energy rows where a build of the current data puts them (head iteration:
        expanded around the initial storage; ``head="fixed"``: its head)."""
        opts = options or self.options
        start_heads(self.heads, built_with_taylor(self.model) and opts.head == "slp", sync=True)

    # --- solving ------------------------------------------------------------------------------
    def store_basis(self) -> None:
        """Keep the LP's current simplex basis: :meth:`solve` starts from it from now on."""
        basis = self.backend.highs.getBasis()
        self.base_basis = basis if basis.valid else None

    def _restore_matrix(self, matrix: highspy.HighsSparseMatrix) -> None:
        """A stored constraint matrix back into HiGHS, with the current bounds and costs."""
        lp = self.backend.highs.getLp()
        lp.a_matrix_ = matrix
        self.backend.highs.passModel(lp)

    def fix_warm_start(self, options: ModelOptions | None = None) -> None:
        """Make every later :meth:`solve` start from one stored basis, so that its answer does
        not depend on what was solved before (an ensemble member's on the members its worker
        ran before it: alternative optima of a degenerate LP share the objective, not the
        flows).

        Solves the LP as it stands, with the energy rows where a build puts them (the first
        LP of every :meth:`solve`), and keeps that basis and the constraint matrix; if that
        solve fails, every later solve starts cold instead (no basis), as deterministic and
        slower. Every later :meth:`solve` starts from this matrix again (the head iteration
        changes coefficients, and HiGHS stores an entry set to 0 and back elsewhere, which
        changes the order of its sums: results equal to ~1e-9 instead of bit for bit), so
        between solves only bounds and costs may change (new inflows, other prices).
        """
        opts = options or self.options
        self.reset_heads(opts)
        self._base_matrix = self.backend.highs.getLp().a_matrix_
        self.backend.highs.clearSolver()
        status, _ = self.backend.run(opts.algorithm, opts.time_limit_s, warm=False)
        self.base_basis = None
        if status == "optimal":
            self.store_basis()
        self.cold_starts = self.base_basis is None

    def solve(
        self, options: ModelOptions | None = None, *, fresh_heads: bool = True
    ) -> SolveReport:
        """Re-solve after updates, warm, with the head iteration (see
        :func:`nexusmodel.solve.update.resolve`); from :attr:`base_basis` when one is stored,
        else from the last solve's basis."""
        opts = options or self.options
        if self._base_matrix is not None:
            self._restore_matrix(self._base_matrix)
        if fresh_heads:
            self.reset_heads(opts)
        if self.base_basis is not None:
            self.backend.highs.setBasis(self.base_basis)
        status, seconds = self.backend.run(opts.algorithm, opts.time_limit_s)
        return finish_solve(self.model, self.backend, self.heads, status, {"solve": seconds}, opts)


def live_model(model: pyo.ConcreteModel, backend: HighsBackend) -> LiveModel:
    """The :class:`LiveModel` of a model compiled into ``backend`` (made on first use)."""
    live = getattr(backend, "live", None)
    if isinstance(live, LiveModel) and live.model is model and live.backend is backend:
        return live
    return LiveModel(model, backend)


def layout(model: pyo.ConcreteModel, backend: HighsBackend) -> Layout:
    """The :class:`~nexusmodel.solve.lpdata.Layout` of a live model."""
    return live_model(model, backend).layout
