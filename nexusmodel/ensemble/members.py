"""The worker side of an ensemble: one cached model per option, one warm re-solve per member.

:func:`run_batch` is what a Dask worker runs: for each member of the batch it sets the
member's inflows into the option's :class:`~nexusmodel.ensemble.persistent.PersistentModel`
(built on the worker's first member of that option, then kept in a per-thread cache),
re-solves warm from the basis of the option's own data (stored once, so that a member's
flows do not depend on the members its worker solved before), extracts the results and
keeps a small Dataset (:func:`member_template`):

- monthly: ``storage`` (reservoir), ``delivery`` and ``shortage`` (user: irrigation,
  municipal and demand nodes), ``energy`` (plant), ``env_flow`` (environment),
  ``thermal`` (country);
- by calendar year: ``terminal_inflow`` and ``terminal_target`` (terminal lakes),
  ``municipal_shortage`` and ``municipal_demand``, ``winter_hydropower`` (the winter
  months of the year: January-March and October-December);
- scalars: the :func:`~nexusmodel.indicators.key_results`, the seed, solver figures and
  timings, packed in ``values`` along ``quantity`` (a file with few variables opens fast;
  :func:`unpack` gives each its own variable); ``status`` and ``error`` (why it failed).

A member that fails (an infeasible hard rule, a solver stop, a water balance that does not
close, or any other error) gets the same Dataset filled with NaN, its ``status`` and its
``error``; the batch goes on.
"""

from __future__ import annotations

import threading
import time
import traceback
from collections import OrderedDict

import dask
import numpy as np
import xarray as xr

from nexusmodel.basin.schema import EnvironmentNode
from nexusmodel.ensemble.persistent import PersistentModel
from nexusmodel.ensemble.plan import EnsemblePlan, OptionSetup
from nexusmodel.errors import InfeasibleError, NexusModelError, SolverError, WaterBalanceError
from nexusmodel.indicators import DEMAND_TYPES, KEY_RESULTS, WINTER_MONTHS, key_results
from nexusmodel.model.components.environment import year_share
from nexusmodel.model.components.hydropower import plants
from nexusmodel.model.context import BuildContext, nodes_of_class
from nexusmodel.results import extract_results

#: Models kept per worker thread (options are submitted one after the other, so 2 suffice).
CACHE_SIZE = 2
_local = threading.local()

MONTHLY: dict[str, tuple[str, str, str]] = {
    "storage": ("reservoir", "hm3", "reservoir storage at the end of the month"),
    "delivery": ("user", "hm3", "water received at the user's intake"),
    "shortage": ("user", "hm3", "demand minus delivery"),
    "energy": ("plant", "GWh", "hydropower generated at the plant"),
    "env_flow": ("environment", "hm3", "flow reaching the environmental node"),
    "thermal": ("country", "GWh", "thermal generation"),
}
ANNUAL: dict[str, tuple[tuple[str, ...], str, str]] = {
    "terminal_inflow": (("terminal", "year"), "hm3", "inflow to the terminal lake in the year"),
    "terminal_target": (("terminal", "year"), "hm3", "annual inflow target of the terminal lake"),
    "municipal_shortage": (("year",), "hm3", "municipal demand not supplied in the year"),
    "municipal_demand": (("year",), "hm3", "municipal demand in the year"),
    "winter_hydropower": (
        ("year",),
        "GWh",
        "hydropower of the year's winter months (January-March and October-December)",
    ),
}
#: Solver figures of a member (with the key results, packed in ``values`` by ``quantity``).
DIAGNOSTICS: dict[str, tuple[str, str]] = {
    "seed": ("1", "seed of the member's hydrology"),
    "slp_iterations": ("1", "head-iteration re-solves"),
    "solver_iterations": ("1", "simplex iterations, all re-solves of the member"),
    "energy_linearization_error": ("1", "relative error of the LP energy of reservoir plants"),
    "solve_seconds": ("s", "HiGHS time of the member (all its re-solves)"),
    "member_seconds": ("s", "wall time of the member on its worker"),
}
SCALARS: dict[str, tuple[str, str]] = {
    **{name: (units, name.replace("_", " ")) for name, units in KEY_RESULTS.items()},
    **DIAGNOSTICS,
}


def _ids(ctx: BuildContext) -> dict[str, list[str]]:
    nodes = ctx.basin.nodes
    env = ctx.basin.ids_of_type("environment")
    return {
        "reservoir": ctx.basin.ids_of_type("reservoir"),
        "user": [n for n in ctx.water_nodes if nodes[n].type in DEMAND_TYPES],
        "plant": [p.node for p in plants(ctx)],
        "environment": env,
        "terminal": [n for n in env if getattr(nodes[n], "terminal", False)],
        "country": [k.country for k in ctx.basin.nodes_of_type("energy_system")],
    }


def member_template(ctx: BuildContext) -> xr.Dataset:
    """The Dataset of one member with every value NaN (what a failed member holds)."""
    ids = _ids(ctx)
    years = ctx.years
    n_t = len(ctx.axis)
    data: dict[str, xr.DataArray] = {}
    for name, (dim, units, long_name) in MONTHLY.items():
        data[name] = xr.DataArray(
            np.full((len(ids[dim]), n_t), np.nan),
            dims=(dim, "time"),
            attrs={"units": units, "long_name": long_name},
        )
    for name, (dims, units, long_name) in ANNUAL.items():
        shape = tuple(len(years) if d == "year" else len(ids[d]) for d in dims)
        data[name] = xr.DataArray(
            np.full(shape, np.nan), dims=dims, attrs={"units": units, "long_name": long_name}
        )
    # the scalars in one variable: a member file opens faster with few variables
    data["values"] = xr.DataArray(
        np.full(len(SCALARS), np.nan),
        dims=("quantity",),
        attrs={"long_name": "key results and solver figures (see quantity_units)"},
    )
    lakes = nodes_of_class(ctx.basin, EnvironmentNode)
    target = np.array(
        [[lakes[n].annual_target_hm3 * year_share(ctx, y) for y in years] for n in ids["terminal"]]
    ).reshape(len(ids["terminal"]), len(years))
    data["terminal_target"].values[:] = target
    data["status"] = _text("not run", "how the member ended: optimal, infeasible, ...")
    data["error"] = _text("", "why the member failed")
    coords = {"time": ctx.axis.start, "year": years, **{k: v for k, v in ids.items()}}
    coords["user_type"] = ("user", [ctx.basin.nodes[n].type for n in ids["user"]])
    coords["quantity"] = list(SCALARS)
    coords["quantity_units"] = ("quantity", [units for units, _ in SCALARS.values()])
    return xr.Dataset(data, coords=coords)


def unpack(ds: xr.Dataset) -> xr.Dataset:
    """Member Dataset(s) with each key result and solver figure as its own variable."""
    if "values" not in ds:
        return ds
    out = ds.drop_vars(["values", "quantity", "quantity_units"])
    for name in ds["quantity"].values:
        units, long_name = SCALARS.get(str(name), ("", str(name)))
        out[str(name)] = (
            ds["values"]
            .sel(quantity=name, drop=True)
            .assign_attrs(units=units, long_name=long_name)
        )
    return out


def _text(value: str, long_name: str) -> xr.DataArray:
    """A string variable of any length (object dtype: NetCDF variable-length strings)."""
    return xr.DataArray(np.array(value, dtype=object), attrs={"long_name": long_name})


def _fill(out: xr.Dataset, ds: xr.Dataset, ctx: BuildContext) -> None:
    """Copy a member's full results into its small Dataset (in place)."""
    ids = _ids(ctx)
    for name, (dim, _, _) in MONTHLY.items():
        if ids[dim]:
            values = ds[name].sel({"country" if dim == "country" else "node": ids[dim]})
            out[name].values[:] = np.nan_to_num(values.values)
    year_of = ctx.axis.years
    winter = np.isin(ctx.axis.calendar_months, WINTER_MONTHS)
    towns = [n for n in ids["user"] if ctx.basin.nodes[n].type == "municipal"]
    env_flow = out["env_flow"].sel(environment=ids["terminal"]).values if ids["terminal"] else None
    energy = out["energy"].values.sum(axis=0)
    n_t = len(ctx.axis)
    shortage = ds["shortage"].sel(node=towns).values.sum(axis=0) if towns else np.zeros(n_t)
    demand = ds["demand"].sel(node=towns).values.sum(axis=0) if towns else np.zeros(n_t)
    for i, y in enumerate(ctx.years):
        in_year = year_of == y
        if env_flow is not None:
            out["terminal_inflow"].values[:, i] = env_flow[:, in_year].sum(axis=1)
        out["winter_hydropower"].values[i] = energy[in_year & winter].sum()
        out["municipal_shortage"].values[i] = shortage[in_year].sum()
        out["municipal_demand"].values[i] = demand[in_year].sum()
    scalars = out["values"].values
    for key, da in key_results(ds).items():
        scalars[list(SCALARS).index(str(key))] = float(da)


class MemberModel:
    """An option's persistent model with what its members need (kept in the worker cache)."""

    def __init__(self, setup: OptionSetup) -> None:
        self.setup = setup
        self.model = PersistentModel(setup.basin, setup.options)
        # every member starts from the basis of the option's own data, never from the
        # previous member's: the same member gives the same flows on any worker, in any order
        self.model.fix_warm_start()
        self.template = member_template(self.model.context)

    def run(self, plan: EnsemblePlan, member: int) -> xr.Dataset:
        """Member ``member`` of this option, as its small Dataset (never raises for a member)."""
        start = time.perf_counter()
        out = self.template.copy(deep=True)
        figures = {"seed": float(plan.seed(member))}
        try:
            self.model.set_inflow(plan.member_inflow(self.setup.name, member))
            report = self.model.solve()
            ds = extract_results(self.model.model, report)
            _fill(out, ds, self.model.context)
            figures.update(
                slp_iterations=report.slp_iterations,
                solver_iterations=report.iterations,
                energy_linearization_error=report.energy_linearization_error,
                solve_seconds=report.timings.get("solve", np.nan),
            )
            self._status(out, "optimal")
        except NexusModelError as exc:
            kind = {
                InfeasibleError: "infeasible",
                SolverError: "solver_error",
                WaterBalanceError: "water_balance",
            }
            status = next((v for k, v in kind.items() if isinstance(exc, k)), "error")
            self._status(out, status, str(exc))
        except Exception as exc:  # a bug must not sink the ensemble: record it with its place
            last = traceback.extract_tb(exc.__traceback__)[-1]
            where = f"{type(exc).__name__}: {exc} ({last.filename}:{last.lineno})"
            self._status(out, "error", where)
            raise _Broken(out) from exc
        finally:
            figures["member_seconds"] = time.perf_counter() - start
            for name, value in figures.items():
                out["values"].values[list(SCALARS).index(name)] = float(value)
        return out

    def _status(self, out: xr.Dataset, status: str, error: str = "") -> None:
        out["status"] = _text(status, self.template["status"].attrs["long_name"])
        out["error"] = _text(error, self.template["error"].attrs["long_name"])


class _Broken(Exception):
    """An unexpected error inside a member: its Dataset, and a model to throw away."""

    def __init__(self, dataset: xr.Dataset) -> None:
        super().__init__(str(dataset["error"].values))
        self.dataset = dataset


def _cached(plan: EnsemblePlan, option: str) -> MemberModel:
    cache: OrderedDict[tuple[str, str], MemberModel] | None = getattr(_local, "models", None)
    if cache is None:
        cache = _local.models = OrderedDict()
    key = (plan.token, option)
    if key in cache:
        cache.move_to_end(key)
        return cache[key]
    while len(cache) >= CACHE_SIZE:
        cache.popitem(last=False)
    cache[key] = MemberModel(plan.options[option])
    return cache[key]


def _forget(plan: EnsemblePlan, option: str) -> None:
    cache = getattr(_local, "models", None)
    if cache is not None:
        cache.pop((plan.token, option), None)


def run_member(plan: EnsemblePlan, option: str, member: int) -> xr.Dataset:
    """One member of one option as its small Dataset, with ``option`` and ``member`` dims."""
    try:
        out = _cached(plan, option).run(plan, member)
    except _Broken as broken:
        _forget(plan, option)  # its HiGHS state is unknown after an unexpected error
        out = broken.dataset
    return out.expand_dims(option=[option], member=[int(member)])


def run_batch(plan: EnsemblePlan, option: str, members: list[int]) -> list[tuple[int, str, bytes]]:
    """Run members of one option; return (member, status, NetCDF bytes) for each."""
    out = []
    for k in members:
        ds = run_member(plan, option, k)
        status = str(ds["status"].values.item())
        # in memory, with a local lock (on a worker xarray would ask the scheduler for one)
        with dask.config.set(scheduler="synchronous"):
            data = bytes(ds.to_netcdf(engine="h5netcdf"))
        out.append((int(k), status, data))
    return out
