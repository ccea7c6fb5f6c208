"""Plots of a results Dataset: plain functions ``plot_x(ds, *, ax=None, ...) -> Axes``.

Each function draws on ``ax`` (or on a new figure's axes when ``ax`` is None) and returns
the Axes; nothing is shown or saved (call ``fig.savefig`` yourself, or let a notebook show
it). The Dataset is the one :func:`nexusmodel.results.extract_results` returns (names, dims
and units in :mod:`nexusmodel.results.variables`); a scenario cube or an ensemble (a
leading ``scenario`` or ``member`` dim) is reduced to one run with ``scenario=`` (default:
the first label), except by :func:`plot_scenario_comparison`, which compares them.

The drawn artists carry a ``gid`` naming what they show (``"storage:R_TOK"``,
``"link:R_TOK>H_KUR"``), so that a test or a caller can find them.

* :func:`plot_storage`: storage trajectories with rule curves and bounds;
* :func:`plot_supply`: mean annual supply against demand, by district;
* :func:`plot_hydropower`: hydropower by calendar month, stacked by country;
* :func:`plot_marginal_value`: marginal value of water, node x calendar month heat map;
* :func:`plot_scenario_comparison`: key results of each scenario against the baseline;
* :func:`plot_network`: schematic map of the basin network with link widths by mean flow.

Volumes are shown in km3 by default (``units="hm3"`` keeps the results' unit).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import xarray as xr
from matplotlib import patheffects
from matplotlib.axes import Axes
from matplotlib.colors import Normalize, TwoSlopeNorm
from matplotlib.lines import Line2D

from nexusmodel.indicators import (
    DEMAND_TYPES,
    KEY_RESULTS,
    WINTER_MONTHS,
    MissingVariableError,
    key_results,
)

if TYPE_CHECKING:
    from nexusmodel.basin.basin import Basin

__all__ = [
    "COMPARISON_INDICATORS",
    "INDICATOR_LABELS",
    "LINK_KIND_COLORS",
    "MONTH_LABELS",
    "TYPE_COLORS",
    "comparison_table",
    "country_colors",
    "format_difference",
    "hydropower_by_month",
    "marginal_value_by_month",
    "mean_link_flow",
    "node_name",
    "plot_hydropower",
    "plot_marginal_value",
    "plot_network",
    "plot_scenario_comparison",
    "plot_storage",
    "plot_supply",
    "pretty_units",
    "rule_curves",
    "storage_bounds",
    "supply_table",
]

MONTH_LABELS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")

#: node colours by type (Okabe-Ito based, readable by colour-blind readers)
TYPE_COLORS: dict[str, str] = {
    "source": "#56B4E9",
    "reservoir": "#0072B2",
    "hydropower": "#E69F00",
    "irrigation": "#009E73",
    "municipal": "#CC79A7",
    "demand": "#D55E00",
    "environment": "#2CA6A4",
    "junction": "#9A9A9A",
    "sink": "#7A5C45",
    "energy_system": "#F0E442",
}
#: link colours by kind
LINK_KIND_COLORS: dict[str, str] = {
    "river": "#3C7DC4",
    "canal": "#3AA776",
    "return": "#A0A0A0",
    "spill": "#B07A4F",
}
#: marker shapes given to the countries in the order they appear
COUNTRY_MARKERS = ("o", "s", "^", "D", "v", "P", "X", "h", "p", "<", ">", "*")
_COUNTRY_PALETTE = (
    "#0072B2",
    "#E69F00",
    "#009E73",
    "#CC79A7",
    "#D55E00",
    "#56B4E9",
    "#8C6D31",
    "#7F7F7F",
)
_SERIES_PALETTE = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#7F7F7F")

#: readable labels of the key results (:data:`nexusmodel.indicators.KEY_RESULTS`)
INDICATOR_LABELS: dict[str, str] = {
    "objective_musd": "Net benefit (objective, whole horizon)",
    "irrigation_delivery_km3_per_yr": "Irrigation water delivered",
    "irrigation_demand_km3_per_yr": "Irrigation water demand",
    "irrigation_coverage_pct": "Irrigation demand met",
    "municipal_coverage_pct": "Municipal demand met",
    "food_production_kt_per_yr": "Crop production",
    "agricultural_income_musd_per_yr": "Agricultural income",
    "hydropower_gwh_per_yr": "Hydropower generation",
    "hydropower_winter_gwh_per_yr": "Hydropower in winter (Oct-Mar)",
    "hydropower_summer_gwh_per_yr": "Hydropower in summer (Apr-Sep)",
    "thermal_gwh_per_yr": "Thermal generation",
    "thermal_cost_musd_per_yr": "Cost of thermal generation",
    "terminal_inflow_km3_per_yr": "Inflow to the terminal lake",
    "env_compliance_pct": "Months meeting the environmental flow",
}
#: the key results :func:`plot_scenario_comparison` shows by default
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

_RUN_DIMS = ("scenario", "member")
_VOLUME_FACTORS = {"km3": 1e-3, "hm3": 1.0}


# ---------------------------------------------------------------------------------------
# helpers


def pretty_units(units: str) -> str:
    """``km3/yr`` -> ``km³/yr`` (and hm3, m3) for labels a reader sees."""
    return re.sub(r"(km|hm|m)3", "\\1³", units)


def _axes(ax: Axes | None, figsize: tuple[float, float] = (8.0, 4.5)) -> Axes:
    if ax is not None:
        return ax
    import matplotlib.pyplot as plt  # only when the caller gives no Axes

    _, new = plt.subplots(figsize=figsize)
    return new


def _one_run(ds: xr.Dataset, scenario: Any = None) -> xr.Dataset:
    """One run of a cube or ensemble: label ``scenario`` (default the first) of the run dim."""
    for dim in _RUN_DIMS:
        if dim in ds.dims:
            labels = list(np.asarray(ds[dim].values))
            label = labels[0] if scenario is None else scenario
            if label not in labels:
                raise ValueError(f"{dim}={label!r} is not in the results; they have {labels}")
            ds = ds.sel({dim: label})
    return ds


def _var(ds: xr.Dataset, name: str) -> xr.DataArray:
    if name not in ds.variables:
        raise MissingVariableError(f"the results have no variable '{name}'")
    return ds[name]


def _volume_factor(units: str) -> float:
    if units not in _VOLUME_FACTORS:
        raise ValueError(f"units={units!r}: must be 'km3' or 'hm3'")
    return _VOLUME_FACTORS[units]


def _n_years(ds: xr.Dataset) -> float:
    return ds.sizes["time"] / 12.0


def _node_attr(ds: xr.Dataset, coord: str, node: str, default: str = "") -> str:
    if coord not in ds.variables:
        return default
    return str(ds[coord].sel(node=node).values)


def node_name(ds: xr.Dataset, node: str) -> str:
    """The node's ``node_name`` (its id when the results have no name)."""
    return _node_attr(ds, "node_name", node, node) or node


def _applicable(da: xr.DataArray) -> list[str]:
    others = [d for d in da.dims if d != "node"]
    mask = np.asarray(da.notnull().any(others).values if others else da.notnull().values)
    return [str(n) for n in np.asarray(da["node"].values)[mask.astype(bool)]]


def _months(ds: xr.Dataset) -> np.ndarray:
    return np.asarray(pd.DatetimeIndex(ds["time"].values).month)


def country_colors(countries: Sequence[str]) -> dict[str, str]:
    """A fixed colour per country, in the given order (the same order gives the same colours)."""
    return {c: _COUNTRY_PALETTE[i % len(_COUNTRY_PALETTE)] for i, c in enumerate(countries)}


def _countries(ds: xr.Dataset) -> list[str]:
    """Countries in the results' order: the ``country`` coord, then any other node country."""
    out = [str(c) for c in np.asarray(ds["country"].values)] if "country" in ds.coords else []
    if "node_country" in ds.variables:
        for c in np.asarray(ds["node_country"].values).astype(str):
            if c not in out:
                out.append(c)
    return out


def _shorten(text: str, n: int = 32) -> str:
    return text if len(text) <= n else text[: n - 1].rstrip() + "…"


# ---------------------------------------------------------------------------------------
# storage


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
    ax = _axes(ax)
    ds = _one_run(ds, scenario)
    storage = _var(ds, "storage")
    nodes = list(nodes) if nodes is not None else _applicable(storage)
    factor = _volume_factor(units)
    times = pd.DatetimeIndex(ds["time"].values)
    single = len(nodes) == 1
    for i, node in enumerate(nodes):
        c = color or _SERIES_PALETTE[i % len(_SERIES_PALETTE)]
        name = node_name(ds, node)
        values = np.asarray(storage.sel(node=node).values, dtype=float) * factor
        ax.plot(
            times,
            values,
            color=c,
            lw=1.6,
            label=label or (f"storage ({_shorten(name, 24)})" if not single else "storage"),
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


# ---------------------------------------------------------------------------------------
# supply and demand


def supply_table(
    ds: xr.Dataset, node_types: Sequence[str] = DEMAND_TYPES, units: str = "km3"
) -> pd.DataFrame:
    """Mean annual demand and delivery (in ``units``/yr) and coverage (%) by demand node.

    Rows are the nodes of ``node_types`` in the results' order; NaN values count as 0.
    """
    factor = _volume_factor(units)
    types = np.asarray(_var(ds, "node_type").values).astype(str)
    nodes = [str(n) for n, t in zip(ds["node"].values, types, strict=True) if t in node_types]
    years = _n_years(ds)
    demand = _var(ds, "demand").sel(node=nodes).fillna(0.0).sum("time") * factor / years
    delivery = _var(ds, "delivery").sel(node=nodes).fillna(0.0).sum("time") * factor / years
    frame = pd.DataFrame(
        {
            "name": [node_name(ds, n) for n in nodes],
            "type": [_node_attr(ds, "node_type", n) for n in nodes],
            "country": [_node_attr(ds, "node_country", n) for n in nodes],
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
    ds = _one_run(ds, scenario)
    table = supply_table(ds, node_types, units)
    ax = _axes(ax, (8.0, 0.9 + 0.42 * max(len(table), 1)))
    y = np.arange(len(table))
    labels = [
        f"{_shorten(n, 34)} ({c})" for n, c in zip(table["name"], table["country"], strict=True)
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


# ---------------------------------------------------------------------------------------
# hydropower


def hydropower_by_month(ds: xr.Dataset) -> pd.DataFrame:
    """Mean hydropower generation (GWh) in each calendar month by the plants' country.

    From the plant variable ``energy``: the month's generation over the horizon divided by
    the horizon years (``n_steps / 12``), so that the twelve months add up to the mean annual
    generation of :func:`nexusmodel.indicators.hydropower_generation`. Index 1..12, columns
    countries (in the results' order, only those with plants).
    """
    energy = _var(ds, "energy")
    plants = _applicable(energy)
    energy = energy.sel(node=plants).fillna(0.0)
    country_of = {p: _node_attr(ds, "node_country", p) for p in plants}
    countries = [c for c in _countries(ds) if c in country_of.values()]
    months = _months(ds)
    values = np.asarray(energy.transpose("node", "time").values, dtype=float)
    out = pd.DataFrame(0.0, index=pd.Index(range(1, 13), name="month"), columns=countries)
    for i, plant in enumerate(plants):
        monthly = np.bincount(months - 1, weights=values[i], minlength=12)
        out[country_of[plant]] += monthly
    return out / _n_years(ds)


def plot_hydropower(
    ds: xr.Dataset,
    *,
    ax: Axes | None = None,
    scenario: Any = None,
    colors: Mapping[str, str] | None = None,
) -> Axes:
    """Mean hydropower generation by calendar month, stacked by the plants' country.

    See :func:`hydropower_by_month`. One bar container per country (labelled with the
    country); winter months (October-March) are shaded.
    """
    ax = _axes(ax)
    ds = _one_run(ds, scenario)
    table = hydropower_by_month(ds)
    colors = dict(colors or country_colors(_countries(ds)))
    x = np.arange(1, 13)
    bottom = np.zeros(12)
    for country in table.columns:
        heights = table[country].to_numpy()
        ax.bar(
            x,
            heights,
            bottom=bottom,
            width=0.72,
            color=colors.get(country, "#7F7F7F"),
            label=country,
            gid=f"hydropower:{country}",
            zorder=2,
        )
        bottom = bottom + heights
    for m in WINTER_MONTHS:
        ax.axvspan(m - 0.5, m + 0.5, color="#DCE9F5", alpha=0.55, lw=0, zorder=0)
    top = float(bottom.max(initial=0.0)) or 1.0
    ax.text(0.6, top * 1.08, "winter", color="#3C6E9F", fontsize="small", va="bottom")
    ax.set_ylim(0.0, top * 1.18)
    ax.set_xlim(0.4, 12.6)
    ax.set_xticks(x, MONTH_LABELS)
    ax.set_ylabel("GWh per month (mean)")
    ax.set_title("Hydropower generation by month and country", loc="left")
    ax.grid(True, axis="y", alpha=0.3, zorder=1)
    ax.legend(
        title="plants in",
        fontsize="small",
        ncols=min(len(table.columns), 6),
        frameon=False,
        loc="upper right",
    )
    return ax


# ---------------------------------------------------------------------------------------
# marginal value of water


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
    mv = _var(ds, "marginal_value")
    if nodes is None:
        nodes = [n for n in _applicable(mv) if _node_attr(ds, "node_type", n) not in exclude_types]
    nodes = list(nodes)
    values = np.asarray(mv.sel(node=nodes).transpose("node", "time").values, dtype=float)
    months = _months(ds)
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
    ds = _one_run(ds, scenario)
    table = marginal_value_by_month(ds, nodes, exclude_types)
    ax = _axes(ax, (9.0, 1.2 + 0.32 * max(len(table), 1)))
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
    names = [_shorten(node_name(ds, n), 30) if labels == "name" else n for n in table.index]
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


# ---------------------------------------------------------------------------------------
# scenario comparison


def _key_table(ds: xr.Dataset, dim: str) -> xr.Dataset:
    if "time" in ds.dims:
        return key_results(ds)
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
                raise ValueError(f"no key result '{name}'; choose from {list(KEY_RESULTS)}")
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
                    "units": kr[name].attrs.get("units", KEY_RESULTS.get(name, "")),
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


def format_difference(diff: float, units: str) -> str:
    """``-1.23 km³/yr``, ``+4.5 pp`` (percentage points for a % indicator), ``no change``
    (zero at the shown precision) or ``n/a``."""
    if not np.isfinite(diff):
        return "n/a"
    unit = "pp" if units == "%" else pretty_units(units)
    size = abs(diff)
    digits = 0 if size >= 100 else 1 if size >= 10 else 2 if size >= 0.1 else 3
    if round(diff, digits) == 0.0:
        return "no change"
    text = f"{abs(diff):,.{digits}f} {unit}"
    return ("+" if diff > 0 else "\u2212") + text


def plot_scenario_comparison(
    ds: xr.Dataset,
    *,
    ax: Axes | None = None,
    indicators: Sequence[str] | None = None,
    baseline: Any = None,
    dim: str = "scenario",
    relative: bool = True,
) -> Axes:
    """Horizontal bars: the change of each key result from the baseline, per scenario.

    ``ds``: as in :func:`comparison_table`. With ``relative=True`` a bar is the change in %
    of the baseline value (indicators in different units side by side) and its text, beside
    the zero line, gives the change in the indicator's own unit; with ``relative=False`` a bar is the difference in
    the indicator's unit (meaningful for indicators sharing a unit). One bar container per
    scenario, labelled with it. A change that cannot be expressed in % (baseline 0) is drawn
    as 0 with its absolute change written.
    """
    table = comparison_table(ds, indicators=indicators, baseline=baseline, dim=dim)
    names = list(dict.fromkeys(table["indicator"]))
    scenarios = list(dict.fromkeys(table["scenario"]))
    ax = _axes(ax, (8.5, 1.0 + 0.5 * max(len(names), 1) * max(len(scenarios), 1) ** 0.5))
    n = max(len(scenarios), 1)
    height = 0.8 / n
    y = np.arange(len(names))
    span = 0.0
    for k, label in enumerate(scenarios):
        part = table[table["scenario"] == label].set_index("indicator").reindex(names)
        values = part["relative_pct" if relative else "difference"].to_numpy(dtype=float)
        drawn = np.where(np.isfinite(values), values, 0.0)
        offsets = y - 0.4 + height * (k + 0.5)
        color = _SERIES_PALETTE[(k + 1) % len(_SERIES_PALETTE)]
        ax.barh(
            offsets,
            drawn,
            height=height * 0.92,
            color=color,
            label=str(label),
            gid=f"scenario:{label}",
        )
        span = max(span, float(np.abs(drawn).max(initial=0.0)))
        for off, value, row in zip(offsets, drawn, part.itertuples(), strict=True):
            text = format_difference(row.difference, row.units)
            unchanged = text in ("no change", "n/a")
            if relative and not np.isfinite(row.relative_pct) and not unchanged:
                text += " (from 0)"
            # written beside the zero line, on the side the bar does not take
            ax.annotate(
                text,
                xy=(0.0, off),
                xytext=(-4 if value > 0 else 4, 0),
                textcoords="offset points",
                ha="right" if value > 0 else "left",
                va="center",
                fontsize="x-small",
                color="#9A9A9A" if unchanged else "#333333",
            )
    span = span or 1.0
    ax.set_xlim(-span * 1.15, span * 1.15)
    ax.axvline(0.0, color="#333333", lw=0.8)
    ax.set_yticks(y, [INDICATOR_LABELS.get(nm, nm) for nm in names])
    ax.invert_yaxis()
    ax.grid(True, axis="x", alpha=0.3)
    if relative:
        ax.set_xlabel("change from the baseline (% of the baseline value)")
    else:
        units = sorted(set(table["units"]))
        ax.set_xlabel(f"change from the baseline ({pretty_units(', '.join(units))})")
    ax.set_title("Scenarios compared with the baseline", loc="left")
    if scenarios:
        ax.legend(fontsize="small", frameon=False, loc="lower right")
    return ax


# ---------------------------------------------------------------------------------------
# network map


def mean_link_flow(ds: xr.Dataset, units: str = "km3") -> pd.Series:
    """Mean annual ``link_flow`` (``units``/yr) of each link, indexed by link id."""
    flow = _var(ds, "link_flow").fillna(0.0).sum("time") * _volume_factor(units) / _n_years(ds)
    return pd.Series(
        np.asarray(flow.values, dtype=float), index=np.asarray(ds["link"].values).astype(str)
    )


def _looks_geographic(xy: np.ndarray) -> bool:
    return bool(xy.size and np.all(np.abs(xy[:, 0]) <= 180.0) and np.all(np.abs(xy[:, 1]) <= 85.0))


def plot_network(
    ds: xr.Dataset | None,
    *,
    basin: Basin,
    ax: Axes | None = None,
    scenario: Any = None,
    labels: str | Callable[[str], str] | None = "id",
    energy_systems: bool = True,
    max_width: float = 9.0,
    units: str = "km3",
) -> Axes:
    """Schematic map of the basin network at the nodes' ``position`` in the basin file.

    Nodes are coloured by type (:data:`TYPE_COLORS`) and shaped by country (one scatter per
    type and country, gid ``nodes:<type>:<country>``); ``labels`` writes the node id
    (``"id"``), its name (``"name"``), a callable's text, or nothing (None). Links (gid
    ``link:<FROM>><TO>``) are coloured by kind and, with results ``ds``, drawn with a width
    proportional to the mean annual flow (:func:`mean_link_flow`, the widest ``max_width``
    points); without results every link is thin. Energy systems are joined to their plants
    by dotted lines. Positions that look like longitude/latitude get a map-like aspect.
    """
    ax = _axes(ax, (10.0, 7.0))
    positions = {n.id: n.position for n in basin.spec.nodes if n.position is not None}
    shown = [n for n in basin.spec.nodes if energy_systems or n.type != "energy_system"]
    missing = [n.id for n in shown if n.id not in positions]
    if missing:
        raise ValueError(
            f"nodes {missing} have no 'position' in {basin.path / 'basin.yaml'}; "
            "give every node position: [x, y] to draw the map"
        )
    run = _one_run(ds, scenario) if ds is not None else None
    flows = mean_link_flow(run, units) if run is not None and "link_flow" in run else None
    peak = float(flows.max()) if flows is not None and len(flows) and flows.max() > 0 else 0.0

    # links
    for link in basin.links:
        link_id = f"{link.from_}>{link.to}"
        (x0, y0), (x1, y1) = positions[link.from_], positions[link.to]
        flow = float(flows.get(link_id, np.nan)) if flows is not None else np.nan
        width = 0.6 + (max_width - 0.6) * flow / peak if peak and np.isfinite(flow) else 0.8
        color = LINK_KIND_COLORS.get(link.kind, "#3C7DC4")
        ax.plot(
            [x0, x1],
            [y0, y1],
            color=color,
            lw=width,
            solid_capstyle="round",
            alpha=0.85,
            ls="--" if link.kind == "return" else "-",
            gid=f"link:{link_id}",
            zorder=1,
        )
        mx, my = x0 + 0.55 * (x1 - x0), y0 + 0.55 * (y1 - y0)
        ax.annotate(
            "",
            xy=(mx, my),
            xytext=(x0 + 0.45 * (x1 - x0), y0 + 0.45 * (y1 - y0)),
            arrowprops={
                "arrowstyle": "-|>",
                "color": color,
                "lw": 0.0,
                "mutation_scale": 7 + 0.8 * width,
                "shrinkA": 0,
                "shrinkB": 0,
            },
            zorder=2,
        )

    # plants to their energy system
    if energy_systems:
        for node in basin.spec.nodes:
            has_plant = node.type == "hydropower" or (
                node.type == "reservoir" and getattr(node, "hydropower", None) is not None
            )
            if not has_plant:
                continue
            es = basin.energy_system_of(node)  # type: ignore[arg-type]
            if es in positions:
                (x0, y0), (x1, y1) = positions[node.id], positions[es]
                ax.plot(
                    [x0, x1],
                    [y0, y1],
                    color="#C9B400",
                    lw=0.8,
                    ls=":",
                    gid=f"supply:{node.id}>{es}",
                    zorder=0,
                )

    # nodes
    countries = list(dict.fromkeys([*basin.spec.countries, *(n.country for n in shown)]))
    markers = {c: COUNTRY_MARKERS[i % len(COUNTRY_MARKERS)] for i, c in enumerate(countries)}
    sizes = {"reservoir": 110, "energy_system": 90, "environment": 110, "junction": 30}
    groups: dict[tuple[str, str], list[str]] = {}
    for node in shown:
        groups.setdefault((node.type, node.country), []).append(node.id)
    for (kind, country), ids in groups.items():
        xy = np.array([positions[i] for i in ids], dtype=float)
        ax.scatter(
            xy[:, 0],
            xy[:, 1],
            s=sizes.get(kind, 60),
            marker=markers[country],
            c=TYPE_COLORS.get(kind, "#7F7F7F"),
            edgecolors="#333333",
            linewidths=0.7,
            gid=f"nodes:{kind}:{country}",
            zorder=4,
        )
    if labels is not None:
        for node in shown:
            if callable(labels):
                text = labels(node.id)
            else:
                text = node.name if labels == "name" else node.id
            x, y = positions[node.id]
            ax.annotate(
                text,
                (x, y),
                xytext=(5, 4),
                textcoords="offset points",
                fontsize=7,
                color="#222222",
                zorder=5,
                path_effects=[patheffects.withStroke(linewidth=2.2, foreground="white")],
            )

    # legends: node types, countries, link kinds and widths
    types_present = list(dict.fromkeys(n.type for n in shown))
    type_handles = [
        Line2D(
            [],
            [],
            marker="o",
            ls="",
            markersize=8,
            markerfacecolor=TYPE_COLORS.get(t, "#7F7F7F"),
            markeredgecolor="#333333",
            label=t.replace("_", " "),
        )
        for t in types_present
    ]
    country_handles = [
        Line2D(
            [],
            [],
            marker=markers[c],
            ls="",
            markersize=8,
            markerfacecolor="white",
            markeredgecolor="#333333",
            label=c,
        )
        for c in countries
        if any(n.country == c for n in shown)
    ]
    kinds = list(dict.fromkeys(link.kind for link in basin.links))
    link_handles = [
        Line2D(
            [],
            [],
            color=LINK_KIND_COLORS.get(k, "#3C7DC4"),
            lw=2.5,
            ls="--" if k == "return" else "-",
            label=k,
        )
        for k in kinds
    ]
    if energy_systems and any(n.type == "energy_system" for n in shown):
        link_handles.append(
            Line2D([], [], color="#C9B400", lw=1.0, ls=":", label="plant to power system")
        )
    if peak:
        for ref in _reference_flows(peak):
            w = 0.6 + (max_width - 0.6) * ref / peak
            link_handles.append(
                Line2D([], [], color="#3C7DC4", lw=w, label=f"{ref:g} {pretty_units(units)}/yr")
            )
    legend_kw = {"fontsize": "small", "frameon": False, "loc": "upper left"}
    first = ax.legend(
        handles=type_handles, title="node type", bbox_to_anchor=(1.01, 1.0), **legend_kw
    )
    ax.add_artist(first)
    second = ax.legend(
        handles=country_handles, title="country", bbox_to_anchor=(1.01, 0.52), **legend_kw
    )
    ax.add_artist(second)
    ax.legend(
        handles=link_handles,
        title="links (width: mean flow)" if peak else "links",
        bbox_to_anchor=(1.2, 1.0),
        **legend_kw,
    )

    xy = np.array([positions[n.id] for n in shown], dtype=float)
    if _looks_geographic(xy):
        ax.set_aspect(1.0 / np.cos(np.deg2rad(float(xy[:, 1].mean()))))
        ax.set_xlabel("longitude (°E, schematic)")
        ax.set_ylabel("latitude (°N, schematic)")
    else:
        ax.set_aspect("equal")
    ax.margins(0.06)
    ax.grid(True, alpha=0.2)
    ax.set_title(f"{basin.name}: network", loc="left")
    return ax


def _reference_flows(peak: float) -> list[float]:
    """Two or three round flows below ``peak`` for the width legend."""
    exponent = np.floor(np.log10(peak))
    top = float(np.floor(peak / 10**exponent) * 10**exponent)
    refs = [top, top / 2, top / 5]
    return [float(f"{r:.2g}") for r in refs if r > 0]
