"""Scenarios side by side: the change of each key result from the baseline."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import xarray as xr
from matplotlib.axes import Axes

from nexusmodel.plots.style import INDICATOR_LABELS, SERIES_PALETTE, axes_or_new, pretty_units
from nexusmodel.report.tables import comparison_table

__all__ = ["format_difference", "plot_scenario_comparison"]


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
    ax = axes_or_new(ax, (8.5, 1.0 + 0.5 * max(len(names), 1) * max(len(scenarios), 1) ** 0.5))
    n = max(len(scenarios), 1)
    height = 0.8 / n
    y = np.arange(len(names))
    span = 0.0
    for k, label in enumerate(scenarios):
        part = table[table["scenario"] == label].set_index("indicator").reindex(names)
        values = part["relative_pct" if relative else "difference"].to_numpy(dtype=float)
        drawn = np.where(np.isfinite(values), values, 0.0)
        offsets = y - 0.4 + height * (k + 0.5)
        color = SERIES_PALETTE[(k + 1) % len(SERIES_PALETTE)]
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
