"""The one table of result variables: name, dimensions, units and meaning.

`extract_results` attaches ``units`` and ``long_name`` from here, the indicators read the
same names, and the README's results section is generated from it, so a unit never
disagrees with itself.

Dimensions: ``time`` (step start, datetime64), ``node`` (every node id), ``link``
(``"FROM>TO"``), ``crop``, ``resource`` (a district resource's name), ``country``, ``year`` (calendar year of the steps). Node-level
variables are NaN at nodes where they do not apply (e.g. ``storage`` at a junction).
"""

from __future__ import annotations

from typing import NamedTuple


class Variable(NamedTuple):
    dims: tuple[str, ...]
    units: str
    long_name: str


VARIABLES: dict[str, Variable] = {
    # water
    "inflow": Variable(("node", "time"), "hm3", "exogenous inflow (natural runoff) at the node"),
    "link_flow": Variable(("link", "time"), "hm3", "flow entering the link at its upstream end"),
    "link_loss": Variable(("link", "time"), "hm3", "conveyance loss along the link"),
    "storage": Variable(("node", "time"), "hm3", "reservoir storage at the end of the step"),
    "initial_storage": Variable(("node",), "hm3", "reservoir storage at the start of the horizon"),
    "level": Variable(("node", "time"), "m", "reservoir water level at the end of the step"),
    "evaporation": Variable(("node", "time"), "hm3", "net evaporation from the reservoir"),
    "release": Variable(("node", "time"), "hm3", "total outflow of a reservoir or plant node"),
    "turbine_flow": Variable(("node", "time"), "hm3", "water passed through the turbines"),
    "spill": Variable(("node", "time"), "hm3", "outflow that bypasses the turbines"),
    # named head_m, not head: ``ds.head`` is xarray's method (the first rows), not this variable
    "head_m": Variable(("node", "time"), "m", "hydraulic head used for the energy of the step"),
    "energy": Variable(("node", "time"), "GWh", "hydropower generated at the plant"),
    "demand": Variable(("node", "time"), "hm3", "water requirement at the node's intake"),
    "delivery": Variable(("node", "time"), "hm3", "water received at the node's intake"),
    "shortage": Variable(("node", "time"), "hm3", "demand minus delivery"),
    "consumption": Variable(("node", "time"), "hm3", "water consumed (leaves the basin)"),
    "return_flow": Variable(("node", "time"), "hm3", "water returned downstream by the node"),
    "env_requirement": Variable(("node", "time"), "hm3", "environmental flow requirement"),
    "env_flow": Variable(("node", "time"), "hm3", "flow reaching the environmental node"),
    "env_deficit": Variable(("node", "time"), "hm3", "environmental requirement not met (slack)"),
    "sink_inflow": Variable(("node", "time"), "hm3", "water leaving the basin at a sink"),
    # food
    "crop_area": Variable(("node", "crop", "year"), "ha", "irrigated crop area"),
    "crop_area_max": Variable(("node", "crop", "year"), "ha", "crop area available"),
    "crop_water": Variable(
        ("node", "crop", "time"), "hm3", "net irrigation water given to the crop"
    ),
    "crop_water_requirement": Variable(
        ("node", "crop", "time"), "hm3", "net irrigation requirement of the available area"
    ),
    "production": Variable(
        ("node", "crop", "year"), "t", "crop production (FAO-33 yield response)"
    ),
    "land_price": Variable(
        ("node", "year"), "USD/ha", "gain per ha more of a district's shared land (dual)"
    ),
    "resource_price": Variable(
        ("node", "resource", "year"),
        "USD/unit",
        "gain per unit more of a district's resource limit (labour, budget; dual)",
    ),
    "water_right_price": Variable(
        ("node", "year"), "USD/m3", "gain per m3 more of a district's yearly water right (dual)"
    ),
    "crop_revenue": Variable(("node", "crop", "year"), "USD", "crop revenue"),
    "crop_cost": Variable(("node", "crop", "year"), "USD", "crop cultivation cost"),
    # energy systems
    "energy_demand": Variable(("country", "time"), "GWh", "electricity demand"),
    "hydropower": Variable(("country", "time"), "GWh", "hydropower generation"),
    "thermal": Variable(("country", "time"), "GWh", "thermal generation (the alternative)"),
    "imports": Variable(("country", "time"), "GWh", "electricity imports"),
    "exports": Variable(("country", "time"), "GWh", "electricity exports"),
    "unserved_energy": Variable(("country", "time"), "GWh", "electricity demand not met"),
    "energy_surplus": Variable(("country", "time"), "GWh", "generation neither used nor exported"),
    "thermal_cost": Variable(("country", "time"), "USD", "cost of thermal generation"),
    "import_cost": Variable(("country", "time"), "USD", "cost of imports"),
    "export_revenue": Variable(("country", "time"), "USD", "revenue of exports"),
    # economics and rules
    "marginal_value": Variable(
        ("node", "time"), "USD/m3", "marginal value of water (dual of the node balance)"
    ),
    "energy_price": Variable(
        ("country", "time"), "USD/MWh", "marginal value of electricity (dual of the energy balance)"
    ),
    "link_capacity_price": Variable(
        ("link", "time"), "USD/m3", "shadow price of the link capacity"
    ),
    "env_rule_price": Variable(
        ("node", "time"), "USD/m3", "shadow price of the environmental flow rule"
    ),
    "storage_bound_price": Variable(
        ("node", "time"),
        "USD/m3",
        "sum of the magnitudes of storage_max_price and storage_min_price",
    ),
    "storage_max_price": Variable(
        ("node", "time"),
        "USD/m3",
        "gain per m3 more room under the storage maximum (capacity or rule-curve maximum)",
    ),
    "storage_min_price": Variable(
        ("node", "time"),
        "USD/m3",
        "gain per m3 lower storage minimum (dead storage or rule-curve minimum)",
    ),
    "link_reduced_cost": Variable(
        ("link", "time"),
        "USD/m3",
        "reduced cost of the link flow: the objective's change per m3 more forced onto it",
    ),
    "link_min_flow_deficit": Variable(("link", "time"), "hm3", "minimum link flow not met (slack)"),
    "residual_deficit": Variable(
        ("node", "time"), "hm3", "residual flow below a split short of its minimum (slack)"
    ),
    "storage_min_deficit": Variable(
        ("node", "time"), "hm3", "storage below its minimum or rule curve (slack)"
    ),
    "water_balance_residual": Variable(
        ("node", "time"), "hm3", "inflows minus outflows minus storage change, after the solve"
    ),
}
