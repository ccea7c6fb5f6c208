"""The dry years of each run: a small table of what the driest years of its horizon bring.

The dry years of a run are the (up to) three calendar years with the least natural inflow
(``inflow`` summed over the sources), shown when its years differ by more than 1 % (a climatology run repeats
one year: nothing to show). Per dry year: natural inflow, irrigation delivered and short
(km3), inflow to the terminal lakes (km3) and hydropower in the winter (October-March) and
summer (April-September) of that calendar year (GWh).
"""

from __future__ import annotations

import numpy as np
import xarray as xr

from nexusmodel.report.formatting import esc
from nexusmodel.report.runs import ReportRun

__all__ = ["dry_years", "dry_years_section", "dry_years_table"]

N_DRY = 3
WINTER = (10, 11, 12, 1, 2, 3)
COLUMNS = (
    ("natural inflow", "km3"),
    ("irrigation delivered", "km3"),
    ("irrigation short", "km3"),
    ("terminal lake inflow", "km3"),
    ("hydropower Oct-Mar", "GWh"),
    ("hydropower Apr-Sep", "GWh"),
)


def _by_year(da: xr.DataArray, ds: xr.Dataset) -> np.ndarray:
    return da.groupby(ds["time"].dt.year).sum().to_numpy()


def dry_years(ds: xr.Dataset) -> list[int]:
    """The up to three years with the least natural inflow; [] if every year has the same."""
    if "inflow" not in ds or "node_type" not in ds.coords:
        return []
    sources = ds["node_type"] == "source"
    annual = ds["inflow"].where(sources).sum("node").groupby(ds["time"].dt.year).sum()
    values = annual.to_numpy()
    if values.size < 2 or np.ptp(values) <= 0.01 * abs(values).mean():  # leap days aside
        return []
    order = np.argsort(values, kind="stable")[:N_DRY]
    return sorted(int(annual["year"].values[i]) for i in order)


def dry_years_table(ds: xr.Dataset) -> dict[int, tuple[float, ...]]:
    """Year -> the :data:`COLUMNS` values of each dry year of ``ds``."""
    years = dry_years(ds)
    if not years:
        return {}
    all_years = list(np.unique(ds["time"].dt.year.to_numpy()))
    kind = ds["node_type"]
    irrigation = kind == "irrigation"
    inflow = _by_year(ds["inflow"].where(kind == "source").sum("node"), ds) / 1000
    delivered = _by_year(ds["delivery"].where(irrigation).sum("node"), ds) / 1000
    demand = _by_year(ds["demand"].where(irrigation).sum("node"), ds) / 1000
    terminal = (
        ds["env_flow"].where(ds["node_terminal"]).sum("node")
        if "env_flow" in ds and "node_terminal" in ds.coords
        else xr.zeros_like(ds["time"], dtype=float)
    )
    lake = _by_year(terminal, ds) / 1000
    winter = ds["time"].dt.month.isin(WINTER)
    energy = ds["energy"].sum("node") if "energy" in ds else xr.zeros_like(ds["time"], float)
    hydro_w = _by_year(energy.where(winter, 0.0), ds)
    hydro_s = _by_year(energy.where(~winter, 0.0), ds)
    out: dict[int, tuple[float, ...]] = {}
    for y in years:
        i = all_years.index(y)
        out[y] = (
            float(inflow[i]),
            float(delivered[i]),
            float(demand[i] - delivered[i]),
            float(lake[i]),
            float(hydro_w[i]),
            float(hydro_s[i]),
        )
    return out


def dry_years_section(runs: list[ReportRun]) -> str:
    """HTML: one table of the dry years per run that has them ("" when none has)."""
    parts = []
    for run in runs:
        table = dry_years_table(run.ds)
        if not table:
            continue
        head = "".join(
            f'<th scope="col" class="num">{esc(name)} ({esc(unit)})</th>' for name, unit in COLUMNS
        )
        rows = "".join(
            f'<tr><th scope="row">{year}</th>'
            + "".join(
                f'<td class="num">{v:,.2f}</td>'
                if unit == "km3"
                else f'<td class="num">{v:,.0f}</td>'
                for v, (_n, unit) in zip(values, COLUMNS, strict=True)
            )
            + "</tr>"
            for year, values in table.items()
        )
        parts.append(
            f'<table class="dry-years" data-scenario="{esc(run.label)}">'
            f"<caption>{esc(run.label)}: the {len(table)} years of least natural inflow</caption>"
            f'<thead><tr><th scope="col">year</th>{head}</tr></thead><tbody>{rows}</tbody></table>'
        )
    return "\n".join(parts)
