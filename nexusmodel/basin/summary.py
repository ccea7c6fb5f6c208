"""The figures a planner checks first after loading a basin (``nexusmodel validate``)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from nexusmodel.basin.basin import MEAN_MONTH_DAYS, Basin, m3s_to_hm3
from nexusmodel.basin.schema import HydropowerNode, ReservoirNode

#: Columns of the ``by_country`` table, each with its unit (short enough for an 80-column terminal).
INFLOW = "inflow km3/yr"
STORAGE = "storage km3"
POWER = "hydropower MW"
AREA = "irrigated kha"


def basin_summary(basin: Basin) -> dict[str, pd.DataFrame | float]:
    """Nodes by type and country, natural inflow (km3/yr), storage (km3), MW, area (kha).

    Returns ``nodes`` (count by type x country), ``by_country`` (columns :data:`INFLOW`,
    :data:`STORAGE`, :data:`POWER`, :data:`AREA`, one row per country and a ``total`` row) and
    ``inflow_km3_per_yr`` (the basin total).
    """
    nodes = pd.DataFrame(
        [(n.type, n.country) for n in basin.spec.nodes], columns=["type", "country"]
    )
    by_type = nodes.groupby(["type", "country"]).size().unstack(fill_value=0)
    clim = basin.tables.inflows
    inflow_km3 = {
        s: float(m3s_to_hm3(clim[s].to_numpy(), np.array(MEAN_MONTH_DAYS)).sum() / 1000)
        for s in clim.columns
    }
    country_of = {n.id: n.country for n in basin.spec.nodes}
    rows = []
    for n in basin.spec.nodes:
        storage = n.capacity_hm3 / 1000 if isinstance(n, ReservoirNode) else 0.0
        mw = 0.0
        if isinstance(n, ReservoirNode) and n.hydropower:
            mw = n.hydropower.installed_mw
        elif isinstance(n, HydropowerNode):
            mw = n.installed_mw
        rows.append((n.country, inflow_km3.get(n.id, 0.0), storage, mw))
    by_country = pd.DataFrame(rows, columns=["country", INFLOW, STORAGE, POWER])
    by_country = by_country.groupby("country").sum()
    areas = basin.tables.irrigated_areas
    if len(areas):
        area_kha = areas.groupby(level="node").sum().groupby(country_of.get).sum() / 1000
        by_country[AREA] = area_kha.reindex(by_country.index, fill_value=0.0)
    else:
        by_country[AREA] = 0.0
    by_country.loc["total"] = by_country.sum()
    return {
        "nodes": by_type,
        "by_country": by_country,
        "inflow_km3_per_yr": sum(inflow_km3.values()),
    }
