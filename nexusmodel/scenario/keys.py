"""Where a scenario setting was set, and which keyed setting applies to a node.

Drivers and rules are keyed by node id, country or ``all``; :func:`resolve` picks the most
specific. Problems name the file of the scenario's chain that set the key (:func:`where_set`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

from nexusmodel.errors import InputError, Problem
from nexusmodel.scenario.load import Scenario

__all__ = ["fail_if", "resolve", "resolve_key", "where_set"]

T = TypeVar("T")


def where_set(scenario: Scenario, dotted: str) -> str:
    """``file: key`` with the file of the chain that set the key."""
    return f"{scenario.origin_of(dotted) or scenario.path}: {dotted}"


def fail_if(problems: list[Problem], scenario: Scenario, what: str = "invalid scenario") -> None:
    if problems:
        raise InputError(problems, title=f"{what} {scenario.path}")


def resolve(mapping: Mapping[str, T], node: str, country: str) -> T | None:
    """The most specific setting for a node: its id, then its country, then 'all'."""
    for key in (node, country, "all"):
        if key in mapping:
            return mapping[key]
    return None


def resolve_key(mapping: Mapping[str, Any], node: str, country: str) -> str | None:
    for key in (node, country, "all"):
        if key in mapping:
            return key
    return None
