"""The basin optimum with side payments against each country on its own.

**Each country on its own** (the non-cooperative reference): countries decide one after
the other, upstream first (``order``; default: the country that receives least water from
countries not yet placed, ties in the basin file's order: Kyrgyzstan, Uzbekistan, Tajikistan,
Kazakhstan on the Syr Darya). Each maximises its own welfare with its own infrastructure,
taking the flows that the countries before it pass across their borders as given; then
the flows it passes to the others are fixed. A last solve with every border flow fixed gives
each country its best use of what it is left with (the countries are then independent in
water).

**Together**: the one basin optimum (the model's own objective). Its surplus over the
non-cooperative outcome is shared by side payments that leave every country at least as
well off as on its own: ``equal`` shares, or ``proportional`` to the countries' welfare on
their own.

**The objective by country**: the model's objective is one linear expression (plus the
quadratic benefits' diagonal); every term is attributed to the country of the variable it
multiplies, by the variable's first index: a node (its ``country``), a link (the country of
the node it delivers to), an energy system (its country) or a country code (withdrawal
limits). This is the rule of the ledgers (:mod:`nexusmodel.results.ledgers`), so what a
country maximises is what its ledger shows. Terms of no country (a basin-wide rule's slack)
keep weight 1. While one country decides, the others' terms keep a small weight
(``others_weight``, 1e-3): among its own optima it picks the one best for its neighbours
(a tie-breaker, not an altruism that changes its choice).

A country's **welfare** is its net benefit minus its penalties (MUSD, discounted as the
run: :func:`nexusmodel.results.ledgers.net_benefit_by_country`): what the objective values.
On its own, a country trades no electricity with the others over the lines of a power
system (its outside trade stays). A scenario's water-for-energy exchange is left out of
both: the side payments take the agreement's place.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Literal

import pandas as pd
import pyomo.environ as pyo
import xarray as xr
from pyomo.repn import generate_standard_repn

from nexusmodel.basin.basin import Basin
from nexusmodel.errors import InputError, Problem
from nexusmodel.model import ModelOptions, build_model
from nexusmodel.model.expr import linear
from nexusmodel.results import extract_results
from nexusmodel.results.ledgers import net_benefit_by_country
from nexusmodel.solve import solve

__all__ = ["Cooperation", "cooperation", "country_order", "variable_country"]

Rule = Literal["equal", "proportional"]


def variable_country(basin: Basin) -> Callable[[object], str]:
    """The country a model variable belongs to, by its first index ("" for none)."""
    nodes = {n.id: n.country for n in basin.spec.nodes}
    links = {link.id: nodes.get(link.to, "") for link in basin.links}
    countries = set(nodes.values())
    # a power system's generators (their system's country) and lines (the sender's)
    for g in getattr(basin.spec, "generators", None) or []:
        links[g.id] = nodes.get(g.energy_system, "")
    for line in getattr(basin.spec, "interconnectors", None) or []:
        links[line.id] = nodes.get(line.from_, "")

    def of(var: object) -> str:
        index = var.index()  # type: ignore[attr-defined]
        first = index[0] if isinstance(index, tuple) else index
        if isinstance(first, str):
            if first in nodes:
                return nodes[first]
            if first in links:
                return links[first]
            if first in countries:
                return first
        return ""

    return of


def country_order(basin: Basin) -> list[str]:
    """Upstream first: repeatedly the country receiving water on the fewest links from
    countries not yet placed (ties: the basin file's order of countries)."""
    nodes = {n.id: n.country for n in basin.spec.nodes}
    listed = list(basin.spec.countries) + sorted(set(nodes.values()) - set(basin.spec.countries))
    present = [c for c in listed if c in set(nodes.values())]
    border = [
        (nodes[link.from_], nodes[link.to])
        for link in basin.links
        if nodes[link.from_] != nodes[link.to]
    ]
    order: list[str] = []
    while len(order) < len(present):
        left = [c for c in present if c not in order]
        order.append(
            min(
                left,
                key=lambda c: (
                    sum(1 for a, b in border if b == c and a not in order and a != c),
                    present.index(c),
                ),
            )
        )
    return order


class CountryObjective:
    """The model's objective split by country, to weight it (see the module docstring)."""

    def __init__(self, m: pyo.ConcreteModel, basin: Basin) -> None:
        repn = generate_standard_repn(m.objective.expr, compute_values=True, quadratic=False)
        of = variable_country(basin)
        self.m = m
        self.variables = list(repn.linear_vars)
        self.coefs = [float(c) for c in repn.linear_coefs]
        self.countries = [of(v) for v in self.variables]
        self.hessian = list(getattr(m, "objective_hessian", None) or [])
        self.hessian_countries = [of(v) for v, _q in self.hessian]

    def use(self, weights: Mapping[str, float]) -> None:
        """Maximise sum over terms of weight[country] x term (weight 1 for a country not
        named and for terms of no country)."""
        m = self.m
        m.objective.deactivate()
        if hasattr(m, "country_objective"):
            m.del_component("country_objective")
        coefs = [c * weights.get(k, 1.0) for c, k in zip(self.coefs, self.countries, strict=True)]
        m.country_objective = pyo.Objective(expr=linear(coefs, self.variables), sense=pyo.maximize)
        m.objective_hessian = [
            (v, q * weights.get(k, 1.0))
            for (v, q), k in zip(self.hessian, self.hessian_countries, strict=True)
        ]

    def restore(self) -> None:
        m = self.m
        if hasattr(m, "country_objective"):
            m.del_component("country_objective")
        m.objective.activate()
        m.objective_hessian = self.hessian


def _welfare(ds: xr.Dataset, basin: Basin) -> dict[str, float]:
    """Net benefit - penalties of each country (MUSD)."""
    frame = net_benefit_by_country(ds, basin)
    return {
        str(c): float(frame.loc[c, "net_benefit_musd"] - frame.loc[c, "penalties_musd"])
        for c in frame.index
    }


@dataclass(frozen=True)
class Cooperation:
    """Each country's welfare on its own and together, and the side payments (MUSD)."""

    order: tuple[str, ...]
    rule: Rule
    alone: dict[str, float]
    together: dict[str, float]
    side_payments: dict[str, float]  # + received, - paid; they sum to 0
    alone_results: xr.Dataset
    together_results: xr.Dataset

    @property
    def surplus_musd(self) -> float:
        return sum(self.together.values()) - sum(self.alone.values())

    def table(self) -> pd.DataFrame:
        """By country: on its own, together, side payment, together with payments, gain."""
        rows = {
            c: {
                "alone_musd": self.alone[c],
                "together_musd": self.together[c],
                "side_payment_musd": self.side_payments[c],
                "with_payments_musd": self.together[c] + self.side_payments[c],
                "gain_musd": self.together[c] + self.side_payments[c] - self.alone[c],
            }
            for c in self.order
        }
        frame = pd.DataFrame.from_dict(rows, orient="index")
        frame.index.name = "country"
        return frame


def side_payments(
    alone: Mapping[str, float], together: Mapping[str, float], rule: Rule = "equal"
) -> dict[str, float]:
    """Payments (+ received) that give each country its welfare on its own plus its share
    of the surplus: equal shares, or proportional to its welfare on its own."""
    surplus = sum(together.values()) - sum(alone.values())
    names = list(alone)
    if rule == "equal":
        share = {c: 1.0 / len(names) for c in names}
    else:
        if any(alone[c] <= 0 for c in names):
            raise InputError(
                [
                    Problem(
                        "cooperation rule",
                        "= 'proportional': a country's welfare on its own is <= 0 "
                        f"({ {c: round(alone[c], 1) for c in names} })",
                        "use rule 'equal'",
                    )
                ]
            )
        total = sum(alone.values())
        share = {c: alone[c] / total for c in names}
    return {c: alone[c] + share[c] * surplus - together[c] for c in names}


def cooperation(
    basin: Basin,
    options: ModelOptions | None = None,
    *,
    order: Sequence[str] | None = None,
    rule: Rule = "equal",
    others_weight: float = 1e-3,
) -> Cooperation:
    """Each country on its own (upstream first) against the basin optimum, and the side
    payments that share the surplus by ``rule`` (a basin with horizon series, as
    ``apply_scenario`` gives)."""
    options = options or ModelOptions()
    order = list(order) if order is not None else country_order(basin)
    nodes = {n.id: n.country for n in basin.spec.nodes}
    unknown = sorted(set(order) - set(nodes.values()))
    if unknown:
        raise InputError([Problem("cooperation order", f"countries {unknown} have no node")])
    if basin.policy.exchange is not None:  # side payments take the agreement's place
        basin = basin.with_policy(replace(basin.policy, exchange=None))
    m = build_model(basin, options)
    ctx = m.context
    split = CountryObjective(m, basin)
    together = extract_results(m, solve(m, options))
    lines = getattr(m, "interconnectors", None)
    if lines is not None:  # on its own: no trade over the lines between the countries
        for flows in (lines.forward, lines.backward):
            for var in flows.values():
                var.setub(0.0)
    border = {
        c: [link.id for link in basin.links if nodes[link.from_] == c and nodes[link.to] != c]
        for c in order
    }
    for country in order:
        split.use({c: (1.0 if c == country else others_weight) for c in nodes.values()})
        solution = solve(m, options).solution
        assert solution is not None  # an optimal solve has one
        flows = solution.array(m.link.flow, (len(ctx.link_ids), len(ctx.axis)))
        for lid in border[country]:
            row = ctx.link_ids.index(lid)
            for t in ctx.steps:
                var = m.link.flow[lid, t]
                var.setlb(float(flows[row, t]))
                var.setub(float(flows[row, t]))
    split.restore()
    alone_ds = extract_results(m, solve(m, options))
    alone = _welfare(alone_ds, basin)
    with_all = _welfare(together, basin)
    alone = {c: alone.get(c, 0.0) for c in order}
    together_w = {c: with_all.get(c, 0.0) for c in order}
    return Cooperation(
        tuple(order),
        rule,
        alone,
        together_w,
        side_payments(alone, together_w, rule),
        alone_ds,
        together,
    )
