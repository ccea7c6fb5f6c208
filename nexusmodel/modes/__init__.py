"""Three solve modes on one model: perfect foresight, rolling horizon, monthly simulation.

- ``optimize``: the whole horizon at once (:func:`run_optimize`), a planner's upper bound;
- ``rolling``: W months solved, K kept, storage carried on (:func:`run_rolling`);
- ``simulate``: month by month with reservoir rule curves and zones (:func:`run_simulate`).

All three build the same components (a window model is ``build_model`` on a slice of the
horizon), take the objective kind from the options (economic or priority), and return a
:class:`~nexusmodel.modes.result.RunResult` whose ``results`` Dataset has the same
variables, coordinates and attributes, with ``attrs["mode"]``. :mod:`nexusmodel.modes.foresight`
compares them; :func:`nexusmodel.run.run_scenario` runs a scenario file in its mode.
"""

from __future__ import annotations

import time

from nexusmodel.basin.basin import Basin
from nexusmodel.model import build_model
from nexusmodel.model.options import ModelOptions
from nexusmodel.modes.engine import Reference
from nexusmodel.modes.result import ModeRun, RunResult
from nexusmodel.modes.rolling import run_rolling
from nexusmodel.modes.simulate import ReservoirRules, run_simulate
from nexusmodel.results import extract_results
from nexusmodel.solve import solve

MODES = ("optimize", "rolling", "simulate")


def run_optimize(
    basin: Basin, options: ModelOptions | None = None, provenance: dict[str, object] | None = None
) -> RunResult:
    """Perfect foresight: build the whole horizon, solve, extract (``attrs["mode"]``)."""
    start = time.perf_counter()
    options = options or ModelOptions()
    model = build_model(basin, options)
    build = time.perf_counter() - start
    report = solve(model)
    report.timings = {"build": build, **report.timings}
    report.timings["windows"] = time.perf_counter() - start  # the one window: the horizon
    ds = extract_results(model, report, {**(provenance or {}), "mode": "optimize"})
    n_steps = ds.sizes["time"]
    ds.attrs.update(
        mode="optimize",
        windows=1,
        window_models_built=0,
        window_months=n_steps,
        keep_months=n_steps,
        end_rule="basin",
        rules="none",
    )
    return RunResult("optimize", ds, report, model, None, time.perf_counter() - start)


def run_modes(
    basin: Basin,
    options: ModelOptions | None = None,
    modes: tuple[str, ...] = MODES,
    provenance: dict[str, object] | None = None,
) -> dict[str, RunResult]:
    """Run several modes of one basin; rolling and simulation borrow from the optimize run
    (marginal values of storage, storage by calendar month for the rule curves)."""
    options = options or ModelOptions()
    unknown = sorted(set(modes) - set(MODES))
    if unknown:
        raise ValueError(f"unknown modes {unknown}: use {', '.join(MODES)}")
    out: dict[str, RunResult] = {}
    out["optimize"] = run_optimize(basin, options, provenance)  # the reference of the others
    reference = Reference.from_run(out["optimize"])
    if "rolling" in modes:
        out["rolling"] = run_rolling(basin, options, reference=reference, provenance=provenance)
    if "simulate" in modes:
        out["simulate"] = run_simulate(basin, options, reference=reference, provenance=provenance)
    return {m: out[m] for m in MODES if m in modes}


__all__ = [
    "MODES",
    "ModeRun",
    "Reference",
    "ReservoirRules",
    "RunResult",
    "run_modes",
    "run_optimize",
    "run_rolling",
    "run_simulate",
]
