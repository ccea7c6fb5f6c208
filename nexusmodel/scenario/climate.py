"""Climate drivers: the stochastic hydrology, inflow changes, the snowmelt shift, crop water
demand and reservoir evaporation, applied to the horizon series."""

from __future__ import annotations

from typing import Any

import pandas as pd

from nexusmodel.basin.basin import Basin, BasinSeries
from nexusmodel.errors import InputError, Problem
from nexusmodel.scenario import drivers
from nexusmodel.scenario.hydrology import MEAN_DAYS, SECONDS_PER_DAY, fit_to_annual_statistics
from nexusmodel.scenario.keys import resolve_key, where_set
from nexusmodel.scenario.load import Scenario
from nexusmodel.scenario.multipliers import DriverSeries, scale_columns

__all__ = ["climate_series", "stochastic_inflow"]


def stochastic_inflow(basin: Basin, scenario: Scenario, months: pd.DatetimeIndex) -> pd.DataFrame:
    h = scenario.spec.hydrology
    sources = basin.ids_of_type("source")
    clim = basin.tables.inflows[sources].astype(float)
    mean = h.annual_mean_km3
    if mean is None:  # the climatology's own total
        mean = float((clim.to_numpy() * (MEAN_DAYS * SECONDS_PER_DAY / 1e9)[:, None]).sum())
    p5, p90 = h.annual_p5_km3, h.annual_p90_km3
    if p5 is None or p90 is None:  # the schema asks for both with kind 'stochastic'
        raise InputError(
            [Problem(where_set(scenario, "hydrology"), "needs annual_p5_km3 and annual_p90_km3")],
            title=f"invalid scenario {scenario.path}",
        )
    try:
        model = fit_to_annual_statistics(
            clim,
            mean,
            p5,
            p90,
            h.lag1_annual,
            unit="m3/s",
            annual_unit="km3",
            noise_cv=h.noise_cv,
        )
        flows = model.generate(months[0], len(months) // 12, h.seed)
    except ValueError as exc:
        raise InputError(
            [Problem(where_set(scenario, "hydrology"), str(exc))],
            title=f"invalid scenario {scenario.path}",
        ) from None
    return flows.reindex(index=months, columns=sources)


def climate_series(
    basin: Basin, scenario: Scenario, series: BasinSeries, d: DriverSeries
) -> dict[str, Any]:
    """The ``inflow_m3s`` (the scenario's hydrology), ``crop_water_mm`` and
    ``evaporation_mm`` of ``series`` with the climate drivers applied (problems go to ``d``)."""
    months = series.months
    nodes = basin.nodes
    inflow = series.inflow_m3s
    if scenario.spec.hydrology.kind == "stochastic":
        inflow = stochastic_inflow(basin, scenario, months)
    climate = scenario.spec.climate
    factors = {}
    for source in inflow.columns:
        key = resolve_key(climate.inflow_change, source, nodes[source].country)
        if key is not None:
            factors[source] = d.monthly(f"climate.inflow_change.{key}", climate.inflow_change[key])
    inflow = scale_columns(inflow, factors)
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
                    d.problems.append(
                        Problem(where_set(scenario, "climate.snowmelt_shift"), str(exc))
                    )
            inflow[source] = column
    crop_water = scale_columns(
        series.crop_water_mm,
        {
            c: d.change(f"climate.crop_water_demand.{key}", climate.crop_water_demand[key])
            for c in series.crop_water_mm.columns
            if (key := resolve_key(climate.crop_water_demand, str(c), "")) is not None
        },
    )
    evaporation = scale_columns(
        series.evaporation_mm,
        {
            r: d.change(f"climate.evaporation.{key}", climate.evaporation[key])
            for r in series.evaporation_mm.columns
            if (key := resolve_key(climate.evaporation, r, nodes[r].country)) is not None
        },
    )
    return {"inflow_m3s": inflow, "crop_water_mm": crop_water, "evaporation_mm": evaporation}
