"""The runs a report shows: results files or Datasets, with the scenario and basin behind them.

The basin (positions for the map, reservoir capacities, the sources file) is found from the
results' attributes: ``basin_path`` if present, else the scenario file named by
``scenario_chain``/``scenario_file``; ``basin=`` overrides both.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import xarray as xr

from nexusmodel.errors import InputError, NexusModelError, Problem
from nexusmodel.results.io import read_results

if TYPE_CHECKING:
    from nexusmodel.basin.basin import Basin
    from nexusmodel.scenario import Scenario

__all__ = ["ReportRun", "as_basin", "load_results_file", "load_run", "unique_labels"]


@dataclass(frozen=True)
class ReportRun:
    """One run in the report: its label, results, and (when found) file, scenario and basin."""

    label: str
    ds: xr.Dataset
    path: Path | None = None
    scenario: Scenario | None = None
    basin: Basin | None = None


def load_results_file(path: str | Path) -> xr.Dataset:
    """Read a results NetCDF; a missing or unreadable file is an :class:`InputError`."""
    path = Path(path)
    if not path.is_file():
        raise InputError(
            [
                Problem(
                    str(path), "no such file", "give a results file written by 'nexusmodel run -o'"
                )
            ],
            title="cannot read results",
        )
    try:
        return read_results(path)
    except (OSError, ValueError) as exc:
        raise InputError(
            [Problem(str(path), f"not a results NetCDF file ({exc.__class__.__name__}: {exc})")],
            title="cannot read results",
        ) from None


def _scenario_path(ds: xr.Dataset) -> Path | None:
    chain = str(ds.attrs.get("scenario_chain", "")).split(" <- ")[0].strip()
    for candidate in (chain, str(ds.attrs.get("scenario_file", "")).strip()):
        if candidate and Path(candidate).is_file():
            return Path(candidate)
    return None


def _find_scenario(ds: xr.Dataset) -> Scenario | None:
    path = _scenario_path(ds)
    if path is None:
        return None
    from nexusmodel.scenario import load_scenario

    try:
        return load_scenario(path)
    except (NexusModelError, OSError, ValueError):
        return None


def _find_basin(ds: xr.Dataset, scenario: Scenario | None) -> Basin | None:
    from nexusmodel.basin import load_basin

    folder = ds.attrs.get("basin_path") or ds.attrs.get("basin_dir")
    try:
        if folder and Path(str(folder)).exists():
            basin = load_basin(str(folder))
        elif scenario is not None:
            from nexusmodel.scenario import apply_scenario

            basin = apply_scenario(load_basin(scenario.basin_path), scenario)
        else:
            return None
    except (NexusModelError, OSError, ValueError):
        return None
    name = ds.attrs.get("basin")
    return basin if not name or name == basin.name else None


def as_basin(basin: Basin | str | Path | None) -> Basin | None:
    if basin is None or not isinstance(basin, str | Path):
        return basin
    from nexusmodel.basin import load_basin

    return load_basin(basin)


def load_run(
    source: str | Path | xr.Dataset,
    *,
    label: str | None = None,
    basin: Basin | str | Path | None = None,
) -> list[ReportRun]:
    """The run(s) of a results file or Dataset; a scenario cube gives one run per scenario."""
    path = None if isinstance(source, xr.Dataset) else Path(source)
    ds = source if isinstance(source, xr.Dataset) else load_results_file(source)
    if "member" in ds.dims:
        raise InputError(
            [
                Problem(
                    str(path or "results"),
                    "is an ensemble (a 'member' dim)",
                    "report single runs or a scenario cube",
                )
            ],
            title="cannot report",
        )
    scenario = _find_scenario(ds)
    found = as_basin(basin) or _find_basin(ds, scenario)
    if "scenario" in ds.dims:
        runs = []
        for value in np.asarray(ds["scenario"].values):
            one = ds.sel(scenario=value)
            one.attrs = {**ds.attrs, "scenario": str(value)}
            runs.append(ReportRun(str(value), one, path, None, found))
        return runs
    name = label or str(ds.attrs.get("scenario") or (path.stem if path else "run"))
    return [ReportRun(name, ds, path, scenario, found)]


def unique_labels(runs: list[ReportRun]) -> list[ReportRun]:
    seen: dict[str, int] = {}
    out = []
    for run in runs:
        label = run.label
        if label in seen:
            seen[label] += 1
            stem = run.path.stem if run.path is not None else ""
            label = stem if stem and stem not in seen else f"{label} ({seen[run.label]})"
        seen.setdefault(label, 1)
        out.append(replace(run, label=label))
    return out
