"""Reading a solution per component, and placing results on the full ``node`` dimension."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

import numpy as np
import pyomo.environ as pyo
import xarray as xr

from nexusmodel.model.context import BuildContext


class SolutionValues(Protocol):
    """What extraction reads from a solution (HiGHS, another Pyomo solver, or stitched from
    windows): values, reduced costs and row duals of an indexed component, as arrays."""

    x: np.ndarray  # every column's value

    def array(self, component: pyo.Component, shape: tuple[int, ...]) -> np.ndarray: ...

    def reduced_costs(self, component: pyo.Component, shape: tuple[int, ...]) -> np.ndarray: ...

    def row_duals(self, component: pyo.Component, shape: tuple[int, ...]) -> np.ndarray: ...


def on_nodes(
    ctx: BuildContext, ids: Sequence[str], values: np.ndarray, fill: float = np.nan
) -> xr.DataArray:
    """A (node, time) DataArray with ``values`` (len(ids) x steps) at ``ids`` and ``fill`` elsewhere."""
    out = np.full((len(ctx.water_nodes), len(ctx.axis)), fill)
    index = {n: i for i, n in enumerate(ctx.water_nodes)}
    for row, node in zip(values, ids, strict=True):
        out[index[node]] = row
    return xr.DataArray(out, dims=("node", "time"))
