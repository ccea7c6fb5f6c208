"""Properties of loading: random valid networks always load; random corruptions of them always
raise an InputError with a message (never another exception)."""

from __future__ import annotations

import copy
import tempfile
from pathlib import Path
from typing import Any

import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from basin_factory import CROP_WATER, CROPS, energy_rows, las_rows, monthly, write_basin
from nexusmodel.basin import load_basin
from nexusmodel.basin.schema import NODE_TYPES
from nexusmodel.basin.summary import basin_summary
from nexusmodel.errors import InputError

SETTINGS = settings(
    max_examples=40,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)
COUNTRIES = ("AA", "BB", "CC")
INNER_KINDS = (
    "junction",
    "reservoir",
    "irrigation",
    "municipal",
    "demand",
    "environment",
    "hydropower",
)
CSV_TABLES = (
    "inflows",
    "evaporation",
    "level_area_storage",
    "crops",
    "crop_water_requirements",
    "irrigated_areas",
    "municipal",
    "energy",
)

fractions = st.floats(0.3, 1.0)
volumes = st.floats(1.0, 20_000.0)


@st.composite
def networks(draw: st.DrawFn) -> dict[str, Any]:
    """A random valid basin: a tree of inner nodes draining to one outlet, sources at the top."""
    outlet_kind = draw(st.sampled_from(["sink", "environment"]))
    outlet: dict[str, Any] = {"id": "OUT", "type": outlet_kind, "name": "outlet", "country": "AA"}
    if outlet_kind == "environment":
        outlet |= {"terminal": True, "annual_target_hm3": draw(st.floats(0, 100))}
    nodes = [outlet]
    links: list[dict[str, Any]] = []
    tables: dict[str, list[Any]] = {name: [] for name in CSV_TABLES}
    plant_countries: set[str] = set()
    kinds = draw(st.lists(st.sampled_from(INNER_KINDS), min_size=1, max_size=8))
    for i, kind in enumerate(kinds, start=1):
        node_id = f"{kind[0].upper()}{i}"
        country = draw(st.sampled_from(COUNTRIES))
        node: dict[str, Any] = {
            "id": node_id,
            "type": kind,
            "name": f"{kind} {i}",
            "country": country,
        }
        if kind == "reservoir":
            capacity = draw(volumes)
            dead = capacity * draw(st.floats(0, 0.5))
            node |= {
                "capacity_hm3": capacity,
                "dead_storage_hm3": dead,
                "initial_storage_hm3": dead + (capacity - dead) * draw(st.floats(0, 1)),
            }
            if draw(st.booleans()):
                node["hydropower"] = {
                    "installed_mw": draw(st.floats(1, 2000)),
                    "max_turbine_flow_m3s": draw(st.floats(1, 1000)),
                    "tailwater_level_m": 60.0,
                }
                plant_countries.add(country)
            if "hydropower" in node or draw(st.booleans()):
                tables["level_area_storage"].append(las_rows(node_id, capacity))
            if draw(st.booleans()):
                tables["evaporation"].append(
                    pd.DataFrame([monthly(draw(st.floats(-20, 200)), node=node_id)])
                )
        elif kind == "hydropower":
            node |= {
                "installed_mw": draw(st.floats(1, 900)),
                "max_turbine_flow_m3s": 100.0,
                "head_m": 30.0,
            }
            plant_countries.add(country)
        elif kind == "irrigation":
            node |= {
                "conveyance_efficiency": draw(fractions),
                "field_efficiency": draw(fractions),
                "return_fraction": draw(st.floats(0, 1)),
            }
            crops = draw(
                st.lists(st.sampled_from(list(CROPS.crop)), min_size=1, max_size=2, unique=True)
            )
            areas = [draw(st.floats(0, 1e6)) for _ in crops]
            tables["irrigated_areas"].append(
                pd.DataFrame({"node": node_id, "crop": crops, "area_ha": areas})
            )
        elif kind == "municipal":
            node["return_fraction"] = draw(st.floats(0, 1))
            tables["municipal"].append(
                pd.DataFrame(
                    {
                        "node": [node_id],
                        "population": [draw(st.integers(0, 10_000_000))],
                        "per_capita_l_per_day": [draw(st.floats(0, 500))],
                        "industrial_hm3_per_year": [draw(st.floats(0, 500))],
                    }
                )
            )
        elif kind == "demand":
            share = draw(st.floats(0.1, 0.9))
            high = draw(st.floats(0, 1))
            node |= {
                "monthly_demand_hm3": [draw(st.floats(0, 100))] * 12,
                "benefit_segments": [
                    {"share": share, "value_usd_per_m3": high},
                    {"share": 1 - share, "value_usd_per_m3": high * draw(st.floats(0, 1))},
                ],
            }
        elif kind == "environment":
            node["min_flow_m3s"] = draw(st.floats(0, 50))
        nodes.append(node)
        parent = nodes[draw(st.integers(0, i - 1))]["id"]  # an earlier node: no cycles
        links.append(
            {
                "from": node_id,
                "to": parent,
                "kind": "return" if kind in ("irrigation", "municipal", "demand") else "river",
            }
        )
    # sources above every node that has no upstream link, and a few more
    fed = {link["to"] for link in links}
    sources: dict[str, list[float]] = {}
    for node in list(nodes[1:]):
        if node["id"] not in fed or draw(st.booleans()):
            source_id = f"S_{node['id']}"
            nodes.append(
                {"id": source_id, "type": "source", "name": "headwater", "country": node["country"]}
            )
            links.append({"from": source_id, "to": node["id"]})
            sources[source_id] = [draw(st.floats(0, 1000)) for _ in range(12)]
    for country in sorted(plant_countries):
        es = f"ES_{country}"
        nodes.append(
            {
                "id": es,
                "type": "energy_system",
                "name": es,
                "country": country,
                "thermal_capacity_mw": 100.0,
            }
        )
        tables["energy"].append(energy_rows(es))
    parts: dict[str, Any] = {
        "nodes": nodes,
        "links": links,
        "inflows": sources,
        "countries": list(COUNTRIES),
    }
    for name, frames in tables.items():
        if frames:
            parts[name] = pd.concat(frames, ignore_index=True)
    if tables["irrigated_areas"]:
        parts["crops"] = CROPS.copy()
        parts["crop_water_requirements"] = CROP_WATER.copy()
    return parts


def load(parts: dict[str, Any]) -> Any:
    with tempfile.TemporaryDirectory() as folder:
        return load_basin(write_basin(Path(folder), **parts))


@SETTINGS
@given(networks())
def test_random_valid_networks_load(parts: dict[str, Any]) -> None:
    basin = load(parts)
    assert len(basin.spec.nodes) == len(parts["nodes"])
    assert sorted(basin.tables.inflows.columns) == sorted(parts["inflows"])
    summary = basin_summary(basin)
    expected = (
        sum(
            sum(
                q * d * 0.0864
                for q, d in zip(v, [31, 28.25, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31], strict=True)
            )
            for v in parts["inflows"].values()
        )
        / 1000
    )
    assert abs(summary["inflow_km3_per_yr"] - expected) <= 1e-9 * max(1.0, expected)


# ------------------------------------------------------------------ corruptions


def negative_yaml_number(parts: dict[str, Any], draw: st.DrawFn) -> None:
    fields = {
        "reservoir": ["capacity_hm3", "dead_storage_hm3", "initial_storage_hm3"],
        "hydropower": ["installed_mw", "head_m", "max_turbine_flow_m3s"],
        "irrigation": ["conveyance_efficiency", "field_efficiency", "return_fraction"],
        "municipal": ["return_fraction", "shortage_penalty_usd_per_m3"],
        "demand": ["return_fraction"],
        "environment": ["min_flow_m3s", "annual_target_hm3"],
        "energy_system": ["thermal_capacity_mw"],
    }
    candidates = [(n, f) for n in parts["nodes"] for f in fields.get(n["type"], [])]
    candidates += [
        (link, f)
        for link in parts["links"]
        for f in ("loss_fraction", "capacity_m3s", "min_flow_m3s")
    ]
    target, field = draw(st.sampled_from(candidates))
    target[field] = -draw(st.floats(0.001, 1e6))


def negative_csv_number(parts: dict[str, Any], draw: st.DrawFn) -> None:
    columns = {
        "irrigated_areas": ["area_ha"],
        "crops": ["ky", "max_yield_t_per_ha", "price_usd_per_t", "cost_usd_per_ha"],
        "crop_water_requirements": ["Jan", "Jul"],
        "municipal": ["population", "per_capita_l_per_day", "industrial_hm3_per_year"],
        "energy": ["demand_gwh", "thermal_cost_usd_per_mwh"],
        "level_area_storage": ["area_km2", "storage_hm3"],
    }
    choices = [(t, c) for t, cols in columns.items() if t in parts for c in cols]
    choices += [("inflows", source) for source in parts["inflows"]]
    table, column = draw(st.sampled_from(choices))
    value = -draw(st.floats(0.001, 1e6))
    if table == "inflows":
        parts["inflows"][column][draw(st.integers(0, 11))] = value
    else:
        frame = parts[table]
        frame[column] = frame[column].astype(float)
        frame.loc[draw(st.integers(0, len(frame) - 1)), column] = value


def dangling_id(parts: dict[str, Any], draw: st.DrawFn) -> None:
    ghost = draw(st.sampled_from(["X1", "R99", "ghost", "S_R0"]))
    choices = ["link"] + [
        t
        for t in ("irrigated_areas", "municipal", "energy", "evaporation", "level_area_storage")
        if t in parts
    ]
    where = draw(st.sampled_from(choices))
    if where == "link":
        link = draw(st.sampled_from(parts["links"]))
        link[draw(st.sampled_from(["from", "to"]))] = ghost
    else:
        frame = parts[where]
        frame.loc[draw(st.integers(0, len(frame) - 1)), "node"] = ghost


def misspelt_type(parts: dict[str, Any], draw: st.DrawFn) -> None:
    node = draw(st.sampled_from(parts["nodes"]))
    kind = node["type"]
    i = draw(st.integers(0, len(kind) - 1))
    edit = draw(st.sampled_from(["drop", "swap", "insert", "case"]))
    if edit == "drop":
        new = kind[:i] + kind[i + 1 :]
    elif edit == "swap" and i + 1 < len(kind) and kind[i] != kind[i + 1]:
        new = kind[:i] + kind[i + 1] + kind[i] + kind[i + 2 :]
    elif edit == "case":
        new = kind.capitalize()
    else:
        new = kind[:i] + draw(st.sampled_from("aeiorsx_")) + kind[i:]
    if new in NODE_TYPES:
        new += "s"
    node["type"] = new


def removed_column(parts: dict[str, Any], draw: st.DrawFn) -> None:
    table = draw(st.sampled_from([t for t in CSV_TABLES if t in parts]))
    if table == "inflows":
        frame = pd.DataFrame({"month": list(range(1, 13)), **parts["inflows"]})
    else:
        frame = parts[table]
    parts[table] = frame.drop(columns=draw(st.sampled_from(list(frame.columns))))


def text_in_a_number_cell(parts: dict[str, Any], draw: st.DrawFn) -> None:
    table = draw(st.sampled_from([t for t in CSV_TABLES if t in parts]))
    text = draw(st.sampled_from(["", "n/a", "1,5", "12 m3/s", "--"]))
    if table == "inflows":
        source = draw(st.sampled_from(sorted(parts["inflows"])))
        parts["inflows"] = pd.DataFrame({"month": list(range(1, 13)), **parts["inflows"]})
        parts["inflows"][source] = parts["inflows"][source].astype(object)
        parts["inflows"].loc[draw(st.integers(0, 11)), source] = text
        return
    frame = parts[table]
    numeric = [c for c in frame.columns if c not in ("node", "crop", "bound")]
    column = draw(st.sampled_from(numeric))
    frame[column] = frame[column].astype(object)
    frame.loc[draw(st.integers(0, len(frame) - 1)), column] = text


CORRUPTIONS = {
    "text in a number cell": text_in_a_number_cell,
    "negative yaml number": negative_yaml_number,
    "negative csv number": negative_csv_number,
    "dangling id": dangling_id,
    "misspelt type": misspelt_type,
    "removed column": removed_column,
}


@st.composite
def corrupted(draw: st.DrawFn) -> tuple[str, dict[str, Any]]:
    parts = copy.deepcopy(draw(networks()))
    name = draw(st.sampled_from(sorted(CORRUPTIONS)))
    CORRUPTIONS[name](parts, draw)
    return name, parts


@SETTINGS
@given(corrupted())
def test_random_corruptions_raise_an_input_error_with_a_message(
    case: tuple[str, dict[str, Any]],
) -> None:
    name, parts = case
    try:
        load(parts)
    except InputError as exc:
        assert exc.problems, name
        for problem in exc.problems:
            assert problem.location and problem.message, (name, problem)
            assert str(problem) in str(exc)
        assert str(exc).startswith(("invalid basin", "invalid input", "cannot read input"))
    else:
        raise AssertionError(f"{name}: the corrupted basin loaded")
