"""A model built once and re-solved warm: new inflows, new costs, new right-hand sides.

``PersistentModel(basin, options)`` builds the Pyomo model and compiles it into one live
model (:class:`~nexusmodel.solve.live.LiveModel`: the Pyomo model, its HiGHS backend, the
data and heads it holds). Ensemble members and frontier points then change only the data
that differs, in place, and re-solve warm, through :mod:`nexusmodel.solve.update`:

- ``set_inflow(inflow_m3s)``: new natural inflows go into the bounds of the water-balance
  rows (:func:`~nexusmodel.solve.update.update_inflows`), nothing else changes;
- ``solve()``: :meth:`~nexusmodel.solve.live.LiveModel.solve`, warm, with the head
  iteration started from the build's point; after ``fix_warm_start()`` every solve starts
  from the basis of the option's own data, so that a member's answer (its flows, not only
  its objective: a degenerate LP has alternative optima) does not depend on the members
  solved before it on the same worker.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

import numpy as np
import pandas as pd
import pyomo.environ as pyo
from pyomo.repn import generate_standard_repn

from nexusmodel.basin.basin import Basin
from nexusmodel.model import BuildContext, ModelOptions
from nexusmodel.model.balance import exogenous_inflow_hm3
from nexusmodel.solve import SolveReport
from nexusmodel.solve.highs import HighsBackend
from nexusmodel.solve.live import LiveModel
from nexusmodel.solve.slp import HeadLinearization
from nexusmodel.solve.update import update_inflows


class PersistentModel:
    """One build of a basin kept alive in HiGHS for many warm re-solves."""

    def __init__(
        self,
        basin: Basin,
        options: ModelOptions,
        extra_constraints: Callable[[pyo.ConcreteModel, BuildContext], None] | None = None,
    ) -> None:
        self.options = options
        self.live = LiveModel.build(basin, options, extra_constraints)
        self.build_seconds = self.live.build_seconds

    @property
    def model(self) -> pyo.ConcreteModel:
        return self.live.model

    @property
    def backend(self) -> HighsBackend:
        return self.live.backend

    @property
    def lin(self) -> HeadLinearization:
        return self.live.heads

    @property
    def context(self) -> BuildContext:
        return self.live.context

    def fix_warm_start(self) -> None:
        """Start every later :meth:`solve` from the basis of the model's own data
        (:meth:`~nexusmodel.solve.live.LiveModel.fix_warm_start`)."""
        self.live.fix_warm_start()

    def set_inflow(self, inflow_m3s: pd.DataFrame) -> None:
        """Natural inflows (m3/s, the horizon's months x sources) in place of the current ones."""
        ctx = self.context
        columns = list(ctx.series.inflow_m3s.columns)
        missing = [s for s in columns if s not in inflow_m3s.columns]
        if missing or len(inflow_m3s) != len(ctx.series.inflow_m3s):
            raise ValueError(
                f"inflows must cover the horizon's {len(ctx.series.inflow_m3s)} months and "
                f"every source; missing sources: {missing}"
            )
        series = dataclasses.replace(ctx.series, inflow_m3s=inflow_m3s[columns])
        member = dataclasses.replace(ctx, series=series)
        update_inflows(self.model, self.backend, exogenous_inflow_hm3(member))

    def solve(self, *, slp: bool = True, diagnose: bool | None = None) -> SolveReport:
        """Re-solve warm. ``slp=False``: keep the heads' linearization as it stands (no head
        iteration); ``diagnose=False``: an infeasible run raises without the elastic
        diagnosis. Raises like :func:`nexusmodel.solve.solve`."""
        update: dict[str, object] = {}
        if not slp:
            update["head"] = "fixed"
        if diagnose is not None:
            update["diagnose_infeasible"] = diagnose
        opts = self.options.model_copy(update=update) if update else self.options
        return self.live.solve(opts, fresh_heads=slp)

    def coefficients(self, expr: object) -> np.ndarray:
        """The column coefficients of a linear Pyomo expression (its constant is dropped)."""
        repn = generate_standard_repn(expr, compute_values=True, quadratic=False)
        if repn.nonlinear_vars or repn.quadratic_vars:
            raise ValueError("the expression is not linear")
        out = np.zeros(self.backend.highs.getNumCol())
        for var, coef in zip(repn.linear_vars, repn.linear_coefs, strict=True):
            col = self.backend.column.get(id(var), -1)
            if col >= 0:
                out[col] += float(coef)
        return out
