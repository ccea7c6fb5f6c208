"""Rolling horizon: solve W months, keep the first K, carry the storage forward, move on.

``run_rolling(basin, options, window_months=12, keep_months=1)`` solves the horizon window
by window on window models built once per structure and updated in place
(:mod:`nexusmodel.modes.window`), and stitches the kept months into one results Dataset
with the same variables as the optimize mode (``attrs["mode"] == "rolling"``).

What the storage left at the end of a window is worth (``end``):

- ``"value"`` (default): the marginal value of water at each reservoir in a reference
  optimize run (``marginal_value`` of its results, USD/m3, in the window's last month)
  values the window's last storage: ``+ value * S[r, T_w]`` in the objective;
- ``"target"``: the window must leave the reference run's storage of that month (or the
  initial storage without a reference), each m3 short costing ``end_penalty_usd_per_m3``.

The window that reaches the end of the horizon takes the basin's own end rule instead
(``end_storage``: as much as at the start, a terminal value, or free), as the optimize
mode does. The windows see the true series of their months (a perfect forecast over W
months, none beyond): what rolling loses against optimize is the value of foresight beyond
the window.
"""

from __future__ import annotations

import time

from nexusmodel.basin.basin import Basin
from nexusmodel.basin.schema import ReservoirNode
from nexusmodel.model.components import demand, land
from nexusmodel.model.context import nodes_of_class
from nexusmodel.model.options import ModelOptions
from nexusmodel.modes.engine import (
    ModeRun,
    Reference,
    WindowPolicy,
    WindowRun,
    full_model_for,
    stitched_results,
    window_timings,
)
from nexusmodel.modes.seasons import add_window_season_rows
from nexusmodel.modes.stitch import Stitcher
from nexusmodel.modes.window import (
    Window,
    WindowModel,
    plan_windows,
)
from nexusmodel.solve.update import (
    set_end_storage_target,
    set_end_storage_value,
)


class RollingPolicy(WindowPolicy):
    """End-of-window storage valued (reference marginal values) or targeted."""

    def __init__(
        self,
        basin: Basin,
        end: str,
        reference: Reference | None,
        end_penalty_usd_per_m3: float,
    ) -> None:
        if end not in ("value", "target"):
            raise ValueError(f"end = {end!r}: use 'value' or 'target'")
        if end == "value" and reference is None:
            raise ValueError("end = 'value' needs a reference optimize run (its marginal values)")
        self.basin = basin
        self.end = end
        self.reference = reference
        self.penalty = end_penalty_usd_per_m3

    def end_rule(self, run: WindowRun, wm: WindowModel, win: Window) -> None:
        apply_end_rule(run, wm, win, self.end, self.reference, self.penalty)


def apply_end_rule(
    run: WindowRun,
    wm: WindowModel,
    win: Window,
    end: str,
    reference: Reference | None,
    penalty: float,
) -> None:
    """The basin's own end rule in the window reaching the horizon's end; else ``end``."""
    ids = run.reservoirs
    if not ids:
        return
    last = win.stop - 1
    if win.stop == run.n_steps:
        targets, values = {}, {}
        for r in ids:
            node = nodes_of_class(run.basin, ReservoirNode)[r]
            if node.end_storage == "initial":
                targets[r] = node.initial_storage_hm3
            else:
                values[r] = node.terminal_value_usd_per_m3 if node.end_storage == "value" else 0.0
        if targets:
            set_end_storage_target(wm.model, wm.backend, targets, None)
        if values:
            set_end_storage_value(wm.model, wm.backend, values)
        return
    if end == "free":
        set_end_storage_value(wm.model, wm.backend, 0.0)
    elif end == "value":
        assert reference is not None
        set_end_storage_value(
            wm.model,
            wm.backend,
            {r: max(float(reference.marginal_value[r][last]), 0.0) for r in ids},
        )
    else:
        targets = {
            r: float(reference.storage[r][last])
            if reference is not None
            else float(nodes_of_class(run.basin, ReservoirNode)[r].initial_storage_hm3)
            for r in ids
        }
        set_end_storage_target(wm.model, wm.backend, targets, penalty)


def run_rolling(
    basin: Basin,
    options: ModelOptions | None = None,
    *,
    window_months: int | None = None,
    keep_months: int | None = None,
    end: str = "value",
    reference: Reference | None = None,
    end_penalty_usd_per_m3: float = 1.0,
    provenance: dict[str, object] | None = None,
) -> ModeRun:
    """Rolling-horizon run of a basin with horizon series (see the module docstring).

    ``window_months``/``keep_months`` default to ``options.window_months``/``keep_months``
    (12 and 1). With ``end="value"`` and no ``reference``, an optimize run is made first.
    """
    start = time.perf_counter()
    options = options or ModelOptions()
    demand.check_window_modes(basin, options, "rolling")
    land.check_window_modes(basin, "rolling")
    window = window_months or options.window_months
    keep = keep_months or options.keep_months
    if end == "value" and reference is None:
        reference = Reference.optimize(basin, options)
    policy = RollingPolicy(basin, end, reference, end_penalty_usd_per_m3)
    run = WindowRun(basin, options, policy, extra_constraints=add_window_season_rows)
    full = full_model_for(basin, options, reference)
    stitcher = Stitcher(full)
    plan = plan_windows(run.n_steps, window, keep)
    loop_start = time.perf_counter()
    run.solve(plan, stitcher)
    loop = time.perf_counter() - loop_start
    ds, report = stitched_results(
        run,
        full,
        stitcher,
        "rolling",
        provenance,
        window_timings(run.stats, loop),
        {"window_months": window, "keep_months": keep, "end_rule": end, "rules": "none"},
    )
    return ModeRun("rolling", ds, report, full, run.stats, time.perf_counter() - start)
