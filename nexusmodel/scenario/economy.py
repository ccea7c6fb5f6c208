"""Demography and economy drivers: population, per-capita use and industry (municipal demand),
irrigated area, crop prices and costs, energy prices and energy demand."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from nexusmodel.basin.basin import Basin, BasinSeries, month_days
from nexusmodel.scenario import drivers
from nexusmodel.scenario.keys import resolve_key
from nexusmodel.scenario.load import Scenario
from nexusmodel.scenario.multipliers import DriverSeries, scale_columns
from nexusmodel.scenario.schema import Change

__all__ = ["co2_priced", "economy_series", "municipal_series"]

WINTER = (10, 11, 12, 1, 2, 3)  # the winter energy prices apply October-March


def co2_priced(basin: Basin, scenario: Scenario) -> Basin:
    """The basin with the scenario's CO2 price (``economy.co2_price_usd_per_t``) on every
    generator (it adds price x t CO2/MWh to each one's variable cost); unchanged without one."""
    price = scenario.spec.economy.co2_price_usd_per_t
    if price is None:
        return basin
    generators = [
        g.model_copy(update={"co2_price_usd_per_t": price}) for g in basin.spec.generators
    ]
    return basin.with_spec(basin.spec.model_copy(update={"generators": generators}))


def municipal_series(
    basin: Basin, scenario: Scenario, series: BasinSeries, d: DriverSeries
) -> dict[str, Any]:
    """``municipal_hm3`` of ``series`` with population growth, per-capita use and industrial
    demand (GDP growth x elasticity) applied to each town's domestic and industrial parts."""
    months = series.months
    nodes = basin.nodes
    demo, econ = scenario.spec.demography, scenario.spec.economy
    municipal = series.municipal_hm3
    if demo.population_growth or demo.per_capita_use or econ.industrial_demand:
        days = month_days(months)
        municipal = municipal.copy()
        for town in municipal.columns:
            row = basin.tables.municipal.loc[town]
            country = nodes[town].country
            domestic = row.population * row.per_capita_l_per_day / 1e9 * days
            industrial = row.industrial_hm3_per_year / 365.25 * days
            key = resolve_key(demo.population_growth, town, country)
            if key is not None:
                domestic = domestic * d.growth(
                    f"demography.population_growth.{key}", demo.population_growth[key]
                )
            key = resolve_key(demo.per_capita_use, town, country)
            if key is not None:
                domestic = domestic * d.change(
                    f"demography.per_capita_use.{key}", demo.per_capita_use[key]
                )
            key = resolve_key(econ.industrial_demand, town, country)
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
    return {"municipal_hm3": municipal}


def economy_series(
    basin: Basin, scenario: Scenario, series: BasinSeries, d: DriverSeries
) -> dict[str, Any]:
    """Irrigated areas, crop prices and costs (by year), energy prices (by season) and energy
    demand of ``series`` with the economy drivers applied."""
    months = series.months
    nodes = basin.nodes
    econ = scenario.spec.economy
    years = series.area_max_ha.index
    area = series.area_max_ha.copy()
    for district, crop in area.columns:
        key = resolve_key(econ.irrigated_area, district, nodes[district].country)
        if key is not None:
            factor = d.change(f"economy.irrigated_area.{key}", econ.irrigated_area[key])
            area[(district, crop)] = area[(district, crop)].to_numpy() * d.yearly(factor, years)

    def crop_table(frame: pd.DataFrame, group: str, settings: Mapping[str, Change]) -> pd.DataFrame:
        out = frame.copy()
        for crop in out.columns:
            key = resolve_key(settings, str(crop), "")
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
        key = resolve_key(econ.energy_prices, es, nodes[es].country)
        if key is not None:
            rule = econ.energy_prices[key]
            share = d.progress(f"economy.energy_prices.{key}", rule.mode)
            change = np.where(winter, rule.winter_change_pct, rule.summer_change_pct) / 100.0
            price_factors[es] = 1.0 + change * share
        key = resolve_key(econ.energy_demand, es, nodes[es].country)
        if key is not None:
            demand_factors[es] = d.growth(f"economy.energy_demand.{key}", econ.energy_demand[key])
    return {
        "energy_demand_gwh": scale_columns(series.energy_demand_gwh, demand_factors),
        "thermal_cost_usd_per_mwh": scale_columns(series.thermal_cost_usd_per_mwh, price_factors),
        "import_price_usd_per_mwh": scale_columns(series.import_price_usd_per_mwh, price_factors),
        "export_price_usd_per_mwh": scale_columns(series.export_price_usd_per_mwh, price_factors),
        "area_max_ha": area,
        "crop_price_usd_per_t": price,
        "crop_cost_usd_per_ha": cost,
    }
