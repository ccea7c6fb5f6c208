"""The report's figures: each a PNG of :mod:`nexusmodel.plots` with a caption computed
from the numbers it shows (the tables of :mod:`nexusmodel.report.tables`)."""

from __future__ import annotations

import base64
import io
import struct
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import xarray as xr
from matplotlib.figure import Figure

from nexusmodel import plots
from nexusmodel.indicators import WINTER_MONTHS
from nexusmodel.report import tables
from nexusmodel.report.formatting import (
    MONTH_NAMES,
    esc,
    format_number,
    km3_text,
    lower_first,
    met_text,
    pct_text,
    short_name,
)
from nexusmodel.report.runs import ReportRun

if TYPE_CHECKING:
    from nexusmodel.basin.basin import Basin

__all__ = [
    "ReportFigure",
    "comparison_figure",
    "figure_html",
    "hydropower_figure",
    "marginal_value_figure",
    "network_figure",
    "storage_comparison_figure",
    "storage_figure",
    "supply_figure",
]

_DPI = 110


@dataclass(frozen=True)
class ReportFigure:
    key: str
    title: str
    png: bytes
    caption: str
    alt: str


def png(fig: Figure) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=_DPI, bbox_inches="tight", facecolor="white")
    return buf.getvalue()


def png_size(png: bytes) -> tuple[int, int]:
    width, height = struct.unpack(">II", png[16:24])
    return int(width), int(height)


def main_reservoir(ds: xr.Dataset, basin: Basin | None) -> str | None:
    if "storage" not in ds.variables:
        return None
    storage = ds["storage"]
    nodes = [
        str(n)
        for n in np.asarray(storage["node"].values)[np.asarray(storage.notnull().any("time"))]
    ]
    if not nodes:
        return None

    def size(node: str) -> float:
        bounds = plots.storage_bounds(ds, node, basin)
        return bounds.get("capacity", float(storage.sel(node=node).max()))

    return max(nodes, key=size)


def winter_minima(ds: xr.Dataset, node: str) -> np.ndarray:
    """Lowest storage (hm3) of each winter (October-March, grouped by the October's year)."""
    times = pd.DatetimeIndex(ds["time"].values)
    values = np.asarray(ds["storage"].sel(node=node).values, dtype=float)
    winter = np.isin(times.month, WINTER_MONTHS)
    season = np.where(times.month >= 10, times.year, times.year - 1)
    frame = pd.DataFrame({"season": season[winter], "value": values[winter]})
    return frame.groupby("season")["value"].min().to_numpy()


def storage_figure(run: ReportRun) -> ReportFigure | None:
    ds, basin = run.ds, run.basin
    if "storage" not in ds.variables:
        return None
    storage = ds["storage"]
    nodes = [
        str(n)
        for n in np.asarray(storage["node"].values)[np.asarray(storage.notnull().any("time"))]
    ]
    if not nodes:
        return None
    main = main_reservoir(ds, basin)
    nodes = [main, *[n for n in nodes if n != main]] if main else nodes
    ncols = 1 if len(nodes) == 1 else 2
    nrows = int(np.ceil(len(nodes) / ncols))
    fig = Figure(figsize=(10.0, 2.9 * nrows + 0.3 if ncols == 2 else 4.0), layout="constrained")
    axes = fig.subplots(nrows, ncols, squeeze=False).ravel()
    for i, node in enumerate(nodes):
        ax = plots.plot_storage(ds, ax=axes[i], nodes=[node], basin=basin)
        ax.set_title(short_name(plots.node_name(ds, node)), loc="left", fontsize="medium")
        legend = ax.get_legend()
        if i > 0 and legend is not None:
            legend.remove()
    for ax in axes[len(nodes) :]:
        ax.set_visible(False)
    name = short_name(plots.node_name(ds, main)) if main else nodes[0]
    minima = winter_minima(ds, main) if main else np.array([])
    years = pd.DatetimeIndex(ds["time"].values).year
    peaks = pd.Series(np.asarray(storage.sel(node=main).values)).groupby(years).max()
    bounds = plots.storage_bounds(ds, main, basin) if main else {}
    caption = (
        f"{name} is drawn down to {km3_text(float(np.mean(minima)))} each winter on average "
        f"(lowest {km3_text(float(np.min(minima)))}) and refills to about {km3_text(float(peaks.mean()))}"
        if minima.size
        else f"{name} storage over the horizon"
    )
    if "capacity" in bounds:
        caption += f" of its {km3_text(bounds['capacity'])} capacity"
    caption += "."
    if len(nodes) > 1:
        caption += f" The other panels show the {len(nodes) - 1} other reservoirs, largest first."
    return ReportFigure(
        "storage",
        "Reservoir storage",
        png(fig),
        caption,
        f"Storage of {len(nodes)} reservoir(s) over the horizon, with capacity and dead storage",
    )


def supply_figure(run: ReportRun) -> ReportFigure | None:
    ds = run.ds
    table = tables.supply_table(ds)
    if table.empty:
        return None
    fig = Figure(figsize=(10.0, 1.2 + 0.42 * len(table)), layout="constrained")
    plots.plot_supply(ds, ax=fig.subplots())
    total_d, total_s = float(table["demand"].sum()), float(table["delivery"].sum())
    share = 100.0 * total_s / total_d if total_d > 0 else np.nan
    caption = (
        f"Districts and towns receive {total_s:,.2f} km³ of the {total_d:,.2f} km³ of water "
        f"they ask for each year ({met_text(share)})"
    )
    short = table[table["coverage_pct"] < 99.95]
    if short.empty:
        caption += "; every one of them gets its full demand."
    else:
        worst = short["coverage_pct"].idxmin()
        caption += (
            f"; the largest shortfall is in {table.loc[worst, 'name']}, which gets "
            f"{met_text(float(table.loc[worst, 'coverage_pct']))} of its demand."
        )
    return ReportFigure(
        "supply",
        "Water delivered against demand",
        png(fig),
        caption,
        "Bars of demand and delivery by district",
    )


def hydropower_figure(run: ReportRun) -> ReportFigure | None:
    ds = run.ds
    table = tables.hydropower_by_month(ds)
    total = float(table.to_numpy().sum())
    if total <= 0:
        return None
    fig = Figure(figsize=(10.0, 4.2), layout="constrained")
    plots.plot_hydropower(ds, ax=fig.subplots())
    winter = float(table.loc[list(WINTER_MONTHS)].to_numpy().sum())
    by_country = table.sum()
    top = str(by_country.idxmax())
    peak = int(table.sum(axis=1).idxmax())
    caption = (
        f"The plants generate {total:,.0f} GWh a year on average, {pct_text(100 * winter / total)} of it "
        f"in winter (October-March); plants in {top} produce {pct_text(100 * by_country[top] / total)} "
        f"of it, and generation peaks in {MONTH_NAMES[peak - 1]}."
    )
    return ReportFigure(
        "hydropower",
        "Hydropower by month and country",
        png(fig),
        caption,
        "Stacked bars of hydropower by month and country",
    )


def marginal_value_figure(run: ReportRun) -> ReportFigure | None:
    ds = run.ds
    table = tables.marginal_value_by_month(ds)
    data = table.to_numpy()
    if not np.isfinite(data).any():
        return None
    fig = Figure(figsize=(10.0, 1.6 + 0.3 * len(table)), layout="constrained")
    plots.plot_marginal_value(ds, ax=fig.subplots())
    i, j = np.unravel_index(np.nanargmax(data), data.shape)
    node = str(table.index[i])
    caption = (
        f"Water is worth most at {plots.node_name(ds, node)} in {MONTH_NAMES[j]} "
        f"({data[i, j]:.3f} USD per m³ on average): one more m³ there would add that much to the "
        f"net benefit; across the basin and the year the mean is {float(np.nanmean(data)):.3f} USD/m³."
    )
    return ReportFigure(
        "marginal-value",
        "Marginal value of water",
        png(fig),
        caption,
        "Heat map of the marginal value of water by node and month",
    )


def network_figure(run: ReportRun) -> ReportFigure | None:
    ds, basin = run.ds, run.basin
    if basin is None:
        return None
    try:
        fig = Figure(figsize=(11.0, 7.0), layout="constrained")
        plots.plot_network(ds, basin=basin, ax=fig.subplots())
    except ValueError:  # nodes without positions
        return None
    flows = tables.mean_link_flow(ds) if "link_flow" in ds.variables else pd.Series(dtype=float)
    water = [n for n in basin.spec.nodes if n.type != "energy_system"]
    caption = (
        f"The {basin.name} network as modelled: {len(water)} water nodes in "
        f"{len({n.country for n in water})} countries joined by {len(basin.links)} links"
    )
    if len(flows) and flows.max() > 0:
        top = str(flows.idxmax())
        a, b = top.split(">")
        caption += (
            f"; line width shows the mean flow, up to {flows.max():,.1f} km³ a year from {a} to {b}"
        )
    caption += ". Positions are schematic."
    return ReportFigure(
        "network", "The basin network", png(fig), caption, "Schematic map of the basin network"
    )


def comparison_figure(runs: list[ReportRun], keys: xr.Dataset) -> ReportFigure | None:
    if len(runs) < 2:
        return None
    table = tables.comparison_table(keys)
    if table.empty:
        return None
    n = len(set(table["indicator"]))
    fig = Figure(
        figsize=(10.0, 1.4 + 0.42 * n * max(1, len(runs) - 1) ** 0.6), layout="constrained"
    )
    plots.plot_scenario_comparison(keys, ax=fig.subplots())
    sentences = []
    for label in dict.fromkeys(table["scenario"]):
        part = table[(table["scenario"] == label) & np.isfinite(table["relative_pct"])]
        part = part.reindex(part["relative_pct"].abs().sort_values(ascending=False).index)
        moves = [
            f"{lower_first(plots.INDICATOR_LABELS.get(r.indicator, r.indicator))} by "
            f"{format_number(r.relative_pct, 0 if abs(r.relative_pct) >= 10 else 1, True)}\u00a0% "
            f"({plots.format_difference(r.difference, r.units)})"
            for r in part.head(2).itertuples()
            if round(r.relative_pct, 1) != 0
        ]
        if moves:
            sentences.append(f"{label} changes " + " and ".join(moves))
        else:
            sentences.append(f"{label} changes none of these indicators")
    caption = "Compared with the baseline, " + "; ".join(sentences) + "."
    return ReportFigure(
        "comparison",
        "Scenarios compared with the baseline",
        png(fig),
        caption,
        "Bars of the change of each key result from the baseline",
    )


def storage_comparison_figure(runs: list[ReportRun]) -> ReportFigure | None:
    if len(runs) < 2:
        return None
    main = main_reservoir(runs[0].ds, runs[0].basin)
    if main is None or not all(
        "storage" in r.ds.variables and main in r.ds["node"].values for r in runs
    ):
        return None
    fig = Figure(figsize=(10.0, 4.0), layout="constrained")
    ax = fig.subplots()
    palette = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#7F7F7F")
    parts = []
    for k, run in enumerate(runs):
        plots.plot_storage(
            run.ds,
            ax=ax,
            nodes=[main],
            basin=runs[0].basin,
            bounds=k == 0,
            rules=k == 0,
            label=run.label,
            color=palette[k % len(palette)],
        )
        minima = winter_minima(run.ds, main)
        if minima.size:
            parts.append(f"{km3_text(float(minima.min()))} in {run.label}")
    name = short_name(plots.node_name(runs[0].ds, main))
    ax.set_title(f"{name}: storage in each scenario", loc="left")
    ax.legend(
        fontsize="small",
        frameon=False,
        loc="upper center",
        bbox_to_anchor=(0.5, -0.1),
        ncols=min(len(runs) + 3, 6),
    )
    caption = f"The lowest winter storage of {name} is " + ", ".join(parts) + "." if parts else ""
    return ReportFigure(
        "storage-comparison",
        f"{name} in each scenario",
        png(fig),
        caption,
        f"Storage of {name} in each scenario",
    )


def figure_html(number: int, fig: ReportFigure) -> str:
    width, height = png_size(fig.png)
    data = base64.b64encode(fig.png).decode("ascii")
    return (
        f'<figure id="fig-{fig.key}">'
        f'<img src="data:image/png;base64,{data}" width="{width}" height="{height}" '
        f'alt="{esc(fig.alt)}">'
        f"<figcaption><b>Figure {number}. {esc(fig.title)}.</b> {esc(fig.caption)}</figcaption>"
        "</figure>"
    )
