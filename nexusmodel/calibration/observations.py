"""Observations for calibration: the long CSV format, its units and :func:`load_observations`."""

from __future__ import annotations

import csv
import math
from pathlib import Path

import pandas as pd

from nexusmodel.basin.basin import Basin
from nexusmodel.errors import InputError, Problem, did_you_mean

OBSERVATION_COLUMNS = ("variable", "node", "date", "value", "unit", "source")

#: unit -> (canonical unit, factor to it, how it is compared: "state", "rate", "step", "year")
OBSERVATION_UNITS: dict[str, tuple[str, float, str]] = {
    "hm3": ("hm3", 1.0, "state"),
    "km3": ("hm3", 1000.0, "state"),
    "m": ("m", 1.0, "state"),
    "m3/s": ("m3/s", 1.0, "rate"),
    "hm3/month": ("hm3/month", 1.0, "step"),
    "hm3/year": ("hm3/year", 1.0, "year"),
    "km3/year": ("hm3/year", 1000.0, "year"),
}

#: variables that are states (compared at a date) and the units they accept
STATE_VARIABLES: dict[str, tuple[str, ...]] = {"storage": ("hm3", "km3"), "level": ("m",)}
#: variables that are volumes per step, compared as rates or totals
FLOW_VARIABLES: tuple[str, ...] = (
    "inflow",
    "total_inflow",
    "link_flow",
    "release",
    "turbine_flow",
    "spill",
    "delivery",
    "demand",
    "shortage",
    "consumption",
    "return_flow",
    "env_flow",
    "sink_inflow",
    "evaporation",
)
FLOW_UNITS: tuple[str, ...] = ("m3/s", "hm3/month", "hm3/year", "km3/year")


def _problem(path: Path, line: int, message: str, fix: str = "") -> Problem:
    return Problem(f"{path}: line {line}", message, fix)


def load_observations(path: str | Path, basin: Basin | None = None) -> pd.DataFrame:
    """Read and check an observations file; every problem is reported at once.

    Returns a DataFrame with columns ``variable, node, date (datetime64), value, unit,
    source`` and ``line`` (the row's line in the file), values in canonical units (km3
    converted to hm3). With ``basin``, node and link ids are checked against it.
    """
    path = Path(path)
    if not path.is_file():
        raise InputError([Problem(str(path), "file not found")])
    with path.open(newline="", encoding="utf-8") as fh:
        lines = [
            (i, line)
            for i, line in enumerate(fh.read().splitlines(), start=1)
            if line.strip() and not line.lstrip().startswith("#")
        ]
    if not lines:
        raise InputError(
            [Problem(str(path), "is empty", "add a header: " + ",".join(OBSERVATION_COLUMNS))]
        )
    rows = list(csv.reader([line for _, line in lines]))
    header = [h.strip() for h in rows[0]]
    header_line = lines[0][0]
    missing = [c for c in OBSERVATION_COLUMNS if c not in header]
    extra = [c for c in header if c not in OBSERVATION_COLUMNS]
    if missing or extra:
        header_problems = [_problem(path, header_line, f"missing column {c!r}") for c in missing]
        header_problems += [
            _problem(
                path, header_line, f"unknown column {c!r}", did_you_mean(c, OBSERVATION_COLUMNS)
            )
            for c in extra
        ]
        raise InputError(header_problems, title=f"invalid observations {path}")
    col = {c: header.index(c) for c in OBSERVATION_COLUMNS}
    links = {link.id for link in basin.links} if basin is not None else set()
    variables = (*STATE_VARIABLES, *FLOW_VARIABLES)
    problems: list[Problem] = []
    records = []
    seen: dict[tuple[str, str, pd.Timestamp, str], int] = {}
    for (line, _), row in zip(lines[1:], rows[1:], strict=True):
        if len(row) != len(header):
            problems.append(
                _problem(path, line, f"has {len(row)} fields, the header has {len(header)}")
            )
            continue
        get = {c: row[col[c]].strip() for c in OBSERVATION_COLUMNS}
        before = len(problems)
        variable, node, unit = get["variable"], get["node"], get["unit"]
        if variable not in variables:
            problems.append(
                _problem(
                    path,
                    line,
                    f"variable = {variable!r}: not comparable with the model",
                    did_you_mean(variable, variables),
                )
            )
        allowed = STATE_VARIABLES.get(variable, FLOW_UNITS)
        if variable in variables and unit not in allowed:
            problems.append(
                _problem(
                    path,
                    line,
                    f"unit = {unit!r}: not a unit for {variable}",
                    "use " + " or ".join(repr(a) for a in allowed),
                )
            )
        if not node:
            problems.append(_problem(path, line, "node is empty", "give a node id"))
        elif basin is not None:
            if variable == "link_flow" and node not in links:
                problems.append(
                    _problem(
                        path, line, f"node = {node!r}: no such link", did_you_mean(node, links)
                    )
                )
            elif variable != "link_flow" and node not in basin.nodes:
                problems.append(
                    _problem(
                        path,
                        line,
                        f"node = {node!r}: no such node",
                        did_you_mean(node, basin.nodes),
                    )
                )
        try:
            date = pd.Timestamp(pd.to_datetime(get["date"], format="%Y-%m-%d"))
        except (ValueError, TypeError):
            problems.append(
                _problem(path, line, f"date = {get['date']!r}: not a date", "use YYYY-MM-DD")
            )
            date = None
        try:
            value = float(get["value"])
            if not math.isfinite(value):
                raise ValueError
        except ValueError:
            problems.append(_problem(path, line, f"value = {get['value']!r}: not a finite number"))
            value = math.nan
        if value < 0 and unit != "m":
            problems.append(_problem(path, line, f"value = {value!r}: must be >= 0"))
        if not get["source"]:
            problems.append(
                _problem(path, line, "source is empty", "say where the value comes from")
            )
        if len(problems) > before or date is None:
            continue
        canonical, factor, _ = OBSERVATION_UNITS[unit]
        key = (variable, node, date, canonical)
        if key in seen:
            problems.append(
                _problem(
                    path,
                    line,
                    f"repeats the {variable} of {node} on {date:%Y-%m-%d}",
                    f"first given on line {seen[key]}",
                )
            )
            continue
        seen[key] = line
        records.append((variable, node, date, value * factor, canonical, get["source"], line))
    if problems:
        raise InputError(problems, title=f"invalid observations {path}")
    frame = pd.DataFrame(records, columns=[*OBSERVATION_COLUMNS, "line"])
    frame["date"] = pd.to_datetime(frame["date"])
    return frame
