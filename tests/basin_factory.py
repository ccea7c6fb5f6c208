"""Write small basin folders (basin.yaml + CSV tables) for tests, from plain Python data.

``write_basin(tmp_path, nodes=[...], links=[...], inflows=...)`` writes any basin;
``tiny_basin(tmp_path)`` writes a valid five-water-node basin (source -> reservoir with a plant
-> irrigation and municipal -> sink) with one energy system; ``tiny_basin_parts()`` returns its
parts as fresh dicts and DataFrames, to change one thing before writing::

    parts = tiny_basin_parts()
    parts["nodes"][1]["capacity_hm3"] = -5
    folder = write_basin(tmp_path, **parts)

Tables (keyword arguments named after the keys of ``tables:`` in basin.yaml: ``crops``,
``irrigated_areas``, ``energy``, ...) may be a DataFrame, a dict of columns, or a str written
verbatim (for broken CSVs). Each written table is declared in ``tables:`` with the unit the
schema expects, unless ``units`` overrides it.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

from nexusmodel.basin.basin import MONTH_NAMES, MONTHS
from nexusmodel.basin.schema import DEFAULT_TABLES, TABLE_UNITS

Table = pd.DataFrame | Mapping[str, Any] | str


def _to_csv_text(table: Table) -> str:
    if isinstance(table, str):
        return table
    frame = table if isinstance(table, pd.DataFrame) else pd.DataFrame(dict(table))
    return frame.to_csv(index=False)


def inflow_frame(inflows: Table | Mapping[str, float | list[float]]) -> Table:
    """An inflow table from {source id: one value or 12 monthly values}, or as given."""
    if isinstance(inflows, str | pd.DataFrame):
        return inflows
    if "month" in inflows:
        return pd.DataFrame(dict(inflows))
    columns: dict[str, Any] = {"month": list(MONTHS)}
    for source, values in inflows.items():
        columns[source] = [float(values)] * 12 if isinstance(values, int | float) else values
    return pd.DataFrame(columns)


def write_basin(
    path: Path,
    nodes: list[dict[str, Any]],
    links: list[dict[str, Any]],
    inflows: Table | Mapping[str, float | list[float]],
    *,
    name: str = "Tiny basin",
    countries: list[str] | None = None,
    units: Mapping[str, str] | None = None,
    declare_tables: bool = True,
    extra: Mapping[str, Any] | None = None,
    **tables: Table | None,
) -> Path:
    """Write ``basin.yaml`` and its CSV tables into ``path`` (created if needed); return ``path``.

    ``countries`` defaults to the countries of the nodes; ``units`` overrides the unit declared
    for a table (e.g. ``{"inflows": "hm3/month"}``); ``declare_tables=False`` leaves out the
    ``tables:`` section (the default file names are then used); ``extra`` adds or replaces
    top-level keys of basin.yaml. A table given as None is not written.
    """
    path = Path(path)
    path.mkdir(parents=True, exist_ok=True)
    units = dict(units or {})
    all_tables: dict[str, Table | None] = {"inflows": inflow_frame(inflows), **tables}
    declared: dict[str, dict[str, str]] = {}
    for table_name, table in all_tables.items():
        if table is None:
            continue
        default = DEFAULT_TABLES.get(table_name)
        file_name = default.path if default else f"{table_name}.csv"
        (path / file_name).write_text(_to_csv_text(table), encoding="utf-8")
        allowed = TABLE_UNITS.get(table_name, (("",), False))[0]
        declared[table_name] = {"path": file_name, "unit": units.pop(table_name, allowed[0])}
    for table_name, unit in units.items():  # a unit for a table not written: declare it anyway
        declared[table_name] = {"path": f"{table_name}.csv", "unit": unit}
    if countries is None:
        countries = sorted({str(n.get("country")) for n in nodes if isinstance(n, dict)})
    doc: dict[str, Any] = {
        "name": name,
        "description": "a basin written by tests/basin_factory.py",
        "countries": countries,
        "reference_period": "synthetic",
        "illustrative": True,
    }
    if declare_tables:
        doc["tables"] = declared
    doc["nodes"] = nodes
    doc["links"] = links
    doc.update(extra or {})
    (path / "basin.yaml").write_text(yaml.safe_dump(doc, sort_keys=False), encoding="utf-8")
    return path


def monthly(value: float | list[float], **columns: Any) -> dict[str, Any]:
    """A Jan..Dec row as a dict of columns, with leading columns (e.g. ``node="R1"``)."""
    values = [value] * 12 if isinstance(value, int | float) else list(value)
    return {**columns, **dict(zip(MONTH_NAMES, values, strict=True))}


def energy_rows(
    node: str,
    demand_gwh: float = 5.0,
    thermal: float = 45.0,
    imports: float = 32.0,
    exports: float = 27.0,
) -> pd.DataFrame:
    """Twelve valid monthly rows of the energy table for one energy system."""
    return pd.DataFrame(
        {
            "node": [node] * 12,
            "month": list(MONTHS),
            "demand_gwh": [demand_gwh] * 12,
            "thermal_cost_usd_per_mwh": [thermal] * 12,
            "import_price_usd_per_mwh": [imports] * 12,
            "export_price_usd_per_mwh": [exports] * 12,
        }
    )


def las_rows(node: str, capacity_hm3: float, levels: tuple[float, float] = (100.0, 140.0)):
    """A valid level-area-storage table from 0 to ``capacity_hm3`` (5 rows)."""
    low, high = levels
    fractions = [0.0, 0.1, 0.3, 0.6, 1.0]
    return pd.DataFrame(
        {
            "node": [node] * 5,
            "level_m": [low + (high - low) * f**0.5 for f in fractions],
            "area_km2": [1.0 + 20.0 * f for f in fractions],
            "storage_hm3": [capacity_hm3 * f for f in fractions],
        }
    )


#: The crops of the tiny basin, reusable by other basins.
CROPS = pd.DataFrame(
    {
        "crop": ["cotton", "wheat"],
        "ky": [0.85, 1.05],
        "max_yield_t_per_ha": [3.4, 5.5],
        "price_usd_per_t": [600.0, 220.0],
        "cost_usd_per_ha": [800.0, 600.0],
    }
)
CROP_WATER = pd.DataFrame(
    [
        monthly([0, 0, 0, 20, 60, 120, 170, 150, 80, 0, 0, 0], crop="cotton"),
        monthly([0, 0, 30, 70, 110, 60, 0, 0, 0, 40, 20, 0], crop="wheat"),
    ]
)


def tiny_basin_parts() -> dict[str, Any]:
    """The parts of a valid tiny basin, as new objects each call (safe to change)."""
    nodes: list[dict[str, Any]] = [
        {"id": "S1", "type": "source", "name": "Headwater", "country": "AA"},
        {
            "id": "R1",
            "type": "reservoir",
            "name": "Big dam",
            "country": "AA",
            "capacity_hm3": 100.0,
            "dead_storage_hm3": 10.0,
            "initial_storage_hm3": 50.0,
            "hydropower": {
                "installed_mw": 20.0,
                "max_turbine_flow_m3s": 40.0,
                "tailwater_level_m": 60.0,
            },
        },
        {
            "id": "D1",
            "type": "irrigation",
            "name": "Valley farms",
            "country": "BB",
            "conveyance_efficiency": 0.8,
            "field_efficiency": 0.75,
            "return_fraction": 0.5,
        },
        {"id": "M1", "type": "municipal", "name": "Town", "country": "BB"},
        {"id": "K1", "type": "sink", "name": "Outlet", "country": "BB"},
        {
            "id": "ES_AA",
            "type": "energy_system",
            "name": "Power system",
            "country": "AA",
            "thermal_capacity_mw": 50.0,
        },
    ]
    links: list[dict[str, Any]] = [
        {"from": "S1", "to": "R1"},
        {"from": "R1", "to": "D1", "kind": "canal", "capacity_m3s": 30.0},
        {"from": "R1", "to": "M1", "kind": "canal"},
        {"from": "R1", "to": "K1"},
        {"from": "D1", "to": "K1", "kind": "return"},
        {"from": "M1", "to": "K1", "kind": "return"},
    ]
    return {
        "nodes": nodes,
        "links": links,
        "inflows": {"S1": [5, 5, 8, 15, 30, 40, 30, 20, 10, 8, 6, 5]},
        "evaporation": pd.DataFrame(
            [monthly([0, 0, 20, 60, 100, 120, 130, 110, 80, 50, 20, 0], node="R1")]
        ),
        "level_area_storage": las_rows("R1", 100.0),
        "crops": CROPS.copy(),
        "crop_water_requirements": CROP_WATER.copy(),
        "irrigated_areas": pd.DataFrame(
            {"node": ["D1", "D1"], "crop": ["cotton", "wheat"], "area_ha": [3000.0, 2000.0]}
        ),
        "municipal": pd.DataFrame(
            {
                "node": ["M1"],
                "population": [100_000],
                "per_capita_l_per_day": [200.0],
                "industrial_hm3_per_year": [1.0],
            }
        ),
        "energy": energy_rows("ES_AA"),
    }


def tiny_basin(path: Path, **overrides: Any) -> Path:
    """Write the valid tiny basin into ``path`` (parts replaced by ``overrides``); return it."""
    parts = tiny_basin_parts()
    parts.update(copy.deepcopy(overrides))
    return write_basin(path, **parts)
