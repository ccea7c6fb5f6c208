"""Energy systems: one electricity balance per country and step.

Variables (GWh per step) for system k: ``thermal``, ``imports``, ``exports``, ``unserved``,
``surplus``::

    sum_p in k energy[p,t] + thermal + imports - exports - surplus + unserved = demand[k,t]

Thermal, imports and exports are bounded by their MW capacities times the step's hours.
Objective (MUSD): - thermal_cost*thermal - import_price*imports + export_price*exports
- VOLL*unserved, prices in USD/MWh (x 1000 MWh/GWh / 1e6). So winter hydropower is worth
the thermal fuel it saves, and the dual of the balance is the price of electricity.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyomo.environ as pyo
import xarray as xr

from nexusmodel.basin.schema import EnergySystemNode
from nexusmodel.model.arrays import SolutionValues
from nexusmodel.model.context import BuildContext, Term
from nexusmodel.model.expr import linear

NAME = "energy_system"
MUSD_PER_GWH_PER_USD_MWH = 1e-3  # 1 GWh at 1 USD/MWh is 1,000 USD


#: Capacity fields (MW) of an energy system node, by variable.
CAPACITY_FIELDS = {
    "thermal": "thermal_capacity_mw",
    "imports": "import_capacity_mw",
    "exports": "export_capacity_mw",
}


def systems(ctx: BuildContext) -> list[EnergySystemNode]:
    return [n for n in ctx.basin.spec.nodes if isinstance(n, EnergySystemNode)]


@dataclass(frozen=True)
class EnergyData:
    """The data-dependent numbers of the energy systems' rows and costs, read by the build
    and by the in-place updates (:mod:`nexusmodel.solve.lpdata`); systems in
    :func:`systems` order, everything systems x steps."""

    capacity_gwh: dict[str, np.ndarray]  # "thermal", "imports", "exports": over each step
    price_usd_per_mwh: dict[str, np.ndarray]  # thermal cost, import and export prices
    demand_gwh: np.ndarray


def data(ctx: BuildContext) -> EnergyData:
    """Every data-dependent number of the energy systems' rows and objective."""
    ks = systems(ctx)
    n_t = len(ctx.axis)
    per_system = [prices(ctx, k.id) for k in ks]

    def stack(values: list[np.ndarray]) -> np.ndarray:
        return np.array(values, dtype=float).reshape(len(ks), n_t)

    return EnergyData(
        {
            name: stack([ctx.mw_to_gwh(getattr(k, attr)) for k in ks])
            for name, attr in CAPACITY_FIELDS.items()
        },
        {name: stack([p[name] for p in per_system]) for name in CAPACITY_FIELDS},
        stack([ctx.monthly(ctx.series.energy_demand_gwh, k.id, "volume") for k in ks]),
    )


def add_to_model(m: pyo.ConcreteModel, ctx: BuildContext) -> None:
    from nexusmodel.model.components.hydropower import plants

    b = m.energy_system = pyo.Block()
    ks = systems(ctx)
    ids = [k.id for k in ks]
    b.ids = pyo.Set(initialize=ids, ordered=True)
    numbers = data(ctx)
    cap = {
        k.id: {name: numbers.capacity_gwh[name][i] for name in CAPACITY_FIELDS}
        for i, k in enumerate(ks)
    }
    b.thermal = pyo.Var(
        b.ids, ctx.steps, bounds=lambda _b, k, t: (0.0, float(cap[k]["thermal"][t]))
    )
    b.imports = pyo.Var(
        b.ids, ctx.steps, bounds=lambda _b, k, t: (0.0, float(cap[k]["imports"][t]))
    )
    b.exports = pyo.Var(
        b.ids, ctx.steps, bounds=lambda _b, k, t: (0.0, float(cap[k]["exports"][t]))
    )
    b.unserved = pyo.Var(b.ids, ctx.steps, within=pyo.NonNegativeReals)
    b.surplus = pyo.Var(b.ids, ctx.steps, within=pyo.NonNegativeReals)
    demand = {k: numbers.demand_gwh[i] for i, k in enumerate(ids)}
    served_by = {k: [p.node for p in plants(ctx) if p.energy_system == k] for k in ids}
    hooked = collect_energy_terms(m, ctx)  # issue 12 hook (power system contract)

    def balance(_b: pyo.Block, k: str, t: int) -> object:
        """hydro + thermal + imports - exports - surplus + unserved + hooked = demand (GWh)."""
        hydro = [m.hydropower.energy[p, t] for p in served_by[k]]
        own = [b.thermal[k, t], b.imports[k, t], b.exports[k, t], b.surplus[k, t], b.unserved[k, t]]
        extra = hooked.get((k, t), [])
        return linear(
            [1.0] * len(hydro) + [1.0, 1.0, -1.0, -1.0, 1.0] + [c for c, _v in extra],
            hydro + own + [v for _c, v in extra],
        ) == float(demand[k][t])

    b.balance = pyo.Constraint(b.ids, ctx.steps, rule=balance)


# --- issue 12 hook (contract CONTRACT_POWER.md): energy terms from other components -------
def collect_energy_terms(
    m: pyo.ConcreteModel, ctx: BuildContext
) -> dict[tuple[str, int], list[tuple[float, object]]]:
    """(system id, step) -> [(coefficient, variable)] on the supply side of the balance
    (GWh), from every component in ``COMPONENTS`` that defines ``energy_terms(m, ctx)``."""
    from nexusmodel.model import COMPONENTS

    out: dict[tuple[str, int], list[tuple[float, object]]] = {}
    for component in COMPONENTS:
        terms = getattr(component, "energy_terms", None)
        if terms is not None:
            for key, pairs in terms(m, ctx).items():
                out.setdefault(key, []).extend(pairs)
    return out


def balance_terms(m: pyo.ConcreteModel, ctx: BuildContext) -> list[Term]:
    return []


def balance_rhs(ctx: BuildContext) -> dict[str, np.ndarray]:
    return {}


def prices(ctx: BuildContext, k: str) -> dict[str, np.ndarray]:
    """Thermal cost, import and export prices on the steps (USD/MWh)."""
    s = ctx.series
    return {
        "thermal": ctx.monthly(s.thermal_cost_usd_per_mwh, k, "rate"),
        "imports": ctx.monthly(s.import_price_usd_per_mwh, k, "rate"),
        "exports": ctx.monthly(s.export_price_usd_per_mwh, k, "rate"),
    }


def objective(m: pyo.ConcreteModel, ctx: BuildContext) -> object:
    """- thermal cost - import cost + export revenue - unserved penalty (MUSD, discounted)."""
    b = m.energy_system
    disc = ctx.discount * MUSD_PER_GWH_PER_USD_MWH
    numbers = data(ctx)
    coefs: list[float] = []
    variables: list[object] = []
    for i, k in enumerate(systems(ctx)):
        for name, sign in (("thermal", -1.0), ("imports", -1.0), ("exports", 1.0)):
            coefs += list(sign * numbers.price_usd_per_mwh[name][i] * disc)
            variables += [getattr(b, name)[k.id, t] for t in ctx.steps]
        coefs += list(-k.unserved_penalty_usd_per_mwh * disc)
        variables += [b.unserved[k.id, t] for t in ctx.steps]
    return linear(coefs, variables)


def extract(
    m: pyo.ConcreteModel, ctx: BuildContext, sol: SolutionValues
) -> dict[str, xr.DataArray]:
    from nexusmodel.model.components.hydropower import plants

    b = m.energy_system
    ks = systems(ctx)
    shape = (len(ks), len(ctx.axis))
    dims = ("country", "time")
    out = {}
    for name, var in (
        ("thermal", b.thermal),
        ("imports", b.imports),
        ("exports", b.exports),
        ("unserved_energy", b.unserved),
        ("energy_surplus", b.surplus),
    ):
        out[name] = xr.DataArray(sol.array(var, shape), dims=dims)
    demand = np.array(
        [ctx.monthly(ctx.series.energy_demand_gwh, k.id, "volume") for k in ks]
    ).reshape(shape)
    out["energy_demand"] = xr.DataArray(demand, dims=dims)
    energy = sol.array(m.hydropower.energy, (len(list(m.hydropower.ids)), len(ctx.axis)))
    hydro = np.zeros(shape)
    for i, p in enumerate(plants(ctx)):
        if p.energy_system in [k.id for k in ks]:
            hydro[[k.id for k in ks].index(p.energy_system)] += energy[i]
    out["hydropower"] = xr.DataArray(hydro, dims=dims)
    for name, var_name, cost_name in (
        ("thermal_cost", "thermal", "thermal"),
        ("import_cost", "imports", "imports"),
        ("export_revenue", "exports", "exports"),
    ):
        price = np.array([prices(ctx, k.id)[cost_name] for k in ks]).reshape(shape)
        out[name] = xr.DataArray(out[var_name].values * price * 1000.0, dims=dims)
    # the dual is d(objective)/d(demand): one more GWh of demand costs the price of electricity
    duals = sol.row_duals(b.balance, shape)
    out["energy_price"] = xr.DataArray(
        -duals / (ctx.discount * MUSD_PER_GWH_PER_USD_MWH), dims=dims
    )
    return out
