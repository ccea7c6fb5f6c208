"""Month-by-month simulation with reservoir operating rules, as WEAP and Pywr do.

Each month is solved alone (a window of one month, no foresight), on one window model
updated in place, with the objective of the options: ``objective: priority`` allocates by
ranks turned into weights (each rank outweighs all lower ones: WEAP's allocation),
``economic`` by net benefit. Reservoirs follow operating rules (:class:`ReservoirRules`)
instead of a value of stored water, with WEAP's zones, by calendar month m::

    capacity or rule-curve maximum   top of the flood zone (hard, as in every mode)
    target[r, m]                     top of conservation: storage up to it is kept, with the
                                     reservoir's filling priority; above it, released
    buffer_top[r, m]                 top of the buffer zone (default: the rule-curve
                                     minimum, or dead storage)
    dead storage                     top of the inactive zone: never released

    S[r,t] >= D + (1 - c) * (clip(S[r,t-1], D, B) - D)      (D dead storage, B buffer top,
                                                             c buffer coefficient 0..1)

so of the water in the buffer zone at the start of the month, at most the share c can be
released in the month; above the buffer zone, water is released freely when a use of higher
priority than the reservoir needs it. Storage up to the target earns ``fill[r,t]`` (hm3,
``fill <= S``, ``fill <= target``) times the filling value: in the priority objective the
weight of a rank half a rank above hydropower (or of ``priorities["reservoir"]``), so water
is kept ahead of generation but given up for every water demand; in the economic objective
``fill_value_usd_per_m3`` (default: the reference run's marginal value of water at the
reservoir in that calendar month), never less than :func:`keep_value`, so water up to the
rule curve is kept rather than spilled whatever the reference run says (WEAP and Pywr keep
it; a reference run that spills values it at 0). Storage above the target pays a tie-breaker per hm3
(``spill_penalty_usd_per_m3``), so it is released when nothing else uses it.

With the economic objective the horizon's last month keeps the basin's own end rule
(``end_storage``), as optimize and rolling do, so that the modes' net benefits compare; the
priority objective (WEAP's allocation) has no end condition.

Hydropower uses the head of the storage at the beginning of the month (no head iteration).
A month whose inflow cannot even keep the storage above the zone's floor (evaporation over
inflow) breaks the floor through a slack priced above everything else. Crop areas are the
available areas (a month sees no season); see :mod:`nexusmodel.modes.window`.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pyomo.environ as pyo

from nexusmodel.basin.basin import Basin
from nexusmodel.basin.schema import ReservoirNode
from nexusmodel.model.components import demand, land
from nexusmodel.model.context import BuildContext, nodes_of_class
from nexusmodel.model.expr import linear
from nexusmodel.model.options import ModelOptions
from nexusmodel.modes.engine import (
    ModeRun,
    Reference,
    WindowPolicy,
    WindowRun,
    full_model_for,
    stitched_results,
    window_timings,
)
from nexusmodel.modes.stitch import Stitcher
from nexusmodel.modes.window import Window, WindowModel, plan_windows
from nexusmodel.solve.highs import INF
from nexusmodel.solve.live import layout
from nexusmodel.solve.update import set_end_storage_target, set_end_storage_value

DEFAULT_FILL_VALUE_USD_PER_M3 = 0.01


@dataclass(frozen=True)
class ReservoirRules:
    """Operating rules of the reservoirs by calendar month (12 values each; hm3, USD/m3).

    ``target_hm3``: storage to hold at the end of each month (rule curve, top of the
    conservation zone). ``buffer_top_hm3``: top of the buffer zone; ``buffer_coefficient``:
    share of the buffer zone's water that may be released in a month (0..1, default 1).
    ``fill_value_usd_per_m3``: value of storage up to the target in the economic objective.
    A reservoir not named in a mapping takes the default of :meth:`for_basin`.
    """

    target_hm3: Mapping[str, Sequence[float]]
    buffer_top_hm3: Mapping[str, Sequence[float]] = field(default_factory=dict)
    buffer_coefficient: Mapping[str, float] = field(default_factory=dict)
    fill_value_usd_per_m3: Mapping[str, Sequence[float]] = field(default_factory=dict)
    source: str = "given"

    @classmethod
    def for_basin(cls, basin: Basin) -> ReservoirRules:
        """WEAP's defaults: keep the reservoirs full (target = capacity, or the rule-curve
        maximum), buffer zone up to the rule-curve minimum, buffer coefficient 1."""
        series = basin.series
        targets, buffers = {}, {}
        for r in nodes_of_class(basin, ReservoirNode).values():
            upper = np.full(12, r.capacity_hm3)
            lower = np.full(12, r.dead_storage_hm3)
            if series is not None:
                months = series.months.month.to_numpy()
                for m in range(1, 13):
                    sel = months == m
                    if sel.any():
                        upper[m - 1] = min(
                            upper[m - 1], float(series.rule_max_hm3[r.id].to_numpy()[sel].min())
                        )
                        lower[m - 1] = max(
                            lower[m - 1], float(series.rule_min_hm3[r.id].to_numpy()[sel].max())
                        )
            targets[r.id] = upper.tolist()
            buffers[r.id] = lower.tolist()
        return cls(targets, buffers, source="basin")

    @classmethod
    def from_reference(cls, basin: Basin, reference: Reference) -> ReservoirRules:
        """Rule curves of the optimal operation: the reference run's mean end-of-month
        storage by calendar month, and its mean marginal value of water (clipped at 0) as
        the filling value; buffer zones as :meth:`for_basin`."""
        base = cls.for_basin(basin)
        months = basin.series.months.month.to_numpy()  # type: ignore[union-attr]
        targets, values = {}, {}
        for r, storage in reference.storage.items():
            targets[r] = [float(storage[months == m].mean()) for m in range(1, 13)]
            mv = reference.marginal_value[r]
            values[r] = [max(float(np.nanmean(mv[months == m])), 0.0) for m in range(1, 13)]
        return cls(targets, base.buffer_top_hm3, {}, values, source="reference run")

    def monthly(
        self, basin: Basin, month: int
    ) -> dict[str, tuple[float, float, float, float | None]]:
        """(target, buffer top, buffer coefficient, fill value or None) of each reservoir."""
        base = ReservoirRules.for_basin(basin) if self.source != "basin" else self
        out = {}
        for r in basin.ids_of_type("reservoir"):
            target = (self.target_hm3.get(r) or base.target_hm3[r])[month - 1]
            buffer = (self.buffer_top_hm3.get(r) or base.buffer_top_hm3[r])[month - 1]
            coef = float(self.buffer_coefficient.get(r, 1.0))
            values = self.fill_value_usd_per_m3.get(r)
            out[r] = (
                float(target),
                float(buffer),
                coef,
                None if values is None else float(values[month - 1]),
            )
        return out


def add_rule_curve(m: pyo.ConcreteModel, ctx: BuildContext) -> None:
    """fill[r,t] <= S[r,t] (hm3): the storage counted up to the rule curve (bounded by it)."""
    b = m.rule_curve = pyo.Block()
    ids = list(m.reservoir.ids)
    b.fill = pyo.Var(ids, ctx.steps, within=pyo.NonNegativeReals)

    def below_storage(_b: pyo.Block, r: str, t: int) -> object:
        """fill[r,t] - S[r,t] <= 0   (hm3)."""
        return linear([1.0, -1.0], [b.fill[r, t], m.reservoir.storage[r, t]]) <= 0

    b.below_storage = pyo.Constraint(ids, ctx.steps, rule=below_storage)


def fill_weight(options: ModelOptions) -> float:
    """Priority weight per hm3 kept up to the rule curve: the rank ``priorities["reservoir"]``,
    or half a rank above hydropower's."""
    ranks = options.priorities
    top = max(ranks.values())
    rank = ranks.get("reservoir", ranks.get("hydropower", top + 1) - 0.5)
    return float(10.0 ** (top + 1 - rank))


def keep_value(options: ModelOptions) -> float:
    """Least value per m3 of storage up to the rule curve in the economic objective (USD/m3):
    ten times the spill tie-breaker (at least 0.001), so water up to the rule curve is kept
    rather than spilled to a sink, as WEAP and Pywr keep it, even when the reference run
    values it at 0 (a wet run that spills); any use worth more still takes it."""
    return max(1e-3, 10.0 * options.spill_penalty_usd_per_m3)


class SimulatePolicy(WindowPolicy):
    heads = "start"  # the head of the storage at the beginning of the month
    season_rules = False  # rule curves are the operating policy (modes.seasons)

    def __init__(self, basin: Basin, options: ModelOptions, rules: ReservoirRules) -> None:
        self.basin = basin
        self.options = options
        self.rules = rules
        self._penalty: dict[int, float] = {}
        self._monthly = {m: rules.monthly(basin, m) for m in range(1, 13)}

    def end_rule(self, run: WindowRun, wm: WindowModel, win: Window) -> None:
        if not run.reservoirs:
            return
        last = win.stop == run.n_steps
        if not last or self.options.objective == "priority":
            # no foresight: the rule curve, not an end value, keeps water (WEAP's allocation
            # has no end condition)
            set_end_storage_value(wm.model, wm.backend, 0.0)
            return
        # economic objective: the horizon's last month keeps the basin's own end rule, as
        # optimize and rolling do, so that their net benefits compare (a storage short of it
        # is priced above everything else, never infeasible)
        targets, values = {}, {}
        for r in run.reservoirs:
            node = nodes_of_class(self.basin, ReservoirNode)[r]
            if node.end_storage == "initial":
                targets[r] = node.initial_storage_hm3
            else:
                values[r] = node.terminal_value_usd_per_m3 if node.end_storage == "value" else 0.0
        if values:
            set_end_storage_value(wm.model, wm.backend, values)
        if targets:
            set_end_storage_target(wm.model, wm.backend, targets, self._zone_penalty(wm))

    def setup(self, run: WindowRun, wm: WindowModel, win: Window) -> None:
        if not run.reservoirs:
            return
        m, backend = wm.model, wm.backend
        lay = layout(m, backend)
        month = int(run.models.axis.start[win.start].month)
        rules = self._monthly[month]
        ids = list(m.reservoir.ids)
        priority = self.options.objective == "priority"
        s0 = run.storage
        floors, targets, fill = [], [], []
        for i, r in enumerate(ids):
            target, buffer, coef, value = rules[r]
            dead = nodes_of_class(self.basin, ReservoirNode)[r].dead_storage_hm3
            buffer = max(buffer, dead)
            in_buffer = min(max(s0[i], dead), buffer) - dead
            floors.append(dead + (1.0 - coef) * in_buffer)
            targets.append(target)
            if priority:
                fill.append(fill_weight(self.options))
            else:  # never below the value that keeps water up to the rule curve
                given = DEFAULT_FILL_VALUE_USD_PER_M3 if value is None else value
                fill.append(max(given, keep_value(self.options)))
        n_t = win.length
        floor = np.repeat(np.array(floors)[:, None], n_t, axis=1)
        rows = lay.rows["res_lower"]
        backend.set_row_bounds(rows.ravel(), floor.ravel(), np.full(rows.size, INF))
        slack = backend.columns_of(m.reservoir.min_deficit)
        penalty = self._zone_penalty(wm)
        backend.set_col_bounds(slack, np.zeros(slack.size), np.full(slack.size, INF))
        backend.set_costs(slack, np.full(slack.size, -penalty))
        fill_cols = backend.columns_of(m.rule_curve.fill).reshape(len(ids), n_t)
        fill_upper = np.repeat(np.array(targets)[:, None], n_t, axis=1)
        backend.set_col_bounds(fill_cols.ravel(), np.zeros(fill_cols.size), fill_upper.ravel())
        disc = run.models.discount(win.start, win.stop)
        backend.set_costs(fill_cols.ravel(), (np.array(fill)[:, None] * disc).ravel())
        eps = self.options.spill_penalty_usd_per_m3
        storage = lay.cols["storage"]
        backend.set_costs(storage.ravel(), np.broadcast_to(-eps * disc, storage.shape).ravel())

    def _zone_penalty(self, wm: WindowModel) -> float:
        """Price of breaking a zone's floor: ten times the largest cost of the window LP."""
        key = id(wm.model)
        if key not in self._penalty:
            self._penalty[key] = 10.0 * max(float(np.abs(wm.backend.costs()).max()), 1.0)
        return self._penalty[key]


def run_simulate(
    basin: Basin,
    options: ModelOptions | None = None,
    *,
    rules: ReservoirRules | None = None,
    reference: Reference | None = None,
    provenance: dict[str, object] | None = None,
) -> ModeRun:
    """Month-by-month simulation of a basin with horizon series (see the module docstring).

    ``rules`` default to the reference run's rule curves (:meth:`ReservoirRules.from_reference`)
    when a ``reference`` is given, else to WEAP's defaults (:meth:`ReservoirRules.for_basin`).
    """
    start = time.perf_counter()
    options = options or ModelOptions()
    demand.check_window_modes(basin, options, "simulate")
    land.check_window_modes(basin, "simulate")
    if rules is None:
        rules = (
            ReservoirRules.from_reference(basin, reference)
            if reference is not None
            else ReservoirRules.for_basin(basin)
        )
    policy = SimulatePolicy(basin, options, rules)
    run = WindowRun(basin, options, policy, extra_constraints=add_rule_curve)
    full = full_model_for(basin, options, reference)
    stitcher = Stitcher(full)
    plan = plan_windows(run.n_steps, 1, 1)
    loop_start = time.perf_counter()
    run.solve(plan, stitcher)
    ds, report = stitched_results(
        run,
        full,
        stitcher,
        "simulate",
        provenance,
        window_timings(run.stats, time.perf_counter() - loop_start),
        {"window_months": 1, "keep_months": 1, "end_rule": "rule curves", "rules": rules.source},
    )
    return ModeRun("simulate", ds, report, full, run.stats, time.perf_counter() - start)
