"""Every node id, country and crop a scenario's drivers and rules name must exist in the basin
(after the scenario's infrastructure changes) and be of the right type."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from nexusmodel.basin.basin import Basin
from nexusmodel.errors import Problem, did_you_mean
from nexusmodel.scenario.keys import where_set
from nexusmodel.scenario.load import Scenario

__all__ = ["check_keys", "check_references"]


def _choices(basin: Basin, *types: str, countries: bool = True) -> dict[str, str]:
    """Valid keys -> what they are: 'all', the countries that have such nodes, node ids."""
    nodes = basin.nodes_of_type(*types)
    out = {"all": "every node"}
    if countries:
        out |= {n.country: "country" for n in nodes}
    out |= {n.id: n.type for n in nodes}
    return out


def check_keys(
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
        problems.append(Problem(where_set(scenario, f"{group}.{key}"), message, fix))


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
        (
            "policy.withdrawal_limits",
            s.policy.withdrawal_limits,
            {c: "country" for c in basin.spec.countries},
            "country",
        ),
    ]
    for group, keys, valid, wanted in checks:
        check_keys(problems, scenario, group, keys, valid, wanted, basin)
    if s.climate.snowmelt_shift is not None:
        check_keys(
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
                    where_set(scenario, f"policy.spill_caps.{sink}"),
                    f"no spillway or river flows into {sink} (return channels are not capped)",
                    "cap a sink that receives a spill link",
                )
            )
    return problems
