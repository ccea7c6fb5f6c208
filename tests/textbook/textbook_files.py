"""Write a textbook problem as nexusmodel's own files and run it.

Each problem of ``tests/textbook`` is a ``basin.yaml`` with its CSV tables and a
``scenario.yaml`` written into a folder (the test's ``tmp_path``), then run through
:func:`nexusmodel.run.run_scenario` exactly as ``nexusmodel run scenario.yaml`` would.
Inflows are given in hm3 per month so that the hand arithmetic stays in hm3; values in
USD/m3 (= MUSD/hm3); objectives in million USD; no discounting. 2030 is not a leap year.

An inflow table in hm3/month holds the volume of the *mean* month (February: 28.25 days),
so February 2030 (28 days) receives ``FEB`` times its table volume; the other months
receive their table volume exactly. Volumes of demand nodes are taken as written.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import yaml

from nexusmodel.basin.basin import MONTHS
from nexusmodel.modes.result import RunResult
from nexusmodel.run import run_scenario

#: Share of a February table volume (hm3/month of a 28.25-day mean month) in 28-day 2030.
FEB = 28.0 / 28.25


def node(id: str, type: str, **fields: Any) -> dict[str, Any]:
    """A node as basin.yaml holds it (name and country filled in)."""
    return {"id": id, "name": fields.pop("name", id), "country": "XX", "type": type, **fields}


def link(source: str, target: str, **fields: Any) -> dict[str, Any]:
    return {"from": source, "to": target, **fields}


def twelve(values: Sequence[float] | float) -> list[float]:
    """Twelve monthly values (a scalar repeats; a shorter list is padded with its last value)."""
    if isinstance(values, int | float):
        return [float(values)] * 12
    out = [float(v) for v in values]
    return out + [out[-1]] * (12 - len(out))


def write_problem(
    folder: Path,
    nodes: list[dict[str, Any]],
    links: list[dict[str, Any]],
    inflow_hm3: Mapping[str, Sequence[float] | float],
    *,
    solve: Mapping[str, Any] | None = None,
    tables: Mapping[str, tuple[str, str]] | None = None,
    start: str = "2030-01",
) -> Path:
    """Write basin.yaml, inflows.csv (hm3/month) and scenario.yaml; return the scenario path.

    ``tables`` adds CSV tables: name -> (unit, CSV text). The scenario runs one year from
    ``start`` on the table's monthly inflows (climatology) with ``solve`` options (default:
    discount rate 0).
    """
    folder.mkdir(parents=True, exist_ok=True)
    header = "month," + ",".join(inflow_hm3)
    rows = [
        f"{m}," + ",".join(f"{twelve(v)[m - 1]:g}" for v in inflow_hm3.values()) for m in MONTHS
    ]
    (folder / "inflows.csv").write_text("\n".join([header, *rows]) + "\n", encoding="utf-8")
    declared = {"inflows": {"path": "inflows.csv", "unit": "hm3/month"}}
    for name, (unit, text) in (tables or {}).items():
        (folder / f"{name}.csv").write_text(text, encoding="utf-8")
        declared[name] = {"path": f"{name}.csv", "unit": unit}
    basin = {
        "name": "textbook problem",
        "description": "written by tests/textbook",
        "countries": ["XX"],
        "reference_period": "hand-made",
        "tables": declared,
        "nodes": nodes,
        "links": links,
    }
    (folder / "basin.yaml").write_text(yaml.safe_dump(basin, sort_keys=False), encoding="utf-8")
    scenario = {
        "basin": ".",
        "horizon": {"start": start, "years": 1},
        "solve": {"discount_rate": 0.0, **(solve or {})},
    }
    path = folder / "scenario.yaml"
    path.write_text(yaml.safe_dump(scenario, sort_keys=False), encoding="utf-8")
    return path


def run(path: Path, mode: str = "optimize") -> RunResult:
    result = run_scenario(path, mode)
    assert isinstance(result, RunResult)
    assert result.report.status == "optimal", result.report.status
    return result


def run_weap(path: Path) -> RunResult:
    """Simulate the scenario month by month on WEAP's default rules (no reference run: the
    rule curves are the basin's, the conservation zone kept full up to them)."""
    from nexusmodel.modes.simulate import ReservoirRules, run_simulate
    from nexusmodel.run import applied_scenario

    scenario, basin = applied_scenario(path)
    result = run_simulate(basin, scenario.options, rules=ReservoirRules.for_basin(basin))
    assert result.report.status == "optimal", result.report.status
    return result


def at(result: RunResult, name: str, node: str) -> np.ndarray:
    """A (node, time) result at one node, over the steps."""
    return result.results[name].sel(node=node).to_numpy()


def flow(result: RunResult, source: str, target: str) -> np.ndarray:
    return result.results["link_flow"].sel(link=f"{source}>{target}").to_numpy()
