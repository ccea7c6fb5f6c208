"""Calibration: fit basin parameters so that simulated series match observations.

The pieces, each a plain function::

    obs = load_observations("data/syr_darya/observations.csv", basin)   # long table, validated
    params = [Parameter("conveyance", "conveyance_efficiency", (0.5, 0.95), 0.75), ...]
    fitted = apply_parameters(basin, {params[0]: 0.7})                   # pure: a new Basin
    loss = calibration_objective({params[0]: 0.7}, basin, obs, metric="kge")
    result = calibrate(params, basin, obs, metric="kge", max_evaluations=40)
    result.values, result.metrics                                        # fit, before/after table

**Parameters** (:class:`Parameter`) are either a numeric field of some nodes or links in
``basin.yaml`` (``conveyance_efficiency``, ``field_efficiency``, ``return_fraction``,
``initial_storage_hm3``, a link's ``loss_fraction``...), set to the value (or scaled by it)
on every node or link they apply to, or a *multiplier* on a horizon series
(:data:`MULTIPLIERS`: ``irrigated_area``, ``municipal_demand``, ``energy_demand``,
``inflow``, ``demand``).

**Observations** are a long CSV, ``variable,node,date,value,unit,source`` (``#`` lines are
comments). The unit says how a value is compared with the model (:data:`OBSERVATION_UNITS`):

* ``hm3`` / ``km3`` (``storage``) and ``m`` (``level``): the state on that date, interpolated
  linearly between the storages at the start and the end of the step that contains it;
* ``m3/s``: the mean rate over the step that contains the date;
* ``hm3/month``: the total of the step that contains the date;
* ``hm3/year`` / ``km3/year``: the total of the calendar year of the date.

Volumes in km3 are converted to hm3 on loading. ``node`` is a node id, or a link id
``FROM>TO`` for ``link_flow``. Besides the result variables of
:mod:`nexusmodel.results.variables`, ``total_inflow`` is the water arriving at a node
(natural inflow plus link flows in, after losses): a reservoir's inflow as bulletins give it.

**Matching.** ``match="date"`` compares each observation with the model on the same date
(the date must fall inside the horizon: use it for synthetic truth or historical hydrology).
``match="season"`` compares it with the model on the same calendar day, averaged over the
horizon's years: the only honest comparison for a run on climatology (a mean year), which
can match observed year-specific values in season and distribution, not year by year.

**Objective.** One metric (``"kge"`` or ``"nse"``) per observed series (a ``variable, node,
unit`` group), turned into a loss ``1 - metric`` and averaged over series (optionally
weighted). A series with fewer than 2 observations or constant observations has no NSE or
KGE; it is reported in the metrics table but left out of the objective.

The goodness-of-fit metrics are those of :mod:`nexusmodel.calibration_metrics`, re-exported
here (``nse``, ``kge``, ``kge_components``, ``pbias``, ``paired``).
"""

from __future__ import annotations

import contextlib
import csv
import math
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd
import xarray as xr
from pydantic import ValidationError

from nexusmodel.basin.basin import Basin
from nexusmodel.basin.checks import check_basin
from nexusmodel.basin.schema import NODE_TYPES
from nexusmodel.calibration_metrics import KGEComponents, kge, kge_components, nse, paired, pbias
from nexusmodel.errors import InputError, Problem, did_you_mean
from nexusmodel.model import build_model
from nexusmodel.model.options import ModelOptions
from nexusmodel.results import extract_results
from nexusmodel.solve import solve

__all__ = [
    "DEFAULT_NODE_TYPE",
    "FAST_OPTIONS",
    "MULTIPLIERS",
    "OBSERVATION_COLUMNS",
    "OBSERVATION_UNITS",
    "CalibrationResult",
    "LINK_FIELDS",
    "KGEComponents",
    "Parameter",
    "apply_parameters",
    "calibrate",
    "calibration_objective",
    "compare",
    "kge",
    "kge_components",
    "load_observations",
    "metrics_table",
    "objective_from_comparison",
    "nse",
    "paired",
    "pbias",
    "simulate",
    "simulated_values",
]

Metric = Literal["kge", "nse"]
Match = Literal["date", "season"]

#: Options for the many runs of a calibration: fixed head (one LP per run), no diagnosis.
FAST_OPTIONS = ModelOptions(head="fixed", diagnose_infeasible=False)

#: Multiplier targets: name -> BasinSeries attribute scaled (columns are node ids; for
#: ``area_max_ha`` the first level of the (node, crop) columns).
MULTIPLIERS: dict[str, str] = {
    "irrigated_area": "area_max_ha",
    "municipal_demand": "municipal_hm3",
    "energy_demand": "energy_demand_gwh",
    "inflow": "inflow_m3s",
    "demand": "demand_hm3",
}

#: The nodes a parameter applies to when it does not name them: every node of this type.
DEFAULT_NODE_TYPE: dict[str, str] = {
    "conveyance_efficiency": "irrigation",
    "field_efficiency": "irrigation",
    "return_fraction": "irrigation",
    "irrigated_area": "irrigation",
    "municipal_demand": "municipal",
    "energy_demand": "energy_system",
    "inflow": "source",
    "demand": "demand",
}

#: Numeric link fields a parameter may set or scale; ``nodes`` then names link ids ``FROM>TO``.
LINK_FIELDS: tuple[str, ...] = (
    "loss_fraction",
    "capacity_m3s",
    "min_flow_m3s",
    "min_flow_penalty_usd_per_m3",
    "cost_usd_per_m3",
)

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
_HM3_PER_M3S_DAY = 86_400.0 / 1e6


# --------------------------------------------------------------------------- parameters


@dataclass(frozen=True)
class Parameter:
    """One calibration parameter: what it sets, where, its bounds and its default value.

    ``target`` is a numeric node field (``conveyance_efficiency``, ``return_fraction``,
    ``initial_storage_hm3``...), a link field of :data:`LINK_FIELDS` (``loss_fraction``...;
    ``nodes`` then names the links, ``"FROM>TO"``) or a key of :data:`MULTIPLIERS` (a
    horizon series).
    ``mode="set"`` (the default for fields) sets the field to the value on every node the
    parameter applies to; ``mode="scale"`` (the only mode for series) multiplies each node's
    own value, so that 1.0 leaves the basin as it is. ``nodes`` is a tuple of node ids, one
    node id, a node type (``"irrigation"``: every node of that type), or ``None`` for the
    target's default type (:data:`DEFAULT_NODE_TYPE`).
    """

    name: str
    target: str
    bounds: tuple[float, float]
    default: float
    nodes: str | tuple[str, ...] | None = None
    mode: Literal["set", "scale"] | None = None  # None: "scale" for series, else "set"

    def __post_init__(self) -> None:
        mode = self.mode or ("scale" if self.target in MULTIPLIERS else "set")
        if mode not in ("set", "scale"):
            raise ValueError(f"parameter {self.name}: mode {mode!r} must be 'set' or 'scale'")
        if mode == "set" and self.target in MULTIPLIERS:
            raise ValueError(
                f"parameter {self.name}: {self.target!r} is a series: it can only be scaled"
            )
        object.__setattr__(self, "mode", mode)
        lo, hi = (float(b) for b in self.bounds)
        if not (math.isfinite(lo) and math.isfinite(hi) and lo < hi):
            raise ValueError(f"parameter {self.name}: bounds {self.bounds} must be finite, lo < hi")
        if not lo <= self.default <= hi:
            raise ValueError(
                f"parameter {self.name}: default {self.default} is outside its bounds {self.bounds}"
            )
        if self.nodes is None and self.target not in DEFAULT_NODE_TYPE:
            what = "link ids FROM>TO" if self.target in LINK_FIELDS else "a node type or node ids"
            raise ValueError(
                f"parameter {self.name}: target {self.target!r} has no default nodes; name them "
                f"({what})"
            )
        object.__setattr__(self, "bounds", (lo, hi))
        if isinstance(self.nodes, list):
            object.__setattr__(self, "nodes", tuple(self.nodes))

    @property
    def is_multiplier(self) -> bool:
        return self.target in MULTIPLIERS

    def node_ids(self, basin: Basin) -> list[str]:
        """The ids of the nodes this parameter applies to in ``basin``."""
        where = DEFAULT_NODE_TYPE[self.target] if self.nodes is None else self.nodes
        if isinstance(where, str):
            if where in NODE_TYPES:
                return basin.ids_of_type(where)
            where = (where,)
        unknown = [n for n in where if n not in basin.nodes]
        if unknown:
            raise InputError(
                [
                    Problem(
                        f"parameter {self.name}: nodes",
                        f"= {n!r}: no such node or node type in basin {basin.name}",
                        did_you_mean(n, [*basin.nodes, *NODE_TYPES]),
                    )
                    for n in unknown
                ]
            )
        return list(where)

    def link_ids(self, basin: Basin) -> list[str]:
        """The ids (``FROM>TO``) of the links a link parameter applies to."""
        where = (self.nodes,) if isinstance(self.nodes, str) else tuple(self.nodes or ())
        ids = {link.id for link in basin.links}
        unknown = [n for n in where if n not in ids]
        if unknown:
            raise InputError(
                [
                    Problem(
                        f"parameter {self.name}: nodes",
                        f"= {n!r}: no such link in basin {basin.name}",
                        did_you_mean(n, ids),
                    )
                    for n in unknown
                ]
            )
        return list(where)

    def to_value(self, unit: float) -> float:
        """The value at a position 0..1 between the bounds."""
        lo, hi = self.bounds
        return lo + float(unit) * (hi - lo)

    def to_unit(self, value: float) -> float:
        lo, hi = self.bounds
        return (float(value) - lo) / (hi - lo)


ParameterValues = Mapping[Parameter, float]


def _set_field(
    basin: Basin, param: Parameter, value: float, items: list[Any], ids: set[str], kind: str
) -> list[Any]:
    """``items`` (nodes or links) with ``param.target`` set on those whose id is in ``ids``."""
    problems: list[Problem] = []
    out = []
    for item in items:
        if item.id not in ids:
            out.append(item)
            continue
        label = f"{kind}s[{item.id}]"
        what = f"a {item.type} node" if kind == "node" else "a link"
        if param.target not in type(item).model_fields:
            problems.append(
                Problem(
                    f"parameter {param.name}: {label}",
                    f"{what} has no field {param.target!r}",
                    did_you_mean(param.target, type(item).model_fields),
                )
            )
            continue
        data = item.model_dump()
        current = data[param.target]
        numeric = isinstance(current, int | float) and not isinstance(current, bool)
        if not numeric and (param.mode == "scale" or current is not None):
            problems.append(
                Problem(
                    f"parameter {param.name}: {label}.{param.target}",
                    f"= {current!r}: not a number a parameter can set",
                )
            )
            continue
        data[param.target] = value * current if param.mode == "scale" else value
        try:
            out.append(type(item).model_validate(data))
        except ValidationError as exc:
            reason = exc.errors()[0]["msg"]
            problems.append(
                Problem(
                    f"parameter {param.name}: {label}.{param.target}",
                    f"= {data[param.target]!r}: {reason}",
                    "narrow the parameter's bounds",
                )
            )
    if problems:
        raise InputError(problems, title="cannot apply calibration parameters")
    return out


def apply_parameters(basin: Basin, params: ParameterValues) -> Basin:
    """A new Basin with the parameters set (the input Basin and its series are unchanged).

    Node and link fields give a new spec (``model_copy`` of the basin file, each changed
    node or link validated, then the basin's checks run again); multipliers give new
    horizon series, so the basin must have them (``Basin.with_series``). A value outside its
    parameter's bounds or the field's valid range, or one that breaks a check (an initial
    storage above the capacity), is an :class:`~nexusmodel.errors.InputError`.
    """
    problems = [
        Problem(f"parameter {p.name}", f"= {v!r}: outside its bounds {p.bounds}")
        for p, v in params.items()
        if not (p.bounds[0] - 1e-12 <= float(v) <= p.bounds[1] + 1e-12)
    ]
    if problems:
        raise InputError(problems, title="cannot apply calibration parameters")
    new = basin
    fields = [(p, float(v)) for p, v in params.items() if not p.is_multiplier]
    if fields:
        nodes: list[Any] = list(basin.spec.nodes)
        links: list[Any] = list(basin.spec.links)
        for p, v in fields:
            if p.target in LINK_FIELDS:
                links = _set_field(basin, p, v, links, set(p.link_ids(basin)), "link")
            else:
                nodes = _set_field(basin, p, v, nodes, set(p.node_ids(basin)), "node")
        new = new.with_spec(basin.spec.model_copy(update={"nodes": nodes, "links": links}))
        problems = check_basin(new)  # e.g. an initial storage above the capacity
        if problems:
            names = ", ".join(p.name for p, _ in fields)
            raise InputError(problems, title=f"the parameters ({names}) make the basin invalid")
    multipliers = [(p, float(v)) for p, v in params.items() if p.is_multiplier]
    if multipliers:
        if basin.series is None:
            raise InputError(
                [
                    Problem(
                        f"parameter {multipliers[0][0].name}",
                        "multiplies a horizon series, but the basin has none",
                        "give the basin its series first (horizon_series, Basin.with_series)",
                    )
                ]
            )
        changes: dict[str, pd.DataFrame] = {}
        for p, v in multipliers:
            attr = MULTIPLIERS[p.target]
            frame = changes.get(attr, getattr(basin.series, attr))
            ids = p.node_ids(basin)
            level = (
                frame.columns.get_level_values(0) if frame.columns.nlevels > 1 else frame.columns
            )
            cols = np.asarray(level.isin(ids))
            factor = np.where(cols, v, 1.0)
            changes[attr] = frame * factor
        new = new.with_series(replace(basin.series, **changes))
    return new


# --------------------------------------------------------------------------- observations


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
        problems = [_problem(path, header_line, f"missing column {c!r}") for c in missing]
        problems += [
            _problem(
                path, header_line, f"unknown column {c!r}", did_you_mean(c, OBSERVATION_COLUMNS)
            )
            for c in extra
        ]
        raise InputError(problems, title=f"invalid observations {path}")
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


# --------------------------------------------------------------------------- simulation


def simulate(basin: Basin, options: ModelOptions | None = None) -> xr.Dataset:
    """Build, solve and extract one run of a basin with horizon series (fast options by default)."""
    if basin.series is None:
        raise ValueError(
            "the basin has no horizon series: use horizon_series and Basin.with_series"
        )
    model = build_model(basin, options or FAST_OPTIONS)
    report = solve(model)
    return extract_results(model, report)


def _step_values(ds: xr.Dataset, variable: str, node: str) -> np.ndarray:
    """The per-step values (hm3, or m for level) of one variable at one node or link."""
    if variable == "link_flow":
        return np.nan_to_num(ds["link_flow"].sel(link=node).values.astype(float))
    if variable == "total_inflow":
        flow = ds["link_flow"].values - ds["link_loss"].values
        rows = np.asarray(ds["link_to"].values == node)
        arriving = flow[rows].sum(axis=0)
        natural = np.nan_to_num(ds["inflow"].sel(node=node).values.astype(float))
        return arriving + natural
    return ds[variable].sel(node=node).values.astype(float)


def _horizon(ds: xr.Dataset) -> tuple[pd.DatetimeIndex, np.ndarray]:
    starts = pd.DatetimeIndex(ds["time"].values)
    days = (
        np.asarray(ds["step_days"].values, dtype=float)
        if "step_days" in ds.coords
        else np.asarray(starts.days_in_month, dtype=float)
    )
    return starts, days


def _at_date(
    ds: xr.Dataset, variable: str, node: str, kind: str, dates: pd.DatetimeIndex
) -> np.ndarray:
    """Model values comparable with observations on ``dates`` (NaN outside the horizon)."""
    starts, days = _horizon(ds)
    ends = starts + pd.to_timedelta(days, unit="D")
    values = _step_values(ds, variable, node)
    out = np.full(len(dates), np.nan)
    if kind == "year":
        years = np.asarray(starts.year)
        for i, date in enumerate(dates):
            steps = years == date.year
            covered = steps.any() and starts[steps][0] == pd.Timestamp(date.year, 1, 1)
            covered = covered and ends[steps][-1] == pd.Timestamp(date.year + 1, 1, 1)
            if covered:
                out[i] = values[steps].sum()
        return out
    pos = np.searchsorted(starts.values, dates.values, side="right") - 1
    inside = (pos >= 0) & (dates.values <= ends[-1].to_datetime64())
    # a date at the very end of the horizon belongs to the last step (its end state)
    pos = np.clip(pos, 0, len(starts) - 1)
    for i in np.flatnonzero(inside):
        t = pos[i]
        if kind == "state":
            if variable == "storage" and "initial_storage" in ds:
                first = float(ds["initial_storage"].sel(node=node))
            else:
                first = values[0]
            previous = values[t - 1] if t > 0 else first
            share = (dates[i] - starts[t]) / pd.Timedelta(days=float(days[t]))
            out[i] = previous + min(share, 1.0) * (values[t] - previous)
        elif kind == "rate":
            out[i] = values[t] / (days[t] * _HM3_PER_M3S_DAY)
        else:  # "step"
            out[i] = values[t]
    return out


def _same_day(date: pd.Timestamp, year: int) -> pd.Timestamp:
    day = min(date.day, pd.Timestamp(year, date.month, 1).days_in_month)
    return pd.Timestamp(year, date.month, day)


def simulated_values(
    ds: xr.Dataset, observations: pd.DataFrame, match: Match = "season"
) -> pd.Series:
    """The model value for each observation row (same index), in the observation's unit.

    ``match="date"``: on the observation's date (NaN outside the horizon). ``"season"``: on the
    same calendar day (or calendar year, for annual totals) of each horizon year, averaged.
    """
    if match not in ("date", "season"):
        raise ValueError(f"match = {match!r}: use 'date' or 'season'")
    out = pd.Series(np.nan, index=observations.index, name="simulated")
    starts, _ = _horizon(ds)
    horizon_years = sorted(set(starts.year))
    for (variable, node, unit), rows in observations.groupby(
        ["variable", "node", "unit"], sort=False
    ):
        kind = OBSERVATION_UNITS[unit][2]
        dates = pd.DatetimeIndex(rows["date"])
        if match == "date":
            out[rows.index] = _at_date(ds, variable, node, kind, dates)
            continue
        per_year = np.vstack(
            [
                _at_date(
                    ds, variable, node, kind, pd.DatetimeIndex([_same_day(d, y) for d in dates])
                )
                for y in horizon_years
            ]
        )
        with np.errstate(all="ignore"):
            valid = np.isfinite(per_year)
            total = np.where(valid, per_year, 0.0).sum(axis=0)
            count = valid.sum(axis=0)
            out[rows.index] = np.where(count > 0, total / np.maximum(count, 1), np.nan)
    return out


def compare(ds: xr.Dataset, observations: pd.DataFrame, match: Match = "season") -> pd.DataFrame:
    """The observations with a ``simulated`` column beside ``value``."""
    table = observations.copy()
    table["simulated"] = simulated_values(ds, observations, match)
    return table


# --------------------------------------------------------------------------- metrics


def _group_metrics(sim: np.ndarray, obs: np.ndarray) -> dict[str, float]:
    valid = np.isfinite(sim) & np.isfinite(obs)
    out = {"n": int(valid.sum()), "NSE": math.nan, "KGE": math.nan, "PBIAS": math.nan}
    for name, fn in (("NSE", nse), ("KGE", kge), ("PBIAS", pbias)):
        with contextlib.suppress(ValueError):
            out[name] = fn(sim, obs)
    if out["n"] == 1 and obs[valid][0] != 0:  # one value: its percent bias is still telling
        out["PBIAS"] = 100.0 * float(sim[valid][0] - obs[valid][0]) / float(obs[valid][0])
    return out


def metrics_table(comparison: pd.DataFrame) -> pd.DataFrame:
    """NSE, KGE and PBIAS (%) of each observed series (index ``variable, node, unit``)."""
    rows = {}
    for key, group in comparison.groupby(["variable", "node", "unit"], sort=False):
        rows[key] = _group_metrics(
            group["simulated"].to_numpy(float), group["value"].to_numpy(float)
        )
    table = pd.DataFrame.from_dict(rows, orient="index")
    table.index = pd.MultiIndex.from_tuples(table.index, names=["variable", "node", "unit"])
    return table


def _loss(sim: np.ndarray, obs: np.ndarray, metric: Metric) -> float | None:
    """1 - metric for one series; None when the observations cannot define the metric."""
    valid = np.isfinite(obs)
    o = obs[valid]
    if o.size < 2 or float(np.std(o)) == 0.0 or (metric == "kge" and float(np.mean(o)) == 0.0):
        return None
    s = sim[valid]
    if not np.all(np.isfinite(s)):
        return 10.0  # the model cannot give this series (e.g. outside the horizon): penalise
    if metric == "nse":
        return 1.0 - nse(s, o)
    std_s, std_o = float(np.std(s)), float(np.std(o))
    r = 0.0 if std_s == 0 else float(np.mean((s - s.mean()) * (o - o.mean())) / (std_s * std_o))
    alpha, beta = std_s / std_o, float(s.mean()) / float(o.mean())
    return float(np.sqrt((r - 1.0) ** 2 + (alpha - 1.0) ** 2 + (beta - 1.0) ** 2))


def objective_from_comparison(
    comparison: pd.DataFrame,
    metric: Metric = "kge",
    weights: Mapping[tuple[str, str], float] | None = None,
) -> float:
    """The weighted mean over series of ``1 - metric`` (0 is a perfect fit)."""
    if metric not in ("kge", "nse"):
        raise ValueError(f"metric = {metric!r}: use 'kge' or 'nse'")
    total, weight_sum = 0.0, 0.0
    for (variable, node, _), group in comparison.groupby(["variable", "node", "unit"], sort=False):
        loss = _loss(group["simulated"].to_numpy(float), group["value"].to_numpy(float), metric)
        if loss is None:
            continue
        w = 1.0 if weights is None else float(weights.get((variable, node), 0.0))
        total += w * loss
        weight_sum += w
    if weight_sum == 0.0:
        raise ValueError(
            "no observed series defines the metric (each needs >= 2 non-constant values)"
        )
    return total / weight_sum


def calibration_objective(
    params: ParameterValues,
    basin: Basin,
    observations: pd.DataFrame,
    metric: Metric = "kge",
    *,
    options: ModelOptions | None = None,
    match: Match = "season",
    weights: Mapping[tuple[str, str], float] | None = None,
) -> float:
    """Run the model with ``params`` and return the loss to minimise: mean of ``1 - metric``.

    ``basin`` must carry horizon series (a short horizon keeps this fast); ``options``
    default to :data:`FAST_OPTIONS` (fixed head). ``weights`` maps ``(variable, node)`` to a
    weight (series it omits get 0).
    """
    ds = simulate(apply_parameters(basin, params), options)
    return objective_from_comparison(compare(ds, observations, match), metric, weights)


# --------------------------------------------------------------------------- calibrate


@dataclass
class CalibrationResult:
    """What :func:`calibrate` found: fitted values, losses, metrics before and after."""

    parameters: tuple[Parameter, ...]
    initial: dict[str, float]
    values: dict[str, float]
    loss_before: float
    loss_after: float
    metrics: pd.DataFrame  # index (variable, node, unit); n, NSE/KGE/PBIAS before and after
    evaluations: int
    seconds: float
    message: str = ""
    history: list[tuple[dict[str, float], float]] = field(default_factory=list)
    comparison: pd.DataFrame | None = None  # observations with the fitted model's values

    @property
    def fitted(self) -> dict[Parameter, float]:
        """The fitted values keyed by parameter, ready for :func:`apply_parameters`."""
        return {p: self.values[p.name] for p in self.parameters}

    def table(self) -> pd.DataFrame:
        """One row per parameter: bounds, initial and fitted value."""
        return pd.DataFrame(
            {
                "target": [p.target for p in self.parameters],
                "lower": [p.bounds[0] for p in self.parameters],
                "upper": [p.bounds[1] for p in self.parameters],
                "initial": [self.initial[p.name] for p in self.parameters],
                "fitted": [self.values[p.name] for p in self.parameters],
            },
            index=pd.Index([p.name for p in self.parameters], name="parameter"),
        )


def calibrate(
    parameters: Sequence[Parameter],
    basin: Basin,
    observations: pd.DataFrame,
    metric: Metric = "kge",
    *,
    method: Literal["nelder-mead", "powell", "l-bfgs-b", "differential_evolution"] = "nelder-mead",
    max_evaluations: int = 60,
    initial: Mapping[str, float] | None = None,
    options: ModelOptions | None = None,
    match: Match = "season",
    weights: Mapping[tuple[str, str], float] | None = None,
    seed: int = 0,
    callback: Callable[[dict[str, float], float], None] | None = None,
) -> CalibrationResult:
    """Fit ``parameters`` within their bounds by minimising :func:`calibration_objective`.

    The optimizer works on each parameter scaled to 0..1 between its bounds.
    ``nelder-mead`` (default; first simplex 15 % of each range), ``powell`` and ``l-bfgs-b``
    (finite differences) are :func:`scipy.optimize.minimize` from the defaults (or
    ``initial``, by parameter name); ``differential_evolution`` searches the whole box.
    The model is a linear program whose solution can jump between vertices as a parameter
    moves, so the loss is piecewise smooth: derivative-free methods are the safer choice.
    ``max_evaluations`` bounds the model runs (approximately for ``differential_evolution``,
    which finishes its current generation). Runs that fail (infeasible) count as a loss of 10.
    """
    from scipy import optimize

    from nexusmodel.errors import NexusModelError

    parameters = tuple(parameters)
    if not parameters:
        raise ValueError("no parameters to calibrate")
    names = [p.name for p in parameters]
    if len(set(names)) != len(names):
        raise ValueError(f"parameter names must be unique: {names}")
    start_values = {p.name: float(p.default) for p in parameters}
    start_values.update({k: float(v) for k, v in (initial or {}).items()})
    started = time.perf_counter()
    history: list[tuple[dict[str, float], float]] = []
    cache: dict[tuple[float, ...], float] = {}

    def values_of(u: np.ndarray) -> dict[str, float]:
        u = np.clip(np.asarray(u, dtype=float), 0.0, 1.0)
        return {p.name: p.to_value(x) for p, x in zip(parameters, u, strict=True)}

    def loss(u: np.ndarray) -> float:
        key = tuple(np.round(np.clip(u, 0.0, 1.0), 10))
        if key in cache:
            return cache[key]
        vals = values_of(u)
        try:
            value = calibration_objective(
                {p: vals[p.name] for p in parameters},
                basin,
                observations,
                metric,
                options=options,
                match=match,
                weights=weights,
            )
        except NexusModelError:
            value = 10.0
        cache[key] = value
        history.append((vals, value))
        if callback is not None:
            callback(vals, value)
        return value

    u0 = np.array([p.to_unit(start_values[p.name]) for p in parameters])
    loss_before = loss(u0)
    ds_before = simulate(
        apply_parameters(basin, {p: start_values[p.name] for p in parameters}), options
    )
    before = metrics_table(compare(ds_before, observations, match))
    bounds = [(0.0, 1.0)] * len(parameters)
    if method == "nelder-mead":
        step = np.where(u0 + 0.15 <= 1.0, 0.15, -0.15)  # first simplex: 15 % of each range
        simplex = np.vstack([u0, u0 + np.diag(step)])
        res = optimize.minimize(
            loss,
            u0,
            method="Nelder-Mead",
            bounds=bounds,
            options={
                "maxfev": max_evaluations,
                "initial_simplex": simplex,
                "xatol": 1e-3,
                "fatol": 1e-5,
            },
        )
    elif method == "powell":
        res = optimize.minimize(
            loss,
            u0,
            method="Powell",
            bounds=bounds,
            options={"maxfev": max_evaluations, "xtol": 1e-3, "ftol": 1e-5},
        )
    elif method == "l-bfgs-b":
        res = optimize.minimize(
            loss,
            u0,
            method="L-BFGS-B",
            bounds=bounds,
            options={"maxfun": max_evaluations, "eps": 1e-3},
        )
    elif method == "differential_evolution":
        popsize = max(2, int(max_evaluations // (len(parameters) * 5)))
        res = optimize.differential_evolution(
            loss,
            bounds,
            popsize=popsize,
            maxiter=4,
            seed=seed,
            polish=False,
            tol=1e-6,
            x0=u0,
        )
    else:
        raise ValueError(
            f"method = {method!r}: use 'nelder-mead', 'powell', 'l-bfgs-b' or 'differential_evolution'"
        )
    best_vals, best_loss = min(history, key=lambda item: item[1])  # never worse than the start
    fitted = {p: best_vals[p.name] for p in parameters}
    ds_after = simulate(apply_parameters(basin, fitted), options)
    comparison = compare(ds_after, observations, match)
    after = metrics_table(comparison)
    metrics = pd.concat({"before": before, "after": after}, axis=1)
    ordered = [("before", "n")] + [
        (s, m) for m in ("NSE", "KGE", "PBIAS") for s in ("before", "after")
    ]
    metrics = metrics[ordered]
    metrics.columns = ["n"] + [
        f"{m} {s}" for m in ("NSE", "KGE", "PBIAS") for s in ("before", "after")
    ]
    return CalibrationResult(
        parameters=parameters,
        initial=start_values,
        values=dict(best_vals),
        loss_before=loss_before,
        loss_after=best_loss,
        metrics=metrics,
        evaluations=len(history),
        seconds=time.perf_counter() - started,
        message=str(getattr(res, "message", "")),
        history=history,
        comparison=comparison,
    )
