"""``run_scenario``: the whole pipeline in one call, each stage a plain function.

scenario = load_scenario(path)            # validated, inheritance resolved
basin = apply_scenario(load_basin(scenario.basin_path), scenario)
model = build_model(basin, scenario.options)
report = solve(model)
results = extract_results(model, report, provenance)

in the scenario's solve mode (``solve.mode``: optimize, rolling or simulate; see
:mod:`nexusmodel.modes`). Every mode returns a :class:`~nexusmodel.modes.result.RunResult`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal, overload

from nexusmodel.basin import load_basin
from nexusmodel.basin.basin import Basin
from nexusmodel.errors import InputError, Problem, did_you_mean
from nexusmodel.modes import MODES, run_modes
from nexusmodel.modes.result import RunResult
from nexusmodel.scenario import Scenario, apply_scenario, load_scenario

#: The former name of :class:`RunResult` (``run_scenario`` returned it before the types merged).
RunOutput = RunResult

SingleMode = Literal["optimize", "rolling", "simulate"]


def applied_scenario(scenario: Scenario | str | Path) -> tuple[Scenario, Basin]:
    """The scenario (loaded and validated if a path) and its basin with the scenario applied."""
    if not isinstance(scenario, Scenario):
        scenario = load_scenario(scenario)
    return scenario, apply_scenario(load_basin(scenario.basin_path), scenario)


def modes_to_run(scenario: Scenario, mode: str | None = None) -> tuple[str, ...]:
    """The modes a run makes: ``mode`` (default: the scenario's ``solve.mode``); ``"all"``
    gives the three. An unknown mode is an :class:`~nexusmodel.errors.InputError`."""
    mode = mode or scenario.options.mode
    if mode == "all":
        return MODES
    if mode not in MODES:
        raise InputError(
            [
                Problem(
                    f"{scenario.path}: solve.mode",
                    f"= {mode!r}",
                    did_you_mean(mode, (*MODES, "all")),
                )
            ],
            title="unknown solve mode",
        )
    return (mode,)


@overload
def run_scenario(scenario: Scenario | str | Path, mode: SingleMode) -> RunResult: ...
@overload
def run_scenario(scenario: Scenario | str | Path, mode: Literal["all"]) -> dict[str, RunResult]: ...
@overload
def run_scenario(
    scenario: Scenario | str | Path, mode: str | None = None
) -> RunResult | dict[str, RunResult]: ...
def run_scenario(
    scenario: Scenario | str | Path, mode: str | None = None
) -> RunResult | dict[str, RunResult]:
    """Load, apply, build, solve and extract one scenario in its solve mode.

    ``mode`` overrides the scenario's ``solve.mode``: ``"optimize"`` (the whole horizon at
    once), ``"rolling"`` or ``"simulate"`` give one :class:`RunResult` (its
    ``results.attrs["mode"]`` says which; rolling and simulate first run optimize for the
    marginal values and storages they borrow). ``"all"`` (or a scenario whose mode is
    ``all``) gives a dict ``{"optimize": RunResult, "rolling": ..., "simulate": ...}``.
    The results carry provenance (scenario chain, input hash, solver, timings).
    """
    scenario, basin = applied_scenario(scenario)
    modes = modes_to_run(scenario, mode)
    runs = run_modes(basin, scenario.options, modes, scenario.provenance(basin))
    if len(modes) == 1:
        return runs[modes[0]]
    return runs


__all__ = ["RunOutput", "RunResult", "applied_scenario", "modes_to_run", "run_scenario"]
