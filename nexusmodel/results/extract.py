"""``extract_results(model, report) -> xarray.Dataset``: every result with units and provenance.

The water balance is checked here from the extracted flows alone (not from the solver's
rows): at every node and step, natural inflow + inflows after losses - outflows -
consumption - storage change - evaporation - water leaving at outlets must be ~0. The
largest residual is stored in the Dataset; one above tolerance is an error.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Callable
from importlib.metadata import PackageNotFoundError, version
from typing import TypeVar, cast

import numpy as np
import pyomo.environ as pyo
import xarray as xr
from pyomo.common.gc_manager import PauseGC

from nexusmodel.errors import WaterBalanceError
from nexusmodel.model import COMPONENTS
from nexusmodel.model.balance import exogenous_inflow_hm3
from nexusmodel.model.context import BuildContext
from nexusmodel.results.net_benefit import net_benefit_attrs
from nexusmodel.results.variables import VARIABLES
from nexusmodel.solve import SolveReport

F = TypeVar("F", bound=Callable[..., object])


def package_version() -> str:
    try:
        return version("nexusmodel")
    except PackageNotFoundError:
        return "unknown"


def _nan_to_zero(da: xr.DataArray | None, like: xr.DataArray) -> np.ndarray:
    return np.zeros(like.shape) if da is None else np.nan_to_num(da.values)


def _energy_country(ctx: BuildContext, node: str) -> str:
    """Country of the energy system a plant at ``node`` delivers to ("" where there is no plant)."""
    spec = ctx.basin.nodes[node]
    has_plant = spec.type == "hydropower" or getattr(spec, "hydropower", None) is not None
    if not has_plant:
        return ""
    system = ctx.basin.energy_system_of(spec)  # type: ignore[arg-type]
    return ctx.basin.nodes[system].country if system else ""


def balance_residual(
    ds: xr.Dataset, storage_previous: xr.DataArray, ctx: BuildContext
) -> np.ndarray:
    """Residual of the water balance at every node and step (hm3), from results alone."""
    flow = ds["link_flow"].values
    loss = ds["link_loss"].values
    residual = np.nan_to_num(ds["inflow"].values).copy()
    index = {n: i for i, n in enumerate(ctx.water_nodes)}
    for k, link in enumerate(ctx.basin.links):
        residual[index[link.from_]] -= flow[k]
        residual[index[link.to]] += flow[k] - loss[k]
    like = ds["inflow"]
    residual -= _nan_to_zero(ds.get("consumption"), like)
    residual -= _nan_to_zero(ds.get("evaporation"), like)
    residual -= _nan_to_zero(ds.get("sink_inflow"), like)
    residual -= _nan_to_zero(ds.get("storage"), like) - np.nan_to_num(storage_previous.values)
    return residual


def _gc_paused(func: F) -> F:
    """Run without the cyclic garbage collector: with a big Pyomo model alive, each of its
    full passes walks every model object, and extraction allocates enough to trigger several."""

    @functools.wraps(func)
    def wrapper(*args: object, **kwargs: object) -> object:
        with PauseGC():
            return func(*args, **kwargs)

    return cast(F, wrapper)


@_gc_paused
def extract_results(
    model: pyo.ConcreteModel, report: SolveReport, scenario: dict[str, object] | None = None
) -> xr.Dataset:
    """The results Dataset of a solved model (see :mod:`nexusmodel.results.variables`)."""
    start = time.perf_counter()
    ctx: BuildContext = model.context
    sol = report.solution
    parts: dict[str, xr.DataArray] = {}
    for component in COMPONENTS:
        for name, da in component.extract(model, ctx, sol).items():
            parts[name] = da if name not in parts else parts[name].combine_first(da)
    n_nodes, n_t = len(ctx.water_nodes), len(ctx.axis)
    storage_previous = parts.pop("_storage_previous")
    parts["inflow"] = xr.DataArray(
        np.where(exogenous_inflow_hm3(ctx) != 0, exogenous_inflow_hm3(ctx), np.nan),
        dims=("node", "time"),
    )
    for name in ("inflow",):
        src = [i for i, n in enumerate(ctx.water_nodes) if ctx.basin.nodes[n].type == "source"]
        values = parts[name].values
        values[src] = np.nan_to_num(values[src])
    flow = parts["link_flow"].values
    release = np.full((n_nodes, n_t), np.nan)
    for i, node in enumerate(ctx.water_nodes):
        if ctx.basin.nodes[node].type in ("reservoir", "hydropower"):
            rows = [k for k, link in enumerate(ctx.basin.links) if link.from_ == node]
            release[i] = flow[rows].sum(axis=0)
    parts["release"] = xr.DataArray(release, dims=("node", "time"))
    parts["spill"] = parts["release"] - parts["turbine_flow"]
    parts["shortage"] = (parts["demand"] - parts["delivery"]).clip(min=0.0)
    duals = sol.row_duals(model.water_balance, (len(list(model.water_balance)),))  # type: ignore[union-attr]
    marginal = np.full((n_nodes, n_t), np.nan)
    keys = list(model.water_balance.keys())
    index = {n: i for i, n in enumerate(ctx.water_nodes)}
    for (node, t), value in zip(keys, duals, strict=True):
        marginal[index[node], t] = value / ctx.discount[t]
    parts["marginal_value"] = xr.DataArray(marginal, dims=("node", "time"))
    # every flow's reduced cost (0 where the flow lies strictly between its bounds)
    shape = (len(ctx.link_ids), n_t)
    reduced = sol.reduced_costs(model.link.flow, shape) / ctx.discount  # type: ignore[union-attr]
    parts["link_reduced_cost"] = xr.DataArray(reduced, dims=("link", "time"))

    ds = xr.Dataset(parts)
    residual = balance_residual(ds, storage_previous, ctx)
    ds["water_balance_residual"] = xr.DataArray(residual, dims=("node", "time"))
    es = ctx.basin.nodes_of_type("energy_system")
    ds = ds.assign_coords(
        time=ctx.axis.start,
        node=ctx.water_nodes,
        link=ctx.link_ids,
        crop=list(ctx.basin.tables.crops.index),
        year=ctx.years,
        country=[k.country for k in es],
        node_type=("node", [ctx.basin.nodes[n].type for n in ctx.water_nodes]),
        node_country=("node", [ctx.basin.nodes[n].country for n in ctx.water_nodes]),
        node_name=("node", [ctx.basin.nodes[n].name for n in ctx.water_nodes]),
        link_from=("link", [link.from_ for link in ctx.basin.links]),
        link_to=("link", [link.to for link in ctx.basin.links]),
        step_days=("time", ctx.axis.days),
        node_terminal=(
            "node",
            [
                ctx.is_outlet(n) and ctx.basin.nodes[n].type == "environment"
                for n in ctx.water_nodes
            ],
        ),
        node_energy_country=("node", [_energy_country(ctx, n) for n in ctx.water_nodes]),
    )
    ds["initial_storage"] = xr.DataArray(
        [getattr(ctx.basin.nodes[n], "initial_storage_hm3", np.nan) for n in ctx.water_nodes],
        dims=("node",),
    )
    for name, meta in VARIABLES.items():
        if name in ds:
            ds[name].attrs.update(units=meta.units, long_name=meta.long_name)
    max_residual = float(np.abs(residual).max()) if residual.size else 0.0
    timings = dict(report.timings)
    timings["extract"] = time.perf_counter() - start
    ds.attrs.update(
        basin=ctx.basin.name,
        solver=report.solver,
        status=report.status,
        objective_musd=report.objective_musd,
        iterations=report.iterations,
        slp_iterations=report.slp_iterations,
        energy_linearization_error=report.energy_linearization_error,
        water_balance_max_residual_hm3=max_residual,
        step=ctx.axis.kind,
        objective_kind=ctx.options.objective,
        discount_rate=ctx.options.discount_rate,
        package_version=package_version(),
        **{f"time_{k}_s": float(v) for k, v in timings.items()},
    )
    for key, value in (scenario or {}).items():
        ds.attrs[key] = value
    ds.attrs.update(net_benefit_attrs(ds, ctx.basin))  # the one net benefit, penalties apart
    if max_residual > ctx.options.balance_tolerance_hm3:
        worst = np.unravel_index(np.abs(residual).argmax(), residual.shape)
        raise WaterBalanceError(
            f"the water balance does not close: {max_residual:.3g} hm3 at node "
            f"{ctx.water_nodes[worst[0]]} in {ctx.axis.start[worst[1]]:%Y-%m} "
            f"(tolerance {ctx.options.balance_tolerance_hm3} hm3)"
        )
    return ds
