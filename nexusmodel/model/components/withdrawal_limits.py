"""Interstate withdrawal limits: what a country's water users may take in a year (or in the
months of a season), as the states agree each season (a scenario's ``policy:
withdrawal_limits``).

For each limit (country c, months M, limit L hm3 a year) and calendar year y::

    sum over t in y with month(t) in M, over links l into c's irrigation, municipal and
    demand nodes of flow[l,t]  -  excess[c,y]  <=  L * share[c,y]                      (hm3)

``share`` is the part of the months M the model's steps of year y cover (1 for a whole
year; less for a horizon or window that starts or ends inside it). A hard limit fixes
``excess`` at 0; a soft one costs ``penalty_usd_per_m3`` per m3 beyond it (discounted at the
year's first step). Withdrawals are counted at the intakes: the flow entering the links
into the users (before their conveyance losses).

The limit is constant over the years: a model pushed to other years in place
(:mod:`nexusmodel.solve.lpdata`) keeps its rows as built; rolling windows apply the limit
to the part of each year they see, without counting what earlier windows took.
"""

from __future__ import annotations

import calendar

import numpy as np
import pyomo.environ as pyo
import xarray as xr

from nexusmodel.basin.basin import Policy, WithdrawalLimit
from nexusmodel.model.arrays import SolutionValues
from nexusmodel.model.context import BuildContext, Rule, Term
from nexusmodel.model.expr import linear

NAME = "withdrawal_limits"
#: the node types whose intakes count as a country's withdrawals
USERS = ("irrigation", "municipal", "demand")


def limits(ctx: BuildContext) -> tuple[WithdrawalLimit, ...]:
    policy = getattr(ctx.basin, "policy", None) or Policy()
    return policy.withdrawal_limits


def intakes(ctx: BuildContext, country: str) -> list[str]:
    """Links into the water users of ``country`` (return channels between users included:
    water passed from one user to another is taken again)."""
    users = {n.id for n in ctx.basin.nodes_of_type(*USERS) if n.country == country}
    return [link.id for link in ctx.basin.links if link.to in users]


def covered_share(ctx: BuildContext, year: int, months: tuple[int, ...]) -> float:
    """Days of year ``year``'s steps in ``months`` / days of those months in that year."""
    steps = ctx.steps_of_year(year)
    in_months = np.isin(np.asarray(ctx.axis.start.month)[steps], months)
    covered = float(ctx.axis.days[steps][in_months].sum())
    total = float(sum(calendar.monthrange(year, m)[1] for m in months))
    return covered / total


def add_to_model(m: pyo.ConcreteModel, ctx: BuildContext) -> None:
    b = m.withdrawal_limits = pyo.Block()
    rules = {rule.country: rule for rule in limits(ctx)}
    keys = [(c, int(y)) for c in rules for y in ctx.years]
    b.country_years = pyo.Set(initialize=keys, dimen=2, ordered=True)
    b.excess = pyo.Var(
        b.country_years, bounds=lambda _b, c, y: (0.0, 0.0 if rules[c].hard else None)
    )
    month_of = np.asarray(ctx.axis.start.month)

    def limit(_b: pyo.Block, c: str, y: int) -> object:
        """sum of intake flows in the limit's months of y - excess[c,y] <= L * share   (hm3)."""
        rule = rules[c]
        steps = [int(t) for t in ctx.steps_of_year(y) if month_of[t] in rule.months]
        flows = [m.link.flow[lid, t] for t in steps for lid in intakes(ctx, c)]
        cap = rule.max_hm3_per_year * covered_share(ctx, y, rule.months)
        return linear([1.0] * len(flows) + [-1.0], [*flows, b.excess[c, y]]) <= cap

    b.limit = pyo.Constraint(b.country_years, rule=limit)
    ctx.rules.append(
        Rule(
            "withdrawal limit",
            b.excess,
            "hm3",
            "year",
            "withdrawal limit {key} in {when}: exceeded by {value:.1f} hm3",
        )
    )


def balance_terms(m: pyo.ConcreteModel, ctx: BuildContext) -> list[Term]:
    return []


def balance_rhs(ctx: BuildContext) -> dict[str, np.ndarray]:
    return {}


def objective(m: pyo.ConcreteModel, ctx: BuildContext) -> object:
    """- penalty * excess[k,y] * discount of y's first step (MUSD; hard limits: excess = 0)."""
    rules = {rule.country: rule for rule in limits(ctx)}
    b = m.withdrawal_limits
    coefs = [-rules[c].penalty_usd_per_m3 * ctx.year_discount(y) for c, y in b.country_years]
    return linear(coefs, [b.excess[c, y] for c, y in b.country_years])


def extract(
    m: pyo.ConcreteModel, ctx: BuildContext, sol: SolutionValues
) -> dict[str, xr.DataArray]:
    return {}
