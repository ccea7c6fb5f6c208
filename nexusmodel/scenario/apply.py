"""``apply_scenario(basin, scenario) -> Basin``: pure; turns a scenario into horizon series.

Stages (each a plain function in a module of its own; the input Basin is never changed):

1. :func:`~nexusmodel.scenario.infrastructure.apply_infrastructure`: remove, change and add
   nodes, links and their table rows; the new network is re-validated (``check_basin``), so a
   broken change is an InputError naming the scenario file that made it;
2. :func:`~nexusmodel.scenario.references.check_references`: every node id, country and crop
   the drivers and rules name exists and is of the right type;
3. :func:`~nexusmodel.scenario.policy.apply_network_policy`: irrigation efficiencies and
   ecological flow rules (node settings), release rules and spill caps
   (:class:`nexusmodel.basin.basin.Policy`, read by the model's ``release_rules`` component);
4. :func:`~nexusmodel.scenario.series.scenario_series`: the hydrology (climatology,
   historical or stochastic) over the horizon, then every driver as a multiplier series:
   climate (:mod:`.climate`), demography and economy (:mod:`.economy`).
"""

from __future__ import annotations

from pathlib import Path

from nexusmodel.basin.basin import Basin
from nexusmodel.scenario.economy import co2_priced
from nexusmodel.scenario.infrastructure import apply_infrastructure
from nexusmodel.scenario.keys import fail_if
from nexusmodel.scenario.load import Scenario, load_scenario
from nexusmodel.scenario.policy import apply_network_policy
from nexusmodel.scenario.references import check_references
from nexusmodel.scenario.series import scenario_series

__all__ = [
    "apply_infrastructure",
    "apply_network_policy",
    "apply_scenario",
    "check_references",
    "scenario_series",
    "validate_scenario",
]


def apply_scenario(basin: Basin, scenario: Scenario) -> Basin:
    """A new Basin with the scenario's network, rules and monthly series over its horizon.

    Pure: ``basin`` is unchanged. Raises one InputError listing every problem found, each
    naming the scenario file (of the chain) that set the key.
    """
    new = apply_infrastructure(basin, scenario)
    problems = check_references(new, scenario)
    fail_if(problems, scenario)
    new = apply_network_policy(new, scenario)
    new = co2_priced(new, scenario)
    return new.with_series(scenario_series(new, scenario)).with_origin(scenario.origin)


def validate_scenario(path: str | Path) -> tuple[Scenario, Basin]:
    """Load a scenario and its basin and apply it (no solve): every check, one InputError."""
    from nexusmodel.basin import load_basin

    scenario = load_scenario(path)
    basin = load_basin(scenario.basin_path)
    return scenario, apply_scenario(basin, scenario)
