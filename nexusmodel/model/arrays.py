"""Placing component results on the full ``node`` dimension (NaN where they do not apply)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import xarray as xr

from nexusmodel.model.context import BuildContext


def on_nodes(
    ctx: BuildContext, ids: Sequence[str], values: np.ndarray, fill: float = np.nan
) -> xr.DataArray:
    """A (node, time) DataArray with ``values`` (len(ids) x steps) at ``ids`` and ``fill`` elsewhere."""
    out = np.full((len(ctx.water_nodes), len(ctx.axis)), fill)
    index = {n: i for i, n in enumerate(ctx.water_nodes)}
    for row, node in zip(values, ids, strict=True):
        out[index[node]] = row
    return xr.DataArray(out, dims=("node", "time"))
