"""Reservoir storage: trajectories with rule curves, capacity and dead storage."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import xarray as xr
from matplotlib.axes import Axes

from nexusmodel.plots.style import SERIES_PALETTE, axes_or_new, pretty_units, shorten
from nexusmodel.report.dataset import applicable_nodes, node_name, one_run, variable, volume_factor

if TYPE_CHECKING:
    from nexusmodel.basin.basin import Basin

__all__ = ["plot_storage", "rule_curves", "storage_bounds"]


def storage_bounds(ds: xr.Dataset, node: str, basin: Basin | None = None) -> dict[str, float]:
    """Capacity and dead storage of a reservoir (hm3), from the results or the basin.

    Looked for first in node variables ``storage_capacity`` and ``dead_storage`` of the
    results, then in ``capacity_hm3`` and ``dead_storage_hm3`` of the basin's node. Keys
    ``capacity`` and ``dead_storage``; a bound found nowhere (or NaN) is left out.
    """
    out: dict[str, float] = {}
    for key, var, field in (
        ("capacity", "storage_capacity", "capacity_hm3"),
        ("dead_storage", "dead_storage", "dead_storage_hm3"),
    ):
        value = np.nan
        if var in ds.variables and node in ds["node"].values:
            value = float(np.asarray(ds[var].sel(node=node).values).reshape(-1)[0])
        if np.isnan(value) and basin is not None and node in basin.nodes:
            value = float(getattr(basin.nodes[node], field, np.nan) or np.nan)
        if not np.isnan(value):
            out[key] = value
    return out


def rule_curves(ds: xr.Dataset, node: str, basin: Basin | None = None) -> dict[str, np.ndarray]:
    """The rule curves of a reservoir on the results' time steps (hm3), keys ``min``/``max``.

    From node variables ``rule_min`` and ``rule_max`` of the results if present, else from the
    basin: its horizon series (``rule_min_hm3``/``rule_max_hm3``, when they cover the steps)
    or its ``rule_curves`` table (by calendar month). A curve that never binds (a minimum of
    0 or an infinite maximum) is left out.
    """
    times = pd.DatetimeIndex(ds["time"].values)
    out: dict[str, np.ndarray] = {}
    for bound in ("min", "max"):
        values: np.ndarray | None = None
        var = f"rule_{bound}"
        if var in ds.variables and node in ds["node"].values:
            values = np.asarray(ds[var].sel(node=node).values, dtype=float)
        elif basin is not None:
            values = _basin_rule(basin, node, bound, times)
        if values is None:
            continue
        finite = values[np.isfinite(values)]
        if finite.size == 0 or (bound == "min" and np.all(finite <= 0.0)):
            continue
        out[bound] = values
    return out


def _basin_rule(basin: Basin, node: str, bound: str, times: pd.DatetimeIndex) -> np.ndarray | None:
    series = basin.series
    if series is not None:
        frame = series.rule_min_hm3 if bound == "min" else series.rule_max_hm3
        if node in frame.columns and times.isin(frame.index).all():
            return frame[node].reindex(times).to_numpy(dtype=float)
    table = basin.tables.rule_curves
    if len(table) and (node, bound) in table.index:
        monthly = table.loc[(node, bound), list(range(1, 13))].to_numpy(dtype=float)
        return monthly[np.asarray(times.month) - 1]
    return None


def plot_storage(
    ds: xr.Dataset,
    *,
    ax: Axes | None = None,
    nodes: Sequence[str] | None = None,
    basin: Basin | None = None,
    scenario: Any = None,
    units: str = "km3",
    bounds: bool = True,
    rules: bool = True,
    label: str | None = None,
    color: str | None = None,
) -> Axes:
    """Storage at the end of each step, with rule curves and capacity / dead storage.

    ``nodes``: reservoirs to draw (default every node with a storage value). Rule curves and
    bounds: see :func:`rule_curves` and :func:`storage_bounds` (``basin`` supplies them when
    the results do not). Artists: ``storage:<node>``, ``rule_min:<node>``,
    ``rule_max:<node>``, ``capacity:<node>``, ``dead_storage:<node>``. ``label`` replaces the
    legend label of the storage line (e.g. a scenario name) and ``color`` its colour.
    """
    ax = axes_or_new(ax)
    ds = one_run(ds, scenario)
    storage = variable(ds, "storage")
    nodes = list(nodes) if nodes is not None else applicable_nodes(storage)
    factor = volume_factor(units)
    times = pd.DatetimeIndex(ds["time"].values)
    single = len(nodes) == 1
    for i, node in enumerate(nodes):
        c = color or SERIES_PALETTE[i % len(SERIES_PALETTE)]
        name = node_name(ds, node)
        values = np.asarray(storage.sel(node=node).values, dtype=float) * factor
        ax.plot(
            times,
            values,
            color=c,
            lw=1.6,
            label=label or (f"storage ({shorten(name, 24)})" if not single else "storage"),
            gid=f"storage:{node}",
            zorder=3,
        )
        suffix = "" if single else f" ({node})"
        if rules:
            for bound, curve in rule_curves(ds, node, basin).items():
                ax.plot(
                    times,
                    curve * factor,
                    color=c if not single else "#E69F00",
                    ls="--",
                    lw=1.1,
                    drawstyle="steps-post",
                    label=f"rule curve, {bound}{suffix}",
                    gid=f"rule_{bound}:{node}",
                    zorder=2,
                )
        if bounds:
            found = storage_bounds(ds, node, basin)
            styles = {"capacity": (":", "#B2182B"), "dead_storage": ("-.", "#6F6F6F")}
            for key, value in found.items():
                ls, bound_color = styles[key]
                ax.axhline(
                    value * factor,
                    color=bound_color if single else c,
                    ls=ls,
                    lw=1.1,
                    label=f"{key.replace('_', ' ')}{suffix}",
                    gid=f"{key}:{node}",
                    zorder=1,
                )
    ax.set_ylabel(f"storage ({pretty_units(units)})")
    ax.set_title(node_name(ds, nodes[0]) if single else "Reservoir storage", loc="left")
    ax.grid(True, alpha=0.3)
    # from 0, fitting every line drawn so far (also those of earlier calls on this Axes)
    ax.autoscale(enable=True, axis="y")
    ax.relim()
    ax.autoscale_view(scalex=False)
    ax.set_ylim(bottom=0.0)
    if nodes:
        ax.legend(fontsize="small", loc="best", frameon=False)
    return ax
