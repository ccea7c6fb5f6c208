"""The water-for-energy exchange (a scenario's ``policy: water_energy_exchange``), as the 1998
Syr Darya agreement wrote it: an upstream reservoir's summer release above what its country
needs for itself is paid for by the downstream countries in winter electricity or in fuel.

``R[t]`` is the release of the upstream reservoir (the sum of its outflow links, hm3), ``S_y``
and ``W_y`` the steps of calendar year y in the summer and winter months (by each step's first
month), ``own_y`` the upstream country's own summer need: a volume ``V`` (times the share of
the summer months the steps of y cover) or a share ``s`` of the year's release. For each year
with summer and winter steps in the model, with electricity compensation::

    sum_c sum_{t in W_y} d[c,t] + unpaid[y]  >=  ratio * (sum_{t in S_y} R[t] - own_y)   (GWh)
    sum_{t in W_y} d[c,t]  =  share_c * sum_c' sum_{t in W_y} d[c',t]      (each c but the last)
    own_y = V * covered_share(y)   or   own_y = s * sum_{t in y} R[t]

``d[c,t]`` (GWh, >= 0; at most ``max_delivery_mw`` x hours; with ``from_own_plants``, at
most c's thermal generation of the step: the agreement's power comes from the payer's own
plants, not from imports passed on) is electricity from downstream country c to the
upstream one in winter step t: through the contract's ``energy_terms`` hook
it enters the upstream system's balance (+) and leaves c's (-). ``unpaid`` is fixed at 0 when
the exchange is hard, and costs ``price_usd_per_mwh`` per MWh (discounted at the year's first
step) when it is soft: the agreement's price. The row is a floor: what is owed is
``ratio * max(0, summer release - own)`` (a convex function, so the LP states ``>=``);
deliveries beyond it are allowed, and the results show them apart (``exchange_owed`` vs
``exchange_paid``). Cap them with ``max_delivery_mw``.

With a power system of lines (``interconnectors``), a payer with a direct line to the
upstream system delivers over it: ``d[c,t] <=`` what its lines carry there in t (at the
sending end), and d is not a term of the balances (the lines' flows are); a tie-breaker of
1e-3 USD/MWh on such d keeps the deliveries at what is owed, the rest of the lines' flow
being trade. A payer without a direct line delivers through the exchange's own terms.

Fuel compensation is a payment (``price_usd_per_mwh`` per MWh-equivalent) between countries:
in the basin's objective it is a transfer and changes nothing, so it has no rows here; the
results give what is owed and the ledgers (:mod:`nexusmodel.results.ledgers`) book it as paid
in full.

Rows are kept as built when a model is pushed to other years in place
(:mod:`nexusmodel.solve.lpdata`), as the withdrawal limits are. The exchange binds the
whole year in ``optimize``; a rolling window binds the parts of each year it holds, and a
month-by-month simulation (no window holds a summer and a winter) cannot bind it: the
results show what is owed (``exchange_owed``, from the whole run's releases) against what
was paid (``exchange_paid``).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pyomo.environ as pyo
import xarray as xr

from nexusmodel.basin.basin import Policy
from nexusmodel.basin.schema import EnergySystemNode, ReservoirNode
from nexusmodel.errors import InputError, Problem
from nexusmodel.model.arrays import SolutionValues
from nexusmodel.model.components.withdrawal_limits import covered_share
from nexusmodel.model.context import BuildContext, Term
from nexusmodel.model.expr import linear

NAME = "exchange"
MUSD_PER_GWH_PER_USD_MWH = 1e-3


#: the exchange's results (only when a scenario sets one, so not in
#: :data:`nexusmodel.results.variables.VARIABLES`): name -> (units, long name)
VARIABLES = {
    "exchange_summer_release": ("hm3", "summer release of the exchange's upstream reservoir"),
    "exchange_own_release": ("hm3", "summer release the upstream country needs for itself"),
    "exchange_owed": ("GWh", "compensation owed for the extra summer release"),
    "exchange_paid": ("GWh", "compensation paid (electricity delivered or fuel)"),
    "exchange_unpaid": ("GWh", "compensation not paid (soft exchange, at its price)"),
    "exchange_delivery": ("GWh", "winter electricity delivered to the upstream country"),
    "exchange_compensation_price": (
        "USD/MWh",
        "cost to the basin of one more GWh of compensation owed (dual)",
    ),
}


def spec(ctx: BuildContext) -> Any:
    """The scenario's exchange (a :class:`~nexusmodel.scenario.schema.WaterEnergyExchange`)
    or None."""
    policy = getattr(ctx.basin, "policy", None) or Policy()
    return policy.exchange


def system_of_country(ctx: BuildContext) -> dict[str, str]:
    """Energy-system node id of each country."""
    return {n.country: n.id for n in ctx.basin.spec.nodes if isinstance(n, EnergySystemNode)}


def upstream_country(ctx: BuildContext) -> str:
    return ctx.basin.nodes[spec(ctx).upstream_reservoir].country


def _where(ctx: BuildContext, key: str) -> str:
    """``<scenario file>: policy.water_energy_exchange.<key>`` (the file that set it)."""
    dotted = f"policy.water_energy_exchange.{key}"
    origin = getattr(ctx.basin, "settings_origin", {}) or {}
    files = [p for k, p in origin.items() if k == dotted or k.startswith(dotted + ".")]
    return f"{files[0]}: {dotted}" if files else f"scenario {dotted}"


def check(ctx: BuildContext) -> None:
    """The exchange's places exist: a reservoir upstream, an energy system in every party."""
    x = spec(ctx)
    problems = []
    node = ctx.basin.nodes.get(x.upstream_reservoir)
    if not isinstance(node, ReservoirNode):
        problems.append(
            Problem(
                _where(ctx, "upstream_reservoir"),
                f"= {x.upstream_reservoir!r}: not a reservoir of the basin",
                "name a reservoir node id, e.g. R_TOK",
            )
        )
    systems = system_of_country(ctx)
    if node is not None and node.country not in systems:
        problems.append(
            Problem(
                _where(ctx, "upstream_reservoir"),
                f"= {x.upstream_reservoir!r}: its country {node.country} has no energy system",
            )
        )
    for country in x.shares_pct:
        if country not in systems:
            problems.append(
                Problem(
                    _where(ctx, f"shares_pct.{country}"),
                    f"country {country!r} has no energy system",
                    f"countries with one: {sorted(systems)}",
                )
            )
        elif node is not None and country == node.country:
            problems.append(
                Problem(
                    _where(ctx, f"shares_pct.{country}"),
                    f"country {country!r} is the upstream country",
                )
            )
    if problems:
        raise InputError(problems, "invalid water-for-energy exchange")


def _steps(ctx: BuildContext, year: int, months: list[int]) -> list[int]:
    month_of = np.asarray(ctx.axis.calendar_months)
    return [int(t) for t in ctx.steps_of_year(year) if month_of[t] in months]


def exchange_years(ctx: BuildContext) -> list[int]:
    """Years with both summer and winter steps in the model (the others have no rows)."""
    x = spec(ctx)
    return [
        y for y in ctx.years if _steps(ctx, y, x.summer_months) and _steps(ctx, y, x.winter_months)
    ]


def own_need_hm3(ctx: BuildContext, year: int) -> float:
    """The stated volume of the upstream country's own summer need in ``year`` (hm3)."""
    x = spec(ctx)
    return float(x.own_summer_release_hm3) * covered_share(
        ctx, year, tuple(sorted(set(x.summer_months)))
    )


def _block(m: pyo.ConcreteModel, ctx: BuildContext) -> pyo.Block | None:
    """The exchange's block, built once (the energy balance may ask for it first)."""
    x = spec(ctx)
    if x is None or x.compensation != "electricity":
        return None
    if hasattr(m, "exchange"):
        return m.exchange
    check(ctx)
    b = m.exchange = pyo.Block()
    years = exchange_years(ctx)
    parties = list(x.shares_pct)
    b.years = pyo.Set(initialize=years, ordered=True)
    winter = [(c, t) for y in years for t in _steps(ctx, y, x.winter_months) for c in parties]
    b.winter = pyo.Set(initialize=winter, dimen=2, ordered=True)
    cap = None if x.max_delivery_mw is None else ctx.mw_to_gwh(float(x.max_delivery_mw))
    b.delivery = pyo.Var(
        b.winter, bounds=lambda _b, c, t: (0.0, None if cap is None else float(cap[t]))
    )
    b.unpaid = pyo.Var(b.years, bounds=(0.0, 0.0 if x.hard else None))
    outflows = ctx.links_out(x.upstream_reservoir)
    ratio = float(x.gwh_per_hm3)

    def owed(_b: pyo.Block, y: int) -> object:
        """deliveries + unpaid - ratio * (summer release - own need) >= 0   (GWh)."""
        d = [b.delivery[c, t] for t in _steps(ctx, y, x.winter_months) for c in parties]
        summer = [m.link.flow[lid, t] for t in _steps(ctx, y, x.summer_months) for lid in outflows]
        coefs = [1.0] * len(d) + [1.0] + [-ratio] * len(summer)
        variables = [*d, b.unpaid[y], *summer]
        rhs = 0.0
        if x.own_summer_share_pct is None:
            rhs = -ratio * own_need_hm3(ctx, y)
        else:
            share = float(x.own_summer_share_pct) / 100.0
            year = [m.link.flow[lid, int(t)] for t in ctx.steps_of_year(y) for lid in outflows]
            coefs += [ratio * share] * len(year)
            variables += year
        return linear(coefs, variables) >= rhs

    b.owed = pyo.Constraint(b.years, rule=owed)
    split = [(c, y) for c in parties[:-1] for y in years]
    b.split_keys = pyo.Set(initialize=split, dimen=2, ordered=True)

    def shares(_b: pyo.Block, c: str, y: int) -> object:
        """c's deliveries in y = share_c * all deliveries in y   (GWh)."""
        steps = _steps(ctx, y, x.winter_months)
        share = float(x.shares_pct[c]) / 100.0
        coefs = [(1.0 if p == c else 0.0) - share for t in steps for p in parties]
        return linear(coefs, [b.delivery[p, t] for t in steps for p in parties]) == 0.0

    b.split = pyo.Constraint(b.split_keys, rule=shares)
    b.own_plants = pyo.ConstraintList()  # filled by energy_terms (see _own_plants)
    b.by_lines = pyo.ConstraintList()  # filled by energy_terms (see _by_lines)
    return b


#: a tie-breaker on deliveries carried by lines (USD/MWh): none beyond what is owed
LINE_TIE_USD_PER_MWH = 1e-3


def lines_to_upstream(ctx: BuildContext) -> dict[str, list[tuple[str, str]]]:
    """Payer country -> the direct lines (``interconnectors`` of a power system) that carry
    its power to the upstream system: [(line id, "forward" or "backward")]. A payer without
    one delivers through the exchange's own terms in the balances."""
    x = spec(ctx)
    systems = system_of_country(ctx)
    upstream = systems.get(upstream_country(ctx), "")
    out: dict[str, list[tuple[str, str]]] = {}
    for c in x.shares_pct:
        payer = systems.get(c, "")
        for line in getattr(ctx.basin.spec, "interconnectors", None) or []:
            ends = (getattr(line, "from_", None), getattr(line, "to", None))
            if ends == (payer, upstream):
                out.setdefault(c, []).append((line.id, "forward"))
            elif ends == (upstream, payer):
                out.setdefault(c, []).append((line.id, "backward"))
    return out


#: generator kinds that burn fuel (the power system contract's ``thermal``)
FOSSIL_KINDS = ("gas", "coal", "chp", "oil")


def own_generation(m: pyo.ConcreteModel, ctx: BuildContext, system: str, t: int) -> list[object]:
    """The fossil generation variables of energy system ``system`` in step t (GWh): its
    aggregate ``thermal`` and, with a power system of generators, their fossil outputs."""
    out: list[object] = []
    thermal = getattr(getattr(m, "energy_system", None), "thermal", None)
    if thermal is not None:
        out.append(thermal[system, t])
    generators = getattr(m, "generators", None)
    for g in getattr(ctx.basin.spec, "generators", None) or []:
        if generators is not None and g.kind in FOSSIL_KINDS and g.energy_system == system:
            out.append(generators.output[g.id, t])
    return out


def _own_plants(m: pyo.ConcreteModel, ctx: BuildContext, b: pyo.Block) -> None:
    """d[c,t] <= c's fossil generation in t (GWh), once the energy systems' variables exist
    (the energy balance asks for the energy terms after making them)."""
    if not spec(ctx).from_own_plants or len(b.own_plants) or not hasattr(m, "energy_system"):
        return
    systems = system_of_country(ctx)
    for c, t in b.winter:
        own = own_generation(m, ctx, systems[c], t)
        b.own_plants.add(linear([1.0] + [-1.0] * len(own), [b.delivery[c, t], *own]) <= 0.0)


def _by_lines(m: pyo.ConcreteModel, ctx: BuildContext, b: pyo.Block) -> None:
    """d[c,t] <= what c's direct lines carry to the upstream system in t (GWh, sent), once
    the lines exist (the energy balance asks for the energy terms after building them)."""
    lines = getattr(m, "interconnectors", None)
    carried = lines_to_upstream(ctx)
    if lines is None or len(b.by_lines) or not carried:
        return
    for c, t in b.winter:
        if c in carried:
            flows = [getattr(lines, way)[lid, t] for lid, way in carried[c]]
            b.by_lines.add(linear([1.0] + [-1.0] * len(flows), [b.delivery[c, t], *flows]) <= 0.0)


def add_to_model(m: pyo.ConcreteModel, ctx: BuildContext) -> None:
    x = spec(ctx)
    if x is not None:
        check(ctx)
    _block(m, ctx)


def energy_terms(
    m: pyo.ConcreteModel, ctx: BuildContext
) -> dict[tuple[str, int], list[tuple[float, object]]]:
    """Winter deliveries: + into the upstream system's balance, - out of the payer's (GWh)."""
    b = _block(m, ctx)
    if b is None:
        return {}
    _own_plants(m, ctx, b)
    _by_lines(m, ctx, b)
    systems = system_of_country(ctx)
    upstream = systems[upstream_country(ctx)]
    carried = lines_to_upstream(ctx)
    out: dict[tuple[str, int], list[tuple[float, object]]] = {}
    for c, t in b.winter:
        if c in carried:  # the lines' flows are in the balances already
            continue
        out.setdefault((upstream, t), []).append((1.0, b.delivery[c, t]))
        out.setdefault((systems[c], t), []).append((-1.0, b.delivery[c, t]))
    return out


def balance_terms(m: pyo.ConcreteModel, ctx: BuildContext) -> list[Term]:
    return []


def balance_rhs(ctx: BuildContext) -> dict[str, np.ndarray]:
    return {}


def objective(m: pyo.ConcreteModel, ctx: BuildContext) -> object:
    """- price * unpaid[y] * discount of y's first step (MUSD; hard: unpaid = 0)."""
    b = _block(m, ctx)
    if b is None:
        return linear([], [])
    price = float(spec(ctx).price_usd_per_mwh) * MUSD_PER_GWH_PER_USD_MWH
    tie = LINE_TIE_USD_PER_MWH * MUSD_PER_GWH_PER_USD_MWH
    carried = lines_to_upstream(ctx)
    coefs = [-price * ctx.year_discount(y) for y in b.years]
    variables = [b.unpaid[y] for y in b.years]
    for c, t in b.winter:
        if c in carried:
            coefs.append(-tie * float(ctx.discount[t]))
            variables.append(b.delivery[c, t])
    return linear(coefs, variables)


def extract(
    m: pyo.ConcreteModel, ctx: BuildContext, sol: SolutionValues
) -> dict[str, xr.DataArray]:
    """Summer release and own need (year, hm3); owed, paid and unpaid compensation (country,
    year, GWh); electricity delivered (country, time, GWh). Countries are those of the energy
    systems, in file order (the results' ``country`` dimension)."""
    x = spec(ctx)
    if x is None:
        return {}
    countries = [n.country for n in ctx.basin.spec.nodes if isinstance(n, EnergySystemNode)]
    years = ctx.years
    n_t = len(ctx.axis)
    flow = sol.array(m.link.flow, (len(ctx.link_ids), n_t))
    rows = [ctx.link_ids.index(lid) for lid in ctx.links_out(x.upstream_reservoir)]
    release = flow[rows].sum(axis=0)
    summer = np.zeros(len(years))
    own = np.zeros(len(years))
    active = set(exchange_years(ctx)) if x.compensation == "electricity" else set(years)
    for i, y in enumerate(years):
        if y not in active:
            continue
        summer[i] = release[_steps(ctx, y, x.summer_months)].sum()
        if x.own_summer_share_pct is None:
            own[i] = own_need_hm3(ctx, y)
        else:
            own[i] = float(x.own_summer_share_pct) / 100.0 * release[ctx.steps_of_year(y)].sum()
    total_owed = float(x.gwh_per_hm3) * np.maximum(summer - own, 0.0)
    owed = np.zeros((len(countries), len(years)))
    paid = np.zeros_like(owed)
    unpaid = np.zeros_like(owed)
    delivery = np.zeros((len(countries), n_t))
    price = np.zeros(len(years))
    for c, pct in x.shares_pct.items():
        owed[countries.index(c)] = pct / 100.0 * total_owed
    b = getattr(m, "exchange", None)
    if b is None:  # fuel: a payment, booked as paid in full
        paid = owed.copy()
    else:
        d = sol.array(b.delivery, (len(list(b.winter)),))
        for (c, t), v in zip(b.winter, d, strict=True):
            delivery[countries.index(c), t] = v
        u = sol.array(b.unpaid, (len(list(b.years)),))
        for y, v in zip(b.years, u, strict=True):
            for c, pct in x.shares_pct.items():
                unpaid[countries.index(c), years.index(y)] = pct / 100.0 * v
        for i, y in enumerate(years):
            paid[:, i] = delivery[:, ctx.steps_of_year(y)].sum(axis=1)
        # the dual of the owed row: what one more GWh owed costs the basin (USD/MWh)
        duals = sol.row_duals(b.owed, (len(list(b.years)),))
        for y, v in zip(b.years, duals, strict=True):
            price[years.index(y)] = -v / (ctx.year_discount(y) * MUSD_PER_GWH_PER_USD_MWH)
    attrs = {
        "upstream_reservoir": x.upstream_reservoir,
        "upstream_country": ctx.basin.nodes[x.upstream_reservoir].country,
        "compensation": x.compensation,
        "gwh_per_hm3": float(x.gwh_per_hm3),
        "price_usd_per_mwh": float(x.price_usd_per_mwh),
    }
    out = {
        "exchange_summer_release": xr.DataArray(summer, dims=("year",)),
        "exchange_own_release": xr.DataArray(own, dims=("year",)),
        "exchange_owed": xr.DataArray(owed, dims=("country", "year"), attrs=attrs),
        "exchange_paid": xr.DataArray(paid, dims=("country", "year")),
        "exchange_unpaid": xr.DataArray(unpaid, dims=("country", "year")),
        "exchange_delivery": xr.DataArray(delivery, dims=("country", "time")),
        "exchange_compensation_price": xr.DataArray(price, dims=("year",)),
    }
    for name, (units, long_name) in VARIABLES.items():
        out[name].attrs.update(units=units, long_name=long_name)
    return out
