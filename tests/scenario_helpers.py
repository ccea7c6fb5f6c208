"""Shared helpers of the scenario tests: write small scenario files beside each other."""

from __future__ import annotations

import textwrap
from functools import cache
from pathlib import Path

from nexusmodel.basin import load_basin
from nexusmodel.basin.basin import Basin

ROOT = Path(__file__).resolve().parents[1]
BASIN = ROOT / "data" / "syr_darya"
SCENARIOS = ROOT / "scenarios"


def write(folder: Path, name: str, text: str) -> Path:
    """Write ``folder/name`` (dedented) and return its path."""
    path = folder / name
    path.write_text(textwrap.dedent(text).lstrip(), encoding="utf-8")
    return path


def root_scenario(folder: Path, body: str = "", years: int = 10, name: str = "root.yaml") -> Path:
    """A root scenario on the Syr Darya basin (mean hydrology) with extra YAML ``body``."""
    body = textwrap.dedent(body).lstrip()
    text = f"basin: {BASIN}\n"
    if not any(line.startswith("horizon:") for line in body.splitlines()):
        text += f"horizon: {{start: '2025-01', years: {years}}}\n"  # a file sets a key once
    return write(folder, name, text + body)


@cache
def syr_darya() -> Basin:
    """The Syr Darya basin, loaded once (Basins are immutable)."""
    return load_basin(BASIN)
