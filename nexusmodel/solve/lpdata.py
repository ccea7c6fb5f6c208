"""The numbers a model's LP takes from the horizon series and the time axis, as arrays.

``series_data(ctx)`` computes them once for every step of a context, before discounting,
on dense arrays over each component's candidate keys (links, reservoirs, plants, energy
systems, towns, demand segments, district-crop pairs, environmental nodes, scenario
rules) with the step (or the calendar year) as last axis. ``SeriesData.window(a, b)``
slices them for steps a..b-1 without touching pandas. :class:`Layout` maps them to the
rows and columns of a built model's LP and :class:`PushPlan` compiles the mapping into
flat gathers, which :meth:`nexusmodel.solve.live.LiveModel.push_series` writes into the live
LP: row bounds, column bounds, costs (times the discount the caller gives) and matrix
coefficients (evaporation in the reservoirs' balance, crop needs, FAO-33 production).

Each array mirrors a component's build rule (its module docstring gives the equation); a
test builds a model for series A, pushes series B into it and checks that the LP equals the
one built for B, so the two cannot drift apart unnoticed. Not pushed here: the initial
storage and end rules (:mod:`nexusmodel.solve.live`, :mod:`nexusmodel.solve.update`) and the head linearization of the
reservoir plants (the solve's head iteration).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cached_property

import numpy as np
import pyomo.environ as pyo

from nexusmodel.model.balance import balance_rhs_hm3
from nexusmodel.model.components import (
    demand,
    energy_system,
    environment,
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
)
from nexusmodel.model.context import BuildContext
from nexusmodel.solve.highs import INF, HighsBackend


class StructureError(ValueError):
    """Data that need rows or columns the model was built without: build a new model."""


@dataclass(frozen=True)
class SeriesData:
    """Series-derived numbers of a model, undiscounted: ``step[name]`` is (keys, steps),
    ``year[name]`` is (keys, years); ``years`` are the calendar years of the steps and
    ``step_year`` the position of each step's year in ``years``."""

    years: np.ndarray
    step_year: np.ndarray
    step: dict[str, np.ndarray]
    year: dict[str, np.ndarray]

    @property
    def n_steps(self) -> int:
        return len(self.step_year)

    @cached_property
    def stacked(self) -> tuple[np.ndarray, dict[str, int], dict[str, int], int]:
        """(every array flattened into one vector, row offset of each step array, of each
        year array, where the year part starts): what a :class:`PushPlan` gathers from."""
        step_off, year_off, parts, row = {}, {}, [], 0
        for name, values in self.step.items():
            step_off[name] = row
            row += values.shape[0]
            parts.append(values.ravel())
        row = 0
        year_parts = []
        for name, values in self.year.items():
            year_off[name] = row
            row += values.shape[0]
            year_parts.append(values.ravel())
        flat_step = np.concatenate(parts) if parts else np.zeros(0)
        flat = np.concatenate([flat_step, *year_parts])
        return flat, step_off, year_off, flat_step.size

    def window(self, start: int, stop: int) -> SeriesData:
        """The data of steps ``start .. stop - 1`` (year arrays: the years they touch)."""
        ys = self.step_year[start:stop]
        first, last = int(ys[0]), int(ys[-1]) + 1
        return SeriesData(
            self.years[first:last],
            ys - first,
            {k: v[:, start:stop] for k, v in self.step.items()},
            {k: v[:, first:last] for k, v in self.year.items()},
        )


# --------------------------------------------------------------------------- computing


def series_data(
    ctx: BuildContext, year_need: dict[int, dict[str, float]] | None = None
) -> SeriesData:
    """Every series-derived number of a model of ``ctx`` (see the module docstring).

    ``year_need`` (year -> crop -> hm3/kha) replaces the crop need over the context's own
    steps of a year in the FAO-33 production function (a window uses the whole year's).
    """
    n_t = len(ctx.axis)
    years = np.asarray(ctx.years)
    step_year = np.searchsorted(years, ctx.axis.years)
    step: dict[str, np.ndarray] = {}
    year: dict[str, np.ndarray] = {}

    def rows(values: Sequence[np.ndarray | Sequence[float]], n_keys_last: int = n_t) -> np.ndarray:
        return np.array(values, dtype=float).reshape(len(values), n_keys_last)

    rhs = balance_rhs_hm3(ctx)
    res = reservoir.reservoirs(ctx)
    for r, term in zip(res, reservoir.initial_storage_term(ctx), strict=True):
        rhs[ctx.water_nodes.index(r.id), 0] -= term
    step["balance"] = rhs
    link_data = link.data(ctx)
    step["link_cap"] = link_data.capacity_hm3
    step["link_min"] = link_data.min_flow_hm3
    step["link_loss"] = link_data.loss_fraction
    step["link_cost"] = link_data.cost_usd_per_m3
    step["link_segment_cap"] = link_data.segment_cap_hm3
    storage_data = reservoir.data(ctx)
    step["res_lower"] = storage_data.lower_hm3
    step["res_upper"] = storage_data.upper_hm3
    step["res_now"] = storage_data.evaporation_now
    step["res_before"] = storage_data.evaporation_before
    plant_data = hydropower.data(ctx)
    step["turbine_cap"] = plant_data.turbine_cap_hm3
    step["energy_cap"] = plant_data.energy_cap_gwh
    # the Taylor plane's gaps (MUSD/GWh): the lift's cost follows the series' energy prices
    step["taylor_gap_cost"] = np.array(
        [np.full(n_t, plant_data.cut_cost), np.full(n_t, plant_data.lift_cost)]
    )
    energy = energy_system.data(ctx)
    for name in energy_system.CAPACITY_FIELDS:
        step[f"{name}_cap"] = energy.capacity_gwh[name]
        step[f"{name}_price"] = energy.price_usd_per_mwh[name]
    step["energy_demand"] = energy.demand_gwh
    gen = generators.data(ctx)
    step["gen_cap"] = gen.available_gwh
    step["gen_min"] = gen.must_run_gwh
    step["gen_cost"] = gen.cost_usd_per_mwh
    line = interconnectors.data(ctx)
    step["line_cap"] = line.capacity_gwh
    step["line_cost"] = line.cost_usd_per_mwh
    step["town_demand"] = municipal.data(ctx).demand_hm3
    step["segment_cap"] = demand.data(ctx).take_cap_hm3
    step["segment_value"] = demand.data(ctx).value
    step["split_residual"] = split.data(ctx).residual_min_hm3
    dc = irrigation.pairs(ctx)
    step["need"] = rows([irrigation.need_hm3_per_kha(ctx, c) for _d, c in dc])
    production = irrigation.production_coefficients(ctx, step["need"], step_year, year_need)
    step["prod_water"] = production.water
    year["prod_area"] = production.area
    year["area_max"] = irrigation.area_max_kha(ctx)
    year["crop_price"], year["crop_cost"] = irrigation.crop_economics(ctx)
    # economic objective of the FAO-33 production (MUSD per kha and per hm3, undiscounted)
    year["area_value"] = year["crop_price"] * production.area - year["crop_cost"]
    step["water_value"] = year["crop_price"][:, step_year] * production.water
    env = environment.data(ctx)
    step["env_req"] = env.requirement_hm3
    year["env_target"] = env.annual_target_hm3
    rules = release_rules.data(ctx)
    step["agreed_min"] = rules.agreed_min_hm3
    step["spill_rate_cap"] = rules.spill_rate_cap_hm3
    year["spill_year_cap"] = rules.spill_year_cap_hm3
    step["one"] = np.ones((1, n_t))
    return SeriesData(years, step_year, step, year)


# --------------------------------------------------------------------------- the model's layout


def _sense(constraint: pyo.Component) -> np.ndarray:
    """0: equality, 1: '>=' (lower bound), 2: '<=' (upper bound), per row in index order."""
    return np.array(
        [0 if c.equality else (1 if c.has_lb() else 2) for c in constraint.values()], dtype=np.int8
    )


class Layout:
    """Where each array of :class:`SeriesData` goes in one model's LP (computed once)."""

    def __init__(self, m: pyo.ConcreteModel, backend: HighsBackend) -> None:
        ctx: BuildContext = m.context
        self.build_years = [int(y) for y in ctx.years]
        self.pattern = [len(ctx.steps_of_year(y)) for y in ctx.years]
        self.n_steps = n_t = len(ctx.axis)
        self.n_years = n_y = len(self.build_years)
        self.step_year = np.repeat(np.arange(n_y), self.pattern)
        self.backend = backend
        self.sense: dict[int, np.ndarray] = {}

        def cols(var: pyo.Component, last: int = n_t) -> np.ndarray:
            return (
                backend.columns_of(var).reshape(-1, last) if len(var) else np.zeros((0, last), int)
            )

        def rows(con: pyo.Component, last: int = n_t) -> np.ndarray:
            return backend.rows_of(con).reshape(-1, last) if len(con) else np.zeros((0, last), int)

        node_index = {n: i for i, n in enumerate(ctx.water_nodes)}
        keys = list(m.water_balance)
        self.balance = (
            backend.rows_of(m.water_balance),
            np.array([node_index[n] for n, _t in keys], dtype=np.int64),
            np.array([t for _n, t in keys], dtype=np.int64),
        )
        res_ids = list(m.reservoir.ids)
        self.reservoir_balance_t0 = np.array(
            [
                self.balance[0][(self.balance[1] == node_index[r]) & (self.balance[2] == 0)][0]
                if ((self.balance[1] == node_index[r]) & (self.balance[2] == 0)).any()
                else -1
                for r in res_ids
            ],
            dtype=np.int64,
        )
        balance_row = np.full((len(ctx.water_nodes), n_t), -1, dtype=np.int64)
        balance_row[self.balance[1], self.balance[2]] = self.balance[0]
        self.reservoir_balance = balance_row[[node_index[r] for r in res_ids]]
        self.balance_row = balance_row  # (water nodes, steps); -1 where a node has none
        link_ids = ctx.link_ids
        self.link_min = [link_ids.index(lid) for lid in m.link.with_min]
        self.env_ids = [n.id for n in environment.reaches(ctx)]
        self.env_min = [self.env_ids.index(n) for n in m.environment.with_min]
        self.env_target = [self.env_ids.index(n) for n in m.environment.with_target]
        self.pairs = list(m.irrigation.pairs)
        pair_index = {p: k for k, p in enumerate(self.pairs)}
        positive = list(m.irrigation.positive)
        self.positive_pair = np.array([pair_index[(d, c)] for d, c, _y in positive], dtype=np.int64)
        self.positive_year = np.array(
            [self.build_years.index(int(y)) for _d, _c, y in positive], dtype=np.int64
        )
        self.cols = {
            name: cols(var)
            for name, var in (
                ("flow", m.link.flow),
                ("segment", m.link.segment),
                ("min_deficit", m.link.min_deficit),
                ("storage", m.reservoir.storage),
                ("turbine", m.hydropower.turbine),
                ("energy", m.hydropower.energy),
                ("thermal", m.energy_system.thermal),
                ("imports", m.energy_system.imports),
                ("exports", m.energy_system.exports),
                ("unserved", m.energy_system.unserved),
                ("gen_output", m.generators.output),
                ("line_fwd", m.interconnectors.forward),
                ("line_bwd", m.interconnectors.backward),
                ("delivery", m.municipal.delivery),
                ("shortage", m.municipal.shortage),
                ("take", m.demand.take),
                ("water", m.irrigation.water),
                ("env_deficit", m.environment.deficit),
                ("outflow", m.outlet.outflow),
                ("split_deficit", m.split.deficit),
            )
        }
        taylor = hasattr(m.hydropower, "cut")
        for name in ("cut", "lift"):
            self.cols[name] = (
                cols(getattr(m.hydropower, name)) if taylor else np.zeros((0, n_t), int)
            )
        self.cols["area"] = cols(m.irrigation.area, n_y)
        self.cols["uproot"] = cols(m.land.uproot, n_y)
        self.cols["annual_deficit"] = cols(m.environment.annual_deficit, n_y)
        self.rows = {
            name: rows(con)
            for name, con in (
                ("link_min", m.link.min_flow),
                ("res_lower", m.reservoir.min_storage),
                ("res_upper", m.reservoir.max_storage),
                ("energy_balance", m.energy_system.balance),
                ("must_run", m.generators.must_run),
                ("supply", m.municipal.supply),
                ("water_limit", m.irrigation.water_limit),
                ("env_min", m.environment.min_flow),
                ("split_ratio", m.split.ratio),
            )
        }
        self.rows["env_annual"] = rows(m.environment.annual, n_y)
        gen_ids = list(m.generators.ids)
        self.must_run = [gen_ids.index(g) for g in m.generators.with_must_run]
        self.rows["positive"] = backend.rows_of(m.irrigation.production_nonneg)
        self.policy_keys: dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]] = {}
        if hasattr(m, "release_rules"):
            pol = release_rules.policy(ctx)
            b = m.release_rules
            agreed_ids = [r.node for r in pol.min_releases]
            cap_ids = [c.node for c in pol.spill_caps]
            share_ids = [r.node for r in pol.season_shares]
            for name, comp, ids, period, kind in (
                ("agreed_release", b.agreed_release, agreed_ids, "step", "row"),
                ("release_short", b.release_short, agreed_ids, "step", "col"),
                ("spill_year", b.spill_year, cap_ids, "year", "row"),
                ("spill_excess", b.spill_excess, cap_ids, "year", "col"),
                ("spill_step", b.spill_step, cap_ids, "step", "row"),
                ("spill_rate_excess", b.spill_rate_excess, cap_ids, "step", "col"),
                ("season_short", b.season_short, share_ids, "year", "col"),
                ("season_excess", b.season_excess, share_ids, "year", "col"),
            ):
                ids_of = backend.rows_of(comp) if kind == "row" else backend.columns_of(comp)
                key_list = list(comp)
                key_index = np.array([ids.index(n) for n, _w in key_list], dtype=np.int64)
                when = np.array(
                    [
                        self.build_years.index(int(w)) if period == "year" else int(w)
                        for _n, w in key_list
                    ],
                    dtype=np.int64,
                )
                self.policy_keys[name] = (ids_of, key_index, when)
                if kind == "row":
                    self.sense[id(comp)] = _sense(comp)
        for con in (
            m.water_balance,
            m.split.ratio,
            m.link.min_flow,
            m.reservoir.min_storage,
            m.reservoir.max_storage,
            m.energy_system.balance,
            m.municipal.supply,
            m.environment.min_flow,
            m.environment.annual,
            m.irrigation.production_nonneg,
        ):
            self.sense[id(con)] = _sense(con)


# --------------------------------------------------------------------------- pushing


class PushPlan:
    """Every number :class:`SeriesData` sets in one model's LP, compiled into flat gathers.

    Each LP entry (a column's upper bound, a row's right-hand side, a column's cost, a
    matrix coefficient) reads ``offset + scale * data[source]`` (times a discount for
    costs) where ``source`` indexes the data's :attr:`SeriesData.stacked` vector for a
    window starting at step 0; a window starting at step ``s`` (year ``y``) shifts step
    sources by ``s`` and year sources by ``y``. Pushing a window is then a handful of numpy
    gathers and one HiGHS call per kind of entry.
    """

    def __init__(self, m: pyo.ConcreteModel, lay: Layout, data: SeriesData) -> None:
        self.lay = lay
        self.m = m
        ctx: BuildContext = m.context
        _flat, self.step_off, self.year_off, self.year_start = data.stacked
        self.n_steps_data = data.n_steps
        self.n_years_data = len(data.years)
        self._parts: dict[str, list[tuple[np.ndarray, ...]]] = {
            k: [] for k in ("ub", "rhs", "cost", "coef")
        }
        W, n_y = lay.n_steps, lay.n_years
        t_grid = np.arange(W)
        y_grid = np.arange(n_y)
        options = ctx.options
        priority = options.objective == "priority"

        def src(name: str, keys: np.ndarray, when: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
            """(source index, is-year flag) of data[name][keys, when] (broadcast)."""
            if name in self.step_off:
                base = (self.step_off[name] + np.asarray(keys)) * self.n_steps_data
                return np.asarray(base + when, dtype=np.int64), np.zeros(
                    np.broadcast(base, when).shape, bool
                )
            base = (self.year_off[name] + np.asarray(keys)) * self.n_years_data
            return (
                np.asarray(self.year_start + base + when, dtype=np.int64),
                np.ones(np.broadcast(base, when).shape, bool),
            )

        def add(
            kind: str,
            ids: np.ndarray,
            name: str,
            keys: np.ndarray,
            when: np.ndarray,
            *,
            scale: float | np.ndarray = 1.0,
            offset: float | np.ndarray = 0.0,
            disc: np.ndarray | None = None,
            cols: np.ndarray | None = None,
            sense: np.ndarray | int | None = None,
        ) -> None:
            source, is_year = src(name, keys, when)
            shape = np.broadcast(np.asarray(ids), source).shape
            entry = [
                np.broadcast_to(np.asarray(ids), shape).ravel(),
                np.broadcast_to(source, shape).ravel(),
                np.broadcast_to(is_year, shape).ravel(),
                np.broadcast_to(np.asarray(scale, float), shape).ravel(),
                np.broadcast_to(np.asarray(offset, float), shape).ravel(),
                np.broadcast_to(np.asarray(-1 if disc is None else disc), shape).ravel(),
                np.broadcast_to(np.asarray(-1 if cols is None else cols), shape).ravel(),
                np.broadcast_to(np.asarray(0 if sense is None else sense), shape).ravel(),
            ]
            self._parts[kind].append(tuple(entry))

        one = np.zeros(1, dtype=np.int64)
        step_disc = t_grid[None, :]  # discount index: a step's own
        year_disc = W + y_grid[None, :]  # a year's first step
        step_year_disc = W + lay.step_year[None, :]  # the first step of the step's year
        t = t_grid[None, :]
        y = y_grid[None, :]

        rows, node, tt = lay.balance
        add("rhs", rows, "balance", node, tt, sense=lay.sense[id(m.water_balance)])
        # links
        links = ctx.basin.links
        n_links = len(links)
        add("ub", lay.cols["flow"], "link_cap", np.arange(n_links)[:, None], t)
        add(
            "cost",
            lay.cols["flow"],
            "link_cost",
            np.arange(n_links)[:, None],
            t,
            scale=-1.0,
            disc=step_disc,
        )
        # what a link delivers downstream: -(1 - loss[l,t]) in its lower node's balance row
        node_index = {n: i for i, n in enumerate(ctx.water_nodes)}
        lower = np.array([node_index.get(lk.to, -1) for lk in links], dtype=np.int64)
        # a flow-dependent loss puts its segments, not the flow, in the lower balance row
        has_row = (lower >= 0) & np.array([not lk.loss_segments for lk in links], dtype=bool)
        if has_row.any():
            keys = np.flatnonzero(has_row)[:, None]
            add(
                "coef",
                lay.balance_row[lower[has_row]],
                "link_loss",
                keys,
                t,
                offset=-1.0,
                cols=lay.cols["flow"][has_row],
            )
        n_seg = lay.cols["segment"].shape[0]
        if n_seg:
            add("ub", lay.cols["segment"], "link_segment_cap", np.arange(n_seg)[:, None], t)
        if lay.link_min:
            keys = np.array(lay.link_min)[:, None]
            add(
                "rhs",
                lay.rows["link_min"],
                "link_min",
                keys,
                t,
                sense=lay.sense[id(m.link.min_flow)].reshape(-1, W),
            )
            penalty = np.array([links[i].min_flow_penalty_usd_per_m3 for i in lay.link_min])[
                :, None
            ]
            add("cost", lay.cols["min_deficit"], "one", one, t, scale=-penalty, disc=step_disc)
        # reservoirs: rule curves; evaporation coefficients of S[t] and S[t-1]
        n_res = lay.cols["storage"].shape[0]
        if n_res:
            r = np.arange(n_res)[:, None]
            add("rhs", lay.rows["res_lower"], "res_lower", r, t, sense=1)
            add("rhs", lay.rows["res_upper"], "res_upper", r, t, sense=2)
            bal, storage = lay.reservoir_balance, lay.cols["storage"]
            add("coef", bal, "res_now", r, t, offset=1.0, cols=storage)
            add("coef", bal[:, 1:], "res_before", r, t[:, 1:], offset=-1.0, cols=storage[:, :-1])
        # hydropower
        n_p = lay.cols["turbine"].shape[0]
        plants = hydropower.data(ctx)
        if n_p:
            p = np.arange(n_p)[:, None]
            add("ub", lay.cols["turbine"], "turbine_cap", p, t)
            add("ub", lay.cols["energy"], "energy_cap", p, t)
            add(
                "cost",
                lay.cols["turbine"],
                "one",
                one,
                t,
                scale=plants.turbine_value,
                disc=step_disc,
            )
            add(
                "cost",
                lay.cols["energy"],
                "one",
                one,
                t,
                scale=plants.energy_weight,
                disc=step_disc,
            )
        if lay.cols["cut"].size:
            for key, name in enumerate(("cut", "lift")):
                gap = np.full((1, 1), key)
                add("cost", lay.cols[name], "taylor_gap_cost", gap, t, scale=-1.0, disc=step_disc)
        # energy systems
        ks = energy_system.systems(ctx)
        if ks:
            k = np.arange(len(ks))[:, None]
            unit = energy_system.MUSD_PER_GWH_PER_USD_MWH
            for name, sign in (("thermal", -1.0), ("imports", -1.0), ("exports", 1.0)):
                add("ub", lay.cols[name], f"{name}_cap", k, t)
                add(
                    "cost", lay.cols[name], f"{name}_price", k, t, scale=sign * unit, disc=step_disc
                )
            add("rhs", lay.rows["energy_balance"], "energy_demand", k, t, sense=0)
            voll = np.array([e.unserved_penalty_usd_per_mwh for e in ks])[:, None]
            add("cost", lay.cols["unserved"], "one", one, t, scale=-voll * unit, disc=step_disc)
        # generators and interconnectors
        n_g = lay.cols["gen_output"].shape[0]
        if n_g:
            g = np.arange(n_g)[:, None]
            unit = generators.MUSD_PER_GWH_PER_USD_MWH
            add("ub", lay.cols["gen_output"], "gen_cap", g, t)
            add("cost", lay.cols["gen_output"], "gen_cost", g, t, scale=-unit, disc=step_disc)
            if lay.must_run:
                keys = np.array(lay.must_run)[:, None]
                add("rhs", lay.rows["must_run"], "gen_min", keys, t, sense=1)
        n_l = lay.cols["line_fwd"].shape[0]
        if n_l:
            c = np.arange(n_l)[:, None]
            unit = interconnectors.MUSD_PER_GWH_PER_USD_MWH
            for name in ("line_fwd", "line_bwd"):
                add("ub", lay.cols[name], "line_cap", c, t)
                add("cost", lay.cols[name], "line_cost", c, t, scale=-unit, disc=step_disc)
        # municipal
        towns = municipal.towns(ctx)
        if towns:
            k = np.arange(len(towns))[:, None]
            add("rhs", lay.rows["supply"], "town_demand", k, t, sense=0)
            town_data = municipal.data(ctx)
            value = town_data.delivery_weight[:, None]
            add("cost", lay.cols["delivery"], "one", one, t, scale=value, disc=step_disc)
            add(
                "cost",
                lay.cols["shortage"],
                "one",
                one,
                t,
                scale=-town_data.shortage_cost[:, None],
                disc=step_disc,
            )
        # demand curves
        users = demand.users(ctx)
        if users:
            segs = np.arange(lay.cols["take"].shape[0])[:, None]
            add("ub", lay.cols["take"], "segment_cap", segs, t)
            add("cost", lay.cols["take"], "segment_value", segs, t, disc=step_disc)
        # splits: the residual minimum (a bound of its slack, the right side of the ratios)
        n_split = lay.cols["split_deficit"].shape[0]
        if n_split:
            _w, _total, c = split.weights(ctx)
            junction = split.splits(ctx)
            index = {j.id: i for i, j in enumerate(junction)}
            of_branch = np.array([index[j] for j, _lid in m.split.branches])[:, None]
            add("ub", lay.cols["split_deficit"], "split_residual", np.arange(n_split)[:, None], t)
            add(
                "rhs",
                lay.rows["split_ratio"],
                "split_residual",
                of_branch,
                t,
                scale=c[:, None],
                sense=0,
            )
            penalty = split.data(ctx).penalty[:, None]
            add("cost", lay.cols["split_deficit"], "one", one, t, scale=-penalty, disc=step_disc)
        # irrigation
        if lay.pairs:
            k = np.arange(len(lay.pairs))[:, None]
            area, water = lay.cols["area"], lay.cols["water"]
            add("ub", area, "area_max", k, y)
            add(
                "coef",
                lay.rows["water_limit"],
                "need",
                k,
                t,
                scale=-1.0,
                cols=area[:, lay.step_year],
            )
            if lay.positive_pair.size:
                prow = lay.rows["positive"]
                add(
                    "coef",
                    prow,
                    "prod_area",
                    lay.positive_pair,
                    lay.positive_year,
                    cols=area[lay.positive_pair, lay.positive_year],
                )
                j, tw = np.nonzero(lay.step_year[None, :] == lay.positive_year[:, None])
                pair = lay.positive_pair[j]
                add("coef", prow[j], "prod_water", pair, tw, cols=water[pair, tw])
                add("rhs", prow, "one", one, np.zeros(prow.size, np.int64), scale=0.0, sense=1)
            if priority:
                weight = ctx.priority_weight("irrigation")
                of = {n.id: irrigation.efficiency(n) for n in irrigation.districts(ctx)}
                eff = np.array([of[d] for d, _c in lay.pairs])[:, None]
                add("cost", water, "one", one, t, scale=weight / eff, disc=step_disc)
                add("cost", area, "one", one, np.zeros_like(y), scale=0.0, disc=year_disc)
            else:
                add("cost", area, "area_value", k, y, disc=year_disc)
                add("cost", water, "water_value", k, t, disc=step_year_disc)
        # perennial crops: the replanting cost of area given up (a year's discount)
        if lay.cols["uproot"].shape[0]:
            replant = 0.0 if priority else -land.replant_cost(ctx)[:, None]
            add(
                "cost",
                lay.cols["uproot"],
                "one",
                one,
                np.zeros_like(y),
                scale=replant,
                disc=year_disc,
            )
        # environment
        env_value = environment.data(ctx).deficit_value
        if env_value.size:
            if lay.env_min:
                keys = np.array(lay.env_min)[:, None]
                add("rhs", lay.rows["env_min"], "env_req", keys, t, sense=1)
                v = env_value[lay.env_min][:, None]
                add("cost", lay.cols["env_deficit"], "one", one, t, scale=-v, disc=step_disc)
            if lay.env_target:
                keys = np.array(lay.env_target)[:, None]
                add("rhs", lay.rows["env_annual"], "env_target", keys, y, sense=1)
                v = env_value[lay.env_target][:, None]
                add(
                    "cost",
                    lay.cols["annual_deficit"],
                    "one",
                    one,
                    np.zeros_like(y),
                    scale=-v,
                    disc=year_disc,
                )
        # outlets
        ids = outlet.outlets(ctx)
        if ids:
            penalty = outlet.penalties(ctx)[:, None]
            add("cost", lay.cols["outflow"], "one", one, t, scale=-penalty, disc=step_disc)
        # scenario release rules
        if lay.policy_keys:
            self._policy(m, lay, add, one, W)
        self.ub, self.rhs, self.cost, self.coef = (
            self._join(k) for k in ("ub", "rhs", "cost", "coef")
        )
        self._last_coef: np.ndarray | None = None
        self._needs_rows = self._row_needs(data)

    def _policy(
        self,
        m: pyo.ConcreteModel,
        lay: Layout,
        add: Callable[..., None],
        one: np.ndarray,
        W: int,
    ) -> None:
        ctx: BuildContext = m.context
        pol = release_rules.policy(ctx)
        keys = lay.policy_keys
        rows, k, w = keys["agreed_release"]
        add("rhs", rows, "agreed_min", k, w, sense=1)
        rows, k, w = keys["spill_year"]
        add("rhs", rows, "spill_year_cap", k, w, sense=2)
        rows, k, w = keys["spill_step"]
        add("rhs", rows, "spill_rate_cap", k, w, sense=2)
        for name, items, period in (
            ("season_short", pol.season_shares, "year"),
            ("season_excess", pol.season_shares, "year"),
            ("release_short", pol.min_releases, "step"),
            ("spill_excess", pol.spill_caps, "year"),
            ("spill_rate_excess", pol.spill_caps, "step"),
        ):
            cols, k, w = keys[name]
            if not cols.size:
                continue
            penalty = np.array([release_rules._penalty(ctx, r.penalty_usd_per_m3) for r in items])
            disc = W + w if period == "year" else w
            add("cost", cols, "one", one, np.zeros_like(w), scale=-penalty[k], disc=disc)

    def _join(self, kind: str) -> tuple[np.ndarray, ...]:
        parts = self._parts.pop(kind)
        if not parts:
            empty_i, empty_f = np.zeros(0, np.int64), np.zeros(0)
            return (
                empty_i,
                empty_i,
                np.zeros(0, bool),
                empty_f,
                empty_f,
                empty_i,
                empty_i,
                empty_i,
            )
        joined = [np.concatenate([p[i] for p in parts]) for i in range(8)]
        ids, cols = joined[0], joined[6]
        keep = (ids >= 0) & ((cols >= 0) | (kind != "coef"))
        return tuple(a[keep] for a in joined)

    def _row_needs(self, data: SeriesData) -> list[tuple[str, np.ndarray, np.ndarray]]:
        """Data rows that must stay at zero (the model has no row for them)."""
        out = []
        lay = self.lay
        missing = np.setdiff1d(np.arange(data.step["env_req"].shape[0]), lay.env_min)
        if missing.size:
            out.append(("env_req", missing, np.ones((missing.size, lay.n_steps), bool)))
        missing = np.setdiff1d(np.arange(data.step["gen_min"].shape[0]), lay.must_run)
        if missing.size:
            out.append(("gen_min", missing, np.ones((missing.size, lay.n_steps), bool)))
        if "agreed_release" in lay.policy_keys:
            _ids, k, w = lay.policy_keys["agreed_release"]
            lacks = np.ones((data.step["agreed_min"].shape[0], lay.n_steps), bool)
            lacks[k, w] = False
            out.append(("agreed_min", np.arange(lacks.shape[0]), lacks))
        return out

    def push(
        self, backend: HighsBackend, data: SeriesData, start: int, discount: np.ndarray
    ) -> None:
        """Write the data of steps ``start ..`` into the LP; costs times ``discount`` (per
        model step; a year's cost takes the discount of the year's first step)."""
        lay = self.lay
        W = lay.n_steps
        stop = start + W
        if stop > data.n_steps:
            raise StructureError(f"steps {start}..{stop - 1} run past the data ({data.n_steps})")
        years = data.step_year[start:stop]
        if not np.array_equal(years - years[0], lay.step_year):
            raise StructureError("the steps fall into calendar years differently from the model's")
        for name, keys, lacks in self._needs_rows:
            if (data.step[name][keys, start:stop][lacks] > 0).any():
                raise StructureError(f"the data need rows of {name} the model was built without")
        flat = data.stacked[0]
        first_year = int(years[0])
        disc = np.asarray(discount, dtype=float)
        combined = np.concatenate(
            [disc, disc[np.searchsorted(lay.step_year, np.arange(lay.n_years))], [1.0]]
        )

        def values(group: tuple[np.ndarray, ...]) -> np.ndarray:
            _ids, source, is_year, scale, offset, _disc, _cols, _sense = group
            return offset + scale * flat[source + np.where(is_year, first_year, start)]

        ids, *_ = self.ub
        if ids.size:
            backend.set_col_bounds(ids, np.zeros(ids.size), values(self.ub))
        ids, *_rest, sense = self.rhs
        if ids.size:
            v = values(self.rhs)
            backend.set_row_bounds(ids, np.where(sense <= 1, v, -INF), np.where(sense != 1, v, INF))
        ids, *_rest = self.cost
        if ids.size:
            backend.set_costs(ids, values(self.cost) * combined[self.cost[5]])
        ids, *_rest = self.coef
        if ids.size:
            v = values(self.coef)
            if self._last_coef is None or self._last_coef.size != v.size:
                changed = np.ones(v.size, bool)
            else:
                changed = v != self._last_coef
            if changed.any():
                backend.set_coefficients(ids[changed], self.coef[6][changed], v[changed])
            self._last_coef = v
