"""Tables of a results Dataset (pandas), for the terminal, CSV files, plots and the report.

:func:`indicator_tables` computes every table from :mod:`nexusmodel.indicators` (a table
whose variables are missing from the results is left out); :func:`write_tables` writes
them as CSV files, each atomically; :func:`rich_table` renders one for the terminal.
Column names are ``snake_case`` with the unit at the end (``coverage_pct``,
``demand_km3_per_yr``); :func:`display_name` turns them into readable headers.

The tables the figures draw and their captions quote are here too: :func:`supply_table`,
:func:`hydropower_by_month`, :func:`marginal_value_by_month`, :func:`comparison_table` and
:func:`mean_link_flow` (:mod:`nexusmodel.plots` draws them).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import xarray as xr
from rich.table import Table

from nexusmodel import indicators as ind
from nexusmodel.report._atomic import write_text_atomic
from nexusmodel.report.dataset import (
    applicable_nodes,
    calendar_months,
    countries,
    n_years,
    node_attr,
    node_name,
    variable,
    volume_factor,
)

__all__ = [
    "COMPARISON_INDICATORS",
    "IndicatorTable",
    "comparison_table",
    "display_name",
    "hydropower_by_month",
    "indicator_tables",
    "key_results_table",
    "marginal_value_by_month",
    "mean_link_flow",
    "rich_table",
    "supply_table",
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
    annual = ind.hydropower_generation(ds, by="country").to_series()
    winter = ind.hydropower_generation(ds, by="country", season="winter").to_series()
    summer = ind.hydropower_generation(ds, by="country", season="summer").to_series()
    thermal = ind.thermal_replacement(ds)
    countries = list(
        dict.fromkeys([*map(str, np.asarray(ds["country"].values)), *map(str, annual.index)])
    )
    frame = pd.DataFrame(index=pd.Index(countries, name="country"))
    frame["hydropower_gwh_per_yr"] = annual.reindex(countries).fillna(0.0).to_numpy()
    frame["hydropower_winter_gwh_per_yr"] = winter.reindex(countries).fillna(0.0).to_numpy()
    frame["hydropower_summer_gwh_per_yr"] = summer.reindex(countries).fillna(0.0).to_numpy()
    frame["thermal_gwh_per_yr"] = thermal["thermal"].to_series().reindex(countries).to_numpy()
    frame["thermal_cost_musd_per_yr"] = (
        thermal["thermal_cost"].to_series().reindex(countries).to_numpy()
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
    terminal = ind.terminal_inflow(ds)["mean"].to_series()
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


# ---------------------------------------------------------------------------------------
# the tables the figures draw and their captions quote


#: the key results :func:`comparison_table` (and the plot of it) shows by default
COMPARISON_INDICATORS: tuple[str, ...] = (
    "irrigation_delivery_km3_per_yr",
    "irrigation_coverage_pct",
    "municipal_coverage_pct",
    "food_production_kt_per_yr",
    "agricultural_income_musd_per_yr",
    "hydropower_gwh_per_yr",
    "hydropower_winter_gwh_per_yr",
    "thermal_gwh_per_yr",
    "terminal_inflow_km3_per_yr",
    "env_compliance_pct",
)


def supply_table(
    ds: xr.Dataset, node_types: Sequence[str] = ind.DEMAND_TYPES, units: str = "km3"
) -> pd.DataFrame:
    """Mean annual demand and delivery (in ``units``/yr) and coverage (%) by demand node.

    Rows are the nodes of ``node_types`` in the results' order; NaN values count as 0.
    """
    factor = volume_factor(units)
    types = np.asarray(variable(ds, "node_type").values).astype(str)
    nodes = [str(n) for n, t in zip(ds["node"].values, types, strict=True) if t in node_types]
    years = n_years(ds)
    demand = variable(ds, "demand").sel(node=nodes).fillna(0.0).sum("time") * factor / years
    delivery = variable(ds, "delivery").sel(node=nodes).fillna(0.0).sum("time") * factor / years
    frame = pd.DataFrame(
        {
            "name": [node_name(ds, n) for n in nodes],
            "type": [node_attr(ds, "node_type", n) for n in nodes],
            "country": [node_attr(ds, "node_country", n) for n in nodes],
            "demand": np.asarray(demand.values, dtype=float),
            "delivery": np.asarray(delivery.values, dtype=float),
        },
        index=pd.Index(nodes, name="node"),
    )
    with np.errstate(divide="ignore", invalid="ignore"):
        frame["coverage_pct"] = np.where(
            frame["demand"] > 0, 100.0 * frame["delivery"] / frame["demand"], np.nan
        )
    return frame


def hydropower_by_month(ds: xr.Dataset) -> pd.DataFrame:
    """Mean hydropower generation (GWh) in each calendar month by the plants' country.

    From the plant variable ``energy``: the month's generation over the horizon divided by
    the horizon years (``n_steps / 12``), so that the twelve months add up to the mean annual
    generation of :func:`nexusmodel.indicators.hydropower_generation`. Index 1..12, columns
    countries (in the results' order, only those with plants).
    """
    energy = variable(ds, "energy")
    plants = applicable_nodes(energy)
    energy = energy.sel(node=plants).fillna(0.0)
    country_of = {p: node_attr(ds, "node_country", p) for p in plants}
    with_plants = [c for c in countries(ds) if c in country_of.values()]
    months = calendar_months(ds)
    values = np.asarray(energy.transpose("node", "time").values, dtype=float)
    out = pd.DataFrame(0.0, index=pd.Index(range(1, 13), name="month"), columns=with_plants)
    for i, plant in enumerate(plants):
        monthly = np.bincount(months - 1, weights=values[i], minlength=12)
        out[country_of[plant]] += monthly
    return out / n_years(ds)


def marginal_value_by_month(
    ds: xr.Dataset,
    nodes: Sequence[str] | None = None,
    exclude_types: Sequence[str] = ("sink",),
) -> pd.DataFrame:
    """Mean ``marginal_value`` (USD/m3) by node (rows) and calendar month (columns 1..12).

    Plain mean over the steps of each calendar month. ``nodes`` default to every node where
    the value is defined, except those of ``exclude_types`` (sinks: their value is the
    penalty on water lost there, not a use). NaN for a month with no defined value.
    """
    mv = variable(ds, "marginal_value")
    if nodes is None:
        nodes = [
            n for n in applicable_nodes(mv) if node_attr(ds, "node_type", n) not in exclude_types
        ]
    nodes = list(nodes)
    values = np.asarray(mv.sel(node=nodes).transpose("node", "time").values, dtype=float)
    months = calendar_months(ds)
    out = np.full((len(nodes), 12), np.nan)
    for m in range(1, 13):
        cols = values[:, months == m]
        if cols.size:
            count = np.isfinite(cols).sum(axis=1)
            total = np.nansum(cols, axis=1)
            out[:, m - 1] = np.where(count > 0, total / np.maximum(count, 1), np.nan)
    return pd.DataFrame(
        out, index=pd.Index(nodes, name="node"), columns=pd.Index(range(1, 13), name="month")
    )


def _key_table(ds: xr.Dataset, dim: str) -> xr.Dataset:
    if "time" in ds.dims:
        return ind.key_results(ds)
    if dim not in ds.dims:
        raise ValueError(f"the Dataset has no '{dim}' dim to compare")
    return ds


def comparison_table(
    ds: xr.Dataset,
    *,
    indicators: Sequence[str] | None = None,
    baseline: Any = None,
    dim: str = "scenario",
) -> pd.DataFrame:
    """Key results of each scenario against the baseline, one row per (scenario, indicator).

    ``ds``: a results cube with a ``dim`` dim, or the :func:`~nexusmodel.indicators.key_results`
    of one (scalar variables along ``dim``). The baseline is the first label unless named.
    Columns: ``scenario``, ``indicator``, ``units``, ``baseline``, ``value``, ``difference``
    (value - baseline) and ``relative_pct`` (100 x difference / |baseline|, NaN when the
    baseline is 0 or NaN). Indicators default to :data:`COMPARISON_INDICATORS` present with a
    finite baseline.
    """
    kr = _key_table(ds, dim)
    labels = list(np.asarray(kr[dim].values))
    base = labels[0] if baseline is None else baseline
    if base not in labels:
        raise ValueError(f"baseline {base!r} is not a {dim}; the labels are {labels}")
    names = list(indicators) if indicators is not None else list(COMPARISON_INDICATORS)
    rows = []
    for name in names:
        if name not in kr.data_vars:
            if indicators is not None:
                raise ValueError(f"no key result '{name}'; choose from {list(ind.KEY_RESULTS)}")
            continue
        b = float(kr[name].sel({dim: base}).values)
        if indicators is None and not np.isfinite(b):
            continue
        for label in labels:
            if label == base:
                continue
            v = float(kr[name].sel({dim: label}).values)
            diff = v - b
            rel = 100.0 * diff / abs(b) if np.isfinite(b) and b != 0 else np.nan
            rows.append(
                {
                    "scenario": label,
                    "indicator": name,
                    "units": kr[name].attrs.get("units", ind.KEY_RESULTS.get(name, "")),
                    "baseline": b,
                    "value": v,
                    "difference": diff,
                    "relative_pct": rel,
                }
            )
    return pd.DataFrame(
        rows,
        columns=[
            "scenario",
            "indicator",
            "units",
            "baseline",
            "value",
            "difference",
            "relative_pct",
        ],
    )


def mean_link_flow(ds: xr.Dataset, units: str = "km3") -> pd.Series:
    """Mean annual ``link_flow`` (``units``/yr) of each link, indexed by link id."""
    flow = variable(ds, "link_flow").fillna(0.0).sum("time") * volume_factor(units) / n_years(ds)
    return pd.Series(
        np.asarray(flow.values, dtype=float), index=np.asarray(ds["link"].values).astype(str)
    )
