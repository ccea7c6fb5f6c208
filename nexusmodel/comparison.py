"""Compare scenarios: run them (or read results on disk), tabulate key results, build a cube.

``compare_scenarios(items)`` (also ``nexusmodel.compare``) runs scenario files and reads
``.nc`` results files, in order; :func:`key_results_table` puts their key results side by
side with the difference of each against the first; :func:`scenario_cube` stacks the results
along a ``scenario`` dim (one Dataset, written atomically by
``nexusmodel.results.io.write_results``). The settings a scenario changes relative to its
parent (no run needed) are in :mod:`nexusmodel.scenario.diff`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import xarray as xr

from nexusmodel.indicators import KEY_RESULTS, key_results_dict
from nexusmodel.modes.result import RunResult
from nexusmodel.results.io import read_results
from nexusmodel.run import run_scenario
from nexusmodel.scenario.load import Scenario, load_scenario

#: Results attributes that differ between scenarios become coordinates on ``scenario``.
NUMERIC_PER_SCENARIO = ("objective_musd",)


@dataclass(frozen=True)
class Compared:
    """Labels and results of the compared scenarios, in the order given (first = reference)."""

    names: tuple[str, ...]
    results: tuple[xr.Dataset, ...]

    def table(self) -> pd.DataFrame:
        return key_results_table(self.names, self.results)

    def cube(self) -> xr.Dataset:
        return scenario_cube(self.names, self.results)

    def ledgers(self) -> pd.DataFrame:
        return ledger_table(self.names, self.results)


def _labels(items: Sequence[str | Path | Scenario]) -> list[str]:
    """Scenario names or file stems, made unique (``a``, ``a.nc`` -> ``a``, ``a (2)``)."""
    out: list[str] = []
    for item in items:
        if isinstance(item, Scenario):
            stem = item.name
        elif isinstance(item, Path) or str(item).endswith((".yaml", ".yml", ".nc")):
            stem = Path(item).stem
        else:
            stem = str(item)
        label, k = stem, 2
        while label in out:
            label, k = f"{stem} ({k})", k + 1
        out.append(label)
    return out


def run_one(
    item: str | Path | Scenario, years: int | None = None
) -> list[tuple[str | None, xr.Dataset]]:
    """The results of one scenario file or Scenario (run in its solve mode) or results file
    (``.nc``, read): one ``(None, results)``, or ``(mode, results)`` for each mode of a scenario
    whose ``solve.mode`` is ``all``."""
    if not isinstance(item, Scenario) and Path(item).suffix == ".nc":
        return [(None, read_results(item))]
    scenario = item if isinstance(item, Scenario) else load_scenario(item)
    if years is not None:
        scenario = scenario.with_horizon(years)
    run = run_scenario(scenario)
    if isinstance(run, RunResult):
        return [(None, run.results)]
    return [(mode, one.results) for mode, one in run.items()]


def _read(path: Path) -> list[tuple[str | None, xr.Dataset]]:
    """A results file: one run (label None), or every scenario of a cube."""
    from nexusmodel.errors import InputError, Problem

    try:
        ds = read_results(path)
    except (OSError, ValueError) as exc:
        raise InputError(
            [
                Problem(
                    str(path), f"cannot read results: {exc}", "give a file written by nexusmodel"
                )
            ],
            title="cannot compare",
        ) from None
    if "scenario" not in ds.dims:
        return [(None, ds)]
    out: list[tuple[str | None, xr.Dataset]] = []
    for name in ds["scenario"].values.tolist():
        one = ds.sel(scenario=name).drop_vars("scenario")
        one = one.drop_vars([c for c in one.coords if c not in one.dims and one[c].ndim == 0])
        out.append((str(name), one))
    return out


def compare_scenarios(
    items: Sequence[str | Path | Scenario],
    years: int | None = None,
    on_start: Callable[[int, int, str], None] | None = None,
    on_done: Callable[[int, int, str], None] | None = None,
) -> Compared:
    """Run (or read) every item in order; ``years`` shortens the horizon of runs.

    Items are scenario files or Scenarios (run) and results files (``.nc``, read; a cube
    written by ``compare -o`` gives all its scenarios). ``on_start(i, n, label)`` /
    ``on_done(i, n, label)`` report progress on item i of n (e.g. a progress bar). Every scenario file is
    loaded first, so a mistake in any of them stops before anything is solved. Each scenario
    runs in its ``solve.mode``; one whose mode is ``all`` gives three columns,
    ``name (optimize)``, ``name (rolling)`` and ``name (simulate)``.
    """
    if not items:
        raise ValueError("give at least one scenario or results file")
    entries: list[tuple[str, Scenario | xr.Dataset]] = []
    for item, label in zip(items, _labels(items), strict=True):
        if isinstance(item, Scenario):
            entries.append((label, item))
        elif Path(item).suffix == ".nc":
            entries += [(name or label, ds) for name, ds in _read(Path(item))]
        else:
            entries.append((label, load_scenario(item)))
    labelled = _labels([name for name, _ in entries])
    runs: list[tuple[str, xr.Dataset]] = []
    for i, (name, (_, entry)) in enumerate(zip(labelled, entries, strict=True)):
        if on_start:
            on_start(i, len(entries), name)
        if isinstance(entry, xr.Dataset):
            runs.append((name, entry))
        else:
            runs += [
                (name if m is None else f"{name} ({m})", ds) for m, ds in run_one(entry, years)
            ]
        if on_done:
            on_done(i, len(entries), name)
    names = _labels([name for name, _ in runs])
    results = [ds for _, ds in runs]
    return Compared(tuple(names), tuple(results))


def key_results_table(names: Sequence[str], results: Sequence[xr.Dataset]) -> pd.DataFrame:
    """Key results (rows, with units) by scenario (columns), computed run by run."""
    values = {name: key_results_dict(ds) for name, ds in zip(names, results, strict=True)}
    frame = pd.DataFrame(values)
    frame.index = pd.Index(list(frame.index), name="key result")
    frame.insert(0, "unit", [KEY_RESULTS.get(k, "") for k in frame.index])
    return frame


#: the country ledger's rows :func:`ledger_table` shows (:mod:`nexusmodel.results.ledgers`)
LEDGER_ITEMS = (
    "water_received_km3_per_yr",
    "water_passed_km3_per_yr",
    "exchange_received_gwh_per_yr",
    "exchange_delivered_gwh_per_yr",
    "compensation_owed_gwh_per_yr",
    "compensation_paid_gwh_per_yr",
    "compensation_transfer_musd",
    "trade_transfer_musd",
    "net_benefit_musd",
)


def ledger_table(names: Sequence[str], results: Sequence[xr.Dataset]) -> pd.DataFrame:
    """The country ledgers side by side: rows (country, item of :data:`LEDGER_ITEMS`),
    a column per scenario. The money items need the run's basin (found from the results'
    attributes, as the report finds it); without it they are NaN."""
    from nexusmodel.report.runs import load_run
    from nexusmodel.results.ledgers import country_ledger

    columns = {}
    for name, ds in zip(names, results, strict=True):
        basin = load_run(ds)[0].basin
        try:
            frame = country_ledger(ds, basin)
        except KeyError:  # a basin that is not the run's
            frame = country_ledger(ds)
        frame = frame.reindex(columns=list(LEDGER_ITEMS))
        columns[name] = frame.stack(future_stack=True)
    table = pd.DataFrame(columns)
    table.index.names = ["country", "item"]
    return table


def differences(table: pd.DataFrame) -> pd.DataFrame:
    """Each scenario's key results minus the first scenario's."""
    values = table.drop(columns="unit")
    return values.sub(values.iloc[:, 0], axis=0)


def _fill(dtype: np.dtype) -> Any:
    if dtype.kind == "b":
        return False
    if dtype.kind in "US O":
        return ""
    return np.nan


def scenario_cube(names: Sequence[str], results: Sequence[xr.Dataset]) -> xr.Dataset:
    """One Dataset with a leading ``scenario`` dim (nodes, links and times are unioned).

    Coordinates on one dim (``node_type``, ``link_from``...) are merged over the scenarios;
    attributes equal in every run stay attributes, the others become coordinates on
    ``scenario`` (``objective_musd`` a variable, so the indicators find it per scenario).
    """
    names = list(names)
    side: dict[str, tuple[str, dict[Any, Any], np.dtype]] = {}
    for ds in results:
        for cname, coord in ds.coords.items():
            if cname in ds.dims or coord.ndim != 1:
                continue
            dim = coord.dims[0]
            _, mapping, dtype = side.setdefault(str(cname), (dim, {}, coord.dtype))
            for key, value in zip(ds[dim].values.tolist(), coord.values.tolist(), strict=True):
                mapping.setdefault(key, value)
    keys = sorted({k for ds in results for k in ds.attrs})
    common = {}
    per_scenario: dict[str, list[Any]] = {}
    for key in keys:
        values = [ds.attrs.get(key) for ds in results]
        if (
            all(v is not None for v in values)
            and all(str(v) == str(values[0]) for v in values)
            and key not in NUMERIC_PER_SCENARIO
        ):
            common[key] = values[0]
        else:
            per_scenario[key] = values
    stripped = [ds.drop_vars(list(side), errors="ignore").assign_attrs({}) for ds in results]
    for ds in stripped:
        ds.attrs = {}
    cube = xr.concat(
        stripped,
        dim=pd.Index(names, name="scenario"),
        join="outer",
        data_vars="all",
        coords="different",
        compat="equals",
        combine_attrs="drop",
        fill_value=np.nan,
    )
    for cname, (dim, mapping, dtype) in side.items():
        fill = _fill(dtype)
        cube = cube.assign_coords(
            {cname: (dim, [mapping.get(k, fill) for k in cube[dim].values.tolist()])}
        )
    for key, values in per_scenario.items():
        if key == "scenario":
            key = "scenario_name"  # the run's own name (the label is the index)
        elif key in cube.variables and key not in NUMERIC_PER_SCENARIO:
            key = f"attr_{key}"
        if key in NUMERIC_PER_SCENARIO:
            cube[key] = xr.DataArray(
                np.array([np.nan if v is None else float(v) for v in values]), dims="scenario"
            )
            continue
        clean = ["" if v is None else (int(v) if isinstance(v, bool) else v) for v in values]
        if not all(isinstance(v, int | float) and not isinstance(v, bool) for v in clean):
            clean = [str(v) for v in clean]
        cube = cube.assign_coords({key: ("scenario", clean)})
    cube.attrs = dict(common)
    cube.attrs["scenarios"] = ", ".join(names)
    return cube


def format_value(value: float, signed: bool = False) -> str:
    """A key result for a table: thousands separators, 2 decimals below 100, '-' for NaN."""
    if value is None or not np.isfinite(value):
        return "-"
    sign = "+" if signed else ""
    return f"{value:{sign},.0f}" if abs(value) >= 100 else f"{value:{sign},.2f}"


#: ``nexusmodel.compare``: the public name of :func:`compare_scenarios`.
compare = compare_scenarios
