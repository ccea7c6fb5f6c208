"""Reading one run of a results Dataset, for tables and plots: labels, countries, months.

A scenario cube or an ensemble (a leading ``scenario`` or ``member`` dim) is reduced to one
run by :func:`one_run`; the other helpers read node coordinates (``node_name``,
``node_type``, ``node_country``) and the time axis of one run.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import xarray as xr

from nexusmodel.indicators import MissingVariableError

__all__ = [
    "RUN_DIMS",
    "applicable_nodes",
    "calendar_months",
    "countries",
    "n_years",
    "node_attr",
    "node_name",
    "one_run",
    "variable",
    "volume_factor",
]

RUN_DIMS = ("scenario", "member")

VOLUME_FACTORS = {"km3": 1e-3, "hm3": 1.0}


def one_run(ds: xr.Dataset, scenario: Any = None) -> xr.Dataset:
    """One run of a cube or ensemble: label ``scenario`` (default the first) of the run dim."""
    for dim in RUN_DIMS:
        if dim in ds.dims:
            labels = list(np.asarray(ds[dim].values))
            label = labels[0] if scenario is None else scenario
            if label not in labels:
                raise ValueError(f"{dim}={label!r} is not in the results; they have {labels}")
            ds = ds.sel({dim: label})
    return ds


def variable(ds: xr.Dataset, name: str) -> xr.DataArray:
    if name not in ds.variables:
        raise MissingVariableError(f"the results have no variable '{name}'")
    return ds[name]


def volume_factor(units: str) -> float:
    if units not in VOLUME_FACTORS:
        raise ValueError(f"units={units!r}: must be 'km3' or 'hm3'")
    return VOLUME_FACTORS[units]


def n_years(ds: xr.Dataset) -> float:
    return ds.sizes["time"] / 12.0


def node_attr(ds: xr.Dataset, coord: str, node: str, default: str = "") -> str:
    if coord not in ds.variables:
        return default
    return str(ds[coord].sel(node=node).values)


def node_name(ds: xr.Dataset, node: str) -> str:
    """The node's ``node_name`` (its id when the results have no name)."""
    return node_attr(ds, "node_name", node, node) or node


def applicable_nodes(da: xr.DataArray) -> list[str]:
    others = [d for d in da.dims if d != "node"]
    mask = np.asarray(da.notnull().any(others).values if others else da.notnull().values)
    return [str(n) for n in np.asarray(da["node"].values)[mask.astype(bool)]]


def calendar_months(ds: xr.Dataset) -> np.ndarray:
    return np.asarray(pd.DatetimeIndex(ds["time"].values).month)


def countries(ds: xr.Dataset) -> list[str]:
    """Countries in the results' order: the ``country`` coord, then any other node country."""
    out = [str(c) for c in np.asarray(ds["country"].values)] if "country" in ds.coords else []
    if "node_country" in ds.variables:
        for c in np.asarray(ds["node_country"].values).astype(str):
            if c not in out:
                out.append(c)
    return out
