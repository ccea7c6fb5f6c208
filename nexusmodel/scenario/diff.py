"""What a scenario changes relative to its parent: settings side by side, no run needed.

:func:`input_changes` lists every setting whose effective value differs and the file of the
child's chain that set it; :func:`format_setting` shows a value in a table.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from nexusmodel.scenario.load import Scenario


@dataclass(frozen=True)
class InputChange:
    key: str
    parent: Any
    child: Any
    file: Path | None  # the file of the child's chain that set it


def input_changes(child: Scenario, parent: Scenario) -> list[InputChange]:
    """Settings whose effective value differs between a scenario and its parent."""
    before = {key: value for key, value, _ in parent.effective_settings()}
    after = {key: (value, file) for key, value, file in child.effective_settings()}
    changes = []
    for key in list(after) + [k for k in before if k not in after]:
        if key == "description":
            continue
        filled = any(k.startswith((key + ".", key + "[")) for k in after)
        if key not in after and before[key] in ({}, []) and filled:
            continue  # an empty group the child fills: its entries are listed
        new, file = after.get(key, (None, None))
        old = before.get(key)
        if new != old:
            changes.append(InputChange(key, old, new, file))
    return changes


def format_setting(value: Any) -> str:
    """A setting's value for a table (lists and mappings compact, None as '-')."""
    if value is None:
        return "-"
    if isinstance(value, list | dict):
        import json

        return json.dumps(value, separators=(", ", ": "))
    return str(value)
