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

One module per subject: :mod:`.storage`, :mod:`.water` (supply, marginal value),
:mod:`.energy`, :mod:`.comparison`, :mod:`.network`, and :mod:`.style` (colours, labels).
The tables they draw are in :mod:`nexusmodel.report.tables`.
"""

from nexusmodel.plots.comparison import format_difference, plot_scenario_comparison
from nexusmodel.plots.energy import plot_hydropower
from nexusmodel.plots.network import plot_network
from nexusmodel.plots.storage import plot_storage, rule_curves, storage_bounds
from nexusmodel.plots.style import (
    INDICATOR_LABELS,
    LINK_KIND_COLORS,
    MONTH_LABELS,
    TYPE_COLORS,
    country_colors,
    pretty_units,
)
from nexusmodel.plots.water import plot_marginal_value, plot_supply
from nexusmodel.report.dataset import node_name
from nexusmodel.report.tables import (
    COMPARISON_INDICATORS,
    comparison_table,
    hydropower_by_month,
    marginal_value_by_month,
    mean_link_flow,
    supply_table,
)

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
