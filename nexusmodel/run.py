"""``run_scenario``: the whole pipeline in one call, each stage a plain function.

scenario = load_scenario(path)            # validated, inheritance resolved
basin = apply_scenario(load_basin(scenario.basin_path), scenario)
model = build_model(basin, scenario.solve)
report = solve(model)
results = extract_results(model, report, provenance)
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

import xarray as xr

from nexusmodel.basin import load_basin
from nexusmodel.model import build_model
from nexusmodel.results import extract_results
from nexusmodel.scenario import Scenario, apply_scenario, load_scenario
from nexusmodel.solve import SolveReport, solve


@dataclass(frozen=True)
class RunOutput:
    results: xr.Dataset
    report: SolveReport


def run_scenario(scenario: Scenario | str | Path) -> RunOutput:
    """Load, apply, build, solve and extract one scenario; the results carry provenance."""
    if not isinstance(scenario, Scenario):
        scenario = load_scenario(scenario)
    start = time.perf_counter()
    basin = apply_scenario(load_basin(scenario.basin_path), scenario)
    model = build_model(basin, scenario.options)
    build_seconds = time.perf_counter() - start
    report = solve(model)
    report.timings = {"build": build_seconds, **report.timings}
    results = extract_results(model, report, scenario.provenance(basin))
    return RunOutput(results, report)
