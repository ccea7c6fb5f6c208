"""Environmental flows on reaches and inflow targets of terminal lakes and seas.

For environmental node n, with Q[n,t] = sum over incoming links of (1 - loss) * flow (hm3)::

    Q[n,t] + deficit[n,t] >= q_min[n,t] * seconds[t] / 1e6                (monthly minimum)
    sum_{t in y} Q[n,t] + annual_deficit[n,y] >= target[n] * share of y   (annual volume)

Hard rules fix the deficits at 0 (the Kazakh Water Code reserves the ecological flow first);
soft rules pay ``penalty_usd_per_m3`` per m3 missing. The duals are the price of the rule.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyomo.environ as pyo
import xarray as xr

from nexusmodel.basin.schema import EnvironmentNode, LinkSpec
from nexusmodel.model.arrays import SolutionValues, on_nodes
from nexusmodel.model.context import BuildContext, Rule, Term
from nexusmodel.model.expr import linear

NAME = "environment"


def reaches(ctx: BuildContext) -> list[EnvironmentNode]:
    return [n for n in ctx.basin.spec.nodes if isinstance(n, EnvironmentNode)]


def is_hard(ctx: BuildContext, node: EnvironmentNode) -> bool:
    return node.hard if ctx.options.env_hard is None else ctx.options.env_hard


def requirement_hm3(ctx: BuildContext, node: str) -> np.ndarray:
    return ctx.m3s_to_hm3(ctx.monthly(ctx.series.env_min_m3s, node, "rate"))


def year_share(ctx: BuildContext, year: int) -> float:
    """Share of the calendar year the horizon covers (partial first or last years)."""
    days = ctx.axis.days[ctx.steps_of_year(year)].sum()
    return float(days / (366.0 if year % 4 == 0 and (year % 100 or year % 400 == 0) else 365.0))


@dataclass(frozen=True)
class EnvironmentData:
    """The data-dependent numbers of the environmental rows and costs (reaches in
    :func:`reaches` order), read by the build and by the in-place updates
    (:mod:`nexusmodel.solve.lpdata`)."""

    requirement_hm3: np.ndarray  # reaches x steps: minimum flow over each step
    annual_target_hm3: np.ndarray  # reaches x years: target times the share of the year
    deficit_value: np.ndarray  # reaches: MUSD/hm3 short (penalty, or the priority weight)


def data(ctx: BuildContext) -> EnvironmentData:
    """Every data-dependent number of the environmental rows and objective."""
    nodes = reaches(ctx)
    shares = np.array([year_share(ctx, y) for y in ctx.years])
    priority = ctx.options.objective == "priority"
    return EnvironmentData(
        np.array([requirement_hm3(ctx, n.id) for n in nodes], dtype=float).reshape(
            len(nodes), len(ctx.axis)
        ),
        np.array([n.annual_target_hm3 * shares for n in nodes], dtype=float).reshape(
            len(nodes), len(shares)
        ),
        np.array(
            [
                ctx.priority_weight("environment") if priority else n.penalty_usd_per_m3
                for n in nodes
            ],
            dtype=float,
        ),
    )


def inflow_terms(
    m: pyo.ConcreteModel, ctx: BuildContext, node: str, t: int
) -> tuple[list[float], list[object]]:
    """(1 - loss) x flow of every link into ``node`` at step t (a link's loss is one
    fraction here: :func:`nexusmodel.basin.checks` refuses monthly ones into reaches)."""
    links = [link for link in ctx.basin.links if link.to == node]
    return [1.0 - fixed_loss(link) for link in links], [m.link.flow[link.id, t] for link in links]


def fixed_loss(link: LinkSpec) -> float:
    """The one loss fraction of a link into a reach (the checks refuse a monthly one)."""
    if isinstance(link.loss_fraction, list) or link.loss_segments:
        raise ValueError(f"link {link.id}: a monthly loss_fraction into a reach is not supported")
    return float(link.loss_fraction)


def add_to_model(m: pyo.ConcreteModel, ctx: BuildContext) -> None:
    b = m.environment = pyo.Block()
    nodes = reaches(ctx)
    numbers = data(ctx)
    row_of = {n.id: i for i, n in enumerate(nodes)}
    with_min = [n.id for n in nodes if numbers.requirement_hm3[row_of[n.id]].max() > 0]
    with_target = [n.id for n in nodes if n.annual_target_hm3 > 0]
    hard = {n.id: is_hard(ctx, n) for n in nodes}
    b.with_min = pyo.Set(initialize=with_min, ordered=True)
    b.with_target = pyo.Set(initialize=with_target, ordered=True)
    b.deficit = pyo.Var(
        b.with_min, ctx.steps, bounds=lambda _b, n, t: (0.0, 0.0 if hard[n] else None)
    )
    b.annual_deficit = pyo.Var(
        b.with_target, ctx.years, bounds=lambda _b, n, y: (0.0, 0.0 if hard[n] else None)
    )
    req = {n: numbers.requirement_hm3[row_of[n]] for n in with_min}
    year_pos = {y: k for k, y in enumerate(ctx.years)}

    def min_flow(_b: pyo.Block, n: str, t: int) -> object:
        """Q[n,t] + deficit[n,t] >= q_min[n,t]   (hm3)."""
        coefs, variables = inflow_terms(m, ctx, n, t)
        return linear([*coefs, 1.0], [*variables, b.deficit[n, t]]) >= float(req[n][t])

    def annual(_b: pyo.Block, n: str, y: int) -> object:
        """sum_{t in y} Q[n,t] + annual_deficit[n,y] >= target[n] * share of year y   (hm3)."""
        coefs: list[float] = []
        variables: list[object] = []
        for t in ctx.steps_of_year(y):
            c, v = inflow_terms(m, ctx, n, int(t))
            coefs += c
            variables += v
        return linear([*coefs, 1.0], [*variables, b.annual_deficit[n, y]]) >= float(
            numbers.annual_target_hm3[row_of[n], year_pos[y]]
        )

    b.min_flow = pyo.Constraint(b.with_min, ctx.steps, rule=min_flow)
    b.annual = pyo.Constraint(b.with_target, ctx.years, rule=annual)
    ctx.rules += [
        Rule(
            "environmental minimum flow",
            b.deficit,
            "hm3",
            "step",
            "environmental minimum flow at {key} in {when}: short by {value:.1f} hm3",
        ),
        Rule(
            "environmental annual target",
            b.annual_deficit,
            "hm3",
            "year",
            "environmental annual target of {key} in {when}: the year's inflow is short by "
            "{value:.1f} hm3",
        ),
    ]


def balance_terms(m: pyo.ConcreteModel, ctx: BuildContext) -> list[Term]:
    return []


def balance_rhs(ctx: BuildContext) -> dict[str, np.ndarray]:
    return {}


def objective(m: pyo.ConcreteModel, ctx: BuildContext) -> object:
    """- penalty * deficits (MUSD), or - priority weight * deficits."""
    b = m.environment
    coefs: list[float] = []
    variables: list[object] = []
    for node, value in zip(reaches(ctx), data(ctx).deficit_value.tolist(), strict=True):
        if node.id in b.with_min:
            coefs += list(-value * ctx.discount)
            variables += [b.deficit[node.id, t] for t in ctx.steps]
        if node.id in b.with_target:
            coefs += [-value * ctx.year_discount(y) for y in ctx.years]
            variables += [b.annual_deficit[node.id, y] for y in ctx.years]
    return linear(coefs, variables)


def extract(
    m: pyo.ConcreteModel, ctx: BuildContext, sol: SolutionValues
) -> dict[str, xr.DataArray]:
    b = m.environment
    nodes = reaches(ctx)
    ids = [n.id for n in nodes]
    n_t = len(ctx.axis)
    flows = sol.array(m.link.flow, (len(ctx.link_ids), n_t))
    inflow = np.zeros((len(ids), n_t))
    for link_row, link in enumerate(ctx.basin.links):
        if link.to in ids:
            inflow[ids.index(link.to)] += (1 - fixed_loss(link)) * flows[link_row]
    requirement = np.zeros((len(ids), n_t))
    deficit = np.zeros((len(ids), n_t))
    price = np.zeros((len(ids), n_t))
    with_min = list(b.with_min)
    if with_min:
        values = sol.array(b.deficit, (len(with_min), n_t))
        duals = sol.row_duals(b.min_flow, (len(with_min), n_t))
        for k, n in enumerate(with_min):
            requirement[ids.index(n)] = requirement_hm3(ctx, n)
            deficit[ids.index(n)] = values[k]
            price[ids.index(n)] = np.abs(duals[k]) / ctx.discount
    with_target = list(b.with_target)
    if with_target:
        years = ctx.years
        values = sol.array(b.annual_deficit, (len(with_target), len(years)))
        duals = sol.row_duals(b.annual, (len(with_target), len(years)))
        for k, n in enumerate(with_target):
            i = ids.index(n)
            node = ctx.basin.nodes[n]
            for yi, y in enumerate(years):
                ts = ctx.steps_of_year(y)
                share = ctx.axis.days[ts] / ctx.axis.days[ts].sum()
                annual_req = node.annual_target_hm3 * year_share(ctx, y)  # type: ignore[union-attr]
                requirement[i, ts] = np.maximum(requirement[i, ts], annual_req * share)
                # an annual shortfall is shown in the year's last step
                deficit[i, ts[-1]] += values[k, yi]
                price[i, ts] += abs(duals[k, yi]) / ctx.year_discount(y)
    return {
        "env_flow": on_nodes(ctx, ids, inflow),
        "env_requirement": on_nodes(ctx, ids, requirement),
        "env_deficit": on_nodes(ctx, ids, deficit),
        "env_rule_price": on_nodes(ctx, ids, price),
    }
