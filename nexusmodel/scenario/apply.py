"""``apply_scenario(basin, scenario) -> Basin``: pure; turns a scenario into horizon series."""

from __future__ import annotations

from nexusmodel.basin.basin import Basin, horizon_series
from nexusmodel.errors import InputError, Problem
from nexusmodel.scenario.load import Scenario


def apply_scenario(basin: Basin, scenario: Scenario) -> Basin:
    """A new Basin with monthly series over the scenario's horizon (the input is unchanged)."""
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
            [Problem(f"{scenario.path}: hydrology.kind", f"= {kind!r}: {exc}")]
        ) from None
    return basin.with_series(series)
