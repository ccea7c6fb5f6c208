"""Energy: hydropower generation by calendar month, stacked by the plants' country."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import xarray as xr
from matplotlib.axes import Axes

from nexusmodel.indicators import WINTER_MONTHS
from nexusmodel.plots.style import MONTH_LABELS, axes_or_new, country_colors
from nexusmodel.report.dataset import countries, one_run
from nexusmodel.report.tables import hydropower_by_month

__all__ = ["plot_hydropower"]


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
    ax = axes_or_new(ax)
    ds = one_run(ds, scenario)
    table = hydropower_by_month(ds)
    colors = dict(colors or country_colors(countries(ds)))
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
