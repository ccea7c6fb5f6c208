"""Indicator tables of a results Dataset (pandas), for the terminal, CSV files and the report.

:func:`indicator_tables` computes every table from :mod:`nexusmodel.indicators` (a table
whose variables are missing from the results is left out); :func:`write_tables` writes
them as CSV files, each atomically; :func:`rich_table` renders one for the terminal.
Column names are ``snake_case`` with the unit at the end (``coverage_pct``,
``demand_km3_per_yr``); :func:`display_name` turns them into readable headers.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import xarray as xr
from rich.table import Table

from nexusmodel import indicators as ind
from nexusmodel.report._atomic import write_text_atomic

__all__ = [
    "IndicatorTable",
    "display_name",
    "indicator_tables",
    "key_results_table",
    "rich_table",
    "write_tables",
]

_RUN_DIMS = ("scenario", "member")
_UNIT_SUFFIXES = (
    ("_km3_per_yr", " (km3/yr)"),
    ("_gwh_per_yr", " (GWh/yr)"),
    ("_kt_per_yr", " (kt/yr)"),
    ("_musd_per_yr", " (million USD/yr)"),
    ("_usd_per_m3", " (USD/m3)"),
    ("_kg_per_m3", " (kg/m3)"),
    ("_hm3", " (hm3)"),
    ("_pct", " (%)"),
)


@dataclass(frozen=True)
class IndicatorTable:
    """One table: ``name`` (the CSV file stem), ``title``, the ``frame`` and a number format."""

    name: str
    title: str
    frame: pd.DataFrame
    fmt: str = "{:,.2f}"


def display_name(column: str) -> str:
    """``coverage_pct`` -> ``coverage (%)``; ``demand_km3_per_yr`` -> ``demand (km3/yr)``."""
    for suffix, text in _UNIT_SUFFIXES:
        if column.endswith(suffix):
            return column[: -len(suffix)].replace("_", " ") + text
    return column.replace("_", " ")


def _run_dim(ds: xr.Dataset) -> str | None:
    return next((d for d in _RUN_DIMS if d in ds.dims), None)


def key_results_table(ds: xr.Dataset) -> pd.DataFrame:
    """:func:`~nexusmodel.indicators.key_results` as a table: one row per key result.

    A single run gives columns ``value`` and ``unit``; a cube one column per scenario (or
    member) label, then ``unit``.
    """
    kr = ind.key_results(ds)
    dim = _run_dim(kr)
    index = pd.Index(list(kr.data_vars), name="indicator")
    if dim is None:
        frame = pd.DataFrame({"value": [float(kr[k].values) for k in index]}, index=index)
    else:
        labels = [str(v) for v in np.asarray(kr[dim].values)]
        frame = pd.DataFrame(
            {
                lab: [float(kr[k].isel({dim: i}).values) for k in index]
                for i, lab in enumerate(labels)
            },
            index=index,
        )
    frame["unit"] = [kr[k].attrs.get("units", "") for k in index]
    return frame


def _requirement(ds: xr.Dataset) -> tuple[list[str], np.ndarray, np.ndarray]:
    """Demand and environment nodes with their required and supplied totals (hm3).

    Demand nodes: ``demand`` and ``delivery``; environment nodes: ``env_requirement`` and
    ``env_requirement - env_deficit``. NaN counts as 0.
    """
    types = np.asarray(ds["node_type"].values).astype(str)
    nodes = [str(n) for n, t in zip(ds["node"].values, types, strict=True) if t in ind.SECTORS]
    required, supplied = [], []
    for node in nodes:
        if str(ds["node_type"].sel(node=node).values) == "environment":
            r = float(ds["env_requirement"].sel(node=node).fillna(0.0).sum())
            s = r - float(ds["env_deficit"].sel(node=node).fillna(0.0).sum())
        else:
            r = float(ds["demand"].sel(node=node).fillna(0.0).sum())
            s = float(ds["delivery"].sel(node=node).fillna(0.0).sum())
        required.append(r)
        supplied.append(s)
    return nodes, np.asarray(required), np.asarray(supplied)


def _supply(ds: xr.Dataset, by: str) -> pd.DataFrame:
    years = ds.sizes["time"] / 12.0
    coverage = ind.supply_coverage(ds, by=by)
    h = ind.hashimoto(ds, by=by, node_types=ind.SECTORS)
    nodes, required, supplied = _requirement(ds)
    if by == "node":
        keys = nodes
    else:
        coord = "node_country" if by == "country" else "node_type"
        keys = [str(ds[coord].sel(node=n).values) for n in nodes]
    req = pd.Series(required, index=keys, dtype=float).groupby(level=0, sort=False).sum()
    sup = pd.Series(supplied, index=keys, dtype=float).groupby(level=0, sort=False).sum()
    labels = [str(v) for v in np.asarray(coverage[by].values)]
    frame = pd.DataFrame(index=pd.Index(labels, name=by))
    if by == "node":
        frame["name"] = [str(ds["node_name"].sel(node=n).values) for n in labels]
        frame["country"] = [str(ds["node_country"].sel(node=n).values) for n in labels]
    frame["required_km3_per_yr"] = req.reindex(labels).to_numpy() / 1e3 / years
    frame["supplied_km3_per_yr"] = sup.reindex(labels).to_numpy() / 1e3 / years
    frame["coverage_pct"] = 100.0 * coverage.values
    for name in ("reliability", "resilience", "vulnerability"):
        frame[f"{name}_pct"] = 100.0 * h[name].reindex({by: labels}).values
    return frame


def _energy(ds: xr.Dataset) -> pd.DataFrame:
    annual = ind.hydropower_generation(ds, by="country").to_pandas()
    winter = ind.hydropower_generation(ds, by="country", season="winter").to_pandas()
    summer = ind.hydropower_generation(ds, by="country", season="summer").to_pandas()
    thermal = ind.thermal_replacement(ds)
    countries = list(
        dict.fromkeys([*map(str, np.asarray(ds["country"].values)), *map(str, annual.index)])
    )
    frame = pd.DataFrame(index=pd.Index(countries, name="country"))
    frame["hydropower_gwh_per_yr"] = annual.reindex(countries).fillna(0.0).to_numpy()
    frame["hydropower_winter_gwh_per_yr"] = winter.reindex(countries).fillna(0.0).to_numpy()
    frame["hydropower_summer_gwh_per_yr"] = summer.reindex(countries).fillna(0.0).to_numpy()
    frame["thermal_gwh_per_yr"] = thermal["thermal"].to_pandas().reindex(countries).to_numpy()
    frame["thermal_cost_musd_per_yr"] = (
        thermal["thermal_cost"].to_pandas().reindex(countries).to_numpy()
    )
    return frame


def _accounts(ds: xr.Dataset) -> pd.DataFrame:
    acc = ind.water_accounts(ds)
    frame = pd.DataFrame({k: acc[k].to_pandas() for k in acc.data_vars})
    frame.index.name = "country"
    return frame.add_suffix("_km3_per_yr")


def _food(ds: xr.Dataset) -> pd.DataFrame:
    frame = pd.DataFrame(
        {
            "production_kt_per_yr": ind.food_production(ds, "crop").to_pandas() / 1e3,
            "income_musd_per_yr": ind.agricultural_income(ds, "crop").to_pandas(),
            "net_water_productivity_kg_per_m3": ind.water_productivity(ds)[
                "net_by_crop"
            ].to_pandas(),
        }
    )
    frame.index.name = "crop"
    return frame


def _marginal_value(ds: xr.Dataset) -> pd.DataFrame:
    mv = ind.marginal_value_of_water(ds)
    frame = mv.transpose("node", "season").to_pandas()
    frame.columns = [f"{c}_usd_per_m3" for c in frame.columns]
    frame.insert(0, "name", [str(ds["node_name"].sel(node=n).values) for n in frame.index])
    frame.index.name = "node"
    return frame


def _environment(ds: xr.Dataset) -> pd.DataFrame:
    env = ind.env_compliance(ds)
    terminal = ind.terminal_inflow(ds)["mean"].to_pandas()
    nodes = [str(n) for n in np.asarray(env["node"].values)]
    frame = pd.DataFrame(index=pd.Index(nodes, name="node"))
    frame["name"] = [str(ds["node_name"].sel(node=n).values) for n in nodes]
    frame["compliance_pct"] = 100.0 * env["compliance"].values
    frame["deficit_hm3"] = env["deficit_volume"].values
    frame["terminal_inflow_km3_per_yr"] = terminal.reindex(nodes).to_numpy()
    return frame


def _income(ds: xr.Dataset) -> pd.DataFrame:
    inc = ind.income_per_m3(ds, by="sector")
    return pd.DataFrame(
        {
            "use": ["irrigation (per m3 withdrawn)", "hydropower (per m3 turbined)"],
            "value_usd_per_m3": [float(inc["irrigation"]), float(inc["hydropower"])],
        }
    ).set_index("use")


_TABLES: tuple[tuple[str, str, Callable[[xr.Dataset], pd.DataFrame], str], ...] = (
    (
        "supply_by_node",
        "Water supply by node (mean annual)",
        lambda ds: _supply(ds, "node"),
        "{:,.2f}",
    ),
    ("supply_by_country", "Water supply by country", lambda ds: _supply(ds, "country"), "{:,.2f}"),
    ("supply_by_sector", "Water supply by sector", lambda ds: _supply(ds, "sector"), "{:,.2f}"),
    (
        "energy_by_country",
        "Electricity by country (hydropower where the plants stand)",
        _energy,
        "{:,.0f}",
    ),
    ("water_accounts", "Water accounts by country (km3/yr)", _accounts, "{:,.3f}"),
    ("food_by_crop", "Food by crop", _food, "{:,.2f}"),
    ("environment", "Environmental flows and terminal lakes", _environment, "{:,.2f}"),
    ("marginal_value", "Marginal value of water (mean, USD/m3)", _marginal_value, "{:.4f}"),
    ("income_per_m3", "Economic return per m3 of water", _income, "{:.4f}"),
)


def indicator_tables(ds: xr.Dataset) -> list[IndicatorTable]:
    """Every indicator table of the results, key results first.

    A cube or ensemble (a ``scenario`` or ``member`` dim) gives only the key results, one
    column per label. A table whose variables the results lack is left out.
    """
    tables = [IndicatorTable("key_results", "Key results", key_results_table(ds), "{:,.2f}")]
    if _run_dim(ds) is not None:
        return tables
    for name, title, make, fmt in _TABLES:
        try:
            frame = make(ds)
        except (ind.MissingVariableError, KeyError):
            continue
        tables.append(IndicatorTable(name, title, frame, fmt))
    return tables


def _format(value: object, fmt: str) -> str:
    if isinstance(value, float | int | np.floating | np.integer) and not isinstance(value, bool):
        if np.isnan(float(value)):
            return "-"
        text = fmt.format(float(value))
        return text[1:] if text.startswith("-") and float(text[1:].replace(",", "")) == 0 else text
    return str(value)


def rich_table(table: IndicatorTable) -> Table:
    """A rich Table of an indicator table (NaN shown as ``-``)."""
    out = Table(title=table.title, title_justify="left")
    frame = table.frame
    out.add_column(display_name(str(frame.index.name or "")))
    for col in frame.columns:
        numeric = pd.api.types.is_numeric_dtype(frame[col])
        out.add_column(display_name(str(col)), justify="right" if numeric else "left")
    for idx, row in frame.iterrows():
        out.add_row(str(idx), *[_format(v, table.fmt) for v in row])
    return out


def write_tables(tables: Sequence[IndicatorTable], folder: str | Path) -> list[Path]:
    """Write each table to ``folder/<name>.csv`` (full precision), each file atomically."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for table in tables:
        path = folder / f"{table.name}.csv"
        write_text_atomic(table.frame.to_csv(), path, newline="")
        paths.append(path)
    return paths
