"""The look shared by every plot: colours, markers, labels, units and a fresh Axes."""

from __future__ import annotations

import re
from collections.abc import Sequence

from matplotlib.axes import Axes

__all__ = [
    "COUNTRY_MARKERS",
    "INDICATOR_LABELS",
    "LINK_KIND_COLORS",
    "MONTH_LABELS",
    "SERIES_PALETTE",
    "TYPE_COLORS",
    "axes_or_new",
    "country_colors",
    "pretty_units",
    "shorten",
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

COUNTRY_PALETTE = (
    "#0072B2",
    "#E69F00",
    "#009E73",
    "#CC79A7",
    "#D55E00",
    "#56B4E9",
    "#8C6D31",
    "#7F7F7F",
)

SERIES_PALETTE = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#7F7F7F")

#: readable labels of the key results (:data:`nexusmodel.indicators.KEY_RESULTS`)
INDICATOR_LABELS: dict[str, str] = {
    "objective_musd": "Objective (incl. tie-breakers and penalties, whole horizon)",
    "net_benefit_musd": "Net benefit (whole horizon, discounted)",
    "penalties_musd": "Penalties, shown apart (whole horizon, discounted)",
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


def pretty_units(units: str) -> str:
    """``km3/yr`` -> ``km³/yr`` (and hm3, m3) for labels a reader sees."""
    return re.sub(r"(km|hm|m)3", "\\1³", units)


def axes_or_new(ax: Axes | None, figsize: tuple[float, float] = (8.0, 4.5)) -> Axes:
    if ax is not None:
        return ax
    import matplotlib.pyplot as plt  # only when the caller gives no Axes

    _, new = plt.subplots(figsize=figsize)
    return new


def country_colors(countries: Sequence[str]) -> dict[str, str]:
    """A fixed colour per country, in the given order (the same order gives the same colours)."""
    return {c: COUNTRY_PALETTE[i % len(COUNTRY_PALETTE)] for i, c in enumerate(countries)}


def shorten(text: str, n: int = 32) -> str:
    return text if len(text) <= n else text[: n - 1].rstrip() + "…"
