"""Infrastructure drivers: remove, change and add nodes, links and their table rows.

The new network is re-validated (``check_basin``), so a broken change is an InputError
naming the scenario file that made it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any

import numpy as np
import pandas as pd
from pydantic import TypeAdapter, ValidationError

from nexusmodel.basin.basin import Basin, BasinTables
from nexusmodel.basin.checks import check_basin
from nexusmodel.basin.schema import (
    NODE_TYPES,
    GeneratorSpec,
    InterconnectorSpec,
    LinkSpec,
    Node,
)
from nexusmodel.errors import InputError, Problem, did_you_mean
from nexusmodel.scenario.keys import fail_if, where_set
from nexusmodel.scenario.load import Scenario
from nexusmodel.scenario.references import check_keys

__all__ = ["apply_infrastructure"]

_NODE = TypeAdapter(Node)


def _deep_update(base: dict[str, Any], change: Mapping[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for key, value in change.items():
        if isinstance(value, Mapping) and isinstance(out.get(key), dict):
            out[key] = _deep_update(out[key], value)
        else:
            out[key] = value
    return out


def _validation_problems(exc: ValidationError, scenario: Scenario, prefix: str) -> list[Problem]:
    problems = []
    for err in exc.errors():
        loc = [str(x) for x in err["loc"] if not (isinstance(x, str) and x in NODE_TYPES)]
        key = ".".join([prefix, *loc])
        value = err.get("input")
        shown = "" if isinstance(value, dict | list) else f"= {value!r}: "
        if err["type"] == "extra_forbidden":
            problems.append(
                Problem(where_set(scenario, key), "unknown key", "see basin.yaml's keys")
            )
        else:
            problems.append(Problem(where_set(scenario, key), f"{shown}{err['msg'].lower()}"))
    return problems


def _check_infrastructure_ids(basin: Basin, scenario: Scenario) -> list[Problem]:
    inf = scenario.spec.infrastructure
    problems: list[Problem] = []
    nodes = set(basin.nodes)
    links = {link.id for link in basin.links}
    for i, node in enumerate(inf.remove_nodes):
        if node not in nodes:
            problems.append(
                Problem(
                    where_set(scenario, f"infrastructure.remove_nodes[{i}]"),
                    f"= {node!r}: no such node",
                    did_you_mean(node, nodes),
                )
            )
    for i, link in enumerate(inf.remove_links):
        if link not in links:
            problems.append(
                Problem(
                    where_set(scenario, f"infrastructure.remove_links[{i}]"),
                    f"= {link!r}: no such link",
                    did_you_mean(link, links) + " (links are named FROM>TO)",
                )
            )
    removed = set(inf.remove_nodes)
    for node in inf.change_nodes:
        if node not in nodes or node in removed:
            problems.append(
                Problem(
                    where_set(scenario, f"infrastructure.change_nodes.{node}"),
                    "no such node" + (" (it is removed)" if node in removed else ""),
                    did_you_mean(node, nodes - removed),
                )
            )
    kept_links = {
        lid for lid in links if not set(lid.split(">")) & removed and lid not in inf.remove_links
    }
    for link in inf.change_links:
        if link not in kept_links:
            problems.append(
                Problem(
                    where_set(scenario, f"infrastructure.change_links.{link}"),
                    f"= {link!r}: no such link",
                    did_you_mean(link, kept_links) + " (links are named FROM>TO)",
                )
            )
    for added in inf.add_nodes:
        if added.id in nodes - removed:
            problems.append(
                Problem(
                    where_set(scenario, f"infrastructure.add_nodes[{added.id}]"),
                    f"node {added.id} already exists",
                    "change it with change_nodes, or remove it first",
                )
            )
    return problems


def _power_changes(
    basin: Basin, scenario: Scenario
) -> tuple[list[GeneratorSpec], list[InterconnectorSpec], list[Problem]]:
    """The basin's generators and interconnectors with the scenario's changes and additions."""
    inf = scenario.spec.infrastructure
    problems: list[Problem] = []
    out: dict[str, list[Any]] = {}
    for group, items, model, changes, added in (
        (
            "generators",
            basin.spec.generators,
            GeneratorSpec,
            inf.change_generators,
            inf.add_generators,
        ),
        (
            "interconnectors",
            basin.spec.interconnectors,
            InterconnectorSpec,
            inf.change_interconnectors,
            inf.add_interconnectors,
        ),
    ):
        ids = {item.id for item in items}
        for item_id in changes:
            if item_id not in ids:
                problems.append(
                    Problem(
                        where_set(scenario, f"infrastructure.change_{group}.{item_id}"),
                        f"= {item_id!r}: no such {group[:-1]}",
                        did_you_mean(item_id, ids),
                    )
                )
        kept: list[Any] = []
        for item in items:
            if item.id in changes:
                raw = _deep_update(item.model_dump(by_alias=True), changes[item.id])
                try:
                    item = model.model_validate(raw)
                except ValidationError as exc:
                    problems += _validation_problems(
                        exc, scenario, f"infrastructure.change_{group}.{item.id}"
                    )
                    continue
            kept.append(item)
        for item in added:
            if item.id in ids:
                problems.append(
                    Problem(
                        where_set(scenario, f"infrastructure.add_{group}[{item.id}]"),
                        f"{group[:-1]} {item.id} already exists",
                        f"change it with change_{group}",
                    )
                )
        out[group] = kept + list(added)
    return out["generators"], out["interconnectors"], problems


def _table_problems(basin: Basin, scenario: Scenario) -> list[Problem]:
    """Table rows must name nodes of the right type in the new network."""
    t = scenario.spec.infrastructure.tables
    problems: list[Problem] = []
    for group, keys, kind in (
        ("inflows_m3s", t.inflows_m3s, "source"),
        ("evaporation_mm", t.evaporation_mm, "reservoir"),
        ("level_area_storage", t.level_area_storage, "reservoir"),
        ("irrigated_areas_ha", t.irrigated_areas_ha, "irrigation"),
        ("municipal", t.municipal, "municipal"),
        ("energy", t.energy, "energy_system"),
    ):
        valid = {n.id: kind for n in basin.nodes_of_type(kind)}
        check_keys(
            problems,
            scenario,
            f"infrastructure.tables.{group}",
            keys,
            valid,
            f"{kind} node",
            basin,
        )
    crops = set(basin.tables.crops.index)
    for district, areas in t.irrigated_areas_ha.items():
        for crop in areas:
            if crop not in crops:
                problems.append(
                    Problem(
                        where_set(
                            scenario, f"infrastructure.tables.irrigated_areas_ha.{district}.{crop}"
                        ),
                        f"= {crop!r}: no such crop",
                        did_you_mean(crop, crops),
                    )
                )
    return problems


def _new_tables(tables: BasinTables, scenario: Scenario, removed: set[str]) -> BasinTables:
    t = scenario.spec.infrastructure.tables
    inflows = tables.inflows.drop(columns=[c for c in tables.inflows.columns if c in removed])
    for node, values in t.inflows_m3s.items():
        inflows[node] = np.asarray(values, dtype=float)
    historical = tables.inflows_historical
    if historical is not None:
        historical = historical.drop(columns=[c for c in historical.columns if c in removed])
    evaporation = tables.evaporation.drop(
        index=[n for n in tables.evaporation.index if n in removed]
    )
    for node, values in t.evaporation_mm.items():
        row = pd.DataFrame([values], index=[node], columns=list(range(1, 13)), dtype=float)
        evaporation = pd.concat([evaporation.drop(index=[node], errors="ignore"), row])
    las = {k: v for k, v in tables.level_area_storage.items() if k not in removed}
    for node, rows in t.level_area_storage.items():
        las[node] = pd.DataFrame([r.model_dump() for r in rows])[
            ["level_m", "area_km2", "storage_hm3"]
        ].astype(float)
    rules = tables.rule_curves
    if len(rules):
        rules = rules[[n not in removed for n, _ in rules.index]]
    areas = tables.irrigated_areas
    areas = areas[[n not in removed and n not in t.irrigated_areas_ha for n, _ in areas.index]]
    added = [(d, c, ha) for d, crops in t.irrigated_areas_ha.items() for c, ha in crops.items()]
    if added:
        index = pd.MultiIndex.from_tuples([(d, c) for d, c, _ in added], names=areas.index.names)
        areas = pd.concat(
            [areas, pd.Series([ha for *_, ha in added], index=index, name=areas.name)]
        )
    municipal = tables.municipal.drop(index=[n for n in tables.municipal.index if n in removed])
    for node, row in t.municipal.items():
        frame = pd.DataFrame([row.model_dump()], index=[node])[list(tables.municipal.columns)]
        municipal = pd.concat([municipal.drop(index=[node], errors="ignore"), frame.astype(float)])
    energy = tables.energy
    if len(energy):
        energy = energy[[n not in removed for n, _ in energy.index]]
    for node, monthly in t.energy.items():
        frame = pd.DataFrame(
            monthly.model_dump(),
            index=pd.MultiIndex.from_product([[node], range(1, 13)], names=["node", "month"]),
        )[list(tables.energy.columns)]
        energy = pd.concat([energy[[n != node for n, _ in energy.index]], frame.astype(float)])
    return replace(
        tables,
        inflows=inflows,
        inflows_historical=historical,
        evaporation=evaporation,
        level_area_storage=las,
        rule_curves=rules,
        irrigated_areas=areas,
        municipal=municipal,
        energy=energy,
    )


def apply_infrastructure(basin: Basin, scenario: Scenario) -> Basin:
    """A new Basin with the scenario's network changes, re-validated (or an InputError)."""
    inf = scenario.spec.infrastructure
    if inf.is_empty():
        return basin
    problems = _check_infrastructure_ids(basin, scenario)
    fail_if(problems, scenario)
    removed = set(inf.remove_nodes)
    nodes: list[Any] = []
    for node in basin.spec.nodes:
        if node.id in removed:
            continue
        if node.id in inf.change_nodes:
            raw = _deep_update(node.model_dump(by_alias=True), inf.change_nodes[node.id])
            try:
                node = _NODE.validate_python(raw)
            except ValidationError as exc:
                problems += _validation_problems(
                    exc, scenario, f"infrastructure.change_nodes.{node.id}"
                )
                continue
        nodes.append(node)
    nodes += list(inf.add_nodes)
    links: list[LinkSpec] = []
    for link in basin.links:
        if link.from_ in removed or link.to in removed or link.id in inf.remove_links:
            continue
        if link.id in inf.change_links:
            raw = _deep_update(link.model_dump(by_alias=True), inf.change_links[link.id])
            try:
                link = LinkSpec.model_validate(raw)
            except ValidationError as exc:
                problems += _validation_problems(
                    exc, scenario, f"infrastructure.change_links.{link.id}"
                )
                continue
        links.append(link)
    links += list(inf.add_links)
    gens, lines, power_problems = _power_changes(basin, scenario)
    problems += power_problems
    fail_if(problems, scenario)
    spec = basin.spec.model_copy(
        update={"nodes": nodes, "links": links, "generators": gens, "interconnectors": lines}
    )
    new = basin.with_spec(spec)
    problems = _table_problems(new, scenario)
    fail_if(problems, scenario)
    new = replace(new, tables=_new_tables(basin.tables, scenario, removed))
    where = str(scenario.origin_of("infrastructure") or scenario.path)
    yaml_file = str(basin.path / "basin.yaml")
    found = [
        Problem(
            f"{where}: infrastructure -> " + p.location.replace(yaml_file, "network"),
            p.message,
            p.fix,
        )
        for p in check_basin(new)
    ]
    if found:
        raise InputError(
            found, title=f"the infrastructure changes of {scenario.path} make an invalid basin"
        )
    return new
