"""What an ensemble runs: policy options (scenario files) crossed with seeded hydrologies.

``make_plan(scenario, options, members)`` loads and checks every scenario on the client,
once, and returns an :class:`EnsemblePlan` that travels to the Dask workers (so workers
need no access to the files). Member ``k`` is the hydrology drawn with
``seed = hydrology.seed + k`` from the *main* scenario's hydrology settings, the same draw
for every option, so options can be compared member by member (regret). An option keeps
everything else of its own (policy, infrastructure, climate, demand).

A member's inflows are those :func:`~nexusmodel.scenario.apply_scenario` gives the option
with the member's seed, so member ``k`` is reproducible on its own: run the option with
``hydrology.seed`` set to ``seed + k``.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import re
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from nexusmodel.basin import load_basin
from nexusmodel.basin.basin import Basin
from nexusmodel.errors import InputError, Problem
from nexusmodel.model import ModelOptions
from nexusmodel.scenario import Scenario, apply_scenario, load_scenario


@dataclass(frozen=True)
class OptionSetup:
    """One policy option: its scenario, raw basin and applied basin (mean hydrology)."""

    name: str
    scenario: Scenario
    raw_basin: Basin  # as loaded, before the scenario
    basin: Basin  # the scenario applied: horizon series with the scenario's own hydrology
    options: ModelOptions
    provenance: dict[str, object]


@dataclass(frozen=True)
class EnsemblePlan:
    """Options x members, and how to draw each member's inflows (see the module docstring)."""

    scenario: Scenario  # the main scenario: hydrology settings and base seed
    options: dict[str, OptionSetup]
    base_seed: int
    token: str  # identifies the whole plan (options included): the workers' cache key
    members_token: str  # identifies the members' hydrology (seeds, horizon, basin, step)
    option_hashes: dict[str, str]  # input hash of each option (its settings and basin files)
    notes: tuple[str, ...] = field(default_factory=tuple)

    @property
    def option_names(self) -> list[str]:
        return list(self.options)

    def seed(self, member: int) -> int:
        return self.base_seed + int(member)

    def member_scenario(self, option: str, member: int) -> Scenario:
        """The option's scenario with the main scenario's hydrology drawn with member's seed."""
        return with_hydrology(
            self.options[option].scenario,
            self.scenario.spec.hydrology.model_copy(update={"seed": self.seed(member)}),
        )

    def member_inflow(self, option: str, member: int) -> pd.DataFrame:
        """Natural inflows of member ``member`` for ``option`` (m3/s, months x sources)."""
        scenario = self.member_scenario(option, member)
        basin = apply_scenario(self.options[option].raw_basin, scenario)
        return basin.series.inflow_m3s  # type: ignore[union-attr]


def with_hydrology(scenario: Scenario, hydrology: object) -> Scenario:
    """The scenario with other hydrology settings (the file is unchanged)."""
    return dataclasses.replace(
        scenario, spec=scenario.spec.model_copy(update={"hydrology": hydrology})
    )


_FOLDER_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,99}")


def is_folder_name(name: str) -> bool:
    """Whether an option's name is safe as the name of its folder of member files: one
    plain path component (never '..', a separator or a leading '.' or '-')."""
    return _FOLDER_NAME.fullmatch(name) is not None


def _load(path: Scenario | str | Path) -> Scenario:
    return path if isinstance(path, Scenario) else load_scenario(path)


def make_plan(
    scenario: Scenario | str | Path,
    options: list[Scenario | str | Path] | tuple[Scenario | str | Path, ...] = (),
    horizon_years: int | None = None,
) -> EnsemblePlan:
    """Load and check the main scenario and the policy options; raise one InputError.

    The options must use the main scenario's basin, horizon and time step; their own
    hydrology settings are replaced by the main scenario's (one draw per member for all).
    ``horizon_years`` shortens every scenario's horizon (quick looks, tests).
    """
    main = _load(scenario)
    loaded = [main] + [_load(o) for o in options]
    if horizon_years is not None:
        loaded = [s.with_horizon(years=horizon_years) for s in loaded]
    main = loaded[0]
    problems: list[Problem] = []
    hydrology = main.spec.hydrology
    if hydrology.kind != "stochastic":
        problems.append(
            Problem(
                f"{main.path}: hydrology.kind",
                f"= {hydrology.kind!r}: an ensemble draws its members from a stochastic hydrology",
                "set hydrology: {kind: stochastic, seed: 0, annual_p5_km3: ..., annual_p90_km3: ...}",
            )
        )
    names = [s.name for s in loaded]
    for s in loaded:
        if not is_folder_name(s.name):
            problems.append(
                Problem(
                    str(s.path),
                    f"the option's name {s.name!r} (the file's stem) cannot name its folder of "
                    "member files",
                    "rename the file: letters, digits, '_', '-' and '.', starting with a "
                    "letter or digit",
                )
            )
    for name in sorted({n for n in names if names.count(n) > 1}):
        problems.append(
            Problem(name, "two options have this name (file stem)", "rename one of the files")
        )
    for other in loaded[1:]:
        for key, mine, theirs in (
            ("basin", Path(other.spec.basin).resolve(), Path(main.spec.basin).resolve()),
            ("horizon", other.spec.horizon, main.spec.horizon),
            ("solve.step", other.spec.solve.step, main.spec.solve.step),
        ):
            if mine != theirs:
                problems.append(
                    Problem(
                        f"{other.path}: {key}",
                        f"= {mine}: differs from the main scenario's {theirs}",
                        "options of one ensemble must share the basin, horizon and time step",
                    )
                )
    if problems:
        raise InputError(problems, title="cannot make the ensemble")
    notes = []
    basins: dict[Path, Basin] = {}
    setups: dict[str, OptionSetup] = {}
    for s in loaded:
        raw = basins.setdefault(Path(s.spec.basin).resolve(), load_basin(s.basin_path))
        if s is not main and s.spec.hydrology != hydrology:
            notes.append(
                f"{s.name}: its hydrology settings are replaced by those of {main.name} "
                "(every option sees the same members)"
            )
        applied = apply_scenario(raw, with_hydrology(s, hydrology))
        setups[s.name] = OptionSetup(s.name, s, raw, applied, s.options, s.provenance(raw))
    members = _digest(
        {
            "hydrology": hydrology.model_dump(),
            "horizon": main.spec.horizon.model_dump(),
            "basin": str(Path(main.spec.basin).resolve()),
            "step": main.spec.solve.step,
        }
    )
    inputs = {n: str(o.provenance.get("input_hash")) for n, o in setups.items()}
    return EnsemblePlan(
        scenario=main,
        options=setups,
        base_seed=hydrology.seed,
        token=_digest({"members": members, "options": inputs}),
        members_token=members,
        option_hashes=inputs,
        notes=tuple(notes),
    )


def _digest(value: object) -> str:
    return hashlib.sha256(json.dumps(value, sort_keys=True, default=str).encode()).hexdigest()[:16]
