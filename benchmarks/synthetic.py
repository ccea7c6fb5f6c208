"""Synthetic basins of any size for the benchmarks: ``synthetic_basin(n_nodes, months)``.

The network is a main stem of junctions draining to one sink, built segment by segment.
Each segment k has a stem junction ``J<k>`` and, cycling through a fixed pattern, some of:

- a tributary: source ``S<k>`` -> reservoir ``R<k>`` (with a plant, head from its
  level-area-storage table) -> ``J<k>``;
- a run-of-river plant ``H<k>`` on the stem (``J<k> -> H<k> -> J<k+1>``);
- an irrigation district ``D<k>`` (canal from ``J<k>``, return to ``J<k+1>``), three crops;
- a town ``M<k>`` (supply canal from ``J<k>``, wastewater to ``J<k+1>``);
- a demand node ``U<k>`` with a two-segment benefit curve (returns to ``J<k+1>``);
- an environmental reach ``E<k>`` on the stem (``J<k> -> E<k> -> J<k+1>``), soft minimum flow;
- a lateral source ``L<k>`` into ``J<k>``.

Countries change every few segments; each country has one energy system (thermal,
imports, exports), and plants deliver to their country's system. Everything is scaled so
that the LP is feasible for any size and horizon (reservoirs can always spill; rules soft).
The data are made up: only their sizes and shapes matter.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from nexusmodel.basin.basin import MONTHS, Basin, BasinTables, horizon_series
from nexusmodel.basin.checks import check_basin
from nexusmodel.basin.schema import BasinFile

#: What a segment may hold, in the order segments cycle through them.
PATTERN = (
    ("tributary", "district"),
    ("town", "hydro"),
    ("tributary", "district", "environment"),
    ("lateral", "demand"),
    ("tributary", "district", "hydro"),
    ("environment", "town"),
)
SEGMENTS_PER_COUNTRY = 6
CROPS = {  # ky, max_yield_t_per_ha, price_usd_per_t, cost_usd_per_ha
    "cotton": (0.85, 3.4, 600.0, 800.0),
    "wheat": (1.05, 5.5, 220.0, 600.0),
    "rice": (1.2, 4.9, 300.0, 900.0),
}
CROP_WATER_MM = {
    "cotton": [0, 0, 0, 20, 60, 150, 200, 150, 80, 0, 0, 0],
    "wheat": [0, 0, 30, 70, 110, 60, 0, 0, 0, 40, 20, 0],
    "rice": [0, 0, 0, 0, 300, 350, 350, 300, 160, 0, 0, 0],
}
SNOWMELT = np.array([0.5, 0.5, 0.6, 1.0, 1.7, 2.3, 2.1, 1.4, 0.8, 0.6, 0.5, 0.5])
EVAPORATION_MM = [5, 5, 30, 95, 150, 190, 200, 160, 125, 100, 60, 20]


def _node(id: str, type: str, country: str, **fields: object) -> dict[str, object]:
    return {"id": id, "name": id, "country": country, "type": type, **fields}


def _las(capacity: float, depth: float, bed: float) -> pd.DataFrame:
    """Power-law reservoir V = capacity * (h / depth)^2.5: levels, areas (dV/dh), storages."""
    h = np.linspace(0.05, 1.0, 12) * depth
    storage = capacity * (h / depth) ** 2.5
    area = 2.5 * capacity / depth * (h / depth) ** 1.5  # hm3/m = km2
    return pd.DataFrame({"level_m": bed + h, "area_km2": area, "storage_hm3": storage})


def synthetic_spec(n_nodes: int, seed: int = 1) -> tuple[dict[str, object], dict[str, object]]:
    """The basin file (as a dict) and its tables for about ``n_nodes`` nodes (>= 6)."""
    if n_nodes < 6:
        raise ValueError("a synthetic basin needs at least 6 nodes")
    rng = np.random.default_rng(seed)
    nodes: list[dict[str, object]] = []
    links: list[dict[str, object]] = []
    inflows: dict[str, np.ndarray] = {}
    las: dict[str, pd.DataFrame] = {}
    areas: dict[tuple[str, str], float] = {}
    municipal: dict[str, tuple[float, float, float]] = {}
    countries: list[str] = []
    n_plants: dict[str, int] = {}
    # budget: one sink, and (countries) energy systems, counted as they appear
    segment = 0
    while True:
        country = f"C{segment // SEGMENTS_PER_COUNTRY}"
        used = len(nodes) + 1 + len(countries) + (country not in countries)
        if used + 1 > n_nodes:  # no room for another stem junction
            break
        if country not in countries:
            countries.append(country)
        j, nxt = f"J{segment}", f"J{segment + 1}"
        nodes.append(_node(j, "junction", country))
        for item in PATTERN[segment % len(PATTERN)]:
            if len(nodes) + 1 + len(countries) + (2 if item in ("tributary",) else 1) > n_nodes:
                break
            scale = float(rng.uniform(0.6, 1.6))
            if item == "tributary":
                s, r = f"S{segment}", f"R{segment}"
                mean_m3s = 120.0 * scale
                capacity = 12.0 * mean_m3s * 86400 * 365 / 1e6 * 0.8  # ~0.8 years of inflow
                depth, bed = 80.0 + 60.0 * scale, 500.0 + 10.0 * segment
                nodes.append(_node(s, "source", country))
                nodes.append(
                    _node(
                        r,
                        "reservoir",
                        country,
                        capacity_hm3=round(capacity, 1),
                        dead_storage_hm3=round(0.25 * capacity, 1),
                        initial_storage_hm3=round(0.6 * capacity, 1),
                        end_storage="initial",
                        hydropower={
                            "installed_mw": round(0.009 * 0.9 * depth * mean_m3s * 2.0, 1),
                            "efficiency": 0.9,
                            "max_turbine_flow_m3s": round(2.2 * mean_m3s, 1),
                            "tailwater_level_m": bed + 0.1 * depth,
                        },
                    )
                )
                links += [{"from": s, "to": r}, {"from": r, "to": j}]
                inflows[s] = mean_m3s * SNOWMELT * rng.uniform(0.9, 1.1, 12)
                las[r] = _las(capacity, depth, bed)
                n_plants[country] = n_plants.get(country, 0) + 1
            elif item == "lateral":
                s = f"L{segment}"
                nodes.append(_node(s, "source", country))
                links.append({"from": s, "to": j})
                inflows[s] = 40.0 * scale * SNOWMELT
            elif item == "hydro":
                h = f"H{segment}"
                nodes.append(
                    _node(
                        h,
                        "hydropower",
                        country,
                        installed_mw=round(150.0 * scale, 1),
                        efficiency=0.88,
                        max_turbine_flow_m3s=round(400.0 * scale, 1),
                        head_m=round(30.0 * scale, 1),
                    )
                )
                links += [{"from": j, "to": h}, {"from": h, "to": nxt}]
                n_plants[country] = n_plants.get(country, 0) + 1
            elif item == "district":
                d = f"D{segment}"
                nodes.append(
                    _node(
                        d,
                        "irrigation",
                        country,
                        conveyance_efficiency=0.7,
                        field_efficiency=0.65,
                        return_fraction=0.4,
                    )
                )
                links += [
                    {"from": j, "to": d, "kind": "canal", "capacity_m3s": round(250 * scale)},
                    {"from": d, "to": nxt, "kind": "return"},
                ]
                for c, share in zip(CROPS, (0.5, 0.35, 0.15), strict=True):
                    areas[(d, c)] = round(120_000.0 * scale * share)
            elif item == "town":
                mt = f"M{segment}"
                nodes.append(_node(mt, "municipal", country, return_fraction=0.6))
                links += [
                    {"from": j, "to": mt, "kind": "canal"},
                    {"from": mt, "to": nxt, "kind": "return"},
                ]
                municipal[mt] = (1.5e6 * scale, 200.0, 100.0 * scale)
            elif item == "demand":
                u = f"U{segment}"
                nodes.append(
                    _node(
                        u,
                        "demand",
                        country,
                        monthly_demand_hm3=[round(30.0 * scale, 2)] * 12,
                        benefit_segments=[
                            {"share": 0.6, "value_usd_per_m3": 0.08},
                            {"share": 0.4, "value_usd_per_m3": 0.02},
                        ],
                        return_fraction=0.3,
                    )
                )
                links += [
                    {"from": j, "to": u, "kind": "canal"},
                    {"from": u, "to": nxt, "kind": "return"},
                ]
            elif item == "environment":
                e = f"E{segment}"
                nodes.append(
                    _node(
                        e,
                        "environment",
                        country,
                        min_flow_m3s=round(30.0 * scale, 1),
                        penalty_usd_per_m3=0.05,
                    )
                )
                links += [{"from": j, "to": e}, {"from": e, "to": nxt}]
        if not any(link["from"] == j and link["to"] == nxt for link in links):
            links.append({"from": j, "to": nxt})
        segment += 1
    # the last stem junction's successor is the sink
    sink = "SINK"
    last = f"J{segment}"
    for link in links:
        if link["to"] == last:
            link["to"] = sink
    nodes.append(_node(sink, "sink", countries[-1]))
    for c in countries:
        nodes.append(
            _node(
                f"ES_{c}",
                "energy_system",
                c,
                thermal_capacity_mw=3000.0,
                import_capacity_mw=500.0,
                export_capacity_mw=500.0,
            )
        )
    spec = {
        "name": f"synthetic-{n_nodes}",
        "description": "synthetic benchmark basin",
        "countries": countries,
        "reference_period": "none",
        "nodes": nodes,
        "links": links,
    }
    energy_rows = []
    for c in countries:
        demand = 400.0 + 350.0 * n_plants.get(c, 0)
        for month in MONTHS:
            winter = month in (11, 12, 1, 2, 3)
            energy_rows.append(
                {
                    "node": f"ES_{c}",
                    "month": month,
                    "demand_gwh": demand * (1.3 if winter else 0.85),
                    "thermal_cost_usd_per_mwh": 60.0 if winter else 45.0,
                    "import_price_usd_per_mwh": 80.0,
                    "export_price_usd_per_mwh": 25.0,
                }
            )
    reservoirs = list(las)
    tables = {
        "inflows": pd.DataFrame(inflows, index=pd.Index(list(MONTHS), name="month")),
        "evaporation": pd.DataFrame(
            [EVAPORATION_MM] * len(reservoirs),
            index=pd.Index(reservoirs, name="node"),
            columns=list(MONTHS),
            dtype=float,
        ),
        "level_area_storage": las,
        "crops": pd.DataFrame.from_dict(
            CROPS,
            orient="index",
            columns=["ky", "max_yield_t_per_ha", "price_usd_per_t", "cost_usd_per_ha"],
        ).rename_axis("crop"),
        "crop_water_requirements": pd.DataFrame.from_dict(
            CROP_WATER_MM, orient="index", columns=list(MONTHS), dtype=float
        ).rename_axis("crop"),
        "irrigated_areas": pd.Series(
            list(areas.values()),
            index=pd.MultiIndex.from_tuples(list(areas), names=["node", "crop"]),
            dtype=float,
            name="area_ha",
        ),
        "municipal": pd.DataFrame.from_dict(
            municipal,
            orient="index",
            columns=["population", "per_capita_l_per_day", "industrial_hm3_per_year"],
        ).rename_axis("node"),
        "energy": pd.DataFrame(energy_rows).set_index(["node", "month"]).astype(float),
    }
    return spec, tables


def synthetic_basin(n_nodes: int, months: int, seed: int = 1, start: str = "2025-01") -> Basin:
    """A validated synthetic basin of ``n_nodes`` nodes with series over ``months`` months."""
    spec, tables = synthetic_spec(n_nodes, seed)
    basin = Basin(
        spec=BasinFile.model_validate(spec),
        tables=BasinTables(**tables),  # type: ignore[arg-type]
        path=Path("."),
    )
    problems = check_basin(basin)
    if problems:
        raise ValueError("synthetic basin is invalid:\n" + "\n".join(map(str, problems)))
    if months % 12:
        raise ValueError("months must be whole years")
    return basin.with_series(horizon_series(basin, start, months // 12))


if __name__ == "__main__":
    import sys

    n = int(sys.argv[1]) if len(sys.argv) > 1 else 30
    b = synthetic_basin(n, 120)
    counts = pd.Series([node.type for node in b.spec.nodes]).value_counts()
    print(f"{len(b.spec.nodes)} nodes, {len(b.spec.links)} links")
    print(counts.to_string())
