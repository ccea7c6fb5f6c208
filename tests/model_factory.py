"""Tiny basins built in memory (no files) for the hand-worked tests of the optimization core.

``make_basin(nodes, links, ...)`` validates the network exactly as ``load_basin`` would
(pydantic schema, then :func:`nexusmodel.basin.checks.check_basin`) and returns a
:class:`~nexusmodel.basin.basin.Basin` without horizon series; ``with_months`` gives it
series over a few months with inflows stated in hm3 per month, so that the expected
numbers in the tests can be worked out by hand in hm3; ``run`` builds, solves and extracts.

Conversions used in the tests' hand arithmetic:

- ``hm3 per month = m3/s * days * 86400 / 1e6`` (31-day month: 1 m3/s = 2.6784 hm3);
- ``GWh = 0.002725 * eta * head_m * hm3``; a month of ``MW`` is ``MW * 24 * days / 1000`` GWh;
- ``USD/m3 = MUSD/hm3``; 1 GWh at 1 USD/MWh is 0.001 MUSD.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import xarray as xr

from nexusmodel.basin.basin import MONTHS, Basin, BasinTables, horizon_series
from nexusmodel.basin.checks import check_basin
from nexusmodel.basin.schema import BasinFile
from nexusmodel.model import ModelOptions, build_model
from nexusmodel.results import extract_results
from nexusmodel.solve import SolveReport, solve

SECONDS_PER_DAY = 86_400.0
COUNTRY = "KZ"


def node(id: str, type: str, **fields: Any) -> dict[str, Any]:
    """A node as basin.yaml would hold it (name and country filled in)."""
    return {"id": id, "name": fields.pop("name", id), "country": COUNTRY, "type": type, **fields}


def link(source: str, target: str, **fields: Any) -> dict[str, Any]:
    return {"from": source, "to": target, **fields}


def monthly_table(rows: Mapping[str, Sequence[float] | float]) -> pd.DataFrame:
    """Index ids, columns months 1..12 (a scalar repeats over the year)."""
    data = {
        key: list(values) if isinstance(values, Sequence) else [float(values)] * 12
        for key, values in rows.items()
    }
    return pd.DataFrame.from_dict(data, orient="index", columns=list(MONTHS), dtype=float)


def energy_table(
    system: str,
    demand_gwh: Sequence[float] | float,
    thermal_usd_mwh: Sequence[float] | float,
    import_usd_mwh: Sequence[float] | float = 200.0,
    export_usd_mwh: Sequence[float] | float = 10.0,
) -> pd.DataFrame:
    """The ``energy`` table of one system: index (node, month)."""

    def twelve(v: Sequence[float] | float) -> list[float]:
        return list(v) if isinstance(v, Sequence) else [float(v)] * 12

    frame = pd.DataFrame(
        {
            "node": [system] * 12,
            "month": list(MONTHS),
            "demand_gwh": twelve(demand_gwh),
            "thermal_cost_usd_per_mwh": twelve(thermal_usd_mwh),
            "import_price_usd_per_mwh": twelve(import_usd_mwh),
            "export_price_usd_per_mwh": twelve(export_usd_mwh),
        }
    )
    return frame.set_index(["node", "month"]).astype(float)


def crops_table(rows: Mapping[str, tuple[float, float, float, float]]) -> pd.DataFrame:
    """crop -> (ky, max_yield_t_per_ha, price_usd_per_t, cost_usd_per_ha)."""
    cols = ["ky", "max_yield_t_per_ha", "price_usd_per_t", "cost_usd_per_ha"]
    return pd.DataFrame.from_dict(dict(rows), orient="index", columns=cols, dtype=float)


def areas_table(rows: Mapping[tuple[str, str], float]) -> pd.Series:
    index = pd.MultiIndex.from_tuples(list(rows), names=["node", "crop"])
    return pd.Series(list(rows.values()), index=index, dtype=float, name="area_ha")


def las_table(
    levels: Sequence[float], areas: Sequence[float], storages: Sequence[float]
) -> pd.DataFrame:
    return pd.DataFrame(
        {"level_m": levels, "area_km2": areas, "storage_hm3": storages}, dtype=float
    )


def make_basin(
    nodes: list[dict[str, Any]],
    links: list[dict[str, Any]],
    *,
    name: str = "hand",
    **tables: Any,
) -> Basin:
    """A validated Basin from node and link dicts and optional tables (BasinTables fields).

    The inflow table defaults to zero for every source (tests set inflows with ``with_months``).
    """
    spec = BasinFile.model_validate(
        {
            "name": name,
            "description": "hand-made test basin",
            "countries": sorted({n["country"] for n in nodes}),
            "reference_period": "none",
            "nodes": nodes,
            "links": links,
        }
    )
    sources = [n["id"] for n in nodes if n["type"] == "source"]
    if "inflows" not in tables:
        tables["inflows"] = pd.DataFrame(
            0.0, index=pd.Index(list(MONTHS), name="month"), columns=sources
        )
    if "energy" not in tables:
        # empty, but with the file's index (node, month) and columns
        tables["energy"] = energy_table("none", 0.0, 0.0).iloc[:0]
    if "crops" not in tables:
        # empty, with the file's columns: horizon_series reads the price and cost columns
        tables["crops"] = crops_table({})
    basin = Basin(spec=spec, tables=BasinTables(**tables), path=Path("."))
    problems = check_basin(basin)
    assert not problems, "\n".join(map(str, problems))
    return basin


def hm3_to_m3s(hm3: np.ndarray, months: pd.DatetimeIndex) -> np.ndarray:
    """Mean rate (m3/s) that carries ``hm3`` over each month."""
    days = np.asarray(months.days_in_month, dtype=float)
    return np.asarray(hm3, dtype=float) * 1e6 / (days * SECONDS_PER_DAY)


def with_months(
    basin: Basin,
    n_months: int,
    inflow_hm3: Mapping[str, Sequence[float] | float] | None = None,
    *,
    start: str = "2030-01",
    demand_hm3: Mapping[str, Sequence[float]] | None = None,
    municipal_hm3: Mapping[str, Sequence[float]] | None = None,
) -> Basin:
    """The basin with series over ``n_months`` months from ``start`` (2030 is not a leap year).

    Series come from the tables (``horizon_series``); ``inflow_hm3`` (hm3 in each month, or a
    constant) replaces the inflows of the sources it names, the others get none; demand and
    municipal volumes may be given per month (hm3) too.
    """
    full = horizon_series(basin, start, math.ceil(n_months / 12))
    months = full.months[:n_months]
    years_kept = sorted(set(months.year))
    frames: dict[str, Any] = {}
    for f in dataclasses.fields(full):
        value = getattr(full, f.name)
        if isinstance(value, pd.DataFrame) and isinstance(value.index, pd.DatetimeIndex):
            frames[f.name] = value.iloc[:n_months]  # monthly series
        elif isinstance(value, pd.DataFrame) and value.index.name == "year":
            frames[f.name] = value.loc[years_kept]  # yearly series (areas, crop prices)
    inflow = pd.DataFrame(0.0, index=months, columns=basin.ids_of_type("source"))
    for source, values in (inflow_hm3 or {}).items():
        hm3 = np.broadcast_to(np.asarray(values, dtype=float), (n_months,))
        inflow[source] = hm3_to_m3s(hm3, months)
    frames["inflow_m3s"] = inflow
    for frame_name, override in (("demand_hm3", demand_hm3), ("municipal_hm3", municipal_hm3)):
        if override:
            frame = frames[frame_name].copy()
            for key, values in override.items():
                frame[key] = np.asarray(values, dtype=float)
            frames[frame_name] = frame
    return basin.with_series(dataclasses.replace(full, **frames))


@dataclasses.dataclass
class Run:
    model: Any
    report: SolveReport
    ds: xr.Dataset

    def at(self, name: str, node: str) -> np.ndarray:
        """A (node, time) variable at one node, as a plain array over the steps."""
        return self.ds[name].sel(node=node).to_numpy()

    def flow(self, source: str, target: str) -> np.ndarray:
        return self.ds["link_flow"].sel(link=f"{source}>{target}").to_numpy()


def run(basin: Basin, **options: Any) -> Run:
    """Build, solve and extract with ``ModelOptions(discount_rate=0, **options)``."""
    opts = ModelOptions(**{"discount_rate": 0.0, **options})
    model = build_model(basin, opts)
    report = solve(model)
    return Run(model, report, extract_results(model, report))
