"""Calibration parameters: a node or link field, or a multiplier on a horizon series, and
:func:`apply_parameters`, which returns a new Basin with them set.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any, Literal

import numpy as np
import pandas as pd
from pydantic import ValidationError

from nexusmodel.basin.basin import Basin
from nexusmodel.basin.checks import check_basin
from nexusmodel.basin.schema import NODE_TYPES
from nexusmodel.errors import InputError, Problem, did_you_mean

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
        monthly = isinstance(current, list) and all(
            isinstance(v, int | float) and not isinstance(v, bool) for v in current
        )
        if monthly and param.mode == "scale":  # a monthly profile (e.g. a winter limit) scales
            data[param.target] = [value * v for v in current]
        elif not numeric and (param.mode == "scale" or current is not None) and not monthly:
            problems.append(
                Problem(
                    f"parameter {param.name}: {label}.{param.target}",
                    f"= {current!r}: not a number a parameter can set",
                )
            )
            continue
        else:
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
