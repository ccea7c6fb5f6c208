"""What was run and why: one card per run (question, description, horizon, basin, files)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd
import xarray as xr

from nexusmodel.report.formatting import esc, shown_path
from nexusmodel.report.runs import ReportRun

if TYPE_CHECKING:
    from nexusmodel.scenario import Scenario

__all__ = ["horizon_text", "run_description", "runs_section", "scenario_question"]


def horizon_text(ds: xr.Dataset) -> str:
    times = pd.DatetimeIndex(ds["time"].values)
    years = len(times) / 12.0
    n = f"{years:g} year" + ("" if years == 1 else "s")
    return f"{times[0]:%b %Y} to {times[-1]:%b %Y} ({n}, monthly)"


def scenario_question(scenario: Scenario | None) -> str:
    """The comment block at the top of the scenario file (its question), if any."""
    if scenario is None or not Path(scenario.path).is_file():
        return ""
    lines = []
    for line in Path(scenario.path).read_text(encoding="utf-8").splitlines():
        if not line.startswith("#"):
            break
        lines.append(line.lstrip("#").strip())
    text = " ".join(x for x in lines if x)
    if "?" in text:  # the question, without the notes that may follow it
        return text[: text.index("?") + 1]
    return re.split(r"(?<=\.)\s", text, maxsplit=1)[0]


def run_description(run: ReportRun) -> str:
    for key in ("description", "scenario_description"):
        if run.ds.attrs.get(key):
            return str(run.ds.attrs[key])
    return run.scenario.spec.description if run.scenario is not None else ""


def runs_section(runs: list[ReportRun], folder: Path | None = None) -> str:
    """One card per run; files are shown relative to the report's ``folder``."""
    cards = []
    for k, run in enumerate(runs):
        ds = run.ds
        facts = [("Horizon", horizon_text(ds))]
        basin_name = run.basin.name if run.basin is not None else ds.attrs.get("basin", "")
        if basin_name:
            facts.append(("Basin", str(basin_name)))
        if run.scenario is not None:
            hyd = run.scenario.spec.hydrology
            facts.append(
                (
                    "Hydrology",
                    hyd.kind + (f" (seed {hyd.seed})" if hyd.kind == "stochastic" else ""),
                )
            )
        elif ds.attrs.get("hydrology"):
            facts.append(("Hydrology", str(ds.attrs["hydrology"])))
        if ds.attrs.get("status"):
            facts.append(("Solver status", str(ds.attrs["status"])))
        if run.path is not None:
            facts.append(("Results file", shown_path(run.path, folder)))
        if ds.attrs.get("scenario_file"):
            facts.append(("Scenario file", shown_path(str(ds.attrs["scenario_file"]), folder)))
        question = scenario_question(run.scenario)
        description = run_description(run)
        tag = '<span class="tag">baseline</span>' if k == 0 else ""
        body = [f"<h3>{esc(run.label)} {tag}</h3>"]
        if question:
            body.append(f'<p class="question">{esc(question)}</p>')
        if description:
            body.append(f"<p>{esc(description)}</p>")
        if not question and not description:
            body.append('<p class="muted">No description was recorded with these results.</p>')
        body.append(
            '<dl class="facts">'
            + "".join(f"<dt>{esc(a)}</dt><dd>{esc(b)}</dd>" for a, b in facts)
            + "</dl>"
        )
        cards.append(f'<div class="card scenario">{"".join(body)}</div>')
    return "\n".join(cards)
