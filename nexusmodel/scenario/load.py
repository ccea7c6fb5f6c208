"""Read a scenario file and the chain it ``extends:``, merging child over parent.

Merging is key by key for nested mappings (a child changes one setting of a parent's group
and keeps the rest); lists and plain values are replaced whole. ``null`` removes what a parent
set (back to the default). Every setting remembers the file that set it (``Scenario.origin``),
so an error names that file, and ``nexusmodel show`` prints where each value came from.
"""

from __future__ import annotations

import hashlib
import json
import re
import types
import typing
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from nexusmodel.basin.load import read_yaml
from nexusmodel.errors import InputError, Problem, did_you_mean
from nexusmodel.model.options import ModelOptions
from nexusmodel.scenario.schema import KEY_UNITS, Horizon, ScenarioFile, _month, unit_of

#: Mappings whose keys are calendar months (names such as 'Jul' become 7 before merging).
MONTH_KEYED = ("by_month_pct", "minimum", "min_flow_m3s")


@dataclass(frozen=True)
class Scenario:
    """A resolved scenario: its settings, the files it came from, and where each setting was set."""

    name: str
    path: Path
    chain: tuple[Path, ...]  # this file first, then its parent, grandparent...
    spec: ScenarioFile
    origin: dict[str, Path] = field(default_factory=dict)  # "horizon.years" -> file that set it
    settings: dict[str, Any] = field(default_factory=dict)  # merged raw settings

    @property
    def basin_path(self) -> Path:
        return Path(self.spec.basin)

    @property
    def options(self) -> ModelOptions:
        """The solve options, with the policy's municipal priority applied."""
        options = self.spec.solve
        priority = self.spec.policy.municipal_priority
        if priority is not None:
            options = options.model_copy(update={"municipal_hard": priority == "hard"})
        return options

    @property
    def parent(self) -> Path | None:
        return self.chain[1] if len(self.chain) > 1 else None

    def with_horizon(self, years: int | None = None, start: str | None = None) -> Scenario:
        """The same scenario over another horizon (e.g. a short test run)."""
        horizon = Horizon(
            start=start or self.spec.horizon.start, years=years or self.spec.horizon.years
        )
        return replace(self, spec=self.spec.model_copy(update={"horizon": horizon}))

    def with_solver(self, solver: str) -> Scenario:
        """The same scenario solved by another known solver (the user's choice, not a file's)."""
        from nexusmodel.solve.solvers import check_solver_name

        name = check_solver_name(solver, "--solver")
        solve = self.spec.solve.model_copy(update={"solver": name})
        return replace(self, spec=self.spec.model_copy(update={"solve": solve}))

    def origin_of(self, dotted: str) -> Path | None:
        """The file that set a setting (``None``: a default), e.g. ``"climate.evaporation.all.mode"``.

        A setting inside a list (``infrastructure.add_nodes[R_KAM].capacity_hm3``) comes from
        the file that set the list.
        """
        key = re.sub(r"\[[^\]]*\]", "", dotted)
        if key in self.origin:
            return self.origin[key]
        parts = key.split(".")
        for k in range(len(parts) - 1, 0, -1):
            prefix = ".".join(parts[:k])
            if prefix in self.origin:
                return self.origin[prefix]
        children = [p for k, p in self.origin.items() if k.startswith(key + ".")]
        return min(children, key=self._depth) if children else None

    def _depth(self, path: Path) -> int:
        return self.chain.index(path) if path in self.chain else len(self.chain)

    def effective_settings(self) -> list[tuple[str, Any, Path | None]]:
        """Every setting after inheritance and defaults: (dotted key, value, file or None)."""
        flat: list[tuple[str, Any]] = []
        _flatten(self.spec.model_dump(mode="json", by_alias=True), "", flat)
        return [(key, value, self.origin_of(key)) for key, value in flat]

    def input_hash(self, basin_folder: Path) -> str:
        """SHA-256 of the resolved settings and every file of the basin folder."""
        settings = json.dumps(self.spec.model_dump(mode="json"), sort_keys=True)
        digest = hashlib.sha256(settings.encode())
        for file in sorted(basin_folder.glob("*")):
            if file.is_file():
                digest.update(file.name.encode())
                digest.update(file.read_bytes())
        return digest.hexdigest()[:16]

    def provenance(self, basin: object) -> dict[str, object]:
        return {
            "scenario": self.name,
            "scenario_file": str(self.path),
            "scenario_chain": " <- ".join(str(p) for p in self.chain),
            "input_hash": self.input_hash(Path(basin.path)),  # type: ignore[attr-defined]
            "horizon": f"{self.spec.horizon.start}, {self.spec.horizon.years} years",
            "hydrology": self.spec.hydrology.kind
            + (
                " (year-by-year table inflows_historical: gauged and reconstructed inflows, see the basin's SOURCES.md)"
                if self.spec.hydrology.kind == "historical"
                else ""
            ),  # noqa: E501
            "mode": getattr(self.options, "mode", "optimize"),
        }


def _flatten(value: Any, prefix: str, out: list[tuple[str, Any]]) -> None:
    """Leaves of nested dicts; lists of mappings by item (labelled by id or FROM>TO)."""
    if isinstance(value, dict) and value:
        for key, sub in value.items():
            _flatten(sub, f"{prefix}.{key}" if prefix else str(key), out)
    elif isinstance(value, list) and value and all(isinstance(v, dict) for v in value) and prefix:
        for i, item in enumerate(value):
            label = item.get("id") or (
                f"{item['from']}>{item['to']}" if "from" in item and "to" in item else i
            )
            _flatten(item, f"{prefix}[{label}]", out)
    else:
        out.append((prefix, value))


# --------------------------------------------------------------------------- merging


def _normalise(raw: Any, parent_key: str = "") -> Any:
    """Month names as month numbers in month-keyed mappings (so 'Jul' and 7 merge)."""
    if isinstance(raw, dict):
        return {
            (_month(k) if parent_key in MONTH_KEYED else k): _normalise(v, str(k))
            for k, v in raw.items()
        }
    if isinstance(raw, list):
        return [_normalise(v, parent_key) for v in raw]
    return raw


def _merge(
    parent: dict[str, Any],
    child: dict[str, Any],
    origin: dict[str, Path],
    source: Path,
    prefix: str = "",
) -> dict[str, Any]:
    """Child settings over parent ones, key by key for nested mappings; records where each came from."""
    out = dict(parent)
    for key, value in child.items():
        dotted = f"{prefix}{key}"
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _merge(out[key], value, origin, source, dotted + ".")
        else:
            for old in [k for k in origin if k.startswith(dotted + ".")]:
                del origin[old]  # a replaced group no longer holds the parent's settings
            out[key] = value
            _mark(origin, dotted, value, source)
    return out


def _mark(origin: dict[str, Path], dotted: str, value: Any, source: Path) -> None:
    if isinstance(value, dict) and value:
        for key, sub in value.items():
            _mark(origin, f"{dotted}.{key}", sub, source)
    else:
        origin[dotted] = source


def _drop_nulls(raw: Any) -> Any:
    """Settings without the keys set to null (null means: back to the default)."""
    if isinstance(raw, dict):
        return {k: _drop_nulls(v) for k, v in raw.items() if v is not None}
    return raw


def _read_chain(path: Path) -> list[tuple[Path, dict[str, Any]]]:
    """[(file, raw settings)] from this file up to the root; cycles and missing parents are errors."""
    chain: list[tuple[Path, dict[str, Any]]] = []
    seen: list[Path] = []
    current = path.resolve()
    while True:
        seen.append(current)
        raw = read_yaml(current)
        if raw is None:
            raw = {}
        if not isinstance(raw, dict):
            raise InputError(
                [
                    Problem(
                        str(current), "must be a mapping of settings", "see scenarios/baseline.yaml"
                    )
                ],
                title=f"invalid scenario {path}",
            )
        raw = dict(raw)
        parent = raw.pop("extends", None)
        if "basin" in raw and isinstance(raw["basin"], str):
            raw["basin"] = str((current.parent / raw["basin"]).resolve())
        chain.append((current, _normalise(raw)))
        if parent is None:
            return chain
        where = f"{current}: extends"
        if not isinstance(parent, str) or not parent.strip():
            raise InputError(
                [
                    Problem(
                        where,
                        f"= {parent!r}: expected the file name of one parent scenario",
                        "e.g. extends: baseline.yaml",
                    )
                ],
                title=f"invalid scenario {path}",
            )
        parent_path = _find_parent(current, parent)
        if parent_path in seen:
            cycle = " -> ".join(p.name for p in [*seen, parent_path])
            raise InputError(
                [
                    Problem(
                        where,
                        f"= {parent!r} makes a cycle: {cycle}",
                        "a scenario cannot extend itself, directly or through its parents: "
                        "remove 'extends' from one of them",
                    )
                ],
                title=f"invalid scenario {path}",
            )
        current = parent_path


def _find_parent(current: Path, parent: str) -> Path:
    """The parent's file (relative to the child; '.yaml' may be left out), or an InputError."""
    candidate = (current.parent / parent).resolve()
    if not candidate.is_file() and candidate.suffix not in (".yaml", ".yml"):
        candidate = candidate.with_name(candidate.name + ".yaml")
    if candidate.is_file():
        return candidate
    siblings = sorted(p.name for p in current.parent.glob("*.y*ml"))
    raise InputError(
        [
            Problem(
                f"{current}: extends",
                f"= {parent!r}: no such scenario file (looked for {candidate})",
                did_you_mean(parent, siblings) if siblings else "give a path relative to this file",
            )
        ],
        title=f"invalid scenario {current}",
    )


# --------------------------------------------------------------------------- problems


#: Labels pydantic gives the branches of a union in an error's location (not file keys).
_UNION_LABEL = re.compile(r"^(constrained-)?(float|int|str|bool)$|\[")


def _walk(loc: tuple[Any, ...], raw: Any) -> tuple[str, str, list[Any]]:
    """(shown location, origin key, schema path) of a pydantic error location.

    Lists show their items by id (``add_nodes[R_KAM]``); union branch labels and
    discriminator tags that pydantic adds are dropped.
    """
    shown: list[str] = []
    origin_parts: list[str] = []
    in_list = False
    path: list[Any] = []
    node = raw
    for i, key in enumerate(loc):
        last = i == len(loc) - 1
        if key == "[key]":
            continue
        if isinstance(node, list) and isinstance(key, int):
            item = node[key] if key < len(node) else None
            label = item.get("id") if isinstance(item, dict) else None
            if label is None and isinstance(item, dict) and "from" in item:
                label = f"{item.get('from')}>{item.get('to')}"
            shown[-1] = f"{shown[-1]}[{label if label is not None else key}]"
            in_list = True
            path.append(key)
            node = item
        elif isinstance(node, dict) and (
            key in node or (last and not _UNION_LABEL.match(str(key)))
        ):
            shown.append(str(key))
            if not in_list:
                origin_parts.append(str(key))
            path.append(key)
            node = node.get(key)
        elif isinstance(node, dict) and "type" in node and key == node.get("type"):
            path.append(key)  # discriminator tag of a node
        else:
            continue  # a union branch label such as 'float' or 'dict[int,float]'
    return ".".join(shown), ".".join(origin_parts), path


def _is_model(tp: Any) -> bool:
    return isinstance(tp, type) and issubclass(tp, BaseModel)


def _model_keys(path: list[Any]) -> list[str]:
    """Keys accepted where the last element of ``path`` sits (for 'valid keys' hints)."""
    current: Any = ScenarioFile
    steps = list(path[:-1])
    i = 0
    while True:
        origin = typing.get_origin(current)
        if origin is typing.Annotated:
            current = typing.get_args(current)[0]
        elif origin in (typing.Union, types.UnionType):
            members = [
                typing.get_args(a)[0] if typing.get_origin(a) is typing.Annotated else a
                for a in typing.get_args(current)
                if a is not type(None)
            ]
            step = steps[i] if i < len(steps) else None
            tagged = [
                m
                for m in members
                if _is_model(m)
                and "type" in m.model_fields
                and step in typing.get_args(m.model_fields["type"].annotation)
            ]
            if tagged:  # a discriminated union: the next step is the tag
                current, i = tagged[0], i + 1
                continue
            structured = [m for m in members if _is_model(m)]
            structured += [m for m in members if typing.get_origin(m) in (dict, list)]
            if not structured:
                return []
            current = structured[0]
        elif i >= len(steps):
            break
        elif _is_model(current):
            if steps[i] not in current.model_fields:
                return []
            current, i = current.model_fields[steps[i]].annotation, i + 1
        elif origin in (dict, list):
            current, i = typing.get_args(current)[-1], i + 1
        else:
            return []
    if _is_model(current):
        return [f.alias or name for name, f in current.model_fields.items()]
    return []


def _unit_stem(key: str) -> str:
    """A key without its unit suffix: 'annual_target_km3' -> 'annual_target'."""
    for suffix, _ in KEY_UNITS:
        if key.endswith(suffix):
            return key[: -len(suffix)]
    return key


def _unknown_key_fix(key: str, valid: list[str]) -> str:
    if not valid:
        return "remove it"
    stem = _unit_stem(key)
    for name in valid:
        if name != key and _unit_stem(name) == stem and unit_of(name):
            return f"wrong unit: this setting is '{name}' (in {unit_of(name)}); convert the value"
    hint = did_you_mean(key, valid)
    listing = "valid keys here: " + ", ".join(valid)
    return listing if hint.startswith("valid") else f"{hint} {listing}"


def _problem(err: Any, raw: dict[str, Any], scenario: Scenario) -> Problem:
    shown, origin_key, path = _walk(tuple(err["loc"]), raw)
    file = scenario.origin_of(origin_key) if origin_key else None
    if file is None:
        file = scenario.path
    where = f"{file}: {shown}" if shown else str(file)
    kind = err["type"]
    value = err.get("input")
    key = str(path[-1]) if path else ""
    if kind == "extra_forbidden":
        return Problem(where, "unknown key", _unknown_key_fix(key, _model_keys(path)))
    if kind == "missing":
        fix = "add it"
        if shown == "basin":
            fix = "set basin: (the basin folder, relative to the file) in the root scenario"
        return Problem(where, "missing required key", fix)
    if kind == "literal_error":
        expected = err.get("ctx", {}).get("expected", "")
        return Problem(where, f"= {value!r}: not a valid choice", f"valid choices: {expected}")
    if kind in ("float_type", "int_type") and isinstance(value, bool):
        return Problem(where, f"= {value!r}: true/false, not a number", "use a plain number")
    if kind in ("float_parsing", "float_type", "int_parsing", "int_type", "int_from_float"):
        unit = unit_of(key)
        if isinstance(value, str) and unit:
            return Problem(
                where,
                f"= {value!r}: expected a plain number",
                f"the unit is in the key name: write the value in {unit} without a unit",
            )
        return Problem(where, f"= {value!r}: {err['msg'].lower()}")
    if kind == "finite_number":
        return Problem(
            where, f"= {value!r}: not a finite number", "use a plain number (.inf and .nan are not)"
        )
    if kind == "value_error":
        message = str(err["msg"]).removeprefix("Value error, ")
        return Problem(where, message)
    if kind == "string_pattern_mismatch" and shown == "horizon.start":
        return Problem(where, f"= {value!r}: not a month", "write it as YYYY-MM, e.g. '2025-01'")
    shown_value = "" if isinstance(value, dict | list) else f"= {value!r}: "
    return Problem(where, f"{shown_value}{err['msg'].lower()}")


def load_scenario(path: str | Path) -> Scenario:
    """Load a scenario and the chain it extends; raise one InputError naming file and key.

    This checks the structure, types, units and ranges; node ids, countries and crops are
    checked against the basin by :func:`nexusmodel.scenario.apply.check_references`.
    """
    path = Path(path)
    chain = _read_chain(path)
    merged: dict[str, Any] = {}
    origin: dict[str, Path] = {}
    for source, raw in reversed(chain):
        merged = _merge(merged, raw, origin, source)
    settings = _drop_nulls(merged)
    scenario = Scenario(
        name=path.stem,
        path=chain[0][0],
        chain=tuple(p for p, _ in chain),
        spec=ScenarioFile.model_construct(basin=""),
        origin=origin,
        settings=settings,
    )
    try:
        spec = ScenarioFile.model_validate(settings)
    except ValidationError as exc:
        problems: list[Problem] = []
        for err in exc.errors():
            problem = _problem(err, settings, scenario)
            same = [p for p in problems if p.location == problem.location]
            if same:  # union branches: one problem per location
                continue
            problems.append(problem)
        raise InputError(problems, title=f"invalid scenario {path}") from None
    return replace(scenario, spec=spec)
