"""Goodness-of-fit metrics for calibrating simulated series against observations.

Every metric takes ``sim`` and ``obs`` as numpy arrays, pandas Series or xarray DataArrays
(any mix of equal shape; two Series are first aligned on their index, two DataArrays on
their coordinates, keeping common labels). Pairs where either value is NaN (or infinite)
are ignored; fewer than 2 valid pairs, or an observation series that makes the metric
undefined, raise :class:`ValueError`.
"""

from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np
import pandas as pd
import xarray as xr

__all__ = ["KGEComponents", "kge", "kge_components", "nse", "paired", "pbias"]


def paired(sim: Any, obs: Any) -> tuple[np.ndarray, np.ndarray]:
    """The valid (sim, obs) pairs as two 1-D float arrays.

    Two pandas Series are aligned on their index and two DataArrays on their coordinates
    (inner join); anything else must have the same shape. Pairs where either value is not
    finite are dropped. ValueError when fewer than 2 pairs remain.
    """
    if isinstance(sim, pd.Series) and isinstance(obs, pd.Series):
        sim, obs = sim.align(obs, join="inner")
    elif isinstance(sim, xr.DataArray) and isinstance(obs, xr.DataArray):
        sim, obs = xr.align(sim, obs, join="inner")
        obs = obs.transpose(*sim.dims)
    s = np.asarray(sim, dtype=float)
    o = np.asarray(obs, dtype=float)
    if s.shape != o.shape:
        raise ValueError(f"sim and obs have different shapes: {s.shape} and {o.shape}")
    s, o = s.ravel(), o.ravel()
    valid = np.isfinite(s) & np.isfinite(o)
    n = int(valid.sum())
    if n < 2:
        raise ValueError(f"need at least 2 pairs where sim and obs are both valid, got {n}")
    return s[valid], o[valid]


def nse(sim: Any, obs: Any) -> float:
    """Nash-Sutcliffe efficiency: 1 - sum((sim - obs)^2) / sum((obs - mean(obs))^2).

    1 is a perfect fit, 0 is no better than the mean of the observations, below 0 worse.
    ValueError when the observations are constant (the denominator is 0).
    """
    s, o = paired(sim, obs)
    denominator = float(np.sum((o - o.mean()) ** 2))
    if denominator == 0.0:
        raise ValueError("NSE is undefined: the observations are constant")
    return 1.0 - float(np.sum((s - o) ** 2)) / denominator


class KGEComponents(NamedTuple):
    """Kling-Gupta efficiency and its three components."""

    kge: float
    r: float  # Pearson correlation of sim and obs
    alpha: float  # std(sim) / std(obs): variability ratio
    beta: float  # mean(sim) / mean(obs): bias ratio


def kge_components(sim: Any, obs: Any) -> KGEComponents:
    """Kling-Gupta efficiency (Gupta et al., 2009) with its components r, alpha and beta.

    KGE = 1 - sqrt((r - 1)^2 + (alpha - 1)^2 + (beta - 1)^2), r the Pearson correlation,
    alpha = std(sim) / std(obs) and beta = mean(sim) / mean(obs) (population std; the ratio
    does not depend on the choice). ValueError when the observations are constant or have
    mean 0, or when the simulation is constant (r undefined).
    """
    s, o = paired(sim, obs)
    std_s, std_o = float(s.std()), float(o.std())
    mean_s, mean_o = float(s.mean()), float(o.mean())
    if std_o == 0.0:
        raise ValueError("KGE is undefined: the observations are constant")
    if mean_o == 0.0:
        raise ValueError("KGE is undefined: the observations have mean 0")
    if std_s == 0.0:
        raise ValueError("KGE is undefined: the simulation is constant (no correlation)")
    r = float(np.mean((s - mean_s) * (o - mean_o)) / (std_s * std_o))
    alpha = std_s / std_o
    beta = mean_s / mean_o
    value = 1.0 - float(np.sqrt((r - 1.0) ** 2 + (alpha - 1.0) ** 2 + (beta - 1.0) ** 2))
    return KGEComponents(value, r, alpha, beta)


def kge(sim: Any, obs: Any) -> float:
    """Kling-Gupta efficiency (Gupta et al., 2009); 1 is a perfect fit.

    See :func:`kge_components` for the definition and the components.
    """
    return kge_components(sim, obs).kge


def pbias(sim: Any, obs: Any) -> float:
    """Percent bias: 100 * sum(sim - obs) / sum(obs), in percent.

    Sign convention: **positive when the simulation overestimates** (sim > obs on the whole),
    negative when it underestimates. (Some tools, e.g. Moriasi et al. 2007, use
    obs - sim, the opposite sign.) ValueError when the observations sum to 0.
    """
    s, o = paired(sim, obs)
    total = float(np.sum(o))
    if total == 0.0:
        raise ValueError("PBIAS is undefined: the observations sum to 0")
    return 100.0 * float(np.sum(s - o)) / total
