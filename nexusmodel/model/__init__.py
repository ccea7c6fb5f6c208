"""The hydro-economic optimization model: ``build_model(basin, options) -> ConcreteModel``."""

from __future__ import annotations

from collections.abc import Callable

import pyomo.environ as pyo
from pyomo.common.gc_manager import PauseGC

from nexusmodel.basin.basin import Basin
from nexusmodel.model.balance import add_water_balance
from nexusmodel.model.components import (
    demand,
    energy_system,
    environment,
    exchange,
    generators,
    hydropower,
    interconnectors,
    irrigation,
    land,
    link,
    municipal,
    outlet,
    release_rules,
    reservoir,
    split,
    withdrawal_limits,
)
from nexusmodel.model.context import BuildContext
from nexusmodel.model.expr import linear
from nexusmodel.model.options import ModelOptions

#: Every component type, in build order (links first: others refer to link flows; the
#: energy systems last: their balances collect every component's ``energy_terms``).
COMPONENTS = (
    link,
    reservoir,
    hydropower,
    generators,
    interconnectors,
    irrigation,
    land,
    municipal,
    demand,
    environment,
    outlet,
    release_rules,
    split,
    withdrawal_limits,
    exchange,
    energy_system,
)


def build_model(
    basin: Basin,
    options: ModelOptions | None = None,
    extra_constraints: Callable[[pyo.ConcreteModel, BuildContext], None] | None = None,
) -> pyo.ConcreteModel:
    """Assemble the Pyomo model of a basin with horizon series (see ``apply_scenario``).

    One Block per component type (``m.reservoir.storage[r, t]``), then the water balance of
    every node and step, then the objective (maximize discounted net benefit, million USD).
    ``extra_constraints(m, ctx)`` may add a user's own rules. The context is kept as
    ``m.context`` for solving and extracting results.
    """
    # the cyclic garbage collector would walk every Pyomo object many times over while the
    # model grows (most of the build time); the few temporaries die by reference counting
    with PauseGC():
        ctx = BuildContext.from_basin(basin, options or ModelOptions())
        m = pyo.ConcreteModel(name=basin.name)
        for component in COMPONENTS:
            component.add_to_model(m, ctx)
        add_water_balance(m, ctx, COMPONENTS)
        if extra_constraints is not None:
            extra_constraints(m, ctx)
        terms = [component.objective(m, ctx) for component in COMPONENTS]
        m.objective = pyo.Objective(expr=sum(terms, linear([], [])), sense=pyo.maximize)
        m.context = ctx
    return m


__all__ = ["COMPONENTS", "BuildContext", "ModelOptions", "build_model"]
