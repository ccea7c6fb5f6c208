"""What a run returns, whatever its mode: :class:`RunResult`.

``run_scenario`` (optimize, rolling or simulate), :func:`nexusmodel.modes.run_modes`, the
CLI and :func:`nexusmodel.compare` all hand back this one type; its ``results`` Dataset
says its mode in ``attrs["mode"]``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import xarray as xr

if TYPE_CHECKING:
    import pyomo.environ as pyo

    from nexusmodel.modes.window import WindowStats
    from nexusmodel.solve import SolveReport


@dataclass
class RunResult:
    """One run in one mode.

    - ``mode``: ``"optimize"``, ``"rolling"`` or ``"simulate"`` (also ``results.attrs["mode"]``);
    - ``results``: the tidy results Dataset (variables, units and provenance in ``attrs``);
    - ``report``: the solver's report (status, objective in million USD, timings in s);
    - ``model``: the full-horizon Pyomo model the results are extracted from;
    - ``stats``: per-window statistics of a rolling or simulate run (``None`` for optimize);
    - ``seconds``: wall time of the whole run (s).
    """

    mode: str
    results: xr.Dataset
    report: SolveReport
    model: pyo.ConcreteModel
    stats: WindowStats | None = None
    seconds: float = 0.0

    @property
    def timings(self) -> dict[str, float]:
        """Seconds by stage (``build``, ``solve``, ...), from the solver's report."""
        return self.report.timings


#: The former name of :class:`RunResult` (the modes returned it before the types merged).
ModeRun = RunResult

__all__ = ["ModeRun", "RunResult"]
