"""Operating rules from a scenario's policy: seasonal release shares, agreed releases, spill caps.

The rules come from ``basin.policy`` (:class:`nexusmodel.basin.basin.Policy`, set by
``apply_scenario``). ``R[r,t]`` is the release of reservoir r (the sum of its outflow links,
hm3) and ``Y`` the complete calendar years of the horizon. Every rule has a named slack
(hard: fixed at 0; soft: ``penalty_usd_per_m3`` per m3, MUSD per hm3)::

    sum_{t in S_y} R[r,t] + season_short[r,y]  >= s_min * sum_{t in y} R[r,t]   (y in Y)
    sum_{t in S_y} R[r,t] - season_excess[r,y] <= s_max * sum_{t in y} R[r,t]   (y in Y)
    R[r,t] + release_short[r,t] >= q_agreed[r,month(t)] * seconds[t] / 1e6       (hm3)
    sum_{t in y} X[k,t] - spill_excess[k,y]   <= cap_year[k] * share of year y
    X[k,t] - spill_rate_excess[k,t]           <= cap_rate[k] * seconds[t] / 1e6

``S_y`` are the steps of year y in the rule's months (e.g. April-September: the 1984 protocol
asks for >= 75 % of Toktogul's annual release then). ``X[k,t]`` is the water sent to sink k
by every link into it except return channels (drainage is not a spill).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyomo.environ as pyo
import xarray as xr

from nexusmodel.basin.basin import Policy
from nexusmodel.model.arrays import SolutionValues, on_nodes
from nexusmodel.model.context import BuildContext, Rule, Term
from nexusmodel.model.expr import linear

NAME = "release_rules"


def policy(ctx: BuildContext) -> Policy:
    return getattr(ctx.basin, "policy", None) or Policy()


def full_years(ctx: BuildContext) -> list[int]:
    """Calendar years whose steps cover all twelve months."""
    months = ctx.axis.calendar_months
    return [y for y in ctx.years if len(set(months[ctx.steps_of_year(y)].tolist())) == 12]


def release_vars(m: pyo.ConcreteModel, ctx: BuildContext, node: str, t: int) -> list[object]:
    return [m.link.flow[lid, t] for lid in ctx.links_out(node)]


def spill_links(ctx: BuildContext, sink: str) -> list[str]:
    """Links into ``sink`` that are not return channels."""
    return [link.id for link in ctx.basin.links if link.to == sink and link.kind != "return"]


def _penalty(ctx: BuildContext, value: float) -> float:
    """Cost of a breach per hm3: the rule's penalty, or the first rank's weight (priority)."""
    if ctx.options.objective == "priority":
        return float(10.0 ** max(ctx.options.priorities.values()))
    return value


def _year_share(ctx: BuildContext, year: int) -> float:
    days = ctx.axis.days[ctx.steps_of_year(year)].sum()
    return float(days / (366.0 if year % 4 == 0 and (year % 100 or year % 400 == 0) else 365.0))


@dataclass(frozen=True)
class ReleaseRuleData:
    """The data-dependent numbers of the scenario rules (in the policy's order), read by the
    build and by the in-place updates (:mod:`nexusmodel.solve.lpdata`); NaN: no cap."""

    agreed_min_hm3: np.ndarray  # agreed releases x steps
    spill_rate_cap_hm3: np.ndarray  # spill caps x steps: the rate cap over each step
    spill_year_cap_hm3: np.ndarray  # spill caps x years: the annual cap times the year's share


def data(ctx: BuildContext) -> ReleaseRuleData:
    """Every data-dependent number of the agreed-release and spill-cap rows."""
    pol = policy(ctx)
    months = ctx.axis.calendar_months
    n_t = len(ctx.axis)
    shares = np.array([_year_share(ctx, y) for y in ctx.years])
    return ReleaseRuleData(
        np.array(
            [
                ctx.m3s_to_hm3(np.asarray(r.release_m3s, dtype=float)[months - 1])
                for r in pol.min_releases
            ],
            dtype=float,
        ).reshape(len(pol.min_releases), n_t),
        np.array(
            [
                ctx.m3s_to_hm3(np.full(n_t, np.nan if c.max_m3s is None else c.max_m3s))
                for c in pol.spill_caps
            ],
            dtype=float,
        ).reshape(len(pol.spill_caps), n_t),
        np.array(
            [
                (np.nan if c.max_hm3_per_year is None else c.max_hm3_per_year) * shares
                for c in pol.spill_caps
            ],
            dtype=float,
        ).reshape(len(pol.spill_caps), len(shares)),
    )


def add_to_model(m: pyo.ConcreteModel, ctx: BuildContext) -> None:
    b = m.release_rules = pyo.Block()
    pol = policy(ctx)
    numbers = data(ctx)
    years = full_years(ctx)
    months = ctx.axis.calendar_months

    shares = {r.node: r for r in pol.season_shares}
    low = [(n, y) for n, r in shares.items() if r.min_share is not None for y in years]
    high = [(n, y) for n, r in shares.items() if r.max_share is not None for y in years]
    b.season_low = pyo.Set(initialize=low, dimen=2, ordered=True)
    b.season_high = pyo.Set(initialize=high, dimen=2, ordered=True)
    b.season_short = pyo.Var(
        b.season_low, bounds=lambda _b, n, y: (0.0, 0.0 if shares[n].hard else None)
    )
    b.season_excess = pyo.Var(
        b.season_high, bounds=lambda _b, n, y: (0.0, 0.0 if shares[n].hard else None)
    )

    def season_terms(n: str, y: int, share: float) -> tuple[list[float], list[object]]:
        """(1 - s) * releases in the season - s * releases outside it."""
        coefs: list[float] = []
        variables: list[object] = []
        in_season = set(shares[n].months)
        for t in ctx.steps_of_year(y):
            coef = (1.0 - share) if int(months[t]) in in_season else -share
            flows = release_vars(m, ctx, n, int(t))
            coefs += [coef] * len(flows)
            variables += flows
        return coefs, variables

    def season_min(_b: pyo.Block, n: str, y: int) -> object:
        """sum_S R + season_short >= s_min * sum_y R   (hm3)."""
        coefs, variables = season_terms(n, y, float(shares[n].min_share))  # type: ignore[arg-type]
        return linear([*coefs, 1.0], [*variables, b.season_short[n, y]]) >= 0.0

    def season_max(_b: pyo.Block, n: str, y: int) -> object:
        """sum_S R - season_excess <= s_max * sum_y R   (hm3)."""
        coefs, variables = season_terms(n, y, float(shares[n].max_share))  # type: ignore[arg-type]
        return linear([*coefs, -1.0], [*variables, b.season_excess[n, y]]) <= 0.0

    b.season_min = pyo.Constraint(b.season_low, rule=season_min)
    b.season_max = pyo.Constraint(b.season_high, rule=season_max)

    agreed = {r.node: r for r in pol.min_releases}
    minimum = {r.node: numbers.agreed_min_hm3[i] for i, r in enumerate(pol.min_releases)}
    keys = [(n, t) for n in agreed for t in ctx.steps if minimum[n][t] > 0]
    b.agreed = pyo.Set(initialize=keys, dimen=2, ordered=True)
    b.release_short = pyo.Var(
        b.agreed, bounds=lambda _b, n, t: (0.0, 0.0 if agreed[n].hard else None)
    )

    def agreed_release(_b: pyo.Block, n: str, t: int) -> object:
        """R[r,t] + release_short[r,t] >= agreed minimum   (hm3)."""
        flows = release_vars(m, ctx, n, t)
        return linear([1.0] * (len(flows) + 1), [*flows, b.release_short[n, t]]) >= float(
            minimum[n][t]
        )

    b.agreed_release = pyo.Constraint(b.agreed, rule=agreed_release)

    caps = {r.node: r for r in pol.spill_caps}
    cap_row = {r.node: i for i, r in enumerate(pol.spill_caps)}
    year_pos = {y: k for k, y in enumerate(ctx.years)}
    into = {n: spill_links(ctx, n) for n in caps}
    yearly = [(n, y) for n, r in caps.items() if r.max_hm3_per_year is not None for y in ctx.years]
    rate = [(n, t) for n, r in caps.items() if r.max_m3s is not None for t in ctx.steps]
    b.spill_yearly = pyo.Set(initialize=yearly, dimen=2, ordered=True)
    b.spill_rate = pyo.Set(initialize=rate, dimen=2, ordered=True)
    b.spill_excess = pyo.Var(
        b.spill_yearly, bounds=lambda _b, n, y: (0.0, 0.0 if caps[n].hard else None)
    )
    b.spill_rate_excess = pyo.Var(
        b.spill_rate, bounds=lambda _b, n, t: (0.0, 0.0 if caps[n].hard else None)
    )

    def spill_year(_b: pyo.Block, n: str, y: int) -> object:
        """sum_{t in y} X[k,t] - spill_excess[k,y] <= cap * share of year y   (hm3)."""
        flows = [m.link.flow[lid, int(t)] for t in ctx.steps_of_year(y) for lid in into[n]]
        cap = float(numbers.spill_year_cap_hm3[cap_row[n], year_pos[y]])
        return linear([1.0] * len(flows) + [-1.0], [*flows, b.spill_excess[n, y]]) <= cap

    def spill_step(_b: pyo.Block, n: str, t: int) -> object:
        """X[k,t] - spill_rate_excess[k,t] <= cap_rate * seconds / 1e6   (hm3)."""
        flows = [m.link.flow[lid, t] for lid in into[n]]
        cap = float(numbers.spill_rate_cap_hm3[cap_row[n], t])
        return linear([1.0] * len(flows) + [-1.0], [*flows, b.spill_rate_excess[n, t]]) <= cap

    b.spill_year = pyo.Constraint(b.spill_yearly, rule=spill_year)
    b.spill_step = pyo.Constraint(b.spill_rate, rule=spill_step)

    ctx.rules += [
        Rule(
            "minimum seasonal release share",
            b.season_short,
            "hm3",
            "year",
            "seasonal release share of {key} in {when}: the season's release short by {value:.1f} hm3",
        ),
        Rule(
            "maximum seasonal release share",
            b.season_excess,
            "hm3",
            "year",
            "seasonal release share of {key} in {when}: the season's release over by {value:.1f} hm3",
        ),
        Rule(
            "agreed minimum release",
            b.release_short,
            "hm3",
            "step",
            "agreed minimum release of {key} in {when}: short by {value:.1f} hm3",
        ),
        Rule(
            "annual spill cap",
            b.spill_excess,
            "hm3",
            "year",
            "spill to {key} in {when}: above its annual cap by {value:.1f} hm3",
        ),
        Rule(
            "spill rate cap",
            b.spill_rate_excess,
            "hm3",
            "step",
            "spill to {key} in {when}: above its rate cap by {value:.1f} hm3",
        ),
    ]


def balance_terms(m: pyo.ConcreteModel, ctx: BuildContext) -> list[Term]:
    return []


def balance_rhs(ctx: BuildContext) -> dict[str, np.ndarray]:
    return {}


def objective(m: pyo.ConcreteModel, ctx: BuildContext) -> object:
    """- penalty * breach of every soft rule (MUSD; hard rules have their slack fixed at 0)."""
    b = m.release_rules
    pol = policy(ctx)
    coefs: list[float] = []
    variables: list[object] = []
    penalties = {
        "season": {r.node: r.penalty_usd_per_m3 for r in pol.season_shares},
        "agreed": {r.node: r.penalty_usd_per_m3 for r in pol.min_releases},
        "spill": {r.node: r.penalty_usd_per_m3 for r in pol.spill_caps},
    }
    for var, kind, period in (
        (b.season_short, "season", "year"),
        (b.season_excess, "season", "year"),
        (b.release_short, "agreed", "step"),
        (b.spill_excess, "spill", "year"),
        (b.spill_rate_excess, "spill", "step"),
    ):
        for n, when in var:
            disc = ctx.year_discount(when) if period == "year" else float(ctx.discount[when])
            coefs.append(-_penalty(ctx, penalties[kind][n]) * disc)
            variables.append(var[n, when])
    return linear(coefs, variables)


def extract(
    m: pyo.ConcreteModel, ctx: BuildContext, sol: SolutionValues
) -> dict[str, xr.DataArray]:
    """``release_rule_breach`` (hm3) at the rule's node, only when the scenario sets rules.

    A yearly breach (seasonal share, annual spill cap) is shown in the year's last step.
    """
    if not policy(ctx):
        return {}
    b = m.release_rules
    ids = ctx.water_nodes
    row = {n: i for i, n in enumerate(ids)}
    breach = np.zeros((len(ids), len(ctx.axis)))
    for var, period in (
        (b.season_short, "year"),
        (b.season_excess, "year"),
        (b.release_short, "step"),
        (b.spill_excess, "year"),
        (b.spill_rate_excess, "step"),
    ):
        keys = list(var.keys())
        if not keys:
            continue
        values = sol.array(var, (len(keys),))
        for (n, when), value in zip(keys, values, strict=True):
            t = int(ctx.steps_of_year(when)[-1]) if period == "year" else int(when)
            breach[row[n], t] += value
    ruled = {
        r.node for group in (policy(ctx).season_shares, policy(ctx).min_releases) for r in group
    }
    ruled |= {r.node for r in policy(ctx).spill_caps}
    mask = np.array([n in ruled for n in ids])
    breach[~mask] = np.nan
    da = on_nodes(ctx, ids, breach)
    da.attrs.update(units="hm3", long_name="breach of a scenario release rule (slack)")
    return {"release_rule_breach": da}
