"""Seasonal release shares of a scenario policy in rolling windows that cut calendar years.

A share rule bounds the part of a reservoir's *calendar-year* release that falls in some
months (``release_rules``: e.g. at most 45 % of Toktogul's annual release in April-September).
The component writes it only for whole calendar years of a model; a 12-month window
starting in March has none. In a window, for each rule and each calendar year y the window
touches, with R[t] the reservoir's release, c[t] = 1 - s in the rule's months and -s in the
others, and P the same sum over the kept steps of y before the window (a constant)::

    sum_{t in y, in the window} c[t] R[t] + short[y] >= -P     (minimum share s)
    sum_{t in y, in the window} c[t] R[t] - excess[y] <= -P    (maximum share s)

is imposed once the window reaches the end of year y (it then knows the whole year: the
kept past and its own months); before that the row is lifted (a window that sees only the
start of a year cannot know how the year's release will split). The slacks cost the rule's
penalty, or 1,000 USD/m3 (the top priority weight) for a hard rule, so that a share that
earlier windows made impossible does not make a window infeasible; the stitched results
report the breaches of the whole years. The component's own rows are left out of window
models (these replace them). Month-by-month simulation imposes none (rule curves are its
operating policy); its breaches are reported the same way.
"""

from __future__ import annotations

import numpy as np
import pyomo.environ as pyo

from nexusmodel.model.context import BuildContext
from nexusmodel.model.expr import linear
from nexusmodel.solve.highs import INF, HighsBackend

HARD_PENALTY_USD_PER_M3 = 1000.0


def _shares(ctx: BuildContext) -> tuple:
    from nexusmodel.model.components import release_rules

    return tuple(release_rules.policy(ctx).season_shares)


def add_window_season_rows(m: pyo.ConcreteModel, ctx: BuildContext) -> None:
    """Window rows of every seasonal share rule, one per calendar year of the window (see the
    module docstring); the component's whole-year rows are deactivated."""
    shares = _shares(ctx)
    if not shares:
        return
    from nexusmodel.model.components import release_rules

    if hasattr(m, "release_rules"):
        m.release_rules.season_min.deactivate()
        m.release_rules.season_max.deactivate()
    b = m.window_season = pyo.Block()
    n_y = len(ctx.years)
    keys = [
        (i, bound, k)
        for i, r in enumerate(shares)
        for bound, share in (("min", r.min_share), ("max", r.max_share))
        if share is not None
        for k in range(n_y)
    ]
    b.share_keys = pyo.Set(initialize=keys, dimen=3, ordered=True)
    b.slack = pyo.Var(b.share_keys, within=pyo.NonNegativeReals)
    months = ctx.axis.calendar_months

    def row(_b: pyo.Block, i: int, bound: str, k: int) -> object:
        """sum c[t] R[t] + short >= -P (min) or sum c[t] R[t] - excess <= -P (max)   (hm3)."""
        rule = shares[i]
        share = float(rule.min_share if bound == "min" else rule.max_share)
        coefs: list[float] = []
        variables: list[object] = []
        for t in ctx.steps_of_year(ctx.years[k]):
            flows = release_rules.release_vars(m, ctx, rule.node, int(t))
            c = (1.0 - share) if int(months[t]) in set(rule.months) else -share
            coefs += [c] * len(flows)
            variables += flows
        if bound == "min":
            return linear([*coefs, 1.0], [*variables, b.slack[i, bound, k]]) >= 0.0
        return linear([*coefs, -1.0], [*variables, b.slack[i, bound, k]]) <= 0.0

    b.rows = pyo.Constraint(b.share_keys, rule=row)


class SeasonAccounts:
    """Releases kept so far, in and out of each rule's months, by calendar year; and the
    per-window settings of the window rows."""

    def __init__(self, ctx: BuildContext, step_year: np.ndarray, n_years: int) -> None:
        self.ctx = ctx
        self.shares = _shares(ctx)
        self.step_year = step_year
        self.months = ctx.axis.calendar_months
        links = [lk.id for lk in ctx.basin.links]
        # (rules x links): which links carry each rule's release
        self.release = np.array(
            [[1.0 if lk.from_ == r.node else 0.0 for lk in ctx.basin.links] for r in self.shares]
        ).reshape(len(self.shares), len(links))
        self.in_season = np.array(
            [[int(m) in set(r.months) for m in self.months] for r in self.shares], dtype=bool
        ).reshape(len(self.shares), len(self.months))
        self.kept_in = np.zeros((len(self.shares), n_years))
        self.kept_out = np.zeros((len(self.shares), n_years))
        self.last_step = np.array(
            [np.flatnonzero(step_year == y)[-1] for y in range(n_years)], dtype=np.int64
        )

    def __bool__(self) -> bool:
        return bool(self.shares)

    def keep(self, start: int, flows: np.ndarray) -> None:
        """Add the kept steps' release (``flows``: links x kept steps from ``start``)."""
        steps = np.arange(start, start + flows.shape[1])
        release = self.release @ flows  # rules x kept steps
        season = self.in_season[:, steps]
        years = self.step_year[steps]
        for j, y in enumerate(years):
            self.kept_in[:, y] += np.where(season[:, j], release[:, j], 0.0)
            self.kept_out[:, y] += np.where(season[:, j], 0.0, release[:, j])

    def push(
        self,
        m: pyo.ConcreteModel,
        backend: HighsBackend,
        start: int,
        stop: int,
        year_discount: np.ndarray,
        priority_weight: float | None,
    ) -> None:
        """Coefficients, right-hand sides and slack costs of the window's season rows."""
        if not hasattr(m, "window_season"):
            return
        b = m.window_season
        keys = list(b.share_keys)
        rows = backend.rows_of(b.rows)
        slack = backend.columns_of(b.slack)
        first = int(self.step_year[start])
        lower = np.full(len(keys), -INF)
        upper = np.full(len(keys), INF)
        cost = np.zeros(len(keys))
        coef_rows: list[int] = []
        coef_cols: list[int] = []
        coef_values: list[float] = []
        flow_cols = backend.columns_of(m.link.flow).reshape(len(self.ctx.link_ids), -1)
        for j, (i, bound, k) in enumerate(keys):
            rule = self.shares[i]
            share = float(rule.min_share if bound == "min" else rule.max_share)
            y = first + int(k)
            steps = np.flatnonzero(self.step_year[start:stop] == y)
            for t in steps:
                c = (1.0 - share) if self.in_season[i, start + t] else -share
                for link_index in np.flatnonzero(self.release[i]):
                    coef_rows.append(int(rows[j]))
                    coef_cols.append(int(flow_cols[link_index, t]))
                    coef_values.append(c)
            if stop - 1 < self.last_step[y]:
                continue  # the window does not see the end of the year: lifted
            past = (1.0 - share) * self.kept_in[i, y] - share * self.kept_out[i, y]
            if bound == "min":
                lower[j] = -past
            else:
                upper[j] = -past
            penalty = (
                priority_weight
                if priority_weight is not None
                else (HARD_PENALTY_USD_PER_M3 if rule.hard else rule.penalty_usd_per_m3)
            )
            cost[j] = -penalty * float(year_discount[k])
        if coef_rows:
            backend.set_coefficients(
                np.array(coef_rows), np.array(coef_cols), np.array(coef_values)
            )
        keep = rows >= 0
        backend.set_row_bounds(rows[keep], lower[keep], upper[keep])
        backend.set_costs(slack, cost)
