"""``apply_scenario(basin, scenario) -> Basin``: pure; turns a scenario into horizon series.

Stages (each a plain function; the input Basin is never changed):

1. :func:`apply_infrastructure`: remove, change and add nodes, links and their table rows;
   the new network is re-validated (``check_basin``), so a broken change is an InputError
   naming the scenario file that made it;
2. :func:`check_references`: every node id, country and crop the drivers and rules name
   exists and is of the right type;
3. policy on the network: irrigation efficiencies and ecological flow rules (node settings),
   release rules and spill caps (:class:`nexusmodel.basin.basin.Policy`, read by the model's
   ``release_rules`` component);
4. :func:`scenario_series`: the hydrology (climatology, historical or stochastic) over the
   horizon, then every driver as a multiplier series (:mod:`nexusmodel.scenario.drivers`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any, TypeVar

import numpy as np
import pandas as pd
from pydantic import TypeAdapter, ValidationError

from nexusmodel.basin.basin import (
    Basin,
    BasinSeries,
    BasinTables,
    MinRelease,
    Policy,
    SeasonShare,
    SpillCap,
    horizon_series,
    month_days,
)
from nexusmodel.basin.checks import check_basin
from nexusmodel.basin.schema import NODE_TYPES, EnvironmentNode, IrrigationNode, LinkSpec, Node
from nexusmodel.errors import InputError, Problem, did_you_mean
from nexusmodel.scenario import drivers
from nexusmodel.scenario.hydrology import MEAN_DAYS, SECONDS_PER_DAY, fit_to_annual_statistics
from nexusmodel.scenario.load import Scenario, load_scenario
from nexusmodel.scenario.schema import Change, Growth, MonthlyChange

T = TypeVar("T")
WINTER = (10, 11, 12, 1, 2, 3)
_NODE = TypeAdapter(Node)


def _where(scenario: Scenario, dotted: str) -> str:
    """``file: key`` with the file of the chain that set the key."""
    return f"{scenario.origin_of(dotted) or scenario.path}: {dotted}"


def _fail(problems: list[Problem], scenario: Scenario, what: str = "invalid scenario") -> None:
    if problems:
        raise InputError(problems, title=f"{what} {scenario.path}")


# --------------------------------------------------------------------------- references


def _choices(basin: Basin, *types: str, countries: bool = True) -> dict[str, str]:
    """Valid keys -> what they are: 'all', the countries that have such nodes, node ids."""
    nodes = basin.nodes_of_type(*types)
    out = {"all": "every node"}
    if countries:
        out |= {n.country: "country" for n in nodes}
    out |= {n.id: n.type for n in nodes}
    return out


def _check_keys(
    problems: list[Problem],
    scenario: Scenario,
    group: str,
    keys: Iterable[str],
    valid: Mapping[str, str],
    wanted: str,
    basin: Basin,
) -> None:
    """One problem per key that is not in ``valid`` (naming what the key is, if a node)."""
    for key in keys:
        if key in valid:
            continue
        if key in basin.nodes:
            kind = basin.nodes[key].type
            article = "an" if kind[0] in "aeiou" else "a"
            message = f"'{key}' is {article} {kind} node, not {wanted}"
        else:
            message = f"= {key!r}: no such {wanted}"
        hint = did_you_mean(key, valid)
        fix = hint if hint.startswith("valid") else f"{hint} valid choices: " + ", ".join(valid)
        problems.append(Problem(_where(scenario, f"{group}.{key}"), message, fix))


def check_references(basin: Basin, scenario: Scenario) -> list[Problem]:
    """Problems with the node ids, countries and crops named by drivers and rules.

    ``basin`` is the network after the scenario's infrastructure changes.
    """
    s = scenario.spec
    problems: list[Problem] = []
    crops = {"all": "every crop"} | {str(c): "crop" for c in basin.tables.crops.index}
    towns = _choices(basin, "municipal")
    systems = _choices(basin, "energy_system")
    districts = _choices(basin, "irrigation")
    sources = _choices(basin, "source")
    reservoirs = _choices(basin, "reservoir")
    checks: list[tuple[str, Iterable[str], Mapping[str, str], str]] = [
        (
            "demography.population_growth",
            s.demography.population_growth,
            towns,
            "country or municipal node",
        ),
        (
            "demography.per_capita_use",
            s.demography.per_capita_use,
            towns,
            "country or municipal node",
        ),
        (
            "economy.industrial_demand",
            s.economy.industrial_demand,
            towns,
            "country or municipal node",
        ),
        ("economy.crop_prices", s.economy.crop_prices, crops, "crop"),
        ("economy.crop_costs", s.economy.crop_costs, crops, "crop"),
        ("economy.energy_prices", s.economy.energy_prices, systems, "country or energy system"),
        ("economy.energy_demand", s.economy.energy_demand, systems, "country or energy system"),
        (
            "economy.irrigated_area",
            s.economy.irrigated_area,
            districts,
            "country or irrigation node",
        ),
        ("climate.inflow_change", s.climate.inflow_change, sources, "country or source node"),
        ("climate.crop_water_demand", s.climate.crop_water_demand, crops, "crop"),
        ("climate.evaporation", s.climate.evaporation, reservoirs, "country or reservoir"),
        (
            "policy.irrigation_efficiency",
            s.policy.irrigation_efficiency,
            districts,
            "country or irrigation node",
        ),
        (
            "policy.ecological_flows",
            s.policy.ecological_flows,
            {n.id: "environment" for n in basin.nodes_of_type("environment")},
            "environment node",
        ),
        (
            "policy.seasonal_release",
            s.policy.seasonal_release,
            {n.id: n.type for n in basin.nodes_of_type("reservoir", "hydropower")},
            "reservoir or hydropower node",
        ),
        (
            "policy.agreed_releases",
            s.policy.agreed_releases,
            {n.id: n.type for n in basin.nodes_of_type("reservoir", "hydropower")},
            "reservoir or hydropower node",
        ),
        (
            "policy.spill_caps",
            s.policy.spill_caps,
            {n.id: "sink" for n in basin.nodes_of_type("sink")},
            "sink node",
        ),
    ]
    for group, keys, valid, wanted in checks:
        _check_keys(problems, scenario, group, keys, valid, wanted, basin)
    if s.climate.snowmelt_shift is not None:
        _check_keys(
            problems,
            scenario,
            "climate.snowmelt_shift.nodes",
            s.climate.snowmelt_shift.nodes,
            sources,
            "country or source node",
            basin,
        )
    for sink in s.policy.spill_caps:
        if sink in basin.nodes and not [
            link for link in basin.links if link.to == sink and link.kind != "return"
        ]:
            problems.append(
                Problem(
                    _where(scenario, f"policy.spill_caps.{sink}"),
                    f"no spillway or river flows into {sink} (return channels are not capped)",
                    "cap a sink that receives a spill link",
                )
            )
    return problems


# --------------------------------------------------------------------------- infrastructure


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
            problems.append(Problem(_where(scenario, key), "unknown key", "see basin.yaml's keys"))
        else:
            problems.append(Problem(_where(scenario, key), f"{shown}{err['msg'].lower()}"))
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
                    _where(scenario, f"infrastructure.remove_nodes[{i}]"),
                    f"= {node!r}: no such node",
                    did_you_mean(node, nodes),
                )
            )
    for i, link in enumerate(inf.remove_links):
        if link not in links:
            problems.append(
                Problem(
                    _where(scenario, f"infrastructure.remove_links[{i}]"),
                    f"= {link!r}: no such link",
                    did_you_mean(link, links) + " (links are named FROM>TO)",
                )
            )
    removed = set(inf.remove_nodes)
    for node in inf.change_nodes:
        if node not in nodes or node in removed:
            problems.append(
                Problem(
                    _where(scenario, f"infrastructure.change_nodes.{node}"),
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
                    _where(scenario, f"infrastructure.change_links.{link}"),
                    f"= {link!r}: no such link",
                    did_you_mean(link, kept_links) + " (links are named FROM>TO)",
                )
            )
    for node in inf.add_nodes:
        if node.id in nodes - removed:
            problems.append(
                Problem(
                    _where(scenario, f"infrastructure.add_nodes[{node.id}]"),
                    f"node {node.id} already exists",
                    "change it with change_nodes, or remove it first",
                )
            )
    return problems


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
        _check_keys(
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
                        _where(
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
    for node, rows in t.energy.items():
        frame = pd.DataFrame(
            rows.model_dump(),
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
    _fail(problems, scenario)
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
    _fail(problems, scenario)
    spec = basin.spec.model_copy(update={"nodes": nodes, "links": links})
    new = basin.with_spec(spec)
    problems = _table_problems(new, scenario)
    _fail(problems, scenario)
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


# --------------------------------------------------------------------------- policy on the network


def _resolve(mapping: Mapping[str, T], node: str, country: str) -> T | None:
    """The most specific setting for a node: its id, then its country, then 'all'."""
    for key in (node, country, "all"):
        if key in mapping:
            return mapping[key]
    return None


def _resolve_key(mapping: Mapping[str, Any], node: str, country: str) -> str | None:
    for key in (node, country, "all"):
        if key in mapping:
            return key
    return None


def apply_network_policy(basin: Basin, scenario: Scenario) -> Basin:
    """Irrigation efficiencies and ecological flow rules set on the nodes; release rules."""
    policy = scenario.spec.policy
    nodes = []
    for node in basin.spec.nodes:
        if isinstance(node, IrrigationNode):
            eff = _resolve(policy.irrigation_efficiency, node.id, node.country)
            if eff is not None:
                update = {}
                for part in ("conveyance", "field"):
                    new = getattr(eff, f"{part}_efficiency")
                    pct = getattr(eff, f"{part}_change_pct")
                    old = getattr(node, f"{part}_efficiency")
                    if new is None and pct is not None:
                        new = min(1.0, old * (1.0 + pct / 100.0))  # capped at 1
                    if new is not None:
                        update[f"{part}_efficiency"] = new
                node = node.model_copy(update=update)
        elif isinstance(node, EnvironmentNode) and node.id in policy.ecological_flows:
            rule = policy.ecological_flows[node.id]
            update = {k: v for k, v in rule.model_dump().items() if v is not None}
            if isinstance(rule.min_flow_m3s, dict):
                update["min_flow_m3s"] = [
                    float(rule.min_flow_m3s.get(m, 0.0)) for m in range(1, 13)
                ]
            node = node.model_copy(update=update)
        nodes.append(node)
    new = basin.with_spec(basin.spec.model_copy(update={"nodes": nodes}))
    shares = tuple(
        SeasonShare(
            node,
            tuple(sorted(set(r.months))),
            None if r.min_share_pct is None else r.min_share_pct / 100.0,
            None if r.max_share_pct is None else r.max_share_pct / 100.0,
            r.hard,
            r.penalty_usd_per_m3,
        )
        for node, r in policy.seasonal_release.items()
    )
    releases = []
    for node, r in policy.agreed_releases.items():
        values = np.zeros(12)
        for month, value in r.minimum.items():
            values[month - 1] = value
        if r.unit == "hm3/month":  # as a mean rate over a month of mean length
            values = values * 1e6 / (MEAN_DAYS * SECONDS_PER_DAY)
        releases.append(
            MinRelease(node, tuple(float(v) for v in values), r.hard, r.penalty_usd_per_m3)
        )
    caps = tuple(
        SpillCap(node, c.max_hm3_per_year, c.max_m3s, c.hard, c.penalty_usd_per_m3)
        for node, c in policy.spill_caps.items()
    )
    return new.with_policy(Policy(shares, tuple(releases), caps))


# --------------------------------------------------------------------------- series


class _Drivers:
    """Multiplier series on the horizon's months, with problems named by scenario key."""

    def __init__(self, scenario: Scenario, months: pd.DatetimeIndex) -> None:
        self.scenario = scenario
        self.months = months
        self.problems: list[Problem] = []

    def call(self, key: str, fn: Callable[..., np.ndarray], *args: Any) -> np.ndarray:
        try:
            return np.asarray(fn(*args), dtype=float)
        except ValueError as exc:
            self.problems.append(Problem(_where(self.scenario, key), str(exc)))
            return np.ones(len(self.months))

    def change(self, key: str, change: Change) -> np.ndarray:
        """1 + change, reached by step or ramp."""
        return self.call(key, drivers.ramp, self.months, change.change_pct / 100.0, change.mode)

    def progress(self, key: str, mode: str) -> np.ndarray:
        """Share of a change applied at each step: 1 (step) or 0..1 by calendar year (ramp)."""
        return self.call(key, drivers.ramp, self.months, 1.0, mode) - 1.0

    def monthly(self, key: str, change: MonthlyChange) -> np.ndarray:
        table = dict(enumerate(change.table(), start=1))
        by_month = self.call(key, drivers.monthly_change, self.months, table)
        return 1.0 + (by_month - 1.0) * self.progress(key, change.mode)

    def growth(self, key: str, growth: Growth) -> np.ndarray:
        if growth.rate_pct_per_year is not None:
            return self.call(
                key, drivers.growth_factor, self.months, growth.rate_pct_per_year / 100.0
            )
        return self.call(key, drivers.path_factor, self.months, growth.path)

    def yearly(self, values: np.ndarray, years: pd.Index) -> np.ndarray:
        """A monthly multiplier on a year index (its value in each year's first month)."""
        first = pd.Series(values, index=self.months.year).groupby(level=0).first()
        return first.reindex(years).to_numpy(dtype=float)


def _stochastic_inflow(basin: Basin, scenario: Scenario, months: pd.DatetimeIndex) -> pd.DataFrame:
    h = scenario.spec.hydrology
    sources = basin.ids_of_type("source")
    clim = basin.tables.inflows[sources].astype(float)
    mean = h.annual_mean_km3
    if mean is None:  # the climatology's own total
        mean = float((clim.to_numpy() * (MEAN_DAYS * SECONDS_PER_DAY / 1e9)[:, None]).sum())
    try:
        model = fit_to_annual_statistics(
            clim,
            mean,
            h.annual_p5_km3,
            h.annual_p90_km3,
            h.lag1_annual,
            unit="m3/s",
            annual_unit="km3",
            noise_cv=h.noise_cv,
        )
        flows = model.generate(months[0], len(months) // 12, h.seed)
    except ValueError as exc:
        raise InputError(
            [Problem(_where(scenario, "hydrology"), str(exc))],
            title=f"invalid scenario {scenario.path}",
        ) from None
    return flows.reindex(index=months, columns=sources)


def _scale_columns(frame: pd.DataFrame, factors: Mapping[Any, np.ndarray]) -> pd.DataFrame:
    out = frame.copy()
    for column, factor in factors.items():
        out[column] = out[column].to_numpy(dtype=float) * factor
    return out


def scenario_series(basin: Basin, scenario: Scenario) -> BasinSeries:
    """The monthly series over the scenario's horizon, with every driver applied."""
    spec = scenario.spec
    kind = spec.hydrology.kind
    try:
        series = horizon_series(
            basin,
            spec.horizon.start + "-01",
            spec.horizon.years,
            "historical" if kind == "historical" else "climatology",
        )
    except ValueError as exc:
        raise InputError(
            [Problem(_where(scenario, "hydrology.kind"), f"= {kind!r}: {exc}")],
            title=f"invalid scenario {scenario.path}",
        ) from None
    months = series.months
    d = _Drivers(scenario, months)
    nodes = basin.nodes

    # hydrology and climate ------------------------------------------------------------
    inflow = series.inflow_m3s
    if kind == "stochastic":
        inflow = _stochastic_inflow(basin, scenario, months)
    climate = spec.climate
    factors = {}
    for source in inflow.columns:
        key = _resolve_key(climate.inflow_change, source, nodes[source].country)
        if key is not None:
            factors[source] = d.monthly(f"climate.inflow_change.{key}", climate.inflow_change[key])
    inflow = _scale_columns(inflow, factors)
    shift = climate.snowmelt_shift
    if shift is not None:
        chosen = [s for s in inflow.columns if {"all", s, nodes[s].country} & set(shift.nodes)]
        share = d.progress("climate.snowmelt_shift.mode", shift.mode)
        year_share = pd.Series(share, index=months).groupby(months.year).first()
        for source in chosen:
            column = inflow[source].copy()
            for year, fraction in year_share.items():
                rows = months.year == year
                if fraction <= 0:
                    continue
                try:
                    column[rows] = drivers.shift_snowmelt(
                        inflow.loc[rows, source],
                        shift.from_months,
                        shift.to_months,
                        shift.fraction_pct / 100.0 * fraction,
                        "m3/s",
                    ).to_numpy()
                except ValueError as exc:
                    d.problems.append(Problem(_where(scenario, "climate.snowmelt_shift"), str(exc)))
            inflow[source] = column
    crop_water = _scale_columns(
        series.crop_water_mm,
        {
            c: d.change(f"climate.crop_water_demand.{key}", climate.crop_water_demand[key])
            for c in series.crop_water_mm.columns
            if (key := _resolve_key(climate.crop_water_demand, str(c), "")) is not None
        },
    )
    evaporation = _scale_columns(
        series.evaporation_mm,
        {
            r: d.change(f"climate.evaporation.{key}", climate.evaporation[key])
            for r in series.evaporation_mm.columns
            if (key := _resolve_key(climate.evaporation, r, nodes[r].country)) is not None
        },
    )

    # demography and industry -----------------------------------------------------------
    demo, econ = spec.demography, spec.economy
    municipal = series.municipal_hm3
    if demo.population_growth or demo.per_capita_use or econ.industrial_demand:
        days = month_days(months)
        municipal = municipal.copy()
        for town in municipal.columns:
            row = basin.tables.municipal.loc[town]
            country = nodes[town].country
            domestic = row.population * row.per_capita_l_per_day / 1e9 * days
            industrial = row.industrial_hm3_per_year / 365.25 * days
            key = _resolve_key(demo.population_growth, town, country)
            if key is not None:
                domestic = domestic * d.growth(
                    f"demography.population_growth.{key}", demo.population_growth[key]
                )
            key = _resolve_key(demo.per_capita_use, town, country)
            if key is not None:
                domestic = domestic * d.change(
                    f"demography.per_capita_use.{key}", demo.per_capita_use[key]
                )
            key = _resolve_key(econ.industrial_demand, town, country)
            if key is not None:
                gdp = econ.industrial_demand[key]
                industrial = industrial * d.call(
                    f"economy.industrial_demand.{key}",
                    drivers.elasticity_growth,
                    months,
                    gdp.gdp_growth_pct_per_year / 100.0,
                    gdp.elasticity,
                )
            municipal[town] = domestic + industrial

    # economy ---------------------------------------------------------------------------
    years = series.area_max_ha.index
    area = series.area_max_ha.copy()
    for district, crop in area.columns:
        key = _resolve_key(econ.irrigated_area, district, nodes[district].country)
        if key is not None:
            factor = d.change(f"economy.irrigated_area.{key}", econ.irrigated_area[key])
            area[(district, crop)] = area[(district, crop)].to_numpy() * d.yearly(factor, years)

    def crop_table(frame: pd.DataFrame, group: str, settings: Mapping[str, Change]) -> pd.DataFrame:
        out = frame.copy()
        for crop in out.columns:
            key = _resolve_key(settings, str(crop), "")
            if key is not None:
                factor = d.change(f"economy.{group}.{key}", settings[key])
                out[crop] = out[crop].to_numpy() * d.yearly(factor, years)
        return out

    price = crop_table(series.crop_price_usd_per_t, "crop_prices", econ.crop_prices)
    cost = crop_table(series.crop_cost_usd_per_ha, "crop_costs", econ.crop_costs)

    winter = np.isin(months.month, WINTER)
    price_factors = {}
    demand_factors = {}
    for es in series.energy_demand_gwh.columns:
        key = _resolve_key(econ.energy_prices, es, nodes[es].country)
        if key is not None:
            rule = econ.energy_prices[key]
            share = d.progress(f"economy.energy_prices.{key}", rule.mode)
            change = np.where(winter, rule.winter_change_pct, rule.summer_change_pct) / 100.0
            price_factors[es] = 1.0 + change * share
        key = _resolve_key(econ.energy_demand, es, nodes[es].country)
        if key is not None:
            demand_factors[es] = d.growth(f"economy.energy_demand.{key}", econ.energy_demand[key])

    if d.problems:
        raise InputError(d.problems, title=f"invalid scenario {scenario.path}")
    return replace(
        series,
        inflow_m3s=inflow,
        evaporation_mm=evaporation,
        crop_water_mm=crop_water,
        municipal_hm3=municipal,
        energy_demand_gwh=_scale_columns(series.energy_demand_gwh, demand_factors),
        thermal_cost_usd_per_mwh=_scale_columns(series.thermal_cost_usd_per_mwh, price_factors),
        import_price_usd_per_mwh=_scale_columns(series.import_price_usd_per_mwh, price_factors),
        export_price_usd_per_mwh=_scale_columns(series.export_price_usd_per_mwh, price_factors),
        area_max_ha=area,
        crop_price_usd_per_t=price,
        crop_cost_usd_per_ha=cost,
    )


# --------------------------------------------------------------------------- the whole


def apply_scenario(basin: Basin, scenario: Scenario) -> Basin:
    """A new Basin with the scenario's network, rules and monthly series over its horizon.

    Pure: ``basin`` is unchanged. Raises one InputError listing every problem found, each
    naming the scenario file (of the chain) that set the key.
    """
    new = apply_infrastructure(basin, scenario)
    problems = check_references(new, scenario)
    _fail(problems, scenario)
    new = apply_network_policy(new, scenario)
    return new.with_series(scenario_series(new, scenario)).with_origin(scenario.origin)


def validate_scenario(path: str | Path) -> tuple[Scenario, Basin]:
    """Load a scenario and its basin and apply it (no solve): every check, one InputError."""
    from nexusmodel.basin import load_basin

    scenario = load_scenario(path)
    basin = load_basin(scenario.basin_path)
    return scenario, apply_scenario(basin, scenario)
