"""Goodness of fit per observed series (:func:`metrics_table`) and the loss to minimise
(:func:`objective_from_comparison`, :func:`calibration_objective`).
"""

from __future__ import annotations

import contextlib
import math
from collections.abc import Mapping
from typing import Literal

import numpy as np
import pandas as pd

from nexusmodel.basin.basin import Basin
from nexusmodel.calibration.matching import Match, compare, simulate
from nexusmodel.calibration.metrics import kge, nse, pbias
from nexusmodel.calibration.parameters import ParameterValues, apply_parameters
from nexusmodel.model.options import ModelOptions

Metric = Literal["kge", "nse"]


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
