"""Read a scenario file and the chain it ``extends:``, merging child over parent."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from nexusmodel.basin.load import pydantic_problems, read_yaml
from nexusmodel.errors import InputError, Problem
from nexusmodel.scenario.schema import ScenarioFile


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
    def options(self):  # noqa: ANN201 - ModelOptions
        return self.spec.solve

    def input_hash(self, basin_folder: Path) -> str:
        """SHA-256 of the resolved settings and every file of the basin folder."""
        digest = hashlib.sha256(json.dumps(self.settings, sort_keys=True, default=str).encode())
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
            "mode": "optimize",
        }


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
            out[key] = value
            _mark(origin, dotted, value, source)
    return out


def _mark(origin: dict[str, Path], dotted: str, value: Any, source: Path) -> None:
    if isinstance(value, dict):
        for key, sub in value.items():
            _mark(origin, f"{dotted}.{key}", sub, source)
    else:
        origin[dotted] = source


def _read_chain(path: Path) -> list[tuple[Path, dict[str, Any]]]:
    """[(file, raw settings)] from this file up to the root; cycles and missing parents are errors."""
    chain: list[tuple[Path, dict[str, Any]]] = []
    seen: list[Path] = []
    current = path.resolve()
    while True:
        if current in seen:
            cycle = " -> ".join(p.name for p in [*seen, current])
            raise InputError(
                [Problem(str(path), f"'extends' makes a cycle: {cycle}", "remove one of the links")]
            )
        seen.append(current)
        raw = read_yaml(current)
        if raw is None:
            raw = {}
        if not isinstance(raw, dict):
            raise InputError([Problem(str(current), "must be a mapping of settings")])
        raw = dict(raw)
        parent = raw.pop("extends", None)
        if "basin" in raw and isinstance(raw["basin"], str):
            raw["basin"] = str((current.parent / raw["basin"]).resolve())
        chain.append((current, raw))
        if parent is None:
            return chain
        parent_path = (current.parent / str(parent)).resolve()
        if not parent_path.is_file():
            raise InputError(
                [
                    Problem(
                        f"{current}: extends",
                        f"= {parent!r}: no such scenario file",
                        f"looked for {parent_path}",
                    )
                ]
            )
        current = parent_path


def load_scenario(path: str | Path) -> Scenario:
    """Load a scenario and the chain it extends; raise one InputError naming file and key."""
    path = Path(path)
    chain = _read_chain(path)
    merged: dict[str, Any] = {}
    origin: dict[str, Path] = {}
    for source, raw in reversed(chain):
        merged = _merge(merged, raw, origin, source)
    try:
        spec = ScenarioFile.model_validate(merged)
    except ValidationError as exc:
        problems = pydantic_problems(exc, path, merged)
        located = [
            Problem(
                str(origin.get(p.location.split(": ", 1)[-1], path))
                + ": "
                + p.location.split(": ", 1)[-1],
                p.message,
                p.fix,
            )
            for p in problems
        ]
        raise InputError(located, title=f"invalid scenario {path}") from None
    return Scenario(
        name=path.stem,
        path=path,
        chain=tuple(p for p, _ in chain),
        spec=spec,
        origin=origin,
        settings=merged,
    )
