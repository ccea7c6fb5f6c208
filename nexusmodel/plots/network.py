"""Schematic map of the basin network: nodes by type and country, links by kind and flow."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import xarray as xr
from matplotlib import patheffects
from matplotlib.axes import Axes
from matplotlib.lines import Line2D

from nexusmodel.plots.style import (
    COUNTRY_MARKERS,
    LINK_KIND_COLORS,
    TYPE_COLORS,
    axes_or_new,
    pretty_units,
)
from nexusmodel.report.dataset import one_run
from nexusmodel.report.tables import mean_link_flow

if TYPE_CHECKING:
    from nexusmodel.basin.basin import Basin
    from nexusmodel.basin.schema import Node

__all__ = ["plot_network"]

Positions = dict[str, tuple[float, float]]

#: marker sizes (points^2) of the node types drawn bigger or smaller than the default 60
_NODE_SIZES = {"reservoir": 110, "energy_system": 90, "environment": 110, "junction": 30}
_SUPPLY_COLOR = "#C9B400"  # plant to power system


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
    ax = axes_or_new(ax, (10.0, 7.0))
    shown = [n for n in basin.spec.nodes if energy_systems or n.type != "energy_system"]
    positions = _positions(basin, shown)
    run = one_run(ds, scenario) if ds is not None else None
    flows = mean_link_flow(run, units) if run is not None and "link_flow" in run else None
    peak = float(flows.max()) if flows is not None and len(flows) and flows.max() > 0 else 0.0

    _draw_links(ax, basin, positions, flows, peak, max_width)
    if energy_systems:
        _draw_plant_ties(ax, basin, positions)
    countries = list(dict.fromkeys([*basin.spec.countries, *(n.country for n in shown)]))
    markers = {c: COUNTRY_MARKERS[i % len(COUNTRY_MARKERS)] for i, c in enumerate(countries)}
    _draw_nodes(ax, shown, positions, markers)
    if labels is not None:
        _draw_labels(ax, shown, positions, labels)
    _draw_legends(ax, basin, shown, markers, energy_systems, peak, max_width, units)
    _set_aspect(ax, np.array([positions[n.id] for n in shown], dtype=float))
    ax.margins(0.06)
    ax.grid(True, alpha=0.2)
    ax.set_title(f"{basin.name}: network", loc="left")
    return ax


def _positions(basin: Basin, shown: Sequence[Node]) -> Positions:
    """Every node's (x, y); a shown node without a position is a ValueError naming it."""
    positions = {n.id: n.position for n in basin.spec.nodes if n.position is not None}
    missing = [n.id for n in shown if n.id not in positions]
    if missing:
        raise ValueError(
            f"nodes {missing} have no 'position' in {basin.path / 'basin.yaml'}; "
            "give every node position: [x, y] to draw the map"
        )
    return {k: (float(v[0]), float(v[1])) for k, v in positions.items()}


def _link_width(flow: float, peak: float, max_width: float) -> float:
    """Line width (points): 0.6 for no flow up to ``max_width`` at the peak flow."""
    return 0.6 + (max_width - 0.6) * flow / peak


def _draw_links(
    ax: Axes,
    basin: Basin,
    positions: Positions,
    flows: pd.Series | None,
    peak: float,
    max_width: float,
) -> None:
    """Each link as a line coloured by kind (dashed for returns) with an arrow midway."""
    for link in basin.links:
        link_id = f"{link.from_}>{link.to}"
        (x0, y0), (x1, y1) = positions[link.from_], positions[link.to]
        flow = float(flows.get(link_id, np.nan)) if flows is not None else np.nan
        width = _link_width(flow, peak, max_width) if peak and np.isfinite(flow) else 0.8
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
        ax.annotate(
            "",
            xy=(x0 + 0.55 * (x1 - x0), y0 + 0.55 * (y1 - y0)),
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


def _draw_plant_ties(ax: Axes, basin: Basin, positions: Positions) -> None:
    """A dotted line from each hydropower plant to the energy system it supplies."""
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
                color=_SUPPLY_COLOR,
                lw=0.8,
                ls=":",
                gid=f"supply:{node.id}>{es}",
                zorder=0,
            )


def _draw_nodes(
    ax: Axes, shown: Sequence[Node], positions: Positions, markers: dict[str, str]
) -> None:
    """One scatter per (node type, country): colour by type, marker by country."""
    groups: dict[tuple[str, str], list[str]] = {}
    for node in shown:
        groups.setdefault((node.type, node.country), []).append(node.id)
    for (kind, country), ids in groups.items():
        xy = np.array([positions[i] for i in ids], dtype=float)
        ax.scatter(
            xy[:, 0],
            xy[:, 1],
            s=_NODE_SIZES.get(kind, 60),
            marker=markers[country],
            c=TYPE_COLORS.get(kind, "#7F7F7F"),
            edgecolors="#333333",
            linewidths=0.7,
            gid=f"nodes:{kind}:{country}",
            zorder=4,
        )


def _draw_labels(
    ax: Axes,
    shown: Sequence[Node],
    positions: Positions,
    labels: str | Callable[[str], str],
) -> None:
    """The node's id, name or ``labels(id)`` beside each node, with a white halo."""
    for node in shown:
        text = labels(node.id) if callable(labels) else node.name if labels == "name" else node.id
        ax.annotate(
            text,
            positions[node.id],
            xytext=(5, 4),
            textcoords="offset points",
            fontsize=7,
            color="#222222",
            zorder=5,
            path_effects=[patheffects.withStroke(linewidth=2.2, foreground="white")],
        )


def _marker(label: str, **style: Any) -> Line2D:
    """A legend entry: a lone marker or line with ``style``."""
    return Line2D([], [], label=label, **style)


def _draw_legends(
    ax: Axes,
    basin: Basin,
    shown: Sequence[Node],
    markers: dict[str, str],
    energy_systems: bool,
    peak: float,
    max_width: float,
    units: str,
) -> None:
    """Three legends right of the map: node types, countries, link kinds (and widths)."""
    type_handles = [
        _marker(
            t.replace("_", " "),
            marker="o",
            ls="",
            markersize=8,
            markerfacecolor=TYPE_COLORS.get(t, "#7F7F7F"),
            markeredgecolor="#333333",
        )
        for t in dict.fromkeys(n.type for n in shown)
    ]
    country_handles = [
        _marker(
            c,
            marker=markers[c],
            ls="",
            markersize=8,
            markerfacecolor="white",
            markeredgecolor="#333333",
        )
        for c in markers
        if any(n.country == c for n in shown)
    ]
    link_handles = [
        _marker(
            k,
            color=LINK_KIND_COLORS.get(k, "#3C7DC4"),
            lw=2.5,
            ls="--" if k == "return" else "-",
        )
        for k in dict.fromkeys(link.kind for link in basin.links)
    ]
    if energy_systems and any(n.type == "energy_system" for n in shown):
        link_handles.append(_marker("plant to power system", color=_SUPPLY_COLOR, lw=1.0, ls=":"))
    if peak:
        link_handles += [
            _marker(
                f"{ref:g} {pretty_units(units)}/yr",
                color="#3C7DC4",
                lw=_link_width(ref, peak, max_width),
            )
            for ref in _reference_flows(peak)
        ]
    place: dict[str, Any] = {"fontsize": "small", "frameon": False, "loc": "upper left"}
    first = ax.legend(handles=type_handles, title="node type", bbox_to_anchor=(1.01, 1.0), **place)
    ax.add_artist(first)
    second = ax.legend(
        handles=country_handles, title="country", bbox_to_anchor=(1.01, 0.52), **place
    )
    ax.add_artist(second)
    ax.legend(
        handles=link_handles,
        title="links (width: mean flow)" if peak else "links",
        bbox_to_anchor=(1.2, 1.0),
        **place,
    )


def _set_aspect(ax: Axes, xy: np.ndarray) -> None:
    """A map-like aspect for longitude/latitude positions, else equal axes."""
    if _looks_geographic(xy):
        ax.set_aspect(1.0 / np.cos(np.deg2rad(float(xy[:, 1].mean()))))
        ax.set_xlabel("longitude (°E, schematic)")
        ax.set_ylabel("latitude (°N, schematic)")
    else:
        ax.set_aspect("equal")


def _looks_geographic(xy: np.ndarray) -> bool:
    return bool(xy.size and np.all(np.abs(xy[:, 0]) <= 180.0) and np.all(np.abs(xy[:, 1]) <= 85.0))


def _reference_flows(peak: float) -> list[float]:
    """Two or three round flows below ``peak`` for the width legend."""
    exponent = np.floor(np.log10(peak))
    top = float(np.floor(peak / 10**exponent) * 10**exponent)
    refs = [top, top / 2, top / 5]
    return [float(f"{r:.2g}") for r in refs if r > 0]
