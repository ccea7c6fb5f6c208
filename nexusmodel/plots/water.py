"""Water for people and farms: supply against demand, and the marginal value of water."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import xarray as xr
from matplotlib.axes import Axes
from matplotlib.colors import Normalize, TwoSlopeNorm
from matplotlib.lines import Line2D

from nexusmodel.indicators import DEMAND_TYPES
from nexusmodel.plots.style import MONTH_LABELS, TYPE_COLORS, axes_or_new, pretty_units, shorten
from nexusmodel.report.dataset import node_name, one_run
from nexusmodel.report.tables import marginal_value_by_month, supply_table

__all__ = ["plot_marginal_value", "plot_supply"]


def _pct_text(pct: float) -> str:
    if np.isnan(pct):
        return ""
    if pct >= 99.95:
        return "100 %"
    return f"{pct:.1f} %"


def plot_supply(
    ds: xr.Dataset,
    *,
    ax: Axes | None = None,
    node_types: Sequence[str] = DEMAND_TYPES,
    scenario: Any = None,
    units: str = "km3",
) -> Axes:
    """Mean annual water delivered against demand at each district (horizontal bars).

    A wide light bar is the demand, a narrow bar in the node type's colour the delivery; the
    text at the right end gives the share of the demand met. Bar containers are labelled
    ``demand`` and ``delivered``; nodes run top to bottom in the results' (upstream) order.
    """
    ds = one_run(ds, scenario)
    table = supply_table(ds, node_types, units)
    ax = axes_or_new(ax, (8.0, 0.9 + 0.42 * max(len(table), 1)))
    y = np.arange(len(table))
    labels = [
        f"{shorten(n, 34)} ({c})" for n, c in zip(table["name"], table["country"], strict=True)
    ]
    ax.barh(
        y,
        table["demand"].to_numpy(),
        height=0.78,
        color="#E4E8EC",
        edgecolor="#8A949E",
        linewidth=0.8,
        label="demand",
        gid="demand",
    )
    colors = [TYPE_COLORS.get(t, "#0072B2") for t in table["type"]]
    ax.barh(
        y,
        table["delivery"].to_numpy(),
        height=0.42,
        color=colors,
        label="delivered",
        gid="delivered",
    )
    xmax = float(np.nanmax(table["demand"].to_numpy(), initial=0.0)) or 1.0
    for yi, (dem, pct) in enumerate(zip(table["demand"], table["coverage_pct"], strict=True)):
        ax.text(dem + 0.01 * xmax, yi, _pct_text(pct), va="center", fontsize="small")
    ax.set_yticks(y, labels)
    ax.invert_yaxis()
    ax.set_xlim(0.0, xmax * 1.15)
    ax.set_xlabel(f"mean annual volume ({pretty_units(units)}/yr)")
    ax.set_title("Water delivered against demand", loc="left")
    ax.grid(True, axis="x", alpha=0.3)
    handles = [
        Line2D([], [], color="#8A949E", marker="s", ls="", markerfacecolor="#E4E8EC", ms=10),
        *[
            Line2D([], [], color=TYPE_COLORS.get(t, "#0072B2"), marker="s", ls="", ms=8)
            for t in dict.fromkeys(table["type"])
        ],
    ]
    names = ["demand", *[f"delivered ({t})" for t in dict.fromkeys(table["type"])]]
    ax.legend(handles, names, fontsize="small", loc="lower right", frameon=False)
    return ax


def plot_marginal_value(
    ds: xr.Dataset,
    *,
    ax: Axes | None = None,
    scenario: Any = None,
    nodes: Sequence[str] | None = None,
    exclude_types: Sequence[str] = ("sink",),
    annotate: bool | None = None,
    labels: str = "name",
    robust: bool = True,
) -> Axes:
    """Heat map of the marginal value of water (USD/m3), node x calendar month.

    Values from :func:`marginal_value_by_month` (sinks left out unless ``exclude_types=()``);
    the image (gid ``marginal_value``) holds exactly that table. With ``robust=True`` the
    colour scale spans the 2nd-98th percentiles, so that a few extreme months do not wash
    out the rest (the colour bar then shows arrows). Negative values (extra water costs money
    there) get a diverging scale centred on 0. ``annotate`` writes the values in the cells
    (default: when there are at most 12 nodes); ``labels`` is ``"name"`` or ``"id"``.
    """
    ds = one_run(ds, scenario)
    table = marginal_value_by_month(ds, nodes, exclude_types)
    ax = axes_or_new(ax, (9.0, 1.2 + 0.32 * max(len(table), 1)))
    data = table.to_numpy()
    finite = data[np.isfinite(data)]
    if finite.size == 0:
        finite = np.zeros(1)
    lo, hi = float(finite.min()), float(finite.max())
    if robust and finite.size >= 50:
        lo = min(float(np.percentile(finite, 2)), 0.0) if lo < 0 else lo
        hi = float(np.percentile(finite, 98)) if hi > 0 else hi
    lo_cut, hi_cut = float(finite.min()) < lo, float(finite.max()) > hi
    extend = {(False, False): "neither", (True, False): "min", (False, True): "max"}.get(
        (lo_cut, hi_cut), "both"
    )
    if lo < 0.0 < hi:
        norm: Normalize = TwoSlopeNorm(vmin=lo, vcenter=0.0, vmax=hi)
        cmap = "RdBu_r"
    else:
        vmin = min(lo, 0.0)
        norm = Normalize(vmin=vmin, vmax=hi if hi > vmin else vmin + 1.0)
        cmap = "YlGnBu"
    image = ax.imshow(
        np.ma.masked_invalid(data), aspect="auto", cmap=cmap, norm=norm, interpolation="nearest"
    )
    image.set_gid("marginal_value")
    names = [shorten(node_name(ds, n), 30) if labels == "name" else n for n in table.index]
    ax.set_yticks(np.arange(len(table)), names, fontsize="small")
    ax.set_xticks(np.arange(12), MONTH_LABELS)
    ax.tick_params(length=0)
    if annotate is None:
        annotate = len(table) <= 12
    if annotate:
        for (i, j), value in np.ndenumerate(data):
            if np.isfinite(value):
                shade = float(np.clip(norm(value), 0.0, 1.0))
                dark = shade > 0.6 or (cmap == "RdBu_r" and shade < 0.2)
                ax.text(
                    j,
                    i,
                    f"{value:.3g}",
                    ha="center",
                    va="center",
                    fontsize="x-small",
                    color="white" if dark else "#222222",
                )
    bar = ax.figure.colorbar(image, ax=ax, fraction=0.04, pad=0.02, extend=extend)
    bar.set_label("USD per m³")
    ax.set_title("Marginal value of water", loc="left")
    return ax
