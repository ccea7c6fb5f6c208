"""Checks of meaning on a loaded basin: ids, graph, bounds, tables. Each returns problems.

The schema (:mod:`nexusmodel.basin.schema`) has already checked shapes and ranges; these
checks look across fields, nodes and files. Every problem names the file, the node or row,
the field, the bad value and the fix.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING

import numpy as np

from nexusmodel.basin.basin import MEAN_MONTH_DAYS
from nexusmodel.basin.schema import (
    DemandNode,
    EnvironmentNode,
    IrrigationNode,
    JunctionNode,
    ReservoirNode,
)
from nexusmodel.errors import Problem, did_you_mean

if TYPE_CHECKING:
    from nexusmodel.basin.basin import Basin

Check = Callable[["Basin"], list[Problem]]


def _yaml(basin: Basin) -> str:
    return str(basin.path / "basin.yaml")


def _table(basin: Basin, name: str) -> str:
    from nexusmodel.basin.schema import DEFAULT_TABLES

    ref = basin.spec.tables.get(name, DEFAULT_TABLES.get(name))
    return str(basin.path / ref.path) if ref else str(basin.path)


def unknown_id(location: str, message: str, value: object, valid: Iterable[str]) -> Problem:
    """The problem of an id (node, crop, country, column) that is not one of ``valid``,
    with a 'did you mean' hint, e.g. ``evaporation.csv: node R_TOX: not a reservoir``."""
    choices = sorted(str(v) for v in valid) or ["(none)"]
    return Problem(location, message, did_you_mean(str(value), choices))


def check_ids(basin: Basin) -> list[Problem]:
    """Node ids are unique, countries are declared, links join existing water nodes once."""
    problems = []
    seen: set[str] = set()
    for node in basin.spec.nodes:
        if node.id in seen:
            problems.append(
                Problem(
                    f"{_yaml(basin)}: nodes[{node.id}].id", "duplicate id", "ids must be unique"
                )
            )
        seen.add(node.id)
        if node.country not in basin.spec.countries:
            problems.append(
                unknown_id(
                    f"{_yaml(basin)}: nodes[{node.id}].country",
                    f"= {node.country!r}: not in the basin's countries",
                    node.country,
                    basin.spec.countries,
                )
            )
    water = set(basin.water_node_ids)
    pairs: set[tuple[str, str]] = set()
    for link in basin.links:
        for end, value in (("from", link.from_), ("to", link.to)):
            if value not in water:
                fix = (
                    "energy systems take no links; plants deliver to them by country"
                    if value in basin.nodes
                    else did_you_mean(value, water)
                )
                problems.append(
                    Problem(
                        f"{_yaml(basin)}: links[{link.id}].{end}",
                        f"= {value!r}: no such water node",
                        fix,
                    )
                )
        if (link.from_, link.to) in pairs:
            problems.append(
                Problem(
                    f"{_yaml(basin)}: links[{link.id}]", "duplicate link", "merge the two links"
                )
            )
        pairs.add((link.from_, link.to))
    return problems


def _is_outlet(node: object) -> bool:
    return getattr(node, "type", "") == "sink" or (
        isinstance(node, EnvironmentNode) and node.terminal
    )


def _fully_consumptive(node: object) -> bool:
    """A demand node that returns nothing: its water ends there, as at an outlet."""
    return isinstance(node, DemandNode) and node.return_fraction == 0


def check_graph(basin: Basin) -> list[Problem]:
    """The network has no cycles and every water node drains to a sink or terminal lake
    (or ends at a fully consumptive demand, which needs no return link)."""
    problems = []
    water = basin.water_node_ids
    out: dict[str, list[str]] = {n: [] for n in water}
    for link in basin.links:
        if link.from_ in out and link.to in out:
            out[link.from_].append(link.to)
    for node_id in water:
        node = basin.nodes[node_id]
        if _is_outlet(node) and out[node_id]:
            problems.append(
                Problem(
                    f"{_yaml(basin)}: nodes[{node_id}]",
                    f"is an outlet ({node.type}) but has outgoing links {out[node_id]}",
                    "remove the links, or make it a junction",
                )
            )
    # cycles: iterative depth-first search with colours
    colour = dict.fromkeys(water, 0)
    for root in water:
        if colour[root]:
            continue
        stack = [(root, iter(out[root]))]
        colour[root] = 1
        path = [root]
        while stack:
            node_id, children = stack[-1]
            child = next(children, None)
            if child is None:
                colour[node_id] = 2
                stack.pop()
                path.pop()
            elif colour[child] == 1:
                cycle = path[path.index(child) :] + [child]
                problems.append(
                    Problem(
                        f"{_yaml(basin)}: links",
                        f"cycle {' > '.join(cycle)}",
                        "water must flow downhill: remove one link",
                    )
                )
                colour[child] = 2
            elif colour[child] == 0:
                colour[child] = 1
                stack.append((child, iter(out[child])))
                path.append(child)
    if problems:
        return problems
    # draining: reverse reachability from outlets
    into: dict[str, list[str]] = {n: [] for n in water}
    for src, dsts in out.items():
        for dst in dsts:
            into[dst].append(src)
    # a fully consumptive demand uses up all it receives: it needs no link to a sink
    reached = {n for n in water if _is_outlet(basin.nodes[n]) or _fully_consumptive(basin.nodes[n])}
    if not reached:
        problems.append(
            Problem(_yaml(basin), "no sink or terminal lake", "add a node of type sink")
        )
    frontier = list(reached)
    while frontier:
        for upstream in into[frontier.pop()]:
            if upstream not in reached:
                reached.add(upstream)
                frontier.append(upstream)
    for node_id in water:
        if node_id not in reached:
            problems.append(
                Problem(
                    f"{_yaml(basin)}: nodes[{node_id}]",
                    "does not drain to a sink or terminal lake",
                    "add a link downstream from it",
                )
            )
    return problems


def check_reservoirs(basin: Basin) -> list[Problem]:
    """Storage bounds are ordered; level-area-storage tables are monotonic and cover them."""
    problems = []
    las_file = _table(basin, "level_area_storage")
    for node in basin.nodes_of_type("reservoir"):
        assert isinstance(node, ReservoirNode)
        where = f"{_yaml(basin)}: nodes[{node.id}]"
        if node.dead_storage_hm3 > node.capacity_hm3:
            problems.append(
                Problem(
                    f"{where}.dead_storage_hm3",
                    f"= {node.dead_storage_hm3}: above capacity_hm3 = {node.capacity_hm3}",
                    "dead storage must be <= capacity",
                )
            )
        if not node.dead_storage_hm3 <= node.initial_storage_hm3 <= node.capacity_hm3:
            problems.append(
                Problem(
                    f"{where}.initial_storage_hm3",
                    f"= {node.initial_storage_hm3}: outside [{node.dead_storage_hm3}, {node.capacity_hm3}]",
                    "initial storage must lie between dead storage and capacity",
                )
            )
        table = basin.tables.level_area_storage.get(node.id)
        if table is None:
            if node.hydropower is not None:
                problems.append(
                    Problem(
                        las_file,
                        f"no level-area-storage rows for {node.id}",
                        "a reservoir with a plant needs one for its head",
                    )
                )
            continue
        if len(table) < 2:
            problems.append(
                Problem(
                    f"{las_file}: node {node.id}",
                    f"{len(table)} row(s)",
                    "give at least 2 rows, from dead storage to capacity",
                )
            )
            continue
        for col in ("level_m", "area_km2", "storage_hm3"):
            values = table[col].to_numpy()
            steps = np.diff(values)
            if (steps <= 0).any() if col != "area_km2" else (steps < 0).any():
                row = int(np.argmax(steps <= 0 if col != "area_km2" else steps < 0)) + 1
                problems.append(
                    Problem(
                        f"{las_file}: node {node.id}, row {row + 1}, column {col}",
                        f"= {values[row]}: not increasing (previous {values[row - 1]})",
                        "sort the rows by level; levels and storages must increase",
                    )
                )
            if (values < 0).any() and col != "level_m":
                row = int(np.argmax(values < 0))
                problems.append(
                    Problem(
                        f"{las_file}: node {node.id}, row {row + 1}, column {col}",
                        f"= {values[row]}: negative",
                        "must be >= 0",
                    )
                )
        storage = table["storage_hm3"]
        if (
            storage.max() < node.capacity_hm3 * 0.999
            or storage.min() > node.dead_storage_hm3 * 1.001 + 1e-9
        ):
            problems.append(
                Problem(
                    f"{las_file}: node {node.id}",
                    f"storage column spans {storage.min()}..{storage.max()} hm3, not the operating range "
                    f"{node.dead_storage_hm3}..{node.capacity_hm3}",
                    "extend the table from dead storage to capacity",
                )
            )
        if node.hydropower and node.hydropower.tailwater_level_m >= table["level_m"].max():
            problems.append(
                Problem(
                    f"{where}.hydropower.tailwater_level_m",
                    f"= {node.hydropower.tailwater_level_m}: not below the full level {table['level_m'].max()}",
                    "the tailwater must lie below the reservoir level",
                )
            )
    reservoir_ids = basin.ids_of_type("reservoir")
    for node_id in basin.tables.level_area_storage:
        if node_id not in reservoir_ids:
            problems.append(
                unknown_id(f"{las_file}: node {node_id}", "not a reservoir", node_id, reservoir_ids)
            )
    rules = basin.tables.rule_curves
    rule_file = _table(basin, "rule_curves")
    reservoirs = {n.id: n for n in basin.nodes_of_type("reservoir")}
    for node_id, bound in rules.index:
        if node_id not in reservoirs:
            problems.append(
                unknown_id(f"{rule_file}: node {node_id}", "not a reservoir", node_id, reservoirs)
            )
            continue
        if bound not in ("min", "max"):
            problems.append(
                Problem(f"{rule_file}: node {node_id}, bound", f"= {bound!r}", "use 'min' or 'max'")
            )
            continue
        values = rules.loc[(node_id, bound)].to_numpy(dtype=float)
        cap = reservoirs[node_id].capacity_hm3  # type: ignore[union-attr]
        if (values < 0).any() or (values > cap).any():
            problems.append(
                Problem(
                    f"{rule_file}: node {node_id}, {bound}",
                    f"values outside [0, {cap}] hm3",
                    "keep rule curves within capacity",
                )
            )
    for node_id in {n for n, _ in rules.index}:
        if (node_id, "min") in rules.index and (node_id, "max") in rules.index:
            lo = rules.loc[(node_id, "min")].to_numpy(dtype=float)
            hi = rules.loc[(node_id, "max")].to_numpy(dtype=float)
            if (lo > hi).any():
                month = int(np.argmax(lo > hi)) + 1
                problems.append(
                    Problem(
                        f"{rule_file}: node {node_id}, month {month}",
                        f"min {lo[month - 1]} > max {hi[month - 1]}",
                        "min must be <= max",
                    )
                )
    return problems


def check_series_tables(basin: Basin) -> list[Problem]:
    """Inflow, evaporation, crop, area, municipal and energy tables match the nodes and are sane."""
    problems = []
    t = basin.tables
    sources = basin.ids_of_type("source")
    inflow_file = _table(basin, "inflows")
    for s in sources:
        if s not in t.inflows.columns:
            problems.append(
                Problem(
                    inflow_file, f"no column for source {s}", "add a column named after the node id"
                )
            )
    for col in t.inflows.columns:
        if col not in sources:
            problems.append(
                unknown_id(f"{inflow_file}: column {col}", "not a source node", col, sources)
            )
        elif (t.inflows[col] < 0).any():
            month = int(t.inflows.index[t.inflows[col] < 0][0])
            value, unit = float(t.inflows.loc[month, col]), "m3/s"
            ref = basin.spec.tables.get("inflows")
            if ref is not None and ref.unit == "hm3/month":  # show the value as in the file
                value, unit = value * MEAN_MONTH_DAYS[month - 1] * 0.0864, "hm3/month"
            problems.append(
                Problem(
                    f"{inflow_file}: month {month}, column {col}",
                    f"= {value:g} {unit}: negative inflow",
                    "inflows must be >= 0",
                )
            )
    if t.inflows_historical is not None:
        hist = t.inflows_historical
        hist_file = _table(basin, "inflows_historical")
        for col in hist.columns:
            if col not in sources:
                problems.append(
                    unknown_id(f"{hist_file}: column {col}", "not a source node", col, sources)
                )
            elif (hist[col] < 0).any():
                when = hist.index[hist[col] < 0][0]
                problems.append(
                    Problem(
                        f"{hist_file}: date {when:%Y-%m}, column {col}",
                        "negative inflow",
                        "inflows must be >= 0",
                    )
                )
    reservoirs = basin.ids_of_type("reservoir")
    for node_id in t.evaporation.index:
        if node_id not in reservoirs:
            problems.append(
                unknown_id(
                    f"{_table(basin, 'evaporation')}: node {node_id}",
                    "not a reservoir",
                    node_id,
                    reservoirs,
                )
            )
    crops_file = _table(basin, "crops")
    crops = set(t.crops.index)
    for crop, row in t.crops.iterrows():
        for field in ("ky", "max_yield_t_per_ha", "price_usd_per_t", "cost_usd_per_ha"):
            if row[field] < 0 or (field == "ky" and row[field] == 0):
                problems.append(
                    Problem(
                        f"{crops_file}: crop {crop}, {field}",
                        f"= {row[field]}",
                        "must be > 0" if field == "ky" else "must be >= 0",
                    )
                )
    cwr_file = _table(basin, "crop_water_requirements")
    for crop in crops:
        if crop not in t.crop_water_requirements.index:
            problems.append(
                Problem(
                    cwr_file, f"no row for crop {crop}", "add its monthly net irrigation need (mm)"
                )
            )
    for crop, row in t.crop_water_requirements.iterrows():
        if crop not in crops:
            problems.append(
                unknown_id(f"{cwr_file}: crop {crop}", "crop not in the crop table", crop, crops)
            )
        negative = [m for m, v in row.items() if v < 0]
        if negative:
            month = negative[0]
            problems.append(
                Problem(
                    f"{cwr_file}: crop {crop}, month {month}",
                    f"= {row[month]}: negative water requirement",
                    "must be >= 0 (mm of net irrigation need)",
                )
            )
    areas_file = _table(basin, "irrigated_areas")
    districts = basin.ids_of_type("irrigation")
    for (node_id, crop), area in t.irrigated_areas.items():
        if node_id not in districts:
            problems.append(
                unknown_id(
                    f"{areas_file}: node {node_id}", "not an irrigation node", node_id, districts
                )
            )
        if crop not in crops:
            problems.append(
                unknown_id(
                    f"{areas_file}: node {node_id}, crop {crop}",
                    "crop not in the crop table",
                    crop,
                    crops,
                )
            )
        if area < 0:
            problems.append(
                Problem(
                    f"{areas_file}: node {node_id}, crop {crop}, area_ha",
                    f"= {area}",
                    "areas must be >= 0",
                )
            )
    for spec in basin.spec.nodes:
        if not isinstance(spec, IrrigationNode):
            continue
        for name, limit in spec.resources.items():
            for crop in limit.per_ha:
                if crop not in crops:
                    problems.append(
                        unknown_id(
                            f"{_yaml(basin)}: nodes[{spec.id}].resources.{name}.per_ha.{crop}",
                            "crop not in the crop table",
                            crop,
                            crops,
                        )
                    )
    listed = {n for n, _ in t.irrigated_areas.index}
    for d in districts:
        if d not in listed:
            problems.append(
                Problem(
                    areas_file, f"no areas for irrigation node {d}", "add rows node,crop,area_ha"
                )
            )
    mun_file = _table(basin, "municipal")
    for m in basin.ids_of_type("municipal"):
        if m not in t.municipal.index:
            problems.append(
                Problem(
                    mun_file, f"no row for municipal node {m}", "add population and per-capita use"
                )
            )
        else:
            row = t.municipal.loc[[m]].iloc[0]
            for field, value in row.items():
                if value < 0:
                    problems.append(
                        Problem(f"{mun_file}: node {m}, {field}", f"= {value}", "must be >= 0")
                    )
    towns = basin.ids_of_type("municipal")
    for node_id in t.municipal.index:
        if node_id not in towns:
            problems.append(
                unknown_id(f"{mun_file}: node {node_id}", "not a municipal node", node_id, towns)
            )
    energy_file = _table(basin, "energy")
    energy_nodes = (
        list(t.energy.index.get_level_values("node")) if "node" in t.energy.index.names else []
    )
    for es in basin.ids_of_type("energy_system"):
        if es not in energy_nodes:
            problems.append(
                Problem(energy_file, f"no rows for energy system {es}", "add 12 monthly rows")
            )
            continue
        rows = t.energy.loc[es]
        if sorted(rows.index) != list(range(1, 13)):
            problems.append(
                Problem(
                    f"{energy_file}: node {es}",
                    f"months {sorted(rows.index)}",
                    "give one row for each month 1..12",
                )
            )
            continue
        negative = rows[(rows < 0).any(axis=1)]
        if len(negative):
            month = int(negative.index[0])
            field = next(c for c in rows.columns if negative.iloc[0][c] < 0)
            problems.append(
                Problem(
                    f"{energy_file}: node {es}, month {month}, {field}",
                    f"= {negative.iloc[0][field]}",
                    "must be >= 0",
                )
            )
        node = basin.nodes[es]
        aggregate = getattr(node, "thermal_capacity_mw", 0.0) > 0
        bad = rows[
            ((rows.export_price_usd_per_mwh >= rows.thermal_cost_usd_per_mwh) & aggregate)
            | (rows.export_price_usd_per_mwh >= rows.import_price_usd_per_mwh)
        ]
        if len(bad):
            month = int(bad.index[0])
            problems.append(
                Problem(
                    f"{energy_file}: node {es}, month {month}, export_price_usd_per_mwh",
                    f"= {bad.export_price_usd_per_mwh.iloc[0]}: not below the "
                    + ("thermal cost and " if aggregate else "")
                    + "import price",
                    "keep exports cheaper, or the model would burn fuel (or import) to export",
                )
            )
        # unserved energy must never pay: here, or (over a line) in any linked system
        penalty = _cheapest_unserved_penalty(basin, es)
        above = rows[rows.export_price_usd_per_mwh >= penalty]
        if len(above):
            month = int(above.index[0])
            problems.append(
                Problem(
                    f"{energy_file}: node {es}, month {month}, export_price_usd_per_mwh",
                    f"= {above.export_price_usd_per_mwh.iloc[0]}: not below the "
                    f"unserved-energy penalty ({penalty:g} USD/MWh)",
                    "lower the export price or raise unserved_penalty_usd_per_mwh, or the model "
                    "would leave demand unserved to export",
                )
            )
    for node_id in dict.fromkeys(energy_nodes):
        if node_id not in basin.ids_of_type("energy_system"):
            problems.append(
                unknown_id(
                    f"{energy_file}: node {node_id}",
                    "not an energy system node",
                    node_id,
                    basin.ids_of_type("energy_system"),
                )
            )
    return problems


def check_nodes(basin: Basin) -> list[Problem]:
    """Per-type consistency: demand curves concave, plants have an energy system, outlets."""
    problems = []
    systems = set(basin.ids_of_type("energy_system"))
    for node in basin.spec.nodes:
        where = f"{_yaml(basin)}: nodes[{node.id}]"
        if isinstance(node, DemandNode):
            if node.return_fraction > 0 and not any(lk.from_ == node.id for lk in basin.links):
                problems.append(
                    Problem(
                        f"{where}.return_fraction",
                        f"= {node.return_fraction:g} but the node has no outgoing link",
                        "add a return link downstream, or set return_fraction: 0",
                    )
                )
            shares = [s.share for s in node.benefit_segments]
            by_month = [s.monthly_values() for s in node.benefit_segments]
            monthly = any(isinstance(s.value_usd_per_m3, list) for s in node.benefit_segments)
            if shares and abs(sum(shares) - 1) > 1e-6:
                problems.append(
                    Problem(
                        f"{where}.benefit_segments",
                        f"shares add up to {sum(shares):g}",
                        "they must add up to 1",
                    )
                )
            for month in range(12):
                values = [v[month] for v in by_month]
                if any(b > a for a, b in zip(values, values[1:], strict=False)):
                    problems.append(
                        Problem(
                            f"{where}.benefit_segments",
                            f"values {values} increase"
                            + (f" in month {month + 1}" if monthly else ""),
                            "a demand curve falls: list segments from the highest value down",
                        )
                    )
                    break
        if isinstance(node, JunctionNode) and node.split is not None:
            downstream = sorted(lk.to for lk in basin.links if lk.from_ == node.id)
            if sorted(node.split) != downstream:
                problems.append(
                    Problem(
                        f"{where}.split",
                        f"names {sorted(node.split)}",
                        f"give a weight to each downstream node of {node.id}: {downstream}",
                    )
                )
        if isinstance(node, JunctionNode) and node.residual_to is not None:
            downstream = sorted(lk.to for lk in basin.links if lk.from_ == node.id)
            if node.split is None or node.residual_to not in downstream:
                problems.append(
                    Problem(
                        f"{where}.residual_to",
                        f"= {node.residual_to!r}",
                        f"a residual flow needs a split and one of {downstream}",
                    )
                )
        if node.type == "environment":
            for link in basin.links:
                if link.to == node.id and link.monthly_loss:
                    problems.append(
                        Problem(
                            f"{_yaml(basin)}: links[{link.id}].loss_fraction",
                            f"= {link.loss_fraction}: a monthly or flow-dependent loss "
                            "(loss_segments) on a link into an environmental reach",
                            "give one fraction (the reach's accounts use one)",
                        )
                    )
        if node.type in ("reservoir", "hydropower"):
            has_plant = node.type == "hydropower" or getattr(node, "hydropower", None) is not None
            if has_plant:
                river_out = [
                    link for link in basin.links if link.from_ == node.id and link.kind == "river"
                ]
                if not river_out:
                    problems.append(
                        Problem(
                            where,
                            "has a plant but no outflow of kind 'river'",
                            "only river outflows pass the turbines: give the plant's "
                            "tailrace link kind: river",
                        )
                    )
                es = basin.energy_system_of(node)  # type: ignore[arg-type]
                if not es:
                    problems.append(
                        Problem(
                            where,
                            f"has a plant but no energy system serves country {node.country}",
                            "add an energy_system node for it",
                        )
                    )
                elif es not in systems:
                    problems.append(
                        unknown_id(
                            f"{where}.energy_system", f"= {es!r}: not an energy system", es, systems
                        )
                    )
    return problems


def _cheapest_unserved_penalty(basin: Basin, system: str) -> float:
    """The lowest unserved-energy penalty (USD/MWh) of ``system`` and of every system a line
    joins it to (directly or not): demand left unserved there could reach its exports."""
    linked = {system}
    lines = [(c.from_, c.to) for c in basin.spec.interconnectors]
    grown = True
    while grown:
        grown = False
        for a, b in lines:
            if (a in linked) != (b in linked):
                linked |= {a, b}
                grown = True
    return min(
        getattr(basin.nodes[k], "unserved_penalty_usd_per_mwh", np.inf)
        for k in linked
        if k in basin.nodes
    )


def check_power(basin: Basin) -> list[Problem]:
    """One energy system per country; generators and interconnectors name energy systems;
    generator and interconnector ids are unique; a line joins two different systems."""
    problems = []
    yaml = _yaml(basin)
    systems = basin.ids_of_type("energy_system")
    by_country: dict[str, str] = {}
    for node in basin.nodes_of_type("energy_system"):
        if node.country in by_country:
            problems.append(
                Problem(
                    f"{yaml}: nodes[{node.id}].country",
                    f"= {node.country!r}: country {node.country} already has the energy "
                    f"system {by_country[node.country]}",
                    "give each country one energy_system node (join the two balances)",
                )
            )
        else:
            by_country[node.country] = node.id
    seen: set[str] = set()
    for gen in basin.spec.generators:
        where = f"{yaml}: generators[{gen.id}]"
        if gen.id in seen:
            problems.append(Problem(f"{where}.id", "duplicate id", "ids must be unique"))
        seen.add(gen.id)
        if gen.energy_system not in systems:
            problems.append(
                unknown_id(
                    f"{where}.energy_system",
                    f"= {gen.energy_system!r}: no such energy system",
                    gen.energy_system,
                    systems,
                )
            )
    seen = set()
    for line in basin.spec.interconnectors:
        where = f"{yaml}: interconnectors[{line.id}]"
        if line.id in seen:
            problems.append(Problem(f"{where}.id", "duplicate id", "ids must be unique"))
        seen.add(line.id)
        for end, value in (("from", line.from_), ("to", line.to)):
            if value not in systems:
                problems.append(
                    unknown_id(
                        f"{where}.{end}",
                        f"= {value!r}: no such energy system (a country without a power "
                        "system cannot be joined by a line)",
                        value,
                        systems,
                    )
                )
        if line.from_ == line.to:
            problems.append(
                Problem(
                    f"{where}.to",
                    f"= {line.to!r}: the line joins {line.from_} to itself",
                    "join two different energy systems",
                )
            )
    return problems


CHECKS: tuple[Check, ...] = (
    check_ids,
    check_graph,
    check_reservoirs,
    check_power,
    check_series_tables,
    check_nodes,
)


def check_basin(basin: Basin) -> list[Problem]:
    """Every problem found by every check (the graph checks only if ids are sound).

    A duplicate id or a link to an unknown node would make the graph checks report
    consequences (nodes that seem not to drain), so they wait until the ids are fixed; the
    other checks do not depend on the graph and always run.
    """
    problems = check_ids(basin)
    ids_sound = not problems
    for check in CHECKS[1:]:
        if check is check_graph and not ids_sound:
            continue
        problems += check(basin)
    return problems
