"""Generators: the power plants of the energy systems that are not on the river.

``output[g, t]`` (GWh) of generator g (``generators:`` in basin.yaml) in step t::

    must_run[g, t] <= output[g, t] <= available[g, t]
    available[g, t] = capacity_mw * availability[month] * hours[t] / 1000      (GWh)
    must_run[g, t]  = capacity_mw * must_run_fraction[month] * hours[t] / 1000  (GWh)

The lower bound is a row (``b.must_run``, generators with a must-run share only) so that the
in-place updates set it as a right-hand side. Output enters its system's balance on the supply
side (:func:`energy_terms`). Objective (MUSD): - cost[g] * output, cost = fuel / efficiency +
variable O&M (USD/MWh). CO2 (t/MWh of electricity) is reported, not priced.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyomo.environ as pyo
import xarray as xr

from nexusmodel.basin.schema import GeneratorSpec
from nexusmodel.model.arrays import SolutionValues
from nexusmodel.model.context import BuildContext, Term
from nexusmodel.model.expr import linear

NAME = "generators"
MUSD_PER_GWH_PER_USD_MWH = 1e-3  # 1 GWh at 1 USD/MWh is 1,000 USD
KT_PER_GWH_PER_T_MWH = 1.0  # 1 GWh at 1 t/MWh is 1,000 t = 1 kt


def generators(ctx: BuildContext) -> list[GeneratorSpec]:
    return list(ctx.basin.spec.generators)


def with_must_run(ctx: BuildContext) -> list[str]:
    """Generators with a must-run share in some month (they get a lower-bound row)."""
    return [g.id for g in generators(ctx) if g.monthly("must_run_fraction").any()]


@dataclass(frozen=True)
class GeneratorData:
    """Data-dependent numbers of the generators (generators x steps, :func:`generators`
    order), read by the build and by the in-place updates (:mod:`nexusmodel.solve.lpdata`)."""

    available_gwh: np.ndarray
    must_run_gwh: np.ndarray
    cost_usd_per_mwh: np.ndarray


def data(ctx: BuildContext) -> GeneratorData:
    gs = generators(ctx)
    month = np.asarray(ctx.axis.start.month) - 1
    hours = np.asarray(ctx.axis.hours, dtype=float)
    n_t = len(ctx.axis)

    def per_step(field: str) -> np.ndarray:
        return np.array(
            [g.capacity_mw * g.monthly(field)[month] * hours / 1000.0 for g in gs], dtype=float
        ).reshape(len(gs), n_t)

    return GeneratorData(
        per_step("availability"),
        per_step("must_run_fraction"),
        np.array([np.full(n_t, g.cost_usd_per_mwh) for g in gs], dtype=float).reshape(len(gs), n_t),
    )


def add_to_model(m: pyo.ConcreteModel, ctx: BuildContext) -> None:
    b = m.generators = pyo.Block()
    gs = generators(ctx)
    b.ids = pyo.Set(initialize=[g.id for g in gs], ordered=True)
    numbers = data(ctx)
    cap = {g.id: numbers.available_gwh[i] for i, g in enumerate(gs)}
    low = {g.id: numbers.must_run_gwh[i] for i, g in enumerate(gs)}
    b.output = pyo.Var(b.ids, ctx.steps, bounds=lambda _b, g, t: (0.0, float(cap[g][t])))
    b.with_must_run = pyo.Set(initialize=with_must_run(ctx), ordered=True)

    def must_run(_b: pyo.Block, g: str, t: int) -> object:
        """output >= capacity x must-run share x hours (GWh)."""
        return linear([1.0], [b.output[g, t]]) >= float(low[g][t])

    b.must_run = pyo.Constraint(b.with_must_run, ctx.steps, rule=must_run)


def energy_terms(m: pyo.ConcreteModel, ctx: BuildContext) -> dict[tuple[str, int], list]:
    """Each generator's output on the supply side of its system's balance (GWh)."""
    out: dict[tuple[str, int], list] = {}
    for g in generators(ctx):
        for t in ctx.steps:
            out.setdefault((g.energy_system, t), []).append((1.0, m.generators.output[g.id, t]))
    return out


def balance_terms(m: pyo.ConcreteModel, ctx: BuildContext) -> list[Term]:
    return []


def balance_rhs(ctx: BuildContext) -> dict[str, np.ndarray]:
    return {}


def objective(m: pyo.ConcreteModel, ctx: BuildContext) -> object:
    """- variable cost x output (MUSD, discounted)."""
    numbers = data(ctx)
    disc = ctx.discount * MUSD_PER_GWH_PER_USD_MWH
    coefs: list[float] = []
    variables: list[object] = []
    for i, g in enumerate(generators(ctx)):
        coefs += list(-numbers.cost_usd_per_mwh[i] * disc)
        variables += [m.generators.output[g.id, t] for t in ctx.steps]
    return linear(coefs, variables)


def by_system(
    ctx: BuildContext, values: np.ndarray, kinds: tuple[str, ...] | None = None
) -> np.ndarray:
    """Sum generator rows (generators x steps) into energy systems x steps (those of the
    given kinds only, if given), in the order of the energy-system nodes."""
    systems = ctx.basin.ids_of_type("energy_system")
    out = np.zeros((len(systems), len(ctx.axis)))
    for i, g in enumerate(generators(ctx)):
        if (kinds is None or g.kind in kinds) and g.energy_system in systems:
            out[systems.index(g.energy_system)] += values[i]
    return out


def extract(
    m: pyo.ConcreteModel, ctx: BuildContext, sol: SolutionValues
) -> dict[str, xr.DataArray]:
    """``generation`` (generator, time) GWh and its cost ``generation_cost`` (USD),
    ``co2_emissions`` (country, time) kt CO2."""
    gs = generators(ctx)
    shape = (len(gs), len(ctx.axis))
    output = sol.array(m.generators.output, shape) if gs else np.zeros(shape)
    cost = output * data(ctx).cost_usd_per_mwh * 1000.0
    co2 = output * np.array([g.co2_t_per_mwh for g in gs]).reshape(-1, 1) * KT_PER_GWH_PER_T_MWH
    coords = {
        "generator": [g.id for g in gs],
        "generator_kind": ("generator", [g.kind for g in gs]),
        "generator_system": ("generator", [g.energy_system for g in gs]),
    }
    dims = ("generator", "time")
    country = ("country", "time")
    return {
        "generation": xr.DataArray(output, dims=dims, coords=coords),
        "generation_cost": xr.DataArray(cost, dims=dims, coords=coords),
        "co2_emissions": xr.DataArray(by_system(ctx, co2), dims=country),
    }
