"""The fit: :func:`calibrate` minimises the objective over the parameters' box and returns a
:class:`CalibrationResult` (fitted values, history, metrics before and after).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import pandas as pd

from nexusmodel.basin.basin import Basin
from nexusmodel.calibration.matching import Match, compare, simulate
from nexusmodel.calibration.objective import (
    Metric,
    calibration_objective,
    metrics_table,
)
from nexusmodel.calibration.parameters import Parameter, apply_parameters
from nexusmodel.model.options import ModelOptions


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
