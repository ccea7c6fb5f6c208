"""Scenarios: files that change population, economy, climate, policy and infrastructure."""

from nexusmodel.scenario.apply import apply_scenario, validate_scenario
from nexusmodel.scenario.load import Scenario, load_scenario

__all__ = ["Scenario", "apply_scenario", "load_scenario", "validate_scenario"]
