"""nexusmodel: integrated water-energy-food river-basin planning (Pyomo + HiGHS + xarray).

The names a modeller needs, importable from the package itself::

    import nexusmodel as nm

    run = nm.run_scenario("scenarios/baseline.yaml")   # a RunResult, in the scenario's mode
    nm.hydropower_generation(run.results, by="country")
    nm.write_report([run], "report.html")

- the pipeline: :func:`load_basin`, :func:`load_scenario`, :func:`apply_scenario`,
  :func:`build_model`, :func:`extract_results` (the solve step is
  ``nexusmodel.solve.solve``: ``nexusmodel.solve`` is the subpackage), or all of it in one
  call: :func:`run_scenario` (returns a :class:`RunResult`);
- many runs: :func:`compare` (scenarios side by side), :func:`run_ensemble` (hydrology
  members x policy options on Dask), :func:`trade_off_frontier` (sector trade-offs);
- results for people: the indicators of :mod:`nexusmodel.indicators` (``supply_coverage``,
  ``hydropower_generation``, ``marginal_value_of_water``...), :mod:`nexusmodel.plots`,
  :func:`write_report`.

The names load on first use, so ``import nexusmodel`` stays cheap (Pyomo, xarray and Dask are
imported only by what needs them).
"""

from __future__ import annotations

import importlib

TYPE_CHECKING = False  # not typing.TYPE_CHECKING: importing typing would cost a few ms
if TYPE_CHECKING:
    from typing import Any

    from nexusmodel.basin import load_basin
    from nexusmodel.comparison import compare
    from nexusmodel.ensemble import run_ensemble
    from nexusmodel.frontier import trade_off_frontier
    from nexusmodel.indicators import (
        agricultural_income,
        env_compliance,
        food_production,
        hashimoto,
        hydropower_generation,
        income_per_m3,
        key_results,
        marginal_value_of_water,
        reliability,
        resilience,
        supply_coverage,
        terminal_inflow,
        thermal_replacement,
        vulnerability,
        water_accounts,
        water_productivity,
    )
    from nexusmodel.model import build_model
    from nexusmodel.modes.result import RunResult
    from nexusmodel.report.html import write_report
    from nexusmodel.results import extract_results, read_results, write_results
    from nexusmodel.run import run_scenario
    from nexusmodel.scenario import apply_scenario, load_scenario

#: Public name -> the module that defines it (imported on first use).
_HOMES: dict[str, str] = {
    "load_basin": "nexusmodel.basin",
    "load_scenario": "nexusmodel.scenario",
    "apply_scenario": "nexusmodel.scenario",
    "build_model": "nexusmodel.model",
    "extract_results": "nexusmodel.results",
    "read_results": "nexusmodel.results",
    "write_results": "nexusmodel.results",
    "run_scenario": "nexusmodel.run",
    "RunResult": "nexusmodel.modes.result",
    "compare": "nexusmodel.comparison",
    "run_ensemble": "nexusmodel.ensemble",
    "trade_off_frontier": "nexusmodel.frontier",
    "write_report": "nexusmodel.report.html",
    **{
        name: "nexusmodel.indicators"
        for name in (
            "agricultural_income",
            "env_compliance",
            "food_production",
            "hashimoto",
            "hydropower_generation",
            "income_per_m3",
            "key_results",
            "marginal_value_of_water",
            "reliability",
            "resilience",
            "supply_coverage",
            "terminal_inflow",
            "thermal_replacement",
            "vulnerability",
            "water_accounts",
            "water_productivity",
        )
    },
}

__all__ = [
    "__version__",
    "load_basin",
    "load_scenario",
    "apply_scenario",
    "build_model",
    "extract_results",
    "read_results",
    "write_results",
    "run_scenario",
    "RunResult",
    "compare",
    "run_ensemble",
    "trade_off_frontier",
    "write_report",
    "agricultural_income",
    "env_compliance",
    "food_production",
    "hashimoto",
    "hydropower_generation",
    "income_per_m3",
    "key_results",
    "marginal_value_of_water",
    "reliability",
    "resilience",
    "supply_coverage",
    "terminal_inflow",
    "thermal_replacement",
    "vulnerability",
    "water_accounts",
    "water_productivity",
]


def __getattr__(name: str) -> Any:
    """Import a public name on first use and keep it (PEP 562)."""
    if name == "__version__":
        from importlib.metadata import PackageNotFoundError, version

        try:
            value: Any = version("nexusmodel")
        except PackageNotFoundError:  # a source tree that was never installed
            value = "unknown"
    elif name in _HOMES:
        value = getattr(importlib.import_module(_HOMES[name]), name)
    else:
        raise AttributeError(f"module 'nexusmodel' has no attribute {name!r}")
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
