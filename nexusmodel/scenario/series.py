"""The horizon series of a scenario: the basin's monthly series over the horizon (its
hydrology: climatology, historical or stochastic), then every driver as a multiplier series
(:mod:`nexusmodel.scenario.drivers`): climate (:mod:`.climate`), demography and economy
(:mod:`.economy`)."""

from __future__ import annotations

from dataclasses import replace

from nexusmodel.basin.basin import Basin, BasinSeries, horizon_series
from nexusmodel.errors import InputError, Problem
from nexusmodel.scenario.climate import climate_series
from nexusmodel.scenario.economy import economy_series, municipal_series
from nexusmodel.scenario.keys import where_set
from nexusmodel.scenario.load import Scenario
from nexusmodel.scenario.multipliers import DriverSeries

__all__ = ["scenario_series"]


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
            [Problem(where_set(scenario, "hydrology.kind"), f"= {kind!r}: {exc}")],
            title=f"invalid scenario {scenario.path}",
        ) from None
    d = DriverSeries(scenario, series.months)
    changed = {
        **climate_series(basin, scenario, series, d),
        **municipal_series(basin, scenario, series, d),
        **economy_series(basin, scenario, series, d),
    }
    if d.problems:
        raise InputError(d.problems, title=f"invalid scenario {scenario.path}")
    return replace(series, **changed)
